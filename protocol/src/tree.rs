//! The incremental binary Keccak Merkle tree of depth 32 (docs/design.md, "Leaves and the
//! tree" and "Proofs are short").

use std::sync::LazyLock;

use alloy::primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// Depth of every Drawbridge tree.
pub const TREE_DEPTH: usize = 32;

/// Number of leaves a tree can hold: `2^32 - 1`, as the contracts' frontier (the eth2
/// deposit-contract algorithm) never stores the last leaf.
pub const MAX_LEAVES: u64 = (1 << TREE_DEPTH) - 1;

/// Internal node: `keccak256(left ++ right)`, ordered by position (not sorted).
pub fn hash_pair(left: B256, right: B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

static ZERO_HASHES: LazyLock<[B256; TREE_DEPTH + 1]> = LazyLock::new(|| {
    let mut zero = [B256::ZERO; TREE_DEPTH + 1];
    for h in 0..TREE_DEPTH {
        zero[h + 1] = hash_pair(zero[h], zero[h]);
    }
    zero
});

/// Roots of empty subtrees: `zero[0] = 0`, `zero[h + 1] = keccak256(zero[h] ++ zero[h])`.
/// `zero[32]` is the root of the empty tree.
pub fn zero_hashes() -> &'static [B256; TREE_DEPTH + 1] {
    &ZERO_HASHES
}

/// Root of the empty tree (`zero_hashes()[32]`).
pub fn empty_root() -> B256 {
    ZERO_HASHES[TREE_DEPTH]
}

/// Number of siblings a prover sends for a tree of `count` leaves: `bitlen(count - 1)`, and `0`
/// for `count <= 1`.
pub const fn proof_length(count: u64) -> usize {
    if count <= 1 {
        0
    } else {
        (u64::BITS - (count - 1).leading_zeros()) as usize
    }
}

/// Recomputes the root from `leaf` at `index` and a short proof, with the contract's rules:
/// `proof.len() <= 32`, `index < 2^proof.len()`, siblings from the leaf upwards, zero subtrees
/// above the proof.
pub fn compute_root(leaf: B256, index: u64, proof: &[B256]) -> Result<B256, ProtocolError> {
    let k = proof.len();
    if k > TREE_DEPTH {
        return Err(ProtocolError::ProofTooLong(k));
    }
    if index >> k != 0 {
        return Err(ProtocolError::IndexTooLargeForProof {
            index,
            proof_len: k,
        });
    }
    let mut node = leaf;
    for (h, sibling) in proof.iter().enumerate() {
        node = if (index >> h) & 1 == 1 {
            hash_pair(*sibling, node)
        } else {
            hash_pair(node, *sibling)
        };
    }
    for zero in &ZERO_HASHES[k..TREE_DEPTH] {
        node = hash_pair(node, *zero);
    }
    Ok(node)
}

/// Whether `proof` places `leaf` at `index` under `root` (the contract's verification rules; see
/// [`compute_root`]). Any malformed proof is simply `false`.
pub fn verify(leaf: B256, index: u64, proof: &[B256], root: B256) -> bool {
    compute_root(leaf, index, proof).is_ok_and(|computed| computed == root)
}

/// The incremental tree as the contracts store it: one node per level and the leaf count.
/// `push` is O(depth), `root` is computed on demand in O(depth).
///
/// `branch[h]` holds the root of the last complete left subtree of height `h`; entries whose bit
/// in `count` is zero are stale and never read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frontier {
    branch: [B256; TREE_DEPTH],
    count: u64,
}

impl Default for Frontier {
    fn default() -> Self {
        Self::new()
    }
}

impl Frontier {
    /// The empty tree.
    pub const fn new() -> Self {
        Self {
            branch: [B256::ZERO; TREE_DEPTH],
            count: 0,
        }
    }

    /// A frontier with the given leaves appended in order.
    pub fn from_leaves<I: IntoIterator<Item = B256>>(leaves: I) -> Result<Self, ProtocolError> {
        let mut frontier = Self::new();
        for leaf in leaves {
            frontier.push(leaf)?;
        }
        Ok(frontier)
    }

    /// Rebuilds a frontier from stored parts (for example from contract storage).
    pub fn from_parts(branch: [B256; TREE_DEPTH], count: u64) -> Result<Self, ProtocolError> {
        if count > MAX_LEAVES {
            return Err(ProtocolError::TreeFull);
        }
        Ok(Self { branch, count })
    }

    /// Number of leaves appended.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The stored node per level.
    pub fn branch(&self) -> &[B256; TREE_DEPTH] {
        &self.branch
    }

    /// Appends `leaf`, returning its index.
    pub fn push(&mut self, leaf: B256) -> Result<u64, ProtocolError> {
        let index = self.count;
        if index >= MAX_LEAVES {
            return Err(ProtocolError::TreeFull);
        }
        self.count += 1;
        // index < 2^32 - 1 has a zero bit below bit 32: the loop stores within 32 levels.
        let mut node = leaf;
        let mut h = 0;
        while (index >> h) & 1 == 1 {
            node = hash_pair(self.branch[h], node);
            h += 1;
        }
        self.branch[h] = node;
        Ok(index)
    }

    /// Root of the depth-32 tree with leaves `count..2^32` empty.
    pub fn root(&self) -> B256 {
        let mut node = B256::ZERO;
        for h in 0..TREE_DEPTH {
            node = if (self.count >> h) & 1 == 1 {
                hash_pair(self.branch[h], node)
            } else {
                hash_pair(node, ZERO_HASHES[h])
            };
        }
        node
    }
}

/// A tree that keeps every leaf and every complete internal node, so that it can prove any leaf
/// against the root of any prefix of its leaves (a historical root) in O(depth) hashes.
///
/// Memory: about two hashes per leaf. Appending is amortised O(1), worst case O(depth).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[h][i]` is the root of the complete subtree of height `h` at position `i`;
    /// `levels[0]` are the leaves. `levels[h].len() == len >> h`.
    levels: Vec<Vec<B256>>,
}

impl MerkleTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new(); TREE_DEPTH + 1],
        }
    }

    /// A tree of the given leaves, in order.
    pub fn from_leaves<I: IntoIterator<Item = B256>>(leaves: I) -> Result<Self, ProtocolError> {
        let mut tree = Self::new();
        tree.extend(leaves)?;
        Ok(tree)
    }

    fn level(&self, h: usize) -> &[B256] {
        self.levels.get(h).map_or(&[], Vec::as_slice)
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.level(0).len() as u64
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.level(0).is_empty()
    }

    /// All leaves, in order.
    pub fn leaves(&self) -> &[B256] {
        self.level(0)
    }

    /// Leaf at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<B256> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.level(0).get(i).copied())
    }

    /// Appends `leaf`, returning its index.
    pub fn push(&mut self, leaf: B256) -> Result<u64, ProtocolError> {
        let index = self.len();
        if index >= MAX_LEAVES {
            return Err(ProtocolError::TreeFull);
        }
        if self.levels.len() != TREE_DEPTH + 1 {
            self.levels.resize(TREE_DEPTH + 1, Vec::new());
        }
        self.levels[0].push(leaf);
        let mut node = leaf;
        for h in 0..TREE_DEPTH {
            let len = self.levels[h].len();
            if len % 2 == 1 {
                break;
            }
            node = hash_pair(self.levels[h][len - 2], node);
            self.levels[h + 1].push(node);
        }
        Ok(index)
    }

    /// Appends `leaves` in order.
    pub fn extend<I: IntoIterator<Item = B256>>(&mut self, leaves: I) -> Result<(), ProtocolError> {
        for leaf in leaves {
            self.push(leaf)?;
        }
        Ok(())
    }

    /// Drops every leaf from `len` on (for example after a reorg). No-op if `len >= self.len()`.
    pub fn truncate(&mut self, len: u64) {
        for (h, level) in self.levels.iter_mut().enumerate() {
            let keep = usize::try_from(len >> h).unwrap_or(usize::MAX);
            level.truncate(keep);
        }
    }

    /// Incremental frontier of the current leaves (as a contract holding them would store it).
    pub fn frontier(&self) -> Frontier {
        let count = self.len();
        let mut branch = [B256::ZERO; TREE_DEPTH];
        for (h, node) in branch.iter_mut().enumerate() {
            let position = count >> h;
            if position & 1 == 1 {
                *node = self.level(h)[(position - 1) as usize];
            }
        }
        Frontier { branch, count }
    }

    fn check_count(&self, count: u64) -> Result<(), ProtocolError> {
        if count > self.len() {
            return Err(ProtocolError::CountOutOfRange {
                count,
                len: self.len(),
            });
        }
        Ok(())
    }

    /// Right-edge nodes of the tree of the first `count` leaves: `edge[h]` is the node at level
    /// `h`, position `count >> h` (partial or empty), for `h` in `0..=height`.
    fn right_edge(&self, count: u64, height: usize) -> [B256; TREE_DEPTH + 1] {
        let mut edge = [B256::ZERO; TREE_DEPTH + 1];
        for h in 0..height {
            let position = count >> h;
            edge[h + 1] = if position & 1 == 1 {
                hash_pair(self.level(h)[(position - 1) as usize], edge[h])
            } else {
                hash_pair(edge[h], ZERO_HASHES[h])
            };
        }
        edge
    }

    /// Node at `(height, position)` in the tree of the first `count` leaves.
    fn node_at(
        &self,
        count: u64,
        edge: &[B256; TREE_DEPTH + 1],
        height: usize,
        position: u64,
    ) -> B256 {
        let boundary = count >> height;
        if position < boundary {
            self.level(height)[position as usize]
        } else if position == boundary {
            edge[height]
        } else {
            ZERO_HASHES[height]
        }
    }

    /// Root of the tree of all current leaves.
    pub fn root(&self) -> B256 {
        self.root_of_prefix(self.len())
    }

    /// Root of the tree of the first `count` leaves (`count <= len`); `root_at(0)` is the empty
    /// root.
    pub fn root_at(&self, count: u64) -> Result<B256, ProtocolError> {
        self.check_count(count)?;
        Ok(self.root_of_prefix(count))
    }

    fn root_of_prefix(&self, count: u64) -> B256 {
        self.right_edge(count, TREE_DEPTH)[TREE_DEPTH]
    }

    /// Short proof of leaf `index` against the root of the first `count` leaves:
    /// `proof_length(count)` siblings from the leaf upwards. Requires `index < count <= len`.
    pub fn proof(&self, index: u64, count: u64) -> Result<Vec<B256>, ProtocolError> {
        self.check_count(count)?;
        if index >= count {
            return Err(ProtocolError::IndexOutOfRange { index, count });
        }
        let k = proof_length(count);
        let edge = self.right_edge(count, k);
        Ok((0..k)
            .map(|h| self.node_at(count, &edge, h, (index >> h) ^ 1))
            .collect())
    }

    /// Short proof of leaf `index` against the current root.
    pub fn proof_latest(&self, index: u64) -> Result<Vec<B256>, ProtocolError> {
        self.proof(index, self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u64) -> B256 {
        keccak256(i.to_be_bytes())
    }

    /// Reference: full depth-32 root computed level by level over the padded leaves.
    fn naive_root(leaves: &[B256]) -> B256 {
        let mut level: Vec<B256> = leaves.to_vec();
        for h in 0..TREE_DEPTH {
            if level.len() % 2 == 1 {
                level.push(ZERO_HASHES[h]);
            }
            if level.is_empty() {
                return ZERO_HASHES[TREE_DEPTH];
            }
            level = level.chunks(2).map(|p| hash_pair(p[0], p[1])).collect();
        }
        level[0]
    }

    #[test]
    fn zero_hashes_chain() {
        let zero = zero_hashes();
        assert_eq!(zero[0], B256::ZERO);
        assert_eq!(
            zero[1],
            "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
                .parse::<B256>()
                .unwrap()
        );
        for h in 0..TREE_DEPTH {
            assert_eq!(zero[h + 1], hash_pair(zero[h], zero[h]));
        }
        assert_eq!(empty_root(), zero[TREE_DEPTH]);
        assert_eq!(
            empty_root(),
            "0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757"
                .parse::<B256>()
                .unwrap()
        );
        assert_eq!(Frontier::new().root(), empty_root());
        assert_eq!(MerkleTree::new().root(), empty_root());
    }

    #[test]
    fn proof_lengths() {
        assert_eq!(proof_length(0), 0);
        assert_eq!(proof_length(1), 0);
        assert_eq!(proof_length(2), 1);
        assert_eq!(proof_length(3), 2);
        assert_eq!(proof_length(4), 2);
        assert_eq!(proof_length(5), 3);
        assert_eq!(proof_length(1000), 10);
        assert_eq!(proof_length(1024), 10);
        assert_eq!(proof_length(1025), 11);
        assert_eq!(proof_length(MAX_LEAVES), 32);
        assert_eq!(proof_length(1 << 31), 31);
        assert_eq!(proof_length((1 << 31) + 1), 32);
    }

    #[test]
    fn roots_match_naive() {
        let leaves: Vec<B256> = (0..37).map(leaf).collect();
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        let mut frontier = Frontier::new();
        for n in 0..=leaves.len() {
            let expected = naive_root(&leaves[..n]);
            assert_eq!(frontier.root(), expected, "frontier n={n}");
            assert_eq!(tree.root_at(n as u64).unwrap(), expected, "tree n={n}");
            let prefix = MerkleTree::from_leaves(leaves[..n].iter().copied()).unwrap();
            assert_eq!(prefix.root(), expected);
            assert_eq!(prefix.frontier().root(), expected);
            if n < leaves.len() {
                assert_eq!(frontier.push(leaves[n]).unwrap(), n as u64);
            }
        }
    }

    #[test]
    fn single_leaf_tree_has_empty_proof() {
        let tree = MerkleTree::from_leaves([leaf(0)]).unwrap();
        let proof = tree.proof(0, 1).unwrap();
        assert!(proof.is_empty());
        assert!(verify(leaf(0), 0, &proof, tree.root()));
        assert!(!verify(leaf(0), 1, &proof, tree.root()));
    }

    #[test]
    fn every_proof_verifies_for_every_prefix() {
        let leaves: Vec<B256> = (0..21).map(leaf).collect();
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        for count in 1..=leaves.len() as u64 {
            let root = tree.root_at(count).unwrap();
            for index in 0..count {
                let proof = tree.proof(index, count).unwrap();
                assert_eq!(proof.len(), proof_length(count));
                assert!(
                    verify(leaves[index as usize], index, &proof, root),
                    "{index}/{count}"
                );
                // A full 32-sibling proof (zero hashes appended) verifies too.
                let mut long = proof.clone();
                long.extend_from_slice(&ZERO_HASHES[proof.len()..TREE_DEPTH]);
                assert!(verify(leaves[index as usize], index, &long, root));
            }
        }
    }

    #[test]
    fn proof_rejects_bad_arguments() {
        let tree = MerkleTree::from_leaves((0..5).map(leaf)).unwrap();
        assert_eq!(
            tree.proof(3, 3),
            Err(ProtocolError::IndexOutOfRange { index: 3, count: 3 })
        );
        assert_eq!(
            tree.proof(0, 0),
            Err(ProtocolError::IndexOutOfRange { index: 0, count: 0 })
        );
        assert_eq!(
            tree.proof(0, 6),
            Err(ProtocolError::CountOutOfRange { count: 6, len: 5 })
        );
        assert_eq!(
            tree.root_at(6),
            Err(ProtocolError::CountOutOfRange { count: 6, len: 5 })
        );
        assert_eq!(tree.root_at(0), Ok(empty_root()));
    }

    #[test]
    fn compute_root_rules() {
        let proof = vec![B256::ZERO; 33];
        assert_eq!(
            compute_root(leaf(0), 0, &proof),
            Err(ProtocolError::ProofTooLong(33))
        );
        assert_eq!(
            compute_root(leaf(0), 4, &proof[..2]),
            Err(ProtocolError::IndexTooLargeForProof {
                index: 4,
                proof_len: 2
            })
        );
        assert!(compute_root(leaf(0), 3, &proof[..2]).is_ok());
        assert!(compute_root(leaf(0), u32::MAX as u64, &proof[..32]).is_ok());
        assert!(compute_root(leaf(0), MAX_LEAVES, &proof[..32]).is_ok());
        assert!(compute_root(leaf(0), 1 << 32, &proof[..32]).is_err());
        assert!(compute_root(leaf(0), 0, &[]).is_ok());
        assert!(compute_root(leaf(0), 1, &[]).is_err());
    }

    #[test]
    fn truncate_restores_prefix() {
        let mut tree = MerkleTree::from_leaves((0..40).map(leaf)).unwrap();
        let prefix = MerkleTree::from_leaves((0..13).map(leaf)).unwrap();
        tree.truncate(13);
        assert_eq!(tree, prefix);
        tree.extend((13..40).map(leaf)).unwrap();
        assert_eq!(tree, MerkleTree::from_leaves((0..40).map(leaf)).unwrap());
        tree.truncate(100);
        assert_eq!(tree.len(), 40);
        tree.truncate(0);
        assert!(tree.is_empty());
        assert_eq!(tree.root(), empty_root());
    }

    #[test]
    fn frontier_of_tree_equals_pushed_frontier() {
        let mut frontier = Frontier::new();
        let mut tree = MerkleTree::new();
        for i in 0..33 {
            frontier.push(leaf(i)).unwrap();
            tree.push(leaf(i)).unwrap();
            let from_tree = tree.frontier();
            assert_eq!(from_tree.count(), frontier.count());
            assert_eq!(from_tree.root(), frontier.root());
            for h in 0..TREE_DEPTH {
                if (frontier.count() >> h) & 1 == 1 {
                    assert_eq!(from_tree.branch()[h], frontier.branch()[h]);
                }
            }
        }
    }

    #[test]
    fn frontier_json_round_trip() {
        let frontier = Frontier::from_leaves((0..5).map(leaf)).unwrap();
        let json = serde_json::to_string(&frontier).unwrap();
        let back: Frontier = serde_json::from_str(&json).unwrap();
        assert_eq!(back, frontier);
        assert_eq!(
            Frontier::from_parts(*frontier.branch(), frontier.count()).unwrap(),
            frontier
        );
        assert_eq!(
            Frontier::from_parts(*frontier.branch(), MAX_LEAVES + 1),
            Err(ProtocolError::TreeFull)
        );
    }

    #[test]
    fn full_frontier_refuses_leaves() {
        // A frontier of 2^32 - 1 zero leaves: every stored node is a zero subtree.
        let branch: [B256; TREE_DEPTH] = std::array::from_fn(|h| ZERO_HASHES[h]);
        let mut full = Frontier::from_parts(branch, MAX_LEAVES).unwrap();
        assert_eq!(full.root(), empty_root());
        assert_eq!(full.push(leaf(0)), Err(ProtocolError::TreeFull));
        // One below full accepts the last leaf, which lands in branch[31].
        let mut almost = Frontier::from_parts(branch, MAX_LEAVES - 1).unwrap();
        assert_eq!(almost.push(B256::ZERO), Ok(MAX_LEAVES - 1));
        assert_eq!(almost.root(), empty_root());
        assert_eq!(almost.push(leaf(0)), Err(ProtocolError::TreeFull));
    }
}
