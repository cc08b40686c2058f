/**
 * End to end: a root key generated inside the SM2 software token signs the worked example's
 * issuer key (TQ-CERT-1 §6: expiry 1227, serial 000001) into a 106-byte certificate built with
 * lib/codec, and `tqca cert verify` (a separate process, terminal rules) accepts it under that
 * root and refuses it under any other.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHex, toHex } from '../lib/bytes';
import { issuerCertificate, issuerKeyData, type IssuerKeyData } from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { unwrap } from '../lib/errors';
import example from '../test/support/vectors/tq-cert-1-example.json';
import { optionsFor } from './contract';
import type { KeyInfo, KeyManager } from './keyManager';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { softToken, type TokenUnderTest } from './testTokens';

const hex = (text: string) => unwrap(parseHex(text));

async function tqcaCertVerify(root: Uint8Array, certificate: Uint8Array): Promise<{ exitCode: number; json: { valid: boolean; error?: { code: string } } }> {
  const args = ['--no-install', 'tqca', 'cert', 'verify', '--root', toHex(root), '--at', '2026-06-01T00:00:00Z', toHex(certificate)];
  try {
    const { stdout } = await promisify(execFile)('npx', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    return { exitCode: 0, json: JSON.parse(stdout) };
  } catch (e) {
    const failed = e as { code: number; stdout: string };
    return { exitCode: failed.code, json: JSON.parse(failed.stdout) };
  }
}

describe('an issuer certificate signed by a root key inside the software token', () => {
  let token: TokenUnderTest;
  let hsm: KeyManager;
  let root: KeyInfo;
  const keyData: IssuerKeyData = {
    expiry: { year: 2027, month: 12 },
    serial: 1,
    publicKey: unwrap(sm2.publicKeyFromBytes(hex(example.issuer.x + example.issuer.y))),
  };

  beforeAll(async () => {
    token = softToken('softtoken');
    hsm = unwrap(await openPkcs11KeyManager(optionsFor(token)));
    root = unwrap(await hsm.generateKey({ label: 'root-01', algorithm: 'sm2' }));
  });

  afterAll(async () => {
    await hsm?.close();
    token?.dispose();
  });

  it('M_cert is 14 1227 000001 04 00 11 40 ‖ X ‖ Y, as in the worked example', () => {
    expect(toHex(issuerKeyData.encode(keyData))).toBe(example.m_cert);
  });

  it('tqca cert verify accepts the certificate under the token-held root, and refuses it under another root', async () => {
    const signature = unwrap(await hsm.sign({ label: 'root-01' }, issuerKeyData.encode(keyData)));
    const certificate = issuerCertificate.assemble(keyData, signature);
    expect(certificate.length).toBe(106);
    // Header and X as in the worked example; only the root and its signature differ.
    expect(toHex(certificate.subarray(0, 42))).toBe(example.certificate.slice(0, 84));

    const accepted = await tqcaCertVerify(root.publicKey, certificate);
    expect(accepted).toMatchObject({ exitCode: 0, json: { valid: true } });

    const refused = await tqcaCertVerify(hex(example.root.x + example.root.y), certificate);
    expect(refused).toMatchObject({ exitCode: 1, json: { valid: false, error: { code: 'SIGNATURE_INVALID' } } });
  });
});
