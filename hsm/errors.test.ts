import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';
import { TqException } from '../lib/errors';
import { HsmErrorCode, hsmError, isRecoverable, pkcs11Failure } from './errors';

/** The error class pkcs11js itself throws for a CKR value. */
const pkcs11Error = (ckr: string, rv: number, method = 'C_Sign') =>
  new (pkcs11js as unknown as { Pkcs11Error: new (m: string, c: number, f: string) => Error }).Pkcs11Error(`${ckr}:${rv}`, rv, method);

describe('PKCS#11 errors as TqErrors', () => {
  it.each([
    ['CKR_PIN_INCORRECT', 0xa0, HsmErrorCode.PIN_INCORRECT],
    ['CKR_PIN_LOCKED', 0xa4, HsmErrorCode.PIN_LOCKED],
    ['CKR_MECHANISM_INVALID', 0x70, HsmErrorCode.MECHANISM_MISSING],
    ['CKR_DEVICE_ERROR', 0x30, HsmErrorCode.DEVICE_ERROR],
    ['CKR_DEVICE_REMOVED', 0x32, HsmErrorCode.DEVICE_ERROR],
    ['CKR_SESSION_HANDLE_INVALID', 0xb3, HsmErrorCode.DEVICE_ERROR],
    ['CKR_DATA_LEN_RANGE', 0x21, HsmErrorCode.OPERATION_FAILED],
  ])('%s becomes %s, the CKR name and the method kept in details', (ckr, rv, code) => {
    const error = hsmError(pkcs11Error(ckr, rv), 'signing', { tokenLabel: 'root' });
    expect(error).toMatchObject({ code, details: { ckr, rv, method: 'C_Sign', tokenLabel: 'root' } });
    expect(error.message).toMatch(/^signing: /);
  });

  it('reconnects only after errors that mean the device, context, sessions or handles went away', () => {
    const recoverable = ['CKR_DEVICE_ERROR', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_SESSION_CLOSED', 'CKR_OBJECT_HANDLE_INVALID', 'CKR_CRYPTOKI_NOT_INITIALIZED'];
    for (const ckr of recoverable) expect(isRecoverable(pkcs11Failure(pkcs11Error(ckr, 1))), ckr).toBe(true);
    for (const ckr of ['CKR_PIN_INCORRECT', 'CKR_DATA_LEN_RANGE', 'CKR_KEY_FUNCTION_NOT_PERMITTED']) {
      expect(isRecoverable(pkcs11Failure(pkcs11Error(ckr, 1))), ckr).toBe(false);
    }
    expect(isRecoverable(pkcs11Failure(new Error('dlopen failed')))).toBe(false);
  });

  it('keeps a TqError thrown inside the layer, and reports anything else without a CKR as HSM_OPERATION_FAILED', () => {
    const inner = { code: HsmErrorCode.KEY_NOT_FOUND, message: 'no key' };
    expect(hsmError(new TqException(inner), 'signing')).toBe(inner);
    expect(hsmError(new TypeError('bad argument'), 'signing')).toMatchObject({ code: HsmErrorCode.OPERATION_FAILED, message: 'signing: bad argument' });
  });
});
