//! The crate's one error type.

use drawbridge_deployment::DeploymentError;
use drawbridge_protocol::ProtocolError;

/// Everything that can go wrong in the relayer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is missing or has an unusable value; `name` is the setting as the config file
    /// spells it (the flag is `--name-with-dashes`, the variable `DRAWBRIDGE_NAME`).
    #[error("invalid setting `{name}`: {reason}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The deployment file could not be loaded.
    #[error("deployment: {0}")]
    Deployment(#[from] DeploymentError),
    /// A database operation failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database holds something that cannot be read back (a corrupted or hand-edited row).
    #[error("database row {what}: {reason}")]
    BadRow {
        /// Which row.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database was made for another deployment or another chain.
    #[error("the database belongs to another deployment: {0}")]
    ForeignDatabase(String),
    /// An RPC endpoint failed or is unreachable (transient: the relayer backs off and retries).
    #[error("{chain} RPC: {message}")]
    Rpc {
        /// `L1` or `L2`.
        chain: &'static str,
        /// What failed.
        message: String,
    },
    /// An RPC endpoint serves another chain than the deployment names.
    #[error("{chain} RPC serves chain id {actual}, the deployment expects {expected}")]
    WrongChain {
        /// `L1` or `L2`.
        chain: &'static str,
        /// Chain id from the deployment.
        expected: u64,
        /// Chain id the endpoint reported.
        actual: u64,
    },
    /// An event's leaf differs from the leaf computed from its fields: the relayer refuses it.
    #[error(
        "{chain} event for nonce {nonce} carries leaf {event_leaf} but its fields hash to {computed}: refusing it"
    )]
    LeafMismatch {
        /// `L1` or `L2`.
        chain: &'static str,
        /// Nonce of the message or withdrawal.
        nonce: u64,
        /// Leaf in the event.
        event_leaf: alloy::primitives::B256,
        /// Leaf computed with drawbridge-protocol.
        computed: alloy::primitives::B256,
    },
    /// What the chain says contradicts what the relayer saw (a nonce gap, a root that is not the
    /// relayer's own, a reorg deeper than the confirmation depth). The relayer refuses to act on it.
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
    /// What the L1 node's `eth_getLogs` returned contradicts L1 state read by `eth_call` at the
    /// confirmed block hash (the message tree's root or count, or a committed root's count): a
    /// made-up, altered or missing log. Nothing of that range is stored or acted on; the role halts
    /// (`l1_logs_inconsistent` alert) and re-checks until the node tells the truth.
    #[error("L1 logs contradict L1 state: {0}")]
    L1LogsInconsistent(String),
    /// L2 processed, at `nonce`, a message L1 never sent (its leaf differs from L1's leaf at that
    /// nonce, or L1 has no message there): the propose role refuses to propose any state that
    /// consumed it and halts (`forged_l1_message` alert). See docs/operators.md, "Halts".
    #[error(
        "L2 processed a message L1 never sent at nonce {nonce}: L2's leaf {l2_leaf}, L1's leaf {}; refusing to propose any output that consumed it",
        l1_leaf.map_or_else(|| "none (L1 has no message at that nonce)".to_string(), |l| l.to_string())
    )]
    ForgedL1Message {
        /// The first nonce whose processed leaf differs from L1's.
        nonce: u64,
        /// The leaf L2 processed (`MessageProcessed.leaf`).
        l2_leaf: alloy::primitives::B256,
        /// L1's leaf at that nonce, `None` when L1 sent no message with that nonce.
        l1_leaf: Option<alloy::primitives::B256>,
    },
    /// A block a role treated as confirmed changed hash: a reorg deeper than the confirmation
    /// depth. The role halts (it may have acted on blocks that are gone) until an operator
    /// resolves it; see docs/operators.md, "Halts".
    #[error(
        "{chain} reorg deeper than the confirmation depth ({confirmations}): block {block} was {expected} when the {role} role followed it and is {actual:?} now ({depth} blocks replaced); the {role} role halts"
    )]
    DeepReorg {
        /// `L1` or `L2`.
        chain: &'static str,
        /// The role that followed the chain.
        role: crate::role::Role,
        /// Lowest block found replaced.
        block: u64,
        /// Its hash when followed.
        expected: alloy::primitives::B256,
        /// Its hash now (`None`: the chain has no such block any more).
        actual: Option<alloy::primitives::B256>,
        /// Number of followed blocks replaced.
        depth: u64,
        /// The configured depth.
        confirmations: u64,
    },
    /// The chain reorganized inside the unconfirmed window while a round read it: nothing was
    /// acted on; the round is retried and re-reads.
    #[error("{chain} reorg while reading: {message}")]
    Reorg {
        /// `L1` or `L2`.
        chain: &'static str,
        /// What changed.
        message: String,
    },
    /// Another relayer took this role over (its lease expired): this relayer writes and sends
    /// nothing more in that role until it holds the lease again.
    #[error("the {role} lease was taken over by another relayer")]
    LeaseLost {
        /// The role.
        role: crate::role::Role,
    },
    /// A Merkle tree operation failed.
    #[error("merkle tree: {0}")]
    Merkle(#[from] ProtocolError),
    /// Building or signing a transaction failed.
    #[error("{chain} transaction: {message}")]
    Transaction {
        /// `L1` or `L2`.
        chain: &'static str,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// Whether the relayer must stop rather than retry: a misconfiguration that retrying cannot
    /// fix (wrong chain, foreign database).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Config { .. }
                | Self::Deployment(_)
                | Self::Migrate(_)
                | Self::ForeignDatabase(_)
                | Self::WrongChain { .. }
        )
    }

    pub(crate) fn config(name: &'static str, reason: impl Into<String>) -> Self {
        Self::Config {
            name,
            reason: reason.into(),
        }
    }

    pub(crate) fn rpc(chain: &'static str, error: impl std::fmt::Display) -> Self {
        Self::Rpc {
            chain,
            message: error.to_string(),
        }
    }
}

/// Result with the crate's error.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
