/**
 * Proofs over an export: inclusion proofs as c2sp.org/tlog-proof@v1 texts, and consistency proofs
 * as witness requests (the body of c2sp.org/tlog-witness add-checkpoint: `old <size>`, the proof,
 * a blank line, the checkpoint). Generation streams the export twice: once to verify it (nothing
 * unverified is proved), once to hash the proof's subtrees; memory stays O(log² n).
 *
 * A tlog-proof's `extra` line carries the entry's canonical bytes, so a holder of the proof can
 * recompute the leaf hash, and the seq inside the bytes must be index + 1.
 */
import { ok, type Result } from '../errors';
import { parseCheckpointText, verifyCheckpointNote, type VerifiedCheckpoint } from './checkpoint';
import { seqOfEntryBytes } from './entry';
import { logError } from './errorCodes';
import { auditNoteKey } from './exportFormat';
import { consistencyRanges, inclusionRanges, leafHash, RangeHasher, SM3_TREE, verifyInclusion, type SubtreeRange } from './merkle';
import { decodeBase64, encodeBase64, parseNote, type NoteKey } from './note';
import { verifyExport, type CheckpointSummary, type ExportSummary, type VerifyOptions } from './verify';
import type { Sm2PublicKey } from '../crypto/sm2';

const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface InclusionProof {
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly hashes: readonly Uint8Array[];
  /** The checkpoint note, verbatim with its signatures. */
  readonly checkpoint: string;
}

export function formatInclusionProof(p: InclusionProof): string {
  const extra = p.extra ? `extra ${encodeBase64(p.extra)}\n` : '';
  return `${TLOG_PROOF_HEADER}\n${extra}index ${p.index}\n${p.hashes.map((h) => `${encodeBase64(h)}\n`).join('')}\n${p.checkpoint}`;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const proofMalformed = (message: string) => logError('LOG_PROOF_INVALID', message, { field: 'proof' });

/** `lines` from `at`: base64 hashes up to the blank line; returns them and the index after it. */
function hashLines(lines: readonly string[], at: number): Result<{ hashes: Uint8Array[]; next: number }> {
  const hashes: Uint8Array[] = [];
  let i = at;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const h = decodeBase64(lines[i]);
    if (!h || h.length !== 32) return proofMalformed(`line ${i + 1} is not a base64 32-byte hash`);
    hashes.push(h);
  }
  if (i >= lines.length) return proofMalformed('no blank line before the checkpoint');
  return ok({ hashes, next: i + 1 });
}

export function parseInclusionProof(text: string): Result<InclusionProof> {
  const lines = text.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER) return proofMalformed(`the first line is not ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith('extra ')) {
    extra = decodeBase64(lines[at].slice(6));
    if (!extra) return proofMalformed('the extra line is not base64');
    at += 1;
  }
  const index = /^index (.*)$/.exec(lines[at] ?? '')?.[1];
  if (index === undefined || !DECIMAL.test(index) || !Number.isSafeInteger(Number(index))) return proofMalformed('no index line with a decimal index');
  const hashes = hashLines(lines, at + 1);
  if (!hashes.ok) return hashes;
  return ok({ extra, index: Number(index), hashes: hashes.value.hashes, checkpoint: lines.slice(hashes.value.next).join('\n') });
}

export interface CheckedInclusion {
  readonly seq: number;
  readonly entry: Uint8Array;
  readonly checkpoint: VerifiedCheckpoint;
}

/** Verifies a tlog-proof offline: the checkpoint's signatures, the entry's seq, the inclusion path. */
export function checkInclusionProof(text: string, auditKey: Sm2PublicKey, witnesses: readonly NoteKey[], quorum = 0): Result<CheckedInclusion> {
  const proof = parseInclusionProof(text);
  if (!proof.ok) return proof;
  const note = parseNote(proof.value.checkpoint, 'checkpoint');
  if (!note.ok) return note;
  const body = parseCheckpointText(note.value.text);
  if (!body.ok) return body;
  const origin = body.value.origin;
  const checkpoint = verifyCheckpointNote(proof.value.checkpoint, { origin, auditKey: auditNoteKey(origin, auditKey), witnesses });
  if (!checkpoint.ok) return checkpoint;
  if (checkpoint.value.cosignatures.length < quorum) {
    return logError('LOG_QUORUM', `the checkpoint carries ${checkpoint.value.cosignatures.length} trusted cosignatures, the quorum is ${quorum}`, { field: 'quorum' });
  }
  const { extra, index, hashes } = proof.value;
  if (!extra) return proofMalformed('the proof carries no entry (extra line)');
  if (seqOfEntryBytes(extra) !== BigInt(index) + 1n) return proofMalformed(`the entry is not entry ${index + 1} (index ${index})`);
  const { size, root } = checkpoint.value.checkpoint;
  const included = verifyInclusion(SM3_TREE, index, size, leafHash(SM3_TREE, extra), hashes, root);
  if (!included.ok) return included;
  return ok({ seq: index + 1, entry: extra, checkpoint: checkpoint.value });
}

type Lines = () => AsyncIterable<string>;

/** Verifies the export, then hashes `ranges` (computed from what the first pass found) in a second pass. */
async function proveFromExport(
  lines: Lines,
  options: VerifyOptions,
  plan: (summary: ExportSummary) => Result<{ ranges: SubtreeRange[]; keepSeq?: number }>,
): Promise<Result<{ summary: ExportSummary; hashes: Uint8Array[]; kept?: Uint8Array }>> {
  const summary = await verifyExport(lines(), options);
  if (!summary.ok) return summary;
  const planned = plan(summary.value);
  if (!planned.ok) return planned;
  const hasher = new RangeHasher(SM3_TREE, planned.value.ranges);
  let kept: Uint8Array | undefined;
  const second = await verifyExport(lines(), {
    ...options,
    onEntry: ({ entry, bytes }, leaf) => {
      hasher.push(leaf);
      if (Number(entry.seq) === planned.value.keepSeq) kept = bytes;
    },
  });
  if (!second.ok) return second;
  // The file must not change between the passes.
  if (second.value.entries !== summary.value.entries) return logError('LOG_EXPORT_MALFORMED', 'the export changed while it was read', { field: 'export' });
  const hashes = hasher.result();
  return hashes.ok ? ok({ summary: summary.value, hashes: hashes.value, kept }) : hashes;
}

/** The checkpoint a proof is made against: the attested one (largest with a quorum). */
function provingCheckpoint(summary: ExportSummary): Result<CheckpointSummary> {
  const c = summary.attestedCheckpoint;
  return c ? ok(c) : logError('LOG_QUORUM', 'no checkpoint of the export meets the quorum', { field: 'checkpoint' });
}

export async function proveInclusion(lines: Lines, seq: number, options: VerifyOptions): Promise<Result<string>> {
  let checkpoint: CheckpointSummary | undefined;
  const proved = await proveFromExport(lines, options, (summary) => {
    const c = provingCheckpoint(summary);
    if (!c.ok) return c;
    checkpoint = c.value;
    if (!(Number.isSafeInteger(seq) && seq >= 1 && seq <= c.value.size)) {
      return logError('LOG_PROOF_INVALID', `entry ${seq} is not covered by the checkpoint of size ${c.value.size}`, { field: 'seq', details: { seq, size: c.value.size } });
    }
    return ok({ ranges: inclusionRanges(seq - 1, c.value.size), keepSeq: seq });
  });
  if (!proved.ok) return proved;
  return ok(formatInclusionProof({ extra: proved.value.kept, index: seq - 1, hashes: proved.value.hashes, checkpoint: checkpoint!.note }));
}

export interface WitnessRequest {
  readonly old: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
}

export const formatWitnessRequest = (r: WitnessRequest): string => `old ${r.old}\n${r.proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${r.checkpoint}`;

export function parseWitnessRequest(text: string): Result<WitnessRequest> {
  const lines = text.split('\n');
  const old = /^old (.*)$/.exec(lines[0])?.[1];
  if (old === undefined || !DECIMAL.test(old) || !Number.isSafeInteger(Number(old))) return proofMalformed('the first line is not old <size>');
  const hashes = hashLines(lines, 1);
  if (!hashes.ok) return hashes;
  return ok({ old: Number(old), proof: hashes.value.hashes, checkpoint: lines.slice(hashes.value.next).join('\n') });
}

/** A witness request: the export's attested checkpoint with a consistency proof from size `old`. */
export async function proveConsistencyRequest(lines: Lines, old: number, options: VerifyOptions): Promise<Result<string>> {
  let checkpoint: CheckpointSummary | undefined;
  const proved = await proveFromExport(lines, options, (summary) => {
    const c = provingCheckpoint(summary);
    if (!c.ok) return c;
    checkpoint = c.value;
    if (!(Number.isSafeInteger(old) && old >= 0 && old <= c.value.size)) {
      return logError('LOG_PROOF_INVALID', `no consistency proof from ${old} to the checkpoint of size ${c.value.size}`, { field: 'old', details: { old, size: c.value.size } });
    }
    return ok({ ranges: consistencyRanges(old, c.value.size) });
  });
  if (!proved.ok) return proved;
  return ok(formatWitnessRequest({ old, proof: proved.value.hashes, checkpoint: checkpoint!.note }));
}
