/** A key is prepared from its n-th use, counted by its bytes, within a bound; both kinds verify alike. */
import { describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { reusedKeyVerifiers, verifyWith } from './reusedKeys';
import { sm2 } from './sm2';

const privateKey = sm2.generatePrivateKey();
const publicKey = sm2.publicKeyFromPrivate(privateKey);
const afresh = () => unwrap(sm2.publicKeyFromBytes(publicKey.bytes));
const isPrepared = (key: object) => 'verify' in key;

describe('reusedKeyVerifiers', () => {
  it('gives the plain key before its n-th use and a prepared verifier from then on, for the same bytes decoded afresh', () => {
    const verifierFor = reusedKeyVerifiers({ from: 3 });
    expect([afresh(), afresh()].map((k) => isPrepared(verifierFor(k)))).toEqual([false, false]);
    const third = verifierFor(afresh());
    expect(isPrepared(third)).toBe(true);
    expect(verifierFor(afresh())).toBe(third);
  });

  it('holds at most `limit` keys: the oldest is dropped and counts from one again', () => {
    const verifierFor = reusedKeyVerifiers({ from: 2, limit: 2 });
    const other = () => sm2.publicKeyFromPrivate(sm2.generatePrivateKey());
    verifierFor(publicKey);
    verifierFor(other());
    verifierFor(other());
    expect(isPrepared(verifierFor(publicKey))).toBe(false);
    expect(isPrepared(verifierFor(publicKey))).toBe(true);
  });

  it('verifies with either kind of key, and refuses a signature over other bytes with both', () => {
    const message = new TextEncoder().encode('tqca');
    const signature = sm2.sign(message, privateKey);
    for (const key of [publicKey, sm2.prepareVerifier(publicKey)]) {
      expect(verifyWith(key, message, signature)).toBe(true);
      expect(verifyWith(key, new TextEncoder().encode('tqcb'), signature)).toBe(false);
    }
  });
});
