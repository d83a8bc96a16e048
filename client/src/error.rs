//! The one error type of the client library. Every message names what is wrong and, where it
//! helps, what to do about it. No variant ever carries key material.

use alloy::primitives::{Address, B256};

use crate::format::plural;
use crate::types::Layer;

/// Everything reading the chains, sending a transaction, loading a key or parsing an amount can
/// fail with. The CLI and the exit prover wrap it in their own errors; its messages are the ones
/// users see.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The deployment file is missing, unreadable, malformed or inconsistent.
    #[error("{source}{hint}")]
    Deployment {
        /// What the deployment crate reported.
        source: drawbridge_deployment::DeploymentError,
        /// A suggestion appended to the message (empty or starting with a separator).
        hint: &'static str,
    },
    /// An amount argument could not be used.
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount {
        /// The argument as given.
        input: String,
        /// Why it is refused.
        reason: String,
    },
    /// A token argument is neither `eth` nor an address.
    #[error(
        "invalid token {input:?}: expected `eth` or an L1 token address (0x followed by 40 hex digits)"
    )]
    InvalidToken {
        /// The argument as given.
        input: String,
    },
    /// The token is well formed but cannot be bridged as asked.
    #[error("unknown token {token}: {reason}")]
    UnknownToken {
        /// The L1 token address.
        token: Address,
        /// Why it cannot be used.
        reason: String,
    },
    /// An address argument or value is malformed.
    #[error("malformed address {input:?} for {what}: expected 0x followed by 40 hex digits")]
    InvalidAddress {
        /// Which argument.
        what: &'static str,
        /// The argument as given.
        input: String,
    },
    /// An RPC URL does not parse.
    #[error("invalid {chain} RPC URL {url:?}: {reason}")]
    InvalidRpcUrl {
        /// Which chain.
        chain: Layer,
        /// The URL as given.
        url: String,
        /// The parse error.
        reason: String,
    },
    /// A node could not be reached or answered with an error that is not a revert.
    #[error("{chain} RPC at {url} failed while {action}: {message}")]
    Rpc {
        /// Which chain.
        chain: Layer,
        /// The endpoint.
        url: String,
        /// What the client was doing.
        action: String,
        /// What the transport or node reported.
        message: String,
    },
    /// The node behind an RPC URL is on another chain than the deployment file says.
    #[error(
        "{chain} RPC at {url} is chain {actual}, but the deployment file says {chain} is chain {expected}"
    )]
    WrongChain {
        /// Which chain.
        chain: Layer,
        /// The endpoint.
        url: String,
        /// Chain id from the deployment file.
        expected: u64,
        /// Chain id the node reports.
        actual: u64,
    },
    /// A command that sends a transaction has no key.
    #[error(
        "no signing key: set DRAWBRIDGE_PRIVATE_KEY or pass --keystore <file> (with DRAWBRIDGE_KEYSTORE_PASSWORD or an interactive prompt)"
    )]
    MissingKey,
    /// `DRAWBRIDGE_PRIVATE_KEY` is set but is not a usable key. The value is never shown.
    #[error(
        "DRAWBRIDGE_PRIVATE_KEY is not a valid secp256k1 private key (expected 32 bytes as 64 hex digits, optionally 0x-prefixed)"
    )]
    InvalidPrivateKey,
    /// The keystore could not be read or decrypted.
    #[error("keystore {path}: {reason}")]
    Keystore {
        /// The keystore file.
        path: String,
        /// What went wrong (never the password).
        reason: String,
    },
    /// A contract call or transaction reverted; `error` is the decoded custom error.
    #[error("{action} reverted: {error}")]
    Reverted {
        /// What the client was doing.
        action: String,
        /// The decoded revert reason, e.g. `AlreadyFinalized(nonce: 3)`.
        error: String,
    },
    /// A transaction was mined but failed.
    #[error("{action}: transaction {tx_hash} was mined but reverted")]
    TxFailed {
        /// What the client was doing.
        action: String,
        /// The transaction.
        tx_hash: B256,
    },
    /// A transaction was sent but no receipt arrived in time; it may still land.
    #[error(
        "{action}: transaction {tx_hash} was sent to {chain} but not mined within {seconds} s; it may still land, check it before retrying{}",
        censorship_hint(*chain)
    )]
    TxTimeout {
        /// The chain it was sent to.
        chain: Layer,
        /// What the client was doing.
        action: String,
        /// The transaction.
        tx_hash: B256,
        /// How long the client waited.
        seconds: u64,
    },
    /// The bridge refuses deposits or finalizations right now.
    #[error("the bridge is paused until {until} ({left} s left): BridgePaused(until: {until_raw})")]
    Paused {
        /// End of the pause, formatted.
        until: String,
        /// Unix time of the end of the pause.
        until_raw: u64,
        /// Seconds left.
        left: u64,
    },
    /// The bridge is frozen: no deposits.
    #[error(
        "the bridge is frozen (BridgeFrozen): deposits are closed; withdrawals in the last final output and escapes still pay"
    )]
    Frozen,
    /// No withdrawal with this nonce.
    #[error("no withdrawal with nonce {nonce}: L2 has {}", plural(*count, "withdrawal"))]
    WithdrawalNotFound {
        /// Requested nonce.
        nonce: u64,
        /// Withdrawals initiated so far.
        count: u64,
    },
    /// The output asked for is not final yet.
    #[error("output {index} is not final yet: {reason}")]
    OutputNotFinal {
        /// The output.
        index: u64,
        /// When it will be or what it waits for.
        reason: String,
    },
    /// No output with this index.
    #[error("no output with index {index}: the oracle holds {}", plural(*count, "output"))]
    UnknownOutput {
        /// Requested index.
        index: u64,
        /// Outputs held.
        count: u64,
    },
    /// What a node shows does not match an output, the deployment or itself.
    #[error("inconsistent chain data: {0}")]
    Inconsistent(String),
}

impl ClientError {
    /// Extra machine-readable fields for `--json` error output.
    pub fn json_details(&self) -> serde_json::Value {
        match self {
            Self::Reverted { error, .. } => serde_json::json!({ "revert": error }),
            _ => serde_json::Value::Null,
        }
    }
}

/// What to do when an L2 transaction is never mined: the sequencer may be censoring it, and the
/// way out does not need the sequencer.
fn censorship_hint(chain: Layer) -> &'static str {
    match chain {
        Layer::L1 => "",
        Layer::L2 => {
            ". If the L2 sequencer keeps ignoring your transactions, withdraw through L1 instead: \
             `drawbridge-exit-prover force --token <eth|ADDRESS> --amount <DECIMAL>` (docs/design.md, \
             \"Forced withdrawal, freeze and escape\"); if it is not processed in time, anyone may freeze the bridge and \
             you escape with your L2 balance"
        }
    }
}

/// An error and its sources, joined with `: `, without repeating a source that its parent
/// already printed.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}
