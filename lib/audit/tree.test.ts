import { beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useTestDatabase } from '../../test/support/databases';
import { TqException, unwrap } from '../errors';
import { consistencyProof, inclusionProof, leafHashSource, verifyInclusion, type SubtreeHashSource } from '../log/merkle';
import { anticipatedHead, appendAuditEvent, encodeEvent, eventHash, normalizeJson, verifyStoredChain, type AuditEventInput } from '.';
import { CompactRange, leafHash, SM3_TREE } from './tree';
import { NODE_STRIDE, storedTree, unpackTree } from './treeStore';
import type { PrismaClient, Tx } from '../db/client';
import { Prisma } from '../db/generated/client';

const event = (objectId: string): AuditEventInput => ({ actor: 'system', action: 'test.tree', objectType: 'thing', objectId, details: { objectId }, time: new Date('2026-12-01T08:00:00.000Z') });

/** The tree as an offline verifier computes it: every stored event re-encoded. */
async function recomputed(prisma: PrismaClient) {
  const tree = new CompactRange(SM3_TREE);
  const leaves: Uint8Array[] = [];
  for (const row of await prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })) {
    const details = normalizeJson(row.details, 'details');
    if (!details.ok) throw new Error(details.error.message);
    const leaf = leafHash(SM3_TREE, encodeEvent({ ...row, details: details.value }));
    leaves.push(leaf);
    tree.append(leaf);
  }
  return { tree, leaves };
}

describe.each(ENGINES)('the Merkle tree beside the chain head on %s', (engine) => {
  const t = useTestDatabase(engine);
  const append = (e: AuditEventInput) => t.db.prisma.$transaction((tx) => appendAuditEvent(tx, e));
  const head = () => t.db.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } });
  /** The head as a transaction's first statement reads it, unlocked. */
  const readAhead = async (tx: Tx | PrismaClient) => {
    const ahead = anticipatedHead();
    const [row] = await tx.$queryRaw<{ head: string | null }[]>`SELECT ${ahead.column} AS head`;
    return ahead.read(row.head);
  };
  const marker = (name: string) => Prisma.sql`marker AS (INSERT INTO counter (name, value, updated_at) VALUES (${name}, 1, now()))`;
  /** An append given the head its transaction read first, with a change alongside; `stale`: another append came between. */
  async function appendAhead(e: AuditEventInput, stale = false) {
    const early = stale ? await readAhead(t.db.prisma) : undefined;
    if (stale) await append({ ...e, objectId: `${e.objectId}-between` });
    return t.db.prisma.$transaction(async (tx) => appendAuditEvent(tx, e, { anticipated: early ?? (await readAhead(tx)), writesAlongside: marker(e.objectId) }));
  }
  const sql = (text: string) => t.db.prisma.$executeRawUnsafe(text);
  /** As the table's owner may: with its append-only triggers off. */
  async function asOwner(table: string, change: () => Promise<unknown>) {
    await sql(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    try {
      await change();
    } finally {
      await sql(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
  }

  it('is updated with every append: the stored range and leaves are those of the stored events', async () => {
    for (let i = 0; i < 13; i++) await append(event(`e${i}`));
    const h = await head();
    expect(h.treeSize).toBe(13n);
    const { tree, leaves } = await recomputed(t.db.prisma);
    expect(unpackTree(h.treeSize, h.treeHashes).root()).toEqual(tree.root());
    expect(unpackTree(h.treeSize, h.treeHashes).state()).toEqual(tree.state());
    const stored = await t.db.prisma.auditLeaf.findMany({ orderBy: { seq: 'asc' } });
    expect(stored.map((l) => new Uint8Array(l.hash))).toEqual(leaves);
    // Proofs come from the stored tree, not from re-encoding events.
    const proof = await inclusionProof(storedTree(t.db.prisma), 5, 13);
    expect(proof.ok && verifyInclusion(SM3_TREE, 5, 13, leaves[5], proof.value, tree.root()).ok).toBe(true);
  });

  it('builds each append on the range stored in the locked row, never on the one this process last wrote', async () => {
    for (let i = 0; i < 3; i++) await append(event(`r${i}`));
    const before = await head();
    // A changed range (same size, same length) must carry into the next append, where the live
    // check finds it, rather than be replaced by the bytes this process remembers.
    const forged = new Uint8Array(before.treeHashes).map((b) => b ^ 0xff);
    await t.db.prisma.$executeRaw`UPDATE audit_chain_head SET tree_hashes = ${forged} WHERE id = 1`;
    await append(event('after'));
    const expected = unpackTree(before.treeSize, forged);
    const [row] = await t.db.prisma.auditLeaf.findMany({ orderBy: { seq: 'desc' }, take: 1 });
    expected.append(new Uint8Array(row.hash));
    const h = await head();
    expect(unpackTree(h.treeSize, h.treeHashes).state()).toEqual(expected.state());
    const { tree } = await recomputed(t.db.prisma);
    expect(unpackTree(h.treeSize, h.treeHashes).root()).not.toEqual(tree.root());
    // The later tests build on an intact range.
    const intact = new Uint8Array(tree.state().hashes.flatMap((x) => [...x]));
    await t.db.prisma.$executeRaw`UPDATE audit_chain_head SET tree_hashes = ${intact} WHERE id = 1`;
  });

  it('follows the head its transaction read first, or the head read again, locked, when another append came between; the change alongside once', async () => {
    const before = await head();
    const fresh = await appendAhead(event('ahead'));
    expect(fresh.seq).toBe(before.seq + 1n);
    const late = await appendAhead(event('late'), true);
    expect(late.seq).toBe(before.seq + 3n);
    const rows = await t.db.prisma.auditEvent.findMany({ where: { seq: { gt: before.seq } }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.objectId)).toEqual(['ahead', 'late-between', 'late']);
    expect(await t.db.prisma.counter.findMany({ where: { name: { in: ['ahead', 'late'] } }, orderBy: { name: 'asc' }, select: { name: true } })).toEqual([{ name: 'ahead' }, { name: 'late' }]);
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true);
    const h = await head();
    const { tree } = await recomputed(t.db.prisma);
    expect(unpackTree(h.treeSize, h.treeHashes).state()).toEqual(tree.state());
  });

  describe('stored subtrees', () => {
    // Past 256 leaves: nodes at heights 4 and 8; sizes around both strides and between them.
    const SIZES = [1, 2, 15, 16, 17, 31, 255, 256, 257, 300];
    let leaves: Uint8Array[];
    beforeAll(async () => {
      // Appends of all three kinds (locked, ahead, ahead but late), so that each completes subtrees.
      for (let size = Number((await head()).seq); size < 300; size = Number((await head()).seq)) {
        if (size % 3 === 0 || size === 299) await append(event(`n${size}`));
        else await appendAhead(event(`n${size}`), size % 3 === 2);
      }
      leaves = (await recomputed(t.db.prisma)).leaves.slice(0, 300);
    }, 120_000);

    /** Every proof of the given sizes from `source`, as the offline verifier's source (the leaves) makes them. */
    async function expectSameProofs(source: SubtreeHashSource) {
      const reference = leafHashSource(SM3_TREE, () => leaves);
      for (const size of SIZES) {
        for (let index = 0; index < size; index += size > 20 ? 13 : 1) expect(await inclusionProof(source, index, size)).toEqual(await inclusionProof(reference, index, size));
        for (let first = 1; first <= size; first += size > 20 ? 17 : 1) expect(await consistencyProof(source, first, size)).toEqual(await consistencyProof(reference, first, size));
      }
    }

    it('are written with the append that completes them: one per 16 leaves, one per 256, each the hash of its leaves', async () => {
      const nodes = await t.db.prisma.auditNode.findMany({ where: { index: { lt: 300n } }, orderBy: [{ height: 'asc' }, { index: 'asc' }] });
      const below300 = nodes.filter((n) => (Number(n.index) + 1) * 2 ** n.height <= 300);
      expect(below300.map((n) => [n.height, Number(n.index)])).toEqual([...Array.from({ length: 18 }, (_, i) => [4, i]), [8, 0]]);
      for (const n of below300) {
        const width = 2 ** n.height;
        const [mth] = unwrap(await leafHashSource(SM3_TREE, () => leaves).subtreeHashes([{ start: Number(n.index) * width, end: (Number(n.index) + 1) * width }]));
        expect(new Uint8Array(n.hash)).toEqual(mth);
      }
      expect(NODE_STRIDE).toBe(4);
    });

    it('make every inclusion and consistency proof the leaves make', async () => {
      await expectSameProofs(storedTree(t.db.prisma));
    });

    it('are used instead of the leaves under them, and the leaves when they are missing', async () => {
      const root = (await recomputed(t.db.prisma)).tree.root();
      // Leaves under stored nodes removed: a proof that reached for them would fail.
      await asOwner('audit_leaf', async () => {
        await sql(`CREATE TEMP TABLE kept_leaves AS SELECT * FROM audit_leaf WHERE seq > 16 AND seq <= 256`);
        await sql(`DELETE FROM audit_leaf WHERE seq > 16 AND seq <= 256`);
      });
      try {
        const proof = await inclusionProof(storedTree(t.db.prisma), 290, 300);
        expect(proof.ok && verifyInclusion(SM3_TREE, 290, 300, leaves[290], proof.value, root).ok).toBe(true);
      } finally {
        await sql(`INSERT INTO audit_leaf SELECT * FROM kept_leaves`);
        await sql(`DROP TABLE kept_leaves`);
      }
      // And nodes removed (a log from before audit_node): the same proofs, from the leaves.
      await asOwner('audit_node', async () => {
        await sql(`CREATE TEMP TABLE kept_nodes AS SELECT * FROM audit_node`);
        await sql(`DELETE FROM audit_node`);
      });
      try {
        await expectSameProofs(storedTree(t.db.prisma));
      } finally {
        await sql(`INSERT INTO audit_node SELECT * FROM kept_nodes`);
        await sql(`DROP TABLE kept_nodes`);
      }
    });

    it('a wrong stored node makes a wrong proof, caught by the proof check; and nodes are append-only', async () => {
      const swap = (from: string, to: string) => asOwner('audit_node', () => sql(`UPDATE audit_node SET hash = ${to} WHERE height = 8 AND idx = 0 AND hash = ${from}`));
      const [{ hex }] = await t.db.prisma.$queryRawUnsafe<{ hex: string }[]>(`SELECT encode(hash, 'hex') AS hex FROM audit_node WHERE height = 8 AND idx = 0`);
      await swap(`'\\x${hex}'`, `'\\x${'00'.repeat(32)}'`);
      try {
        const proof = unwrap(await inclusionProof(storedTree(t.db.prisma), 290, 300));
        expect(verifyInclusion(SM3_TREE, 290, 300, leaves[290], proof, (await recomputed(t.db.prisma)).tree.root()).ok).toBe(false);
      } finally {
        await swap(`'\\x${'00'.repeat(32)}'`, `'\\x${hex}'`);
      }
      await expect(sql(`UPDATE audit_node SET hash = hash WHERE height = 4 AND idx = 0`)).rejects.toThrow(/append-only/);
      await expect(sql(`DELETE FROM audit_node WHERE height = 4`)).rejects.toThrow(/append-only/);
    });
  });

  it('a failing leaf write aborts the append and leaves neither event nor head change', async () => {
    const before = await head();
    await t.db.prisma.$executeRawUnsafe(`CREATE FUNCTION fail_leaf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END; $$`);
    await t.db.prisma.$executeRawUnsafe(`CREATE TRIGGER fail_leaf BEFORE INSERT ON audit_leaf FOR EACH ROW EXECUTE FUNCTION fail_leaf()`);
    try {
      const thrown = await append(event('lost')).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(TqException);
      expect((thrown as TqException).error.code).toBe('AUDIT_WRITE_FAILED');
    } finally {
      await t.db.prisma.$executeRawUnsafe(`DROP TRIGGER fail_leaf ON audit_leaf`);
      await t.db.prisma.$executeRawUnsafe(`DROP FUNCTION fail_leaf()`);
    }
    expect(await head()).toEqual(before);
    expect(await t.db.prisma.auditEvent.count({ where: { objectId: 'lost' } })).toBe(0);
  });

  it('catches up once over events written before the tree existed', async () => {
    // Events as a database migrated from before the tree holds them: chained, without leaves.
    let h = await head();
    for (let i = 0; i < 3; i++) {
      const fields = { chainVersion: 1, seq: h.seq + 1n, time: new Date('2026-11-30T00:00:00.000Z'), actorId: null, actor: 'system', action: 'old.event', objectType: 'thing', objectId: `old${i}`, details: {}, prevHash: new Uint8Array(h.hash) };
      const hash = eventHash(fields);
      await t.db.prisma.$executeRaw`INSERT INTO audit_event (seq, chain_version, time, actor_id, actor, action, object_type, object_id, details, prev_hash, hash)
        VALUES (${fields.seq}, 1, ${fields.time}, NULL, 'system', 'old.event', 'thing', ${fields.objectId}, '{}'::jsonb, ${fields.prevHash}, ${hash})`;
      await t.db.prisma.$executeRaw`UPDATE audit_chain_head SET seq = ${fields.seq}, hash = ${hash} WHERE id = 1`;
      h = await head();
    }
    expect(h.seq - h.treeSize).toBe(3n);
    await append(event('after'));
    h = await head();
    expect(h.treeSize).toBe(h.seq);
    expect(await t.db.prisma.auditLeaf.count()).toBe(Number(h.seq));
    expect(unpackTree(h.treeSize, h.treeHashes).root()).toEqual((await recomputed(t.db.prisma)).tree.root());
  });
});
