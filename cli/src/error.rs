//! The one error type of the library. Every message names what is wrong and, where it helps, what
//! to do about it. No variant ever carries key material.

use alloy::primitives::{Address, B256};

use crate::Chain;

/// Everything a `drawbridge` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
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
        chain: Chain,
        /// The URL as given.
        url: String,
        /// The parse error.
        reason: String,
    },
    /// A node could not be reached or answered with an error that is not a revert.
    #[error("{chain} RPC at {url} failed while {action}: {message}")]
    Rpc {
        /// Which chain.
        chain: Chain,
        /// The endpoint.
        url: String,
        /// What the CLI was doing.
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
        chain: Chain,
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
        /// What the CLI was doing.
        action: String,
        /// The decoded revert reason, e.g. `AlreadyFinalized(nonce: 3)`.
        error: String,
    },
    /// A transaction was mined but failed.
    #[error("{action}: transaction {tx_hash} was mined but reverted")]
    TxFailed {
        /// What the CLI was doing.
        action: String,
        /// The transaction.
        tx_hash: B256,
    },
    /// A transaction was sent but no receipt arrived in time; it may still land.
    #[error(
        "{action}: transaction {tx_hash} was sent but not mined within {seconds} s; check it before retrying"
    )]
    TxTimeout {
        /// What the CLI was doing.
        action: String,
        /// The transaction.
        tx_hash: B256,
        /// How long the CLI waited.
        seconds: u64,
    },
    /// The approval of an ERC-20 deposit went through, the deposit itself did not.
    #[error(
        "the deposit failed after the approval went through: {source}. The approval (tx {approval_tx}) stands, so the bridge may still spend {allowance} of the token: retry the same `drawbridge deposit` and it will deposit without approving again"
    )]
    DepositFailedAfterApproval {
        /// The approval transaction.
        approval_tx: B256,
        /// The allowance that stands, formatted in token units.
        allowance: String,
        /// Why the deposit failed.
        source: Box<CliError>,
    },
    /// The sender does not hold enough of a token.
    #[error("insufficient {token} balance on {chain}: {account} holds {have}, needs {need}")]
    InsufficientBalance {
        /// Which chain.
        chain: Chain,
        /// Token symbol.
        token: String,
        /// The account.
        account: Address,
        /// Its balance, formatted.
        have: String,
        /// The amount asked for, formatted.
        need: String,
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
    /// No L1 message with this nonce.
    #[error("no deposit with nonce {nonce}: L1 has sent {}", crate::report::plural(*count, "message"))]
    DepositNotFound {
        /// Requested nonce.
        nonce: u64,
        /// Messages sent so far.
        count: u64,
    },
    /// No withdrawal with this nonce.
    #[error("no withdrawal with nonce {nonce}: L2 has {}", crate::report::plural(*count, "withdrawal"))]
    WithdrawalNotFound {
        /// Requested nonce.
        nonce: u64,
        /// Withdrawals initiated so far.
        count: u64,
    },
    /// The withdrawal is not in any output yet.
    #[error(
        "withdrawal {nonce} is not yet covered by an output: it was initiated in L2 block {l2_block}, {newest}"
    )]
    NotCovered {
        /// The withdrawal.
        nonce: u64,
        /// Its L2 block.
        l2_block: u64,
        /// Description of the newest output.
        newest: String,
    },
    /// The bridge is frozen and no output at or before the escape output pays the withdrawal.
    #[error(
        "the bridge is frozen: withdrawal {nonce} cannot be finalized against output {index}: {reason}; escape the balance instead (nothing was sent)"
    )]
    FrozenNotPayable {
        /// The withdrawal.
        nonce: u64,
        /// The output asked for or the escape output (`None`: no output was final at the freeze).
        index: String,
        /// Why.
        reason: String,
    },
    /// The output that covers the withdrawal is not final yet.
    #[error("output {index} is not final yet: {reason}")]
    OutputNotFinal {
        /// The output.
        index: u64,
        /// When it will be or what it waits for.
        reason: String,
    },
    /// The chosen output does not include the withdrawal.
    #[error(
        "output {index} does not cover withdrawal {nonce}: it ends at L2 block {output_block}, the withdrawal is in L2 block {l2_block}"
    )]
    OutputDoesNotCover {
        /// The output.
        index: u64,
        /// The withdrawal.
        nonce: u64,
        /// Last L2 block of the output.
        output_block: u64,
        /// Block of the withdrawal.
        l2_block: u64,
    },
    /// No output with this index.
    #[error("no output with index {index}: the oracle holds {}", crate::report::plural(*count, "output"))]
    UnknownOutput {
        /// Requested index.
        index: u64,
        /// Outputs held.
        count: u64,
    },
    /// The withdrawal was paid before.
    #[error("withdrawal {nonce} is already finalized on L1: AlreadyFinalized(nonce: {nonce}){tx}")]
    AlreadyFinalized {
        /// The withdrawal.
        nonce: u64,
        /// Where it was finalized, if found (text starting with a separator, or empty).
        tx: String,
    },
    /// What the L2 node shows does not match an output or itself.
    #[error("inconsistent chain data: {0}")]
    Inconsistent(String),
    /// The command line is incomplete in a way clap cannot express.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// Extra machine-readable fields for `--json` error output.
    pub fn json_details(&self) -> serde_json::Value {
        match self {
            Self::DepositFailedAfterApproval {
                approval_tx,
                allowance,
                ..
            } => serde_json::json!({
                "approvalTx": approval_tx,
                "allowance": allowance,
                "approvalStands": true,
            }),
            Self::Reverted { error, .. } => serde_json::json!({ "revert": error }),
            _ => serde_json::Value::Null,
        }
    }
}
