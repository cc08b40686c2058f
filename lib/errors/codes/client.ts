/**
 * Codes the reference HTTP clients (lib/clients: the acquirer's TMS and the issuer's CA system)
 * report about what a server answered or what they hold locally. A problem document a server
 * answers keeps its own code; these are for what only the client can see.
 */
import type { ErrorTable } from '../spec';

export const CLIENT_CODES = {
  CLIENT_SERVER_UNREACHABLE: { category: 'unavailable', en: 'the server could not be reached (connection refused, reset or timed out)', zh: '无法连接服务器（连接被拒绝、重置或超时）' },
  CLIENT_RESPONSE_INVALID: { category: 'badInput', en: 'the server answered something that is not what the API document promises', zh: '服务器的应答不符合 API 文档的约定' },
  // The reference issuer client (lib/clients/issuer)
  CLIENT_ARGUMENT_INVALID: { category: 'badInput', en: 'a value given to the client does not fit the profile (expiry MMYY, serial 1–FFFFFF)', zh: '提供给客户端的参数不符合规范（有效期 MMYY，序列号 1–FFFFFF）' },
  CLIENT_KEY_EXISTS: { category: 'conflict', en: 'the key file or token key label exists already; a key is certified once, so a new key gets a new name', zh: '密钥文件或令牌中的密钥标签已存在；一个密钥只认证一次，新密钥须使用新名称' },
  CLIENT_KEY_INVALID: { category: 'badInput', en: 'the key cannot be used: the file is unreadable, not an issuer key file or readable by others; the PIN file is unreadable; or the key has odd Y', zh: '密钥不可用：文件无法读取、不是发卡机构密钥文件或他人可读；PIN 文件无法读取；或密钥的 Y 为奇数' },
  CLIENT_NOT_ISSUED: { category: 'conflict', en: 'the request is not issued yet (fetch again later, or with --wait)', zh: '该申请尚未签发（稍后再取，或使用 --wait）' },
  CLIENT_REQUEST_CLOSED: { category: 'conflict', en: 'the request was rejected or expired: it will never be issued', zh: '该申请已被拒绝或已过期，不会再签发' },
  CLIENT_WAIT_TIMEOUT: { category: 'unavailable', en: 'the request was still not issued when the wait ended', zh: '等待结束时申请仍未签发' },
  CLIENT_ROOT_UNTRUSTED: { category: 'forbidden', en: 'no root key the center serves matches the root key or check value the client trusts', zh: '清分中心提供的根密钥与客户端信任的根密钥或校验值均不匹配' },
  CLIENT_CERTIFICATE_MISMATCH: { category: 'badInput', en: 'the certificate the center served is not the one requested (another key, serial, number or issuer)', zh: '清分中心提供的证书不是所申请的证书（密钥、序列号、编号或发卡机构不符）' },
  // The reference TMS client (lib/clients/tms)
  CLIENT_STATE_INVALID: { category: 'badInput', en: 'the TMS state directory is not usable: readable by others, or its files are not what the client wrote', zh: 'TMS 状态目录不可用：其他用户可读，或其中文件不是客户端写入的内容', field: 'state' },
  CLIENT_STATE_LOCKED: { category: 'conflict', en: 'another pull is at work on the TMS state directory; try again when it ends', zh: '另一个拉取进程正在使用 TMS 状态目录；请待其结束后重试', field: 'state' },
  CLIENT_TRUST_MISSING: { category: 'badInput', en: 'nothing is installed yet and no root key is trusted: give --root-check or --roots-file', zh: '尚未安装任何分发包且未信任任何根密钥：请给出 --root-check 或 --roots-file' },
  CLIENT_BUNDLE_STALE: { category: 'unavailable', en: 'the installed bundle expires soon and the server offers no newer one (the center may have stopped publishing)', zh: '已安装的分发包即将过期，而服务器未提供更新的版本（中心可能已停止发布）' },
  CLIENT_BUNDLE_EXPIRED: { category: 'unavailable', en: 'the installed bundle has expired and no newer verified bundle arrived: terminals keep it and alarm', zh: '已安装的分发包已过期且未收到更新的已验证分发包：终端保留该包并告警' },
  CLIENT_ACKNOWLEDGEMENT_MISMATCH: { category: 'conflict', en: 'the server recorded the acknowledgement as an alarm: its published body SM3 differs from the installed one', zh: '服务器将确认记录为告警：其发布的包体 SM3 与已安装的不同' },
} as const satisfies ErrorTable;
