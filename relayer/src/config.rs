//! Configuration: a TOML file, environment variables and flags with the same names, validated at
//! start with an error that names the offending setting.
//!
//! Every setting `name` is `name = ...` in the file, `--name` (dashes for underscores) on the
//! command line and `DRAWBRIDGE_NAME` in the environment. A flag beats the environment, which
//! beats the file, which beats the default. The private key is never a flag or a file setting: it
//! comes from `DRAWBRIDGE_RELAYER_KEY` or from an encrypted keystore (`keystore`, with its password
//! in `DRAWBRIDGE_KEYSTORE_PASSWORD`), and it is never logged or printed.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use clap::Parser;
use drawbridge_deployment::{Deployment, Preset};
use serde::Deserialize;

use crate::error::{Error, Result};

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

/// What the relayer does; each role can run alone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Commit and publish L1 message roots; relay L1 messages to L2.
    Deliver,
    /// Propose L2 outputs to L1 with a bond; release and withdraw bonds.
    Propose,
    /// Finalize matured withdrawals on L1.
    Finalize,
    /// Re-check every proposed output against the L2 node and challenge a wrong one with the
    /// challenger bond; check every L1 root published on L2 exists on L1 (see `watchdog.rs`).
    Watchdog,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Deliver, Role::Propose, Role::Finalize, Role::Watchdog];
    /// The roles switched on when the configuration names none: the watchdog is off by default
    /// because it should run with its own key (it posts challenger bonds) and, ideally, its own L2
    /// node.
    pub const DEFAULT: [Role; 3] = [Role::Deliver, Role::Propose, Role::Finalize];

    /// Name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Deliver => "deliver",
            Role::Propose => "propose",
            Role::Finalize => "finalize",
            Role::Watchdog => "watchdog",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Log output format of the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

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

    /// Checks every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        check_rpc_url("l1_rpc_url", &self.l1_rpc_url)?;
        check_rpc_url("l2_rpc_url", &self.l2_rpc_url)?;
        check_database_url(&self.database_url)?;
        if self.roles.is_empty() {
            return Err(Error::config(
                "roles",
                "no role switched on; choose from deliver, propose, finalize, watchdog",
            ));
        }
        if self.l1_confirmations > 10_000 {
            return Err(Error::config("l1_confirmations", "at most 10000"));
        }
        if self.l2_confirmations > 10_000 {
            return Err(Error::config("l2_confirmations", "at most 10000"));
        }
        if self.poll_interval < Duration::from_millis(100)
            || self.poll_interval > Duration::from_secs(3600)
        {
            return Err(Error::config(
                "poll_interval",
                format!(
                    "{:?} is outside 100ms..=1h (the relayer never polls in a tight loop)",
                    self.poll_interval
                ),
            ));
        }
        if !(1..=100_000).contains(&self.max_log_range) {
            return Err(Error::config(
                "max_log_range",
                format!("{} is outside 1..=100000 blocks", self.max_log_range),
            ));
        }
        if !(1..=1_000).contains(&self.delivery_batch_size) {
            return Err(Error::config(
                "delivery_batch_size",
                format!("{} is outside 1..=1000", self.delivery_batch_size),
            ));
        }
        if !(1..=1_000).contains(&self.finalize_batch_size) {
            return Err(Error::config(
                "finalize_batch_size",
                format!("{} is outside 1..=1000", self.finalize_batch_size),
            ));
        }
        if self.output_interval == 0 {
            return Err(Error::config("output_interval", "must be at least 1 block"));
        }
        if self.tx_timeout < Duration::from_secs(1) {
            return Err(Error::config("tx_timeout", "must be at least 1s"));
        }
        check_relayer_id(&self.relayer_id)?;
        if self.lease_ttl < Duration::from_secs(1) || self.lease_ttl > Duration::from_secs(600) {
            return Err(Error::config(
                "lease_ttl",
                format!("{:?} is outside 1s..=10m", self.lease_ttl),
            ));
        }
        if self.rpc_timeout < Duration::from_millis(100)
            || self.rpc_timeout > Duration::from_secs(300)
        {
            return Err(Error::config(
                "rpc_timeout",
                format!("{:?} is outside 100ms..=5m", self.rpc_timeout),
            ));
        }
        if self.max_backoff < self.poll_interval || self.max_backoff > Duration::from_secs(3600) {
            return Err(Error::config(
                "max_backoff",
                format!(
                    "{:?} must be at least poll_interval ({:?}) and at most 1h",
                    self.max_backoff, self.poll_interval
                ),
            ));
        }
        if self.conservation_interval < Duration::from_millis(100)
            || self.conservation_interval > Duration::from_secs(86_400)
        {
            return Err(Error::config(
                "conservation_interval",
                format!("{:?} is outside 100ms..=24h", self.conservation_interval),
            ));
        }
        if !(GWEI / 1000..=100_000 * GWEI).contains(&self.max_fee_per_gas) {
            return Err(Error::config(
                "max_fee_per_gas",
                format!(
                    "{} wei is outside 0.001..=100000 gwei",
                    self.max_fee_per_gas
                ),
            ));
        }
        if self.deployment.l1.chain_id == self.deployment.l2.chain_id {
            return Err(Error::config(
                "deployment",
                "L1 and L2 have the same chain id",
            ));
        }
        Ok(())
    }
}

fn check_rpc_url(name: &'static str, value: &str) -> Result<()> {
    let url = url::Url::parse(value)
        .map_err(|e| Error::config(name, format!("{value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(
            name,
            format!("{value:?}: only http:// and https:// endpoints are supported"),
        ));
    }
    Ok(())
}

fn check_database_url(value: &str) -> Result<()> {
    match crate::store::Backend::of_url(value) {
        Some(crate::store::Backend::Sqlite) => Ok(()),
        Some(crate::store::Backend::Postgres) => {
            let url = url::Url::parse(value).map_err(|e| {
                Error::config(
                    "database_url",
                    format!("{:?} is not a URL: {e}", redact_url(value)),
                )
            })?;
            if url.host_str().is_none_or(str::is_empty) && !value.contains("host=") {
                return Err(Error::config(
                    "database_url",
                    format!("{:?} names no host", redact_url(value)),
                ));
            }
            Ok(())
        }
        None => Err(Error::config(
            "database_url",
            format!(
                "{:?} is neither a sqlite: nor a postgres: URL",
                redact_url(value)
            ),
        )),
    }
}

fn check_relayer_id(value: &str) -> Result<()> {
    let ok = (1..=64).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(
            "relayer_id",
            format!("{value:?}: use 1 to 64 characters of A-Z a-z 0-9 . _ - :"),
        ))
    }
}

/// The host name (or `relayer`), made a valid relayer id: a relayer restarted on the same host
/// takes its own leases back at once.
pub fn default_relayer_id() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let id: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if id.is_empty() { "relayer".into() } else { id }
}

/// A URL as it may be logged: the password and anything after the host (API keys of hosted RPC
/// endpoints often sit in the path or the query) are replaced by `***`; a sqlite: URL's path is
/// kept.
pub fn redact_url(value: &str) -> String {
    let Ok(mut url) = url::Url::parse(value) else {
        return "<unparsable URL>".into();
    };
    if url.scheme() == "sqlite" {
        return value.to_string();
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    let secret_path = !matches!(url.path(), "" | "/");
    let is_database = matches!(url.scheme(), "postgres" | "postgresql");
    if secret_path && !is_database {
        url.set_path("/***");
    }
    if url.query().is_some() {
        url.set_query(Some("***"));
    }
    url.to_string()
}

/// Parses an amount of ether such as `0.5` or `0.001` (decimal ETH) into wei.
pub fn parse_ether(text: &str) -> Result<U256, String> {
    let trimmed = text.trim();
    if !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "{text:?} is not an amount of ETH like 0.5 (digits, at most one point)"
        ));
    }
    alloy::primitives::utils::parse_ether(trimmed)
        .map_err(|e| format!("{text:?} is not an amount of ETH like 0.5: {e}"))
}

/// Parses a duration: a number with a unit `ms`, `s`, `m` or `h` (`500ms`, `1s`, `2m`), or a bare
/// number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 1s, 2m"))?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "" | "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
            ));
        }
    };
    Ok(duration)
}

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
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config("config", format!("{}: {e}", path.display())))?;
        let mut file = Self::parse(&text).map_err(|e| match e {
            Error::Config { reason, .. } => {
                Error::config("config", format!("{}: {reason}", path.display()))
            }
            other => other,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut file.deployment, &mut file.keystore]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(file)
    }
}

/// Secrets read from the environment (never from flags or files).
#[derive(Clone, Default)]
pub struct Secrets {
    /// `DRAWBRIDGE_RELAYER_KEY`: the private key, hex.
    pub relayer_key: Option<String>,
    /// `DRAWBRIDGE_KEYSTORE_PASSWORD`: the keystore's password.
    pub keystore_password: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field(
                "relayer_key",
                &self.relayer_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "keystore_password",
                &self.keystore_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Secrets {
    /// Reads `DRAWBRIDGE_RELAYER_KEY` and `DRAWBRIDGE_KEYSTORE_PASSWORD`.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Self {
            relayer_key: var(KEY_ENV),
            keystore_password: var(KEYSTORE_PASSWORD_ENV),
        }
    }
}

/// Command-line flags; each also reads `DRAWBRIDGE_<NAME>` from the environment.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "drawbridge-relayer",
    version,
    about = "Drawbridge relayer: delivers L1 messages to L2, proposes outputs, finalizes withdrawals",
    after_help = "The private key comes from DRAWBRIDGE_RELAYER_KEY, or from --keystore with its \
                  password in DRAWBRIDGE_KEYSTORE_PASSWORD."
)]
pub struct ConfigArgs {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "DRAWBRIDGE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Deployment file (JSON) written by the deployer or the devnet.
    #[arg(long, env = "DRAWBRIDGE_DEPLOYMENT", value_name = "PATH")]
    pub deployment: Option<PathBuf>,
    /// sqlx database URL [default: sqlite://relayer.sqlite?mode=rwc].
    #[arg(
        long,
        alias = "database_url",
        env = "DRAWBRIDGE_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// L1 JSON-RPC endpoint [default: the deployment's].
    #[arg(
        long,
        alias = "l1_rpc_url",
        env = "DRAWBRIDGE_L1_RPC_URL",
        value_name = "URL"
    )]
    pub l1_rpc_url: Option<String>,
    /// L2 JSON-RPC endpoint [default: the deployment's].
    #[arg(
        long,
        alias = "l2_rpc_url",
        env = "DRAWBRIDGE_L2_RPC_URL",
        value_name = "URL"
    )]
    pub l2_rpc_url: Option<String>,
    /// L1 blocks behind the head to follow [default: devnet 2, testnet 6, mainnet 12].
    #[arg(
        long,
        alias = "l1_confirmations",
        env = "DRAWBRIDGE_L1_CONFIRMATIONS",
        value_name = "BLOCKS"
    )]
    pub l1_confirmations: Option<u64>,
    /// L2 blocks behind the head to follow [default: devnet 2, testnet 6, mainnet 12].
    #[arg(
        long,
        alias = "l2_confirmations",
        env = "DRAWBRIDGE_L2_CONFIRMATIONS",
        value_name = "BLOCKS"
    )]
    pub l2_confirmations: Option<u64>,
    /// Pause between rounds, e.g. 500ms, 1s [default: 1s].
    #[arg(
        long,
        alias = "poll_interval",
        env = "DRAWBRIDGE_POLL_INTERVAL",
        value_name = "DURATION"
    )]
    pub poll_interval: Option<String>,
    /// Most blocks per eth_getLogs [default: 1000].
    #[arg(
        long,
        alias = "max_log_range",
        env = "DRAWBRIDGE_MAX_LOG_RANGE",
        value_name = "BLOCKS"
    )]
    pub max_log_range: Option<u64>,
    /// Roles to run, comma-separated (deliver, propose, finalize, watchdog) [default: deliver,propose,finalize].
    #[arg(
        long,
        env = "DRAWBRIDGE_ROLES",
        value_delimiter = ',',
        value_name = "ROLES"
    )]
    pub roles: Option<Vec<Role>>,
    /// Most L1 messages per relayMessages [default: 50].
    #[arg(
        long,
        alias = "delivery_batch_size",
        env = "DRAWBRIDGE_DELIVERY_BATCH_SIZE",
        value_name = "N"
    )]
    pub delivery_batch_size: Option<usize>,
    /// Most withdrawals per finalizeWithdrawals [default: 50].
    #[arg(
        long,
        alias = "finalize_batch_size",
        env = "DRAWBRIDGE_FINALIZE_BATCH_SIZE",
        value_name = "N"
    )]
    pub finalize_batch_size: Option<usize>,
    /// Propose an output every this many L2 blocks [default: devnet 5, testnet 100, mainnet 1800].
    #[arg(
        long,
        alias = "output_interval",
        env = "DRAWBRIDGE_OUTPUT_INTERVAL",
        value_name = "BLOCKS"
    )]
    pub output_interval: Option<u64>,
    /// Receipt wait before a transaction is left for the next round [default: 120s].
    #[arg(
        long,
        alias = "tx_timeout",
        env = "DRAWBRIDGE_TX_TIMEOUT",
        value_name = "DURATION"
    )]
    pub tx_timeout: Option<String>,
    /// Encrypted JSON keystore with the relayer's key (password in DRAWBRIDGE_KEYSTORE_PASSWORD).
    #[arg(long, env = "DRAWBRIDGE_KEYSTORE", value_name = "PATH")]
    pub keystore: Option<PathBuf>,
    /// Log format of the binary [default: text].
    #[arg(
        long,
        alias = "log_format",
        env = "DRAWBRIDGE_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<LogFormat>,
    /// This relayer's id in the leases table; distinct per relayer sharing a database [default: the host name].
    #[arg(
        long,
        alias = "relayer_id",
        env = "DRAWBRIDGE_RELAYER_ID",
        value_name = "ID"
    )]
    pub relayer_id: Option<String>,
    /// Role lease duration; a dead relayer's roles move after at most this [default: 15s].
    #[arg(
        long,
        alias = "lease_ttl",
        env = "DRAWBRIDGE_LEASE_TTL",
        value_name = "DURATION"
    )]
    pub lease_ttl: Option<String>,
    /// Address of the HTTP API and /metrics, e.g. 127.0.0.1:9780, or off [default: off].
    #[arg(
        long,
        alias = "api_listen",
        env = "DRAWBRIDGE_API_LISTEN",
        value_name = "ADDR"
    )]
    pub api_listen: Option<String>,
    /// Low-balance alert below this many ETH on L1 [default: 0.1].
    #[arg(
        long,
        alias = "l1_min_balance",
        env = "DRAWBRIDGE_L1_MIN_BALANCE",
        value_name = "ETH"
    )]
    pub l1_min_balance: Option<String>,
    /// Low-balance alert below this many ETH on L2 [default: 0.01].
    #[arg(
        long,
        alias = "l2_min_balance",
        env = "DRAWBRIDGE_L2_MIN_BALANCE",
        value_name = "ETH"
    )]
    pub l2_min_balance: Option<String>,
    /// The L1 SecurityCouncil whose scheduled calls the API lists [default: the deployment's council, if a contract].
    #[arg(
        long,
        alias = "council_address",
        env = "DRAWBRIDGE_COUNCIL_ADDRESS",
        value_name = "ADDRESS"
    )]
    pub council_address: Option<String>,
    /// Longest wait for one JSON-RPC answer [default: 10s].
    #[arg(
        long,
        alias = "rpc_timeout",
        env = "DRAWBRIDGE_RPC_TIMEOUT",
        value_name = "DURATION"
    )]
    pub rpc_timeout: Option<String>,
    /// Longest pause between failed rounds; the backoff doubles up to it [default: 30s].
    #[arg(
        long,
        alias = "max_backoff",
        env = "DRAWBRIDGE_MAX_BACKOFF",
        value_name = "DURATION"
    )]
    pub max_backoff: Option<String>,
    /// Highest maxFeePerGas the relayer signs, in gwei, for first transactions and fee bumps [default: 500].
    #[arg(
        long,
        alias = "max_fee_per_gas",
        env = "DRAWBRIDGE_MAX_FEE_PER_GAS",
        value_name = "GWEI"
    )]
    pub max_fee_per_gas: Option<String>,
    /// How often the watchdog's conservation monitor compares L2 supply with L1 escrow [default: 30s].
    #[arg(
        long,
        alias = "conservation_interval",
        env = "DRAWBRIDGE_CONSERVATION_INTERVAL",
        value_name = "DURATION"
    )]
    pub conservation_interval: Option<String>,
    /// Print the resolved configuration (secrets redacted) and exit.
    #[arg(long, alias = "print_config")]
    pub print_config: bool,
    /// With --print-config: print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A resolved configuration plus the binary-only settings.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The relayer's configuration, validated.
    pub relayer: RelayerConfig,
    /// How the binary logs.
    pub log_format: LogFormat,
}

fn pick<T>(flag_or_env: Option<T>, file: Option<T>) -> Option<T> {
    flag_or_env.or(file)
}

fn duration_setting(name: &'static str, value: Option<String>) -> Result<Option<Duration>> {
    value
        .map(|text| parse_duration(&text).map_err(|reason| Error::config(name, reason)))
        .transpose()
}

impl ConfigArgs {
    /// Reads the config file named by `--config` (if any) and merges flags, environment
    /// (already in `self` through clap) and file, then loads the key and validates everything.
    pub fn resolve(self, secrets: Secrets) -> Result<LoadedConfig> {
        let file = match &self.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        self.resolve_with(file, secrets)
    }

    /// Like [`ConfigArgs::resolve`] with the file's contents given.
    pub fn resolve_with(self, file: FileConfig, secrets: Secrets) -> Result<LoadedConfig> {
        let deployment_path = pick(self.deployment, file.deployment).ok_or_else(|| {
            Error::config(
                "deployment",
                "missing: give --deployment, DRAWBRIDGE_DEPLOYMENT or `deployment =` in the config file",
            )
        })?;
        let deployment = Deployment::load(&deployment_path).map_err(|e| {
            Error::config("deployment", format!("{}: {e}", deployment_path.display()))
        })?;
        let signer = load_signer(pick(self.keystore, file.keystore), secrets)?;
        let mut config = RelayerConfig::new(deployment, signer);
        if let Some(v) = pick(self.database_url, file.database_url) {
            config.database_url = v;
        }
        if let Some(v) = pick(self.l1_rpc_url, file.l1_rpc_url) {
            config.l1_rpc_url = v;
        }
        if let Some(v) = pick(self.l2_rpc_url, file.l2_rpc_url) {
            config.l2_rpc_url = v;
        }
        if let Some(v) = pick(self.l1_confirmations, file.l1_confirmations) {
            config.l1_confirmations = v;
        }
        if let Some(v) = pick(self.l2_confirmations, file.l2_confirmations) {
            config.l2_confirmations = v;
        }
        if let Some(v) = duration_setting(
            "poll_interval",
            pick(self.poll_interval, file.poll_interval),
        )? {
            config.poll_interval = v;
        }
        if let Some(v) = pick(self.max_log_range, file.max_log_range) {
            config.max_log_range = v;
        }
        if let Some(v) = pick(self.roles, file.roles) {
            config.roles = v.into_iter().collect();
        }
        if let Some(v) = pick(self.delivery_batch_size, file.delivery_batch_size) {
            config.delivery_batch_size = v;
        }
        if let Some(v) = pick(self.finalize_batch_size, file.finalize_batch_size) {
            config.finalize_batch_size = v;
        }
        if let Some(v) = pick(self.output_interval, file.output_interval) {
            config.output_interval = v;
        }
        if let Some(v) = duration_setting("tx_timeout", pick(self.tx_timeout, file.tx_timeout))? {
            config.tx_timeout = v;
        }
        if let Some(v) = pick(self.relayer_id, file.relayer_id) {
            config.relayer_id = v;
        }
        if let Some(v) = duration_setting("lease_ttl", pick(self.lease_ttl, file.lease_ttl))? {
            config.lease_ttl = v;
        }
        if let Some(v) = pick(self.api_listen, file.api_listen) {
            config.api_listen = parse_listen(&v)?;
        }
        for (name, value, target) in [
            (
                "l1_min_balance",
                pick(self.l1_min_balance, file.l1_min_balance),
                &mut config.l1_min_balance,
            ),
            (
                "l2_min_balance",
                pick(self.l2_min_balance, file.l2_min_balance),
                &mut config.l2_min_balance,
            ),
        ] {
            if let Some(v) = value {
                *target = parse_ether(&v).map_err(|reason| Error::config(name, reason))?;
            }
        }
        if let Some(v) = pick(self.council_address, file.council_address) {
            let address = v.trim().parse::<Address>().map_err(|e| {
                Error::config("council_address", format!("{v:?} is not an address: {e}"))
            })?;
            config.council_address = Some(address);
        }
        if let Some(v) = duration_setting("rpc_timeout", pick(self.rpc_timeout, file.rpc_timeout))?
        {
            config.rpc_timeout = v;
        }
        if let Some(v) = duration_setting("max_backoff", pick(self.max_backoff, file.max_backoff))?
        {
            config.max_backoff = v;
        }
        if let Some(v) = pick(self.max_fee_per_gas, file.max_fee_per_gas) {
            config.max_fee_per_gas = parse_gwei(&v)?;
        }
        if let Some(v) = duration_setting(
            "conservation_interval",
            pick(self.conservation_interval, file.conservation_interval),
        )? {
            config.conservation_interval = v;
        }
        config.validate()?;
        Ok(LoadedConfig {
            relayer: config,
            log_format: pick(self.log_format, file.log_format).unwrap_or_default(),
        })
    }
}

/// `max_fee_per_gas`: a decimal number of gwei (`500`, `1.5`) in wei.
fn parse_gwei(text: &str) -> Result<u128> {
    let trimmed = text.trim();
    let wei = trimmed
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| alloy::primitives::utils::parse_units(trimmed, "gwei").ok())
        .flatten()
        .and_then(|v| u128::try_from(v.get_absolute()).ok())
        .ok_or_else(|| {
            Error::config(
                "max_fee_per_gas",
                format!("{text:?} is not a number of gwei like 500 or 1.5"),
            )
        })?;
    Ok(wei)
}

/// `api_listen`: a socket address, or `off` / empty for no API.
fn parse_listen(text: &str) -> Result<Option<SocketAddr>> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    text.parse::<SocketAddr>().map(Some).map_err(|e| {
        Error::config(
            "api_listen",
            format!("{text:?} is not an address like 127.0.0.1:9780 (or off): {e}"),
        )
    })
}

/// The signer from exactly one of `DRAWBRIDGE_RELAYER_KEY` and a keystore. Error messages never
/// contain the key or the password.
fn load_signer(keystore: Option<PathBuf>, secrets: Secrets) -> Result<PrivateKeySigner> {
    match (secrets.relayer_key, keystore) {
        (Some(_), Some(_)) => Err(Error::config(
            "keystore",
            format!("both {KEY_ENV} and a keystore are set; choose one"),
        )),
        (Some(key), None) => key.trim().parse::<PrivateKeySigner>().map_err(|_| {
            Error::config(
                "DRAWBRIDGE_RELAYER_KEY",
                "not a valid secp256k1 private key (expected 32 bytes of hex)",
            )
        }),
        (None, Some(path)) => {
            let password = secrets.keystore_password.ok_or_else(|| {
                Error::config("keystore", format!("{KEYSTORE_PASSWORD_ENV} is not set"))
            })?;
            PrivateKeySigner::decrypt_keystore(&path, password).map_err(|e| {
                Error::config(
                    "keystore",
                    format!("cannot decrypt {}: {e}", path.display()),
                )
            })
        }
        (None, None) => Err(Error::config(
            "DRAWBRIDGE_RELAYER_KEY",
            format!("no key: set {KEY_ENV}, or --keystore with {KEYSTORE_PASSWORD_ENV}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn deployment() -> Deployment {
        crate::testing::offline_deployment("http://127.0.0.1:8545", "http://127.0.0.1:9545")
    }

    fn deployment_file(dir: &Path) -> PathBuf {
        let path = dir.join("deployment.json");
        deployment().save(&path).unwrap();
        path
    }

    fn key() -> Secrets {
        Secrets {
            relayer_key: Some(KEY.into()),
            keystore_password: None,
        }
    }

    fn args(extra: &[&str]) -> ConfigArgs {
        let mut argv = vec!["drawbridge-relayer"];
        argv.extend_from_slice(extra);
        ConfigArgs::try_parse_from(argv).unwrap()
    }

    fn setting(err: Error) -> &'static str {
        match err {
            Error::Config { name, .. } => name,
            other => panic!("not a config error: {other}"),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn defaults_follow_the_deployment() {
        let config = RelayerConfig::new(deployment(), KEY.parse().unwrap());
        config.validate().unwrap();
        assert_eq!(config.l1_rpc_url, "http://127.0.0.1:8545");
        assert_eq!(config.l2_rpc_url, "http://127.0.0.1:9545");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.l1_confirmations, 2);
        assert_eq!(config.l2_confirmations, 2);
        assert_eq!(config.output_interval, 5);
        assert_eq!(config.poll_interval, Duration::from_secs(1));
        assert_eq!(config.delivery_batch_size, 50);
        assert_eq!(config.finalize_batch_size, 50);
        assert!(Role::DEFAULT.iter().all(|r| config.has_role(*r)));
        assert!(!config.has_role(Role::Watchdog));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let config = RelayerConfig::new(deployment(), KEY.parse().unwrap());
        let text = format!("{config:?} {:?}", key());
        assert!(!text.contains(&KEY[2..]), "{text}");
        assert!(!text.to_lowercase().contains("59c6995e"), "{text}");
        assert!(text.contains(&format!("{:?}", config.address())));
    }

    #[test]
    fn flags_beat_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = deployment_file(dir.path());
        let file = FileConfig::parse(&format!(
            r#"
            deployment = "{}"
            roles = ["deliver"]
            max_log_range = 10
            poll_interval = "250ms"
            l2_rpc_url = "http://example.invalid:1"
            delivery_batch_size = 7
            "#,
            path.display()
        ))
        .unwrap();
        let loaded = args(&[
            "--max-log-range",
            "20",
            "--roles",
            "propose,finalize",
            "--l1-confirmations",
            "0",
        ])
        .resolve_with(file, key())
        .unwrap();
        let c = loaded.relayer;
        assert_eq!(c.max_log_range, 20);
        assert_eq!(
            c.roles,
            [Role::Propose, Role::Finalize].into_iter().collect()
        );
        assert_eq!(c.poll_interval, Duration::from_millis(250));
        assert_eq!(c.l2_rpc_url, "http://example.invalid:1");
        assert_eq!(c.l1_rpc_url, "http://127.0.0.1:8545");
        assert_eq!(c.l1_confirmations, 0);
        assert_eq!(c.l2_confirmations, 2);
        assert_eq!(c.delivery_batch_size, 7);
        assert_eq!(loaded.log_format, LogFormat::Text);
        assert_eq!(
            c.address(),
            KEY.parse::<PrivateKeySigner>().unwrap().address()
        );
    }

    #[test]
    fn snake_case_flag_aliases_work() {
        let a = args(&["--max_log_range", "3", "--output_interval", "9"]);
        assert_eq!(a.max_log_range, Some(3));
        assert_eq!(a.output_interval, Some(9));
    }

    #[test]
    fn config_file_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        deployment_file(dir.path());
        let config_path = dir.path().join("relayer.toml");
        std::fs::write(
            &config_path,
            "deployment = \"deployment.json\"\noutput_interval = 3\n",
        )
        .unwrap();
        let loaded = args(&["--config", config_path.to_str().unwrap()])
            .resolve(key())
            .unwrap();
        assert_eq!(loaded.relayer.output_interval, 3);
    }

    #[test]
    fn errors_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = deployment_file(dir.path());
        let dep = path.to_str().unwrap();
        let cases: &[(&[&str], &str)] = &[
            (&["--max-log-range", "0"], "max_log_range"),
            (&["--poll-interval", "0ms"], "poll_interval"),
            (&["--poll-interval", "soon"], "poll_interval"),
            (&["--delivery-batch-size", "0"], "delivery_batch_size"),
            (&["--finalize-batch-size", "100000"], "finalize_batch_size"),
            (&["--output-interval", "0"], "output_interval"),
            (&["--l1-rpc-url", "not a url"], "l1_rpc_url"),
            (&["--l2-rpc-url", "ws://127.0.0.1:1"], "l2_rpc_url"),
            (&["--database-url", "postgresql://"], "database_url"),
            (&["--database-url", "relayer.db"], "database_url"),
            (&["--database-url", "mysql://x/y"], "database_url"),
            (&["--tx-timeout", "0s"], "tx_timeout"),
            (&["--lease-ttl", "0s"], "lease_ttl"),
            (&["--lease-ttl", "2h"], "lease_ttl"),
            (&["--rpc-timeout", "1ms"], "rpc_timeout"),
            (&["--max-fee-per-gas", "lots"], "max_fee_per_gas"),
            (&["--max-fee-per-gas", "0"], "max_fee_per_gas"),
            (&["--max-fee-per-gas=-5"], "max_fee_per_gas"),
            (&["--max-fee-per-gas", "200000"], "max_fee_per_gas"),
            (&["--max-backoff", "100ms"], "max_backoff"),
            (&["--conservation-interval", "1ms"], "conservation_interval"),
            (&["--conservation-interval", "2d"], "conservation_interval"),
            (&["--relayer-id", "two words"], "relayer_id"),
            (&["--relayer-id", ""], "relayer_id"),
            (&["--api-listen", "localhost"], "api_listen"),
            (&["--api-listen", "127.0.0.1:99999"], "api_listen"),
            (&["--l1-min-balance", "lots"], "l1_min_balance"),
            (&["--l2-min-balance=-1"], "l2_min_balance"),
            (&["--council-address", "0x1234"], "council_address"),
        ];
        for (flags, name) in cases {
            let mut argv = vec!["--deployment", dep];
            argv.extend_from_slice(flags);
            let err = args(&argv)
                .resolve_with(FileConfig::default(), key())
                .unwrap_err();
            let message = err.to_string();
            assert_eq!(setting(err), *name, "{flags:?}: {message}");
            assert!(message.contains(name), "{message}");
        }
        // Empty roles from the file.
        let file = FileConfig {
            roles: Some(vec![]),
            ..Default::default()
        };
        let err = args(&["--deployment", dep])
            .resolve_with(file, key())
            .unwrap_err();
        assert_eq!(setting(err), "roles");
        // A role that does not exist.
        assert!(ConfigArgs::try_parse_from(["x", "--roles", "deliver,watch"]).is_err());
        assert!(FileConfig::parse("roles = [\"watch\"]").is_err());
        // Unknown keys in the file.
        let err = FileConfig::parse("max_log_rnage = 5").unwrap_err();
        assert_eq!(setting(err), "config");
        // Missing deployment.
        let err = args(&[])
            .resolve_with(FileConfig::default(), key())
            .unwrap_err();
        assert_eq!(setting(err), "deployment");
        // Unreadable deployment.
        let err = args(&["--deployment", "/nonexistent/deployment.json"])
            .resolve_with(FileConfig::default(), key())
            .unwrap_err();
        assert_eq!(setting(err), "deployment");
    }

    #[test]
    fn new_settings_parse_and_postgres_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = deployment_file(dir.path());
        let file = FileConfig::parse(&format!(
            r#"
            deployment = "{}"
            database_url = "postgres://relayer:s3cret@db.internal:5432/drawbridge"
            relayer_id = "relayer-a"
            lease_ttl = "5s"
            api_listen = "127.0.0.1:0"
            l1_min_balance = "0.25"
            council_address = "0x0000000000000000000000000000000000000006"
            rpc_timeout = "3s"
            max_backoff = "10s"
            max_fee_per_gas = "1.5"
            conservation_interval = "5s"
            "#,
            path.display()
        ))
        .unwrap();
        let c = args(&["--l2-min-balance", "2"])
            .resolve_with(file, key())
            .unwrap()
            .relayer;
        assert_eq!(c.relayer_id, "relayer-a");
        assert_eq!(c.lease_ttl, Duration::from_secs(5));
        assert_eq!(c.api_listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(c.l1_min_balance, U256::from(250_000_000_000_000_000u64));
        assert_eq!(c.l2_min_balance, U256::from(2_000_000_000_000_000_000u64));
        assert_eq!(c.council_address, Some(Address::with_last_byte(6)));
        assert_eq!(c.rpc_timeout, Duration::from_secs(3));
        assert_eq!(c.max_fee_per_gas, 1_500_000_000);
        assert_eq!(c.max_backoff, Duration::from_secs(10));
        assert_eq!(c.conservation_interval, Duration::from_secs(5));
        // `off` switches the API off again.
        assert_eq!(parse_listen("off").unwrap(), None);
        // Neither the database password nor the key is ever shown.
        let shown = format!("{c:?} {}", c.printable());
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains(&KEY[2..]), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
        assert!(shown.contains(&c.address().to_string()), "{shown}");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:pw@host:5432/db?sslmode=require&password=x"),
            "postgres://u:***@host:5432/db?***"
        );
        assert_eq!(
            redact_url("https://eth-mainnet.example/v2/APIKEY123"),
            "https://eth-mainnet.example/***"
        );
        assert_eq!(
            redact_url("https://rpc.example/?key=APIKEY123"),
            "https://rpc.example/?***"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8545"),
            "http://127.0.0.1:8545/"
        );
        assert_eq!(
            redact_url("sqlite://relayer.sqlite?mode=rwc"),
            "sqlite://relayer.sqlite?mode=rwc"
        );
        assert_eq!(redact_url("not a url"), "<unparsable URL>");
    }

    #[test]
    fn key_sources() {
        let dir = tempfile::tempdir().unwrap();
        let path = deployment_file(dir.path());
        let dep = path.to_str().unwrap();
        let resolve = |extra: &[&str], secrets: Secrets| {
            let mut argv = vec!["--deployment", dep];
            argv.extend_from_slice(extra);
            args(&argv).resolve_with(FileConfig::default(), secrets)
        };
        // No key at all.
        let err = resolve(&[], Secrets::default()).unwrap_err();
        assert_eq!(setting(err), "DRAWBRIDGE_RELAYER_KEY");
        // A bad key is refused without echoing it.
        let bad = "0xdeadbeefcafe";
        let err = resolve(
            &[],
            Secrets {
                relayer_key: Some(bad.into()),
                keystore_password: None,
            },
        )
        .unwrap_err();
        assert!(!err.to_string().contains("deadbeefcafe"));
        assert_eq!(setting(err), "DRAWBRIDGE_RELAYER_KEY");
        // A keystore round trip.
        let mut rng = rand_core_rng();
        let (signer, name) =
            PrivateKeySigner::new_keystore(dir.path(), &mut rng, "hunter2", None).unwrap();
        let keystore = dir.path().join(name);
        let ks = keystore.to_str().unwrap();
        let loaded = resolve(
            &["--keystore", ks],
            Secrets {
                relayer_key: None,
                keystore_password: Some("hunter2".into()),
            },
        )
        .unwrap();
        assert_eq!(loaded.relayer.address(), signer.address());
        // Wrong password, missing password, both sources.
        let err = resolve(
            &["--keystore", ks],
            Secrets {
                relayer_key: None,
                keystore_password: Some("wrong".into()),
            },
        )
        .unwrap_err();
        assert!(!err.to_string().contains("wrong"));
        assert_eq!(setting(err), "keystore");
        let err = resolve(&["--keystore", ks], Secrets::default()).unwrap_err();
        assert_eq!(setting(err), "keystore");
        let err = resolve(&["--keystore", ks], key()).unwrap_err();
        assert_eq!(setting(err), "keystore");
    }

    fn rand_core_rng() -> impl alloy::signers::k256::elliptic_curve::rand_core::CryptoRngCore {
        alloy::signers::k256::elliptic_curve::rand_core::OsRng
    }
}
