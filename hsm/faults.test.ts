/**
 * Faults injected into the real software token: a device error in the middle of a burst of
 * signatures, and the token pulled out of its slot and put back. The layer reconnects without a
 * restart, and no caller ever receives a wrong or partial signature.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../lib/errors';
import { expectError, independentlyVerifies, optionsFor } from './contract';
import { HsmErrorCode } from './errors';
import type { KeyInfo, KeyManager } from './keyManager';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { softToken, type TokenUnderTest } from './testTokens';

/** The 250th signature this process computes fails once with CKR_DEVICE_ERROR. */
const FAIL_AT = 250;

describe('faults in the software token', () => {
  let token: TokenUnderTest;
  let hsm: KeyManager;
  let key: KeyInfo;

  beforeAll(async () => {
    token = softToken('sansec', { TQCA_SOFTTOKEN_FAIL_SIGN_AT: String(FAIL_AT) });
    hsm = unwrap(await openPkcs11KeyManager(optionsFor(token, { retryBackoffMs: 10 })));
    key = unwrap(await hsm.generateKey({ label: 'fault-root', algorithm: 'sm2' }));
  });

  afterAll(async () => {
    await hsm?.close();
    token?.dispose();
  });

  it('a device error in the middle of 500 concurrent signatures: one reconnect, all 500 verify', async () => {
    const messages = Array.from({ length: 500 }, (_, i) => new TextEncoder().encode(`burst ${i}`));
    const results = await Promise.all(messages.map((m) => hsm.sign({ id: key.id }, m)));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    results.forEach((r, i) => expect(independentlyVerifies(key, messages[i], unwrap(r))).toBe(true));
    expect(unwrap(await hsm.health()).reconnects).toBe(1);
  });

  it('the token pulled out: typed errors, never a signature; put back: signing resumes without a restart', async () => {
    const removed = join(token.storeDir, '.removed');
    writeFileSync(removed, '');
    const message = new TextEncoder().encode('while removed');
    const whileOut = await Promise.all([1, 2, 3].map(() => hsm.sign({ id: key.id }, message)));
    // The first failure reconnects; the token is not in any slot, and every caller hears exactly that.
    for (const r of whileOut) expectError(r, HsmErrorCode.TOKEN_NOT_FOUND);
    expectError(await hsm.findKey({ id: key.id }), HsmErrorCode.TOKEN_NOT_FOUND);
    rmSync(removed);
    const back = unwrap(await hsm.sign({ id: key.id }, message));
    expect(independentlyVerifies(key, message, back)).toBe(true);
  });
});
