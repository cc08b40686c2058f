/**
 * The part of verifying an export that needs nothing from earlier lines, over a batch of lines (a
 * worker's share of the file, verifyFile.ts): each entry line parsed, checked and hashed with the
 * prevHash it states. Its chain hash depends only on its own bytes, so batches hash in parallel;
 * the verifier then checks only seq and prevHash continuity and appends the leaves, in order
 * (ExportVerifier.acceptHashed).
 *
 * A line is marked HASHED only when the verifier's own line() would accept it given the right
 * predecessor (same checks: checkEntryLine, hash spelling, the hash of its fields). Everything else
 * (header, checkpoint and end lines, every fault) is left to line(), so errors are line()'s.
 */
import { toHex } from '../bytes';
import { digestInto } from '../crypto/sm3';
// The modules, not lib/audit's index (the database client): the verifier's workers bundle this.
import { isSurelyCanonicalAsciiJson } from '../audit/canonicalJson';
import { chainAndLeafHash, CHAIN_VERSION, writeEventHead } from '../audit/chain';
import { checkEntryLine, isHashHex } from './entry';

/** An entry line whose fields hash to its stated hash. */
export const HASHED = 1;
/** …and whose seq and prevHash continue the HASHED entry line before it in the same batch. */
export const LINKED = 2;
/** Bytes per line in `hashes`: its prevHash, hash and leaf hash. */
export const HASHES_PER_LINE = 96;
/** Bytes per line in `subtreeHashes`. */
export const SUBTREE_HASH_BYTES = 32;

export interface EntryBatch {
  /** Per line: where its bytes start and end in the batch (without the LF; a CR before it is kept). */
  readonly starts: Uint32Array<ArrayBuffer>;
  readonly ends: Uint32Array<ArrayBuffer>;
  readonly status: Uint8Array<ArrayBuffer>;
  readonly seqs: Float64Array<ArrayBuffer>;
  readonly hashes: Uint8Array<ArrayBuffer>;
  /**
   * At the first line of each aligned perfect subtree of the log's tree that a run of linked lines
   * makes up (markSubtrees): its leaf count; 0 on every other line.
   */
  readonly subtreeLeaves: Uint32Array<ArrayBuffer>;
  /** At the same lines: the subtree's MTH (32 bytes per line). */
  readonly subtreeHashes: Uint8Array<ArrayBuffer>;
}

const LF = 0x0a;

/** A batch of whole lines, each ending in LF except perhaps the last (the file's end). */
export function hashEntryBatch(bytes: Uint8Array): EntryBatch {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let start = 0; start < buffer.length; ) {
    const lf = buffer.indexOf(LF, start);
    const end = lf === -1 ? buffer.length : lf;
    offsets.push(start, end);
    start = end + 1;
  }
  const lines = offsets.length / 2;
  const batch: EntryBatch = {
    starts: new Uint32Array(lines),
    ends: new Uint32Array(lines),
    status: new Uint8Array(lines),
    seqs: new Float64Array(lines),
    hashes: new Uint8Array(lines * HASHES_PER_LINE),
    subtreeLeaves: new Uint32Array(lines),
    subtreeHashes: new Uint8Array(lines * SUBTREE_HASH_BYTES),
  };
  const hashes = Buffer.from(batch.hashes.buffer);
  let previous = -1;
  for (let i = 0; i < lines; i++) {
    const start = offsets[2 * i];
    const end = offsets[2 * i + 1];
    batch.starts[i] = start;
    batch.ends[i] = end;
    if (!hashExportedLine(buffer, start, end, hashes, i, batch.seqs) && !hashLine(lineText(buffer, start, end), hashes, i, batch.seqs)) continue;
    batch.status[i] = previous >= 0 && continues(batch, previous, i) ? HASHED | LINKED : HASHED;
    previous = i;
  }
  markSubtrees(batch);
  return batch;
}

/**
 * Each run of consecutive lines, each linked to the line before it, cut into the aligned perfect
 * subtrees of the log's tree its leaves make up (an entry's leaf index is its seq − 1), largest
 * first from the left, with each one's MTH. The verifier, once it accepts a run's first entry,
 * appends a subtree whole (ExportVerifier.acceptHashed): the node hashes are taken here, on the
 * workers, not one append at a time on its thread.
 */
function markSubtrees(batch: EntryBatch): void {
  const { status, seqs, hashes, subtreeLeaves, subtreeHashes } = batch;
  for (let i = 0; i < status.length; ) {
    if (!(status[i] & HASHED)) {
      i += 1;
      continue;
    }
    let end = i + 1;
    while (end < status.length && status[end] & LINKED) end += 1;
    for (let index = seqs[i] - 1; i < end; ) {
      let leaves = 1;
      while (index % (2 * leaves) === 0 && i + 2 * leaves <= end) leaves *= 2;
      subtreeLeaves[i] = leaves;
      subtreeHashes.set(subtreeHash(hashes, i, leaves), i * SUBTREE_HASH_BYTES);
      i += leaves;
      index += leaves;
    }
  }
}

// 0x01 ‖ left ‖ right, the input of a node hash (RFC 9162), reused.
const NODE = new Uint8Array(65).fill(0x01);
let level = new Uint8Array(32 * 4096);

/** The MTH of the leaves of lines first…first + leaves − 1 (a power of two), a level at a time. */
function subtreeHash(hashes: Uint8Array, first: number, leaves: number): Uint8Array {
  // Byte loops, not subarray() and set(): a view per 32-byte copy cost more than the copy.
  const leafAt = (k: number) => (first + k) * HASHES_PER_LINE + 64;
  if (leaves === 1) return hashes.subarray(leafAt(0), leafAt(0) + 32);
  if (level.length < 16 * leaves) level = new Uint8Array(16 * leaves);
  for (let k = 0; k < leaves / 2; k++) {
    const left = leafAt(2 * k);
    const right = leafAt(2 * k + 1);
    for (let j = 0; j < 32; j++) {
      NODE[1 + j] = hashes[left + j];
      NODE[33 + j] = hashes[right + j];
    }
    digestInto('sm3', NODE, level, 32 * k);
  }
  for (let n = leaves / 2; n > 1; n /= 2) {
    for (let k = 0; k < n / 2; k++) {
      for (let j = 0; j < 64; j++) NODE[1 + j] = level[64 * k + j];
      digestInto('sm3', NODE, level, 32 * k);
    }
  }
  return level.subarray(0, 32);
}

/** Line i's text as the verifier reads it: UTF-8, one CR before the LF dropped (exportLines). */
export function batchLine(bytes: Uint8Array, batch: EntryBatch, i: number): string {
  return lineText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), batch.starts[i], batch.ends[i]);
}

const lineText = (buffer: Buffer, start: number, end: number) => buffer.toString('utf8', start, end > start && buffer[end - 1] === 0x0d ? end - 1 : end);

/** The general path: the verifier's own parse and checks (verify.ts entry()). */
function hashLine(text: string, hashes: Buffer, i: number, seqs: Float64Array): boolean {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof json !== 'object' || json === null || (json as { type?: unknown }).type !== 'entry') return false;
  const checked = checkEntryLine(json as Record<string, unknown>);
  if (!checked.ok || !isHashHex(checked.value.prevHash)) return false;
  const { seq, fields, detailsText, prevHash, hash } = checked.value;
  const at = i * HASHES_PER_LINE;
  hashes.write(prevHash, at, 'hex');
  const computed = chainAndLeafHash({ ...fields, prevHash: hashes.subarray(at, at + 32) }, detailsText);
  if (toHex(computed.hash) !== hash) return false;
  hashes.set(computed.hash, at + 32);
  hashes.set(computed.leaf, at + 64);
  seqs[i] = seq;
  return true;
}

/** Line i's seq and prevHash follow line p's. */
function continues(batch: EntryBatch, p: number, i: number): boolean {
  if (batch.seqs[i] !== batch.seqs[p] + 1) return false;
  const { hashes } = batch;
  const prev = i * HASHES_PER_LINE;
  const hash = p * HASHES_PER_LINE + 32;
  for (let k = 0; k < 32; k++) if (hashes[prev + k] !== hashes[hash + k]) return false;
  return true;
}

/*
 * The fast path, for the exact shape jsonLinesExport writes: the members in its order, no
 * whitespace, plain decimal integers, ASCII strings without escapes (details: only \" escaped).
 * There each string's UTF-8 bytes are the line's own bytes, so the entry's encoding is copied from
 * the line without JSON.parse or a string per field. Any other spelling returns false and takes the
 * general path; entryBatch.test.ts checks both paths agree on every line the fast one accepts.
 */
const literal = (text: string) => Buffer.from(text, 'latin1');
const SEQ = literal('{"type":"entry","seq":');
const TIME = literal(`,"chainVersion":${CHAIN_VERSION},"time":`);
const ACTOR_ID = literal(',"actorId":');
const NULL = literal('null');
const STRINGS = [',"actor":"', '","action":"', '","objectType":"', '","objectId":"'].map(literal);
const DETAILS = literal('","details":"');
const PREV_HASH = literal('","prevHash":"');
const HASH = literal('","hash":"');
const CLOSE = literal('"}');
const U32 = 0xffffffff;
const MAX_TIME = 8.64e15;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
// What a byte is inside a fast-path string: one table load instead of four comparisons per byte.
const PLAIN = 0;
const CLOSING = 1;
const ESCAPE = 2;
const REFUSED = 3;
const BYTE_KIND = new Uint8Array(256).fill(REFUSED);
BYTE_KIND.fill(PLAIN, 0x20, 0x7f);
BYTE_KIND[QUOTE] = CLOSING;
BYTE_KIND[BACKSLASH] = ESCAPE;

let encoding = Buffer.alloc(4096);
// The same memory as a plain Uint8Array: its subarray() is V8's own, a Buffer's a JavaScript subclass's (slower, twice per entry).
let encodingBytes = new Uint8Array(encoding.buffer, encoding.byteOffset, encoding.length);
const chain = new Uint8Array(32);

function hashExportedLine(b: Buffer, start: number, end: number, hashes: Buffer, i: number, seqs: Float64Array): boolean {
  if (end > start && b[end - 1] === 0x0d) end -= 1;
  // The encoding is never longer than the line (a string's bytes are its JSON text or fewer).
  if (encoding.length < end - start + 64) {
    encoding = Buffer.alloc(2 * (end - start + 64));
    encodingBytes = new Uint8Array(encoding.buffer, encoding.byteOffset, encoding.length);
  }
  const out = encoding;
  let at = matchLiteral(b, start, SEQ);
  const seq = at < 0 ? -1 : readInteger(b, at, Number.MAX_SAFE_INTEGER);
  if (seq <= 0) return false;
  at = matchLiteral(b, integerEnd, TIME);
  const time = at < 0 ? -1 : readInteger(b, at, MAX_TIME);
  if (time < 0) return false;
  at = matchLiteral(b, integerEnd, ACTOR_ID);
  if (at < 0) return false;
  let actorId = 0;
  const afterNull = matchLiteral(b, at, NULL);
  if (afterNull >= 0) {
    integerEnd = afterNull;
  } else {
    actorId = readInteger(b, at, U32);
    if (actorId <= 0) return false;
  }
  at = integerEnd;
  let to = writeEventHead(out, 1, CHAIN_VERSION, seq, time, actorId);
  for (const opening of STRINGS) {
    at = matchLiteral(b, at, opening);
    if (at < 0) return false;
    const close = copyPlainString(b, at, end, out, to + 4);
    if (close < 0) return false;
    out.writeUInt32BE(close - at, to);
    to += 4 + close - at;
    at = close;
  }
  at = matchLiteral(b, at, DETAILS);
  if (at < 0) return false;
  const details = to + 4;
  to = details;
  for (; at < end; at++) {
    const c = b[at];
    const kind = BYTE_KIND[c];
    if (kind === PLAIN) {
      out[to++] = c;
    } else if (kind === ESCAPE && b[at + 1] === QUOTE) {
      out[to++] = QUOTE;
      at += 1;
    } else if (kind === CLOSING) {
      break;
    } else return false;
  }
  out.writeUInt32BE(to - details, details - 4);
  if (!isSurelyCanonicalAsciiJson(encodingBytes, details, to)) return false;
  const row = i * HASHES_PER_LINE;
  at = matchLiteral(b, at, PREV_HASH);
  if (at < 0 || !readHex(b, at, hashes, row)) return false;
  // Byte loops, here and below: a subarray per copy or comparison cost more than the 32 bytes.
  for (let k = 0; k < 32; k++) out[to + k] = hashes[row + k];
  to += 32;
  at = matchLiteral(b, at + 64, HASH);
  if (at < 0 || !readHex(b, at, hashes, row + 32) || matchLiteral(b, at + 64, CLOSE) !== end) return false;
  digestInto('sm3', encodingBytes.subarray(1, to), chain, 0);
  for (let k = 0; k < 32; k++) if (chain[k] !== hashes[row + 32 + k]) return false;
  out[0] = 0x00;
  digestInto('sm3', encodingBytes.subarray(0, to), hashes, row + 64);
  seqs[i] = seq;
  return true;
}

/** The offset after `lit` if the bytes at `at` are `lit`, else -1. */
function matchLiteral(b: Buffer, at: number, lit: Buffer): number {
  if (at < 0 || at + lit.length > b.length) return -1;
  for (let k = 0; k < lit.length; k++) if (b[at + k] !== lit[k]) return -1;
  return at + lit.length;
}

// Where the last readInteger stopped (kept outside to spare an object per number).
let integerEnd = -1;

/** A JSON integer in plain decimal (no sign, fraction, exponent or leading zero) at most `max`; -1 if not. */
function readInteger(b: Buffer, at: number, max: number): number {
  let value = 0;
  let k = at;
  for (; k < b.length && k - at <= 16; k++) {
    const d = b[k] - 0x30;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  const digits = k - at;
  if (digits === 0 || digits > 16 || (digits > 1 && b[at] === 0x30) || value > max) return -1;
  integerEnd = k;
  return value;
}

/** The closing quote of a string of printable ASCII without escapes starting at `at`, its bytes copied to out[to…]; or -1. */
function copyPlainString(b: Buffer, at: number, end: number, out: Buffer, to: number): number {
  for (let k = at; k < end; k++) {
    const c = b[k];
    const kind = BYTE_KIND[c];
    if (kind === PLAIN) out[to++] = c;
    else return kind === CLOSING ? k : -1;
  }
  return -1;
}

const HEX = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) HEX['0123456789abcdef'.charCodeAt(d)] = d;

/** 64 lowercase hex digits at `at` as 32 bytes at out[to…]; false if they are not. */
function readHex(b: Buffer, at: number, out: Buffer, to: number): boolean {
  if (at + 64 > b.length) return false;
  for (let k = 0; k < 32; k++) {
    const hi = HEX[b[at + 2 * k]];
    const lo = HEX[b[at + 2 * k + 1]];
    if (hi < 0 || lo < 0) return false;
    out[to + k] = (hi << 4) | lo;
  }
  return true;
}

/** One line (without its LF) through one path, for entryBatch.test.ts: its seq and 96 bytes, or undefined when declined. */
export function hashOneLine(line: Uint8Array, path: 'fast' | 'general'): { seq: number; hashes: Uint8Array } | undefined {
  const b = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  const hashes = Buffer.alloc(HASHES_PER_LINE);
  const seqs = new Float64Array(1);
  const hashed = path === 'fast' ? hashExportedLine(b, 0, b.length, hashes, 0, seqs) : hashLine(lineText(b, 0, b.length), hashes, 0, seqs);
  return hashed ? { seq: seqs[0], hashes } : undefined;
}
