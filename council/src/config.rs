//! Configuration of the coordinator: a TOML file, environment variables and flags with the same
//! names (like the relayer's).
//!
//! Every setting `name` is `name = ...` in the file (`--config`), `--name` (dashes for
//! underscores) on the command line and `DRAWBRIDGE_COUNCIL_NAME` in the environment. A flag
//! beats the environment, which beats the file, which beats the default. The submission key is
//! never a setting: it comes from `DRAWBRIDGE_PRIVATE_KEY` or from the encrypted `keystore` with
//! its password in `DRAWBRIDGE_KEYSTORE_PASSWORD` ([`crate::chain::load_signer`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::error::{CouncilError, Result};

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8717";
/// Default database: a SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://council-coordinator.sqlite?mode=rwc";

/// Log output format (the one setting every service shares).
pub use drawbridge_service::LogFormat;

/// Flags of `drawbridge-council coordinator`; each also reads `DRAWBRIDGE_COUNCIL_<NAME>`.
#[derive(Debug, Clone, Default, Args)]
pub struct CoordinatorArgs {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8717].
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// sqlx database URL [default: sqlite://council-coordinator.sqlite?mode=rwc].
    #[arg(
        long,
        visible_alias = "db",
        env = "DRAWBRIDGE_COUNCIL_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// The council's address book (JSON, from `address-book`).
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_ADDRESS_BOOK", value_name = "PATH")]
    pub address_book: Option<PathBuf>,
    /// JSON-RPC endpoint: submit every signed action to the council there.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_RPC_URL", value_name = "URL")]
    pub rpc_url: Option<String>,
    /// Encrypted keystore of the submission key (else DRAWBRIDGE_PRIVATE_KEY).
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_KEYSTORE", value_name = "PATH")]
    pub keystore: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// The configuration file. Every key is optional; unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address.
    pub listen: Option<String>,
    /// sqlx database URL.
    pub database_url: Option<String>,
    /// Address book path (relative to the file).
    pub address_book: Option<PathBuf>,
    /// JSON-RPC endpoint for submissions.
    pub rpc_url: Option<String>,
    /// Keystore path (relative to the file).
    pub keystore: Option<PathBuf>,
    /// Log format.
    pub log_format: Option<LogFormat>,
}

impl FileConfig {
    /// Reads a file; relative paths in it are made relative to its folder.
    pub fn load(path: &Path) -> Result<Self> {
        drawbridge_service::load_toml(path, |f: &mut Self| {
            vec![&mut f.address_book, &mut f.keystore]
        })
        .map_err(CouncilError::Parameters)
    }
}

/// The resolved, validated coordinator configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorSettings {
    /// Listen address.
    pub listen: SocketAddr,
    /// sqlx database URL.
    pub database_url: String,
    /// Address book path.
    pub address_book: PathBuf,
    /// Submission endpoint, if any.
    pub rpc_url: Option<String>,
    /// Submission keystore, if any.
    pub keystore: Option<PathBuf>,
    /// Log format.
    pub log_format: LogFormat,
}

fn setting(name: &str, reason: impl std::fmt::Display) -> CouncilError {
    CouncilError::Parameters(format!("{name}: {reason}"))
}

impl CoordinatorArgs {
    /// Flags and environment over the file over the defaults; the error names the setting.
    pub fn resolve(&self) -> Result<CoordinatorSettings> {
        let file = match &self.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let listen = self
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen
            .parse()
            .map_err(|e| setting("listen", format!("{listen:?}: {e}")))?;
        let database_url = self
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(setting(
                "database_url",
                format!("{database_url:?} is not a sqlite: or postgres: URL"),
            ));
        }
        let address_book = self
            .address_book
            .clone()
            .or(file.address_book)
            .ok_or_else(|| setting("address_book", "required (the council's address book)"))?;
        let rpc_url = self.rpc_url.clone().or(file.rpc_url);
        if let Some(u) = &rpc_url {
            let parsed =
                url::Url::parse(u).map_err(|e| setting("rpc_url", format!("{u:?}: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(setting("rpc_url", format!("{u:?}: use http(s)://")));
            }
        }
        let keystore = self.keystore.clone().or(file.keystore);
        if keystore.is_some() && rpc_url.is_none() {
            return Err(setting(
                "keystore",
                "given without rpc_url: nothing to submit",
            ));
        }
        Ok(CoordinatorSettings {
            listen,
            database_url,
            address_book,
            rpc_url,
            keystore,
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\naddress_book = \"book.json\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let args = CoordinatorArgs {
            config: Some(path.clone()),
            ..Default::default()
        };
        let s = args.resolve().unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.address_book, dir.path().join("book.json"));
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.log_format, LogFormat::Json);
        let args = CoordinatorArgs {
            config: Some(path),
            listen: Some("0.0.0.0:1".into()),
            ..Default::default()
        };
        assert_eq!(args.resolve().unwrap().listen.port(), 1);
    }

    #[test]
    fn bad_settings_are_named() {
        let err = |a: CoordinatorArgs| a.resolve().unwrap_err().to_string();
        let base = CoordinatorArgs {
            address_book: Some("b.json".into()),
            ..Default::default()
        };
        assert!(err(CoordinatorArgs::default()).starts_with("invalid parameters: address_book"));
        assert!(
            err(CoordinatorArgs {
                listen: Some("nope".into()),
                ..base.clone()
            })
            .contains("listen")
        );
        assert!(
            err(CoordinatorArgs {
                database_url: Some("mysql://x".into()),
                ..base.clone()
            })
            .contains("database_url")
        );
        assert!(
            err(CoordinatorArgs {
                keystore: Some("k".into()),
                ..base.clone()
            })
            .contains("keystore")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(
            err(CoordinatorArgs {
                config: Some(path),
                ..base
            })
            .contains("unknown field")
        );
    }
}
