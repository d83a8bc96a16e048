//! The command line (clap derive).

use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand};

use drawbridge_client::TokenArg;
use drawbridge_client::token::{address_value_parser, token_value_parser};

/// Drawbridge user CLI: move ETH and ERC-20 tokens between L1 and L2, finalize your own
/// withdrawals without a relayer, and follow every message.
///
/// Keys: commands that send a transaction read the key from DRAWBRIDGE_PRIVATE_KEY, or from
/// --keystore <file> with the password from DRAWBRIDGE_KEYSTORE_PASSWORD (or a prompt on a
/// terminal). Commands that only read need no key.
// The doc comment is clap's `--help` text, so `<file>` stays as users read it there.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Parser)]
#[command(name = "drawbridge", version, about, long_about)]
pub struct Cli {
    /// Deployment and nodes.
    #[command(flatten)]
    pub chains: drawbridge_client::ChainArgs,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The signing key.
    #[command(flatten)]
    pub keys: drawbridge_client::KeySource,
    /// Seconds to wait for each transaction to be mined before giving up (it may still land).
    #[arg(
        long,
        global = true,
        env = "DRAWBRIDGE_TIMEOUT",
        default_value_t = drawbridge_client::chain::RECEIPT_TIMEOUT.as_secs(),
        value_name = "SECONDS"
    )]
    pub timeout: u64,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deposit ETH or an ERC-20 on L1 for an L2 account (approves the bridge first if needed).
    Deposit(DepositArgs),
    /// Withdraw (burn) bridged ETH or an ERC-20 on L2, to be paid on L1 once an output is final.
    Withdraw(TransferArgs),
    /// Finalize a withdrawal on L1 yourself: rebuilds the withdrawal tree from L2 events, proves
    /// the withdrawal against a final output and gets it paid. Needs no relayer.
    Finalize(FinalizeArgs),
    /// Where an address's deposits and withdrawals are, or one deposit or withdrawal.
    Status(StatusArgs),
    /// Balances of an address on both chains, for ETH and every known token.
    Balance(BalanceArgs),
}

/// Arguments of `deposit` and `withdraw`.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// `eth` or the L1 address of an ERC-20.
    #[arg(long, value_parser = token_value_parser, value_name = "eth|ADDRESS")]
    pub token: TokenArg,
    /// Amount in token units, e.g. 1.5 (at most as many decimals as the token has); for ETH also
    /// with a unit (1.5ether, 20gwei); `wei` gives base units of any token (250wei).
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true, value_parser = drawbridge_client::token::amount_value_parser)]
    pub amount: drawbridge_client::amount::AmountArg,
    /// Recipient on the other chain (default: the sender).
    #[arg(long, value_parser = address_value_parser, value_name = "ADDRESS")]
    pub to: Option<Address>,
}

/// Arguments of `deposit`.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// Token, amount and recipient.
    #[command(flatten)]
    pub transfer: TransferArgs,
    /// ERC-20 only: how much to approve when the current allowance does not cover the deposit:
    /// `exact` (just this deposit), `max` (unlimited), or an amount in token units at least the
    /// deposit (later deposits within it need no approval).
    #[arg(long, default_value = "exact", value_name = "exact|max|DECIMAL")]
    pub approve: String,
}

/// Arguments of `finalize`.
#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// Nonce of the withdrawal (printed by `drawbridge withdraw`).
    #[arg(long, value_name = "NONCE", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub nonce: u64,
    /// Output to prove against (default: the newest final output that covers the withdrawal).
    #[arg(long, value_name = "INDEX")]
    pub output: Option<u64>,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
#[group(id = "what", multiple = false)]
pub struct StatusArgs {
    /// Balances, deposits and withdrawals of this address (default: the key's address).
    #[arg(long, value_parser = address_value_parser, value_name = "ADDRESS", group = "what")]
    pub address: Option<Address>,
    /// One deposit (L1 message) by nonce.
    #[arg(long, value_name = "NONCE", group = "what", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub deposit: Option<u64>,
    /// One withdrawal by nonce.
    #[arg(long, value_name = "NONCE", group = "what", allow_hyphen_values = true, value_parser = drawbridge_client::token::nonce_value_parser)]
    pub withdrawal: Option<u64>,
}

/// Arguments of `balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// The account (default: the key's address).
    #[arg(long, value_parser = address_value_parser, value_name = "ADDRESS")]
    pub address: Option<Address>,
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
    fn parses_a_deposit() {
        let cli = Cli::try_parse_from([
            "drawbridge",
            "--json",
            "deposit",
            "--token",
            "eth",
            "--amount",
            "1.5",
        ])
        .unwrap();
        assert!(cli.json);
        match cli.command {
            Command::Deposit(a) => {
                assert_eq!(a.transfer.token, TokenArg::Eth);
                assert_eq!(a.transfer.amount.to_string(), "1.5");
                assert_eq!(a.transfer.to, None);
                assert_eq!(a.approve, "exact");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_selectors_are_exclusive() {
        assert!(
            Cli::try_parse_from([
                "drawbridge",
                "status",
                "--deposit",
                "1",
                "--withdrawal",
                "2"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["drawbridge", "status", "--withdrawal", "2"]).is_ok());
        assert!(Cli::try_parse_from(["drawbridge", "status"]).is_ok());
    }

    #[test]
    fn bad_token_and_address_fail_at_parse_time() {
        let err = Cli::try_parse_from(["drawbridge", "deposit", "--token", "btc", "--amount", "1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid token"), "{err}");
        let err = Cli::try_parse_from([
            "drawbridge",
            "withdraw",
            "--token",
            "eth",
            "--amount",
            "1",
            "--to",
            "0x12",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("malformed address"), "{err}");
    }
}
