/** fast-check arbitraries for every typed TQ-CERT-1 value (tests only). */
import fc from 'fast-check';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import type { CalendarDay, CalendarMonth } from './expiry';
import type { IssuerCertificate } from './issuerCertificate';
import type { IssuerKeyData } from './issuerKeyData';
import { QR_MODES, QR_TYPES, type QrCode, type QrCodeFields } from './qrCode';
import type { RequestRecord } from './requestRecord';
import { REVOCATION_REASONS, type RevocationEntry, type RevocationList } from './revocationList';
import type { RootKeyRecordFields } from './rootKeyRecord';
import type { CertificateRecord } from './certificateRecord';
import { evenKeyPair } from './testSupport';

// Key generation costs a scalar multiplication; a small pool keeps properties fast.
const anyKeys: Sm2PublicKey[] = Array.from({ length: 16 }, () => sm2.publicKeyFromPrivate(sm2.generatePrivateKey()));
const evenKeys: Sm2PublicKey[] = Array.from({ length: 8 }, () => evenKeyPair().publicKey);

export const anyKey = fc.constantFrom(...anyKeys);
export const evenKey = fc.constantFrom(...evenKeys);
export const uint = (bytes: 1 | 2 | 3 | 4) => fc.integer({ min: 0, max: 2 ** (8 * bytes) - 1 });
export const signature = fc.uint8Array({ minLength: 64, maxLength: 64 });
export const serial = fc.integer({ min: 1, max: 0xffffff });
export const certificateNumber = fc.integer({ min: 1, max: 0xfffffffe });
export const rootKeyIndex = fc.integer({ min: 1, max: 0xfe });

export const calendarMonth: fc.Arbitrary<CalendarMonth> = fc.record({
  year: fc.integer({ min: 2000, max: 2049 }),
  month: fc.integer({ min: 1, max: 12 }),
});

export const calendarDay: fc.Arbitrary<CalendarDay> = calendarMonth.chain(({ year, month }) =>
  fc.integer({ min: 1, max: new Date(Date.UTC(year, month, 0)).getUTCDate() }).map((day) => ({ year, month, day })),
);

export const keyData: fc.Arbitrary<IssuerKeyData> = fc.record({ expiry: calendarMonth, serial, publicKey: evenKey });

export const certificate: fc.Arbitrary<IssuerCertificate> = fc.record({
  expiry: calendarMonth,
  serial,
  publicKey: evenKey,
  rootSignature: signature,
});

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

export const qrFields: fc.Arbitrary<QrCodeFields> = fc.record({
  type: fc.constantFrom(...QR_TYPES),
  mode: fc.constantFrom(...QR_MODES),
  certificateNumber,
  // ans is space-padded, so a value with trailing spaces is not representable.
  paymentAccount: fc.string({ unit: printable, maxLength: 16 }).map((s) => s.trimEnd()),
  issuerId: uint(4),
  platformId: uint(4),
  cardNumber: fc.stringMatching(/^[0-9]{1,20}$/),
  cardType: uint(1),
  transactionLimit: fc.integer({ min: 0, max: 999_999 }),
  batch: uint(3),
  userKey: anyKey,
  authorizationExpiry: uint(4),
  validitySeconds: uint(2),
  generationTime: uint(4),
});

export const qr: fc.Arbitrary<QrCode> = fc
  .tuple(qrFields, signature, signature)
  .map(([fields, issuerSignature, userSignature]) => ({ ...fields, issuerSignature, userSignature }));

export const request: fc.Arbitrary<RequestRecord> = fc.record({
  issuerId: uint(4),
  serial,
  expiry: calendarMonth,
  publicKey: evenKey,
  challenge: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  requestTime: uint(4),
  proofOfPossession: signature,
});

export const rootKey: fc.Arbitrary<RootKeyRecordFields> = fc.record({
  clearingCenterId: uint(4),
  rootKeyIndex,
  publicKey: anyKey,
  expiry: calendarDay,
});

export const certificateRecordValue: fc.Arbitrary<CertificateRecord> = fc.record({
  rootKeyIndex,
  certificateNumber,
  issuerId: uint(4),
  certificate,
  issueTime: uint(4),
  rootSignature: signature,
});

const entry: fc.Arbitrary<RevocationEntry> = fc.record({
  certificateNumber,
  issuerId: uint(4),
  serial,
  reason: fc.constantFrom(...REVOCATION_REASONS),
});

export const revocation: fc.Arbitrary<RevocationList> = fc
  .record({
    rootKeyIndex,
    sequenceNumber: uint(4),
    thisUpdate: uint(4),
    span: uint(4),
    entries: fc.uniqueArray(entry, { selector: (e) => e.certificateNumber, maxLength: 20 }),
    rootSignature: signature,
  })
  .map(({ span, thisUpdate, entries, ...rest }) => ({
    ...rest,
    thisUpdate,
    nextUpdate: Math.min(0xffffffff, thisUpdate + span),
    entries: [...entries].sort((a, b) => a.certificateNumber - b.certificateNumber),
  }));
