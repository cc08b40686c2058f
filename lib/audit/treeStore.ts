// The Merkle tree's state beside the chain head, and the stored leaf hashes proofs are made from.
import type { PrismaClient, Tx } from '../db/client';
import { normalizeJson } from './canonicalJson';
import { encodeEvent } from './chain';
import { CompactRange, leafHash, SM3_TREE } from './tree';

/** The head row as `appendAuditEvent` reads it (locked). */
export interface StoredTreeHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly tree_size: bigint;
  readonly tree_hashes: Uint8Array;
}

const HASH = 32;

export function unpackTree(size: bigint, packed: Uint8Array): CompactRange {
  const hashes: Uint8Array[] = [];
  for (let at = 0; at < packed.length; at += HASH) hashes.push(new Uint8Array(packed.subarray(at, at + HASH)));
  return new CompactRange(SM3_TREE, { size: Number(size), hashes });
}

export function packTree(tree: CompactRange): { size: bigint; packed: Uint8Array } {
  const { size, hashes } = tree.state();
  const packed = new Uint8Array(hashes.length * HASH);
  hashes.forEach((h, i) => packed.set(h, i * HASH));
  return { size: BigInt(size), packed };
}

/**
 * The tree over every event up to the head. A database whose events predate the tree has
 * tree_size < seq: the first append after the upgrade hashes those events in (once, under the
 * head lock) and stores their leaves, so that from then on an append is O(log n).
 */
export async function treeState(tx: Tx, head: StoredTreeHead): Promise<CompactRange> {
  const tree = unpackTree(head.tree_size, new Uint8Array(head.tree_hashes));
  const BATCH = 1000;
  while (BigInt(tree.size) < BigInt(head.seq)) {
    const from = BigInt(tree.size);
    const rows = await tx.auditEvent.findMany({ where: { seq: { gt: from, lte: head.seq } }, orderBy: { seq: 'asc' }, take: BATCH });
    if (rows.length === 0) break;
    const leaves = rows.map((row) => {
      const details = normalizeJson(row.details, 'details');
      if (!details.ok) throw new Error(`audit event ${row.seq}: ${details.error.message}`);
      const leaf = leafHash(SM3_TREE, encodeEvent({ ...row, prevHash: new Uint8Array(row.prevHash), details: details.value }));
      tree.append(leaf);
      return { seq: row.seq, hash: Uint8Array.from(leaf) };
    });
    await tx.auditLeaf.createMany({ data: leaves, skipDuplicates: true });
  }
  return tree;
}

/** Stored leaf hashes from leaf index 0 up to (not including) `size`, read in batches. */
export async function* storedLeaves(prisma: PrismaClient | Tx, size: number): AsyncGenerator<Uint8Array> {
  const BATCH = 5000;
  for (let from = 0n; from < BigInt(size); ) {
    const rows = await prisma.auditLeaf.findMany({ where: { seq: { gt: from, lte: BigInt(size) } }, orderBy: { seq: 'asc' }, take: BATCH, select: { seq: true, hash: true } });
    if (rows.length === 0) return;
    for (const row of rows) yield new Uint8Array(row.hash);
    from = rows[rows.length - 1].seq;
  }
}
