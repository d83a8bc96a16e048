//! What commands return: serializable for `--json`, `Display` for people. The domain types
//! (tokens, amounts, the status of each message and its stage logic) live in `drawbridge_client`;
//! this module renders them.

use std::fmt;

use alloy::primitives::{Address, B256};
use serde::Serialize;

pub use drawbridge_client::format::{format_time, plural};
pub use drawbridge_client::status::{
    DepositStage, DepositStatus, WithdrawalProgress, WithdrawalStage, WithdrawalStatus,
};
pub use drawbridge_client::types::{Amount, TokenInfo};

// ------------------------------------------------------------------------------------------------
// Transactions
// ------------------------------------------------------------------------------------------------

/// The approval step of an ERC-20 deposit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalReport {
    /// Whether an approval was sent (false: the allowance already covered the amount).
    pub sent: bool,
    /// The approval transaction, when one was sent.
    pub tx_hash: Option<B256>,
    /// Allowance before the deposit, in base units.
    pub allowance_before: String,
    /// Allowance set by the approval, in base units (when one was sent).
    pub approved: Option<String>,
}

/// What a deposit and a withdrawal report alike (flattened into their JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// What was moved.
    pub token: TokenInfo,
    /// How much (for a deposit: what arrived in escrow).
    pub amount: Amount,
    /// Sender on the chain it left.
    pub sender: Address,
    /// Recipient on the other chain.
    pub recipient: Address,
    /// Message nonce (deposit) or withdrawal nonce.
    pub nonce: u64,
    /// The transaction that sent it.
    pub tx_hash: B256,
}

impl Transfer {
    /// Writes the transfer: its headline (`{verb} {amount} {symbol} from {sender}{from} to
    /// {recipient}{to}.`), its labelled rows with the values aligned, and what happens next.
    fn write(
        &self,
        f: &mut fmt::Formatter<'_>,
        (verb, from, to): (&str, &str, &str),
        rows: &[(&str, &dyn fmt::Display)],
        next: &str,
    ) -> fmt::Result {
        writeln!(
            f,
            "{verb} {} {} from {}{from} to {}{to}.",
            self.amount.formatted, self.token.symbol, self.sender, self.recipient
        )?;
        write_rows(f, rows)?;
        write!(f, "Next: {next}")
    }
}

/// Writes labelled rows with the values aligned.
fn write_rows(f: &mut fmt::Formatter<'_>, rows: &[(&str, &dyn fmt::Display)]) -> fmt::Result {
    let width = rows
        .iter()
        .map(|(label, _)| label.len() + 1)
        .max()
        .unwrap_or(0);
    for (label, value) in rows {
        writeln!(f, "  {:<width$} {value}", format!("{label}:"))?;
    }
    Ok(())
}

/// Result of `drawbridge deposit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositReport {
    /// What was deposited (credited: what arrived in escrow), from the L1 sender to the L2
    /// recipient, with its message nonce on L1 and the deposit transaction.
    #[serde(flatten)]
    pub transfer: Transfer,
    /// L1 block of the deposit.
    pub l1_block: u64,
    /// The approval step (ERC-20 only).
    pub approval: Option<ApprovalReport>,
    /// The bridged token on L2 (deployed on the token's first deposit).
    pub l2_token: Address,
    /// What happens next.
    pub next: String,
}

impl fmt::Display for DepositReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = &self.approval {
            match a.tx_hash {
                Some(tx) if a.sent => {
                    writeln!(f, "Approved the bridge to spend the deposit (tx {tx}).")?
                }
                _ => writeln!(
                    f,
                    "The existing allowance covers the deposit: no approval sent."
                )?,
            }
        }
        let t = &self.transfer;
        t.write(
            f,
            ("Deposited", "", " on L2"),
            &[
                ("message nonce", &t.nonce),
                ("L1 tx", &t.tx_hash),
                ("L1 block", &self.l1_block),
                ("L2 token", &self.l2_token),
            ],
            &self.next,
        )
    }
}

/// Result of `drawbridge withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawReport {
    /// What was withdrawn, from the L2 sender to the L1 recipient, with the withdrawal nonce and
    /// the withdrawal transaction.
    #[serde(flatten)]
    pub transfer: Transfer,
    /// L2 block of the withdrawal.
    pub l2_block: u64,
    /// The bridged token that was burned.
    pub l2_token: Address,
    /// What happens next.
    pub next: String,
}

impl fmt::Display for WithdrawReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.transfer;
        t.write(
            f,
            ("Withdrew", " on L2", " on L1"),
            &[
                ("withdrawal nonce", &t.nonce),
                ("L2 tx", &t.tx_hash),
                ("L2 block", &self.l2_block),
            ],
            &self.next,
        )
    }
}

/// Result of `drawbridge finalize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeReport {
    /// The withdrawal.
    pub nonce: u64,
    /// The output it was proven against.
    pub output_index: u64,
    /// Withdrawals under that output's root.
    pub withdrawals_in_output: u64,
    /// Siblings in the short proof.
    pub proof_length: usize,
    /// Who was paid on L1.
    pub recipient: Address,
    /// What was paid.
    pub token: TokenInfo,
    /// How much.
    pub amount: Amount,
    /// Finalization transaction.
    pub tx_hash: B256,
    /// L1 block.
    pub l1_block: u64,
}

impl fmt::Display for FinalizeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Finalized withdrawal {}: paid {} {} to {} on L1.",
            self.nonce, self.amount.formatted, self.token.symbol, self.recipient
        )?;
        writeln!(
            f,
            "  proven against output {} ({}, proof of {})",
            self.output_index,
            plural(self.withdrawals_in_output, "withdrawal"),
            plural(self.proof_length as u64, "sibling")
        )?;
        writeln!(f, "  L1 tx:    {}", self.tx_hash)?;
        write!(f, "  L1 block: {}", self.l1_block)
    }
}

// ------------------------------------------------------------------------------------------------
// Deposit status
// ------------------------------------------------------------------------------------------------

/// One line of a deposit or withdrawal: what, to whom, where it is and what it waits for.
fn status_line(
    nonce: u64,
    amount: &Amount,
    token: &TokenInfo,
    recipient: Address,
    description: &str,
    waits_for: &Option<String>,
) -> String {
    let mut s = format!(
        "#{nonce} {} {} -> {recipient}: {description}",
        amount.formatted, token.symbol
    );
    if let Some(w) = waits_for {
        s.push_str(&format!("; waits for {w}"));
    }
    s
}

/// One line of a status in a list.
trait StatusLine {
    fn line(&self) -> String;
}

impl StatusLine for DepositStatus {
    fn line(&self) -> String {
        status_line(
            self.nonce,
            &self.amount,
            &self.token,
            self.recipient,
            &self.description,
            &self.waits_for,
        )
    }
}

impl StatusLine for WithdrawalStatus {
    fn line(&self) -> String {
        status_line(
            self.nonce,
            &self.amount,
            &self.token,
            self.recipient,
            &self.summary.description,
            &self.summary.waits_for,
        )
    }
}

/// The text of a status (the status types live in `drawbridge_client`, their rendering here).
#[derive(Debug, Clone, Copy)]
pub struct Show<'a, T>(pub &'a T);

impl fmt::Display for Show<'_, DepositStatus> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let kind = if s.kind == "deposit" {
            "Deposit"
        } else {
            "Forced withdrawal"
        };
        writeln!(f, "{kind} {} (L1 message)", s.nonce)?;
        writeln!(
            f,
            "  {} {} from {} to {}",
            s.amount.formatted, s.token.symbol, s.sender, s.recipient
        )?;
        writeln!(f, "  L1 tx:     {} (block {})", s.l1_tx_hash, s.l1_block)?;
        if let Some(tx) = s.l2_tx_hash {
            writeln!(f, "  L2 tx:     {tx}")?;
        }
        write!(f, "  status:    {}", s.description)?;
        if let Some(leaf) = s.l2_processed_leaf {
            write!(
                f,
                "\n  L2 leaf:   {leaf} (L1's leaf of this message differs)"
            )?;
        }
        if let Some(todo) = &s.what_to_do {
            write!(f, "\n  to do:     {todo}")?;
        }
        if let Some(w) = &s.waits_for {
            write!(
                f,
                "\n  waits for: {w}\n  time left: unknown (depends on relayers, not on a clock)"
            )?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// Withdrawal status
// ------------------------------------------------------------------------------------------------

impl fmt::Display for Show<'_, WithdrawalStatus> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        writeln!(f, "Withdrawal {}", s.nonce)?;
        writeln!(
            f,
            "  {} {} from {} to {}",
            s.amount.formatted, s.token.symbol, s.sender, s.recipient
        )?;
        writeln!(f, "  L2 tx:     {} (block {})", s.l2_tx_hash, s.l2_block)?;
        if let Some(tx) = s.finalized_tx_hash {
            writeln!(f, "  L1 tx:     {tx}")?;
        }
        write!(f, "  status:    {}", s.summary.description)?;
        if let Some(w) = &s.summary.waits_for {
            write!(f, "\n  waits for: {w}")?;
        }
        match s.summary.time_left {
            Some(left) if s.summary.stage != WithdrawalStage::Finalized => {
                write!(f, "\n  time left: {left} s")?
            }
            None => write!(f, "\n  time left: unknown")?,
            _ => {}
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// Address status and balances
// ------------------------------------------------------------------------------------------------

/// One token's balances on both chains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceLine {
    /// Token.
    pub token: TokenInfo,
    /// Its bridged token on L2, once deployed.
    pub l2_token: Option<Address>,
    /// Balance on L1 (native ETH for ETH).
    pub l1: Amount,
    /// Balance of the bridged token on L2.
    pub l2: Amount,
}

/// Result of `drawbridge balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceReport {
    /// The account.
    pub address: Address,
    /// Native L2 ETH (gas only; bridged ETH is the `ETH` line's `l2`).
    pub l2_gas: Amount,
    /// ETH first, then every known token.
    pub balances: Vec<BalanceLine>,
}

impl fmt::Display for BalanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Balances of {}", self.address)?;
        writeln!(f, "  {:<24} {:>28} {:>28}", "token", "L1", "L2 (bridged)")?;
        for b in &self.balances {
            let name = if b.token.l1_token.is_zero() {
                b.token.symbol.clone()
            } else {
                format!("{} {}", b.token.symbol, short(b.token.l1_token))
            };
            writeln!(
                f,
                "  {name:<24} {:>28} {:>28}",
                b.l1.formatted, b.l2.formatted
            )?;
        }
        write!(f, "  L2 gas (native ETH): {}", self.l2_gas.formatted)
    }
}

/// Result of `drawbridge status --address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressStatus {
    /// Balances on both chains.
    #[serde(flatten)]
    pub balances: BalanceReport,
    /// Deposits sent by or to the address.
    pub deposits: Vec<DepositStatus>,
    /// Withdrawals sent by or to the address.
    pub withdrawals: Vec<WithdrawalStatus>,
}

impl fmt::Display for AddressStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.balances)?;
        writeln!(f, "Deposits ({}):", self.deposits.len())?;
        for d in &self.deposits {
            writeln!(f, "  {}", d.line())?;
        }
        write!(f, "Withdrawals ({}):", self.withdrawals.len())?;
        for w in &self.withdrawals {
            write!(f, "\n  {}", w.line())?;
            if let (Some(left), WithdrawalStage::Covered) = (w.summary.time_left, w.summary.stage) {
                write!(f, " [{left} s left]")?;
            }
        }
        Ok(())
    }
}

fn short(a: Address) -> String {
    let s = a.to_string();
    format!("({}…{})", &s[..6], &s[s.len() - 4..])
}

/// Any command's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// `deposit`.
    Deposit(DepositReport),
    /// `withdraw`.
    Withdraw(WithdrawReport),
    /// `finalize`.
    Finalize(FinalizeReport),
    /// `status --deposit`.
    DepositStatus(DepositStatus),
    /// `status --withdrawal`.
    WithdrawalStatus(WithdrawalStatus),
    /// `status --address`.
    Address(AddressStatus),
    /// `balance`.
    Balance(BalanceReport),
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deposit(r) => r.fmt(f),
            Self::Withdraw(r) => r.fmt(f),
            Self::Finalize(r) => r.fmt(f),
            Self::DepositStatus(r) => Show(r).fmt(f),
            Self::WithdrawalStatus(r) => Show(r).fmt(f),
            Self::Address(r) => r.fmt(f),
            Self::Balance(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;

    fn withdrawal_status(progress: WithdrawalProgress) -> WithdrawalStatus {
        WithdrawalStatus {
            nonce: 1,
            sender: Address::ZERO,
            recipient: Address::ZERO,
            token: TokenInfo::eth(),
            amount: Amount::new(
                U256::from(15u8) * U256::from(10u8).pow(U256::from(17u8)),
                18,
            ),
            l2_tx_hash: B256::ZERO,
            l2_block: 50,
            summary: progress.summary(1, 50),
            finalized_tx_hash: None,
        }
    }

    #[test]
    fn transfer_rows_are_aligned() {
        let report = WithdrawReport {
            transfer: Transfer {
                token: TokenInfo::eth(),
                amount: Amount::new(U256::from(10u8).pow(U256::from(18u8)), 18),
                sender: Address::ZERO,
                recipient: Address::ZERO,
                nonce: 3,
                tx_hash: B256::ZERO,
            },
            l2_block: 9,
            l2_token: Address::ZERO,
            next: "wait".into(),
        };
        let text = report.to_string();
        assert!(text.contains("\n  withdrawal nonce: 3\n"), "{text}");
        assert!(text.contains("\n  L2 block:         9\n"), "{text}");
        assert!(text.ends_with("\nNext: wait"), "{text}");
    }

    #[test]
    fn withdrawal_status_text_and_json() {
        let st = withdrawal_status(WithdrawalProgress::Covered {
            output_index: 0,
            final_at: 100,
            now: 94,
        });
        let text = Show(&st).to_string();
        assert!(text.contains("Withdrawal 1"), "{text}");
        assert!(text.contains("1.5 ETH"), "{text}");
        assert!(
            text.contains("covered by output 0, final at 1970-01-01 00:01:40 UTC (6 s left)"),
            "{text}"
        );
        assert!(text.contains("time left: 6 s"), "{text}");
        let json = serde_json::to_value(Report::WithdrawalStatus(st)).unwrap();
        assert_eq!(json["stage"], "covered");
        assert_eq!(json["timeLeft"], 6);
        assert_eq!(json["finalAt"], 100);
        assert_eq!(json["amount"]["raw"], "1500000000000000000");
        assert_eq!(json["amount"]["formatted"], "1.5");
        assert_eq!(json["token"]["symbol"], "ETH");

        let st = withdrawal_status(WithdrawalProgress::Finalized {
            output_index: Some(0),
            tx_hash: None,
        });
        assert!(!Show(&st).to_string().contains("time left"));
        let st = withdrawal_status(WithdrawalProgress::Initiated {
            newest_output: None,
        });
        assert!(Show(&st).to_string().contains("time left: unknown"));
    }

    #[test]
    fn deposit_status_text() {
        let (description, waits_for) = DepositStage::Sent.describe(0, 0);
        let st = DepositStatus {
            nonce: 0,
            kind: "deposit".into(),
            sender: Address::ZERO,
            recipient: Address::ZERO,
            token: TokenInfo {
                l1_token: Address::repeat_byte(1),
                symbol: "DBT".into(),
                decimals: 6,
            },
            amount: Amount::new(U256::from(2_500_000u32), 6),
            l1_tx_hash: B256::ZERO,
            l1_block: 7,
            stage: DepositStage::Sent,
            description,
            waits_for,
            what_to_do: None,
            l2_processed_leaf: None,
            time_left: None,
            l2_tx_hash: None,
        };
        let text = Show(&st).to_string();
        assert!(text.starts_with("Deposit 0 (L1 message)"), "{text}");
        assert!(text.contains("2.5 DBT"), "{text}");
        assert!(text.contains("status:    sent on L1"), "{text}");
        assert!(text.contains("waits for: a relayer"), "{text}");
        let json = serde_json::to_value(&st).unwrap();
        assert_eq!(json["stage"], "sent");
        assert!(json["timeLeft"].is_null());
        assert!(json.get("whatToDo").is_none());

        // L2 processed another message at this nonce: not delivered, and what to do instead.
        let (description, waits_for) = DepositStage::Forged.describe(0, 1);
        let forged = DepositStatus {
            stage: DepositStage::Forged,
            description,
            waits_for,
            what_to_do: DepositStage::Forged.what_to_do(0),
            l2_processed_leaf: Some(B256::repeat_byte(9)),
            ..st
        };
        let text = Show(&forged).to_string();
        assert!(text.contains("NOT delivered"), "{text}");
        assert!(!text.contains("delivered on L2"), "{text}");
        assert!(text.contains("reclaim --nonce 0"), "{text}");
        assert!(text.contains("freeze"), "{text}");
        let json = serde_json::to_value(&forged).unwrap();
        assert_eq!(json["stage"], "forged");
        assert!(json["whatToDo"].as_str().unwrap().contains("escape"));
        assert!(DepositStage::Delivered.what_to_do(0).is_none());
    }
}
