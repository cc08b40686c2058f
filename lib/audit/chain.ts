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
import { concat } from '../bytes';
import { sm3 } from '../crypto/sm3';
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

function uint(value: bigint | number, bytes: 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (bytes === 2) view.setUint16(0, Number(value));
  else if (bytes === 4) view.setUint32(0, Number(value));
  else view.setBigUint64(0, BigInt(value));
  return out;
}

function str(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  return concat(uint(utf8.length, 4), utf8);
}

/** The exact bytes hashed for an event (version 1). */
export function encodeEvent(e: ChainedFields): Uint8Array {
  return concat(
    TAG,
    uint(e.chainVersion, 2),
    uint(e.seq, 8),
    uint(e.time.getTime(), 8),
    uint(e.actorId ?? 0, 4),
    str(e.actor),
    str(e.action),
    str(e.objectType),
    str(e.objectId),
    str(canonicalJson(e.details)),
    e.prevHash,
  );
}

export const eventHash = (e: ChainedFields): Uint8Array => sm3(encodeEvent(e));
