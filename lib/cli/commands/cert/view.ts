/** The JSON form of a decoded certificate: a stable contract, independent of the codec's types. */
import { uintToBytes } from '../../../bytes';
import {
  CERTIFICATE_FORMAT,
  CURVE_SM2,
  ENCRYPTION_ALGORITHM_NONE,
  issuerCertificate,
  KEY_LENGTH_SM2,
  SIGNATURE_ALGORITHM_SM2_SM3,
  type IssuerCertificate,
} from '../../../codec';
import type { JsonObject } from '../../command';
import { expiryMonthView, hexByte, keyView, signatureView } from '../../views';

export function certificateView(certificate: IssuerCertificate): JsonObject {
  return {
    // A decoded certificate has passed the constant checks, so these are the profile's values.
    format: hexByte(CERTIFICATE_FORMAT),
    expiry: expiryMonthView(certificate.expiry),
    serial: uintToBytes(certificate.serial, 3),
    signatureAlgorithm: hexByte(SIGNATURE_ALGORITHM_SM2_SM3),
    encryptionAlgorithm: hexByte(ENCRYPTION_ALGORITHM_NONE),
    curve: hexByte(CURVE_SM2),
    keyLength: KEY_LENGTH_SM2,
    issuerKey: keyView(certificate.publicKey),
    rootSignature: signatureView(certificate.rootSignature),
    signedData: issuerCertificate.signedData(certificate),
  };
}
