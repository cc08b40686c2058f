/**
 * Issuer public-key data, Table 3 (74 bytes) = M_cert, the message the root key signs
 * (TQ-CERT-1 §2). Bytes 0–9 are identical to the certificate's (§1, §3).
 *
 *   0 format 14 | 1 expiry MMYY | 3 serial | 6 04 | 7 00 | 8 11 | 9 40 | 10 X | 42 Y (even)
 */
import type { Result } from '../errors';
import type { Sm2PublicKey } from '../crypto/sm2';
import type { CalendarMonth } from './expiry';
import { readAlgorithmFields, readEvenKey, writeAlgorithmFields, writeEvenKey } from './keyFields';
import { readExpiryMonth, readSerial, writeExpiryMonth, writeSerial } from './sharedFields';
import { decodeStructure, encodeStructure, FieldWriter, type FieldReader } from './structure';

export const CERTIFICATE_FORMAT = 0x14;
export const ISSUER_KEY_DATA_LENGTH = 74;

/** What Tables 3 and 4 share: bytes 0–9 without the constants. */
export interface CertificateHeader {
  readonly expiry: CalendarMonth;
  /** uint24, ≠ 0, issuer-chosen and unique per issuer. */
  readonly serial: number;
}

export interface IssuerKeyData extends CertificateHeader {
  /** The issuer's key; Y is even. */
  readonly publicKey: Sm2PublicKey;
}

export function readCertificateHeader(r: FieldReader): CertificateHeader {
  r.constant('format', CERTIFICATE_FORMAT, 'CERT_FORMAT', 'certificate format');
  const expiry = readExpiryMonth(r);
  const serial = readSerial(r);
  readAlgorithmFields(r, true);
  return { expiry, serial };
}

export function writeCertificateHeader(w: FieldWriter, header: CertificateHeader): void {
  w.byte(CERTIFICATE_FORMAT);
  writeExpiryMonth(w, header.expiry);
  writeSerial(w, header.serial);
  writeAlgorithmFields(w, true);
}

export const issuerKeyData = {
  length: ISSUER_KEY_DATA_LENGTH,

  /** Throws TqException (EXPIRY_RANGE, SERIAL_ZERO, KEY_Y_ODD, VALUE_RANGE …) for values Table 3 cannot hold. */
  encode(value: IssuerKeyData): Uint8Array {
    return encodeStructure(() => {
      const w = new FieldWriter('issuerKeyData');
      writeCertificateHeader(w, value);
      writeEvenKey(w, 'issuerKey', value.publicKey);
      return w.finish(ISSUER_KEY_DATA_LENGTH);
    });
  },

  decode(bytes: Uint8Array): Result<IssuerKeyData> {
    return decodeStructure('issuerKeyData', bytes, ISSUER_KEY_DATA_LENGTH, (r) => {
      const header = readCertificateHeader(r);
      return { ...header, publicKey: readEvenKey(r, 'issuerKey') };
    });
  },
};
