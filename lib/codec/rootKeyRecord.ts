/**
 * Root public-key record A2 (109 bytes, TQ-CERT-1 §9; the EMV CAPK model). The check value,
 * SM3 over bytes 1–72, is also published out of band: a root key cannot be certified.
 *
 *   0 A2 | 1 clearing-center id | 5 root-key index | 6 04 11 40 | 9 X‖Y
 *   73 expiry YYMMDD | 76 hash id 07 | 77 check value
 */
import { sm3 } from '../crypto/sm3';
import { equal, toHex } from '../bytes';
import type { Sm2PublicKey } from '../crypto/sm2';
import type { Result } from '../errors';
import { expiryDay, type CalendarDay } from './expiry';
import { readAlgorithmFields, readKey, writeAlgorithmFields, writeKey } from './keyFields';
import { readRootKeyIndex, writeRootKeyIndex } from './sharedFields';
import { decodeStructure, encodeStructure, fail, FieldWriter } from './structure';

export const ROOT_KEY_RECORD_TAG = 0xa2;
export const ROOT_KEY_RECORD_LENGTH = 109;
export const HASH_ALGORITHM_SM3 = 0x07;
const CHECKED_LENGTH = 73;
const CHECK_VALUE_OFFSET = 77;

export interface RootKeyRecordFields {
  /** RID analogue. */
  readonly clearingCenterId: number;
  /** `01`–`7F` production, `80`–`FE` test. */
  readonly rootKeyIndex: number;
  readonly publicKey: Sm2PublicKey;
  /** Valid through 23:59:59 CST on this day. */
  readonly expiry: CalendarDay;
}

export interface RootKeyRecord extends RootKeyRecordFields {
  /** SM3(bytes 1–72), verified at decode. */
  readonly checkValue: Uint8Array;
}

/** SM3 over bytes 1–72 of the first 73 bytes (tag excluded). */
const checkValueOf = (checked: Uint8Array): Uint8Array => sm3(checked.subarray(1, CHECKED_LENGTH));

function writeChecked(value: RootKeyRecordFields): Uint8Array {
  const w = new FieldWriter('rootKeyRecord');
  w.byte(ROOT_KEY_RECORD_TAG).uint('clearingCenterId', value.clearingCenterId, 4);
  writeRootKeyIndex(w, value.rootKeyIndex);
  writeAlgorithmFields(w, false);
  writeKey(w, 'publicKey', value.publicKey);
  return w.finish(CHECKED_LENGTH);
}

export const rootKeyRecord = {
  tag: ROOT_KEY_RECORD_TAG,
  length: ROOT_KEY_RECORD_LENGTH,

  /** SM3 over bytes 1–72 (center id, index, algorithm bytes, key). */
  checkValue(value: RootKeyRecordFields): Uint8Array {
    return encodeStructure(() => checkValueOf(writeChecked(value)));
  },

  /** Computes the check value; any `checkValue` on the input is ignored. */
  encode(value: RootKeyRecordFields): Uint8Array {
    return encodeStructure(() => {
      const checked = writeChecked(value);
      const w = new FieldWriter('rootKeyRecord');
      w.bytes('checkedData', checked, CHECKED_LENGTH);
      w.encoded('expiry', () => expiryDay.encode(value.expiry));
      w.byte(HASH_ALGORITHM_SM3).bytes('checkValue', checkValueOf(checked), 32);
      return w.finish(ROOT_KEY_RECORD_LENGTH);
    });
  },

  decode(bytes: Uint8Array): Result<RootKeyRecord> {
    return decodeStructure('rootKeyRecord', bytes, ROOT_KEY_RECORD_LENGTH, (r) => {
      r.constant('tag', ROOT_KEY_RECORD_TAG, 'RECORD_TYPE', 'root-key record tag');
      const clearingCenterId = r.uint(4);
      const rootKeyIndex = readRootKeyIndex(r);
      readAlgorithmFields(r, false);
      const publicKey = readKey(r, 'publicKey');
      const expiry = r.parse(3, (b) => expiryDay.decode(b));
      r.constant('hashAlgorithm', HASH_ALGORITHM_SM3, 'HASH_ALGORITHM', 'check-value hash id (SM3)');
      const checkValue = r.raw(32);
      const expected = checkValueOf(bytes);
      if (!equal(checkValue, expected)) {
        fail('CHECK_VALUE_MISMATCH', 'the check value is not SM3 of bytes 1–72', {
          field: 'checkValue',
          offset: CHECK_VALUE_OFFSET,
          details: { expected: toHex(expected), actual: toHex(checkValue) },
        });
      }
      return { clearingCenterId, rootKeyIndex, publicKey, expiry, checkValue };
    });
  },
};
