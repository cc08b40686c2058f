/**
 * A log entry is an audit-chain event in its canonical encoding (lib/audit/chain.ts, chain
 * version 1): the chain hashes SM3(entry), the tree hashes SM3(0x00 ‖ entry), so both cover the
 * same bytes. In an export an entry is carried as the event's fields, from which the bytes are
 * re-encoded; `details` is carried as its canonical JSON text, so an independent verifier needs
 * no JSON canonicaliser to rebuild the bytes (ours still checks the text is canonical).
 */
import { toHex } from '../bytes';
// The modules, not lib/audit's index: a verifier worker bundles what this imports, and the index
// brings the database client.
import { canonicalJson, isSurelyCanonicalJson, normalizeJson, type CanonicalJson } from '../audit/canonicalJson';
import { CHAIN_VERSION, encodeEvent, type ChainedFields } from '../audit/chain';
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

/** An entry line's fields, checked, with the details parsed: what the chain and tree hash, before the hashes are decoded. */
export interface CheckedEntryLine {
  readonly seq: number;
  /** the event without `details`, `prevHash` and `hash` (the verifier has the previous hash's bytes already) */
  readonly fields: Omit<ChainedFields, 'details' | 'prevHash'>;
  /** the details value, parsed when asked for (the verifier needs only the text) */
  readonly details: () => CanonicalJson;
  /** the canonical details text, exactly the bytes of str(details) */
  readonly detailsText: string;
  readonly prevHash: string;
  readonly hash: string;
}

export const entryInvalid = (seq: unknown, field: string, message: string) =>
  logError('LOG_ENTRY_INVALID', `entry ${String(seq)}: ${message}`, { field, details: { seq: typeof seq === 'number' ? seq : undefined } });
const STRING_FIELDS = ['actor', 'action', 'objectType', 'objectId', 'details', 'prevHash', 'hash'] as const;

/** Every field of an entry line checked except the two hashes' spelling (`isHashHex`), the first fault named. */
export function checkEntryLine(json: Record<string, unknown>): Result<CheckedEntryLine> {
  const seq = json.seq;
  if (!isUint(seq, Number.MAX_SAFE_INTEGER) || seq === 0) return entryInvalid(seq, 'seq', 'seq is not a positive integer');
  if (json.chainVersion !== CHAIN_VERSION) return entryInvalid(seq, 'chainVersion', `chain version ${String(json.chainVersion)} is not ${CHAIN_VERSION}`);
  if (!isUint(json.time, MAX_TIME)) return entryInvalid(seq, 'time', 'time is not milliseconds since the epoch (at most 8.64e15, the last instant a Date holds)');
  if (json.actorId !== null && !(isUint(json.actorId, U32) && json.actorId !== 0)) return entryInvalid(seq, 'actorId', 'actorId is not null or a positive uint32');
  for (const field of STRING_FIELDS) {
    if (typeof json[field] !== 'string') return entryInvalid(seq, field, `${field} is not a string`);
  }
  const detailsText = json.details as string;
  const details = parseCanonicalDetails(detailsText);
  if (details === undefined) return entryInvalid(seq, 'details', 'details is not in canonical JSON (RFC 8785)');
  if (details === NOT_JSON) return entryInvalid(seq, 'details', 'details is not JSON text');
  return ok({
    seq,
    fields: {
      chainVersion: CHAIN_VERSION,
      seq: BigInt(seq),
      time: new Date(json.time),
      actorId: json.actorId as number | null,
      actor: json.actor as string,
      action: json.action as string,
      objectType: json.objectType as string,
      objectId: json.objectId as string,
    },
    details,
    detailsText,
    prevHash: json.prevHash as string,
    hash: json.hash as string,
  });
}

export const isHashHex = (text: string): boolean => HASH_HEX.test(text);

const NOT_JSON = Symbol('not JSON');

/**
 * The details text parsed, if it is canonical: undefined if it is JSON but not canonical. The
 * common case is decided by one scan (`isSurelyCanonicalJson`), and the text parsed only when the
 * value is asked for; anything else gets the full parse, normalise and compare.
 */
function parseCanonicalDetails(text: string): (() => CanonicalJson) | undefined | typeof NOT_JSON {
  if (isSurelyCanonicalJson(text)) return () => JSON.parse(text) as CanonicalJson;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
  const details = normalizeJson(parsed, 'details');
  if (!details.ok || canonicalJson(details.value) !== text) return undefined;
  const value = details.value;
  return () => value;
}

/** An entry line's JSON → the event and its canonical bytes; every field checked, the first fault named. */
export function decodeEntryLine(json: Record<string, unknown>): Result<DecodedEntry> {
  const checked = checkEntryLine(json);
  if (!checked.ok) return checked;
  const { seq, fields, details, detailsText, prevHash, hash } = checked.value;
  if (!isHashHex(prevHash)) return entryInvalid(seq, 'prevHash', 'prevHash is not 32 bytes of lowercase hex');
  if (!isHashHex(hash)) return entryInvalid(seq, 'hash', 'hash is not 32 bytes of lowercase hex');
  const entry: LogEntry = { ...fields, details: details(), prevHash: fromHex(prevHash), hash: fromHex(hash) };
  return ok({ entry, bytes: encodeEvent(entry, detailsText) });
}

/** The seq an entry's canonical bytes carry (bytes 12…19, after the tag and the chain version). */
export function seqOfEntryBytes(bytes: Uint8Array): bigint | undefined {
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 10)) !== 'TQCA-AUDIT') return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset + 12, 8).getBigUint64(0);
}
