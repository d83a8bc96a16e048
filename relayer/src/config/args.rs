//! Command-line flags and environment variables, merged over the file and the defaults into a
//! validated [`RelayerConfig`], and the secrets (key, keystore password) read from the environment.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use clap::Parser;

use super::parse::{parse_duration, parse_ether, parse_gwei, parse_listen};
use super::{FileConfig, KEY_ENV, KEYSTORE_PASSWORD_ENV, LogFormat, RelayerConfig, Role};
use crate::error::{Error, Result};
use alloy::primitives::Address;
use drawbridge_deployment::Deployment;

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
