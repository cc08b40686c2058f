/** Codes of the database layer (lib/db). */
import type { ErrorTable } from '../spec';

export const DB_CODES = {
  DB_CONSTRAINT: { category: 'conflict', en: 'the database refused the change by a constraint the service’s own checks let through', zh: '数据库约束拒绝了该变更（服务自身的检查未能拦截）' },
  DB_IN_USE: { category: 'unavailable', en: 'another process holds the embedded database directory', zh: '嵌入式数据库目录正被另一进程占用', field: 'database' },
} as const satisfies ErrorTable;
