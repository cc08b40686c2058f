// The Merkle tree's state beside the chain head, and the stored leaf and subtree hashes proofs
// are made from.
import { equal } from '../bytes';
import type { PrismaClient, Tx } from '../db/client';
import { Prisma } from '../db/generated/client';
import { Code, err, ok, type Result } from '../errors';
import { digest } from '../crypto/sm3';
import { normalizeJson } from './canonicalJson';
import { encodeEvent } from './chain';
import { CompactRange, leafHash, nodeHash, SM3_TREE } from './tree';

/** The head row as `appendAuditEvent` reads it; tree_hex null: the range it last wrote. */
interface HeadRow {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly tree_size: bigint;
  readonly tree_hex: string | null;
}

/** The chain head and the tree over every event up to it, with the range's stored bytes. */
export interface ChainHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly tree: CompactRange;
  readonly stored: Uint8Array;
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

/** A compact range as stored: its size, its bytes and their SHA-256 (hex). */
interface StoredRange {
  readonly size: bigint;
  readonly packed: Uint8Array;
  readonly sha256: string;
}

// The range this process last wrote. The next append's read of the locked head sends its SHA-256
// and gets the stored bytes back only when they differ (another process appended, the transaction
// rolled back, the row was changed): the range is never taken on trust, and it does not cross the
// driver twice per append, which on PGlite costs about as much as the leaf's row.
let lastWritten: StoredRange = { size: -1n, packed: new Uint8Array(0), sha256: '' };

/** The locked chain head and the tree over every event up to it, with the range's stored bytes. */
export async function lockedHead(tx: Tx): Promise<ChainHead | undefined> {
  const known = lastWritten;
  // Literals, not parameters (a bigint and hex digits this process made): a statement without
  // parameters goes to PostgreSQL by the simple protocol, one message instead of five.
  const same = Prisma.raw(`tree_size = ${known.size} AND encode(sha256(tree_hashes), 'hex') = '${known.sha256}'`);
  const [head] = await tx.$queryRaw<HeadRow[]>`
    SELECT seq, hash, tree_size, CASE WHEN ${same} THEN NULL ELSE encode(tree_hashes, 'hex') END AS tree_hex
    FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
  if (!head) return undefined;
  const stored = storedRange(head, known);
  return { seq: head.seq, hash: head.hash, stored, tree: await treeState(tx, head.seq, unpackTree(head.tree_size, stored)) };
}

// Hex text, not bytea: PGlite's adapter parses bytea a byte at a time, then Prisma base64s it twice.
const storedRange = (head: HeadRow, known: StoredRange): Uint8Array => (head.tree_hex === null ? known.packed : Buffer.from(head.tree_hex, 'hex'));

/**
 * The head as a column of another statement (text), read unlocked in a transaction's first
 * statement, and `read` to take it back: so that the transaction's append, given the head it
 * expects (`appendAuditEvent`'s `anticipated`), needs no statement of its own to read it.
 * Parameters, not literals: the statement it joins is prepared once. `read` answers none when
 * there is no head row or its tree lags the chain (the locked read catches the tree up).
 */
export function anticipatedHead(): { readonly column: Prisma.Sql; readonly read: (column: string | null) => ChainHead | undefined } {
  const known = lastWritten;
  const column = Prisma.sql`(SELECT json_build_object('seq', seq::text, 'hash', encode(hash, 'hex'), 'treeSize', tree_size::text,
      'treeHex', CASE WHEN tree_size = ${known.size} AND encode(sha256(tree_hashes), 'hex') = ${known.sha256} THEN NULL ELSE encode(tree_hashes, 'hex') END)::text
    FROM audit_chain_head WHERE id = 1)`;
  const read = (text: string | null): ChainHead | undefined => {
    if (text === null) return undefined;
    const row = JSON.parse(text) as { seq: string; hash: string; treeSize: string; treeHex: string | null };
    const head: HeadRow = { seq: BigInt(row.seq), hash: Buffer.from(row.hash, 'hex'), tree_size: BigInt(row.treeSize), tree_hex: row.treeHex };
    if (head.tree_size !== head.seq) return undefined;
    const stored = storedRange(head, known);
    return { seq: head.seq, hash: head.hash, stored, tree: unpackTree(head.tree_size, stored) };
  };
  return { column, read };
}

/**
 * How the head's tree_hashes becomes `packed`: its first `keep` bytes stay (an append pops only
 * the last hashes and pushes one), `tail` follows them. Remembered for the next append's read.
 */
export function rangeChange(stored: Uint8Array, size: bigint, packed: Uint8Array): { keep: number; tail: Uint8Array } {
  let keep = 0;
  while (keep + HASH <= Math.min(stored.length, packed.length) && equal(stored.subarray(keep, keep + HASH), packed.subarray(keep, keep + HASH))) keep += HASH;
  lastWritten = { size, packed, sha256: Buffer.from(digest('sha256', packed)).toString('hex') };
  return { keep, tail: packed.subarray(keep) };
}

/**
 * The tree over every event up to `seq`. A database whose events predate the tree has
 * tree_size < seq: the first append after the upgrade hashes those events in (once, under the
 * head lock) and stores their leaves, so that from then on an append is O(log n).
 */
async function treeState(tx: Tx, seq: bigint, tree: CompactRange): Promise<CompactRange> {
  const BATCH = 1000;
  while (BigInt(tree.size) < BigInt(seq)) {
    const nodes = new StoredNodes();
    const from = BigInt(tree.size);
    const rows = await tx.auditEvent.findMany({ where: { seq: { gt: from, lte: seq } }, orderBy: { seq: 'asc' }, take: BATCH });
    if (rows.length === 0) break;
    const leaves = rows.map((row) => {
      const details = normalizeJson(row.details, 'details');
      if (!details.ok) throw new Error(`audit event ${row.seq}: ${details.error.message}`);
      const leaf = leafHash(SM3_TREE, encodeEvent({ ...row, prevHash: new Uint8Array(row.prevHash), details: details.value }));
      tree.append(leaf, nodes.completed);
      return { seq: row.seq, hash: Uint8Array.from(leaf) };
    });
    await tx.auditLeaf.createMany({ data: leaves, skipDuplicates: true });
    await tx.auditNode.createMany({ data: nodes.rows(), skipDuplicates: true });
  }
  return tree;
}

/**
 * Stored subtree heights: every fourth (16, 256, 4096 … leaves). A proof hash then needs at most
 * 15 stored hashes per height it spans, for one node row per 15 leaves written.
 */
export const NODE_STRIDE = 4;

/** The perfect subtrees an append completed at the stored heights, as audit_node rows. */
export class StoredNodes {
  readonly heights: number[] = [];
  readonly indices: number[] = [];
  readonly hashes: Uint8Array[] = [];

  readonly completed = (height: number, index: number, hash: Uint8Array): void => {
    if (height % NODE_STRIDE !== 0) return;
    this.heights.push(height);
    this.indices.push(index);
    this.hashes.push(Uint8Array.from(hash));
  };

  rows(): { height: number; index: bigint; hash: Uint8Array<ArrayBuffer> }[] {
    return this.heights.map((height, i) => ({ height, index: BigInt(this.indices[i]), hash: this.hashes[i] as Uint8Array<ArrayBuffer> }));
  }
}

/** The first stored node that is not the one expected at its place (a missing one is not: logs from before audit_node). */
export async function firstWrongNode(prisma: PrismaClient | Tx, expected: StoredNodes): Promise<{ height: number; index: number } | undefined> {
  if (expected.heights.length === 0) return undefined;
  const stored = await prisma.$queryRaw<{ height: number; idx: bigint; hash: Uint8Array }[]>`
    SELECT n.height, n.idx, n.hash FROM audit_node n
    JOIN unnest(${expected.heights}::smallint[], ${expected.indices}::bigint[]) AS w(height, idx) ON n.height = w.height AND n.idx = w.idx`;
  const wanted = new Map(expected.hashes.map((hash, i) => [`${expected.heights[i]}/${expected.indices[i]}`, hash]));
  const wrong = stored.find((row) => !equal(new Uint8Array(row.hash), wanted.get(`${row.height}/${row.idx}`)!));
  return wrong && { height: wrong.height, index: Number(wrong.idx) };
}

/** The leaves [start, end) whose MTH is wanted (lib/log/merkle's SubtreeRange). */
interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/**
 * MTH of each range (RFC 9162 §2.1.1) from the stored subtree hashes, falling back to the subtrees
 * below a missing one and finally to the leaves (a log whose events predate audit_node has none):
 * a few statements of O(log n) rows each, never a pass over every leaf. The answer is only as good
 * as the stored rows; callers verify what they make from it against a signed root.
 */
export async function storedSubtreeHashes(prisma: PrismaClient | Tx, ranges: readonly LeafRange[]): Promise<Result<Uint8Array[]>> {
  const known = new Map<string, Uint8Array>();
  let nodes: [number, number][] = [];
  const leaves: [number, number][] = [];
  /** What the hash of the perfect subtree of 2^height leaves from `start` is made from. */
  const plan = (start: number, height: number): void => {
    const width = 2 ** height;
    const below = height - (height % NODE_STRIDE);
    if (below === 0 || start % width !== 0) {
      const last = leaves[leaves.length - 1];
      if (last?.[1] === start) last[1] = start + width;
      else leaves.push([start, start + width]);
    } else if (below === height) {
      nodes.push([height, start / width]);
    } else {
      for (let at = start; at < start + width; at += 2 ** below) plan(at, below);
    }
  };
  for (const range of ranges) for (const part of perfectParts(range)) plan(part.start, part.height);
  while (nodes.length > 0) {
    const wanted = nodes;
    nodes = [];
    const found = await prisma.$queryRaw<{ height: number; idx: bigint; hash: Uint8Array }[]>`
      SELECT n.height, n.idx, n.hash FROM audit_node n
      JOIN unnest(${wanted.map(([h]) => h)}::smallint[], ${wanted.map(([, i]) => i)}::bigint[]) AS w(height, idx) ON n.height = w.height AND n.idx = w.idx`;
    for (const row of found) known.set(key(row.height, Number(row.idx) * 2 ** row.height), new Uint8Array(row.hash));
    for (const [height, index] of wanted) {
      const start = index * 2 ** height;
      if (!known.has(key(height, start))) for (let at = start; at < start + 2 ** height; at += 2 ** (height - NODE_STRIDE)) plan(at, height - NODE_STRIDE);
    }
  }
  if (leaves.length > 0) {
    // Leaf index i is the event with seq i + 1.
    const rows = await prisma.$queryRaw<{ seq: bigint; hash: Uint8Array }[]>`
      SELECT l.seq, l.hash FROM audit_leaf l
      JOIN unnest(${leaves.map(([s]) => s)}::bigint[], ${leaves.map(([, e]) => e)}::bigint[]) AS r(start, stop) ON l.seq > r.start AND l.seq <= r.stop`;
    for (const row of rows) known.set(key(0, Number(row.seq) - 1), new Uint8Array(row.hash));
  }
  const hashOf = (start: number, height: number): Uint8Array | undefined => {
    const at = key(height, start);
    let h = known.get(at);
    if (h || height === 0) return h;
    const left = hashOf(start, height - 1);
    const right = left && hashOf(start + 2 ** (height - 1), height - 1);
    if (right) known.set(at, (h = nodeHash(SM3_TREE, left!, right)));
    return h;
  };
  const out: Uint8Array[] = [];
  for (const range of ranges) {
    // The parts fold right to left, as a compact range's root does.
    let h: Uint8Array | undefined;
    for (const { start, height } of perfectParts(range).reverse()) {
      const part = hashOf(start, height);
      if (!part) return missing(range);
      h = h ? nodeHash(SM3_TREE, part, h) : part;
    }
    out.push(h!);
  }
  return ok(out);
}

/** The stored tree as lib/log/merkle's SubtreeHashSource, for its proofs. */
export const storedTree = (prisma: PrismaClient | Tx) => ({ subtreeHashes: (ranges: readonly LeafRange[]) => storedSubtreeHashes(prisma, ranges) });

const missing = (range: LeafRange) =>
  err(Code.LOG_PROOF_INVALID, `the stored tree does not hold the leaves [${range.start}, ${range.end}) a proof needs`, { details: { ...range } });

const key = (height: number, start: number) => `${height}:${start}`;

/** RFC 9162's split of [start, end) into perfect subtrees: the binary digits of its size, largest first. */
function perfectParts({ start, end }: LeafRange): { start: number; height: number }[] {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end)) throw new RangeError(`no subtree [${start}, ${end})`);
  const parts: { start: number; height: number }[] = [];
  for (let at = start; at < end; ) {
    let height = 0;
    while (2 ** (height + 1) <= end - at) height += 1;
    parts.push({ start: at, height });
    at += 2 ** height;
  }
  return parts;
}
