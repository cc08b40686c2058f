/**
 * Codes the HTTP API (lib/api, app/api) reports itself: the request's shape, before any service
 * runs. The services' codes (token checks included, lib/ca) pass through unchanged.
 */
import type { ErrorTable } from '../spec';

export const API_CODES = {
  API_AUTHORIZATION_MISSING: { category: 'unauthenticated', en: 'the request carries no Authorization: Bearer token', zh: '请求未携带 Authorization: Bearer 令牌', field: 'authorization' },
  API_AUTHORIZATION_MALFORMED: { category: 'unauthenticated', en: 'the Authorization header is not Bearer tqt_<16 hex>_<43 base64url>', zh: 'Authorization 请求头不是 Bearer tqt_<16 位十六进制>_<43 位 base64url>', field: 'authorization' },
  API_RATE_LIMITED: { category: 'rateLimited', en: 'the token sent more requests than its rate allows; retry after Retry-After seconds', zh: '该令牌的请求超过限速；请在 Retry-After 秒后重试' },
  API_NOT_ACCEPTABLE: { category: 'badInput', en: 'the Accept header asks for no representation this endpoint has (application/json or application/octet-stream)', zh: 'Accept 请求头要求的表示形式该接口不提供（application/json 或 application/octet-stream）', field: 'accept' },
  API_MEDIA_TYPE: { category: 'badInput', en: 'the request body is not of a media type the endpoint accepts (application/json; application/octet-stream where offered)', zh: '请求体的媒体类型不被该接口接受（application/json；部分接口也接受 application/octet-stream）', field: 'content-type' },
  API_ID_INVALID: { category: 'badInput', en: 'an id in the path is malformed (a request id is decimal, a certificate number eight hex digits)', zh: '路径中的标识格式错误（申请标识为十进制，证书编号为八位十六进制）' },
  API_QUERY_INVALID: { category: 'badInput', en: 'a query parameter has a value the endpoint does not know', zh: '查询参数的取值不被该接口识别' },
  API_BODY_TOO_LARGE: { category: 'badInput', en: 'the request body is larger than the endpoint accepts', zh: '请求体超过该接口允许的大小' },
  API_BODY_INVALID: { category: 'badInput', en: 'the request body is not JSON of the endpoint’s schema', zh: '请求体不是符合该接口模式的 JSON' },
  API_VERSION_INVALID: { category: 'badInput', en: 'a bundle version is not a decimal integer 1–4294967295', zh: '分发包版本不是 1–4294967295 之间的十进制整数', field: 'version' },
  API_TREE_SIZE_INVALID: { category: 'badInput', en: 'a tree size in the query is not a decimal integer', zh: '查询中的树大小不是十进制整数' },
  API_INSTITUTION_MISMATCH: { category: 'forbidden', en: 'the request names another institution than the token’s', zh: '请求指向的机构不是令牌所属机构' },
  API_CONFIG_INVALID: { category: 'internal', en: 'an API setting (TQCA_API_RATE, TQCA_API_BURST) is not a positive number: the server does not start', zh: 'API 配置项（TQCA_API_RATE、TQCA_API_BURST）不是正数：服务器不启动' },
  API_INTERNAL: { category: 'internal', en: 'an unexpected fault in the API, i.e. a bug (its stack goes to the server’s stderr)', zh: 'API 发生意外故障，即程序缺陷（调用栈输出到服务器的标准错误）' },
} as const satisfies ErrorTable;
