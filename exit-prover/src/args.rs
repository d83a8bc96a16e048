//! The command line (clap derive). Every flag also reads the environment variable of the same name
//! (`--l2-rpc-url` is `DRAWBRIDGE_L2_RPC_URL`); a flag beats the environment.

use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand};
use drawbridge_client::TokenArg;
use drawbridge_client::token::{address_value_parser, token_value_parser};

/// Drawbridge exit prover: leave the bridge without anybody's cooperation.
///
/// If the sequencer censors you: `force` a withdrawal through L1, watch its deadline with
/// `status`, `freeze` the bridge once it is overdue, then `prove` your L2 balance against the
/// escape root and `escape` with it on L1; `reclaim` refunds deposits L2 never processed. `kit`
/// keeps fresh proofs in a SQLite file so that `escape --kit` works after the L2 node is gone.
///
/// Keys: commands that send a transaction (force, freeze, escape, reclaim) read the key from
/// DRAWBRIDGE_PRIVATE_KEY, or from --keystore with the password from
/// DRAWBRIDGE_KEYSTORE_PASSWORD (or a prompt on a terminal).
#[derive(Debug, Parser)]
#[command(name = "drawbridge-exit-prover", version, about, long_about)]
pub struct Cli {
    /// Deployment and nodes (`--l2-rpc-url`: any L2 node serves proofs).
    #[command(flatten)]
    pub chains: drawbridge_client::ChainArgs,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The signing key.
    #[command(flatten)]
    pub keys: drawbridge_client::KeySource,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Request a forced withdrawal of your L2 balance through L1 (the L1 sender is the L2 account).
    Force(ForceArgs),
    /// The freeze clock: countdown to a forced withdrawal's freeze time, whether freezing is
    /// possible, the escape output.
    Status(StatusArgs),
    /// Freeze the bridge on an overdue forced withdrawal (anyone may).
    Freeze(FreezeArgs),
    /// Build and check the escape proof of an account's L2 balance (JSON).
    Prove(ProveArgs),
    /// Get your L2 balance paid on L1 against the escape root (sent with the account's own key).
    Escape(EscapeArgs),
    /// Refund a deposit the escape output never processed to its L1 sender (anyone may send it).
    Reclaim(ReclaimArgs),
    /// Keep an escape kit: fresh checked proofs for listed accounts at every new final output.
    Kit(KitArgs),
}

/// Arguments of `force`.
#[derive(Debug, Args)]
pub struct ForceArgs {
    /// `eth` or the L1 address of an ERC-20.
    #[arg(long, value_parser = token_value_parser, value_name = "eth|ADDRESS")]
    pub token: TokenArg,
    /// Amount in token units, e.g. 1.5.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true, value_parser = drawbridge_client::token::amount_value_parser)]
    pub amount: drawbridge_client::amount::AmountArg,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One forced withdrawal by its L1 message nonce.
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub nonce: Option<u64>,
    /// Every forced withdrawal of this account (default: the key's address when a key is set).
    #[arg(long = "address", value_parser = address_value_parser, value_name = "ADDRESS")]
    pub account: Option<Address>,
}

/// Arguments of `freeze`.
#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// The overdue forced withdrawal's L1 message nonce.
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub nonce: u64,
}

/// Arguments of `prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The L2 account.
    #[arg(long = "address", value_parser = address_value_parser, value_name = "ADDRESS")]
    pub account: Address,
    /// `eth` or the L1 address of an ERC-20.
    #[arg(long, value_parser = token_value_parser, value_name = "eth|ADDRESS")]
    pub token: TokenArg,
    /// Prove against this final output instead of the escape output (works before a freeze).
    #[arg(long, value_name = "INDEX")]
    pub output: Option<u64>,
    /// Write the proof (JSON) to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `escape`.
#[derive(Debug, Args)]
pub struct EscapeArgs {
    /// The account to pay (its L2 balance at the escape output); the key must be this account's:
    /// only its owner claims its L2 funds on L1 (an L2 contract account cannot escape).
    #[arg(long = "address", value_parser = address_value_parser, value_name = "ADDRESS")]
    pub account: Address,
    /// `eth` or the L1 address of an ERC-20.
    #[arg(long, value_parser = token_value_parser, value_name = "eth|ADDRESS")]
    pub token: TokenArg,
    /// A proof written by `prove --out` (no L2 node needed).
    #[arg(long, value_name = "FILE", conflicts_with = "kit")]
    pub proof: Option<PathBuf>,
    /// An escape kit kept by `kit` (no L2 node needed).
    #[arg(long, value_name = "DB")]
    pub kit: Option<PathBuf>,
}

/// Arguments of `reclaim`.
#[derive(Debug, Args)]
pub struct ReclaimArgs {
    /// The deposit's L1 message nonce.
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub nonce: u64,
}

/// Arguments of `kit`: watch mode, or `kit export`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct KitArgs {
    /// `export`; without it, watch.
    #[command(subcommand)]
    pub action: Option<KitAction>,
    /// Watch mode's settings.
    #[command(flatten)]
    pub watch: KitWatchArgs,
}

/// `kit` watch mode.
#[derive(Debug, Args)]
pub struct KitWatchArgs {
    /// Accounts to keep proofs for, comma-separated.
    #[arg(long, env = "DRAWBRIDGE_KIT_ACCOUNTS", value_delimiter = ',', value_parser = address_value_parser, value_name = "A,B")]
    pub accounts: Vec<Address>,
    /// Tokens to keep proofs for, comma-separated (`eth` or L1 addresses).
    #[arg(long, env = "DRAWBRIDGE_KIT_TOKENS", value_delimiter = ',', value_parser = token_value_parser, value_name = "T,..")]
    pub tokens: Vec<TokenArg>,
    /// The kit's SQLite file (created when missing).
    #[arg(long, env = "DRAWBRIDGE_KIT_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Pause between two looks at L1 (`500ms`, `5s`, `1m`).
    #[arg(long, env = "DRAWBRIDGE_KIT_INTERVAL", default_value = "5s", value_parser = parse_interval, value_name = "DURATION")]
    pub interval: Duration,
    /// Keep the rows of this many newest outputs.
    #[arg(long, env = "DRAWBRIDGE_KIT_KEEP", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub keep: u64,
    /// One round, then exit (for cron jobs and tests).
    #[arg(long)]
    pub once: bool,
}

/// `kit` subcommands.
#[derive(Debug, Subcommand)]
pub enum KitAction {
    /// Print (or write) stored proofs without any L2 node.
    Export(KitExportArgs),
}

/// `kit export`.
#[derive(Debug, Args)]
pub struct KitExportArgs {
    /// The kit's SQLite file.
    #[arg(long, env = "DRAWBRIDGE_KIT_DB", value_name = "FILE")]
    pub db: PathBuf,
    /// Only this account.
    #[arg(long = "address", value_parser = address_value_parser, value_name = "ADDRESS")]
    pub account: Option<Address>,
    /// Only this token.
    #[arg(long, value_parser = token_value_parser, value_name = "eth|ADDRESS")]
    pub token: Option<TokenArg>,
    /// Only this output (default: every stored output, newest first).
    #[arg(long, value_name = "INDEX")]
    pub output: Option<u64>,
    /// With --address and --token: write the newest proof (or the --output one) as a proof file
    /// for `escape --proof`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Parses `500ms`, `5s`, `2m`, `1h` or a bare number of seconds; 100 ms to 1 h, so that the
/// watch never polls in a tight loop.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 5s, 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
            ));
        }
    };
    if d < Duration::from_millis(100) || d > Duration::from_secs(3600) {
        return Err(format!("{text:?} is outside 100ms..=1h"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn escape_sources_are_exclusive() {
        let escape = |sources: &[&str]| {
            let mut args = vec![
                "x",
                "escape",
                "--address",
                "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                "--token",
                "eth",
            ];
            args.extend_from_slice(sources);
            Cli::try_parse_from(args)
        };
        assert!(escape(&["--proof", "p.json", "--kit", "k.sqlite"]).is_err());
        assert!(escape(&["--kit", "k"]).is_ok());
    }

    #[test]
    fn kit_watch_and_export_parse() {
        let cli = Cli::try_parse_from([
            "x",
            "kit",
            "--accounts",
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8,0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "--tokens",
            "eth,0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "--db",
            "kit.sqlite",
            "--interval",
            "500ms",
        ])
        .unwrap();
        match cli.command {
            Command::Kit(k) => {
                assert!(k.action.is_none());
                assert_eq!(k.watch.accounts.len(), 2);
                assert_eq!(k.watch.tokens[0], TokenArg::Eth);
                assert_eq!(k.watch.interval, Duration::from_millis(500));
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["x", "kit", "export", "--db", "kit.sqlite"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Kit(KitArgs {
                action: Some(KitAction::Export(_)),
                ..
            })
        ));
    }

    #[test]
    fn bad_inputs_fail_at_parse_time() {
        assert!(parse_interval("0s").is_err(), "a tight loop is refused");
        assert!(parse_interval("10ms").is_err());
        assert!(parse_interval("2d").is_err());
        assert_eq!(parse_interval("2m").unwrap(), Duration::from_secs(120));
        let err = Cli::try_parse_from(["x", "prove", "--address", "0x12", "--token", "eth"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("malformed address"), "{err}");
        let err = Cli::try_parse_from(["x", "force", "--token", "btc", "--amount", "1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid token"), "{err}");
    }
}
