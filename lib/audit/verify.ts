// Recomputes the chain over stored rows: each event's hash from its fields, each prevHash equal
// to the previous event's hash, seq consecutive. Reports the first event that does not verify.
import { equal, toHex } from '../bytes';
import { err, ok, type Result } from '../errors';
import type { PrismaClient } from '../db/client';
import { normalizeJson } from './canonicalJson';
import { CHAIN_VERSION, eventHash, GENESIS_HASH, type ChainedFields } from './chain';

/** An `audit_event` row as read back: details as jsonb returned it. */
export type StoredEvent = Omit<ChainedFields, 'details'> & { readonly details: unknown; readonly hash: Uint8Array };

export interface VerifiedChain {
  readonly events: number;
  /** seq and hash of the last event (0 and 32 zero bytes for an empty chain) */
  readonly lastSeq: bigint;
  readonly lastHash: Uint8Array;
}

export interface ChainAnchor {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

const broken = (seq: bigint, field: string, reason: string) =>
  err('AUDIT_CHAIN_BROKEN', `audit event ${seq}: ${reason}`, { field, details: { seq: seq.toString() } });

/**
 * Verifies `events` (ascending seq). They continue `from` (default: the start of the chain) and,
 * when `head` is given, must end exactly there, so that removing trailing events is detected too.
 */
export function verifyChain(events: readonly StoredEvent[], options: { from?: ChainAnchor; head?: ChainAnchor } = {}): Result<VerifiedChain> {
  let seq = options.from?.seq ?? 0n;
  let hash = options.from?.hash ?? GENESIS_HASH;
  for (const e of events) {
    if (e.seq !== seq + 1n) return broken(e.seq, 'seq', `expected seq ${seq + 1n}`);
    if (e.chainVersion !== CHAIN_VERSION) return broken(e.seq, 'chainVersion', `unknown chain version ${e.chainVersion}`);
    if (!equal(e.prevHash, hash)) return broken(e.seq, 'prevHash', `prevHash ${toHex(e.prevHash)} is not the previous event's hash ${toHex(hash)}`);
    const details = normalizeJson(e.details, 'details');
    if (!details.ok) return broken(e.seq, 'details', details.error.message);
    const expected = eventHash({ ...e, details: details.value });
    if (!equal(e.hash, expected)) return broken(e.seq, 'hash', 'the stored fields do not hash to the stored hash');
    seq = e.seq;
    hash = e.hash;
  }
  if (options.head && (options.head.seq !== seq || !equal(options.head.hash, hash))) {
    return err('AUDIT_CHAIN_BROKEN', `the chain ends at seq ${seq}, the head says ${options.head.seq}`, {
      field: 'head',
      details: { seq: seq.toString(), headSeq: options.head.seq.toString() },
    });
  }
  return ok({ events: events.length, lastSeq: seq, lastHash: hash });
}

const BATCH = 1000;

/**
 * Verifies the stored chain up to the head row as read at the start, in batches. Events appended
 * meanwhile lie beyond that head and are left for the next run; every event up to it was
 * committed with (or before) the head, so a missing one is detected.
 */
export async function verifyStoredChain(prisma: PrismaClient): Promise<Result<VerifiedChain>> {
  const head = await prisma.auditChainHead.findUnique({ where: { id: 1 } });
  if (!head) return err('AUDIT_CHAIN_BROKEN', 'the audit chain head row is missing', { field: 'head' });
  let from: ChainAnchor = { seq: 0n, hash: GENESIS_HASH };
  let total = 0;
  for (;;) {
    const rows = await prisma.auditEvent.findMany({ where: { seq: { gt: from.seq, lte: head.seq } }, orderBy: { seq: 'asc' }, take: BATCH });
    const last = rows.length < BATCH;
    const verified = verifyChain(rows, { from, head: last ? head : undefined });
    if (!verified.ok) return verified;
    total += verified.value.events;
    from = { seq: verified.value.lastSeq, hash: verified.value.lastHash };
    if (last) return ok({ events: total, lastSeq: from.seq, lastHash: from.hash });
  }
}
