// The one way a state change is recorded. Call it inside the transaction that makes the change,
// as its last write: it locks the chain head (so concurrent transactions, from any process,
// append one after another and the chain never forks), and if the event cannot be written it
// throws, so the change rolls back with it.
import { TqException, type ErrorCode } from '../errors';
import type { Tx } from '../db/client';
import { Prisma } from '../db/generated/client';
import { canonicalJson, normalizeJson } from './canonicalJson';
import { chainAndLeafHash, CHAIN_VERSION, SYSTEM_ACTOR, type ChainedFields } from './chain';
import { lockedHead, packTree, rangeChange, StoredNodes } from './treeStore';

/** Who acted: an authenticated operator, or the console itself (recovery jobs, bootstrap). */
export type AuditActor = { readonly id: number; readonly username: string } | typeof SYSTEM_ACTOR;

export interface AuditEventInput {
  readonly actor: AuditActor;
  /** `<objectType>.<verb>`, e.g. `institution.create`, `rootKey.ceremony.approved` */
  readonly action: string;
  readonly objectType: string;
  readonly objectId: string;
  /** What changed; bytes become hex, dates ISO-8601, bigints decimal strings. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly time: Date;
}

export interface AppendOptions {
  /**
   * The change itself, as data-modifying CTEs (`name AS (INSERT …)`, comma-separated; not named
   * event, leaf or nodes), written in the event's statement: change and event in one round trip,
   * for a change whose rows are known only at the end (a publication's bundle). They see the
   * event's snapshot, not its rows.
   */
  readonly writesAlongside?: Prisma.Sql;
}

export interface AppendedEvent {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

const ACTION = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;
const OBJECT_TYPE = /^[a-z][a-zA-Z0-9]*$/;

function refuse(code: ErrorCode, message: string, field?: string): never {
  throw new TqException({ code, message, field });
}

/**
 * The input checked and its details normalised: every hashed field of the event but its place in
 * the chain (seq, prevHash), which only the locked head gives.
 */
export function unchainedEvent(input: AuditEventInput): { fields: Omit<ChainedFields, 'seq' | 'prevHash'>; detailsText: string } {
  if (!ACTION.test(input.action)) refuse('AUDIT_EVENT_INVALID', `action ${JSON.stringify(input.action)} is not <object>.<verb>`, 'action');
  if (!OBJECT_TYPE.test(input.objectType)) refuse('AUDIT_EVENT_INVALID', `object type ${JSON.stringify(input.objectType)} is not camelCase`, 'objectType');
  if (input.objectId.length === 0) refuse('AUDIT_EVENT_INVALID', 'object id is empty', 'objectId');
  if (Number.isNaN(input.time.getTime())) refuse('AUDIT_EVENT_INVALID', 'time is not a valid date', 'time');
  const details = normalizeJson(input.details ?? {}, 'details');
  if (!details.ok) throw new TqException(details.error);
  const fields = {
    chainVersion: CHAIN_VERSION,
    time: input.time,
    actorId: input.actor === SYSTEM_ACTOR ? null : input.actor.id,
    actor: input.actor === SYSTEM_ACTOR ? SYSTEM_ACTOR : input.actor.username,
    action: input.action,
    objectType: input.objectType,
    objectId: input.objectId,
    details: details.value,
  };
  return { fields, detailsText: canonicalJson(fields.details) };
}

export async function appendAuditEvent(tx: Tx, input: AuditEventInput, options: AppendOptions = {}): Promise<AppendedEvent> {
  const event = unchainedEvent(input);
  try {
    const head = await lockedHead(tx);
    if (!head) refuse('AUDIT_WRITE_FAILED', 'the audit chain head row is missing');
    const { tree } = head;
    const fields: ChainedFields = { ...event.fields, seq: BigInt(head.seq) + 1n, prevHash: new Uint8Array(head.hash) };
    const { detailsText } = event;
    const { hash, leaf } = chainAndLeafHash(fields, detailsText);
    const nodes = new StoredNodes();
    tree.append(leaf, nodes.completed);
    const { size, packed } = packTree(tree);
    const range = rangeChange(head.stored, size, packed);
    // One round trip for the event, its leaf, the subtrees it completes (one append in 16) and the
    // head (chain and tree: the range's changed end only); the head row is locked. The leaf's own VALUES rather than a SELECT
    // from the event's RETURNING: PGlite spends about a twentieth of an append less on it.
    const completed = nodes.heights.length === 0 ? Prisma.empty : Prisma.sql`, nodes AS (INSERT INTO audit_node (height, idx, hash) VALUES ${Prisma.join(nodes.rows().map((n) => Prisma.sql`(${n.height}, ${n.index}, ${n.hash})`))})`;
    const alongside = options.writesAlongside ? Prisma.sql`${options.writesAlongside},` : Prisma.empty;
    await tx.$executeRaw`
      WITH ${alongside} event AS (
        INSERT INTO audit_event (seq, chain_version, time, actor_id, actor, action, object_type, object_id, details, prev_hash, hash)
        VALUES (${fields.seq}, ${fields.chainVersion}, ${fields.time}, ${fields.actorId}, ${fields.actor}, ${fields.action}, ${fields.objectType},
                ${fields.objectId}, ${detailsText}::jsonb, ${fields.prevHash}, ${hash})
        RETURNING seq, hash),
      leaf AS (INSERT INTO audit_leaf (seq, hash) VALUES (${fields.seq}, ${leaf}))${completed}
      UPDATE audit_chain_head SET seq = event.seq, hash = event.hash, tree_size = ${size},
          tree_hashes = substring(tree_hashes FROM 1 FOR ${range.keep}::int) || ${range.tail}::bytea FROM event WHERE id = 1`;
    return { seq: fields.seq, hash };
  } catch (thrown) {
    if (thrown instanceof TqException) throw thrown;
    const cause = thrown instanceof Error ? thrown.message : String(thrown);
    const message = options.writesAlongside ? 'the audit event, or the change written with it, could not be written; the change was not made' : 'the audit event could not be written; the change was not made';
    throw new TqException({ code: 'AUDIT_WRITE_FAILED', message, details: { cause } });
  }
}
