/**
 * Codes of the tamper-evident log's formats (lib/log: tree, signed notes, checkpoints, cosignatures,
 * exports, proofs). The export verifier reports exactly one of these for the first fault it meets,
 * with `details.seq` (entry) or `details.line` (export line) naming the place.
 */
import type { ErrorTable } from '../spec';

export const LOG_CODES = {
  LOG_PROOF_INVALID: { category: 'badInput', en: 'an inclusion or consistency proof does not lead to the given root(s), or its sizes are impossible', zh: '包含证明或一致性证明无法推出给定的根哈希，或其树大小不可能成立' },
  LOG_NOTE_MALFORMED: { category: 'badInput', en: 'a signed note is not UTF-8 text, a blank line and signature lines (c2sp.org/signed-note)', zh: '签名注记不是由 UTF-8 文本、一个空行和签名行组成（c2sp.org/signed-note）' },
  LOG_NOTE_SIGNATURE_INVALID: { category: 'badInput', en: 'a signature of a known key (name and key ID both match) does not verify', zh: '已知密钥（名称与密钥 ID 均匹配）的签名验证失败' },
  LOG_NOTE_DUPLICATE_SIGNATURE: { category: 'badInput', en: 'a known key signed the same note twice', zh: '同一已知密钥对同一注记签名了两次' },
  LOG_NOTE_UNSIGNED: { category: 'unauthenticated', en: 'no signature of the required key (audit key) is on the note', zh: '注记上没有所需密钥（审计密钥）的签名' },
  LOG_VKEY_INVALID: { category: 'badInput', en: 'a verifier key is not <name>+<key ID hex>+<base64(type ‖ key)> of our SM2 type, or its key ID does not match', zh: '验证密钥不是本系统 SM2 类型的 <名称>+<密钥ID十六进制>+<base64(类型‖密钥)>，或其密钥 ID 不符' },
  LOG_CHECKPOINT_MALFORMED: { category: 'badInput', en: 'a checkpoint body is not origin, decimal size and base64 root hash lines (c2sp.org/tlog-checkpoint)', zh: '检查点正文不是来源、十进制树大小和 base64 根哈希三行（c2sp.org/tlog-checkpoint）' },
  LOG_CHECKPOINT_ORIGIN: { category: 'conflict', en: 'a checkpoint names another log than the export or witness expects', zh: '检查点所指的日志与导出文件或见证人预期的不同' },
  LOG_CHECKPOINT_ROOT: { category: 'conflict', en: 'a checkpoint’s root hash is not the root of the entries up to its size', zh: '检查点的根哈希不是截至其树大小的条目的根（分叉的历史）' },
  LOG_CHECKPOINT_ORDER: { category: 'badInput', en: 'a checkpoint is out of place: not right after the entry that reaches its size, or smaller than an earlier one', zh: '检查点位置错误：不紧随达到其树大小的条目，或小于更早的检查点' },
  LOG_QUORUM: { category: 'unauthenticated', en: 'fewer witnesses than the quorum cosigned the last checkpoint', zh: '联署最新检查点的见证人少于法定数量' },
  LOG_WITNESS_CONFLICT: { category: 'conflict', en: 'the checkpoint is not consistent with the last one this witness cosigned, or is older than it', zh: '该检查点与此见证人上次联署的检查点不一致，或比它更旧（分叉或回滚）' },
  LOG_WITNESS_STATE: { category: 'unavailable', en: 'the witness state directory cannot be read or written, or holds malformed state', zh: '见证人状态目录无法读写，或其中状态已损坏' },
  LOG_KEY_FILE: { category: 'badInput', en: 'a witness private key file cannot be read, is malformed or is readable by others', zh: '见证人私钥文件无法读取、格式错误或可被他人读取' },
  LOG_EXPORT_MALFORMED: { category: 'badInput', en: 'an export line is not valid JSON of the expected record type, or the header is missing or of another format', zh: '导出文件的某行不是预期记录类型的有效 JSON，或缺少头部、头部格式不同' },
  LOG_ENTRY_INVALID: { category: 'badInput', en: 'an entry’s fields are malformed or their details are not in canonical JSON', zh: '条目字段格式错误，或其 details 不是规范 JSON' },
  LOG_CHAIN_BROKEN: { category: 'conflict', en: 'an entry’s seq, prevHash or hash does not continue the audit chain', zh: '条目的序号、前一哈希或哈希与审计链不连续' },
  LOG_EXPORT_TRUNCATED: { category: 'badInput', en: 'the export ends before its end line, or the end line disagrees with what precedes it', zh: '导出文件在结束行之前截断，或结束行与前文不符' },
  LOG_INCONSISTENT: { category: 'conflict', en: 'the newer export does not extend the older one: its tree at an older size has another root', zh: '较新的导出未延续较旧的导出：其在较早树大小处的根不同（历史被改写）' },
} as const satisfies ErrorTable;
