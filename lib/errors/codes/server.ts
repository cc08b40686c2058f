/**
 * Codes the console's server layer reports itself (lib/server and the app's pages, server actions
 * and route handlers); the CA's codes pass through unchanged.
 */
import type { ErrorTable } from '../spec';

export const SERVER_CODES = {
  CROSS_SITE_REQUEST: { category: 'forbidden', en: 'a cookie-authenticated request came from another site (Origin or Sec-Fetch-Site)', zh: '带 Cookie 认证的请求来自其他站点（Origin 或 Sec-Fetch-Site）' },
  CONSOLE_CONFIG_INVALID: { category: 'internal', en: 'a console setting (TQCA_SESSION_*, TQCA_STEP_UP_MAX_AGE_SECONDS, TQCA_CONSOLE_KEY) is malformed', zh: '控制台配置项（TQCA_SESSION_*、TQCA_STEP_UP_MAX_AGE_SECONDS、TQCA_CONSOLE_KEY）格式错误' },
  CONFIRMATION_MISMATCH: { category: 'badInput', en: 'the typed confirmation does not match what it confirms (the certificate number)', zh: '输入的确认内容与所确认的对象（证书编号）不一致', field: 'confirmation' },
  QUORUM_NOT_CONFIGURED: { category: 'conflict', en: 'this CA signs with a configured PIN (no TQCA_HSM_QUORUM): there are no shares to enter or lock', zh: '本 CA 使用已配置的 PIN 签名（未设置 TQCA_HSM_QUORUM）：无份额可输入或锁定', field: 'share' },
  FORM_INVALID: { category: 'badInput', en: 'a form field is missing or not text', zh: '表单字段缺失或不是文本' },
  AUDIT_EXPORT_INTERRUPTED: { category: 'internal', en: 'the audit log export broke off before its end (a line failed verification or the connection dropped); nothing was saved', zh: '审计日志导出在结束前中断（某行未通过验证或连接断开）；未保存任何文件' },
} as const satisfies ErrorTable;
