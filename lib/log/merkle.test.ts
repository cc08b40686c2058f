import { describe, expect, it } from 'vitest';
import { parseHex, toHex } from '../bytes';
import { unwrap } from '../errors';
import vectors from './vectors/rfc6962-sha256.json';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  leafHash,
  leafHashSource,
  SHA256_TREE,
  SM3_TREE,
  verifyConsistency,
  verifyInclusion,
  type TreeHash,
} from './merkle';

const hex = (text: string) => unwrap(parseHex(text));
const leaves = vectors.leaves.map((l) => leafHash(SHA256_TREE, hex(l)));
const roots = vectors.roots.map(hex);

const source = (h: TreeHash, hashes: Uint8Array[]) => leafHashSource(h, () => hashes);

describe('Merkle tree against the RFC 6962 SHA-256 reference values', () => {
  it('the compact range gives every reference root while appending, and resumes from its stored state', () => {
    const tree = new CompactRange(SHA256_TREE);
    expect(toHex(tree.root())).toBe(vectors.roots[0]);
    for (const [i, leaf] of leaves.entries()) {
      tree.append(leaf);
      expect(toHex(tree.root())).toBe(vectors.roots[i + 1]);
      expect(toHex(new CompactRange(SHA256_TREE, tree.state()).root())).toBe(vectors.roots[i + 1]);
    }
    expect(tree.state().hashes).toHaveLength(1);
  });

  it('appends an aligned perfect subtree whole as its leaves one by one would, and refuses one that is not', () => {
    // The reference leaves as subtrees of 4, 2 and 1 after one leaf: [0,1) [1,2) [2,4) [4,8) …
    const tree = new CompactRange(SHA256_TREE);
    for (const [start, size] of [[0, 1], [1, 1], [2, 2], [4, 4]]) {
      const subtree = new CompactRange(SHA256_TREE);
      for (const leaf of leaves.slice(start, start + size)) subtree.append(leaf);
      tree.appendSubtree(subtree.root(), size);
      expect(toHex(tree.root())).toBe(vectors.roots[start + size]);
    }
    expect(() => new CompactRange(SHA256_TREE, tree.state()).appendSubtree(leaves[0], 16)).toThrow(RangeError);
    expect(() => tree.appendSubtree(leaves[0], 3)).toThrow(RangeError);
  });

  it.each(vectors.inclusion)('inclusion of leaf $index in $size: generated as published, and it verifies', async ({ index, size, proof }) => {
    const generated = unwrap(await inclusionProof(source(SHA256_TREE, leaves.slice(0, size)), index, size));
    expect(generated.map(toHex)).toEqual(proof);
    expect(verifyInclusion(SHA256_TREE, index, size, leaves[index], proof.map(hex), roots[size]).ok).toBe(true);
  });

  it.each(vectors.consistency)('consistency $first → $second: generated as published, and it verifies', async ({ first, second, proof }) => {
    const generated = unwrap(await consistencyProof(source(SHA256_TREE, leaves.slice(0, second)), first, second));
    expect(generated.map(toHex)).toEqual(proof);
    expect(verifyConsistency(SHA256_TREE, first, second, proof.map(hex), roots[first], roots[second]).ok).toBe(true);
  });

  it('refuses every corruption of a reference proof: wrong index, size, leaf, root, a flipped bit, a hash too many or too few', () => {
    for (const { index, size, proof } of vectors.inclusion.filter((v) => v.proof.length > 0)) {
      const p = proof.map(hex);
      const flipped = p.map((_, i) => p.map((q, j) => (j === i ? q.map((b, k) => (k === 0 ? b ^ 8 : b)) : q)));
      const probes: [number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
        [index + 1, size, leaves[index], p, roots[size]],
        [index, size * 2, leaves[index], p, roots[size]],
        [index, size, leaves[(index + 1) % 8], p, roots[size]],
        [index, size, leaves[index], p, roots[size - 1]],
        [index, size, leaves[index], p.slice(0, -1), roots[size]],
        [index, size, leaves[index], [...p, roots[size]], roots[size]],
        ...flipped.map((f): [number, number, Uint8Array, Uint8Array[], Uint8Array] => [index, size, leaves[index], f, roots[size]]),
      ];
      for (const probe of probes) expect(verifyInclusion(SHA256_TREE, ...probe)).toMatchObject({ ok: false, error: { code: 'LOG_PROOF_INVALID' } });
    }
    for (const { first, second, proof } of vectors.consistency.filter((v) => v.proof.length > 0)) {
      const p = proof.map(hex);
      const probes: [number, number, Uint8Array[], Uint8Array, Uint8Array][] = [
        [first + 1, second, p, roots[first], roots[second]],
        [first, second, p, roots[second], roots[first]],
        [first, second, [], roots[first], roots[second]],
        [first, second, p.slice(0, -1), roots[first], roots[second]],
        [first, second, [p[0], ...p], roots[first], roots[second]],
        [first, second, p.map((q, j) => (j === 0 ? q.map((b, k) => (k === 0 ? b ^ 16 : b)) : q)), roots[first], roots[second]],
      ];
      for (const probe of probes) expect(verifyConsistency(SHA256_TREE, ...probe)).toMatchObject({ ok: false, error: { code: 'LOG_PROOF_INVALID' } });
    }
  });

  it('SM3 proofs for every leaf and every size pair up to 33 verify (the same code with another hash)', async () => {
    const sm3Leaves = Array.from({ length: 33 }, (_, i) => leafHash(SM3_TREE, Uint8Array.of(i)));
    const sm3Roots = [new CompactRange(SM3_TREE).root()];
    const tree = new CompactRange(SM3_TREE);
    for (const l of sm3Leaves) {
      tree.append(l);
      sm3Roots.push(tree.root());
    }
    for (let size = 1; size <= 33; size++) {
      for (let m = 0; m < size; m++) {
        const proof = unwrap(await inclusionProof(source(SM3_TREE, sm3Leaves), m, size));
        expect(verifyInclusion(SM3_TREE, m, size, sm3Leaves[m], proof, sm3Roots[size]).ok).toBe(true);
      }
      for (let first = 0; first <= size; first++) {
        const proof = unwrap(await consistencyProof(source(SM3_TREE, sm3Leaves), first, size));
        expect(verifyConsistency(SM3_TREE, first, size, proof, sm3Roots[first], sm3Roots[size]).ok).toBe(true);
      }
    }
  });
});
