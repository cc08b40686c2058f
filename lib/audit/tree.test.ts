import { describe, expect, it } from 'vitest';
import { ENGINES, useTestDatabase } from '../../test/support/databases';
import { TqException } from '../errors';
import { leafHashSource, inclusionProof, verifyInclusion } from '../log/merkle';
import { appendAuditEvent, encodeEvent, eventHash, normalizeJson, type AuditEventInput } from '.';
import { CompactRange, leafHash, SM3_TREE } from './tree';
import { storedLeaves, unpackTree } from './treeStore';
import type { PrismaClient } from '../db/client';

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

  it('is updated with every append: the stored range and leaves are those of the stored events', async () => {
    for (let i = 0; i < 13; i++) await append(event(`e${i}`));
    const h = await head();
    expect(h.treeSize).toBe(13n);
    const { tree, leaves } = await recomputed(t.db.prisma);
    expect(unpackTree(h.treeSize, h.treeHashes).root()).toEqual(tree.root());
    expect(unpackTree(h.treeSize, h.treeHashes).state()).toEqual(tree.state());
    const stored = [];
    for await (const leaf of storedLeaves(t.db.prisma, 13)) stored.push(leaf);
    expect(stored).toEqual(leaves);
    // Proofs come from the stored leaf hashes, not from re-encoding events.
    const source = leafHashSource(SM3_TREE, () => storedLeaves(t.db.prisma, 13));
    const proof = await inclusionProof(source, 5, 13);
    expect(proof.ok && verifyInclusion(SM3_TREE, 5, 13, leaves[5], proof.value, tree.root()).ok).toBe(true);
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
