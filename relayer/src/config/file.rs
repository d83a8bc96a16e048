//! The TOML configuration file: every key optional, unknown keys refused, relative paths resolved
//! against the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{LogFormat, Role};
use crate::error::{Error, Result};

/// The configuration file (TOML). Every key is optional; unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Path of the deployment file (relative paths are relative to the config file).
    pub deployment: Option<PathBuf>,
    /// sqlx database URL.
    pub database_url: Option<String>,
    /// L1 JSON-RPC endpoint.
    pub l1_rpc_url: Option<String>,
    /// L2 JSON-RPC endpoint.
    pub l2_rpc_url: Option<String>,
    /// L1 confirmation depth.
    pub l1_confirmations: Option<u64>,
    /// L2 confirmation depth.
    pub l2_confirmations: Option<u64>,
    /// Pause between rounds (`"1s"`).
    pub poll_interval: Option<String>,
    /// Most blocks per `eth_getLogs`.
    pub max_log_range: Option<u64>,
    /// Roles to run.
    pub roles: Option<Vec<Role>>,
    /// Most L1 messages per `relayMessages`.
    pub delivery_batch_size: Option<usize>,
    /// Most withdrawals per `finalizeWithdrawals`.
    pub finalize_batch_size: Option<usize>,
    /// Propose an output every this many L2 blocks.
    pub output_interval: Option<u64>,
    /// Receipt wait before leaving a transaction for the next round (`"120s"`).
    pub tx_timeout: Option<String>,
    /// Encrypted keystore file holding the relayer's key.
    pub keystore: Option<PathBuf>,
    /// Log format of the binary.
    pub log_format: Option<LogFormat>,
    /// This relayer's id in the leases table.
    pub relayer_id: Option<String>,
    /// Lease duration (`"15s"`).
    pub lease_ttl: Option<String>,
    /// Address of the HTTP API (`"127.0.0.1:9780"`); absent or `"off"`: no API.
    pub api_listen: Option<String>,
    /// Low-balance alert threshold on L1, in ETH (`"0.1"`).
    pub l1_min_balance: Option<String>,
    /// Low-balance alert threshold on L2, in ETH (`"0.01"`).
    pub l2_min_balance: Option<String>,
    /// The L1 SecurityCouncil contract.
    pub council_address: Option<String>,
    /// Longest wait for one JSON-RPC answer (`"10s"`).
    pub rpc_timeout: Option<String>,
    /// Longest backoff between failed rounds (`"30s"`).
    pub max_backoff: Option<String>,
    /// Fee cap in gwei (`"500"`).
    pub max_fee_per_gas: Option<String>,
    /// How often the watchdog checks L2 supply against L1 escrow (`"30s"`).
    pub conservation_interval: Option<String>,
}

impl FileConfig {
    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::config("config", e.to_string()))
    }

    /// Reads and parses a file; relative paths in it are made relative to the file's folder.
    pub fn load(path: &Path) -> Result<Self> {
        drawbridge_service::load_toml(path, |file: &mut Self| {
            vec![&mut file.deployment, &mut file.keystore]
        })
        .map_err(|reason| Error::config("config", reason))
    }
}
