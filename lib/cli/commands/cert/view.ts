/** The JSON form of a decoded certificate: a stable contract, independent of the codec's types. */
import { uintToBytes } from '../../../bytes';
import {
  CERTIFICATE_FORMAT,
  CURVE_SM2,
  ENCRYPTION_ALGORITHM_NONE,
  expiryMonth,
  issuerCertificate,
  KEY_LENGTH_SM2,
  SIGNATURE_ALGORITHM_SM2_SM3,
  type IssuerCertificate,
} from '../../../codec';
import type { JsonObject } from '../../command';

const hexByte = (value: number) => value.toString(16).padStart(2, '0');

export function certificateView(certificate: IssuerCertificate): JsonObject {
  const { expiry, serial, publicKey, rootSignature } = certificate;
  return {
    // A decoded certificate has passed the constant checks, so these are the profile's values.
    format: hexByte(CERTIFICATE_FORMAT),
    expiry: { month: expiry.month, year: expiry.year, validThrough: expiryMonth.end(expiry) },
    serial: uintToBytes(serial, 3),
    signatureAlgorithm: hexByte(SIGNATURE_ALGORITHM_SM2_SM3),
    encryptionAlgorithm: hexByte(ENCRYPTION_ALGORITHM_NONE),
    curve: hexByte(CURVE_SM2),
    keyLength: KEY_LENGTH_SM2,
    issuerKey: { x: publicKey.bytes.subarray(0, 32), y: publicKey.bytes.subarray(32) },
    rootSignature: { r: rootSignature.subarray(0, 32), s: rootSignature.subarray(32) },
    signedData: issuerCertificate.signedData(certificate),
  };
}
