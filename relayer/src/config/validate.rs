//! The checks every configuration passes before the relayer starts; each error names the setting.

use std::time::Duration;

use crate::error::{Error, Result};

use super::parse::redact_url;
use super::{GWEI, RelayerConfig};

impl RelayerConfig {
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
