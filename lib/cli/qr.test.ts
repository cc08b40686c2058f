/**
 * `tqca qr decode|verify` through the real binary: the worked example (TQ-CERT-1 §7) at its
 * generation time, and a variant for each check. Variants are re-signed with the example's
 * issuer and user d (bytes 8–89, then bytes 0–160), so the only fault in each is the one under test.
 */
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes';
import { example, hex, issuerKeys, userKeys } from '../codec/testSupport';
import { sm2 } from '../crypto/sm2';
import { runTqca } from './testSupport';

const qr = hex(example.qr);
const rootKey = example.root.x + example.root.y;
const generatedAt = Date.parse(example.qr_generated_at);
const iso = (ms: number) => new Date(ms).toISOString();

/** The example with `bytes` written at `offset`, both signatures made afresh over the result. */
function resigned(offset: number, ...bytes: number[]): Uint8Array {
  const q = qr.slice();
  q.set(bytes, offset);
  q.set(sm2.sign(q.subarray(8, 90), issuerKeys.d), 91);
  q.set(sm2.sign(q.subarray(0, 161), userKeys.d), 162);
  return q;
}

/** The example with `bytes` written at `offset` and the signatures left as they were. */
function patched(offset: number, ...bytes: number[]): Uint8Array {
  const q = qr.slice();
  q.set(bytes, offset);
  return q;
}

interface VerifyArgs {
  qr?: Uint8Array | string;
  at?: string;
  cert?: string;
  root?: string;
  issuer?: string;
  number?: string;
}

function verify(args: VerifyArgs = {}) {
  const code = args.qr ?? example.qr;
  return runTqca([
    'qr',
    'verify',
    '--root',
    args.root ?? rootKey,
    '--cert',
    args.cert ?? example.certificate,
    '--issuer',
    args.issuer ?? example.issuer.issuer_id,
    '--number',
    args.number ?? example.issuer.certificate_number,
    '--at',
    args.at ?? example.qr_generated_at,
    typeof code === 'string' ? code : toHex(code),
  ]);
}

describe.concurrent('tqca qr verify: the worked example', () => {
  it('is valid at its generation time and reports every field', async () => {
    const run = await verify();
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({
      valid: true,
      at: '2026-06-01T00:00:00.000Z',
      qr: {
        version: '80',
        type: 'metro',
        mode: 'online',
        certificateNumber: '00000001',
        paymentAccount: 'PA00000000000001',
        issuerId: '00001001',
        platformId: '00002001',
        cardNumber: '31040000000000000001',
        cardType: 1,
        transactionLimitFen: 2000,
        batch: 1,
        userKey: { x: toHex(userKeys.publicKey.bytes.subarray(0, 32)), y: toHex(userKeys.publicKey.bytes.subarray(32)) },
        authorizationExpiry: '2026-06-30T16:00:00.000Z',
        validitySeconds: 60,
        issuerSignature: { r: example.qr.slice(182, 246), s: example.qr.slice(246, 310) },
        generationTime: '2026-06-01T00:00:00.000Z',
        userSignature: { r: example.qr.slice(324, 388), s: example.qr.slice(388) },
        signedData: { issuer: example.qr.slice(16, 180), user: example.qr.slice(0, 322) },
      },
      certificate: { serial: '000001', issuerKey: { y: example.issuer.y } },
    });
  });

  it('is valid through generation + validity + 30 s skew and from generation − 30 s', async () => {
    expect((await verify({ at: iso(generatedAt + 90_000) })).exitCode).toBe(0);
    expect((await verify({ at: iso(generatedAt - 30_000) })).exitCode).toBe(0);
  });
});

describe.concurrent('tqca qr verify: codes the profile rejects', () => {
  it.each([
    // Check 1: structure.
    ['version 81', 'QR_VERSION', 'version', 0, resigned(0, 0x81)],
    ['type 0004 (JT04)', 'QR_TYPE', 'type', 1, resigned(1, 0x00, 0x04)],
    ['type not BCD', 'BCD_INVALID', 'type', 2, resigned(1, 0x00, 0x0a)],
    ['mode 02', 'QR_MODE', 'mode', 3, resigned(3, 0x02)],
    ['certificate number 00000000', 'CERT_NUMBER_RANGE', 'certificateNumber', 4, resigned(4, 0, 0, 0, 0)],
    ['issuer auth length 0092', 'AUTH_LENGTH', 'issuerAuthLength', 8, resigned(8, 0x00, 0x92)],
    ['payment account with a control byte', 'ANS_INVALID', 'paymentAccount', 12, resigned(12, 0x07)],
    ['card number not cn', 'BCD_INVALID', 'cardNumber', 35, resigned(35, 0xa4)],
    ['transaction limit not BCD (binary 0x0007d0)', 'BCD_INVALID', 'transactionLimit', 47, resigned(45, 0x00, 0x07, 0xd0)],
    ['user key prefix 04', 'KEY_PREFIX', 'userKey', 51, resigned(51, 0x04)],
    ['issuer signature format 16', 'SIGNATURE_FORMAT', 'issuerSignature', 90, resigned(90, 0x16)],
    ['user auth length 0046', 'AUTH_LENGTH', 'userAuthLength', 155, resigned(155, 0x00, 0x46)],
    ['user signature format 04', 'SIGNATURE_FORMAT', 'userSignature', 161, resigned(161, 0x04)],
    ['225 bytes', 'LENGTH_INVALID', 'qrCode', 225, qr.subarray(0, 225)],
    // Checks 4 and 5: signatures.
    ['platform id changed after signing', 'SIGNATURE_INVALID', 'issuerSignature', 90, patched(30, 0, 0, 0x20, 0x02)],
    ['batch changed after signing', 'SIGNATURE_INVALID', 'issuerSignature', 90, patched(50, 0x02)],
    ['generation time changed after signing', 'SIGNATURE_INVALID', 'userSignature', 161, patched(160, 0x81)],
    ['version bytes are user-signed too (type changed)', 'SIGNATURE_INVALID', 'userSignature', 161, patched(2, 0x00)],
    // Check 6: validity 1–300 s.
    ['validity 0 s', 'QR_VALIDITY_RANGE', 'validitySeconds', 88, resigned(88, 0x00, 0x00)],
    ['validity 301 s', 'QR_VALIDITY_RANGE', 'validitySeconds', 88, resigned(88, 0x01, 0x2d)],
  ] as const)('%s → %s', async (_, code, field, offset, bytes) => {
    const run = await verify({ qr: bytes });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code, field, offset } });
  });

  it.each([
    ['another issuer id', { issuer: '00001002' }, 'ISSUER_MISMATCH', 'issuerId'],
    ['another certificate number', { number: '00000002' }, 'CERT_UNKNOWN', 'certificateNumber'],
    ['another root key', { root: example.issuer.x + example.issuer.y }, 'SIGNATURE_INVALID', 'certificate.rootSignature'],
    ['a certificate with format byte 15', { cert: `15${example.certificate.slice(2)}` }, 'CERT_FORMAT', 'certificate.format'],
    ['a certificate expired at --at', { at: '2028-01-01T00:00:00+08:00' }, 'CERT_EXPIRED', 'certificate.expiry'],
    ['past the authorization expiry', { at: '2026-07-01T00:00:01+08:00' }, 'QR_AUTHORIZATION_EXPIRED', 'authorizationExpiry'],
    ['more than validity + skew after generation', { at: iso(generatedAt + 91_000) }, 'QR_EXPIRED', 'generationTime'],
    ['more than the skew before generation', { at: iso(generatedAt - 31_000) }, 'QR_NOT_YET_VALID', 'generationTime'],
  ] as const)('%s → %s', async (_, args, code, field) => {
    const run = await verify(args);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code, field }, qr: { certificateNumber: '00000001' } });
  });

  it.each([
    ['--issuer of 6 hex digits', { issuer: '001001' }, 'issuer', 'INPUT_LENGTH'],
    ['--number not hex', { number: '0000000x' }, 'number', 'HEX_INVALID'],
    ['--cert not hex', { cert: 'zz' }, 'cert', 'HEX_INVALID'],
  ] as const)('%s is a usage error', async (_, args, field, cause) => {
    const run = await verify(args);
    expect(run.exitCode).toBe(2);
    expect(run.json.error).toMatchObject({ code: 'USAGE', field, details: { cause: { code: cause } } });
  });

  it('requires every option', async () => {
    const run = await runTqca(['qr', 'verify', '--root', rootKey, '--cert', example.certificate, '--number', '00000001', example.qr]);
    expect(run.exitCode).toBe(2);
    expect(run.json.error).toMatchObject({ code: 'USAGE', field: 'issuer', message: 'missing option --issuer <8 hex>' });
  });
});

describe.concurrent('tqca qr decode', () => {
  it('decodes the example without keys or time', async () => {
    const run = await runTqca(['qr', 'decode', example.qr]);
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ valid: true, qr: { type: 'metro', generationTime: '2026-06-01T00:00:00.000Z' } });
  });

  it('reads the QR from stdin and reports the first bad field', async () => {
    const run = await runTqca(['qr', 'decode', '-'], { stdin: concat(Uint8Array.of(0x81), qr.subarray(1)) });
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code: 'QR_VERSION', field: 'version', offset: 0 } });
  });
});
