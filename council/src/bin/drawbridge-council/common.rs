//! What every command group shares: the passphrase and confirmation flags, the coordinator URL,
//! printing a result (`--json` or text), asking a member, and logging.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;
use drawbridge_council::files::Secrets;
use drawbridge_council::keystore;
use drawbridge_council::{CouncilError, Result};
use serde::Serialize;

#[derive(Args, Clone, Debug)]
pub struct Pass {
    /// File holding the passphrase (first line); default: $DRAWBRIDGE_COUNCIL_PASSPHRASE.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

impl Pass {
    /// The passphrase (see [`keystore::read_passphrase`]).
    pub fn get(&self) -> Result<String> {
        keystore::read_passphrase(self.passphrase_file.as_deref())
    }
}

/// The secret files under `passphrase`, new ones with the default Argon2id parameters.
pub fn secrets(passphrase: &str) -> Secrets<'_> {
    Secrets::new(passphrase)
}

#[derive(Args, Clone, Debug)]
pub struct Confirm {
    /// Sign without asking (scripts); the decoded action is still printed to standard error.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Clone, Debug)]
pub struct CoordinatorUrl {
    /// Coordinator URL, e.g. http://127.0.0.1:8717.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_COORDINATOR")]
    pub coordinator: String,
}

/// Prints `value` as JSON with `--json`, else `text`.
pub fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<()> {
    let s = if json {
        serde_json::to_string_pretty(value)?
    } else {
        text()
    };
    drawbridge_service::output::print_stdout(s.trim_end()).map_err(CouncilError::io("stdout"))
}

/// Prints `wrote <path>` (or `{"out": path}` with `--json`).
pub fn emit_wrote(json: bool, out: &std::path::Path) -> Result<()> {
    emit(json, &serde_json::json!({ "out": out }), || {
        format!("wrote {}", out.display())
    })
}

/// Shows `text` on standard error and asks; `--yes` confirms without asking.
pub fn ask(text: &str, question: &str, yes: bool) -> Result<bool> {
    eprint!("{text}");
    if yes {
        eprintln!("{question} yes (--yes)");
        return Ok(true);
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(CouncilError::io("stdin"))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

pub use drawbridge_service::init_logging;
