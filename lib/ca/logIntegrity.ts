/**
 * The live check of the stored log, and the latch that stops signing when it fails.
 *
 * The check reads the stored log once, in seq order: every event's chain hash, its leaf re-encoded
 * and compared with the stored leaf, the tree root at every stored checkpoint's size compared with
 * the root that checkpoint signed (and its note verified under the audit key), and the head's
 * compact range compared with the tree over all events. Someone who can write the database can
 * rewrite rows and re-hash the chain, but cannot sign a checkpoint: history at or below the last
 * checkpoint cannot change without the check failing.
 *
 * The latch lives in the process, not in a row an attacker could clear: once the check fails,
 * every HSM signing and key generation of this process is refused (issuance, publication,
 * ceremonies, checkpoints) until it restarts. Every process checks before its first signature
 * (the server at start-up as well, then on a timer), so a restart on a damaged log stops again. The process also
 * remembers the newest checkpoint it has seen, so deleting checkpoint rows together with the
 * events they cover is caught while it runs.
 */
import { equal } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { err, ok, type Result, type TqError } from '../errors';
import type { PrismaClient } from '../db/client';
import { appendAuditEvent, CompactRange, type CompactRangeState, encodeEvent, firstWrongNode, GENESIS_HASH, leafHash, normalizeJson, SM3_TREE, StoredNodes, SYSTEM_ACTOR, unpackTree, verifyChain, type ChainAnchor } from '../audit';
import { verifyCheckpointNote } from '../log/checkpoint';
import { encodeBase64 } from '../log/note';
import type { CaKeys } from './keys';
import type { CaServices } from './services';
import { transact } from './transaction';

export interface LiveLogReport {
  readonly events: number;
  /** size of the newest signed checkpoint the log extends (0: none yet) */
  readonly checkpointSize: number;
  readonly root: string;
  /** What was verified, for an incremental check to continue from (`verifyLiveLog`'s `since`). */
  readonly state: VerifiedLogState;
}

/**
 * A verified stored log, as an incremental check continues from it: the last event's seq and hash,
 * the compact range over the events up to it, and the checkpoint notes found valid (by size), so
 * that a later check verifies only what was appended and re-verifies no signature it has seen.
 */
export interface VerifiedLogState {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly tree: CompactRangeState;
  readonly notes: ReadonlyMap<bigint, string>;
}

export interface LiveLogCheck {
  readonly result: Result<LiveLogReport>;
  readonly at: Date;
}

interface SeenCheckpoint {
  readonly size: bigint;
  readonly root: Uint8Array;
}

const tampered = (message: string, details: Record<string, unknown> = {}): Result<never> => err('AUDIT_LOG_TAMPERED', message, { details });

const BATCH = 2000;

/**
 * The check itself: ok when the stored log extends every stored checkpoint (and `seen`). With
 * `since` (a state an earlier check returned) only the events after it are read; what that still
 * catches of older rows: the event at `since.seq` re-hashed (every rewrite that re-chains from an
 * older event changes it), the log cut back below it, and any checkpoint it verified changed or
 * gone. An older row edited or removed *without* re-chaining breaks nothing an incremental check reads: the full check
 * (no `since`) finds it, and LogWatch runs one on a slower cadence.
 */
export async function verifyLiveLog(prisma: PrismaClient, seen: SeenCheckpoint | null = null, since?: VerifiedLogState): Promise<Result<LiveLogReport>> {
  const [head, key, checkpoints, anchor] = await Promise.all([
    prisma.auditChainHead.findUnique({ where: { id: 1 } }),
    prisma.auditKey.findUnique({ where: { id: 1 } }),
    prisma.auditCheckpoint.findMany({ orderBy: { size: 'asc' } }),
    since && since.seq > 0n ? prisma.auditEvent.findUnique({ where: { seq: since.seq }, select: { hash: true } }) : null,
  ]);
  if (!head) return tampered('the audit chain head row is missing');
  if (checkpoints.length > 0 && !key) return tampered('checkpoints are stored but the audit key is gone');
  if (seen && !checkpoints.some((c) => c.size === seen.size && equal(c.root, seen.root))) {
    return tampered(`the checkpoint at size ${seen.size} this process saw is no longer stored`, { size: seen.size.toString() });
  }
  if (since) {
    if (head.seq < since.seq) return tampered(`the log holds ${head.seq} events, less than the ${since.seq} verified before`, { seq: head.seq.toString() });
    if (since.seq > 0n && !(anchor && equal(anchor.hash, since.hash))) {
      return tampered(`audit event ${since.seq} is not the one verified before: the chain was rewritten at or before it`, { seq: since.seq.toString() });
    }
    for (const [size, note] of since.notes) {
      if (!checkpoints.some((c) => c.size === size && c.note === note)) return tampered(`the checkpoint at size ${size} verified before is no longer stored as it was`, { size: size.toString() });
    }
    for (const c of checkpoints.filter((c) => c.size <= since.seq && !since.notes.has(c.size))) {
      // Signed at the size verified last (the usual case: a checkpoint of the head the check had
      // reached): that tree's root. Below it (committed after that check read the checkpoints):
      // the tree at its size, which only a full pass has.
      if (c.size < since.seq) return verifyLiveLog(prisma, seen);
      if (!equal(new CompactRange(SM3_TREE, since.tree).root(), c.root)) return tampered(`the stored log at size ${c.size} does not have the root the checkpoint signed`, { size: c.size.toString() });
    }
  }
  const notes = new Map(since?.notes);
  if (key) {
    const auditKey = sm2.publicKeyFromBytes(new Uint8Array(key.publicKey));
    if (!auditKey.ok) return tampered('the stored audit key is not an SM2 public key');
    const policy = { origin: key.origin, auditKey: { name: key.origin, kind: 'note' as const, publicKey: auditKey.value }, witnesses: [] };
    for (const c of checkpoints) {
      if (notes.get(c.size) === c.note) continue;
      const verified = verifyCheckpointNote(c.note, policy);
      if (!verified.ok) return tampered(`the checkpoint at size ${c.size} does not verify under the audit key: ${verified.error.message}`, { size: c.size.toString() });
      if (BigInt(verified.value.checkpoint.size) !== c.size || !equal(verified.value.checkpoint.root, c.root)) {
        return tampered(`the checkpoint row at size ${c.size} is not what its note signed`, { size: c.size.toString() });
      }
      notes.set(c.size, c.note);
    }
  }
  const last = checkpoints.at(-1);
  if (last && head.seq < last.size) return tampered(`the log holds ${head.seq} events, less than the checkpoint at size ${last.size}`, { size: last.size.toString(), seq: head.seq.toString() });

  const tree = new CompactRange(SM3_TREE, since?.tree);
  let next = checkpoints.findIndex((c) => c.size > BigInt(tree.size));
  if (next === -1) next = checkpoints.length;
  let from: ChainAnchor = since ? { seq: since.seq, hash: since.hash } : { seq: 0n, hash: GENESIS_HASH };
  if (since && from.seq === head.seq && !equal(from.hash, head.hash)) return tampered('the chain head is not the event verified before', { seq: head.seq.toString() });
  while (from.seq < head.seq) {
    const where = { seq: { gt: from.seq, lte: head.seq } };
    const [rows, leaves] = await Promise.all([
      prisma.auditEvent.findMany({ where, orderBy: { seq: 'asc' }, take: BATCH }),
      prisma.auditLeaf.findMany({ where, orderBy: { seq: 'asc' }, take: BATCH }),
    ]);
    const done = rows.length < BATCH;
    const nodes = new StoredNodes();
    const chained = verifyChain(rows, { from, head: done ? head : undefined });
    if (!chained.ok) return tampered(chained.error.message, { ...chained.error.details, cause: chained.error.code });
    for (const [i, row] of rows.entries()) {
      const details = normalizeJson(row.details, 'details');
      if (!details.ok) return tampered(`audit event ${row.seq}: ${details.error.message}`, { seq: row.seq.toString() });
      const leaf = leafHash(SM3_TREE, encodeEvent({ ...row, details: details.value }));
      if (row.seq <= head.treeSize && (leaves[i]?.seq !== row.seq || !equal(leaves[i].hash, leaf))) {
        return tampered(`audit event ${row.seq}: its stored leaf hash is not the hash of the event`, { seq: row.seq.toString() });
      }
      tree.append(leaf, nodes.completed);
      while (next < checkpoints.length && checkpoints[next].size === BigInt(tree.size)) {
        if (!equal(tree.root(), checkpoints[next].root)) {
          return tampered(`the stored log at size ${tree.size} does not have the root the checkpoint signed`, { size: String(tree.size) });
        }
        next += 1;
      }
    }
    const wrong = await firstWrongNode(prisma, nodes);
    if (wrong) return tampered(`the stored subtree hash at height ${wrong.height}, index ${wrong.index} is not the hash of the events under it`, { height: wrong.height, index: wrong.index });
    from = { seq: chained.value.lastSeq, hash: chained.value.lastHash };
    if (done) break;
  }
  if (next < checkpoints.length) return tampered(`the log ends before the checkpoint at size ${checkpoints[next].size}`, { size: checkpoints[next].size.toString() });
  const stored = unpackTree(head.treeSize, new Uint8Array(head.treeHashes));
  if (stored.size === tree.size && !equal(stored.root(), tree.root())) return tampered('the tree state in the chain head is not the tree over the events');
  return ok({
    events: tree.size,
    checkpointSize: Number(last?.size ?? 0n),
    root: encodeBase64(tree.root()),
    state: { seq: from.seq, hash: from.hash, tree: tree.state(), notes },
  });
}

/**
 * The process's watch over the log: runs the check (at start-up, on a timer, on demand) and,
 * when it fails, latches: the keys it hands out refuse to sign from then on. The first check is
 * full; later ones continue from the state the last passing check verified (`verifyLiveLog`'s
 * `since`: the events appended since, a rewrite that re-chains older events, checkpoints changed
 * or removed), and `checkFull` re-reads everything (an older row edited without re-chaining).
 */
export class LogWatch {
  private alarm: TqError | null = null;
  private seen: SeenCheckpoint | null = null;
  private verified: VerifiedLogState | null = null;
  private checked: Promise<unknown> | null = null;
  private last: LiveLogCheck | null = null;
  /** A check has finished: from then on a signature waits for none (a later failure latches). */
  private settled = false;

  constructor(
    private readonly ca: Pick<CaServices, 'prisma' | 'now'>,
    private readonly options: { readonly record?: boolean; readonly raise?: (alarm: TqError) => void } = {},
  ) {}

  get latched(): TqError | null {
    return this.alarm;
  }

  /** The newest finished check and when it finished (null before the first): what the console shows, not re-run per page view. */
  get lastCheck(): LiveLogCheck | null {
    return this.last;
  }

  /** Checks what was appended since the last passing check (everything, the first time). */
  check(): Promise<Result<LiveLogReport>> {
    return this.track(this.run(false));
  }

  /** Checks the whole stored log again, as at start-up. */
  checkFull(): Promise<Result<LiveLogReport>> {
    return this.track(this.run(true));
  }

  private track(run: Promise<Result<LiveLogReport>>): Promise<Result<LiveLogReport>> {
    const tracked = run.finally(() => {
      this.settled = true;
    });
    this.checked = tracked;
    return tracked;
  }

  private async run(full: boolean): Promise<Result<LiveLogReport>> {
    const verdict = await verifyLiveLog(this.ca.prisma, this.seen, full ? undefined : (this.verified ?? undefined));
    this.last = { result: verdict, at: this.ca.now() };
    if (verdict.ok) {
      // Checks may overlap (a timer tick and a signature's): keep the state that reaches furthest.
      if (!this.verified || verdict.value.state.seq >= this.verified.seq) this.verified = verdict.value.state;
      const last = await this.ca.prisma.auditCheckpoint.findFirst({ orderBy: { size: 'desc' } });
      if (last && (!this.seen || last.size > this.seen.size)) this.seen = { size: last.size, root: new Uint8Array(last.root) };
      return verdict;
    }
    this.verified = null;
    if (!this.alarm) {
      this.alarm = { ...verdict.error, message: `signing stopped: ${verdict.error.message}` };
      (this.options.raise ?? ((alarm) => process.stderr.write(`ALARM ${alarm.code}: ${alarm.message}\n`)))(this.alarm);
      if (this.options.record !== false) await recordAlarm(this.ca, this.alarm);
    }
    return verdict;
  }

  /**
   * Checks every `intervalMs` (incrementally) and the whole log every `fullIntervalMs` (default:
   * every 60th tick), until the returned function is called. A tick while a check runs is skipped.
   */
  start(intervalMs: number, fullIntervalMs = 60 * intervalMs): () => void {
    const fullEvery = Math.max(1, Math.round(fullIntervalMs / intervalMs));
    let ticks = 0;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      ticks += 1;
      void (ticks % fullEvery === 0 ? this.checkFull() : this.check()).finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The keys, checking the log before the first signature and refusing once the watch has latched. */
  guard(keys: CaKeys): CaKeys {
    const refusing =
      <A extends unknown[], T>(call: (...args: A) => Promise<Result<T>>) =>
      async (...args: A): Promise<Result<T>> => {
        if (!this.settled) await (this.checked ?? this.check());
        return this.alarm ? { ok: false, error: this.alarm } : call(...args);
      };
    return {
      generateKey: refusing((request) => keys.generateKey(request)),
      sign: refusing((name, message) => keys.sign(name, message)),
      destroyKey: (name) => keys.destroyKey(name),
      findKey: (name) => keys.findKey(name),
      health: () => keys.health(),
    };
  }
}

/** Best effort, as the HSM alarm: the stderr line is out already if the database refuses it. */
async function recordAlarm(ca: Pick<CaServices, 'prisma' | 'now'>, alarm: TqError): Promise<void> {
  await transact(ca.prisma, (tx) =>
    appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'log.integrityAlarm', objectType: 'log', objectId: 'live', details: { code: alarm.code, message: alarm.message, ...alarm.details }, time: ca.now() }),
  ).catch(() => undefined);
}
