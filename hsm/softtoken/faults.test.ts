/**
 * Failure modes a CA server must survive, injected through the environment: a failing signature,
 * a token pulled from its slot, and a module that cannot start.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { SOFTTOKEN_CKR, SOFTTOKEN_FAMILIES } from './index';
import { child, ckr, initWithPkcs11Tool, Token, tokenDir, USER_PIN, type ChildStep, type TokenDir } from './testSupport';

const ST = SOFTTOKEN_FAMILIES.softtoken;
const SIGN_E = ST.sign[0].mechanism;
const KEY = 'fa01';
const CKF_TOKEN_PRESENT = 0x1; // CK_SLOT_INFO flag; pkcs11js does not export it

let t: TokenDir;

beforeEach(() => {
  t = tokenDir();
  initWithPkcs11Tool(t.env);
  expect(child(t.env, [['login', USER_PIN], ['generate', KEY, ST.keyType, ST.keyPairGen]]).every((r) => r.ok)).toBe(true);
});
afterEach(() => t.dispose());

const signs = (n: number): ChildStep[] => [
  ['login', USER_PIN],
  ...Array.from({ length: n }, (): ChildStep => ['sign', KEY, SIGN_E, randomBytes(32).toString('hex')]),
];

describe('fault injection', () => {
  it('TQCA_SOFTTOKEN_FAIL_SIGN_AT=N fails the Nth signature of the process once, with CKR_DEVICE_ERROR', () => {
    const results = child({ ...t.env, TQCA_SOFTTOKEN_FAIL_SIGN_AT: '3' }, signs(6)).slice(1);
    expect(results.map((r) => r.error ?? 'ok')).toEqual(['ok', 'ok', 'CKR_DEVICE_ERROR', 'ok', 'ok', 'ok']);
  });

  it('TQCA_SOFTTOKEN_CORRUPT_SIGN_AT=N returns the Nth signature of the process wrong, once', () => {
    const digests = Array.from({ length: 4 }, () => randomBytes(32));
    const steps: ChildStep[] = [['login', USER_PIN], ...digests.map((e): ChildStep => ['sign', KEY, SIGN_E, e.toString('hex')])];
    const results = child({ ...t.env, TQCA_SOFTTOKEN_CORRUPT_SIGN_AT: '2' }, steps).slice(1);
    const token = new Token(t.env);
    let publicKey: Buffer;
    try {
      const s = token.userSession(false);
      token.p11.C_FindObjectsInit(s, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(KEY, 'hex') },
      ]);
      const [handle] = token.p11.C_FindObjects(s, 1);
      token.p11.C_FindObjectsFinal(s);
      publicKey = token.point(s, handle);
    } finally {
      token.close();
    }
    const key = unwrap(sm2.publicKeyFromBytes(publicKey));
    const verifies = results.map((r, i) => sm2.verifyDigest(digests[i], Buffer.from(r.value as string, 'hex'), key));
    expect(verifies).toEqual([true, false, true, true]);
  });

  it('an invalid fault setting stops C_Initialize with the documented vendor code', () => {
    for (const name of ['TQCA_SOFTTOKEN_FAIL_SIGN_AT', 'TQCA_SOFTTOKEN_CORRUPT_SIGN_AT']) {
      const [r] = child({ ...t.env, [name]: 'three' }, []);
      expect(r.code).toBe(SOFTTOKEN_CKR.FAULT_CONFIG_INVALID);
    }
  });

  it('a .removed flag file pulls the token: sessions close, calls answer DEVICE_REMOVED / TOKEN_NOT_PRESENT, re-insertion works', () => {
    const token = new Token(t.env);
    const flag = join(t.dir, '.removed');
    try {
      const s = token.userSession();
      expect(token.p11.C_GetSlotInfo(token.slot()).flags & CKF_TOKEN_PRESENT).toBe(CKF_TOKEN_PRESENT);
      token.p11.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
      const [key] = token.p11.C_FindObjects(s, 1);
      token.p11.C_FindObjectsFinal(s);
      expect(token.sign(s, SIGN_E, key, randomBytes(32))).toHaveLength(64);

      writeFileSync(flag, '');
      expect(ckr(() => token.p11.C_SignInit(s, { mechanism: SIGN_E }, key))).toBe('CKR_DEVICE_REMOVED');
      expect(ckr(() => token.p11.C_GetTokenInfo(token.slot()))).toBe('CKR_TOKEN_NOT_PRESENT');
      expect(ckr(() => token.open())).toBe('CKR_TOKEN_NOT_PRESENT');
      expect(token.p11.C_GetSlotList(true)).toHaveLength(0);
      expect(token.p11.C_GetSlotInfo(token.slot()).flags & CKF_TOKEN_PRESENT).toBe(0);

      rmSync(flag);
      expect(ckr(() => token.p11.C_SignInit(s, { mechanism: SIGN_E }, key))).toBe('CKR_SESSION_HANDLE_INVALID');
      const s2 = token.userSession(); // the removal logged the user out
      expect(token.sign(s2, SIGN_E, key, randomBytes(32))).toHaveLength(64);
    } finally {
      token.close();
    }
  });

  it('TQCA_SOFTTOKEN_REMOVED=1 starts the process with the token out of its slot', () => {
    const [r] = child({ ...t.env, TQCA_SOFTTOKEN_REMOVED: '1' }, []);
    expect(r.error).toBe('CKR_TOKEN_NOT_PRESENT');
  });
});

describe('configuration errors', () => {
  const init = (env: Record<string, string | undefined>) => child(env as Record<string, string>, [])[0].code;

  it('C_Initialize answers a vendor code naming what is wrong', () => {
    expect(init({ ...t.env, TQCA_TOKEN_DIR: '' })).toBe(SOFTTOKEN_CKR.TOKEN_DIR_UNSET);
    const notADir = join(t.dir, 'file');
    writeFileSync(notADir, '');
    expect(init({ ...t.env, TQCA_TOKEN_DIR: notADir })).toBe(SOFTTOKEN_CKR.TOKEN_DIR_UNUSABLE);
    expect(init({ ...t.env, TQCA_SOFTTOKEN_FAMILY: 'thales' })).toBe(SOFTTOKEN_CKR.FAMILY_UNKNOWN);
    expect(init({ ...t.env, TQCA_SOFTTOKEN_SLOTS: '0' })).toBe(SOFTTOKEN_CKR.SLOT_COUNT_INVALID);
    expect(init({ ...t.env, TQCA_SOFTTOKEN_SLOTS: '65' })).toBe(SOFTTOKEN_CKR.SLOT_COUNT_INVALID);
  });

  it('a missing token directory is created, holding uninitialised tokens', () => {
    const fresh = join(t.dir, 'new-store');
    const [r] = child({ ...t.env, TQCA_TOKEN_DIR: fresh }, []);
    expect(r.error).toBe('CKR_TOKEN_NOT_RECOGNIZED'); // C_OpenSession on an uninitialised token
    expect(statSync(fresh).isDirectory()).toBe(true);
  });
});
