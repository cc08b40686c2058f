/**
 * The log's Merkle tree: RFC 9162 §2.1 with the hash function as a parameter (SM3 for the log,
 * SHA-256 to check this code against the public RFC 6962 reference values).
 *
 *   MTH({})        = H()                           (the hash of the empty string)
 *   leaf hash      = H(0x00 ‖ entry bytes)
 *   node hash      = H(0x01 ‖ left ‖ right)        MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])),
 *                                                  k the largest power of two below n
 *
 * Three parts: a compact range (the O(log n) frontier an append updates, which is the state a
 * database stores per checkpoint), proof generation as "which subtree ranges does this proof
 * consist of" (pure) plus a source of subtree hashes (an interface: a hash store, or one streaming
 * pass over leaf hashes), and proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2).
 *
 * Sizes and indices are JavaScript numbers: exact up to 2^53, far beyond any audit log.
 */
import { equal } from '../bytes';
import { ok, type Result } from '../errors';
import { logError } from './errorCodes';

export { CompactRange, emptyRoot, leafHash, nodeHash, SHA256_TREE, SM3_TREE, type CompactRangeState, type TreeHash } from '../audit/tree';
import { CompactRange, isPowerOfTwo, nodeHash, type TreeHash } from '../audit/tree';

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The leaves [start, end) whose MTH is one hash of a proof. */
export interface SubtreeRange {
  readonly start: number;
  readonly end: number;
}

/** RFC 9162 §2.1.3.1 PATH(index, D[size]), as ranges: the leaf's sibling first, the root's child last. */
export function inclusionRanges(index: number, size: number): SubtreeRange[] {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const path = (m: number, start: number, n: number): SubtreeRange[] => {
    if (n === 1) return [];
    const k = split(n);
    return m < k ? [...path(m, start, k), { start: start + k, end: start + n }] : [...path(m - k, start + k, n - k), { start, end: start + k }];
  };
  return path(index, 0, size);
}

/** RFC 9162 §2.1.4.1 PROOF(first, D[second]), as ranges. Empty when first is 0 or equals second. */
export function consistencyRanges(first: number, second: number): SubtreeRange[] {
  if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second) && first >= 0 && first <= second)) throw new RangeError(`no consistency proof from ${first} to ${second}`);
  if (first === 0 || first === second) return [];
  const subproof = (m: number, start: number, n: number, whole: boolean): SubtreeRange[] => {
    if (m === n) return whole ? [] : [{ start, end: start + n }];
    const k = split(n);
    return m <= k
      ? [...subproof(m, start, k, whole), { start: start + k, end: start + n }]
      : [...subproof(m - k, start + k, n - k, false), { start, end: start + k }];
  };
  return subproof(first, 0, second, true);
}

/**
 * Where proof hashes come from. A database answers from stored node hashes; `leafHashSource`
 * answers with one pass over the leaf hashes (RangeHasher), e.g. of an export.
 */
export interface SubtreeHashSource {
  /** MTH of each range, in the order given. */
  subtreeHashes(ranges: readonly SubtreeRange[]): Promise<Result<Uint8Array[]>>;
}

export const inclusionProof = (source: SubtreeHashSource, index: number, size: number) => source.subtreeHashes(inclusionRanges(index, size));

export const consistencyProof = (source: SubtreeHashSource, first: number, second: number) => source.subtreeHashes(consistencyRanges(first, second));

/**
 * MTH of each range from leaf hashes pushed in order, in O(log² n) memory. The ranges of one proof
 * are disjoint, so each leaf feeds at most one compact range.
 */
export class RangeHasher {
  private readonly order: { range: SubtreeRange; i: number }[];
  private readonly out: Uint8Array[];
  private next = 0;
  private current?: CompactRange;
  private index = 0;
  /** One past the last leaf any range needs. */
  readonly needed: number;

  constructor(
    private readonly hash: TreeHash,
    ranges: readonly SubtreeRange[],
  ) {
    this.order = ranges.map((range, i) => ({ range, i })).sort((a, b) => a.range.start - b.range.start);
    this.out = new Array(ranges.length);
    this.needed = Math.max(0, ...ranges.map((r) => r.end));
  }

  push(leaf: Uint8Array): void {
    const at = this.order[this.next];
    if (at && this.index >= at.range.start) {
      this.current ??= new CompactRange(this.hash);
      this.current.append(leaf);
      if (this.index + 1 === at.range.end) {
        this.out[at.i] = this.current.root();
        this.current = undefined;
        this.next += 1;
      }
    }
    this.index += 1;
  }

  result(): Result<Uint8Array[]> {
    if (this.next < this.order.length) {
      return logError('LOG_PROOF_INVALID', `the tree holds ${this.index} leaves; the proof needs ${this.needed}`, { details: { leaves: this.index, needed: this.needed } });
    }
    return ok(this.out);
  }
}

/** Subtree hashes from the leaf hashes in order (read only as far as the ranges need). */
export function leafHashSource(h: TreeHash, leaves: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>): SubtreeHashSource {
  return {
    async subtreeHashes(ranges) {
      const hasher = new RangeHasher(h, ranges);
      let count = 0;
      if (hasher.needed > 0) {
        for await (const leaf of leaves()) {
          hasher.push(leaf);
          if (++count >= hasher.needed) break;
        }
      }
      return hasher.result();
    },
  };
}

const proofFault = (message: string, details: Record<string, unknown> = {}) => logError('LOG_PROOF_INVALID', message, { details });

/** On the tree's right edge a node has no right sibling: right-shift both until fn is odd or 0. */
function climbRightEdge(fn: number, sn: number): [number, number] {
  while (fn % 2 === 0 && fn !== 0) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, compared with `root`. */
export function verifyInclusion(h: TreeHash, index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Result<true> {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return proofFault(`leaf ${index} is not in a tree of ${size}`, { index, size });
  if (proof.some((p) => p.length !== h.length) || leaf.length !== h.length) return proofFault(`a proof hash is not ${h.length} bytes`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return proofFault('the proof is longer than the path to the root', { index, size });
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(h, p, r);
      [fn, sn] = climbRightEdge(fn, sn);
    } else r = nodeHash(h, r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return proofFault('the proof is shorter than the path to the root', { index, size });
  return equal(r, root) ? ok(true) : proofFault(`the proof for leaf ${index} does not lead to the root of size ${size}`, { index, size });
}

/** RFC 9162 §2.1.4.2: that the tree of `second` leaves extends the tree of `first` leaves. */
export function verifyConsistency(h: TreeHash, first: number, second: number, proof: readonly Uint8Array[], firstRoot: Uint8Array, secondRoot: Uint8Array): Result<true> {
  const sizes = { first, second };
  if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second) && first >= 0 && first <= second)) return proofFault(`a tree of ${second} cannot extend one of ${first}`, sizes);
  if (proof.some((p) => p.length !== h.length)) return proofFault(`a proof hash is not ${h.length} bytes`);
  if (first === 0 || first === second) {
    if (proof.length !== 0) return proofFault('the proof must be empty for these sizes', sizes);
    return first === 0 || equal(firstRoot, secondRoot) ? ok(true) : proofFault(`two trees of size ${first} have different roots`, sizes);
  }
  if (proof.length === 0) return proofFault('the proof is empty', sizes);
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return proofFault('the proof is longer than the trees need', sizes);
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(h, c, fr);
      sr = nodeHash(h, c, sr);
      [fn, sn] = climbRightEdge(fn, sn);
    } else sr = nodeHash(h, sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return proofFault('the proof is shorter than the trees need', sizes);
  if (!equal(fr, firstRoot)) return proofFault(`the proof does not lead to the root of size ${first}`, sizes);
  if (!equal(sr, secondRoot)) return proofFault(`the proof does not lead to the root of size ${second}`, sizes);
  return ok(true);
}
