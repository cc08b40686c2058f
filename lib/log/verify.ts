/**
 * The offline verifier of an export: one pass, memory flat in the log's size. It recomputes the
 * audit chain (seq, prevHash, SM3 hash of each entry's canonical bytes) and the Merkle tree (a
 * compact range), checks every checkpoint against the tree when the stream reaches its size,
 * verifies its audit signature and every cosignature of a trusted witness, and stops at the first
 * fault with its line (and seq, for an entry).
 *
 * What a valid export proves: every entry up to `attested` (the largest checkpoint cosigned by at
 * least `quorum` trusted witnesses; with quorum 0, the last checkpoint) is what the CA committed
 * to. Entries after it are `unattested`: chained and in the tree, but nothing signed says they are
 * the log's whole tail, or that nothing followed them.
 */
import { createReadStream } from 'node:fs';
import { equal, toHex } from '../bytes';
import type { Sm2PublicKey } from '../crypto/sm2';
import { chainAndLeafHash, encodeEvent, GENESIS_HASH } from '../audit';
import { ok, type Result, type TqError } from '../errors';
import { verifyCheckpointNote, type TrustPolicy } from './checkpoint';
import { checkEntryLine, entryInvalid, isHashHex, type DecodedEntry } from './entry';
import { logError } from './errorCodes';
import { parseHeader } from './exportFormat';
import { CompactRange, SM3_TREE } from './merkle';
import { encodeBase64, type NoteKey } from './note';

export interface VerifyOptions {
  readonly auditKey: Sm2PublicKey;
  readonly witnesses?: readonly NoteKey[];
  /** Cosignatures of distinct trusted witnesses a checkpoint needs to count as attested (default 0). */
  readonly quorum?: number;
  /** Roots an older export committed to, by size: the tree here must have them (consistency). */
  readonly expectRoots?: ReadonlyMap<number, Uint8Array>;
  /** Called with each entry in order (proof generation streams leaf hashes this way). */
  readonly onEntry?: (entry: DecodedEntry, leaf: Uint8Array) => void;
}

export interface CheckpointSummary {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly cosigners: readonly string[];
}

export interface ExportSummary {
  readonly origin: string;
  readonly entries: number;
  readonly lastHash: Uint8Array;
  readonly root: Uint8Array;
  readonly checkpoints: number;
  readonly lastCheckpoint?: CheckpointSummary;
  /** The largest size a checkpoint with a quorum of cosignatures covers (0: none). */
  readonly attested: number;
  readonly attestedCheckpoint?: CheckpointSummary;
  readonly unattested: number;
  /** Every checkpoint's size and root, for a consistency check against a newer export. */
  readonly checkpointRoots: ReadonlyMap<number, Uint8Array>;
}

type Json = Record<string, unknown>;

/** Verifies an export fed one line at a time (without its newline); `finish` after the last. */
export class ExportVerifier {
  private lineNo = 0;
  private policy?: TrustPolicy;
  private readonly tree = new CompactRange(SM3_TREE);
  private lastHash: Uint8Array = GENESIS_HASH;
  // Spelled out when an entry line needs it: acceptHashed compares bytes.
  private lastHashText?: string = toHex(GENESIS_HASH);
  private checkpoints = 0;
  private lastCheckpoint?: CheckpointSummary;
  private attestedCheckpoint?: CheckpointSummary;
  private readonly roots = new Map<number, Uint8Array>();
  private ended = false;
  private failed?: TqError;

  // expectRoots' sizes in order: whether one falls inside a subtree appended whole.
  private readonly expectedSizes: readonly number[];

  constructor(private readonly options: VerifyOptions) {
    this.expectedSizes = [...(options.expectRoots?.keys() ?? [])].sort((a, b) => a - b);
  }

  line(text: string): Result<void> {
    if (this.failed) return { ok: false, error: this.failed };
    this.lineNo += 1;
    const r = this.record(text);
    if (r.ok) return r;
    this.failed = { ...r.error, details: { ...r.error.details, line: this.lineNo } };
    return { ok: false, error: this.failed };
  }

  /**
   * `leaves` consecutive entry lines parsed, checked and hashed elsewhere (entryBatch.ts, in a
   * worker), each after the first linked to the one before it (seq + 1, prevHash its hash), from
   * seq `seq`: `prevHash` is the first's prevHash, `hash` the last's hash, `root` the MTH of their
   * leaves (one line: its leaf hash; more: an aligned perfect subtree). Accepted when the first
   * continues the chain (`linked`: its prevHash is known to be the last entry's hash); undefined
   * when not, or when an older export's root is due inside the subtree: then the caller offers
   * the lines one by one, and a line's text goes to line(), which names the fault as it would have
   * without the batch.
   */
  acceptHashed(seq: number, leaves: number, linked: boolean, prevHash: Uint8Array, hash: Uint8Array, root: Uint8Array): Result<void> | undefined {
    if (this.failed || !this.policy || this.ended || this.options.onEntry || seq !== this.tree.size + 1) return undefined;
    if (!linked && !equal(prevHash, this.lastHash)) return undefined;
    if (leaves > 1 && this.expectsRootBefore(this.tree.size + leaves)) return undefined;
    this.lineNo += leaves;
    // Copies: the batch's memory is not kept.
    this.tree.appendSubtree(root.slice(), leaves);
    this.lastHash = hash.slice();
    this.lastHashText = undefined;
    const r = this.expect();
    if (!r.ok) this.failed = { ...r.error, details: { ...r.error.details, line: this.lineNo } };
    return r;
  }

  /** Whether an older export's root is due at a size after the tree's and before `size`. */
  private expectsRootBefore(size: number): boolean {
    const sizes = this.expectedSizes;
    let low = 0;
    let high = sizes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sizes[mid] <= this.tree.size) low = mid + 1;
      else high = mid;
    }
    return low < sizes.length && sizes[low] < size;
  }

  private get lastHashHex(): string {
    return (this.lastHashText ??= toHex(this.lastHash));
  }

  private record(text: string): Result<void> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return malformed('the line is not JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return malformed('the line is not a JSON object');
    const record = json as Json;
    if (this.ended) return malformed('a line follows the end line');
    if (!this.policy) {
      const header = parseHeader(record, this.options.auditKey);
      if (!header.ok) return header;
      this.policy = { origin: header.value.origin, auditKey: header.value.auditKey, witnesses: this.options.witnesses ?? [] };
      return this.expect();
    }
    switch (record.type) {
      case 'entry':
        return this.entry(record);
      case 'checkpoint':
        return this.checkpoint(record, this.policy);
      case 'end':
        return this.end(record);
      default:
        return malformed(`unknown record type ${JSON.stringify(record.type)}`);
    }
  }

  private entry(record: Json): Result<void> {
    const checked = checkEntryLine(record);
    if (!checked.ok) return checked;
    const { seq, fields, details, detailsText, prevHash, hash } = checked.value;
    // The hashes are compared as text: a spelling that matches the lowercase hex of our bytes is
    // valid; only a mismatch needs the spelling checked, to tell an invalid line from a broken chain.
    const prevMatches = prevHash === this.lastHashHex;
    if (!prevMatches && !isHashHex(prevHash)) return entryInvalid(seq, 'prevHash', 'prevHash is not 32 bytes of lowercase hex');
    const event = { ...fields, prevHash: this.lastHash };
    const computed = prevMatches ? chainAndLeafHash(event, detailsText) : undefined;
    const computedHex = computed && toHex(computed.hash);
    if (hash !== computedHex && !isHashHex(hash)) return entryInvalid(seq, 'hash', 'hash is not 32 bytes of lowercase hex');
    const expected = this.tree.size + 1;
    if (seq !== expected) return chainBroken(seq, 'seq', `entry ${seq} where entry ${expected} belongs: ${seq > expected ? 'entries are missing' : 'an entry is repeated or out of order'}`);
    if (!computed) return chainBroken(seq, 'prevHash', `entry ${seq}: prevHash is not the hash of entry ${seq - 1}`);
    // The chain's hash is lib/audit's eventHash: SM3 over encodeEvent's bytes.
    if (hash !== computedHex) return chainBroken(seq, 'hash', `entry ${seq}: its fields do not hash to its hash (an edited field)`);
    this.tree.append(computed.leaf);
    this.lastHash = computed.hash;
    this.lastHashText = hash;
    this.options.onEntry?.({ entry: { ...event, details: details(), hash: computed.hash }, bytes: encodeEvent(event, detailsText) }, computed.leaf);
    return this.expect();
  }

  /** An older export's root at this size, if it has one, must be ours. */
  private expect(): Result<void> {
    const want = this.options.expectRoots?.get(this.tree.size);
    if (!want || equal(want, this.tree.root())) return ok(undefined);
    return logError('LOG_INCONSISTENT', `the tree of the first ${this.tree.size} entries differs from the older export’s: history was rewritten at or before entry ${this.tree.size}`, {
      field: 'root',
      details: { size: this.tree.size },
    });
  }

  private checkpoint(record: Json, policy: TrustPolicy): Result<void> {
    const { size, note } = record;
    if (!Number.isSafeInteger(size) || typeof note !== 'string') return malformed('a checkpoint line is {"type":"checkpoint","size":<integer>,"note":<string>}');
    const verified = verifyCheckpointNote(note, policy);
    if (!verified.ok) return { ok: false, error: { ...verified.error, details: { ...verified.error.details, size } } };
    const { checkpoint, cosignatures } = verified.value;
    const details = { size: checkpoint.size, entries: this.tree.size };
    if (checkpoint.size !== size) return logError('LOG_CHECKPOINT_MALFORMED', `the line says size ${String(size)}, the signed checkpoint ${checkpoint.size}`, { field: 'size', details });
    if (this.lastCheckpoint && checkpoint.size <= this.lastCheckpoint.size) {
      return logError('LOG_CHECKPOINT_ORDER', `a checkpoint of size ${checkpoint.size} follows one of size ${this.lastCheckpoint.size}`, { field: 'size', details });
    }
    if (checkpoint.size !== this.tree.size) {
      const why = checkpoint.size > this.tree.size ? `entries ${this.tree.size + 1}…${checkpoint.size} are missing` : `it belongs after entry ${checkpoint.size}`;
      return logError('LOG_CHECKPOINT_ORDER', `a checkpoint of size ${checkpoint.size} follows entry ${this.tree.size}: ${why}`, { field: 'size', details });
    }
    if (!equal(checkpoint.root, this.tree.root())) {
      return logError('LOG_CHECKPOINT_ROOT', `the signed root of size ${checkpoint.size} is not the root of entries 1…${checkpoint.size}: a checkpoint of another (forked) history`, { field: 'root', details });
    }
    const summary: CheckpointSummary = { size: checkpoint.size, root: checkpoint.root, note, cosigners: cosignatures.map((c) => c.key.name) };
    this.checkpoints += 1;
    this.lastCheckpoint = summary;
    this.roots.set(checkpoint.size, checkpoint.root);
    if (cosignatures.length >= (this.options.quorum ?? 0)) this.attestedCheckpoint = summary;
    return ok(undefined);
  }

  private end(record: Json): Result<void> {
    const root = encodeBase64(this.tree.root());
    const details = { entries: this.tree.size, lastHash: toHex(this.lastHash) };
    if (record.entries !== this.tree.size) {
      return logError('LOG_EXPORT_TRUNCATED', `the end line counts ${String(record.entries)} entries, the export holds ${this.tree.size}`, { field: 'entries', details });
    }
    if (record.lastHash !== toHex(this.lastHash) || record.root !== root) {
      return logError('LOG_EXPORT_TRUNCATED', 'the end line’s last hash or root is not that of the entries before it', { field: 'lastHash', details });
    }
    this.ended = true;
    return ok(undefined);
  }

  /** Where the stream stands: what an end line written now must say. */
  position(): { entries: number; lastHash: Uint8Array; root: Uint8Array } {
    return { entries: this.tree.size, lastHash: this.lastHash, root: this.tree.root() };
  }

  finish(): Result<ExportSummary> {
    if (this.failed) return { ok: false, error: this.failed };
    if (!this.policy) return malformed('the export is empty', 'header');
    if (!this.ended) {
      return logError('LOG_EXPORT_TRUNCATED', `the export ends after entry ${this.tree.size} without its end line: it was cut off`, {
        field: 'end',
        details: { entries: this.tree.size, line: this.lineNo, attested: this.attestedCheckpoint?.size ?? 0 },
      });
    }
    const quorum = this.options.quorum ?? 0;
    if (quorum > 0 && !this.attestedCheckpoint) {
      return logError('LOG_QUORUM', `no checkpoint carries cosignatures of ${quorum} trusted witnesses`, { field: 'quorum', details: { quorum, checkpoints: this.checkpoints } });
    }
    const attested = this.attestedCheckpoint?.size ?? 0;
    return ok({
      origin: this.policy.origin,
      entries: this.tree.size,
      lastHash: this.lastHash,
      root: this.tree.root(),
      checkpoints: this.checkpoints,
      lastCheckpoint: this.lastCheckpoint,
      attested,
      attestedCheckpoint: this.attestedCheckpoint,
      unattested: this.tree.size - attested,
      checkpointRoots: this.roots,
    });
  }
}

const malformed = (message: string, field = 'line') => logError('LOG_EXPORT_MALFORMED', message, { field });
const chainBroken = (seq: number, field: string, message: string) => logError('LOG_CHAIN_BROKEN', message, { field, details: { seq } });

/**
 * An export file's lines, streamed (the file is never held whole): split on LF, a CR before it
 * dropped. Faster than node:readline, which the verifier spent a tenth of its time in.
 */
export async function* exportLines(path: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield withoutCr(text.slice(start, end));
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest) yield withoutCr(rest);
}

const withoutCr = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);

export type LineSource = AsyncIterable<string> | Iterable<string>;

/** One export verified with the options given (consistency adds the older export's roots). */
export type ExportReader = (options: VerifyOptions) => Promise<Result<ExportSummary>>;

/** An export read from its lines, afresh on each call. */
export const linesOf =
  (lines: () => LineSource): ExportReader =>
  (options) =>
    verifyExport(lines(), options);

export async function verifyExport(lines: LineSource, options: VerifyOptions): Promise<Result<ExportSummary>> {
  const verifier = new ExportVerifier(options);
  for await (const line of lines) {
    const r = verifier.line(line);
    if (!r.ok) return r;
  }
  return verifier.finish();
}

export interface ConsistencyResult {
  readonly older: ExportSummary;
  readonly newer: ExportSummary;
}

/**
 * That `newer` extends `older`: both verify, and the newer tree has the older one's root at each
 * older checkpoint and at the older export's full size. Memory: one root per older checkpoint.
 * Each export is read by an ExportReader: `linesOf` over its lines, or verifyFile.ts's file verifier.
 */
export async function verifyConsistentExports(older: ExportReader, newer: ExportReader, options: VerifyOptions): Promise<Result<ConsistencyResult>> {
  const old = await older(options);
  if (!old.ok) return { ok: false, error: { ...old.error, details: { ...old.error.details, export: 'older' } } };
  const expectRoots = new Map(old.value.checkpointRoots).set(old.value.entries, old.value.root);
  const next = await newer({ ...options, expectRoots });
  if (!next.ok) return { ok: false, error: { ...next.error, details: { ...next.error.details, export: 'newer' } } };
  if (next.value.origin !== old.value.origin) return logError('LOG_CHECKPOINT_ORIGIN', 'the exports are of different logs', { field: 'origin' });
  if (next.value.entries < old.value.entries) {
    return logError('LOG_INCONSISTENT', `the newer export holds ${next.value.entries} entries, the older ${old.value.entries}: the log was rolled back`, {
      field: 'entries',
      details: { older: old.value.entries, newer: next.value.entries },
    });
  }
  return ok({ older: old.value, newer: next.value });
}
