/** Codes of the audit log (lib/audit). */
import type { ErrorTable } from '../spec';

export const AUDIT_CODES = {
  AUDIT_CHAIN_BROKEN: { category: 'internal', en: 'the stored audit chain does not verify (an event or the head was altered, removed or reordered)', zh: '已存储的审计链校验失败（某事件或链头被篡改、删除或重排）' },
  AUDIT_DETAILS_INVALID: { category: 'internal', en: 'audit event details are not storable JSON (non-finite number, invalid date, NUL or lone surrogate)', zh: '审计事件详情不是可存储的 JSON（非有限数值、无效日期、NUL 或孤立代理字符）' },
  AUDIT_EVENT_INVALID: { category: 'internal', en: 'an audit event’s action, object type, object id or time is malformed', zh: '审计事件的动作、对象类型、对象标识或时间格式错误' },
  AUDIT_WRITE_FAILED: { category: 'unavailable', en: 'the audit event could not be written, so the change was not made', zh: '审计事件无法写入，因此变更未执行' },
} as const satisfies ErrorTable;
