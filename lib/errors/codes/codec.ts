/**
 * Codes the TQ-CERT-1 codecs and terminal verifiers report (lib/codec/README.md documents each with
 * exactly its `en` text, and the lib/crypto key codes the codecs pass through). Sections follow the README's.
 */
import type { ErrorTable } from '../spec';

export const CODEC_CODES = {
  // Input shape
  INPUT_TYPE: { category: 'badInput', en: 'the input is not a byte array', zh: '输入不是字节数组' },
  LENGTH_INVALID: { category: 'badInput', en: 'the structure does not have the length the profile fixes for it', zh: '结构长度不符合规范规定的长度' },
  VALUE_RANGE: { category: 'badInput', en: 'a value does not fit its field when encoding, or a verifier parameter (skew, fare) is out of range', zh: '编码时某个值超出其字段范围，或校验参数（时钟偏差、金额）超出范围' },
  // Fixed bytes
  CERT_FORMAT: { category: 'badInput', en: 'certificate / key-data format byte is not 14', zh: '证书或公钥数据的格式标识不是 14', field: 'format' },
  RECORD_TYPE: { category: 'badInput', en: 'record tag is not the expected one (A1 request, A2 root key, A3 certificate, A4 revocation list)', zh: '记录标签不是预期值（A1 申请、A2 根公钥、A3 证书、A4 撤销列表）' },
  SIGNATURE_ALGORITHM: { category: 'badInput', en: 'signature algorithm id is not 04 (SM2 with SM3)', zh: '签名算法标识不是 04（SM2 配合 SM3）' },
  ENCRYPTION_ALGORITHM: { category: 'badInput', en: 'encryption algorithm id is not 00', zh: '加密算法标识不是 00' },
  CURVE_UNSUPPORTED: { category: 'badInput', en: 'curve id is not 11 (SM2); 01 (P-256) and 02 (P-521) are reserved', zh: '曲线标识不是 11（SM2）；01（P-256）和 02（P-521）为保留值' },
  KEY_LENGTH_BYTE: { category: 'badInput', en: 'public-key length byte is not 40 (64-byte X‖Y key)', zh: '公钥长度字节不是 40（64 字节 X‖Y 公钥）' },
  HASH_ALGORITHM: { category: 'badInput', en: 'root-key check-value hash id is not 07 (SM3)', zh: '根公钥校验值的哈希算法标识不是 07（SM3）' },
  QR_VERSION: { category: 'badInput', en: 'QR version byte is not 80', zh: '二维码版本字节不是 80' },
  QR_TYPE: { category: 'badInput', en: 'QR type is not 0000–0003 (JT00 bus … JT03 public bicycle)', zh: '二维码类型不是 0000–0003（JT00 公交 … JT03 公共自行车）' },
  QR_MODE: { category: 'badInput', en: 'QR mode is not 00 (online) or 01 (offline)', zh: '二维码模式不是 00（联机）或 01（脱机）' },
  AUTH_LENGTH: { category: 'badInput', en: 'QR authentication-data length is not 0091 (field 5) or 0045 (field 17)', zh: '二维码认证数据长度不是 0091（域 5）或 0045（域 17）' },
  SIGNATURE_FORMAT: { category: 'badInput', en: 'QR signature field does not start with 15', zh: '二维码签名域不以 15 开头' },
  // Field encodings
  BCD_INVALID: { category: 'badInput', en: 'a BCD nibble is not a decimal digit (or cn padding is not trailing F)', zh: 'BCD 半字节不是十进制数字（或 cn 类型的填充不是尾部的 F）' },
  MONTH_INVALID: { category: 'badInput', en: 'month is not 01–12', zh: '月份不在 01–12 之间' },
  DAY_INVALID: { category: 'badInput', en: 'day does not exist in that month', zh: '该月份中不存在这一日' },
  EXPIRY_RANGE: { category: 'badInput', en: 'expiry year is outside 2000–2049 (YY ≥ 50 is refused in both directions)', zh: '失效年份不在 2000–2049 之间（编码和解码均拒绝 YY ≥ 50）' },
  ANS_INVALID: { category: 'badInput', en: 'ans field holds a byte that is not printable ASCII', zh: 'ans 类型字段含有非可打印 ASCII 字节' },
  SERIAL_ZERO: { category: 'badInput', en: 'certificate serial is 000000', zh: '证书序列号为 000000' },
  CERT_NUMBER_RANGE: { category: 'badInput', en: 'certificate number is not 00000001–FFFFFFFE', zh: '证书编号不在 00000001–FFFFFFFE 之间' },
  ROOT_KEY_INDEX: { category: 'badInput', en: 'root-key index is not 01–FE', zh: '根公钥索引不在 01–FE 之间' },
  REASON_CODE: { category: 'badInput', en: 'revocation reason is not 01, 02 or 03', zh: '撤销原因不是 01、02 或 03' },
  ENTRIES_UNSORTED: { category: 'badInput', en: 'revocation entries are not sorted by certificate number', zh: '撤销条目未按证书编号排序' },
  ENTRY_DUPLICATE: { category: 'badInput', en: 'a certificate number appears twice in the revocation list', zh: '同一证书编号在撤销列表中出现两次' },
  REVOCATION_SEQUENCE: { category: 'badInput', en: 'revocation list sequence number does not exceed the one the terminal holds', zh: '撤销列表序号不大于终端已持有的序号' },
  UPDATE_ORDER: { category: 'badInput', en: 'revocation list next update is before this update', zh: '撤销列表的下次更新时间早于本次更新时间' },
  CHECK_VALUE_MISMATCH: { category: 'badInput', en: 'root-key check value is not SM3 of bytes 1–72', zh: '根公钥校验值不等于第 1–72 字节的 SM3 摘要' },
  // Keys (the even-Y rule; the key and signature shape codes are lib/crypto's, in crypto.ts)
  KEY_Y_ODD: { category: 'badInput', en: 'a certified issuer key must have even Y', zh: '被认证的发卡机构公钥的 Y 坐标必须为偶数' },
  // Verification
  TIME_INVALID: { category: 'badInput', en: 'a time is not valid: the verification time is not a valid Date, or a command-line time is not ISO-8601 with a zone', zh: '时间无效：校验时间不是有效的 Date，或命令行给出的时间不是带时区的 ISO-8601 格式' },
  SIGNATURE_INVALID: { category: 'badInput', en: 'the signature does not verify with the expected key and signer ID', zh: '签名无法用预期的公钥和签名者 ID 验证通过' },
  WRONG_ROOT: { category: 'badInput', en: 'the record names a root-key index other than the root key supplied', zh: '记录所指的根公钥索引与所提供的根公钥不符' },
  CERT_EXPIRED: { category: 'badInput', en: 'the certificate expiry month has passed (China Standard Time)', zh: '证书失效月份已过（北京时间）' },
  CERT_UNKNOWN: { category: 'badInput', en: 'the QR names a certificate number the terminal does not hold', zh: '二维码所指的证书编号不在终端持有的证书中' },
  CERT_REVOKED: { category: 'badInput', en: 'the certificate number is on the revocation list', zh: '证书编号在撤销列表中' },
  ISSUER_MISMATCH: { category: 'badInput', en: 'the QR issuer id is not the issuer the certificate is bound to', zh: '二维码中的发卡机构标识与证书绑定的发卡机构不符' },
  QR_AUTHORIZATION_EXPIRED: { category: 'badInput', en: 'the QR authorization expiry (field 14) has passed', zh: '二维码授权有效期（域 14）已过' },
  QR_VALIDITY_RANGE: { category: 'badInput', en: 'the QR validity (field 15) is not 1–300 seconds', zh: '二维码有效时长（域 15）不在 1–300 秒之间' },
  QR_NOT_YET_VALID: { category: 'badInput', en: 'the QR generation time is later than now plus the clock skew', zh: '二维码生成时间晚于当前时间加允许的时钟偏差' },
  QR_EXPIRED: { category: 'badInput', en: 'the QR is older than its validity plus the clock skew', zh: '二维码已超过其有效时长加允许的时钟偏差' },
  FARE_OVER_LIMIT: { category: 'badInput', en: 'the fare exceeds the per-transaction limit (field 11)', zh: '交易金额超过单笔限额（域 11）' },
  QR_REPLAYED: { category: 'conflict', en: 'this QR code (its user signature) was already accepted within its validity', zh: '该二维码（其用户签名）已在有效期内被受理过' },
} as const satisfies ErrorTable;
