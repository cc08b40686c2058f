/**
 * Fields shared by every structure that carries an SM2 key: the algorithm bytes
 * `04` [`00`] `11` `40` (TQ-CERT-1 §3, §4) and the key itself.
 */
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { Code } from '../errors';
import { fail, hexByte, type FieldReader, type FieldWriter } from './structure';

export const SIGNATURE_ALGORITHM_SM2_SM3 = 0x04;
export const ENCRYPTION_ALGORITHM_NONE = 0x00;
export const CURVE_SM2 = 0x11;
/** The key length (X‖Y, 64 bytes), not the field length: certificates carry X only (§3). */
export const KEY_LENGTH_SM2 = 0x40;

const RESERVED_CURVES: Record<number, string> = { 0x01: 'P-256', 0x02: 'P-521' };

/** `04` [`00`] `11` `40`; the encryption byte exists only in Tables 3 and 4. */
export function readAlgorithmFields(r: FieldReader, withEncryption: boolean): void {
  r.constant('signatureAlgorithm', SIGNATURE_ALGORITHM_SM2_SM3, 'SIGNATURE_ALGORITHM', 'signature algorithm id (SM2 with SM3)');
  if (withEncryption) r.constant('encryptionAlgorithm', ENCRYPTION_ALGORITHM_NONE, 'ENCRYPTION_ALGORITHM', 'encryption algorithm id');
  const offset = r.offset;
  const curve = r.uint(1);
  if (curve !== CURVE_SM2) {
    const reserved = RESERVED_CURVES[curve];
    fail(
      'CURVE_UNSUPPORTED',
      reserved ? `curve ${hexByte(curve)} (${reserved}) is reserved; only 11 (SM2) is supported` : `unknown curve id ${hexByte(curve)}; only 11 (SM2) is supported`,
      { field: 'curve', offset, details: { curve: hexByte(curve) } },
    );
  }
  r.constant('keyLength', KEY_LENGTH_SM2, 'KEY_LENGTH_BYTE', 'public-key length byte');
}

export function writeAlgorithmFields(w: FieldWriter, withEncryption: boolean): void {
  w.byte(SIGNATURE_ALGORITHM_SM2_SM3);
  if (withEncryption) w.byte(ENCRYPTION_ALGORITHM_NONE);
  w.byte(CURVE_SM2).byte(KEY_LENGTH_SM2);
}

/** The even-Y rule (§2): the console certifies only keys whose Y is even. */
export function refuseOddY(key: Sm2PublicKey, field: string, offset: number): void {
  if (key.y & 1n) fail('KEY_Y_ODD', `${field}: Y is odd; certified keys must have even Y`, { field, offset });
}

/** X‖Y, 64 bytes, on the curve. */
export function readKey(r: FieldReader, field: string): Sm2PublicKey {
  return r.parse(64, (bytes) => sm2.publicKeyFromBytes(bytes, field));
}

/** X‖Y of a key to be certified: Y must be even (§2). */
export function readEvenKey(r: FieldReader, field: string): Sm2PublicKey {
  const offset = r.offset;
  const key = readKey(r, field);
  refuseOddY(key, field, offset + 32);
  return key;
}

export function writeKey(w: FieldWriter, field: string, key: Sm2PublicKey): void {
  w.bytes(field, key.bytes, 64, Code.KEY_LENGTH);
}

export function writeEvenKey(w: FieldWriter, field: string, key: Sm2PublicKey): void {
  refuseOddY(key, field, w.offset + 32);
  writeKey(w, field, key);
}
