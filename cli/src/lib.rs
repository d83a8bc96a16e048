//! The Drawbridge user CLI, as a library; the `drawbridge` binary is a thin wrapper around [`run`].
//!
//! Commands (see [`args::Command`]):
//! - `deposit --token eth|<L1 token> --amount <decimal> [--to <L2 address>]`: ETH through
//!   `L1Bridge.depositETH`; an ERC-20 through `depositERC20`, approving the bridge first only when
//!   the allowance does not cover the amount. Prints the message nonce and what happens next.
//! - `withdraw --token eth|<L1 token> --amount <decimal> [--to <L1 address>]`: burns the bridged
//!   token on L2 through `L2Bridge.withdraw` and prints the withdrawal nonce.
//! - `finalize --nonce <n> [--output <index>]`: needs no relayer. Rebuilds the withdrawal tree from
//!   the L2 bridge's `WithdrawalInitiated` events (from the deployment's L2 deploy block, in bounded
//!   block ranges), picks the newest final output covering the withdrawal (or the one given),
//!   checks that the tree of the withdrawals up to the output's L2 block has the output's
//!   `withdrawalRoot`, builds the short proof (docs/design.md, "Proofs are short") and calls
//!   `L1Bridge.finalizeWithdrawal`.
//! - `status [--address <a> | --deposit <nonce> | --withdrawal <nonce>]` and `balance`: where
//!   each message is, what it waits for, and the seconds left where a clock decides.
//!
//! Inputs are checked before anything is sent; contract reverts are decoded into the custom
//! error's name and arguments (`AlreadyFinalized(nonce: 3)`). Keys come from
//! `DRAWBRIDGE_PRIVATE_KEY` or an encrypted keystore and never appear in output or errors.
//! Every transaction's hash is shown on standard error the moment it is sent; interrupted
//! (Ctrl-C), the binary says which transactions were sent and which landed.

//!
//! This crate owns the command line ([`args`]), the commands ([`commands`]), their errors
//! ([`CliError`]) and the rendering of their results for people and `--json` ([`report`]).
//! Connections, reads, event scans, keys, amounts, tokens and the status of each message come
//! from `drawbridge_client`; it must not grow its own copies of them, and other tools must not
//! build on it (they use `drawbridge_client`).

pub mod args;
pub mod commands;
mod error;
pub mod report;

pub use args::{Cli, Command};
pub use drawbridge_client::{Context, Layer, TokenArg, TxLog, load_deployment};
pub use error::CliError;
pub use report::Report;

/// Runs one command line to its report; every transaction it sends is recorded in `txs` the
/// moment a node accepts it (the binary shows them, and says what landed when interrupted).
pub async fn run(cli: &Cli, txs: TxLog) -> Result<Report, CliError> {
    let ctx = cli
        .chains
        .context()?
        .with_sending(txs, std::time::Duration::from_secs(cli.timeout));
    let keys = &cli.keys;
    Ok(match &cli.command {
        Command::Deposit(a) => Report::Deposit(commands::deposit(&ctx, keys, a).await?),
        Command::Withdraw(a) => Report::Withdraw(commands::withdraw(&ctx, keys, a).await?),
        Command::Finalize(a) => Report::Finalize(commands::finalize(&ctx, keys, a).await?),
        Command::Status(a) => commands::status(&ctx, keys, a).await?,
        Command::Balance(a) => Report::Balance(commands::balance(&ctx, keys, a).await?),
    })
}
