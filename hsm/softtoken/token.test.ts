/**
 * Token life cycle, PINs, sessions and objects, through pkcs11js in this process (a real load of
 * the module) and a second process where the behaviour crosses processes.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { SOFTTOKEN_FAMILIES } from './index';
import { child, ckr, SM2_EC_PARAMS, SO_PIN, Token, tokenDir, USER_PIN, type TokenDir } from './testSupport';

const ST = SOFTTOKEN_FAMILIES.softtoken;
const SIGN_E = ST.sign[0].mechanism;
const label32 = (s: string) => s.padEnd(32, ' ');
const flags = (token: Token) => token.p11.C_GetTokenInfo(token.slot()).flags;
const ulong = (b: Buffer) => Number(b.readBigUInt64LE(0));
// CK_STATE values (pkcs11js exports no CKS_ constants)
const CKS = { RO_USER_FUNCTIONS: 1, RW_PUBLIC_SESSION: 2, RW_USER_FUNCTIONS: 3, RW_SO_FUNCTIONS: 4 } as const;

let t: TokenDir;
let token: Token;

function initialized(): void {
  token.p11.C_InitToken(token.slot(), SO_PIN, label32('lifecycle'));
  const s = token.open();
  token.p11.C_Login(s, pkcs11js.CKU_SO, SO_PIN);
  token.p11.C_InitPIN(s, USER_PIN);
  token.p11.C_CloseSession(s); // the last session closing logs the SO out
}

function reopen(env: Record<string, string> = t.env): void {
  token.close();
  token = new Token(env);
}

beforeEach(() => {
  t = tokenDir();
  token = new Token(t.env);
});
afterEach(() => {
  token.close();
  t.dispose();
});

describe('token initialisation and PINs', () => {
  it('an uninitialised token opens no session; C_InitToken and C_InitPIN set it up', () => {
    expect(flags(token) & pkcs11js.CKF_TOKEN_INITIALIZED).toBe(0);
    expect(ckr(() => token.open())).toBe('CKR_TOKEN_NOT_RECOGNIZED');
    expect(ckr(() => token.p11.C_InitToken(token.slot(), '123', label32('x')))).toBe('CKR_PIN_LEN_RANGE');
    token.p11.C_InitToken(token.slot(), SO_PIN, label32('lifecycle'));
    expect(flags(token) & pkcs11js.CKF_TOKEN_INITIALIZED).toBeTruthy();
    expect(flags(token) & pkcs11js.CKF_USER_PIN_INITIALIZED).toBe(0);
    expect(token.p11.C_GetTokenInfo(token.slot()).label).toBe(label32('lifecycle'));
    const s = token.open();
    expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN))).toBe('CKR_USER_PIN_NOT_INITIALIZED');
    const ro = token.open(false);
    expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_SO, SO_PIN))).toBe('CKR_SESSION_READ_ONLY_EXISTS');
    token.p11.C_CloseSession(ro);
    expect(ckr(() => token.p11.C_InitPIN(s, USER_PIN))).toBe('CKR_USER_NOT_LOGGED_IN');
    token.p11.C_Login(s, pkcs11js.CKU_SO, SO_PIN);
    expect(token.p11.C_GetSessionInfo(s).state).toBe(CKS.RW_SO_FUNCTIONS);
    expect(ckr(() => token.open(false))).toBe('CKR_SESSION_READ_WRITE_SO_EXISTS');
    token.p11.C_InitPIN(s, USER_PIN);
    token.p11.C_Logout(s);
    token.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN);
    expect(token.p11.C_GetSessionInfo(s).state).toBe(CKS.RW_USER_FUNCTIONS);
    expect(flags(token) & pkcs11js.CKF_USER_PIN_INITIALIZED).toBeTruthy();
  });

  it('login is per token: other sessions share it, a second login is refused, logout ends it for all', () => {
    initialized();
    const a = token.open();
    const b = token.open(false);
    token.p11.C_Login(a, pkcs11js.CKU_USER, USER_PIN);
    expect(token.p11.C_GetSessionInfo(b).state).toBe(CKS.RO_USER_FUNCTIONS);
    expect(ckr(() => token.p11.C_Login(b, pkcs11js.CKU_USER, USER_PIN))).toBe('CKR_USER_ALREADY_LOGGED_IN');
    expect(ckr(() => token.p11.C_Login(b, pkcs11js.CKU_SO, SO_PIN))).toBe('CKR_USER_ANOTHER_ALREADY_LOGGED_IN');
    token.p11.C_Logout(b);
    expect(token.p11.C_GetSessionInfo(a).state).toBe(CKS.RW_PUBLIC_SESSION);
    expect(ckr(() => token.p11.C_Logout(a))).toBe('CKR_USER_NOT_LOGGED_IN');
  });

  it('a wrong PIN is CKR_PIN_INCORRECT and counted; ten lock the PIN until the SO re-initialises it', () => {
    initialized();
    const s = token.open();
    expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_USER, '00000000'))).toBe('CKR_PIN_INCORRECT');
    expect(flags(token) & pkcs11js.CKF_USER_PIN_COUNT_LOW).toBeTruthy();
    token.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN); // success resets the counter
    expect(flags(token) & pkcs11js.CKF_USER_PIN_COUNT_LOW).toBe(0);
    token.p11.C_Logout(s);
    for (let i = 0; i < 9; i++) expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_USER, 'wrong-pin'))).toBe('CKR_PIN_INCORRECT');
    expect(flags(token) & pkcs11js.CKF_USER_PIN_FINAL_TRY).toBeTruthy();
    expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_USER, 'wrong-pin'))).toBe('CKR_PIN_INCORRECT');
    expect(flags(token) & pkcs11js.CKF_USER_PIN_LOCKED).toBeTruthy();
    expect(ckr(() => token.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN))).toBe('CKR_PIN_LOCKED');
    // the counter lives in the store: another process sees the lock
    expect(child(t.env, [['login', USER_PIN]])[0].error).toBe('CKR_PIN_LOCKED');
    token.p11.C_Login(s, pkcs11js.CKU_SO, SO_PIN);
    token.p11.C_InitPIN(s, 'fresh-pin');
    token.p11.C_Logout(s);
    token.p11.C_Login(s, pkcs11js.CKU_USER, 'fresh-pin');
  });

  it('C_SetPIN re-wraps the key store: keys survive, the old PIN no longer opens them', () => {
    initialized();
    const s = token.userSession();
    const keys = token.generate(s, 'softtoken', Buffer.from('01', 'hex'));
    const pub = unwrap(sm2.publicKeyFromBytes(token.point(s, keys.publicKey)));
    expect(ckr(() => token.p11.C_SetPIN(s, 'not-the-pin', 'new-pin-2026'))).toBe('CKR_PIN_INCORRECT');
    expect(ckr(() => token.p11.C_SetPIN(s, USER_PIN, '12'))).toBe('CKR_PIN_LEN_RANGE');
    token.p11.C_SetPIN(s, USER_PIN, 'new-pin-2026');
    const e = randomBytes(32).toString('hex');
    const [oldLogin, oldSign] = child(t.env, [['login', USER_PIN], ['sign', '01', SIGN_E, e]]);
    expect(oldLogin.error).toBe('CKR_PIN_INCORRECT');
    expect(oldSign.error).toBe('KEY_NOT_FOUND'); // a private key is invisible without login
    const [login, sign] = child(t.env, [['login', 'new-pin-2026'], ['sign', '01', SIGN_E, e]]);
    expect(login.ok).toBe(true);
    expect(sm2.verifyDigest(Buffer.from(e, 'hex'), Buffer.from(sign.value as string, 'hex'), pub)).toBe(true);
  });

  it('re-initialising needs the SO PIN and no open session, and empties the token', () => {
    initialized();
    const s = token.userSession();
    token.generate(s, 'softtoken', Buffer.from('02', 'hex'));
    expect(ckr(() => token.p11.C_InitToken(token.slot(), SO_PIN, label32('again')))).toBe('CKR_SESSION_EXISTS');
    token.p11.C_CloseAllSessions(token.slot());
    expect(ckr(() => token.p11.C_InitToken(token.slot(), 'wrong-so-pin', label32('again')))).toBe('CKR_PIN_INCORRECT');
    token.p11.C_InitToken(token.slot(), SO_PIN, label32('again'));
    expect(flags(token) & pkcs11js.CKF_USER_PIN_INITIALIZED).toBe(0);
    const s2 = token.open();
    token.p11.C_FindObjectsInit(s2, []);
    expect(token.p11.C_FindObjects(s2, 10)).toHaveLength(0);
    token.p11.C_FindObjectsFinal(s2);
  });

  it('the other slots are independent tokens', () => {
    initialized();
    expect(token.p11.C_GetSlotList(false)).toHaveLength(4);
    expect(token.p11.C_GetTokenInfo(token.slot(1)).flags & pkcs11js.CKF_TOKEN_INITIALIZED).toBe(0);
    token.p11.C_InitToken(token.slot(3), SO_PIN, label32('slot three'));
    expect(token.p11.C_GetTokenInfo(token.slot(3)).label).toBe(label32('slot three'));
    expect(token.p11.C_GetTokenInfo(token.slot(0)).label).toBe(label32('lifecycle'));
    reopen({ ...t.env, TQCA_SOFTTOKEN_SLOTS: '2' });
    expect(token.p11.C_GetSlotList(false)).toHaveLength(2);
  });
});

describe('objects', () => {
  beforeEach(initialized);

  it('private key values are never readable; public attributes read as PKCS#11 defines them', () => {
    const s = token.userSession();
    const { privateKey, publicKey } = token.generate(s, 'softtoken', Buffer.from('0a', 'hex'), 'issuer-root');
    expect(ckr(() => token.p11.C_GetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_VALUE }]))).toBe('CKR_ATTRIBUTE_SENSITIVE');
    expect(ckr(() => token.p11.C_GetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_MODULUS }]))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
    const attrs = token.p11.C_GetAttributeValue(s, privateKey, [
      { type: pkcs11js.CKA_KEY_TYPE },
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_ALWAYS_AUTHENTICATE },
      { type: pkcs11js.CKA_LOCAL },
      { type: pkcs11js.CKA_EC_PARAMS },
      { type: pkcs11js.CKA_KEY_GEN_MECHANISM },
    ]);
    expect(ulong(attrs[0].value as Buffer)).toBe(ST.keyType);
    expect((attrs.slice(1, 5).map((a) => (a.value as Buffer)[0]))).toEqual([1, 0, 0, 1]);
    expect((attrs[5].value as Buffer).equals(SM2_EC_PARAMS)).toBe(true);
    expect(ulong(attrs[6].value as Buffer)).toBe(ST.keyPairGen);
    // CKA_EC_POINT is on the public key only in this family (TASS puts it on the private key too)
    expect(ckr(() => token.p11.C_GetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_EC_POINT }]))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
    expect(token.point(s, publicKey)).toHaveLength(64);
  });

  it('key types are shown in the running family’s codes: one store serves every family', () => {
    const s = token.userSession();
    const { privateKey } = token.generate(s, 'softtoken', Buffer.from('0b', 'hex'));
    const handle = privateKey;
    reopen({ ...t.env, TQCA_SOFTTOKEN_FAMILY: 'tass' });
    const s2 = token.userSession();
    const [keyType, point] = token.p11.C_GetAttributeValue(s2, handle, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_EC_POINT }]);
    expect(ulong(keyType.value as Buffer)).toBe(SOFTTOKEN_FAMILIES.tass.keyType);
    expect((point.value as Buffer).subarray(0, 3).toString('hex')).toBe('044104');
  });

  it('key templates: what the token cannot honour is refused with the PKCS#11 code', () => {
    const s = token.userSession();
    const gen = (pub: pkcs11js.Template, priv: pkcs11js.Template) => () =>
      token.p11.C_GenerateKeyPair(s, { mechanism: ST.keyPairGen }, pub, priv);
    const bool = (type: number, value: boolean) => [{ type, value }];
    expect(ckr(gen([], bool(pkcs11js.CKA_EXTRACTABLE, true)))).toBe('CKR_ATTRIBUTE_VALUE_INVALID');
    expect(ckr(gen([], bool(pkcs11js.CKA_SENSITIVE, false)))).toBe('CKR_ATTRIBUTE_VALUE_INVALID');
    expect(ckr(gen([], bool(pkcs11js.CKA_DERIVE, true)))).toBe('CKR_ATTRIBUTE_VALUE_INVALID');
    expect(ckr(gen([{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') }], []))).toBe('CKR_DOMAIN_PARAMS_INVALID');
    expect(ckr(gen([{ type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC }], []))).toBe('CKR_TEMPLATE_INCONSISTENT');
    expect(ckr(gen([{ type: pkcs11js.CKA_MODULUS_BITS, value: 2048 }], []))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
    expect(ckr(gen([], [{ type: pkcs11js.CKA_VALUE, value: Buffer.alloc(32, 1) }]))).toBe('CKR_ATTRIBUTE_READ_ONLY');
    expect(ckr(() => token.p11.C_GenerateKeyPair(s, { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN }, [], []))).toBe('CKR_MECHANISM_INVALID');
    const ro = token.open(false);
    expect(ckr(() => token.generate(ro, 'softtoken', Buffer.from('0c', 'hex')))).toBe('CKR_SESSION_READ_ONLY');
    token.p11.C_Logout(s);
    expect(ckr(() => token.generate(s, 'softtoken', Buffer.from('0c', 'hex')))).toBe('CKR_USER_NOT_LOGGED_IN');
  });

  it('find matches templates; private objects appear only after login', () => {
    const s = token.userSession();
    token.generate(s, 'softtoken', Buffer.from('a1', 'hex'), 'alpha');
    token.generate(s, 'softtoken', Buffer.from('b2', 'hex'), 'beta');
    const find = (session: Buffer, tmpl: pkcs11js.Template) => {
      token.p11.C_FindObjectsInit(session, tmpl);
      const found = token.p11.C_FindObjects(session, 100);
      token.p11.C_FindObjectsFinal(session);
      return found.length;
    };
    expect(find(s, [])).toBe(4);
    expect(find(s, [{ type: pkcs11js.CKA_LABEL, value: 'alpha' }])).toBe(2);
    expect(find(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from('b2', 'hex') }])).toBe(1);
    expect(find(s, [{ type: pkcs11js.CKA_KEY_TYPE, value: ST.keyType }])).toBe(4);
    expect(find(s, [{ type: pkcs11js.CKA_KEY_TYPE, value: SOFTTOKEN_FAMILIES.luna.keyType }])).toBe(0);
    expect(find(s, [{ type: pkcs11js.CKA_VALUE, value: Buffer.alloc(32) }])).toBe(0); // sensitive never matches
    token.p11.C_FindObjectsInit(s, []);
    expect(ckr(() => token.p11.C_FindObjectsInit(s, []))).toBe('CKR_OPERATION_ACTIVE');
    token.p11.C_FindObjectsFinal(s);
    token.p11.C_Logout(s);
    expect(find(s, [])).toBe(2);
  });

  it('labels can be changed and objects destroyed, persistently; session objects never reach the store', () => {
    const s = token.userSession();
    const { privateKey, publicKey } = token.generate(s, 'softtoken', Buffer.from('c3', 'hex'), 'before');
    token.p11.C_SetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_LABEL, value: 'after' }]);
    expect(ckr(() => token.p11.C_SetAttributeValue(s, privateKey, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]))).toBe('CKR_ATTRIBUTE_READ_ONLY');
    token.p11.C_DestroyObject(s, publicKey);
    const session = token.generate(s, 'softtoken', Buffer.from('d4', 'hex'), 'ephemeral', false);
    expect(token.p11.C_GetAttributeValue(s, session.privateKey, [{ type: pkcs11js.CKA_TOKEN }])[0].value).toEqual(Buffer.from([0]));
    expect(child(t.env, [['login', USER_PIN], ['count', 'c3'], ['count', 'd4']]).map((r) => r.value)).toEqual([undefined, 1, 0]);
    reopen();
    const s2 = token.userSession();
    expect(token.p11.C_GetAttributeValue(s2, privateKey, [{ type: pkcs11js.CKA_LABEL }])[0].value!.toString()).toBe('after');
    expect(ckr(() => token.p11.C_GetAttributeValue(s2, publicKey, [{ type: pkcs11js.CKA_LABEL }]))).toBe('CKR_OBJECT_HANDLE_INVALID');
    expect(ckr(() => token.p11.C_GetAttributeValue(s2, session.privateKey, [{ type: pkcs11js.CKA_LABEL }]))).toBe('CKR_OBJECT_HANDLE_INVALID');
  });
});

describe('operations', () => {
  beforeEach(initialized);

  it('one operation per session; bad input ends it with the PKCS#11 code', () => {
    const s = token.userSession();
    const { privateKey, publicKey } = token.generate(s, 'softtoken', Buffer.from('e5', 'hex'));
    token.p11.C_SignInit(s, { mechanism: SIGN_E }, privateKey);
    expect(ckr(() => token.p11.C_SignInit(s, { mechanism: SIGN_E }, privateKey))).toBe('CKR_OPERATION_ACTIVE');
    expect(ckr(() => token.p11.C_VerifyInit(s, { mechanism: SIGN_E }, publicKey))).toBe('CKR_OPERATION_ACTIVE');
    expect(ckr(() => token.p11.C_Sign(s, randomBytes(31), Buffer.alloc(64)))).toBe('CKR_DATA_LEN_RANGE');
    expect(ckr(() => token.p11.C_Sign(s, randomBytes(32), Buffer.alloc(64)))).toBe('CKR_OPERATION_NOT_INITIALIZED');
    expect(ckr(() => token.p11.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, privateKey))).toBe('CKR_MECHANISM_INVALID');
    expect(ckr(() => token.p11.C_SignInit(s, { mechanism: SIGN_E }, publicKey))).toBe('CKR_KEY_TYPE_INCONSISTENT');
    expect(ckr(() => token.p11.C_DigestInit(s, { mechanism: pkcs11js.CKM_SHA256 }))).toBe('CKR_FUNCTION_NOT_SUPPORTED');
    // multi-part signing with the SM3 mechanism equals the one-shot signature's validity
    const sm3 = ST.sign[1].mechanism;
    const pub = unwrap(sm2.publicKeyFromBytes(token.point(s, publicKey)));
    token.p11.C_SignInit(s, { mechanism: sm3 }, privateKey);
    token.p11.C_SignUpdate(s, Buffer.from('transport '));
    token.p11.C_SignUpdate(s, Buffer.from('card'));
    const sig = token.p11.C_SignFinal(s, Buffer.alloc(64));
    expect(sm2.verify(Buffer.from('transport card'), sig, pub)).toBe(true);
    token.p11.C_Logout(s);
    expect(ckr(() => token.p11.C_SignInit(s, { mechanism: SIGN_E }, privateKey))).toBe('CKR_KEY_HANDLE_INVALID');
  });

  it('C_GenerateRandom returns fresh bytes', () => {
    const s = token.open();
    const a = token.p11.C_GenerateRandom(s, Buffer.alloc(32));
    const b = token.p11.C_GenerateRandom(s, Buffer.alloc(32));
    expect(a.equals(b)).toBe(false);
  });
});
