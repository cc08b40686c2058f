/**
 * `tqca cert decode|verify` through the real binary: the worked example (TQ-CERT-1 §6) and a
 * variant for every way the profile rejects a certificate. Structural variants are re-signed
 * with the example's root d, so the only fault in each is the one under test.
 */
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, concat, toHex } from '../bytes';
import { example, hex, rootKeys } from '../codec/testSupport';
import { sm2 } from '../crypto/sm2';
import { runTqca } from './testSupport';

const certificate = hex(example.certificate);
const header = certificate.slice(0, 10);
const x = certificate.slice(10, 42);
const evenY = hex(example.issuer.y);
const oddY = bigintToBytes(sm2.params.p - bytesToBigint(evenY), 32);
const rootKey = example.root.x + example.root.y;
const issuerKey = example.issuer.x + example.issuer.y;

/** A certificate with this header, X and signed Y, validly signed by the example root (with `id` if given). */
function signed(headerBytes: Uint8Array, options: { y?: Uint8Array; id?: string; keyX?: Uint8Array } = {}): Uint8Array {
  const keyX = options.keyX ?? x;
  const message = concat(headerBytes, keyX, options.y ?? evenY);
  const id = options.id === undefined ? undefined : new TextEncoder().encode(options.id);
  return concat(headerBytes, keyX, sm2.sign(message, rootKeys.d, { id }));
}

function withHeader(offset: number, ...bytes: number[]): Uint8Array {
  const h = header.slice();
  h.set(bytes, offset);
  return signed(h);
}

/** The smallest X for which no curve point exists. */
function xOffCurve(): Uint8Array {
  for (let v = 1n; ; v++) {
    const candidate = bigintToBytes(v, 32);
    if (!sm2.publicKeyFromX(candidate).ok) return candidate;
  }
}

const verify = (cert: Uint8Array | string, at = '2026-06-01') =>
  runTqca(['cert', 'verify', '--root', rootKey, '--at', at, typeof cert === 'string' ? cert : toHex(cert)]);

describe.concurrent('tqca cert verify: the worked example', () => {
  it('is valid at 2026-06-01 and reports every field', async () => {
    const run = await verify(example.certificate);
    expect(run.exitCode).toBe(0);
    expect(run.json).toEqual({
      valid: true,
      at: '2026-06-01T00:00:00.000Z',
      certificate: {
        format: '14',
        expiry: { month: 12, year: 2027, validThrough: '2027-12-31T15:59:59.999Z' },
        serial: '000001',
        signatureAlgorithm: '04',
        encryptionAlgorithm: '00',
        curve: '11',
        keyLength: 64,
        issuerKey: { x: example.issuer.x, y: example.issuer.y },
        rootSignature: { r: example.certificate.slice(84, 148), s: example.certificate.slice(148) },
        signedData: example.m_cert,
      },
    });
    expect(run.stderr).toBe('');
  });

  it('is valid through the last millisecond of December 2027 CST and expired after it', async () => {
    const last = await verify(example.certificate, '2027-12-31T23:59:59.999+08:00');
    expect(last.exitCode).toBe(0);
    const after = await verify(example.certificate, '2028-01-01T00:00:00+08:00');
    expect(after.exitCode).toBe(1);
    expect(after.json).toMatchObject({
      valid: false,
      at: '2027-12-31T16:00:00.000Z',
      error: { code: 'CERT_EXPIRED', field: 'expiry', offset: 1 },
      certificate: { serial: '000001' },
    });
  });

  it('checks expiry against now when --at is absent', async () => {
    const run = await runTqca(['cert', 'verify', '--root', rootKey, example.certificate]);
    const now = Date.now();
    // The example expires at the end of 2027: the verdict follows the clock this test runs under.
    expect(run.exitCode).toBe(now <= Date.parse('2027-12-31T15:59:59.999Z') ? 0 : 1);
    expect(Math.abs(Date.parse(run.json.at) - now)).toBeLessThan(10 * 60_000);
  });
});

describe.concurrent('tqca cert verify: certificates the profile rejects', () => {
  const serialZero = header.slice();
  serialZero.set([0, 0, 0], 3);
  it.each([
    ['format byte 15', 'CERT_FORMAT', 'format', 0, withHeader(0, 0x15)],
    ['BCD expiry 1A27', 'BCD_INVALID', 'expiry', 1, withHeader(1, 0x1a)],
    ['month 13', 'MONTH_INVALID', 'expiry', 1, withHeader(1, 0x13)],
    ['month 00', 'MONTH_INVALID', 'expiry', 1, withHeader(1, 0x00)],
    ['serial 000000', 'SERIAL_ZERO', 'serial', 3, signed(serialZero)],
    ['signature algorithm 80 (EMV SM2)', 'SIGNATURE_ALGORITHM', 'signatureAlgorithm', 6, withHeader(6, 0x80)],
    ['encryption algorithm 04', 'ENCRYPTION_ALGORITHM', 'encryptionAlgorithm', 7, withHeader(7, 0x04)],
    ['curve 01 (P-256)', 'CURVE_UNSUPPORTED', 'curve', 8, withHeader(8, 0x01)],
    ['curve 02 (P-521)', 'CURVE_UNSUPPORTED', 'curve', 8, withHeader(8, 0x02)],
    ['key length 21 (33-byte key)', 'KEY_LENGTH_BYTE', 'keyLength', 9, withHeader(9, 0x21)],
    ['key length 20 (X only)', 'KEY_LENGTH_BYTE', 'keyLength', 9, withHeader(9, 0x20)],
    ['X with no curve point', 'KEY_NOT_ON_CURVE', 'issuerKeyX', 10, concat(header, xOffCurve(), certificate.subarray(42))],
    ['X ≥ p', 'KEY_COORDINATE_RANGE', 'issuerKeyX', 10, concat(header, new Uint8Array(32).fill(0xff), certificate.subarray(42))],
    ['105 bytes', 'LENGTH_INVALID', 'issuerCertificate', 105, certificate.subarray(0, 105)],
    ['107 bytes', 'LENGTH_INVALID', 'issuerCertificate', 106, concat(certificate, Uint8Array.of(0))],
    ['signed over odd Y', 'SIGNATURE_INVALID', 'rootSignature', 42, signed(header, { y: oddY })],
    ['signed with signer ID ALICE123@YAHOO.COM', 'SIGNATURE_INVALID', 'rootSignature', 42, signed(header, { id: 'ALICE123@YAHOO.COM' })],
    ['a flipped signature bit', 'SIGNATURE_INVALID', 'rootSignature', 42, concat(certificate.subarray(0, 105), Uint8Array.of(certificate[105] ^ 1))],
  ] as const)('%s → %s', async (_, code, field, offset, cert) => {
    const run = await verify(cert);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code, field, offset } });
    expect(typeof run.json.error.message).toBe('string');
  });

  it('the odd-Y and other-ID variants carry signatures that do verify for what was signed', () => {
    // Guards the two cases above: their signatures are valid, only over the wrong Y or with the wrong ID.
    const root = rootKeys.publicKey;
    const odd = signed(header, { y: oddY });
    expect(sm2.verify(concat(header, x, oddY), odd.subarray(42), root)).toBe(true);
    const alice = signed(header, { id: 'ALICE123@YAHOO.COM' });
    expect(sm2.verify(concat(header, x, evenY), alice.subarray(42), root, new TextEncoder().encode('ALICE123@YAHOO.COM'))).toBe(true);
  });

  it('a structurally valid certificate under another root is SIGNATURE_INVALID', async () => {
    const run = await runTqca(['cert', 'verify', '--root', issuerKey, '--at', '2026-06-01', example.certificate]);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code: 'SIGNATURE_INVALID' }, certificate: { serial: '000001' } });
  });
});

describe.concurrent('tqca cert decode', () => {
  it('decodes the example without a root key', async () => {
    const run = await runTqca(['cert', 'decode', example.certificate]);
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ valid: true, certificate: { issuerKey: { y: example.issuer.y }, signedData: example.m_cert } });
    expect(run.json.at).toBeUndefined();
  });

  it('decodes a certificate whose signature is wrong (decode does not verify)', async () => {
    const run = await runTqca(['cert', 'decode', toHex(signed(header, { y: oddY }))]);
    expect(run.exitCode).toBe(0);
  });

  it('reports the first bad field', async () => {
    const run = await runTqca(['cert', 'decode', toHex(withHeader(8, 0x01))]);
    expect(run.exitCode).toBe(1);
    expect(run.json).toEqual({
      valid: false,
      error: {
        code: 'CURVE_UNSUPPORTED',
        message: expect.stringContaining('P-256'),
        field: 'curve',
        offset: 8,
        details: { curve: '01' },
      },
    });
  });
});
