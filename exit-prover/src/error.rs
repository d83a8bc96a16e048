//! The one error type of the crate. Every message names what failed and, where it helps, what to
//! do about it. No variant carries key material.

use alloy::primitives::{Address, B256, U256};
use drawbridge_client::ClientError;

/// Everything the exit prover can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ExitError {
    /// Loading the deployment or keys, an RPC failure, a decoded revert, a failed transaction:
    /// the client library's errors (shared with the `drawbridge` CLI).
    #[error(transparent)]
    Client(#[from] ClientError),

    /// The L2 node's block at the output's height has another state root than the output on L1:
    /// the node follows another chain (or a reorg), or the output is wrong.
    #[error(
        "state root mismatch: output {output_index} on L1 says L2 block {l2_block} has state root {output_root}, but the L2 node's block {l2_block} has {node_root} (the node is on another chain or not synced to it)"
    )]
    StateRootMismatch {
        /// The output.
        output_index: u64,
        /// The L2 block.
        l2_block: u64,
        /// `l2StateRoot` of the output on L1.
        output_root: B256,
        /// State root of that block on the L2 node.
        node_root: B256,
    },
    /// The account proof of the bridged token contract does not verify against the state root.
    #[error(
        "account proof of the L2 token {l2_token} is invalid against state root {state_root}: {reason}"
    )]
    AccountProof {
        /// The L2 token contract whose account was proven.
        l2_token: Address,
        /// The root it was checked against.
        state_root: B256,
        /// What the trie check reported.
        reason: String,
    },
    /// The storage proof of the balance slot does not verify against the token's storage root.
    #[error("storage proof of {account}'s balance (slot {slot}) is invalid: {reason}")]
    StorageProof {
        /// The account whose balance was proven.
        account: Address,
        /// The balance slot.
        slot: B256,
        /// The token and storage root it was checked against, and what the trie check reported.
        reason: String,
    },
    /// The proofs verify and show a zero balance: there is nothing to escape with.
    #[error(
        "{account} holds no {l2_token} on L2 at block {l2_block} (output {output_index}): NothingToEscape"
    )]
    ZeroBalance {
        /// The account.
        account: Address,
        /// The L2 token contract.
        l2_token: Address,
        /// The output.
        output_index: u64,
        /// Its L2 block.
        l2_block: u64,
    },
    /// The proofs verify and show that the bridged token did not exist at the output's block.
    #[error(
        "the bridged token {l2_token} of L1 token {l1_token} did not exist on L2 at block {l2_block}: nobody holds it there"
    )]
    TokenNotDeployed {
        /// The L1 token.
        l1_token: Address,
        /// Its (predicted) L2 token.
        l2_token: Address,
        /// The L2 block.
        l2_block: u64,
    },
    /// A proof (file or kit) is for something other than what was asked.
    #[error("the proof does not fit: {0}")]
    ProofMismatch(String),
    /// A proof file could not be read, parsed or written.
    #[error("proof file {path}: {reason}")]
    ProofFile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// The bridge is not frozen, so there is no escape output.
    #[error("the bridge is not frozen: escape needs a freeze first (NotFrozen){hint}")]
    NotFrozen {
        /// What to do (text starting with a separator, or empty).
        hint: String,
    },
    /// The bridge was frozen without any final output to escape against.
    #[error(
        "the bridge is frozen without a final output: there is no escape root (NoEscapeOutput)"
    )]
    NoEscapeOutput,
    /// Freeze cannot happen yet or not for this nonce.
    #[error("cannot freeze on message {nonce}: {reason}")]
    CannotFreeze {
        /// The forced withdrawal's nonce.
        nonce: u64,
        /// Why (and until when), ending with the contract's error name.
        reason: String,
    },
    /// The account already escaped with this token.
    #[error(
        "{account} has already escaped with L1 token {l1_token}: AlreadyEscaped({l1_token}, {account})"
    )]
    AlreadyEscaped {
        /// The L1 token.
        l1_token: Address,
        /// The account.
        account: Address,
    },
    /// `escape` pays an account's L2 balance only to that account's own key: the signer must be
    /// the account (`msg.sender == tx.origin == account`, else the contract reverts `SenderNotEOA`).
    #[error(
        "escape of {account}'s L2 balance must be sent with {account}'s own key, but the key is {signer}'s: SenderNotEOA({signer}) (an account's L2 funds are claimed on L1 only by its key; an L2 contract account cannot escape)"
    )]
    NotAccountKey {
        /// The account whose balance is proven.
        account: Address,
        /// The signer that was given.
        signer: Address,
    },
    /// A deposit cannot be refunded.
    #[error("cannot refund message {nonce}: {reason}")]
    CannotRefund {
        /// The message's nonce.
        nonce: u64,
        /// Why, ending with the contract's error name.
        reason: String,
    },
    /// An amount is out of range (zero, or more than the account holds).
    #[error("invalid amount {amount}: {reason}")]
    InvalidAmount {
        /// The amount in base units.
        amount: U256,
        /// Why.
        reason: String,
    },

    /// The escape kit database failed.
    #[error("escape kit {path}: {reason}")]
    Kit {
        /// The database file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The escape kit holds no proof for what was asked.
    #[error("the escape kit {path} holds no proof for {account} and L1 token {l1_token}{detail}")]
    NotInKit {
        /// The database file.
        path: String,
        /// The account.
        account: Address,
        /// The L1 token.
        l1_token: Address,
        /// More detail (starting with a separator), or empty.
        detail: String,
    },
    /// Chain data contradicts itself or the deployment.
    #[error("inconsistent chain data: {0}")]
    Inconsistent(String),
    /// The command line is incomplete or contradictory in a way clap cannot express.
    #[error("{0}")]
    Usage(String),
}

impl ExitError {
    /// Extra machine-readable fields for `--json` error output.
    pub fn json_details(&self) -> serde_json::Value {
        match self {
            Self::Client(e) => e.json_details(),
            Self::StateRootMismatch { .. } => serde_json::json!({ "check": "stateRoot" }),
            Self::AccountProof { .. } => serde_json::json!({ "check": "accountProof" }),
            Self::StorageProof { .. } => serde_json::json!({ "check": "storageProof" }),
            Self::ZeroBalance { .. } => serde_json::json!({ "check": "balance" }),
            _ => serde_json::Value::Null,
        }
    }
}
