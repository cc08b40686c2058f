/**
 * Codes the command line reports itself (lib/cli). Arguments can also fail with HEX_INVALID or a
 * key code; those arrive as the `details.cause` of a USAGE error.
 */
import type { ErrorTable } from '../spec';

export const CLI_CODES = {
  USAGE: { category: 'badInput', en: 'the command line does not fit the command (exit 2); details.cause holds the argument’s own error', zh: '命令行与命令不符（退出码 2）；details.cause 为该参数自身的错误' },
  INTERNAL: { category: 'internal', en: 'an unexpected fault, i.e. a bug (exit 1; the stack goes to stderr)', zh: '意外故障，即程序缺陷（退出码 1；调用栈输出到 stderr）' },
  INPUT_EMPTY: { category: 'badInput', en: 'a byte argument holds no bytes', zh: '字节参数不含任何字节' },
  INPUT_LENGTH: { category: 'badInput', en: 'a fixed-size argument (--root, --issuer, --number) has the wrong number of bytes', zh: '定长参数（--root、--issuer、--number）字节数错误' },
  INPUT_UNREADABLE: { category: 'badInput', en: 'an @path file or stdin cannot be read', zh: '无法读取 @path 文件或标准输入' },
  INPUT_TOO_LARGE: { category: 'badInput', en: 'an @path file or stdin holds more than its argument takes (details.limit, in bytes; README lists the caps)', zh: '@path 文件或标准输入的内容超过该参数的上限（details.limit，单位字节；上限见 README）' },
  STDIN_REUSED: { category: 'badInput', en: 'stdin (-) was given for more than one argument', zh: '标准输入（-）被用于多个参数' },
  // Operator sign-in and arguments of the CA commands
  CHOICE_INVALID: { category: 'badInput', en: 'an argument is not one of the values it allows', zh: '参数不是其允许的取值之一' },
  ID_INVALID: { category: 'badInput', en: 'an id argument is not a positive integer', zh: '标识参数不是正整数' },
  PASSWORD_MISMATCH: { category: 'badInput', en: 'the two passwords typed differ, or input was aborted', zh: '两次输入的密码不一致，或输入被中止', field: 'password' },
  PASSWORD_REQUIRED: { category: 'badInput', en: 'no new password: give --password-stdin or TQCA_NEW_PASSWORD, or run on a terminal', zh: '未提供新密码：请使用 --password-stdin 或 TQCA_NEW_PASSWORD，或在终端中运行', field: 'password' },
  ROLE_INVALID: { category: 'badInput', en: 'roles are missing or name a role that does not exist', zh: '未给出角色，或给出了不存在的角色', field: 'roles' },
  OUTPUT_UNWRITABLE: { category: 'unavailable', en: 'the --out file cannot be written (the target is left as it was)', zh: '无法写入 --out 指定的文件（目标文件保持原状）', field: 'out' },
  GOVERNANCE_VIOLATIONS: { category: 'conflict', en: '`governance report` found rule violations in the audit log (exit 1; the report lists them)', zh: '`governance report` 在审计日志中发现违规（退出码 1，报告列出违规项）' },
  // Quorum activation at the terminal (lib/cli/quorumEntry.ts)
  QUORUM_ABORTED: { category: 'badInput', en: 'share entry was aborted, or failed too often: signing stays locked', zh: '份额输入被中止或失败次数过多：签名保持锁定' },
  QUORUM_OFFICERS_INVALID: { category: 'badInput', en: '--officers is not N distinct operator usernames, or is given without TQCA_HSM_QUORUM', zh: '--officers 不是 N 个互不相同的操作员用户名，或未设置 TQCA_HSM_QUORUM 却给出了该参数', field: 'officers' },
  QUORUM_TERMINAL_REQUIRED: { category: 'unavailable', en: 'signing is locked (TQCA_HSM_QUORUM) and officers can enter shares only at a terminal', zh: '签名已锁定（TQCA_HSM_QUORUM），官员只能在终端上输入份额' },
} as const satisfies ErrorTable;
