/**
 * Codes lib/crypto reports: malformed keys and signatures (the codecs pass these through, and
 * lib/codec/README.md documents them with exactly their `en` text), and misuse of its primitives.
 */
import type { ErrorTable } from '../spec';

export const CRYPTO_CODES = {
  // Keys and signatures
  KEY_COORDINATE_RANGE: { category: 'badInput', en: 'a key coordinate is not less than p', zh: '公钥坐标不小于 p' },
  KEY_NOT_ON_CURVE: { category: 'badInput', en: 'the key is not a point of the SM2 curve', zh: '公钥不是 SM2 曲线上的点' },
  KEY_PREFIX: { category: 'badInput', en: 'compressed key prefix is not 02 or 03', zh: '压缩公钥前缀不是 02 或 03' },
  KEY_LENGTH: { category: 'badInput', en: 'a key has the wrong number of bytes (encoding only)', zh: '公钥字节数错误（仅编码时）' },
  SIGNATURE_LENGTH: { category: 'badInput', en: 'a signature is not 64 bytes r‖s (encoding only)', zh: '签名不是 64 字节的 r‖s（仅编码时）' },
  // Primitives
  DER_INVALID: { category: 'badInput', en: 'a DER-encoded SM2 signature is malformed (not SEQUENCE of two minimal positive INTEGERs below n)', zh: 'DER 编码的 SM2 签名格式错误（不是由两个小于 n 的最短正整数组成的 SEQUENCE）' },
  SM2_DIGEST_LENGTH: { category: 'internal', en: 'the digest e handed to SM2 signing is not 32 bytes', zh: '交给 SM2 签名的摘要 e 不是 32 字节' },
  SM2_ID_LENGTH: { category: 'badInput', en: 'the SM2 signer ID is longer than 8191 bytes', zh: 'SM2 签名者 ID 超过 8191 字节', field: 'id' },
  SM2_PRIVATE_KEY_RANGE: { category: 'badInput', en: 'an SM2 private key is not 32 bytes in [1, n − 2]', zh: 'SM2 私钥不是取值在 [1, n − 2] 内的 32 字节', field: 'privateKey' },
  // Secret sharing (shamir.ts)
  SHARE_CHECKSUM: { category: 'badInput', en: 'a share fails its checksum: a character was mistyped', zh: '份额校验和错误：有字符输入有误', field: 'share' },
  SHARE_FORMAT: { category: 'badInput', en: 'a share is not tqs1-<K>-<x>-<base32 groups>, or the secret to split is empty', zh: '份额格式不是 tqs1-<K>-<x>-<base32 分组>，或要拆分的秘密为空', field: 'share' },
  SHARE_THRESHOLD: { category: 'badInput', en: 'a K-of-N split needs integers 2 ≤ K ≤ N ≤ 255', zh: 'K/N 门限拆分须满足整数 2 ≤ K ≤ N ≤ 255' },
  SHARES_MISMATCHED: { category: 'badInput', en: 'the shares differ in threshold or length, or two have the same x-coordinate', zh: '各份额的门限或长度不一致，或有两个份额的 x 坐标相同' },
  SHARES_TOO_FEW: { category: 'badInput', en: 'fewer shares than the threshold K', zh: '份额数量少于门限 K' },
} as const satisfies ErrorTable;
