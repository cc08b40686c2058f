/** encode ∘ decode is the identity for every structure, over fast-check arbitraries. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { unwrap, type Result } from '../errors';
import { decodeCompressedNumeric, decodeNumeric, encodeCompressedNumeric, encodeNumeric } from './bcd';
import { certificateRecord } from './certificateRecord';
import { decodeRecord } from './distributionRecord';
import { expiryDay, expiryMonth } from './expiry';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData } from './issuerKeyData';
import { qrCode } from './qrCode';
import { requestRecord } from './requestRecord';
import { revocationList, revocationListLength } from './revocationList';
import { rootKeyRecord } from './rootKeyRecord';
import * as arb from './testArbitraries';

/** Comparable form: keys by their X‖Y bytes, byte arrays as hex. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    if ('point' in value && 'bytes' in value) return toHex((value as { bytes: Uint8Array }).bytes);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function roundTrips<T>(arbitrary: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => Result<T>, length?: number) {
  fc.assert(
    fc.property(arbitrary, (value) => {
      const bytes = encode(value);
      if (length !== undefined) expect(bytes.length).toBe(length);
      const decoded = unwrap(decode(bytes));
      expect(plain(decoded)).toEqual(plain(value));
      expect(toHex(encode(decoded))).toBe(toHex(bytes));
    }),
    { numRuns: 300 },
  );
}

describe('round trips', () => {
  it('BCD n and cn', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), (v) => {
        expect(unwrap(decodeNumeric(encodeNumeric(v, 3, 'n6'), 'n6'))).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,20}$/), (digits) => {
        expect(unwrap(decodeCompressedNumeric(encodeCompressedNumeric(digits, 10, 'cn20'), 'cn20'))).toBe(digits);
      }),
    );
  });

  it('expiry MMYY and YYMMDD', () => {
    roundTrips(arb.calendarMonth, (v) => expiryMonth.encode(v), (b) => expiryMonth.decode(b), 2);
    roundTrips(arb.calendarDay, (v) => expiryDay.encode(v), (b) => expiryDay.decode(b), 3);
  });

  it('issuer key data (Table 3)', () => roundTrips(arb.keyData, issuerKeyData.encode, issuerKeyData.decode, 74));
  it('issuer certificate (Table 4)', () => roundTrips(arb.certificate, issuerCertificate.encode, issuerCertificate.decode, 106));
  it('QR code (Table 1)', () => roundTrips(arb.qr, qrCode.encode, qrCode.decode, 226));
  it('request record A1', () => roundTrips(arb.request, requestRecord.encode, requestRecord.decode, 161));
  it('certificate record A3', () => roundTrips(arb.certificateRecordValue, certificateRecord.encode, certificateRecord.decode, 184));

  it('root-key record A2 (check value computed on encode)', () => {
    roundTrips(
      arb.rootKey,
      rootKeyRecord.encode,
      (b) => {
        const decoded = rootKeyRecord.decode(b);
        if (!decoded.ok) return decoded;
        expect(toHex(decoded.value.checkValue)).toBe(toHex(rootKeyRecord.checkValue(decoded.value)));
        const { checkValue: _, ...fields } = decoded.value;
        return { ok: true, value: fields };
      },
      109,
    );
  });

  it('revocation list A4', () => {
    fc.assert(
      fc.property(arb.revocation, (value) => {
        const bytes = revocationList.encode(value);
        expect(bytes.length).toBe(revocationListLength(value.entries.length));
        expect(plain(unwrap(revocationList.decode(bytes)))).toEqual(plain(value));
      }),
      { numRuns: 300 },
    );
  });

  it('decodeRecord dispatches on the tag', () => {
    fc.assert(
      fc.property(arb.request, arb.rootKey, arb.certificateRecordValue, arb.revocation, (a1, a2, a3, a4) => {
        expect(unwrap(decodeRecord(requestRecord.encode(a1))).kind).toBe('request');
        expect(unwrap(decodeRecord(rootKeyRecord.encode(a2))).kind).toBe('rootKey');
        expect(unwrap(decodeRecord(certificateRecord.encode(a3))).kind).toBe('certificate');
        const list = unwrap(decodeRecord(revocationList.encode(a4)));
        expect(list.kind === 'revocationList' && list.record.entries.length).toBe(a4.entries.length);
      }),
      { numRuns: 50 },
    );
  });
});
