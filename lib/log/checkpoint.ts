/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the note text `<origin>\n<size>\n<base64 root>\n`, signed
 * by the audit key under the key name = origin, cosigned by witnesses. This log writes no
 * extension lines and refuses them, so a witness's statement covers the whole text.
 */
import { equal } from '../bytes';
import { ok, type Result } from '../errors';
import { logError } from './errorCodes';
import { decodeBase64, encodeBase64, formatNote, parseNote, signNote, verifyNote, type NoteKey, type NoteSigner, type SignedNote, type VerifiedSignature } from './note';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
}

export const checkpointText = (c: Checkpoint): string => `${c.origin}\n${c.size}\n${encodeBase64(c.root)}\n`;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export function parseCheckpointText(text: string, field = 'checkpoint'): Result<Checkpoint> {
  const bad = (message: string) => logError('LOG_CHECKPOINT_MALFORMED', message, { field });
  const lines = text.split('\n');
  if (lines.length !== 4 || lines[3] !== '') return bad('a checkpoint of this log is exactly three lines: origin, size, root hash');
  const [origin, sizeText, rootText] = lines;
  if (origin.length === 0) return bad('the origin is empty');
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return bad('the size is not a decimal without leading zeros below 2^53');
  const root = decodeBase64(rootText);
  if (!root || root.length !== 32) return bad('the root hash is not canonical base64 of 32 bytes');
  return ok({ origin, size: Number(sizeText), root });
}

/** A checkpoint note signed by the audit key (through the HSM's signing callback). */
export async function signCheckpoint(c: Checkpoint, auditKey: NoteSigner): Promise<Result<string>> {
  if (auditKey.name !== c.origin || auditKey.kind !== 'note') return logError('LOG_CHECKPOINT_ORIGIN', 'the audit key signs under the name of the log’s origin', { field: 'origin' });
  const text = checkpointText(c);
  const signature = await signNote(text, auditKey);
  return signature.ok ? ok(formatNote({ text, signatures: [signature.value] })) : signature;
}

/** Adds a witness's cosignature line to a signed checkpoint note (replacing none). */
export async function cosignCheckpoint(note: SignedNote, witness: NoteSigner, timestamp: bigint): Promise<Result<string>> {
  const signature = await signNote(note.text, witness, timestamp);
  return signature.ok ? ok(formatNote({ text: note.text, signatures: [...note.signatures, signature.value] })) : signature;
}

export interface TrustPolicy {
  readonly origin: string;
  /** The audit key's SM2 public key; its note key name is the origin. */
  readonly auditKey: NoteKey;
  readonly witnesses: readonly NoteKey[];
}

export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: SignedNote;
  readonly cosignatures: readonly VerifiedSignature[];
  readonly ignored: number;
}

/** Parses and verifies a checkpoint note: the audit key's signature required, every known cosignature valid. */
export function verifyCheckpointNote(text: string, policy: TrustPolicy, field = 'checkpoint'): Result<VerifiedCheckpoint> {
  const note = parseNote(text, field);
  if (!note.ok) return note;
  const checkpoint = parseCheckpointText(note.value.text, field);
  if (!checkpoint.ok) return checkpoint;
  if (checkpoint.value.origin !== policy.origin) {
    return logError('LOG_CHECKPOINT_ORIGIN', `the checkpoint is of ${JSON.stringify(checkpoint.value.origin)}, not ${JSON.stringify(policy.origin)}`, { field, details: { origin: checkpoint.value.origin } });
  }
  const verified = verifyNote(note.value, [policy.auditKey, ...policy.witnesses]);
  if (!verified.ok) return verified;
  if (!verified.value.verified.some((v) => v.key === policy.auditKey)) return logError('LOG_NOTE_UNSIGNED', 'the audit key did not sign the checkpoint', { field });
  const cosignatures = verified.value.verified.filter((v) => v.key !== policy.auditKey);
  return ok({ checkpoint: checkpoint.value, note: note.value, cosignatures, ignored: verified.value.ignored });
}

export const sameCheckpoint = (a: Checkpoint, b: Checkpoint): boolean => a.origin === b.origin && a.size === b.size && equal(a.root, b.root);
