//! Configuration: a TOML file, environment variables and flags with the same names, validated at
//! start with an error that names the offending setting.
//!
//! Every setting `name` is `name = ...` in the file, `--name` (dashes for underscores) on the
//! command line and `DRAWBRIDGE_NAME` in the environment. A flag beats the environment, which
//! beats the file, which beats the default. The private key is never a flag or a file setting: it
//! comes from `DRAWBRIDGE_RELAYER_KEY` or from an encrypted keystore (`keystore`, with its password
//! in `DRAWBRIDGE_KEYSTORE_PASSWORD`), and it is never logged or printed.
//!
//! The module is layered like the settings: `file` is the TOML file, `args` the flags and
//! environment merged over it, `parse` the value parsers they share, and `validate` the checks
//! every configuration passes before the relayer starts (defaults live with [`RelayerConfig::new`]).

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_deployment::{Deployment, Preset};

pub use crate::role::Role;

mod args;
mod file;
mod parse;
mod validate;

pub use args::{ConfigArgs, LoadedConfig, Secrets};
pub use file::FileConfig;
pub use parse::{default_relayer_id, parse_duration, parse_ether, redact_url};

/// Default database: a SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://relayer.sqlite?mode=rwc";
/// Environment variable holding the relayer's private key (hex).
pub const KEY_ENV: &str = "DRAWBRIDGE_RELAYER_KEY";
/// One gwei in wei.
const GWEI: u128 = 1_000_000_000;
/// Default `max_fee_per_gas`, in gwei.
const DEFAULT_MAX_FEE_GWEI: u128 = 500;
/// Environment variable holding the keystore's password.
pub const KEYSTORE_PASSWORD_ENV: &str = "DRAWBRIDGE_KEYSTORE_PASSWORD";

/// Log output format of the binary (the one setting every service shares).
pub use drawbridge_service::LogFormat;

/// The relayer's complete, validated configuration. Construct it in code with
/// [`RelayerConfig::new`] and adjust the public fields, or from files, environment and flags with
/// [`ConfigArgs::resolve`].
#[derive(Clone)]
pub struct RelayerConfig {
    /// The deployment: addresses, chain ids, deploy blocks, roles, parameters.
    pub deployment: Deployment,
    /// L1 JSON-RPC endpoint (default: the deployment's).
    pub l1_rpc_url: String,
    /// L2 JSON-RPC endpoint (default: the deployment's).
    pub l2_rpc_url: String,
    /// sqlx database URL (default [`DEFAULT_DATABASE_URL`]).
    pub database_url: String,
    /// The key that signs every transaction (proposer and root publisher in the devnet).
    pub signer: PrivateKeySigner,
    /// Roles to run.
    pub roles: BTreeSet<Role>,
    /// L1 blocks behind the head that the relayer follows.
    pub l1_confirmations: u64,
    /// L2 blocks behind the head that the relayer follows.
    pub l2_confirmations: u64,
    /// Pause between two rounds of work.
    pub poll_interval: Duration,
    /// Most blocks asked for in one `eth_getLogs`.
    pub max_log_range: u64,
    /// Most L1 messages in one `relayMessages`.
    pub delivery_batch_size: usize,
    /// Most withdrawals in one `finalizeWithdrawals`.
    pub finalize_batch_size: usize,
    /// An output is proposed for every L2 block that is a multiple of this.
    pub output_interval: u64,
    /// How long to wait for a receipt before leaving a transaction in flight for the next round.
    pub tx_timeout: Duration,
    /// This relayer's id in the `leases` table. Relayers sharing a database need distinct ids;
    /// a relayer restarted with the same id takes its own leases back at once.
    pub relayer_id: String,
    /// How long a role lease lasts unless renewed (renewed every third of it). A relayer that
    /// dies is replaced after at most this plus one `poll_interval`.
    pub lease_ttl: Duration,
    /// Address of the HTTP API and `/metrics` (off when `None`).
    pub api_listen: Option<SocketAddr>,
    /// Below this L1 balance (wei) the relayer raises a low-balance alert.
    pub l1_min_balance: U256,
    /// Below this L2 balance (wei) the relayer raises a low-balance alert.
    pub l2_min_balance: U256,
    /// The L1 `SecurityCouncil` whose scheduled calls the API shows (default: the deployment's
    /// council role, when it is a contract).
    pub council_address: Option<Address>,
    /// Longest wait for one JSON-RPC answer.
    pub rpc_timeout: Duration,
    /// Longest pause between rounds after repeated errors (the backoff doubles up to it).
    pub max_backoff: Duration,
    /// Highest `maxFeePerGas` (wei) the relayer signs, first transactions and fee bumps alike.
    pub max_fee_per_gas: u128,
    /// How often the watchdog's conservation monitor compares L2 supply with L1 escrow.
    pub conservation_interval: Duration,
}

impl fmt::Debug for RelayerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signer is shown by its address only.
        f.debug_struct("RelayerConfig")
            .field("l1_rpc_url", &redact_url(&self.l1_rpc_url))
            .field("l2_rpc_url", &redact_url(&self.l2_rpc_url))
            .field("database_url", &redact_url(&self.database_url))
            .field("signer", &self.signer.address())
            .field("roles", &self.roles)
            .field("l1_confirmations", &self.l1_confirmations)
            .field("l2_confirmations", &self.l2_confirmations)
            .field("poll_interval", &self.poll_interval)
            .field("max_log_range", &self.max_log_range)
            .field("delivery_batch_size", &self.delivery_batch_size)
            .field("finalize_batch_size", &self.finalize_batch_size)
            .field("output_interval", &self.output_interval)
            .field("tx_timeout", &self.tx_timeout)
            .field("relayer_id", &self.relayer_id)
            .field("lease_ttl", &self.lease_ttl)
            .field("api_listen", &self.api_listen)
            .field("l1_min_balance", &self.l1_min_balance)
            .field("l2_min_balance", &self.l2_min_balance)
            .field("council_address", &self.council_address)
            .field("rpc_timeout", &self.rpc_timeout)
            .field("max_backoff", &self.max_backoff)
            .field("max_fee_per_gas", &self.max_fee_per_gas)
            .field("conservation_interval", &self.conservation_interval)
            .finish_non_exhaustive()
    }
}

/// Defaults that depend on the deployment's preset.
struct PresetDefaults {
    confirmations: u64,
    output_interval: u64,
}

fn preset_defaults(preset: Preset) -> PresetDefaults {
    match preset {
        Preset::Devnet => PresetDefaults {
            confirmations: 2,
            output_interval: 5,
        },
        Preset::Testnet => PresetDefaults {
            confirmations: 6,
            output_interval: 100,
        },
        Preset::Mainnet => PresetDefaults {
            confirmations: 12,
            output_interval: 1800,
        },
    }
}

impl RelayerConfig {
    /// A configuration with every default: RPC URLs from the deployment, the [`Role::DEFAULT`] roles,
    /// [`DEFAULT_DATABASE_URL`], confirmations and output interval from the deployment's preset
    /// (devnet: 2 confirmations on each chain, an output every 5 L2 blocks), 1 s poll interval,
    /// 1,000-block log ranges, batches of 50, 120 s transaction timeout, the host name as relayer
    /// id, 15 s leases, no HTTP API, low-balance alerts below 0.1 ETH on L1 and 0.01 ETH on L2,
    /// 10 s RPC timeout, backoff up to 30 s, a conservation check every 30 s.
    pub fn new(deployment: Deployment, signer: PrivateKeySigner) -> Self {
        let defaults = preset_defaults(deployment.params.preset);
        Self {
            l1_rpc_url: deployment.l1.rpc_url.clone(),
            l2_rpc_url: deployment.l2.rpc_url.clone(),
            deployment,
            database_url: DEFAULT_DATABASE_URL.to_string(),
            signer,
            roles: Role::DEFAULT.into_iter().collect(),
            l1_confirmations: defaults.confirmations,
            l2_confirmations: defaults.confirmations,
            poll_interval: Duration::from_secs(1),
            max_log_range: 1_000,
            delivery_batch_size: 50,
            finalize_batch_size: 50,
            output_interval: defaults.output_interval,
            tx_timeout: Duration::from_secs(120),
            relayer_id: default_relayer_id(),
            lease_ttl: Duration::from_secs(15),
            api_listen: None,
            l1_min_balance: U256::from(100_000_000_000_000_000u64),
            l2_min_balance: U256::from(10_000_000_000_000_000u64),
            council_address: None,
            rpc_timeout: Duration::from_secs(10),
            max_backoff: Duration::from_secs(30),
            max_fee_per_gas: DEFAULT_MAX_FEE_GWEI * GWEI,
            conservation_interval: Duration::from_secs(30),
        }
    }

    /// Every setting by its name, as `--print-config` shows it: URLs redacted ([`redact_url`]),
    /// the key by its address only.
    pub fn printable(&self) -> serde_json::Value {
        let d = |d: Duration| format!("{}ms", d.as_millis());
        serde_json::json!({
            "deployment_l1_chain_id": self.deployment.l1.chain_id,
            "deployment_l2_chain_id": self.deployment.l2.chain_id,
            "l1_rpc_url": redact_url(&self.l1_rpc_url),
            "l2_rpc_url": redact_url(&self.l2_rpc_url),
            "database_url": redact_url(&self.database_url),
            "account": self.address().to_string(),
            "roles": self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "l1_confirmations": self.l1_confirmations,
            "l2_confirmations": self.l2_confirmations,
            "poll_interval": d(self.poll_interval),
            "max_log_range": self.max_log_range,
            "delivery_batch_size": self.delivery_batch_size,
            "finalize_batch_size": self.finalize_batch_size,
            "output_interval": self.output_interval,
            "tx_timeout": d(self.tx_timeout),
            "relayer_id": self.relayer_id,
            "lease_ttl": d(self.lease_ttl),
            "api_listen": self.api_listen.map_or_else(|| "off".to_string(), |a| a.to_string()),
            "l1_min_balance_wei": self.l1_min_balance.to_string(),
            "l2_min_balance_wei": self.l2_min_balance.to_string(),
            "council_address": self.council_address.map(|a| a.to_string()),
            "rpc_timeout": d(self.rpc_timeout),
            "max_backoff": d(self.max_backoff),
            "max_fee_per_gas_gwei": alloy::primitives::utils::format_units(
                U256::from(self.max_fee_per_gas),
                "gwei"
            )
            .unwrap_or_default(),
            "conservation_interval": d(self.conservation_interval),
        })
    }

    /// Whether `role` is switched on.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The relayer's account.
    pub fn address(&self) -> Address {
        self.signer.address()
    }
}

#[cfg(test)]
mod tests;
