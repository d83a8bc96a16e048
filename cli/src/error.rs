//! The one error type of the CLI library (the client library's errors wrapped). Every message names what is wrong and, where it helps, what
//! to do about it. No variant ever carries key material.

use alloy::primitives::{Address, B256};
use drawbridge_client::format::plural;
use drawbridge_client::{ClientError, Layer};

/// Everything a `drawbridge` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Loading the deployment or a key, an RPC failure, a decoded revert, a failed transaction,
    /// a bad amount or token, inconsistent chain data: the client library's errors.
    #[error(transparent)]
    Client(#[from] ClientError),
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
        chain: Layer,
        /// Token symbol.
        token: String,
        /// The account.
        account: Address,
        /// Its balance, formatted.
        have: String,
        /// The amount asked for, formatted.
        need: String,
    },
    /// No L1 message with this nonce.
    #[error("no deposit with nonce {nonce}: L1 has sent {}", plural(*count, "message"))]
    DepositNotFound {
        /// Requested nonce.
        nonce: u64,
        /// Messages sent so far.
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
    /// The withdrawal was paid before.
    #[error("withdrawal {nonce} is already finalized on L1: AlreadyFinalized(nonce: {nonce}){tx}")]
    AlreadyFinalized {
        /// The withdrawal.
        nonce: u64,
        /// Where it was finalized, if found (text starting with a separator, or empty).
        tx: String,
    },
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
            Self::Client(e) => e.json_details(),
            _ => serde_json::Value::Null,
        }
    }

    /// [`ClientError::Inconsistent`]: what the nodes show contradicts itself or an output.
    pub fn inconsistent(message: impl Into<String>) -> Self {
        Self::Client(ClientError::Inconsistent(message.into()))
    }
}
