/**
 * Host verification through the layer's per-key verifier cache, on the real software token: a
 * wrong signature from the device (TQCA_SOFTTOKEN_CORRUPT_SIGN_AT) is caught and never returned;
 * each key gets one prepared verifier whatever selector names it and across reconnects; a key
 * destroyed and recreated under the same label, here or by another connection, is verified with its
 * new public key; the cache is bounded.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { equal } from '../lib/bytes';
import { sm2 } from '../lib/crypto/sm2';
import { unwrap } from '../lib/errors';
import { independentlyVerifies, optionsFor } from './contract';
import type { KeyInfo, KeyManager } from './keyManager';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { softToken, type TokenUnderTest } from './testTokens';

const prepareVerifier = vi.spyOn(sm2, 'prepareVerifier');
/** How many prepared verifiers were built for this public key. */
const preparedFor = (key: KeyInfo) => prepareVerifier.mock.calls.filter(([pub]) => equal(pub.bytes, key.publicKey)).length;
const message = (text: string) => new TextEncoder().encode(text);

describe('host verification with one prepared verifier per key', () => {
  let token: TokenUnderTest;
  let hsm: KeyManager;
  let root: KeyInfo;

  beforeAll(async () => {
    // The first signature this process computes comes back wrong.
    token = softToken('softtoken', { TQCA_SOFTTOKEN_CORRUPT_SIGN_AT: '1' });
    hsm = unwrap(await openPkcs11KeyManager(optionsFor(token, { retryBackoffMs: 10 })));
    root = unwrap(await hsm.generateKey({ label: 'cache-root', algorithm: 'sm2' }));
  });

  afterAll(async () => {
    await hsm?.close();
    token?.dispose();
  });

  it('a wrong signature from the token fails the cached verifier: never returned, one reconnect, the retry verifies', async () => {
    const m = message('first signature of the process');
    const signature = unwrap(await hsm.sign({ id: root.id }, m));
    expect(independentlyVerifies(root, m, signature)).toBe(true);
    expect(unwrap(await hsm.health()).reconnects).toBe(1);
    expect(preparedFor(root)).toBe(1);
  });

  it('every selector of a key shares its one verifier, across the reconnect', async () => {
    for (const selector of [{ id: root.id }, { label: 'cache-root' }]) {
      for (let i = 0; i < 5; i++) {
        const m = message(`by ${Object.keys(selector)[0]} ${i}`);
        expect(independentlyVerifies(root, m, unwrap(await hsm.sign(selector, m)))).toBe(true);
      }
    }
    expect(unwrap(await hsm.listKeys()).length).toBeGreaterThan(1); // reading keys builds no tables
    expect(preparedFor(root)).toBe(1);
  });

  it('a key destroyed and recreated under the same label is verified with its new public key', async () => {
    const old = unwrap(await hsm.generateKey({ label: 'rotating', algorithm: 'sm2' }));
    unwrap(await hsm.sign({ label: 'rotating' }, message('before')));
    unwrap(await hsm.destroyKey({ label: 'rotating' }));
    const renewed = unwrap(await hsm.generateKey({ label: 'rotating', algorithm: 'sm2' }));
    expect(renewed.publicKey).not.toEqual(old.publicKey);
    const m = message('after');
    const signature = unwrap(await hsm.sign({ label: 'rotating' }, m));
    expect(independentlyVerifies(renewed, m, signature)).toBe(true);
    expect([preparedFor(old), preparedFor(renewed)]).toEqual([1, 1]);
  });

  it('the same when another connection destroys and recreates it', async () => {
    const label = 'rotated-elsewhere';
    const old = unwrap(await hsm.generateKey({ label, algorithm: 'sm2' }));
    unwrap(await hsm.sign({ label }, message('cached here')));
    const other = unwrap(await openPkcs11KeyManager(optionsFor(token)));
    let renewed: KeyInfo;
    try {
      unwrap(await other.destroyKey({ label }));
      renewed = unwrap(await other.generateKey({ label, algorithm: 'sm2' }));
    } finally {
      await other.close();
    }
    const m = message('after the other connection replaced the key');
    const signature = unwrap(await hsm.sign({ label }, m));
    expect(independentlyVerifies(renewed, m, signature)).toBe(true);
    expect(independentlyVerifies(old, m, signature)).toBe(false);
    expect(unwrap(await hsm.findKey({ label })).publicKey).toEqual(renewed.publicKey);
  });

  it('keeps at most 16 verifiers: the least recently used one is rebuilt when needed again', async () => {
    const keys: KeyInfo[] = [];
    for (let i = 0; i < 17; i++) keys.push(unwrap(await hsm.generateKey({ label: `many-${i}`, algorithm: 'sm2' })));
    for (const key of [...keys, keys[16], keys[0]]) unwrap(await hsm.sign({ id: key.id }, message('bounded')));
    expect(keys.map(preparedFor)).toEqual([2, ...Array(16).fill(1)]);
  });
});
