/**
 * The QR code, Table 1 (226 bytes, TQ-CERT-1 §7): an 8-byte header and a body that carries
 * the issuer-authenticated data (fields 5–16) and the user-authenticated data (fields 17–19).
 *
 * Signature inputs: the issuer signs bytes 8–89 (fields 5–15), the user signs bytes 0–160
 * (fields 1–18). Signature fields are `15`‖r‖s; the `15` is outside its own input.
 * Decoding is canonical (encode ∘ decode is the identity on valid bytes), so the inputs are
 * rebuilt from the typed value.
 */
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { bytesToUint, concat } from '../bytes';
import { Code, err, type Result } from '../errors';
import { decodeCompressedNumeric, decodeNumeric, encodeCompressedNumeric, encodeNumeric } from './bcd';
import { readCertificateNumber, writeCertificateNumber } from './sharedFields';
import { decodeStructure, encodeStructure, fail, FieldWriter, type FieldReader } from './structure';

export const QR_CODE_LENGTH = 226;
export const QR_VERSION = 0x80;
export const ISSUER_AUTH_LENGTH = 0x0091;
export const USER_AUTH_LENGTH = 0x0045;
export const SIGNATURE_FIELD_FORMAT = 0x15;

/** Field offsets (Table 1), for error reports and signature inputs. */
export const QR_OFFSETS = {
  version: 0,
  type: 1,
  mode: 3,
  certificateNumber: 4,
  issuerAuthLength: 8,
  paymentAccount: 10,
  issuerId: 26,
  platformId: 30,
  cardNumber: 34,
  cardType: 44,
  transactionLimit: 45,
  batch: 48,
  userKey: 51,
  authorizationExpiry: 84,
  validitySeconds: 88,
  issuerSignature: 90,
  userAuthLength: 155,
  generationTime: 157,
  userSignature: 161,
} as const;

/** Field 2: BCD of the JT number; JT04–JT99 are reserved. */
export const QR_TYPES = ['bus', 'metro', 'taxi', 'publicBicycle'] as const;
export type QrType = (typeof QR_TYPES)[number];
export const QR_MODES = ['online', 'offline'] as const;
export type QrMode = (typeof QR_MODES)[number];

/** Fields 1–15 and 18: everything except the two signatures. */
export interface QrCodeFields {
  readonly type: QrType;
  readonly mode: QrMode;
  readonly certificateNumber: number;
  /** ans16, trailing space padding removed. */
  readonly paymentAccount: string;
  readonly issuerId: number;
  readonly platformId: number;
  /** cn20 digits, trailing F padding removed. */
  readonly cardNumber: string;
  readonly cardType: number;
  /** Per-transaction limit in fen (n6 BCD). */
  readonly transactionLimit: number;
  readonly batch: number;
  /** Field 13, carried as 02/03‖X. */
  readonly userKey: Sm2PublicKey;
  /** Field 14, Unix seconds. */
  readonly authorizationExpiry: number;
  /** Field 15, seconds. */
  readonly validitySeconds: number;
  /** Field 18, Unix seconds. */
  readonly generationTime: number;
}

export interface QrCode extends QrCodeFields {
  /** Field 16 without its `15`: r‖s by the issuer key over bytes 8–89. */
  readonly issuerSignature: Uint8Array;
  /** Field 19 without its `15`: r‖s by the user key over bytes 0–160. */
  readonly userSignature: Uint8Array;
}

const PAYMENT_ACCOUNT_LENGTH = 16;
const ZERO_SIGNATURE = new Uint8Array(64);

function encodeAns(text: string, length: number, field: string): Uint8Array {
  if (typeof text !== 'string' || text.length > length || !/^[\x20-\x7e]*$/.test(text)) {
    fail('ANS_INVALID', `${field} must be at most ${length} printable ASCII characters`, { field, offset: 0 });
  }
  return new TextEncoder().encode(text.padEnd(length, ' '));
}

function readAns(r: FieldReader, field: string, length: number): string {
  const offset = r.offset;
  const bytes = r.raw(length);
  const bad = bytes.findIndex((b) => b < 0x20 || b > 0x7e);
  if (bad >= 0) fail('ANS_INVALID', `${field}: byte ${bad} is not printable ASCII`, { field, offset: offset + bad });
  return String.fromCharCode(...bytes).replace(/ +$/, '');
}

function readSignatureField(r: FieldReader, field: string): Uint8Array {
  r.constant(field, SIGNATURE_FIELD_FORMAT, 'SIGNATURE_FORMAT', `${field} format byte`);
  return r.raw(64);
}

function writeSignatureField(w: FieldWriter, field: string, signature: Uint8Array): void {
  w.byte(SIGNATURE_FIELD_FORMAT).bytes(field, signature, 64, Code.SIGNATURE_LENGTH);
}

/** Fields 5 and 17: fixed lengths of the authenticated data that follows (§7). */
function readAuthLength(r: FieldReader, field: string, expected: number): void {
  const offset = r.offset;
  const actual = r.uint(2);
  if (actual !== expected) {
    const hex4 = (v: number) => v.toString(16).padStart(4, '0');
    fail('AUTH_LENGTH', `${field} must be ${hex4(expected)}, got ${hex4(actual)}`, { field, offset, details: { expected, actual } });
  }
}

/** Field 11 is n6 BCD (§10); public code writes binary, which is reported, never accepted. */
function decodeLimit(bytes: Uint8Array): Result<number> {
  const limit = decodeNumeric(bytes, 'transactionLimit');
  if (limit.ok) return limit;
  const binary = bytesToUint(bytes);
  return err(limit.error.code, `${limit.error.message} (as binary it would read ${binary} fen; field 11 is n6 BCD)`, {
    field: limit.error.field,
    offset: limit.error.offset,
    details: { binaryReading: binary },
  });
}

function enumerated<T>(value: number, values: readonly T[], field: string, offset: number, code: 'QR_TYPE' | 'QR_MODE'): T {
  if (value >= values.length) fail(code, `${field} ${value} is not one of ${values.join(', ')}`, { field, offset, details: { value } });
  return values[value];
}

/** The inverse of `enumerated`, with the same code for a value that is not one of `values`. */
function enumeratedIndex<T>(value: T, values: readonly T[], field: string, offset: number, code: 'QR_TYPE' | 'QR_MODE'): number {
  const index = values.indexOf(value);
  if (index < 0) fail(code, `${field} ${String(value)} is not one of ${values.join(', ')}`, { field, offset, details: { value } });
  return index;
}

function encodeCompressedKey(key: Sm2PublicKey): Uint8Array {
  return concat(Uint8Array.of(key.y & 1n ? 0x03 : 0x02), key.bytes.subarray(0, 32));
}

/** All 226 bytes; every public encoder below goes through here. */
function writeFields(q: QrCodeFields, issuerSignature: Uint8Array, userSignature: Uint8Array): Uint8Array {
  return encodeStructure(() => {
    const w = new FieldWriter('qrCode');
    w.byte(QR_VERSION);
    w.bytes('type', encodeNumeric(enumeratedIndex(q.type, QR_TYPES, 'type', QR_OFFSETS.type, 'QR_TYPE'), 2, 'type'), 2);
    w.uint('mode', enumeratedIndex(q.mode, QR_MODES, 'mode', QR_OFFSETS.mode, 'QR_MODE'), 1);
    writeCertificateNumber(w, q.certificateNumber);
    w.uint('issuerAuthLength', ISSUER_AUTH_LENGTH, 2);
    w.encoded('paymentAccount', () => encodeAns(q.paymentAccount, PAYMENT_ACCOUNT_LENGTH, 'paymentAccount'));
    w.uint('issuerId', q.issuerId, 4).uint('platformId', q.platformId, 4);
    w.encoded('cardNumber', () => encodeCompressedNumeric(q.cardNumber, 10, 'cardNumber'));
    w.uint('cardType', q.cardType, 1);
    w.encoded('transactionLimit', () => encodeNumeric(q.transactionLimit, 3, 'transactionLimit'));
    w.uint('batch', q.batch, 3);
    w.bytes('userKey', encodeCompressedKey(q.userKey), 33, Code.KEY_LENGTH);
    w.uint('authorizationExpiry', q.authorizationExpiry, 4).uint('validitySeconds', q.validitySeconds, 2);
    writeSignatureField(w, 'issuerSignature', issuerSignature);
    w.uint('userAuthLength', USER_AUTH_LENGTH, 2).uint('generationTime', q.generationTime, 4);
    writeSignatureField(w, 'userSignature', userSignature);
    return w.finish(QR_CODE_LENGTH);
  });
}

export const qrCode = {
  length: QR_CODE_LENGTH,

  /** Throws TqException for values Table 1 cannot hold (VALUE_RANGE, ANS_INVALID, SIGNATURE_LENGTH …). */
  encode(value: QrCode): Uint8Array {
    return writeFields(value, value.issuerSignature, value.userSignature);
  },

  /** Strict: every fixed byte, BCD, ans, the user key (02/03, X < p, on the curve). */
  decode(bytes: Uint8Array): Result<QrCode> {
    return decodeStructure('qrCode', bytes, QR_CODE_LENGTH, (r) => {
      r.constant('version', QR_VERSION, 'QR_VERSION', 'QR version');
      const type = enumerated(r.parse(2, (b) => decodeNumeric(b, 'type')), QR_TYPES, 'type', QR_OFFSETS.type, 'QR_TYPE');
      const mode = enumerated(r.uint(1), QR_MODES, 'mode', QR_OFFSETS.mode, 'QR_MODE');
      const certificateNumber = readCertificateNumber(r);
      readAuthLength(r, 'issuerAuthLength', ISSUER_AUTH_LENGTH);
      const paymentAccount = readAns(r, 'paymentAccount', PAYMENT_ACCOUNT_LENGTH);
      const issuerId = r.uint(4);
      const platformId = r.uint(4);
      const cardNumber = r.parse(10, (b) => decodeCompressedNumeric(b, 'cardNumber'));
      const cardType = r.uint(1);
      const transactionLimit = r.parse(3, decodeLimit);
      const batch = r.uint(3);
      const userKey = r.parse(33, (b) => sm2.publicKeyFromBytes(b, 'userKey'));
      const authorizationExpiry = r.uint(4);
      const validitySeconds = r.uint(2);
      const issuerSignature = readSignatureField(r, 'issuerSignature');
      readAuthLength(r, 'userAuthLength', USER_AUTH_LENGTH);
      const generationTime = r.uint(4);
      const userSignature = readSignatureField(r, 'userSignature');
      return {
        type,
        mode,
        certificateNumber,
        paymentAccount,
        issuerId,
        platformId,
        cardNumber,
        cardType,
        transactionLimit,
        batch,
        userKey,
        authorizationExpiry,
        validitySeconds,
        issuerSignature,
        generationTime,
        userSignature,
      };
    });
  },

  /** Bytes 8–89 (fields 5–15): what the issuer key signs. */
  issuerSignatureInput(fields: QrCodeFields): Uint8Array {
    return writeFields(fields, ZERO_SIGNATURE, ZERO_SIGNATURE).subarray(QR_OFFSETS.issuerAuthLength, QR_OFFSETS.issuerSignature);
  },

  /** Bytes 0–160 (fields 1–18, including the issuer signature): what the user key signs. */
  userSignatureInput(fields: QrCodeFields & { readonly issuerSignature: Uint8Array }): Uint8Array {
    return writeFields(fields, fields.issuerSignature, ZERO_SIGNATURE).subarray(0, QR_OFFSETS.userSignature);
  },

  /** Field 19 as carried (`15`‖r‖s): the replay key of check 8. */
  replayKey(value: QrCode): Uint8Array {
    return concat(Uint8Array.of(SIGNATURE_FIELD_FORMAT), value.userSignature);
  },
};
