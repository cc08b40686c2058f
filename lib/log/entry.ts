/**
 * A log entry is an audit-chain event in its canonical encoding (lib/audit/chain.ts, chain
 * version 1): the chain hashes SM3(entry), the tree hashes SM3(0x00 ‖ entry), so both cover the
 * same bytes. In an export an entry is carried as the event's fields, from which the bytes are
 * re-encoded; `details` is carried as its canonical JSON text, so an independent verifier needs
 * no JSON canonicaliser to rebuild the bytes (ours still checks the text is canonical).
 */
import { toHex } from '../bytes';
import { canonicalJson, CHAIN_VERSION, encodeEvent, normalizeJson, type ChainedFields } from '../audit';
import { ok, type Result } from '../errors';
import { logError } from './errorCodes';

/** An event as the audit table stores it, with its hash. */
export interface LogEntry extends ChainedFields {
  readonly hash: Uint8Array;
}

/** The JSON of an entry line (export format v1). */
export interface EntryLine {
  readonly type: 'entry';
  readonly seq: number;
  readonly chainVersion: number;
  /** milliseconds since the epoch, as hashed */
  readonly time: number;
  readonly actorId: number | null;
  readonly actor: string;
  readonly action: string;
  readonly objectType: string;
  readonly objectId: string;
  /** RFC 8785 canonical JSON text, exactly the bytes hashed */
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
}

export function entryLine(e: LogEntry): EntryLine {
  return {
    type: 'entry',
    seq: Number(e.seq),
    chainVersion: e.chainVersion,
    time: e.time.getTime(),
    actorId: e.actorId,
    actor: e.actor,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    details: canonicalJson(e.details),
    prevHash: toHex(e.prevHash),
    hash: toHex(e.hash),
  };
}

export interface DecodedEntry {
  readonly entry: LogEntry;
  /** The canonical encoding: the bytes the chain and the tree hash. */
  readonly bytes: Uint8Array;
}

const U32 = 0xffffffff;
const MAX_TIME = 8.64e15;
/** One spelling per hash, so an export has one text per log. */
const HASH_HEX = /^[0-9a-f]{64}$/;
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const isUint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/** An entry line's JSON → the event and its canonical bytes; every field checked, the first fault named. */
export function decodeEntryLine(json: Record<string, unknown>): Result<DecodedEntry> {
  const seq = json.seq;
  const bad = (field: string, message: string) => logError('LOG_ENTRY_INVALID', `entry ${String(seq)}: ${message}`, { field, details: { seq: typeof seq === 'number' ? seq : undefined } });
  if (!isUint(seq, Number.MAX_SAFE_INTEGER) || seq === 0) return bad('seq', 'seq is not a positive integer');
  if (json.chainVersion !== CHAIN_VERSION) return bad('chainVersion', `chain version ${String(json.chainVersion)} is not ${CHAIN_VERSION}`);
  if (!isUint(json.time, MAX_TIME)) return bad('time', 'time is not milliseconds since the epoch (at most 8.64e15, the last instant a Date holds)');
  if (json.actorId !== null && !(isUint(json.actorId, U32) && json.actorId !== 0)) return bad('actorId', 'actorId is not null or a positive uint32');
  for (const field of ['actor', 'action', 'objectType', 'objectId', 'details', 'prevHash', 'hash'] as const) {
    if (typeof json[field] !== 'string') return bad(field, `${field} is not a string`);
  }
  const detailsText = json.details as string;
  let parsed: unknown;
  try {
    parsed = JSON.parse(detailsText);
  } catch {
    return bad('details', 'details is not JSON text');
  }
  const details = normalizeJson(parsed, 'details');
  if (!details.ok || canonicalJson(details.value) !== detailsText) return bad('details', 'details is not in canonical JSON (RFC 8785)');
  if (!HASH_HEX.test(json.prevHash as string)) return bad('prevHash', 'prevHash is not 32 bytes of lowercase hex');
  if (!HASH_HEX.test(json.hash as string)) return bad('hash', 'hash is not 32 bytes of lowercase hex');
  const entry: LogEntry = {
    chainVersion: CHAIN_VERSION,
    seq: BigInt(seq),
    time: new Date(json.time),
    actorId: json.actorId as number | null,
    actor: json.actor as string,
    action: json.action as string,
    objectType: json.objectType as string,
    objectId: json.objectId as string,
    details: details.value,
    prevHash: fromHex(json.prevHash as string),
    hash: fromHex(json.hash as string),
  };
  return ok({ entry, bytes: encodeEvent(entry, detailsText) });
}

/** The seq an entry's canonical bytes carry (bytes 12…19, after the tag and the chain version). */
export function seqOfEntryBytes(bytes: Uint8Array): bigint | undefined {
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 10)) !== 'TQCA-AUDIT') return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset + 12, 8).getBigUint64(0);
}
