/**
 * The KeyManager contract: one suite that every token under test passes (SoftHSMv2 on P-256,
 * the SM2 software token under each vendor family). Signatures are checked with independent
 * verifiers: lib/crypto/sm2.ts for SM2, node:crypto for P-256.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHex, toHex } from '../lib/bytes';
import { sm2 } from '../lib/crypto/sm2';
import { unwrap, type Result, type TqError } from '../lib/errors';
import { HsmErrorCode } from './errors';
import type { KeyInfo, KeyManager } from './keyManager';
import { ModuleContext } from './moduleContext';
import { openPkcs11KeyManager, type Pkcs11Options } from './pkcs11KeyManager';
import type { TokenUnderTest } from './testTokens';

const CHILD = fileURLToPath(new URL('./contractChild.ts', import.meta.url));

export function optionsFor(token: TokenUnderTest, overrides: Partial<Pkcs11Options> = {}): Pkcs11Options {
  return { modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, profile: token.profile, ...overrides };
}

/** Verifies r ‖ s with a verifier independent of the layer under test. */
export function independentlyVerifies(key: KeyInfo, message: Uint8Array, signature: Uint8Array, signerId?: Uint8Array): boolean {
  if (key.algorithm === 'sm2') return sm2.verify(message, signature, unwrap(sm2.publicKeyFromBytes(key.publicKey)), signerId);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const jwk = { kty: 'EC', crv: 'P-256', x: b64(key.publicKey.subarray(0, 32)), y: b64(key.publicKey.subarray(32)) };
  return nodeVerify('sha256', message, { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature);
}

export function expectError<T>(result: Result<T>, code: string): void {
  expect(result.ok ? 'ok' : result.error.code, result.ok ? '' : result.error.message).toBe(code);
}

export function keyManagerContract(setUp: () => TokenUnderTest): void {
  let token: TokenUnderTest;
  let hsm: KeyManager;
  let key: KeyInfo;
  const message = new TextEncoder().encode('M_cert for the contract suite');

  describe('key manager contract', () => {
    beforeAll(async () => {
      token = setUp();
      hsm = unwrap(await openPkcs11KeyManager(optionsFor(token)));
      key = unwrap(await hsm.generateKey({ label: 'contract-root', id: Uint8Array.of(0x52, 0x01), algorithm: token.profile.algorithm }));
    });

    afterAll(async () => {
      await hsm?.close();
      token?.dispose();
    });

    it('generates a key inside the token and finds it by CKA_ID and by label', async () => {
      expect(key).toMatchObject({ label: 'contract-root', algorithm: token.profile.algorithm });
      expect(toHex(key.id)).toBe('5201');
      expect(key.publicKey.length).toBe(64);
      expect(unwrap(await hsm.findKey({ label: 'contract-root' })).publicKey).toEqual(key.publicKey);
      expect(unwrap(await hsm.findKey({ id: key.id })).label).toBe('contract-root');
      expect(unwrap(await hsm.publicKey({ id: key.id }))).toEqual(key.publicKey);
      expect(unwrap(await hsm.listKeys()).map((k) => k.label)).toContain('contract-root');
    });

    it('signs r ‖ s that an independent verifier accepts, and only for the message signed', async () => {
      const signature = unwrap(await hsm.sign({ label: 'contract-root' }, message));
      expect(signature.length).toBe(64);
      expect(independentlyVerifies(key, message, signature)).toBe(true);
      expect(independentlyVerifies(key, message.subarray(1), signature)).toBe(false);
    });

    it('SM2 keys sign with the signer ID given (Z is computed with it); P-256 refuses an ID', async () => {
      const signerId = new TextEncoder().encode('TQCA-ISSUER-0001');
      const signed = await hsm.sign({ id: key.id }, message, { signerId });
      if (token.profile.algorithm === 'p256') return expectError(signed, HsmErrorCode.ALGORITHM_UNSUPPORTED);
      const signature = unwrap(signed);
      expect(independentlyVerifies(key, message, signature, signerId)).toBe(true);
      expect(independentlyVerifies(key, message, signature)).toBe(false);
    });

    it('every signing mechanism of the profile works, raw or DER, host digest or device hashing', async () => {
      const signerId = new TextEncoder().encode('TQCA-ISSUER-0001');
      const listed = unwrap(await hsm.health()).mechanisms;
      for (const mechanism of token.profile.sign) {
        const opened = await openPkcs11KeyManager(optionsFor(token, { profile: { ...token.profile, sign: [mechanism] }, poolSize: 1 }));
        if (!listed.find((m) => m.role === 'sign' && m.name === mechanism.name)?.present) {
          expectError(opened, HsmErrorCode.MECHANISM_MISSING);
          continue;
        }
        const only = unwrap(opened);
        try {
          expect(independentlyVerifies(key, message, unwrap(await only.sign({ id: key.id }, message))), mechanism.name).toBe(true);
          if (token.profile.algorithm !== 'sm2') continue;
          const custom = await only.sign({ id: key.id }, message, { signerId });
          // A mechanism that takes no ID parameter hashes with the fixed default ID: it cannot serve another.
          if (mechanism.input === 'message') expectError(custom, HsmErrorCode.MECHANISM_MISSING);
          else expect(independentlyVerifies(key, message, unwrap(custom), signerId), mechanism.name).toBe(true);
        } finally {
          await only.close();
        }
      }
    });

    it('refuses a second key with the same CKA_ID or label, and names missing keys', async () => {
      expectError(await hsm.generateKey({ label: 'other', id: key.id, algorithm: token.profile.algorithm }), HsmErrorCode.KEY_EXISTS);
      expectError(await hsm.generateKey({ label: 'contract-root', algorithm: token.profile.algorithm }), HsmErrorCode.KEY_EXISTS);
      expectError(await hsm.findKey({ label: 'no-such-key' }), HsmErrorCode.KEY_NOT_FOUND);
      expectError(await hsm.sign({ id: Uint8Array.of(0xee) }, message), HsmErrorCode.KEY_NOT_FOUND);
      const other = token.profile.algorithm === 'sm2' ? 'p256' : 'sm2';
      expectError(await hsm.generateKey({ label: 'wrong-algorithm', algorithm: other }), HsmErrorCode.ALGORITHM_UNSUPPORTED);
      expectError(await hsm.generateKey({ label: '', algorithm: token.profile.algorithm }), HsmErrorCode.CONFIG_INVALID);
      expectError(await hsm.generateKey({ label: 'no-id', id: new Uint8Array(0), algorithm: token.profile.algorithm }), HsmErrorCode.CONFIG_INVALID);
    });

    /** Runs hsm/contractChild.ts: a new process, its own C_Initialize and login, the same token store. */
    async function inChildProcess(pin: string): Promise<{ publicKey?: string; signature?: string; error?: TqError }> {
      const request = { ...optionsFor(token, { pin }), profile: token.profile.name, label: 'contract-root', message: toHex(message) };
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], {
        env: { ...process.env, ...token.env, TQCA_CONTRACT_CHILD: JSON.stringify(request) },
      });
      return JSON.parse(stdout);
    }

    it('keeps keys across processes: a child process finds the key by label and signs', async () => {
      const child = await inChildProcess(token.pin);
      expect(child.publicKey).toBe(toHex(key.publicKey));
      expect(independentlyVerifies(key, message, unwrap(parseHex(child.signature ?? '')))).toBe(true);
    });

    it('runs 500 concurrent signatures through a pool of 8 sessions, every one verifying', async () => {
      const messages = Array.from({ length: 500 }, (_, i) => new TextEncoder().encode(`message ${i}`));
      const results = await Promise.all(messages.map((m) => hsm.sign({ id: key.id }, m)));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const bad = results.filter((r, i) => !independentlyVerifies(key, messages[i], unwrap(r)));
      expect(bad.length).toBe(0);
    });

    it('reconnects after the module was finalized under it, without a restart', async () => {
      const before = unwrap(await hsm.health()).reconnects;
      // Another user of the same library in this process re-initializes it: every session and handle dies.
      const context = ModuleContext.open(token.modulePath);
      context.reinitialize(context.generation);
      context.release();
      const messages = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`after reconnect ${i}`));
      const results = await Promise.all(messages.map((m) => hsm.sign({ label: 'contract-root' }, m)));
      results.forEach((r, i) => expect(independentlyVerifies(key, messages[i], unwrap(r))).toBe(true));
      expect(unwrap(await hsm.health()).reconnects).toBe(before + 1);
    });

    it('reports health: module, token, selected mechanism and a canary signature', async () => {
      const report = unwrap(await hsm.health());
      expect(report.token.label).toBe(token.tokenLabel);
      expect(report.profile).toBe(token.profile.name);
      expect(report.mechanisms.filter((m) => m.selected).length).toBe(1);
      expect(report.canary.latencyMs).toBeGreaterThan(0);
      expect(unwrap(await hsm.findKey({ label: 'tqca-canary' })).algorithm).toBe(token.profile.algorithm);
    });

    it('destroys a key: it can no longer be found or used', async () => {
      const doomed = unwrap(await hsm.generateKey({ label: 'doomed', algorithm: token.profile.algorithm }));
      unwrap(await hsm.sign({ id: doomed.id }, message));
      unwrap(await hsm.destroyKey({ id: doomed.id }));
      expectError(await hsm.findKey({ label: 'doomed' }), HsmErrorCode.KEY_NOT_FOUND);
      expectError(await hsm.sign({ id: doomed.id }, message), HsmErrorCode.KEY_NOT_FOUND);
    });

    it('names the cause of start-up failures: PIN, module, token, mechanism', async () => {
      const open = (overrides: Partial<Pkcs11Options>) => openPkcs11KeyManager(optionsFor(token, overrides));
      // In a fresh process the token itself rejects the PIN; in this one, where the token is
      // already logged in, the layer compares it with the PIN that logged in.
      expect((await inChildProcess(token.pin + '0')).error).toMatchObject({ code: HsmErrorCode.PIN_INCORRECT, details: { ckr: 'CKR_PIN_INCORRECT' } });
      expectError(await open({ pin: token.pin + '0' }), HsmErrorCode.PIN_INCORRECT);
      expectError(await open({ modulePath: '/nonexistent/libpkcs11.so' }), HsmErrorCode.MODULE_NOT_FOUND);
      const noToken = await open({ tokenLabel: 'no-such-token' });
      expectError(noToken, HsmErrorCode.TOKEN_NOT_FOUND);
      expect(noToken.ok || noToken.error.details?.available).toContain(token.tokenLabel);
      const foreign = await open({ profile: token.foreignProfile });
      expectError(foreign, HsmErrorCode.MECHANISM_MISSING);
      expect(foreign.ok || foreign.error.message).toContain(token.foreignProfile.name);
      // The connection that was open all along still works.
      unwrap(await hsm.sign({ id: key.id }, message));
    });

    it('closes gracefully: calls under way finish, calls after close get HSM_CLOSED', async () => {
      const second = unwrap(await openPkcs11KeyManager(optionsFor(token)));
      const inFlight = second.sign({ id: key.id }, message);
      await second.close();
      expect(independentlyVerifies(key, message, unwrap(await inFlight))).toBe(true);
      // A key generation under way (no pooled session to wait for) is reported as made, not lost to a session closed under it.
      const third = unwrap(await openPkcs11KeyManager(optionsFor(token)));
      const generating = third.generateKey({ label: 'made-while-closing', algorithm: token.profile.algorithm });
      await third.close();
      const made = unwrap(await generating);
      expect(unwrap(await hsm.findKey({ id: made.id })).publicKey).toEqual(made.publicKey);
      expectError(await second.sign({ id: key.id }, message), HsmErrorCode.CLOSED);
      unwrap(await hsm.sign({ id: key.id }, message));
    });
  });
}
