//! Parsers of setting values shared by the file and the flags (durations, ether and gwei amounts,
//! listen addresses) and the helpers that derive or print settings (relayer id, redacted URLs).

use std::net::SocketAddr;
use std::time::Duration;

use alloy::primitives::U256;

use crate::error::{Error, Result};

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

/// `max_fee_per_gas`: a decimal number of gwei (`500`, `1.5`) in wei.
pub(super) fn parse_gwei(text: &str) -> Result<u128> {
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
pub(super) fn parse_listen(text: &str) -> Result<Option<SocketAddr>> {
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
