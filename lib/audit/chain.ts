/**
 * The audit chain's hash: the contract between the console and an offline verifier.
 *
 * Chain version 1. Every event's `hash` is SM3 (GB/T 32905) over these bytes, in order
 * (integers unsigned big-endian; `str(x)` = u32 byte length ‖ the UTF-8 bytes of x):
 *
 *   "TQCA-AUDIT"              10 bytes, ASCII (domain separation from every other SM3 input)
 *   chainVersion              u16 (1)
 *   seq                       u64, 1 for the first event, +1 for each next one, no gaps
 *   time                      u64, milliseconds since 1970-01-01T00:00:00Z
 *   actorId                   u32, the operator's id; 0 for "system"
 *   str(actor)                the operator's username, or "system"
 *   str(action)               e.g. "institution.create"
 *   str(objectType)           e.g. "institution"
 *   str(objectId)             e.g. "17"
 *   str(details)              RFC 8785 canonical JSON of the details object (canonicalJson.ts)
 *   prevHash                  32 bytes: the previous event's hash; 32 zero bytes before event 1
 *
 * A later chain version (e.g. for signed checkpoints) starts at some seq with its own tag and
 * version field; events already written keep version 1 and verify as before.
 */
import { digest, sm3 } from '../crypto/sm3';
import { canonicalJson, type CanonicalJson } from './canonicalJson';

export const CHAIN_VERSION = 1;
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);
export const SYSTEM_ACTOR = 'system';

const TAG = new TextEncoder().encode('TQCA-AUDIT');

/** The hashed fields of one event, as stored in `audit_event`. */
export interface ChainedFields {
  readonly chainVersion: number;
  readonly seq: bigint;
  readonly time: Date;
  /** null for "system" */
  readonly actorId: number | null;
  readonly actor: string;
  readonly action: string;
  readonly objectType: string;
  readonly objectId: string;
  readonly details: CanonicalJson;
  readonly prevHash: Uint8Array;
}

const FIXED = TAG.length + 2 + 8 + 8 + 4 + 5 * 4;
// A Buffer: its write() puts UTF-8 at an offset without a view per string.
let scratch = Buffer.alloc(4096);
const TWO_32 = 2 ** 32;

/**
 * The fixed-size start of an event's encoding (tag, chainVersion, seq, time, actorId) at out[at…];
 * returns the offset after it, where str(actor) begins. Shared with the export verifier's fast path
 * (lib/log/entryBatch.ts), which lays out the strings from the line's bytes.
 */
export function writeEventHead(out: Buffer, at: number, chainVersion: number, seq: bigint | number, time: number, actorId: number): number {
  out.set(TAG, at);
  at += TAG.length;
  out.writeUInt16BE(chainVersion, at);
  if (typeof seq === 'number') {
    out.writeUInt32BE(Math.floor(seq / TWO_32), at + 2);
    out.writeUInt32BE(seq % TWO_32, at + 6);
  } else {
    out.writeBigUInt64BE(BigInt(seq), at + 2);
  }
  if (time >= 0) {
    out.writeUInt32BE(Math.floor(time / TWO_32), at + 10);
    out.writeUInt32BE(time % TWO_32, at + 14);
  } else {
    out.writeBigUInt64BE(BigInt.asUintN(64, BigInt(time)), at + 10);
  }
  out.writeUInt32BE(actorId, at + 18);
  return at + 22;
}

/** Encodes `e` at scratch[1…]; returns the end offset. scratch[0] is left for the caller. */
function encodeToScratch(e: Omit<ChainedFields, 'details'>, detailsText: string): number {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const bound = 1 + FIXED + e.prevHash.length + 3 * (e.actor.length + e.action.length + e.objectType.length + e.objectId.length + detailsText.length);
  if (scratch.length < bound) scratch = Buffer.alloc(Math.max(bound, 2 * scratch.length));
  const out = scratch;
  let at = writeEventHead(out, 1, e.chainVersion, e.seq, e.time.getTime(), e.actorId ?? 0);
  for (const text of [e.actor, e.action, e.objectType, e.objectId, detailsText]) {
    const written = out.write(text, at + 4, 'utf8');
    out.writeUInt32BE(written, at);
    at += 4 + written;
  }
  out.set(e.prevHash, at);
  return at + e.prevHash.length;
}

// Events are encoded into one reused buffer, after one spare byte: the tree's leaf prefix 0x00
// goes there, so the chain hash and the leaf hash are taken from the same bytes without a copy
// (the offline verifier and the live check spend much of their time here).
/**
 * The exact bytes hashed for an event (version 1). `detailsText`: the details' canonical JSON when
 * the caller holds it already (the export verifier checked it is canonical): not serialised twice.
 */
export function encodeEvent(e: ChainedFields, detailsText?: string): Uint8Array;
export function encodeEvent(e: Omit<ChainedFields, 'details'>, detailsText: string): Uint8Array;
export function encodeEvent(e: Omit<ChainedFields, 'details'> & { readonly details?: CanonicalJson }, detailsText = canonicalJson(e.details!)): Uint8Array {
  const end = encodeToScratch(e, detailsText);
  return new Uint8Array(scratch.subarray(1, end));
}

export const eventHash = (e: ChainedFields): Uint8Array => sm3(encodeEvent(e));

/**
 * The event's chain hash SM3(bytes) and its tree leaf hash SM3(0x00 ‖ bytes) (RFC 9162 §2.1, the
 * log's tree is SM3), from one encoding: the two hashes every append and every check need.
 */
export function chainAndLeafHash(e: ChainedFields, detailsText?: string): { hash: Uint8Array; leaf: Uint8Array };
export function chainAndLeafHash(e: Omit<ChainedFields, 'details'>, detailsText: string): { hash: Uint8Array; leaf: Uint8Array };
export function chainAndLeafHash(e: Omit<ChainedFields, 'details'> & { readonly details?: CanonicalJson }, detailsText = canonicalJson(e.details!)): { hash: Uint8Array; leaf: Uint8Array } {
  const end = encodeToScratch(e, detailsText);
  scratch[0] = 0x00;
  return { hash: digest('sm3', scratch.subarray(1, end)), leaf: digest('sm3', scratch.subarray(0, end)) };
}
