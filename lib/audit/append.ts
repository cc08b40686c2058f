// The one way a state change is recorded. Call it inside the transaction that makes the change,
// as its last write: it locks the chain head before it writes (so concurrent transactions, from
// any process, append one after another and the chain never forks), and if the event cannot be
// written it throws, so the change rolls back with it.
import { TqException, type ErrorCode } from '../errors';
import type { Tx } from '../db/client';
import { Prisma } from '../db/generated/client';
import { canonicalJson, normalizeJson } from './canonicalJson';
import { chainAndLeafHash, CHAIN_VERSION, SYSTEM_ACTOR, type ChainedFields } from './chain';
import { lockedHead, packTree, rangeChange, StoredNodes, type ChainHead } from './treeStore';

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
   * event's snapshot, not its rows. Not named head either.
   */
  readonly writesAlongside?: Prisma.Sql;
  /**
   * The head as the transaction's first statement read it (`anticipatedHead`): the event is
   * written after it in one statement, which locks the head and finds it still that one; if
   * another transaction appended meanwhile, the head is read again, locked, and the event (alone:
   * the change is written) follows it.
   */
  readonly anticipated?: ChainHead;
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
  const { anticipated, writesAlongside } = options;
  try {
    if (anticipated) {
      const appended = await writeEvent(tx, event, anticipated, writesAlongside, true);
      if (appended) return appended;
    }
    const head = await lockedHead(tx);
    if (!head) refuse('AUDIT_WRITE_FAILED', 'the audit chain head row is missing');
    const appended = await writeEvent(tx, event, head, anticipated ? undefined : writesAlongside, false);
    if (!appended) refuse('AUDIT_WRITE_FAILED', 'the audit chain head changed under its lock');
    return appended;
  } catch (thrown) {
    if (thrown instanceof TqException) throw thrown;
    const cause = thrown instanceof Error ? thrown.message : String(thrown);
    const message = writesAlongside ? 'the audit event, or the change written with it, could not be written; the change was not made' : 'the audit event could not be written; the change was not made';
    throw new TqException({ code: 'AUDIT_WRITE_FAILED', message, details: { cause } });
  }
}

/**
 * One statement: the change written alongside, if any; the event, its leaf, the subtrees it
 * completes (one append in 16) and the head (chain and tree: the range's changed end only). With
 * `expected`, the rows are selected from the head row locked first (so an append holding it is
 * waited for, never overtaken) and only if it is still `head`; none when it had moved on.
 * Otherwise `head` is locked already, and the rows are VALUES (PGlite plans them faster).
 */
async function writeEvent(tx: Tx, event: ReturnType<typeof unchainedEvent>, head: ChainHead, alongside: Prisma.Sql | undefined, expected: boolean): Promise<AppendedEvent | undefined> {
  const fields: ChainedFields = { ...event.fields, seq: head.seq + 1n, prevHash: new Uint8Array(head.hash) };
  const { detailsText } = event;
  const { hash, leaf } = chainAndLeafHash(fields, detailsText);
  const { tree } = head; // a head is appended to once: its range becomes the event's
  const nodes = new StoredNodes();
  tree.append(leaf, nodes.completed);
  const { size, packed } = packTree(tree);
  const range = rangeChange(head.stored, size, packed);
  // Selected rather than VALUES, the parameters need their types.
  const typed = (value: unknown, type: string) => (expected ? Prisma.sql`${value}::${Prisma.raw(type)}` : Prisma.sql`${value}`);
  const eventRow = Prisma.join([
    typed(fields.seq, 'bigint'), typed(fields.chainVersion, 'int'), typed(fields.time, 'timestamptz'), typed(fields.actorId, 'int'), typed(fields.actor, 'text'), typed(fields.action, 'text'),
    typed(fields.objectType, 'text'), typed(fields.objectId, 'text'), Prisma.sql`${detailsText}::jsonb`, typed(fields.prevHash, 'bytea'), typed(hash, 'bytea'),
  ]);
  const guard = expected ? Prisma.sql`head AS (SELECT id FROM audit_chain_head WHERE id = 1 AND seq = ${head.seq} AND hash = ${head.hash} FOR UPDATE),` : Prisma.empty;
  const eventRows = expected ? Prisma.sql`SELECT ${eventRow} FROM head` : Prisma.sql`VALUES (${eventRow})`;
  const leafRows = expected ? Prisma.sql`SELECT seq, ${leaf}::bytea FROM event` : Prisma.sql`VALUES (${fields.seq}, ${leaf})`;
  const nodeRows = () => Prisma.join(nodes.rows().map((n) => Prisma.sql`(${typed(n.height, 'smallint')}, ${typed(n.index, 'bigint')}, ${typed(n.hash, 'bytea')})`));
  const completed =
    nodes.heights.length === 0
      ? Prisma.empty
      : Prisma.sql`, nodes AS (INSERT INTO audit_node (height, idx, hash) ${expected ? Prisma.sql`SELECT n.* FROM event, (VALUES ${nodeRows()}) AS n` : Prisma.sql`VALUES ${nodeRows()}`})`;
  const changes = alongside ? Prisma.sql`${alongside},` : Prisma.empty;
  const written = await tx.$executeRaw`
    WITH ${changes} ${guard} event AS (
      INSERT INTO audit_event (seq, chain_version, time, actor_id, actor, action, object_type, object_id, details, prev_hash, hash) ${eventRows}
      RETURNING seq, hash),
    leaf AS (INSERT INTO audit_leaf (seq, hash) ${leafRows})${completed}
    UPDATE audit_chain_head SET seq = event.seq, hash = event.hash, tree_size = ${size},
        tree_hashes = substring(tree_hashes FROM 1 FOR ${range.keep}::int) || ${range.tail}::bytea FROM event WHERE id = 1`;
  return written === 1 ? { seq: fields.seq, hash } : undefined;
}
