/** TQ-CERT-1 codecs and terminal verification: the public API of lib/codec. */
export { CODEC_ERROR_CODES, type CodecErrorCode } from './errorCodes';
export { decodeCompressedNumeric, decodeNumeric, encodeCompressedNumeric, encodeNumeric } from './bcd';
export { expiryDay, expiryMonth, type CalendarDay, type CalendarMonth } from './expiry';
export { CURVE_SM2, ENCRYPTION_ALGORITHM_NONE, KEY_LENGTH_SM2, SIGNATURE_ALGORITHM_SM2_SM3 } from './keyFields';
export { CERTIFICATE_NUMBER_MAX, CERTIFICATE_NUMBER_MIN } from './sharedFields';
export { CERTIFICATE_FORMAT, ISSUER_KEY_DATA_LENGTH, issuerKeyData, type CertificateHeader, type IssuerKeyData } from './issuerKeyData';
export { ISSUER_CERTIFICATE_LENGTH, issuerCertificate, type IssuerCertificate } from './issuerCertificate';
export { publicKeyOf, verifySignature, type VerificationKey } from './verificationKey';
export {
  checkCertificateExpiry,
  checkTime,
  verifyCertificateSignature,
  verifyIssuerCertificate,
  type CertificateInput,
  type VerifiedIssuerCertificate,
} from './verifyIssuerCertificate';
export {
  ISSUER_AUTH_LENGTH,
  QR_CODE_LENGTH,
  QR_MODES,
  QR_OFFSETS,
  QR_TYPES,
  QR_VERSION,
  qrCode,
  SIGNATURE_FIELD_FORMAT,
  USER_AUTH_LENGTH,
  type QrCode,
  type QrCodeFields,
  type QrMode,
  type QrType,
} from './qrCode';
export {
  DEFAULT_SKEW_SECONDS,
  MAX_VALIDITY_SECONDS,
  verifyQrCode,
  type QrVerificationInput,
  type ReplayMemory,
  type VerifiedQrCode,
} from './verifyQrCode';
export { type RootSignedRecord, type TrustedRoot } from './trustedRoot';
export {
  CHALLENGE_LENGTH,
  REQUEST_SIGNED_LENGTH,
  requestRecord,
  verifyProofOfPossession,
  type RequestRecord,
  type RequestRecordFields,
} from './requestRecord';
export {
  HASH_ALGORITHM_SM3,
  ROOT_KEY_RECORD_LENGTH,
  rootKeyRecord,
  type RootKeyRecord,
  type RootKeyRecordFields,
} from './rootKeyRecord';
export {
  A3_CERTIFICATE_NUMBER_OFFSET,
  CERTIFICATE_RECORD_SIGNED_LENGTH,
  certificateRecord,
  verifyCertificateRecord,
  type CertificateRecord,
  type CertificateRecordFields,
} from './certificateRecord';
export {
  REVOCATION_REASONS,
  revocationList,
  revocationListLength,
  verifyRevocationList,
  type RevocationEntry,
  type RevocationList,
  type RevocationListCheck,
  type RevocationListFields,
  type RevocationReason,
} from './revocationList';
export { decodeRecord, type DistributionRecord } from './distributionRecord';
export {
  BODY_DIGEST_OFFSET,
  MANIFEST_RECORD_LENGTH,
  MANIFEST_SIGNED_LENGTH,
  manifestRecord,
  type ManifestFields,
  type ManifestRecord,
} from './manifestRecord';
export { bundleLayout, decodeBundle, MAX_BUNDLE_LENGTH, positionOf, type Bundle, type BundleLayout } from './bundle';
export { BUNDLE_SKEW_SECONDS, verifyBundle, type BundleVerificationInput, type VerifiedBundle } from './verifyBundle';
export { buildBundle, type BundleContents, type BundleManifestInput, type BundleSigner, type CertificateChanges } from './buildBundle';
export { applyDelta, decodeDelta, DELTA_HEADER_TAG, makeDelta, MAX_DELTA_LENGTH, type BundleDelta } from './bundleDelta';
