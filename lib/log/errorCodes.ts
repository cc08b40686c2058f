/**
 * The error codes of the tamper-evident log's formats (tree, signed notes, checkpoints,
 * cosignatures, exports, proofs). Stable, like the codecs' (lib/codec/errorCodes.ts); messages may
 * change. The export verifier reports exactly one of these for the first fault it meets, with
 * `details.seq` (entry) or `details.line` (export line) naming the place.
 */
import { err, type TqError } from '../errors';

export const LOG_ERROR_CODES = {
  LOG_PROOF_INVALID: 'an inclusion or consistency proof does not lead to the given root(s), or its sizes are impossible',
  LOG_NOTE_MALFORMED: 'a signed note is not UTF-8 text, a blank line and signature lines (c2sp.org/signed-note)',
  LOG_NOTE_SIGNATURE_INVALID: 'a signature of a known key (name and key ID both match) does not verify',
  LOG_NOTE_DUPLICATE_SIGNATURE: 'a known key signed the same note twice',
  LOG_NOTE_UNSIGNED: 'no signature of the required key (audit key) is on the note',
  LOG_VKEY_INVALID: 'a verifier key is not <name>+<key ID hex>+<base64(type ‖ key)> of our SM2 type, or its key ID does not match',
  LOG_CHECKPOINT_MALFORMED: 'a checkpoint body is not origin, decimal size and base64 root hash lines (c2sp.org/tlog-checkpoint)',
  LOG_CHECKPOINT_ORIGIN: 'a checkpoint names another log than the export or witness expects',
  LOG_CHECKPOINT_ROOT: 'a checkpoint’s root hash is not the root of the entries up to its size',
  LOG_CHECKPOINT_ORDER: 'a checkpoint is out of place: not right after the entry that reaches its size, or smaller than an earlier one',
  LOG_QUORUM: 'fewer witnesses than the quorum cosigned the last checkpoint',
  LOG_WITNESS_CONFLICT: 'the checkpoint is not consistent with the last one this witness cosigned, or is older than it',
  LOG_WITNESS_STATE: 'the witness state directory cannot be read or written, or holds malformed state',
  LOG_KEY_FILE: 'a witness private key file cannot be read, is malformed or is readable by others',
  LOG_EXPORT_MALFORMED: 'an export line is not valid JSON of the expected record type, or the header is missing or of another format',
  LOG_ENTRY_INVALID: 'an entry’s fields are malformed or their details are not in canonical JSON',
  LOG_CHAIN_BROKEN: 'an entry’s seq, prevHash or hash does not continue the audit chain',
  LOG_EXPORT_TRUNCATED: 'the export ends before its end line, or the end line disagrees with what precedes it',
  LOG_INCONSISTENT: 'the newer export does not extend the older one: its tree at an older size has another root',
} as const;

export type LogErrorCode = keyof typeof LOG_ERROR_CODES;

export const logError = (
  code: LogErrorCode,
  message: string,
  where: { field?: string; offset?: number; details?: Record<string, unknown> } = {},
): { ok: false; error: TqError } => err(code, message, where);
