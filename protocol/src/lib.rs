//! Drawbridge's protocol types and rules, off chain: pure, no I/O (no RPC, no files, no
//! printing), so that every component computes them the same way and tests need no chain.
//!
//! Both bridge trees — L1->L2 messages in `L1Bridge`, L2->L1 withdrawals in `L2Bridge` — are
//! incremental binary Keccak Merkle trees of depth 32 whose leaves are double-hashed typed
//! encodings bound to the source chain id and source bridge address. This crate computes, byte for
//! byte as the contracts do (docs/design.md, "Leaves and the tree" and "Proofs are short"):
//!
//! - the leaves of [`L1Message`]s and [`Withdrawal`]s ([`L1Message::leaf`], [`Withdrawal::leaf`]);
//! - the tree: [`zero_hashes`], the contract-style incremental [`Frontier`], and [`MerkleTree`],
//!   which keeps every leaf and complete node so that it proves any leaf against the root of any
//!   prefix of its leaves ([`MerkleTree::proof`], [`MerkleTree::root_at`]);
//! - short proofs (`bitlen(count - 1)` siblings) and their verification with the contract's rules
//!   ([`verify`], [`compute_root`]);
//! - outputs as the bridge judges them: [`OutputStatus`] and which output pays a withdrawal
//!   ([`paying_output`], with [`newest_payable_output`]).
//!
//! It must not depend on the contract bindings or on anything that talks to a node
//! (alloy's providers or contract calls): conversions from and to the `sol!` types live in
//! `drawbridge-client` (`convert`).
//!
//! The relayer uses it to prove L1 messages against committed message roots and to serve proofs;
//! the CLI and exit prover use it to prove withdrawals against an output's `withdrawalRoot`.

mod layer;
mod leaf;
mod outputs;
mod tree;

pub use layer::Layer;
pub use leaf::{
    L1_MESSAGE_TYPE, L1_MESSAGE_TYPEHASH, L1Message, MessageKind, WITHDRAWAL_TYPE,
    WITHDRAWAL_TYPEHASH, Withdrawal, l1_message_leaf, l1_message_typehash, leaf_from_inner,
    withdrawal_leaf, withdrawal_typehash,
};
pub use outputs::{Freeze, OutputStatus, Unpaid, newest_payable_output, paying_output};
pub use tree::{
    Frontier, MAX_LEAVES, MerkleTree, TREE_DEPTH, compute_root, empty_root, hash_pair,
    proof_length, verify, zero_hashes,
};

/// Errors of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A proof was requested for a leaf that is not under the root (`index >= count`).
    #[error("leaf index {index} is not below the leaf count {count}")]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Number of leaves under the root.
        count: u64,
    },
    /// A root or proof was requested for more leaves than the tree holds.
    #[error("count {count} exceeds the {len} leaves the tree holds")]
    CountOutOfRange {
        /// Requested number of leaves.
        count: u64,
        /// Number of leaves the tree holds.
        len: u64,
    },
    /// The tree already holds its maximum number of leaves.
    #[error("the tree is full")]
    TreeFull,
    /// A proof has more than 32 siblings.
    #[error("proof has {0} siblings, at most 32 are allowed")]
    ProofTooLong(usize),
    /// A proof of `proof_len` siblings cannot place a leaf at `index >= 2^proof_len`.
    #[error("index {index} does not fit a proof of {proof_len} siblings")]
    IndexTooLargeForProof {
        /// Leaf index given.
        index: u64,
        /// Number of siblings in the proof.
        proof_len: usize,
    },
    /// A message kind other than 1 (deposit) or 2 (forced withdrawal).
    #[error("unknown L1 message kind {0}")]
    UnknownMessageKind(u8),
    /// An output status other than 0 to 3 (`IOutputOracle.OutputStatus`).
    #[error("unknown output status {0}")]
    UnknownOutputStatus(u8),
}
