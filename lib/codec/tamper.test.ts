/**
 * Any single-byte change to a signed structure fails verification with a typed error.
 * Each run signs a fresh structure with real SM2 keys, then changes one byte to another value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sm2 } from '../crypto/sm2';
import { meaningsOf, type Result } from '../errors';
import { verifyCertificateRecord } from './certificateRecord';
import { CODEC_ERROR_CODES } from './errorCodes';
import { qrCode } from './qrCode';
import { verifyProofOfPossession } from './requestRecord';
import { verifyRevocationList } from './revocationList';
import * as arb from './testArbitraries';
import {
  evenKeyPair,
  example,
  hex,
  issuerKeys,
  rootKeys,
  signCertificate,
  signCertificateRecord,
  signQrCode,
  signRequest,
  signRevocationList,
  userKeys,
} from './testSupport';
import { verifyIssuerCertificate } from './verifyIssuerCertificate';
import { verifyQrCode } from './verifyQrCode';

const RUNS = 100;
const BEFORE_ANY_EXPIRY = new Date('2000-01-01T00:00:00+08:00');
const rootVerifier = sm2.prepareVerifier(rootKeys.publicKey);
const requesters = Array.from({ length: 4 }, () => evenKeyPair());

/** A change of one byte: position as a fraction of the length, and a non-zero XOR mask. */
const oneByteChange = fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }));

function tampered(bytes: Uint8Array, [where, mask]: [number, number]): Uint8Array {
  const out = bytes.slice();
  out[Math.floor(where * bytes.length)] ^= mask;
  return out;
}

/** A verifier reports codec codes, or the crypto layer's when a changed byte lands in a key (KEY_NOT_ON_CURVE). */
const VERIFIER_CODES = [...Object.keys(CODEC_ERROR_CODES), ...Object.keys(meaningsOf('crypto'))];

function expectTypedFailure(result: Result<unknown>): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(VERIFIER_CODES).toContain(result.error.code);
}

describe('single-byte changes fail verification', () => {
  it('issuer certificate', () => {
    fc.assert(
      fc.property(arb.keyData, oneByteChange, (keyData, change) => {
        const cert = signCertificate(keyData);
        expect(verifyIssuerCertificate(cert, rootVerifier, BEFORE_ANY_EXPIRY).ok).toBe(true);
        expectTypedFailure(verifyIssuerCertificate(tampered(cert, change), rootVerifier, BEFORE_ANY_EXPIRY));
      }),
      { numRuns: RUNS },
    );
  });

  it('QR code', () => {
    const at = 1_780_272_000;
    const fields = arb.qrFields.map((f) => ({
      ...f,
      userKey: userKeys.publicKey,
      generationTime: at,
      validitySeconds: 60,
      authorizationExpiry: at + 86_400,
    }));
    fc.assert(
      fc.property(fields, oneByteChange, (f, change) => {
        const bytes = qrCode.encode(signQrCode(f, issuerKeys, userKeys));
        const ctx = {
          rootKey: rootVerifier,
          certificate: hex(example.certificate),
          issuerId: f.issuerId,
          certificateNumber: f.certificateNumber,
          at: new Date(at * 1000),
        };
        expect(verifyQrCode(bytes, ctx).ok).toBe(true);
        expectTypedFailure(verifyQrCode(tampered(bytes, change), ctx));
      }),
      { numRuns: RUNS },
    );
  });

  it('request record A1 (proof of possession)', () => {
    fc.assert(
      fc.property(arb.request, fc.constantFrom(...requesters), oneByteChange, (fields, key, change) => {
        const a1 = signRequest({ ...fields, publicKey: key.publicKey }, key);
        expect(verifyProofOfPossession(a1).ok).toBe(true);
        expectTypedFailure(verifyProofOfPossession(tampered(a1, change)));
      }),
      { numRuns: RUNS },
    );
  });

  it('certificate record A3 (both signatures)', () => {
    fc.assert(
      fc.property(arb.certificateRecordValue, arb.keyData, oneByteChange, (fields, keyData, change) => {
        const inner = signCertificate(keyData);
        const a3 = signCertificateRecord({ ...fields, certificate: { ...keyData, rootSignature: inner.subarray(42) } });
        const root = { rootKeyIndex: fields.rootKeyIndex, publicKey: rootVerifier };
        expect(verifyCertificateRecord(a3, root).ok).toBe(true);
        expectTypedFailure(verifyCertificateRecord(tampered(a3, change), root));
      }),
      { numRuns: RUNS },
    );
  });

  it('revocation list A4', () => {
    fc.assert(
      fc.property(arb.revocation, oneByteChange, (fields, change) => {
        const a4 = signRevocationList(fields);
        const root = { rootKeyIndex: fields.rootKeyIndex, publicKey: rootVerifier };
        expect(verifyRevocationList(a4, root).ok).toBe(true);
        expectTypedFailure(verifyRevocationList(tampered(a4, change), root));
      }),
      { numRuns: RUNS },
    );
  });
});
