/**
 * Codes the reference HTTP clients (lib/clients: the acquirer's TMS and the issuer's CA system)
 * report about what a server answered or what they hold locally. A problem document a server
 * answers keeps its own code; these are for what only the client can see.
 */
import type { ErrorTable } from '../spec';

export const CLIENT_CODES = {
  CLIENT_SERVER_UNREACHABLE: { category: 'unavailable', en: 'the server could not be reached (connection refused, reset or timed out)', zh: '无法连接服务器（连接被拒绝、重置或超时）' },
  CLIENT_RESPONSE_INVALID: { category: 'badInput', en: 'the server answered something that is not what the API document promises', zh: '服务器的应答不符合 API 文档的约定' },
} as const satisfies ErrorTable;
