/**
 * Codes the reference HTTP clients (lib/clients: the acquirer's TMS and the issuer's CA system)
 * report about what a server answered or what they hold locally. A problem document a server
 * answers keeps its own code; these are for what only the client can see.
 */
import type { ErrorTable } from '../spec';

export const CLIENT_CODES = {
  CLIENT_SERVER_UNREACHABLE: { category: 'unavailable', en: 'the server could not be reached (connection refused, reset or timed out)', zh: '无法连接服务器（连接被拒绝、重置或超时）' },
  CLIENT_RESPONSE_INVALID: { category: 'badInput', en: 'the server answered something that is not what the API document promises', zh: '服务器的应答不符合 API 文档的约定' },
  // The reference TMS client (lib/clients/tms)
  CLIENT_STATE_INVALID: { category: 'badInput', en: 'the TMS state directory is not usable: readable by others, or its files are not what the client wrote', zh: 'TMS 状态目录不可用：其他用户可读，或其中文件不是客户端写入的内容', field: 'state' },
  CLIENT_TRUST_MISSING: { category: 'badInput', en: 'nothing is installed yet and no root key is trusted: give --root-check or --roots-file', zh: '尚未安装任何分发包且未信任任何根密钥：请给出 --root-check 或 --roots-file' },
  CLIENT_BUNDLE_STALE: { category: 'unavailable', en: 'the installed bundle expires soon and the server offers no newer one (the center may have stopped publishing)', zh: '已安装的分发包即将过期，而服务器未提供更新的版本（中心可能已停止发布）' },
  CLIENT_BUNDLE_EXPIRED: { category: 'unavailable', en: 'the installed bundle has expired and no newer verified bundle arrived: terminals keep it and alarm', zh: '已安装的分发包已过期且未收到更新的已验证分发包：终端保留该包并告警' },
  CLIENT_ACKNOWLEDGEMENT_MISMATCH: { category: 'conflict', en: 'the server recorded the acknowledgement as an alarm: its published body SM3 differs from the installed one', zh: '服务器将确认记录为告警：其发布的包体 SM3 与已安装的不同' },
} as const satisfies ErrorTable;
