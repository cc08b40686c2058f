/**
 * Every error code the TQ-CERT-1 codecs and terminal verifiers report, with a one-line meaning.
 * Codes are stable: the CLI, the UI and audit records key on them. Messages may change.
 */
export const CODEC_ERROR_CODES = {
  // Input shape
  INPUT_TYPE: 'the input is not a byte array',
  LENGTH_INVALID: 'the structure does not have the length the profile fixes for it',
  VALUE_RANGE: 'a value does not fit its field when encoding, or a verifier parameter (skew, fare) is out of range',
  // Fixed bytes
  CERT_FORMAT: 'certificate / key-data format byte is not 14',
  RECORD_TYPE: 'record tag is not the expected one (A1 request, A2 root key, A3 certificate, A4 revocation list)',
  SIGNATURE_ALGORITHM: 'signature algorithm id is not 04 (SM2 with SM3)',
  ENCRYPTION_ALGORITHM: 'encryption algorithm id is not 00',
  CURVE_UNSUPPORTED: 'curve id is not 11 (SM2); 01 (P-256) and 02 (P-521) are reserved',
  KEY_LENGTH_BYTE: 'public-key length byte is not 40 (64-byte X‖Y key)',
  HASH_ALGORITHM: 'root-key check-value hash id is not 07 (SM3)',
  QR_VERSION: 'QR version byte is not 80',
  QR_TYPE: 'QR type is not 0000–0003 (JT00 bus … JT03 public bicycle)',
  QR_MODE: 'QR mode is not 00 (online) or 01 (offline)',
  AUTH_LENGTH: 'QR authentication-data length is not 0091 (field 5) or 0045 (field 17)',
  SIGNATURE_FORMAT: 'QR signature field does not start with 15',
  // Field encodings
  BCD_INVALID: 'a BCD nibble is not a decimal digit (or cn padding is not trailing F)',
  MONTH_INVALID: 'month is not 01–12',
  DAY_INVALID: 'day does not exist in that month',
  EXPIRY_RANGE: 'expiry year is outside 2000–2049 (YY ≥ 50 is refused in both directions)',
  ANS_INVALID: 'ans field holds a byte that is not printable ASCII',
  SERIAL_ZERO: 'certificate serial is 000000',
  CERT_NUMBER_RANGE: 'certificate number is not 00000001–FFFFFFFE',
  ROOT_KEY_INDEX: 'root-key index is not 01–FE',
  REASON_CODE: 'revocation reason is not 01, 02 or 03',
  ENTRIES_UNSORTED: 'revocation entries are not sorted by certificate number',
  ENTRY_DUPLICATE: 'a certificate number appears twice in the revocation list',
  REVOCATION_SEQUENCE: 'revocation list sequence number does not exceed the one the terminal holds',
  UPDATE_ORDER: 'revocation list next update is before this update',
  CHECK_VALUE_MISMATCH: 'root-key check value is not SM3 of bytes 1–72',
  // Keys (from lib/crypto/sm2 and the even-Y rule)
  KEY_COORDINATE_RANGE: 'a key coordinate is not less than p',
  KEY_NOT_ON_CURVE: 'the key is not a point of the SM2 curve',
  KEY_PREFIX: 'compressed key prefix is not 02 or 03',
  KEY_LENGTH: 'a key has the wrong number of bytes (encoding only)',
  KEY_Y_ODD: 'a certified issuer key must have even Y',
  SIGNATURE_LENGTH: 'a signature is not 64 bytes r‖s (encoding only)',
  // Verification
  TIME_INVALID: 'the verification time is not a valid Date',
  SIGNATURE_INVALID: 'the signature does not verify with the expected key and signer ID',
  WRONG_ROOT: 'the record names a root-key index other than the root key supplied',
  CERT_EXPIRED: 'the certificate expiry month has passed (China Standard Time)',
  CERT_UNKNOWN: 'the QR names a certificate number the terminal does not hold',
  CERT_REVOKED: 'the certificate number is on the revocation list',
  ISSUER_MISMATCH: 'the QR issuer id is not the issuer the certificate is bound to',
  QR_AUTHORIZATION_EXPIRED: 'the QR authorization expiry (field 14) has passed',
  QR_VALIDITY_RANGE: 'the QR validity (field 15) is not 1–300 seconds',
  QR_NOT_YET_VALID: 'the QR generation time is later than now plus the clock skew',
  QR_EXPIRED: 'the QR is older than its validity plus the clock skew',
  FARE_OVER_LIMIT: 'the fare exceeds the per-transaction limit (field 11)',
  QR_REPLAYED: 'this QR code (its user signature) was already accepted within its validity',
} as const;

export type CodecErrorCode = keyof typeof CODEC_ERROR_CODES;
