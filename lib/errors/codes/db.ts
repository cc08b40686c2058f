/** Codes of the database layer (lib/db). */
import type { ErrorTable } from '../spec';

export const DB_CODES = {
  DB_CONSTRAINT: { category: 'conflict', en: 'the database refused the change by a constraint the service’s own checks let through', zh: '数据库约束拒绝了该变更（服务自身的检查未能拦截）' },
  DB_IN_USE: { category: 'unavailable', en: 'another process holds the embedded database directory', zh: '嵌入式数据库目录正被另一进程占用', field: 'database' },
  // Sharing the embedded database with its holder (lib/db/embeddedServer.ts)
  DB_HOLDER_GONE: { category: 'unavailable', en: 'the process serving the embedded database closed it during the command; what was not committed was rolled back: run it again', zh: '提供嵌入式数据库的进程在命令执行期间关闭了连接；未提交的内容已回滚，请重新执行', field: 'database' },
  DB_SOCKET_UNSAFE: { category: 'forbidden', en: 'the embedded database’s socket or its directory is not this user’s alone (details.path, details.mode, details.uid): not connected', zh: '嵌入式数据库的套接字或其目录并非仅归当前用户所有（details.path、details.mode、details.uid）：未连接', field: 'database' },
  DB_SERVED_SCHEMA_STALE: { category: 'unavailable', en: 'the process serving the embedded database has not applied every migration this command knows: restart it', zh: '提供嵌入式数据库的进程尚未应用本命令所知的全部迁移：请重启该进程', field: 'database' },
  DB_NOT_FOUND: { category: 'notFound', en: 'a read-only command found no embedded database yet (details.dataDir); nothing was created', zh: '只读命令尚未找到嵌入式数据库（details.dataDir），未创建任何文件', field: 'database' },
  DB_DAMAGED: { category: 'unavailable', en: 'PGlite cannot open the embedded database directory: damaged or foreign files (details.dataDir)', zh: 'PGlite 无法打开嵌入式数据库目录：文件已损坏或不属于 PGlite（details.dataDir）', field: 'database' },
  DB_APP_ROLE_REFUSED: { category: 'badInput', en: 'the role cannot be the application role: it does not exist, is a superuser, or owns (or is a member of the owner of) the tables', zh: '该角色不能用作应用角色：角色不存在、是超级用户，或是数据表的所有者（或所有者角色的成员）', field: 'role' },
  // The data directory (lib/db/privateTree.ts)
  DATA_DIR_MODE: { category: 'forbidden', en: 'a file or directory of the data tree is reachable by group or others (details.path, details.mode); fix with chmod -R go= on the data directory', zh: '数据目录中的文件或目录可被同组或其他用户访问（details.path、details.mode）；请对数据目录执行 chmod -R go= 修复', field: 'TQCA_DATA_DIR' },
  DATA_DIR_NOT_DIRECTORY: { category: 'badInput', en: 'the data directory (TQCA_DATA_DIR, or TQCA_DB_DIR’s parent) or a directory in it is not a directory (details.path)', zh: '数据目录（TQCA_DATA_DIR，或 TQCA_DB_DIR 的上级目录）或其中的某一级不是目录（details.path）', field: 'TQCA_DATA_DIR' },
  DATA_DIR_UNUSABLE: { category: 'unavailable', en: 'the data directory cannot be read or created (details.path, details.errno)', zh: '数据目录无法读取或创建（details.path、details.errno）', field: 'TQCA_DATA_DIR' },
} as const satisfies ErrorTable;
