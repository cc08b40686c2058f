/**
 * Codes the console's server layer reports itself (lib/server and the app's pages, server actions
 * and route handlers); the CA's codes pass through unchanged.
 */
import type { ErrorTable } from '../spec';

export const SERVER_CODES = {
  CROSS_SITE_REQUEST: { category: 'forbidden', en: 'a cookie-authenticated request came from another site (Origin or Sec-Fetch-Site)', zh: '带 Cookie 认证的请求来自其他站点（Origin 或 Sec-Fetch-Site）' },
  CONSOLE_CONFIG_INVALID: { category: 'internal', en: 'a console setting (TQCA_SESSION_*, TQCA_CONSOLE_KEY) is malformed', zh: '控制台配置项（TQCA_SESSION_*、TQCA_CONSOLE_KEY）格式错误' },
  FORM_INVALID: { category: 'badInput', en: 'a form field is missing or not text', zh: '表单字段缺失或不是文本' },
} as const satisfies ErrorTable;
