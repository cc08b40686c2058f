/**
 * Item 9's attacks, as someone with the database owner's access would run them against
 * PostgreSQL (triggers disabled, rows rewritten, the chain re-hashed with the public algorithm),
 * each detected by the live check, which then latches: this process's keys refuse to sign.
 * Between attacks the tables are restored from a snapshot, and a fresh watch (a restart) passes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type Result } from '../errors';
import { startHarness, type Harness } from '../../test/e2e/harness';
import { useTestCluster } from '../../test/support/databases';
import { appendAuditEvent, CompactRange, encodeEvent, eventHash, leafHash, SM3_TREE, StoredNodes, SYSTEM_ACTOR } from '../audit';
import { approveAuditKey, requestAuditKey, signLogCheckpoint } from './auditLog';
import { LogWatch, verifyLiveLog } from './logIntegrity';
import { transact } from './transaction';

const cluster = useTestCluster();
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ url: await cluster.cluster.createDatabase('logintegrity') });
  // Past 16 events: the log holds a stored subtree.
  for (let i = 0; i < 16; i++) {
    await transact(h.db.prisma, (tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'test.earlier', objectType: 'test', objectId: String(i), details: { i }, time: h.ca.now() }));
  }
  unwrap(await approveAuditKey(h.ca, h.bob, unwrap(await requestAuditKey(h.ca, h.alice, 'tqca.test/audit')).id));
  unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
  unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator')); // the newest events below a checkpoint: the first signing's
  for (const table of ['audit_event', 'audit_leaf', 'audit_node', 'audit_chain_head', 'audit_checkpoint']) {
    await h.db.prisma.$executeRawUnsafe(`CREATE TABLE snapshot_${table} AS SELECT * FROM ${table}`);
  }
}, 120_000);
afterAll(() => h?.close());

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const sql = (text: string) => h.db.prisma.$executeRawUnsafe(text);

/** As the owner: with the append-only triggers off. */
async function asOwner(attack: () => Promise<unknown>) {
  for (const t of ['audit_event', 'audit_leaf', 'audit_node', 'audit_checkpoint']) await sql(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
  try {
    await attack();
  } finally {
    for (const t of ['audit_event', 'audit_leaf', 'audit_node', 'audit_checkpoint']) await sql(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  }
}

async function restore() {
  await asOwner(async () => {
    for (const t of ['audit_event', 'audit_leaf', 'audit_node', 'audit_chain_head', 'audit_checkpoint']) {
      await sql(`DELETE FROM ${t}`);
      await sql(`INSERT INTO ${t} SELECT * FROM snapshot_${t}`);
    }
  });
}

/**
 * Re-hashes the chain from `seq` on, and rebuilds every leaf, stored subtree and the head's tree,
 * as an attacker can: the algorithms are public. Only the signed checkpoints are beyond reach.
 */
async function rehashFrom(seq: bigint) {
  const rows = await h.db.prisma.auditEvent.findMany({ where: { seq: { gte: seq } }, orderBy: { seq: 'asc' } });
  let prev: Uint8Array = (await h.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: seq - 1n } })).hash;
  for (const row of rows) {
    const hash = eventHash({ ...row, prevHash: prev, details: row.details as never });
    await h.db.prisma.$executeRaw`UPDATE audit_event SET prev_hash = ${prev}, hash = ${hash} WHERE seq = ${row.seq}`;
    prev = hash;
  }
  const tree = new CompactRange(SM3_TREE);
  const nodes = new StoredNodes();
  for (const row of await h.db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })) {
    const leaf = Uint8Array.from(leafHash(SM3_TREE, encodeEvent({ ...row, details: row.details as never })));
    tree.append(leaf, nodes.completed);
    await h.db.prisma.$executeRaw`UPDATE audit_leaf SET hash = ${leaf} WHERE seq = ${row.seq}`;
  }
  await h.db.prisma.$executeRaw`DELETE FROM audit_node`;
  await h.db.prisma.auditNode.createMany({ data: nodes.rows() });
  const packed = Uint8Array.from(Buffer.concat(tree.state().hashes));
  await h.db.prisma.$executeRaw`UPDATE audit_chain_head SET hash = ${prev}, tree_size = ${BigInt(tree.size)}, tree_hashes = ${packed} WHERE id = 1`;
}

/** The check fails with AUDIT_LOG_TAMPERED, and a watch that saw it refuses to sign. */
async function expectDetected() {
  const watch = new LogWatch(h.ca, { raise: () => undefined });
  expect(code(await watch.check())).toBe('AUDIT_LOG_TAMPERED');
  const keys = watch.guard(h.keys);
  const key = await h.db.prisma.auditKey.findUniqueOrThrow({ where: { id: 1 } });
  expect(code(await keys.sign({ id: key.hsmKeyId }, new Uint8Array([1])))).toBe('AUDIT_LOG_TAMPERED');
  // Refused by the latch, or before it by the checkpoint's own consistency check.
  expect(['AUDIT_LOG_TAMPERED', 'CHECKPOINT_INCONSISTENT']).toContain(code(await signLogCheckpoint({ ...h.ca, keys }, h.alice, 'operator')));
  expect(code(await keys.generateKey({ label: 'x', algorithm: 'sm2' }))).toBe('AUDIT_LOG_TAMPERED');
}

describe('the live check against database-level attacks on PostgreSQL', () => {
  afterEach(async () => {
    await restore();
    // A restart on the restored log passes (and would sign again).
    expect(code(await new LogWatch(h.ca).check())).toBe('ok');
  });

  it('passes on the untouched log', async () => {
    const report = unwrap(await verifyLiveLog(h.db.prisma));
    expect(report.checkpointSize).toBe(Number((await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } })).seq) - 1);
  });

  it('detects the newest events deleted and the head moved back', async () => {
    await asOwner(async () => {
      const head = await h.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
      const back = head.seq - 3n;
      await h.db.prisma.$executeRaw`DELETE FROM audit_leaf WHERE seq > ${back}`;
      await h.db.prisma.$executeRaw`DELETE FROM audit_event WHERE seq > ${back}`;
      const last = await h.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: back } });
      await h.db.prisma.$executeRaw`UPDATE audit_chain_head SET seq = ${back}, hash = ${last.hash}, tree_size = 0, tree_hashes = ''::bytea WHERE id = 1`;
    });
    await expectDetected();
  });

  it('detects a correctly chained forged event in place of a real one', async () => {
    await asOwner(async () => {
      const target = 5n;
      const real = await h.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: target } });
      await h.db.prisma.$executeRaw`UPDATE audit_event SET action = 'operator.forged', details = '{"forged":true}'::jsonb WHERE seq = ${real.seq}`;
      await rehashFrom(target);
    });
    await expectDetected();
  });

  it('detects an actor edited and the whole chain re-hashed after it', async () => {
    await asOwner(async () => {
      await sql(`UPDATE audit_event SET actor = 'mallory' WHERE seq = 3`);
      await rehashFrom(3n);
    });
    expect((await verifyLiveLog(h.db.prisma)).ok).toBe(false);
    await expectDetected();
  });

  it('detects a row changed with the append-only trigger disabled by the table owner', async () => {
    await asOwner(() => sql(`UPDATE audit_event SET object_id = 'other' WHERE seq = 2`));
    await expectDetected();
  });

  it('detects a stored subtree hash changed (proofs are made from them)', async () => {
    await asOwner(() => sql(`UPDATE audit_node SET hash = sha256(hash) WHERE height = 4 AND idx = 0`));
    const report = await verifyLiveLog(h.db.prisma);
    expect(report.ok ? 'ok' : report.error.message).toMatch(/subtree hash at height 4, index 0/);
    await expectDetected();
  });

  it('detects checkpoints deleted with the events they covered, while the process that saw them runs', async () => {
    const watch = new LogWatch(h.ca, { raise: () => undefined });
    expect(code(await watch.check())).toBe('ok');
    const newest = await h.db.prisma.auditCheckpoint.findFirstOrThrow({ orderBy: { size: 'desc' } });
    await asOwner(async () => {
      await h.db.prisma.$executeRaw`DELETE FROM audit_checkpoint WHERE size = ${newest.size}`;
    });
    expect(code(await watch.check())).toBe('AUDIT_LOG_TAMPERED');
  });
});

describe('the watch checks incrementally after its first, full check', () => {
  afterEach(async () => {
    await restore();
    expect(code(await new LogWatch(h.ca).check())).toBe('ok');
  });

  /** A watch that has verified the log as it is, then `count` events appended after that. */
  async function watchedThenAppended(count: number) {
    const watch = new LogWatch(h.ca, { raise: () => undefined });
    const first = unwrap(await watch.check());
    for (let i = 0; i < count; i++) {
      await transact(h.db.prisma, (tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: 'test.appended', objectType: 'test', objectId: String(i), details: { i }, time: h.ca.now() }));
    }
    return { watch, first };
  }

  it('continues from the verified state: the appended events, and a checkpoint signed over them', async () => {
    const { watch, first } = await watchedThenAppended(3);
    const next = unwrap(await watch.check());
    expect(next.state.seq).toBe(first.state.seq + 3n);
    unwrap(await signLogCheckpoint({ ...h.ca, keys: watch.guard(h.keys) }, h.alice, 'operator'));
    const after = unwrap(await watch.check());
    expect(after.checkpointSize).toBe(Number(next.state.seq));
    // The same root a full check computes.
    expect(after.root).toBe(unwrap(await verifyLiveLog(h.db.prisma)).root);
  });

  it('detects an appended event edited after it was written', async () => {
    const { watch, first } = await watchedThenAppended(2);
    await asOwner(() => sql(`UPDATE audit_event SET object_id = 'other' WHERE seq = ${first.state.seq + 1n}`));
    expect(code(await watch.check())).toBe('AUDIT_LOG_TAMPERED');
  });

  it('detects older events rewritten and re-chained (the verified event changed), with nothing appended since', async () => {
    const { watch } = await watchedThenAppended(0);
    await asOwner(async () => {
      await sql(`UPDATE audit_event SET actor = 'mallory' WHERE seq = 3`);
      await rehashFrom(3n);
    });
    expect(code(await watch.check())).toBe('AUDIT_LOG_TAMPERED');
  });

  it('leaves an older row edited without re-chaining to the full check, which detects it', async () => {
    const { watch } = await watchedThenAppended(1);
    await asOwner(() => sql(`UPDATE audit_event SET object_id = 'other' WHERE seq = 2`));
    // The incremental check reads nothing at or below what it verified except that last event.
    expect(code(await watch.check())).toBe('ok');
    expect(code(await watch.checkFull())).toBe('AUDIT_LOG_TAMPERED');
    expect(watch.latched?.code).toBe('AUDIT_LOG_TAMPERED');
  });
});
