/**
 * Every error code lib/crypto reports itself, with a one-line meaning (the SM2 key codes are
 * declared with the codecs, which report them for certificate fields). Stable: callers key on them.
 */
export const CRYPTO_ERROR_CODES = {
  // Secret sharing (shamir.ts)
  SHARE_THRESHOLD: 'a K-of-N split needs integers 2 ≤ K ≤ N ≤ 255',
  SHARE_FORMAT: 'a share is not tqs1-<K>-<x>-<base32 groups>, or the secret to split is empty',
  SHARE_CHECKSUM: 'a share fails its checksum: a character was mistyped',
  SHARES_TOO_FEW: 'fewer shares than the threshold K',
  SHARES_MISMATCHED: 'the shares differ in threshold or length, or two have the same x-coordinate',
} as const;

export type CryptoErrorCode = keyof typeof CRYPTO_ERROR_CODES;
