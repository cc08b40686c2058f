/**
 * A synthetic audit log for tests, the benchmark and the format document's example: real chain
 * events (lib/audit's encoder and hash), shaped like the console's (institutions, requests,
 * certificates issued and revoked), with checkpoints signed and cosigned by software SM2 keys.
 * Content is a function of seq, so two runs give the same entries; `rewriteFrom` gives a forked
 * history that agrees with the original before that seq.
 */
import { toHex } from '../bytes';
import { sm3 } from '../crypto/sm3';
import { CHAIN_VERSION, encodeEvent, eventHash, GENESIS_HASH, normalizeJson, SYSTEM_ACTOR, type ChainedFields } from '../audit';
import { unwrap } from '../errors';
import { cosignCheckpoint, signCheckpoint } from './checkpoint';
import type { LogEntry } from './entry';
import type { LogItem } from './export';
import { CompactRange, leafHash, SM3_TREE } from './merkle';
import { parseNote, type NoteSigner } from './note';

export interface SyntheticLogOptions {
  readonly auditKey: NoteSigner;
  readonly witnesses?: readonly NoteSigner[];
  readonly entries: number;
  /** A checkpoint after every this many entries, and one after the last. */
  readonly checkpointEvery: number;
  /** Entries from this seq on differ from the original history (a rewrite). */
  readonly rewriteFrom?: number;
  readonly start?: Date;
}

const ACTIONS = [
  ['institution.create', 'institution'],
  ['certificateRequest.submitted', 'certificateRequest'],
  ['certificateRequest.approved', 'certificateRequest'],
  ['certificate.issued', 'certificate'],
  ['certificate.revoked', 'certificate'],
] as const;

/** The event with this seq: deterministic fields of realistic size (about 350 bytes encoded). */
export function syntheticEvent(seq: number, prevHash: Uint8Array, options: { rewritten?: boolean; start?: Date } = {}): LogEntry {
  const [action, objectType] = ACTIONS[seq % ACTIONS.length];
  const digest = sm3(new TextEncoder().encode(`${options.rewritten ? 'rewritten' : 'original'} ${seq}`));
  const details = unwrap(
    normalizeJson({
      issuer: toHex(digest.subarray(0, 4)),
      serial: toHex(digest.subarray(4, 8)),
      publicKey: toHex(digest),
      reason: seq % 7 === 0 ? 'key compromise reported by the issuer' : null,
      notAfter: new Date(Date.UTC(2027, seq % 12, 1)),
    }),
  );
  const fields: ChainedFields = {
    chainVersion: CHAIN_VERSION,
    seq: BigInt(seq),
    time: new Date((options.start ?? new Date('2026-06-01T00:00:00Z')).getTime() + seq * 1000),
    actorId: seq % 3 === 0 ? null : (seq % 5) + 1,
    actor: seq % 3 === 0 ? SYSTEM_ACTOR : `officer${(seq % 5) + 1}`,
    action,
    objectType,
    objectId: String(Math.floor(seq / ACTIONS.length) + 1),
    details,
    prevHash,
  };
  return { ...fields, hash: eventHash(fields) };
}

export async function* syntheticLog(options: SyntheticLogOptions): AsyncGenerator<LogItem> {
  const tree = new CompactRange(SM3_TREE);
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= options.entries; seq++) {
    const entry = syntheticEvent(seq, prev, { rewritten: options.rewriteFrom !== undefined && seq >= options.rewriteFrom, start: options.start });
    prev = entry.hash;
    tree.append(leafHash(SM3_TREE, encodeEvent(entry)));
    yield { kind: 'entry', entry };
    if (seq % options.checkpointEvery === 0 || seq === options.entries) {
      yield { kind: 'checkpoint', size: seq, note: await checkpointNote(options, seq, tree.root(), BigInt(Math.floor(entry.time.getTime() / 1000))) };
    }
  }
}

async function checkpointNote(options: SyntheticLogOptions, size: number, root: Uint8Array, timestamp: bigint): Promise<string> {
  let note = unwrap(await signCheckpoint({ origin: options.auditKey.name, size, root }, options.auditKey));
  for (const witness of options.witnesses ?? []) note = unwrap(await cosignCheckpoint(unwrap(parseNote(note)), witness, timestamp));
  return note;
}
