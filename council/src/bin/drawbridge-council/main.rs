//! `drawbridge-council`: key generation and signing ceremonies of the Drawbridge security
//! council, through a coordinator server (`coordinator`, `session`, `member`) or in file mode
//! (every step reads and writes JSON files, for air-gapped members); action builders, calldata
//! and on-chain submission; the shared test vectors.
//!
//! Secret files are encrypted under the passphrase read from `--passphrase-file` or the
//! environment variable `DRAWBRIDGE_COUNCIL_PASSPHRASE`. `--json` prints results as JSON; the
//! decoded action a member is asked to confirm always goes to standard error.
//!
//! This binary only parses arguments and prints results; the work is the library's
//! (`drawbridge_council`). One file per command group:
//!
//! | file | commands |
//! |---|---|
//! | `keys.rs` | `vectors`, `identity`, `address-book`, `dealer` |
//! | `dkg.rs` | `dkg-part1`, `dkg-part2`, `dkg-part3`, `export-key` (file mode) |
//! | `sign.rs` | `sign-request`, `sign-commit`, `sign-package`, `sign-share`, `aggregate` (file mode) |
//! | `action.rs` | `action pause` ... `action show` |
//! | `coordinator.rs` | `coordinator` |
//! | `session.rs` | `session create-dkg` ... `session wait` |
//! | `member.rs` | `member dkg`, `member sign` |
//! | `chain.rs` | `calldata`, `submit`, `execute` |
//! | `common.rs` | flags every group shares, printing, asking, logging |

mod action;
mod chain;
mod common;
mod coordinator;
mod dkg;
mod keys;
mod member;
mod session;
mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use drawbridge_council::Result;
use drawbridge_council::config::{CoordinatorArgs, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "drawbridge-council",
    version,
    about = "Drawbridge security council: FROST(secp256k1, Keccak256) key generation and signing \
             through a coordinator or files"
)]
struct Cli {
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Keys(keys::KeysCommand),
    #[command(flatten)]
    Dkg(dkg::DkgCommand),
    #[command(flatten)]
    Sign(sign::SignCommand),
    /// Build an action file (what the members sign), or show one.
    #[command(subcommand)]
    Action(action::ActionCommand),
    /// Run the coordinator server.
    Coordinator(CoordinatorArgs),
    /// Create and inspect coordinator sessions.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// A member's part of a coordinator ceremony.
    #[command(subcommand)]
    Member(member::MemberCommand),
    #[command(flatten)]
    Chain(chain::ChainCommand),
}

async fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Keys(cmd) => cmd.run(json),
        Command::Dkg(cmd) => cmd.run(json),
        Command::Sign(cmd) => cmd.run(json),
        Command::Action(cmd) => cmd.run(json).await,
        Command::Coordinator(args) => coordinator::run(args, json).await,
        Command::Session(cmd) => cmd.run(json).await,
        Command::Member(cmd) => cmd.run(json).await,
        Command::Chain(cmd) => cmd.run(json).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli: Cli = drawbridge_service::output::parse_args();
    let json = cli.json;
    if !matches!(cli.command, Command::Coordinator(_)) {
        common::init_logging(LogFormat::Text, "warn");
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => drawbridge_service::output::report_error(&e.to_string(), None, json),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flattened_groups_keep_the_flat_command_names() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.command);
        assert!(matches!(
            parse(&["c", "vectors"]),
            Ok(Command::Keys(keys::KeysCommand::Vectors { .. }))
        ));
        assert!(matches!(
            parse(&["c", "export-key", "--public", "p.json"]),
            Ok(Command::Dkg(dkg::DkgCommand::ExportKey { .. }))
        ));
        assert!(matches!(
            parse(&[
                "c",
                "sign-package",
                "--book",
                "b",
                "--request",
                "r",
                "--commitment-dir",
                "d",
                "--out",
                "o"
            ]),
            Ok(Command::Sign(sign::SignCommand::SignPackage { .. }))
        ));
        assert!(matches!(
            parse(&["c", "calldata", "--signed", "s.json"]),
            Ok(Command::Chain(chain::ChainCommand::Calldata(_)))
        ));
        // --signed excludes a coordinator session, as before.
        assert!(parse(&["c", "calldata", "--signed", "s", "--session", "x"]).is_err());
    }
}
