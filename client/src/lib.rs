//! The Drawbridge client library: what the `drawbridge` CLI and the exit prover both need to talk
//! to the bridge.
//!
//! It owns:
//! - the chain client ([`chain`]): both chains' providers from the deployment file, chain-id
//!   checks, head and time reads, bounded log scans and transaction sending;
//! - reads and event scans ([`reads`], [`scan`], [`outputs`]): token metadata, the withdrawal
//!   tree from L2 events, L1 messages and their delivery, outputs and which one pays;
//! - revert decoding ([`revert`]): one decoder for every Drawbridge and token custom error;
//! - signer loading ([`keys`]): one rule, `--keystore` first, else `DRAWBRIDGE_PRIVATE_KEY`;
//! - amounts and tokens ([`amount`], [`format`](mod@format), [`token`], [`types`]);
//! - transfer status ([`status`], pure stage logic, and [`progress`], which reads the chains);
//! - the transactions a command sent ([`txlog`]), for the binary to show and to summarise after
//!   an interruption;
//! - conversions between the contract bindings and the protocol types ([`convert`]);
//! - its error type, [`ClientError`], whose messages are the ones users see.
//!
//! It must not print, log to the terminal or parse command lines: the binaries do that and render
//! what this crate returns. It does define the flags both user tools share ([`ChainArgs`],
//! [`KeySource`]) so that they are spelled once. (The one interaction is [`keys`]' keystore password prompt, on a
//! terminal only, which reads input rather than reporting anything.) Pure protocol rules (leaves, trees, which output pays) live in
//! `drawbridge_protocol`, which this crate builds on.

pub mod amount;
pub mod chain;
pub mod convert;
mod error;
pub mod format;
pub mod keys;
pub mod outputs;
pub mod progress;
pub mod reads;
pub mod revert;
pub mod scan;
pub mod status;
pub mod token;
pub mod txlog;
pub mod types;

pub use chain::{ChainClient, Context, Layer};
pub use error::{ClientError, error_chain};
pub use keys::KeySource;
pub use token::TokenArg;
pub use txlog::{SentTx, TxLog, TxOutcome};
pub use types::{Amount, TokenInfo};

use drawbridge_deployment::{Deployment, DeploymentError};

/// Where the binaries look for the deployment file unless told otherwise (written by
/// `scripts/devnet.sh`).
pub const DEFAULT_DEPLOYMENT_PATH: &str = ".devnet/deployment.json";

/// Environment variable naming the deployment file.
pub const DEPLOYMENT_ENV: &str = "DRAWBRIDGE_DEPLOYMENT";

/// Which deployment and which nodes: the flags both user tools share. An RPC URL given here
/// overrides the deployment file's (any node of the chain will do).
#[derive(Debug, Clone, clap::Args)]
pub struct ChainArgs {
    /// Deployment file (addresses, chain ids, RPC URLs).
    #[arg(
        long,
        global = true,
        env = DEPLOYMENT_ENV,
        default_value = DEFAULT_DEPLOYMENT_PATH,
        value_name = "PATH"
    )]
    pub deployment: std::path::PathBuf,
    /// L1 JSON-RPC URL (overrides the deployment file's).
    #[arg(
        long,
        global = true,
        env = "DRAWBRIDGE_L1_RPC_URL",
        alias = "l1-rpc",
        value_name = "URL"
    )]
    pub l1_rpc_url: Option<String>,
    /// L2 JSON-RPC URL (overrides the deployment file's).
    #[arg(
        long,
        global = true,
        env = "DRAWBRIDGE_L2_RPC_URL",
        alias = "l2-rpc",
        value_name = "URL"
    )]
    pub l2_rpc_url: Option<String>,
}

impl ChainArgs {
    /// Both chains' clients from the deployment file and the overrides.
    pub fn context(&self) -> Result<Context, ClientError> {
        let deployment = load_deployment(&self.deployment)?;
        Context::new(
            deployment,
            self.l1_rpc_url.as_deref(),
            self.l2_rpc_url.as_deref(),
        )
    }
}

/// Loads the deployment file named on the command line, with a hint when it is missing.
pub fn load_deployment(path: &std::path::Path) -> Result<Deployment, ClientError> {
    Deployment::load(path).map_err(|source| {
        let hint = match &source {
            DeploymentError::Io { .. } => {
                " (start a devnet with `bash scripts/devnet.sh`, or pass --deployment PATH / set DRAWBRIDGE_DEPLOYMENT)"
            }
            _ => "",
        };
        ClientError::Deployment { source, hint }
    })
}
