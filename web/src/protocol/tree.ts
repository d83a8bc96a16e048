// The depth-32 incremental binary Keccak Merkle tree and its short proofs (docs/design.md,
// "Leaves and the tree" and "Proofs are short"), as the contracts and the `protocol` crate compute
// them.
import { concat, keccak256, type Hex } from 'viem';

export const TREE_DEPTH = 32;
/** A tree holds at most 2^32 - 1 leaves. */
export const MAX_LEAVES = 2 ** TREE_DEPTH - 1;
const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** Internal node: `keccak256(left ++ right)`, ordered by position. */
export function hashPair(left: Hex, right: Hex): Hex {
  return keccak256(concat([left, right]));
}

/** `zero[0] = 0`, `zero[h+1] = keccak256(zero[h] ++ zero[h])`; `zero[32]` is the empty root. */
export const ZERO_HASHES: readonly Hex[] = (() => {
  const zero: Hex[] = [ZERO32];
  for (let h = 0; h < TREE_DEPTH; h++) zero.push(hashPair(zero[h], zero[h]));
  return zero;
})();

/** Siblings a prover sends for a tree of `count` leaves: `bitlen(count - 1)`, 0 for count <= 1. */
export function proofLength(count: number): number {
  if (count <= 1) return 0;
  return (count - 1).toString(2).length;
}

export class MerkleError extends Error {}

/**
 * Root from `leaf` at `index` and a short proof, with the contracts' rules: at most 32 siblings
 * from the leaf upwards, `index < 2^k`, zero subtrees above the proof.
 */
export function computeRoot(leaf: Hex, index: number, proof: readonly Hex[]): Hex {
  const k = proof.length;
  if (k > TREE_DEPTH) throw new MerkleError(`a proof has at most ${TREE_DEPTH} siblings, got ${k}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** k)
    throw new MerkleError(`index ${index} does not fit a proof of ${k} siblings`);
  let node = leaf;
  for (let h = 0; h < k; h++) {
    node = Math.floor(index / 2 ** h) % 2 === 1 ? hashPair(proof[h], node) : hashPair(node, proof[h]);
  }
  for (let h = k; h < TREE_DEPTH; h++) node = hashPair(node, ZERO_HASHES[h]);
  return node;
}

/** Whether `proof` places `leaf` at `index` under `root`; a malformed proof is simply false. */
export function verifyProof(leaf: Hex, index: number, proof: readonly Hex[], root: Hex): boolean {
  try {
    return computeRoot(leaf, index, proof).toLowerCase() === root.toLowerCase();
  } catch {
    return false;
  }
}

/** Levels `0..=height` of the tree of `leaves`, each padded with the zero hash of its level. */
function levels(leaves: readonly Hex[], height: number): Hex[][] {
  const out: Hex[][] = [leaves.slice()];
  for (let h = 0; h < height; h++) {
    const level = out[h];
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(hashPair(level[i], i + 1 < level.length ? level[i + 1] : ZERO_HASHES[h]));
    }
    out.push(next);
  }
  return out;
}

/** Root of the depth-32 tree whose first leaves are `leaves` and whose other leaves are empty. */
export function merkleRoot(leaves: readonly Hex[]): Hex {
  if (leaves.length > MAX_LEAVES) throw new MerkleError('a tree holds at most 2^32 - 1 leaves');
  if (leaves.length === 0) return ZERO_HASHES[TREE_DEPTH];
  const k = proofLength(leaves.length);
  let node = levels(leaves, k)[k][0];
  for (let h = k; h < TREE_DEPTH; h++) node = hashPair(node, ZERO_HASHES[h]);
  return node;
}

/**
 * Short proof of leaf `index` in the tree of the first `count` of `leaves`: `bitlen(count - 1)`
 * siblings, from the leaf upwards.
 */
export function merkleProof(leaves: readonly Hex[], index: number, count: number = leaves.length): Hex[] {
  if (count > leaves.length) throw new MerkleError(`count ${count} is above the ${leaves.length} known leaves`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new MerkleError(`index ${index} is not below count ${count}`);
  const k = proofLength(count);
  const tree = levels(leaves.slice(0, count), k);
  const proof: Hex[] = [];
  for (let h = 0; h < k; h++) {
    const position = Math.floor(index / 2 ** h);
    const sibling = position % 2 === 0 ? position + 1 : position - 1;
    proof.push(tree[h][sibling] ?? ZERO_HASHES[h]);
  }
  return proof;
}
