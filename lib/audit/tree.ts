/**
 * The primitives of the log's Merkle tree (RFC 9162 §2.1, hash as a parameter): leaf and node
 * hashes and the compact range, the O(log n) frontier the chain head stores and every append
 * updates in the same transaction. Proofs and their verification are lib/log/merkle.ts.
 */
import { digest } from '../crypto/sm3';

export interface TreeHash {
  readonly name: 'sm3' | 'sha256';
  readonly length: 32;
}

export const SM3_TREE: TreeHash = { name: 'sm3', length: 32 };
export const SHA256_TREE: TreeHash = { name: 'sha256', length: 32 };

export function emptyRoot(h: TreeHash): Uint8Array {
  return digest(h.name, new Uint8Array(0));
}

// One-shot hash() over a copied buffer: cheaper than a Hash object per call for inputs this short.
export function leafHash(h: TreeHash, entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(entry.length + 1);
  input.set(entry, 1);
  return digest(h.name, input);
}

export function nodeHash(h: TreeHash, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return digest(h.name, input);
}

/**
 * The tree's state as a database keeps it: the roots of the perfect subtrees that make up
 * [0, size), left to right (one per set bit of size, largest first). Appending touches only these.
 */
export interface CompactRangeState {
  readonly size: number;
  readonly hashes: readonly Uint8Array[];
}

export class CompactRange {
  private readonly stack: Uint8Array[];
  private count: number;

  constructor(
    readonly hash: TreeHash,
    state: CompactRangeState = { size: 0, hashes: [] },
  ) {
    if (popcount(state.size) !== state.hashes.length) throw new RangeError(`a compact range of size ${state.size} has ${popcount(state.size)} hashes`);
    this.stack = [...state.hashes];
    this.count = state.size;
  }

  get size(): number {
    return this.count;
  }

  state(): CompactRangeState {
    return { size: this.count, hashes: [...this.stack] };
  }

  /**
   * Appends one leaf hash: merges equal-sized subtrees, as binary addition carries. `completed`
   * hears of every perfect subtree the append finished, by height and index among the subtrees
   * of that height (the leaf itself is height 0).
   */
  append(leaf: Uint8Array, completed?: (height: number, index: number, hash: Uint8Array) => void): void {
    this.appendSubtree(leaf, 1, completed);
  }

  /**
   * Appends the MTH of `leaves` leaves at once: a perfect subtree (a power of two) that starts
   * at a multiple of its size, as the next `leaves` appends would build it (the export verifier's
   * workers hash such subtrees of their batch, verifyFile.ts).
   */
  appendSubtree(root: Uint8Array, leaves: number, completed?: (height: number, index: number, hash: Uint8Array) => void): void {
    if (!isPowerOfTwo(leaves) || this.count % leaves !== 0) throw new RangeError(`a subtree of ${leaves} leaves cannot follow ${this.count}`);
    let h = root;
    let height = Math.log2(leaves);
    for (let n = this.count / leaves; n % 2 === 1; n = Math.floor(n / 2)) {
      h = nodeHash(this.hash, this.stack.pop()!, h);
      height += 1;
      completed?.(height, Math.floor(this.count / 2 ** height), h);
    }
    this.stack.push(h);
    this.count += leaves;
  }

  /** MTH over the leaves appended so far: the subtrees folded right to left. */
  root(): Uint8Array {
    if (this.stack.length === 0) return emptyRoot(this.hash);
    let h = this.stack[this.stack.length - 1];
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.hash, this.stack[i], h);
    return h;
  }
}

export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  let v = n;
  while (v % 2 === 0) v /= 2;
  return v === 1;
}

function popcount(n: number): number {
  let bits = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) bits += v % 2;
  return bits;
}
