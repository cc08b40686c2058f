/** §7 terminal checks 1–8, each failing on its own, and in Figure 7 order when several fail. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { sm2, type PreparedVerifier } from '../crypto/sm2';
import { unwrap } from '../errors';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData } from './issuerKeyData';
import { qrCode, type QrCode, type QrCodeFields } from './qrCode';
import {
  EXAMPLE_CERTIFICATE_NUMBER,
  EXAMPLE_ISSUER_ID,
  evenKeyPair,
  example,
  exampleQrFields,
  expectError,
  hex,
  issuerKeys,
  type KeyPair,
  patch,
  rootKeys,
  signCertificate,
  signQrCode,
  userKeys,
} from './testSupport';
import { verifyIssuerCertificate } from './verifyIssuerCertificate';
import { verifyQrCode, type QrVerificationInput, type ReplayMemory } from './verifyQrCode';

const generation = 1_780_272_000; // 2026-06-01T00:00:00Z
const atSecond = (s: number) => new Date(s * 1000);
const context = (overrides: Partial<QrVerificationInput> = {}): QrVerificationInput => ({
  rootKey: sm2.prepareVerifier(rootKeys.publicKey),
  certificate: hex(example.certificate),
  issuerId: EXAMPLE_ISSUER_ID,
  certificateNumber: EXAMPLE_CERTIFICATE_NUMBER,
  at: atSecond(generation),
  ...overrides,
});
const signed = (changes: Partial<QrCodeFields> = {}): QrCode => signQrCode({ ...exampleQrFields(), ...changes }, issuerKeys, userKeys);

/** The terminal's memory, as a test keeps it: a Map from field 19 to its expiry. */
class MapReplayMemory implements ReplayMemory {
  readonly accepted = new Map<string, Date>();
  seen(key: Uint8Array, until: Date): boolean {
    const k = toHex(key);
    if (this.accepted.has(k)) return true;
    this.accepted.set(k, until);
    return false;
  }
}

describe('verifyQrCode', () => {
  it('accepts a freshly signed code, as bytes and as a decoded value', () => {
    const qr = signed();
    expect(verifyQrCode(qrCode.encode(qr), context()).ok).toBe(true);
    expect(verifyQrCode(qr, context()).ok).toBe(true);
  });

  it('1: structure', () => expectError(verifyQrCode(hex(example.qr).subarray(1), context()), 'LENGTH_INVALID', 'qrCode', 225));

  it('2: a certificate number the terminal does not hold', () => {
    expectError(verifyQrCode(signed({ certificateNumber: 2 }), context()), 'CERT_UNKNOWN', 'certificateNumber', 4);
  });

  it('2: a held certificate that does not verify under the root', () => {
    expectError(verifyQrCode(signed(), context({ rootKey: evenKeyPair().publicKey })), 'SIGNATURE_INVALID', 'certificate.rootSignature', 42);
    expectError(verifyQrCode(signed(), context({ certificate: patch(hex(example.certificate), 0, '12') })), 'CERT_FORMAT', 'certificate.format', 0);
  });

  it('3: revoked certificate', () => {
    expectError(verifyQrCode(signed(), context({ revokedNumbers: new Set([1]) })), 'CERT_REVOKED', 'certificateNumber', 4);
    expect(verifyQrCode(signed(), context({ revokedNumbers: new Set([2]) })).ok).toBe(true);
  });

  it('3: expired certificate (after December 2027 CST)', () => {
    const later = Date.parse('2028-01-01T00:00:00+08:00') / 1000;
    const qr = signed({ generationTime: later, authorizationExpiry: later + 3600 });
    expectError(verifyQrCode(qr, context({ at: atSecond(later) })), 'CERT_EXPIRED', 'certificate.expiry', 1);
  });

  it('3: issuer id not the certificate record’s', () => {
    expectError(verifyQrCode(signed({ issuerId: 0x1002 }), context()), 'ISSUER_MISMATCH', 'issuerId', 26);
  });

  it('4: issuer signature by a key other than the certified one', () => {
    const qr = signQrCode(exampleQrFields(), evenKeyPair(), userKeys);
    expectError(verifyQrCode(qr, context()), 'SIGNATURE_INVALID', 'issuerSignature', 90);
  });

  it('5: user signature by a key other than field 13', () => {
    const qr = signQrCode(exampleQrFields(), issuerKeys, evenKeyPair());
    expectError(verifyQrCode(qr, context()), 'SIGNATURE_INVALID', 'userSignature', 161);
  });

  it('5: the user signature covers the header (bytes 0–7)', () => {
    const qr = signed();
    // Field 2 is outside the issuer input but inside the user input.
    expectError(verifyQrCode({ ...qr, type: 'bus' }, context()), 'SIGNATURE_INVALID', 'userSignature', 161);
  });

  it('6: validity outside 1–300 s', () => {
    expectError(verifyQrCode(signed({ validitySeconds: 0 }), context()), 'QR_VALIDITY_RANGE', 'validitySeconds', 88);
    expectError(verifyQrCode(signed({ validitySeconds: 301 }), context()), 'QR_VALIDITY_RANGE', 'validitySeconds', 88);
    expect(verifyQrCode(signed({ validitySeconds: 300 }), context()).ok).toBe(true);
  });

  it('6: authorization expiry passed', () => {
    const qr = signed({ authorizationExpiry: generation - 1 });
    expectError(verifyQrCode(qr, context()), 'QR_AUTHORIZATION_EXPIRED', 'authorizationExpiry', 84);
    expect(verifyQrCode(signed({ authorizationExpiry: generation }), context()).ok).toBe(true);
  });

  it('6: generation time in the future beyond the skew', () => {
    const qr = signed({ generationTime: generation + 31 });
    expectError(verifyQrCode(qr, context()), 'QR_NOT_YET_VALID', 'generationTime', 157);
    expect(verifyQrCode(signed({ generationTime: generation + 30 }), context()).ok).toBe(true);
    expect(verifyQrCode(qr, context({ skewSeconds: 31 })).ok).toBe(true);
  });

  it('6: older than validity + skew, with the skew a terminal parameter', () => {
    const qr = signed();
    expect(verifyQrCode(qr, context({ at: atSecond(generation + 62), skewSeconds: 2 })).ok).toBe(true);
    expectError(verifyQrCode(qr, context({ at: atSecond(generation + 63), skewSeconds: 2 })), 'QR_EXPIRED', 'generationTime', 157);
  });

  it('7: fare above the per-transaction limit', () => {
    expectError(verifyQrCode(signed(), context({ fare: 2001 })), 'FARE_OVER_LIMIT', 'transactionLimit', 45);
    expect(verifyQrCode(signed(), context({ fare: 2000 })).ok).toBe(true);
  });

  it('8: a code accepted once is refused within its validity', () => {
    const memory = new MapReplayMemory();
    const qr = signed();
    expect(verifyQrCode(qr, context({ replay: memory })).ok).toBe(true);
    expectError(verifyQrCode(qr, context({ replay: memory, at: atSecond(generation + 10) })), 'QR_REPLAYED', 'userSignature', 161);
    const [until] = memory.accepted.values();
    expect(until.getTime()).toBe((generation + 60 + 30) * 1000);
    // Rejected codes are not remembered: only check 8 records.
    expect(verifyQrCode(signed({ certificateNumber: 2 }), context({ replay: memory })).ok).toBe(false);
    expect(memory.accepted.size).toBe(1);
  });

  it('a certificate verified at load is not re-verified per scan under the same root (§2), and is under another', () => {
    const prepared = sm2.prepareVerifier(rootKeys.publicKey);
    let rootVerifications = 0;
    const counting: PreparedVerifier = { ...prepared, verify: (...args) => (rootVerifications++, prepared.verify(...args)) };
    const loaded = unwrap(verifyIssuerCertificate(hex(example.certificate), counting, atSecond(generation)));
    expect(rootVerifications).toBe(1);
    expect(verifyQrCode(signed(), context({ rootKey: counting, certificate: loaded })).ok).toBe(true);
    expect(verifyQrCode(signed(), context({ rootKey: rootKeys.publicKey, certificate: loaded })).ok).toBe(true);
    expect(rootVerifications).toBe(1);
    expectError(verifyQrCode(signed(), context({ rootKey: evenKeyPair().publicKey, certificate: loaded })), 'SIGNATURE_INVALID', 'certificate.rootSignature', 42);
    // A look-alike built by hand is verified like any other certificate.
    const foreign = unwrap(issuerCertificate.decode(signCertificate(unwrap(issuerKeyData.decode(hex(example.m_cert))), evenKeyPair())));
    const lookAlike = { certificate: foreign, issuerKey: foreign.publicKey };
    expectError(verifyQrCode(signed(), context({ certificate: lookAlike })), 'SIGNATURE_INVALID', 'certificate.rootSignature', 42);
    expect(Object.isFrozen(loaded) && Object.isFrozen(loaded.certificate)).toBe(true);
  });

  it('uses a prepared issuer verifier only when it is for the certificate key', () => {
    const count = { issuer: 0, other: 0 };
    const countingFor = (key: KeyPair, counter: 'issuer' | 'other'): PreparedVerifier => {
      const prepared = sm2.prepareVerifier(key.publicKey);
      return { ...prepared, verify: (...args) => (count[counter]++, prepared.verify(...args)) };
    };
    const forIssuer = countingFor(issuerKeys, 'issuer');
    const forOther = countingFor(evenKeyPair(), 'other');
    expect(verifyQrCode(signed(), context({ issuerVerifier: forIssuer })).ok).toBe(true);
    expect(verifyQrCode(signed(), context({ issuerVerifier: forOther })).ok).toBe(true);
    expectError(
      verifyQrCode(signQrCode(exampleQrFields(), evenKeyPair(), userKeys), context({ issuerVerifier: forIssuer })),
      'SIGNATURE_INVALID',
      'issuerSignature',
      90,
    );
    expect(count).toEqual({ issuer: 2, other: 0 });
  });

  it('refuses an invalid time, skew or fare instead of passing every comparison', () => {
    const qr = signed();
    const invalid = (overrides: Partial<QrVerificationInput>) => {
      const result = verifyQrCode(qr, context(overrides));
      return result.ok ? 'ok' : [result.error.code, result.error.field];
    };
    expect(invalid({ at: new Date(NaN) })).toEqual(['TIME_INVALID', 'at']);
    expect(invalid({ skewSeconds: NaN })).toEqual(['VALUE_RANGE', 'skewSeconds']);
    expect(invalid({ skewSeconds: -1 })).toEqual(['VALUE_RANGE', 'skewSeconds']);
    expect(invalid({ fare: NaN })).toEqual(['VALUE_RANGE', 'fare']);
    expect(invalid({ fare: 1.5 })).toEqual(['VALUE_RANGE', 'fare']);
  });

  it('runs the checks in Figure 7 order: certificate → issuer signature → user signature → data', () => {
    const expiredAndForged = signQrCode({ ...exampleQrFields(), validitySeconds: 0 }, evenKeyPair(), evenKeyPair());
    expectError(verifyQrCode(expiredAndForged, context({ revokedNumbers: new Set([1]) })), 'CERT_REVOKED', 'certificateNumber', 4);
    expectError(verifyQrCode(expiredAndForged, context()), 'SIGNATURE_INVALID', 'issuerSignature', 90);
    const userForgedAndLate = signQrCode(exampleQrFields(), issuerKeys, evenKeyPair());
    expectError(verifyQrCode(userForgedAndLate, context({ at: atSecond(generation + 3600) })), 'SIGNATURE_INVALID', 'userSignature', 161);
  });
});
