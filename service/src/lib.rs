//! Process plumbing shared by Drawbridge's binaries: the command line's edges ([`output`]: usage
//! errors exit 2 and are JSON under `--json`, results survive a closed pipe, errors are said once),
//! HTTP serving with bounds on what one client can hold ([`http`]),
//! the log format setting, logging set-up on standard error, and the future that resolves on SIGINT
//! or SIGTERM for a graceful stop.
//!
//! It must not hold protocol or chain logic: only what every process needs the same way.

pub mod http;
pub mod output;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// Log output format of a binary (`--log-format`, `log_format` in a config file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Logs to standard error in `format`, filtered by `RUST_LOG` (else `default_filter`, e.g.
/// `"info"`), with colours only when standard error is a terminal. A second call does nothing.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM with the signal's name (`"SIGINT"` or
/// `"SIGTERM"`, for the caller to log under its own target). A signal that cannot be listened
/// for is logged and never fires (the other still does).
pub async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "SIGINT",
        () = terminate => "SIGTERM",
    }
}

/// Reads the TOML configuration file at `path` into `T`; `relative_paths` picks the path fields
/// that are made relative to the file's folder (so a config file works from any working
/// directory). The error is `"<path>: <reason>"`, for the caller's own error type.
pub fn load_toml<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    relative_paths: impl FnOnce(&mut T) -> Vec<&mut Option<std::path::PathBuf>>,
) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut value: T = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    for field in relative_paths(&mut value) {
        if let Some(p) = field.as_mut().filter(|p| p.is_relative()) {
            *p = base.join(&*p);
        }
    }
    Ok(value)
}
