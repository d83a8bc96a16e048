//! What every binary does the same way at its edges: parse the command line (usage errors exit 2,
//! as JSON on standard output under `--json`), print a result on standard output without
//! panicking when the reader has gone (`| head -1`), and report an error once.

use std::io::Write;
use std::process::ExitCode;

/// Exit status of a usage error (a bad flag or value), as clap and Foundry's `cast` use it.
pub const USAGE_EXIT: u8 = 2;

/// Exit status after an interruption by SIGINT (128 + 2), as shells report it.
pub const INTERRUPTED_EXIT: u8 = 130;

/// Whether the command line asks for JSON output: `--json` anywhere before a `--`.
pub fn wants_json(args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>) -> bool {
    args.into_iter()
        .map(|a| a.as_ref().to_owned())
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// The version every binary shows: the workspace version and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DRAWBRIDGE_GIT_COMMIT"),
    ")"
);

/// Parses the process's arguments into `C`. Every binary also answers `--completions <SHELL>`
/// (a completion script for bash, zsh, fish, elvish or powershell) and `--man` (a man page), and
/// `--version` shows [`VERSION`]. `--help` and `--version` print and exit 0; any other error is a
/// usage error: its text goes to standard error (no colour unless a terminal), under `--json`
/// also `{"error": ..., "kind": "usage"}` to standard output, and the process exits 2.
pub fn parse_args<C: clap::Parser>() -> C {
    let json = wants_json(std::env::args_os());
    let command = with_generators(C::command());
    let matches = match command.clone().try_get_matches() {
        Ok(m) => m,
        Err(error) => exit_on_usage_error(&error, json),
    };
    if let Some(shell) = matches.get_one::<clap_complete::Shell>("completions") {
        let mut command = command;
        let name = command.get_name().to_string();
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut command, name, &mut script);
        let _ = print_stdout(String::from_utf8_lossy(&script).trim_end());
        std::process::exit(0);
    }
    if matches.get_flag("man") {
        let mut page = Vec::new();
        if clap_mangen::Man::new(command).render(&mut page).is_ok() {
            let _ = print_stdout(String::from_utf8_lossy(&page).trim_end());
        }
        std::process::exit(0);
    }
    match C::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => exit_on_usage_error(&error.with_cmd(&C::command()), json),
    }
}

/// `command` with the version and the `--completions` and `--man` flags every binary has (a
/// subcommand is then not required when one of them is given).
fn with_generators(command: clap::Command) -> clap::Command {
    use clap::{Arg, ArgAction};
    let needs_subcommand = command.is_subcommand_required_set();
    let command = command
        .version(VERSION)
        .arg(
            Arg::new("completions")
                .long("completions")
                .value_name("SHELL")
                .value_parser(clap::value_parser!(clap_complete::Shell))
                .help("Print a shell completion script (bash, zsh, fish, elvish, powershell)")
                .exclusive(true),
        )
        .arg(
            Arg::new("man")
                .long("man")
                .action(ArgAction::SetTrue)
                .help("Print the man page")
                .exclusive(true),
        );
    if needs_subcommand {
        // Still refused without one, by `from_arg_matches`, unless a generator was asked for.
        command
            .subcommand_required(false)
            .arg_required_else_help(false)
    } else {
        command
    }
}

fn exit_on_usage_error(error: &clap::Error, json: bool) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        // clap writes help and version to standard output (a closed pipe is not an error).
        let _ = error.print();
        std::process::exit(0);
    }
    // The first line without clap's "error: " prefix, for the JSON body.
    let plain = error.render().to_string();
    let message = plain
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    if json {
        let body = serde_json::json!({ "error": message, "kind": "usage" });
        let _ = print_stdout(&body.to_string());
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let _ = error.print();
    } else {
        eprintln!("{}", plain.trim_end());
    }
    std::process::exit(i32::from(USAGE_EXIT));
}

/// Writes `text` and a newline to standard output. A reader that has gone away (a closed pipe)
/// is not an error: the output is simply not wanted any more.
pub fn print_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints a command's result: pretty JSON under `json`, else its text, on standard output
/// (see [`print_stdout`]).
pub fn print_report<R: serde::Serialize + std::fmt::Display>(
    report: &R,
    json: bool,
) -> std::io::Result<()> {
    if json {
        let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
        print_stdout(&text)
    } else {
        print_stdout(&report.to_string())
    }
}

/// Reports a failed command once: `error: <message>` on standard error and, under `json`,
/// `{"error": <message>, ...details}` on standard output. Returns exit status 1.
pub fn report_error(message: &str, details: Option<serde_json::Value>, json: bool) -> ExitCode {
    if json {
        let mut body = serde_json::json!({ "error": message });
        if let (Some(body), Some(serde_json::Value::Object(extra))) =
            (body.as_object_mut(), details)
        {
            body.extend(extra);
        }
        let _ = print_stdout(&body.to_string());
    }
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_for_anywhere_before_a_double_dash() {
        assert!(wants_json(["drawbridge", "--json", "status"]));
        assert!(wants_json(["drawbridge", "status", "--json"]));
        assert!(!wants_json(["drawbridge", "status"]));
        assert!(!wants_json(["drawbridge", "--", "--json"]));
        assert!(!wants_json(["drawbridge", "--jsonx"]));
    }
}

/// A sent transaction as [`TxProgress`] shows it.
pub trait ShownTx {
    /// What it does (`depositETH`).
    fn what(&self) -> String;
    /// The chain it went to (`L1`).
    fn chain(&self) -> String;
    /// Its hash.
    fn hash(&self) -> String;
    /// `None` while no receipt is known; then whether it succeeded and its block.
    fn landed(&self) -> Option<(bool, Option<u64>)>;
}

/// Shows a person the transactions a command sends, on standard error: the hash the moment it
/// is sent, a spinner while its receipt is awaited (only when standard error is a terminal), then
/// where it landed. Clones share the spinner.
#[derive(Clone, Default)]
pub struct TxProgress {
    spinner: std::sync::Arc<std::sync::Mutex<Option<indicatif::ProgressBar>>>,
}

impl TxProgress {
    /// Shows `tx`'s latest step.
    pub fn show(&self, tx: &dyn ShownTx) {
        let (what, chain, hash) = (tx.what(), tx.chain(), tx.hash());
        let mut current = self.spinner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = current.take() {
            bar.finish_and_clear();
        }
        match tx.landed() {
            None => {
                eprintln!("sent {what} on {chain}: {hash}");
                let bar = indicatif::ProgressBar::new_spinner()
                    .with_message(format!("waiting for {what} to be mined on {chain}"));
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                *current = Some(bar);
            }
            Some((success, block)) => {
                let verdict = if success { "mined" } else { "failed" };
                let block = block.map_or_else(String::new, |b| format!(" in block {b}"));
                eprintln!("{what} {verdict}{block}: {hash}");
            }
        }
    }
}
