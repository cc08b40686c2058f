/**
 * The persistent store: what is on disk, who can open it, and several processes sharing it.
 *
 * The encryption-at-rest test reads the store file with an independent decoder written from the
 * format described in src/store.c: with the user PIN it recovers the master key (scrypt + AES-GCM)
 * and then a private key d, checks d·G is the public key the token reports, and checks that d
 * itself appears nowhere in the file. With a wrong PIN the AES-GCM tag does not verify.
 */
import { createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { sm2 } from '../../lib/crypto/sm2';
import { SOFTTOKEN_FAMILIES } from './index';
import { child, childAsync, ckr, initWithPkcs11Tool, Token, tokenDir, USER_PIN, type TokenDir } from './testSupport';

const ST = SOFTTOKEN_FAMILIES.softtoken;

interface Wrap {
  salt: Buffer;
  log2n: number;
  r: number;
  p: number;
  nonce: Buffer;
  ct: Buffer;
  tag: Buffer;
}
interface StoredObject {
  id: number;
  attrs: Map<number, Buffer>;
  sealed: Buffer;
}

function decodeStore(file: Buffer) {
  let at = 0;
  const take = (n: number) => {
    if (at + n > file.length) throw new Error('truncated store');
    return file.subarray(at, (at += n));
  };
  const u32 = () => take(4).readUInt32BE(0);
  const u8 = () => take(1)[0];
  const wrap = (): Wrap => ({ salt: take(16), log2n: u8(), r: u32(), p: u32(), nonce: take(12), ct: take(32), tag: take(16) });
  expect(take(4).toString()).toBe('TQST');
  expect(u32()).toBe(1);
  const initialized = u8();
  const tokenId = take(16);
  const label = take(32).toString();
  const soFailures = u32();
  const userFailures = u32();
  const userPinSet = u8();
  const so = wrap();
  const user = wrap();
  u32(); // next object id
  const objects: StoredObject[] = [];
  for (let n = u32(); n > 0; n--) {
    const id = u32();
    const attrs = new Map<number, Buffer>();
    for (let a = u32(); a > 0; a--) {
      const type = u32();
      attrs.set(type, take(u32()));
    }
    objects.push({ id, attrs, sealed: take(u32()) });
  }
  expect(at).toBe(file.length);
  return { initialized, tokenId, label, soFailures, userFailures, userPinSet, so, user, objects };
}

const gcmOpen = (key: Buffer, nonce: Buffer, aad: Buffer, ct: Buffer, tag: Buffer) => {
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
};

function unwrapMaster(w: Wrap, pin: string, tokenId: Buffer): Buffer {
  const kek = scryptSync(pin, w.salt, 32, { N: 2 ** w.log2n, r: w.r, p: w.p, maxmem: 256 * 1024 * 1024 });
  return gcmOpen(kek, w.nonce, Buffer.concat([Buffer.from('tqca-usr'), tokenId]), w.ct, w.tag);
}

let t: TokenDir;
const storeFile = () => join(t.dir, 'slot-0.token');

beforeEach(() => {
  t = tokenDir();
  initWithPkcs11Tool(t.env);
});
afterEach(() => t.dispose());

describe('software token store', () => {
  it('keeps private keys only as AEAD ciphertext under a key derived from the user PIN', () => {
    const token = new Token(t.env);
    let point: Buffer;
    try {
      const s = token.userSession();
      point = token.point(s, token.generate(s, 'softtoken', Buffer.from('01', 'hex')).publicKey);
    } finally {
      token.close();
    }
    const file = readFileSync(storeFile());
    const store = decodeStore(file);
    expect(store.user.log2n).toBeGreaterThanOrEqual(15); // memory-hard: scrypt N ≥ 2^15, r = 8
    expect(store.user.r).toBe(8);
    const priv = store.objects.find((o) => o.attrs.get(pkcs11js.CKA_CLASS)?.readUInt32LE(0) === pkcs11js.CKO_PRIVATE_KEY)!;
    expect(priv.sealed).toHaveLength(12 + 32 + 65 + 16);
    expect([...priv.attrs.keys()]).not.toContain(pkcs11js.CKA_VALUE);

    expect(() => unwrapMaster(store.user, 'not-the-pin', store.tokenId)).toThrow(/authenticate/);
    const master = unwrapMaster(store.user, USER_PIN, store.tokenId);
    const aad = Buffer.alloc(20);
    store.tokenId.copy(aad);
    aad.writeUInt32BE(priv.id, 16);
    const n = priv.sealed.length - 16;
    const plain = gcmOpen(master, priv.sealed.subarray(0, 12), aad, priv.sealed.subarray(12, n), priv.sealed.subarray(n));
    const d = plain.subarray(0, 32);
    const derived = sm2.publicKeyFromPrivate(d);
    expect(Buffer.from(derived.bytes).equals(point)).toBe(true);
    expect(plain.subarray(33).equals(point)).toBe(true);
    expect(file.includes(d)).toBe(false);
    expect(file.includes(point)).toBe(true); // the public key is stored in clear
  });

  it('a tampered key blob is refused, not used', () => {
    const token = new Token(t.env);
    const s = token.userSession();
    const { privateKey } = token.generate(s, 'softtoken', Buffer.from('02', 'hex'));
    token.close();
    const file = readFileSync(storeFile());
    const store = decodeStore(file);
    const sealed = store.objects.find((o) => o.id === privateKey.readUInt32LE(0))!.sealed;
    file[file.indexOf(sealed) + 20] ^= 1;
    writeFileSync(storeFile(), file);
    const again = new Token(t.env);
    try {
      const s2 = again.userSession();
      expect(ckr(() => again.p11.C_SignInit(s2, { mechanism: ST.sign[0].mechanism }, privateKey))).toBe('CKR_DEVICE_ERROR');
    } finally {
      again.close();
    }
  });

  it('a corrupt store file is a device error, never a crash', () => {
    writeFileSync(storeFile(), readFileSync(storeFile()).subarray(0, 100));
    const token = new Token(t.env);
    try {
      expect(ckr(() => token.p11.C_GetTokenInfo(token.slot()))).toBe('CKR_DEVICE_ERROR');
    } finally {
      token.close();
    }
  });

  it('several processes share one store: concurrent writers lose nothing, readers see their keys', async () => {
    const token = new Token(t.env);
    try {
      const s = token.userSession();
      const writers = [0, 1, 2].map((w) =>
        childAsync(t.env, [
          ['login', USER_PIN],
          ...[0, 1, 2, 3].map((k) => ['generate', `${w}${k}`.padStart(4, '0'), ST.keyType, ST.keyPairGen] as ['generate', string, number, number]),
        ]),
      );
      for (const results of await Promise.all(writers)) expect(results.every((r) => r.ok)).toBe(true);
      // this process picks up the other processes' writes without re-initialising
      token.p11.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
      expect(token.p11.C_FindObjects(s, 100)).toHaveLength(12);
      token.p11.C_FindObjectsFinal(s);
      const e = randomBytes(32).toString('hex');
      const [, signed] = child(t.env, [['login', USER_PIN], ['sign', '0023', ST.sign[0].mechanism, e]]);
      expect(signed.ok).toBe(true);
    } finally {
      token.close();
    }
  });

  it('another process re-initialising the token logs this one out', () => {
    const token = new Token(t.env);
    try {
      const s = token.userSession();
      token.generate(s, 'softtoken', Buffer.from('03', 'hex'));
      // pkcs11-tool re-initialises slot 0 while this process holds a logged-in session
      initWithPkcs11Tool(t.env, 'renewed');
      expect(token.p11.C_GetSessionInfo(s).state).toBe(2); // CKS_RW_PUBLIC_SESSION: the old login is gone
      token.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN);
      token.p11.C_FindObjectsInit(s, []);
      expect(token.p11.C_FindObjects(s, 10)).toHaveLength(0);
      token.p11.C_FindObjectsFinal(s);
      expect(token.p11.C_GetTokenInfo(token.slot()).label.trim()).toBe('renewed');
    } finally {
      token.close();
    }
  });
});
