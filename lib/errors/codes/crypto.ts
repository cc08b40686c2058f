/**
 * Codes lib/crypto reports for misuse of its primitives (the key and signature-length codes it
 * shares with the codecs are declared in codec.ts, where the codecs document them).
 */
import type { ErrorTable } from '../spec';

export const CRYPTO_CODES = {
  DER_INVALID: { category: 'badInput', en: 'a DER-encoded SM2 signature is malformed (not SEQUENCE of two minimal positive INTEGERs below n)', zh: 'DER 编码的 SM2 签名格式错误（不是由两个小于 n 的最短正整数组成的 SEQUENCE）' },
  SM2_DIGEST_LENGTH: { category: 'internal', en: 'the digest e handed to SM2 signing is not 32 bytes', zh: '交给 SM2 签名的摘要 e 不是 32 字节' },
  SM2_ID_LENGTH: { category: 'badInput', en: 'the SM2 signer ID is longer than 8191 bytes', zh: 'SM2 签名者 ID 超过 8191 字节', field: 'id' },
  SM2_PRIVATE_KEY_RANGE: { category: 'badInput', en: 'an SM2 private key is not 32 bytes in [1, n − 2]', zh: 'SM2 私钥不是取值在 [1, n − 2] 内的 32 字节', field: 'privateKey' },
} as const satisfies ErrorTable;
