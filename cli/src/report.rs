//! What commands return: serializable for `--json`, `Display` for people. The stage logic of
//! deposits and withdrawals is pure so that it is unit-tested without chains.

use std::fmt;

use alloy::primitives::{Address, B256, U256};
use serde::Serialize;

use crate::amount::format_amount;

/// A token as shown to people and scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// L1 token address (`address(0)` for ETH).
    pub l1_token: Address,
    /// Symbol (`ETH` for ETH).
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
}

impl TokenInfo {
    /// ETH.
    pub fn eth() -> Self {
        Self {
            l1_token: Address::ZERO,
            symbol: "ETH".into(),
            decimals: 18,
        }
    }

    /// `amount` base units formatted with the symbol, e.g. `1.5 ETH`.
    pub fn show(&self, amount: U256) -> String {
        format!("{} {}", format_amount(amount, self.decimals), self.symbol)
    }
}

/// An amount in base units and token units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// Base units, as a decimal string.
    pub raw: String,
    /// Token units, e.g. `1.5`.
    pub formatted: String,
}

impl Amount {
    /// `value` base units of a token with `decimals` decimals.
    pub fn new(value: U256, decimals: u8) -> Self {
        Self {
            raw: value.to_string(),
            formatted: format_amount(value, decimals),
        }
    }
}

/// `1 withdrawal`, `2 withdrawals`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Formats a unix time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_time(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

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

/// Result of `drawbridge deposit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositReport {
    /// What was deposited.
    pub token: TokenInfo,
    /// How much was credited (what arrived in escrow).
    pub amount: Amount,
    /// L1 sender.
    pub sender: Address,
    /// L2 recipient.
    pub recipient: Address,
    /// Message nonce on L1.
    pub nonce: u64,
    /// Deposit transaction.
    pub tx_hash: B256,
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
        writeln!(
            f,
            "Deposited {} {} from {} to {} on L2.",
            self.amount.formatted, self.token.symbol, self.sender, self.recipient
        )?;
        writeln!(f, "  message nonce: {}", self.nonce)?;
        writeln!(f, "  L1 tx:         {}", self.tx_hash)?;
        writeln!(f, "  L1 block:      {}", self.l1_block)?;
        writeln!(f, "  L2 token:      {}", self.l2_token)?;
        write!(f, "Next: {}", self.next)
    }
}

/// Result of `drawbridge withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawReport {
    /// What was withdrawn.
    pub token: TokenInfo,
    /// How much.
    pub amount: Amount,
    /// L2 sender.
    pub sender: Address,
    /// L1 recipient.
    pub recipient: Address,
    /// Withdrawal nonce.
    pub nonce: u64,
    /// Withdrawal transaction.
    pub tx_hash: B256,
    /// L2 block of the withdrawal.
    pub l2_block: u64,
    /// The bridged token that was burned.
    pub l2_token: Address,
    /// What happens next.
    pub next: String,
}

impl fmt::Display for WithdrawReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Withdrew {} {} from {} on L2 to {} on L1.",
            self.amount.formatted, self.token.symbol, self.sender, self.recipient
        )?;
        writeln!(f, "  withdrawal nonce: {}", self.nonce)?;
        writeln!(f, "  L2 tx:            {}", self.tx_hash)?;
        writeln!(f, "  L2 block:         {}", self.l2_block)?;
        write!(f, "Next: {}", self.next)
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

/// Where an L1->L2 message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DepositStage {
    /// Sent on L1; its root is not committed yet.
    Sent,
    /// A committed L1 message root covers it; not yet published to L2.
    RootCommitted,
    /// L2 knows a root covering it; not yet processed.
    RootPublished,
    /// Processed on L2: the tokens are minted.
    Delivered,
    /// L2 processed another message at this nonce (its leaf is not L1's): this one was never
    /// delivered, and no honest output can cover that L2 state (see [`DepositStatus::what_to_do`]).
    Forged,
}

impl DepositStage {
    /// Stage of message `nonce` given the counts each step has reached.
    pub fn of(nonce: u64, committed: u64, published: u64, processed: u64) -> Self {
        if processed > nonce {
            Self::Delivered
        } else if published > nonce {
            Self::RootPublished
        } else if committed > nonce {
            Self::RootCommitted
        } else {
            Self::Sent
        }
    }

    /// Where it is and what it waits for.
    pub fn describe(self, nonce: u64, processed: u64) -> (String, Option<String>) {
        match self {
            Self::Sent => (
                "sent on L1".into(),
                Some("a relayer (or anyone) to commit the L1 message root with L1Bridge.commitMessageRoot".into()),
            ),
            Self::RootCommitted => (
                "sent on L1, message root committed".into(),
                Some("the sequencer to publish the committed root to L2".into()),
            ),
            Self::RootPublished => {
                let ahead = nonce.saturating_sub(processed);
                let queue = if ahead == 0 {
                    "it is next in line".to_string()
                } else {
                    format!("{ahead} earlier messages go first, L2 processes in nonce order")
                };
                (
                    "root known on L2".into(),
                    Some(format!("a relayer to deliver it on L2 ({queue})")),
                )
            }
            Self::Delivered => ("delivered on L2".into(), None),
            Self::Forged => (
                "NOT delivered: L2 processed a different message at this nonce (a message L1 never sent)".into(),
                None,
            ),
        }
    }

    /// What the user can do about a message in this stage, when it is not a matter of waiting.
    pub fn what_to_do(self, nonce: u64) -> Option<String> {
        (self == Self::Forged).then(|| {
            format!(
                "outputs stop at the forged message, so the bridge becomes freezable: request a forced withdrawal \
                 (`drawbridge-exit-prover force`) and, once it is overdue, `drawbridge-exit-prover freeze`; then \
                 escape your L2 balances at the last good output (`drawbridge-exit-prover escape`) and get this \
                 deposit refunded on L1 (`drawbridge-exit-prover reclaim --nonce {nonce}`)"
            )
        })
    }
}

/// Status of one L1->L2 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositStatus {
    /// Message nonce.
    pub nonce: u64,
    /// `deposit` or `forcedWithdrawal`.
    pub kind: String,
    /// L1 sender.
    pub sender: Address,
    /// L2 recipient (L1 recipient of a forced withdrawal).
    pub recipient: Address,
    /// Token.
    pub token: TokenInfo,
    /// Amount credited.
    pub amount: Amount,
    /// L1 transaction.
    pub l1_tx_hash: B256,
    /// L1 block.
    pub l1_block: u64,
    /// Where it is.
    pub stage: DepositStage,
    /// Where it is, in words.
    pub description: String,
    /// What it waits for (none once delivered).
    pub waits_for: Option<String>,
    /// What the user can do when waiting does not help (a forged message at this nonce on L2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_to_do: Option<String>,
    /// The leaf L2 processed at this nonce when it is not this message's leaf.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2_processed_leaf: Option<B256>,
    /// Seconds left: deposits wait on relayers, not on a clock, so this is `null` unless delivered (`0`).
    pub time_left: Option<u64>,
    /// L2 transaction that delivered it, when known.
    pub l2_tx_hash: Option<B256>,
}

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

impl DepositStatus {
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

impl fmt::Display for DepositStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.kind == "deposit" {
            "Deposit"
        } else {
            "Forced withdrawal"
        };
        writeln!(f, "{kind} {} (L1 message)", self.nonce)?;
        writeln!(
            f,
            "  {} {} from {} to {}",
            self.amount.formatted, self.token.symbol, self.sender, self.recipient
        )?;
        writeln!(
            f,
            "  L1 tx:     {} (block {})",
            self.l1_tx_hash, self.l1_block
        )?;
        if let Some(tx) = self.l2_tx_hash {
            writeln!(f, "  L2 tx:     {tx}")?;
        }
        write!(f, "  status:    {}", self.description)?;
        if let Some(leaf) = self.l2_processed_leaf {
            write!(
                f,
                "\n  L2 leaf:   {leaf} (L1's leaf of this message differs)"
            )?;
        }
        if let Some(todo) = &self.what_to_do {
            write!(f, "\n  to do:     {todo}")?;
        }
        if let Some(w) = &self.waits_for {
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

/// Where an L2->L1 withdrawal is, with what each stage needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithdrawalProgress {
    /// No output covers its L2 block yet.
    Initiated {
        /// Index and L2 block of the newest output, if any.
        newest_output: Option<(u64, u64)>,
    },
    /// Covered by an output whose challenge window is running.
    Covered {
        /// The earliest covering output.
        output_index: u64,
        /// When it becomes final (unix time).
        final_at: u64,
        /// Now on L1 (unix time).
        now: u64,
    },
    /// Covered, but finality waits for the council's verdict on a challenged output.
    Disputed {
        /// The earliest covering output.
        output_index: u64,
        /// The challenged output blocking it.
        disputed_index: u64,
    },
    /// A final output covers it: it can be finalized now.
    Final {
        /// The newest output the bridge pays against (see `query::newest_payable_output`).
        output_index: u64,
        /// The bridge is frozen and `output_index` is at or before the escape output.
        frozen: bool,
    },
    /// The bridge is frozen and the escape output (the last one it pays against) does not cover
    /// the withdrawal: it is never paid by `finalize`; the L2 balance is escaped instead.
    FrozenUncovered {
        /// The escape output, `None` when no output was final at the freeze.
        escape_output: Option<u64>,
    },
    /// The newest final output covers it, but its `withdrawalRoot` is not the root of the L2
    /// withdrawals up to its block: finalizing against it fails.
    OutputMismatch {
        /// The final output that does not match L2.
        output_index: u64,
    },
    /// Paid on L1.
    Finalized {
        /// The output it was proven against, when found.
        output_index: Option<u64>,
        /// The L1 transaction, when found.
        tx_hash: Option<B256>,
    },
}

/// Stage names of [`WithdrawalProgress`] for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum WithdrawalStage {
    /// Initiated on L2, no output covers it yet.
    Initiated,
    /// Covered by an output in its challenge window.
    Covered,
    /// Covered by a challenged output (or after one).
    Disputed,
    /// Covered by a final output; ready to finalize.
    Final,
    /// The final output covering it does not match L2: it cannot be finalized against it.
    OutputMismatch,
    /// The bridge is frozen and the escape output does not cover it: escape the balance.
    FrozenUncovered,
    /// Paid on L1.
    Finalized,
}

/// The derived, printable facts of a [`WithdrawalProgress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalSummary {
    /// Stage name.
    pub stage: WithdrawalStage,
    /// Where it is, in words.
    pub description: String,
    /// What it waits for.
    pub waits_for: Option<String>,
    /// Output index involved.
    pub output_index: Option<u64>,
    /// When it becomes final (unix time), if known.
    pub final_at: Option<u64>,
    /// Seconds left until it can be finalized, if known.
    pub time_left: Option<u64>,
}

impl WithdrawalProgress {
    /// Summary for withdrawal `nonce` initiated in L2 block `l2_block`.
    pub fn summary(&self, nonce: u64, l2_block: u64) -> WithdrawalSummary {
        match *self {
            Self::Initiated { newest_output } => WithdrawalSummary {
                stage: WithdrawalStage::Initiated,
                description: format!("initiated on L2 in block {l2_block}"),
                waits_for: Some(format!(
                    "an output covering L2 block {l2_block} to be proposed on L1 ({})",
                    describe_newest(newest_output)
                )),
                output_index: None,
                final_at: None,
                time_left: None,
            },
            Self::Covered {
                output_index,
                final_at,
                now,
            } => {
                let left = final_at.saturating_sub(now);
                WithdrawalSummary {
                    stage: WithdrawalStage::Covered,
                    description: format!(
                        "covered by output {output_index}, final at {} ({left} s left)",
                        format_time(final_at)
                    ),
                    waits_for: Some(format!(
                        "the challenge window of output {output_index} to pass unchallenged"
                    )),
                    output_index: Some(output_index),
                    final_at: Some(final_at),
                    time_left: Some(left),
                }
            }
            Self::Disputed {
                output_index,
                disputed_index,
            } => WithdrawalSummary {
                stage: WithdrawalStage::Disputed,
                description: if disputed_index == output_index {
                    format!("covered by output {output_index}, which is challenged")
                } else {
                    format!(
                        "covered by output {output_index}; output {disputed_index} before it is challenged"
                    )
                },
                waits_for: Some(format!(
                    "the security council's verdict on output {disputed_index} (if it is deleted, a new output must cover the withdrawal)"
                )),
                output_index: Some(output_index),
                final_at: None,
                time_left: None,
            },
            Self::FrozenUncovered { escape_output } => WithdrawalSummary {
                stage: WithdrawalStage::FrozenUncovered,
                description: match escape_output {
                    Some(i) => format!(
                        "frozen: not in the escape output {i} (the last output the bridge pays against), escape the balance instead"
                    ),
                    None => "frozen: no output was final at the freeze, escape the balance instead".to_string(),
                },
                waits_for: None,
                output_index: escape_output,
                final_at: None,
                time_left: None,
            },
            Self::Final {
                output_index,
                frozen,
            } => WithdrawalSummary {
                stage: WithdrawalStage::Final,
                description: if frozen {
                    format!("frozen: payable against escape output {output_index}: ready to finalize")
                } else {
                    format!("covered by final output {output_index}: ready to finalize")
                },
                waits_for: Some(format!(
                    "finalization on L1, by a relayer or by you: `drawbridge finalize --nonce {nonce}`"
                )),
                output_index: Some(output_index),
                final_at: None,
                time_left: Some(0),
            },
            Self::OutputMismatch { output_index } => WithdrawalSummary {
                stage: WithdrawalStage::OutputMismatch,
                description: format!(
                    "covered by final output {output_index}, but that output's withdrawal root does not match the withdrawals on L2 (or the L2 node is out of sync)"
                ),
                waits_for: Some(
                    "a correct final output covering it (a wrong output should have been challenged); finalizing against this one would fail"
                        .into(),
                ),
                output_index: Some(output_index),
                final_at: None,
                time_left: None,
            },
            Self::Finalized { output_index, .. } => WithdrawalSummary {
                stage: WithdrawalStage::Finalized,
                description: match output_index {
                    Some(i) => format!("finalized on L1 (proven against output {i})"),
                    None => "finalized on L1".to_string(),
                },
                waits_for: None,
                output_index,
                final_at: None,
                time_left: Some(0),
            },
        }
    }
}

fn describe_newest(newest: Option<(u64, u64)>) -> String {
    match newest {
        Some((index, block)) => {
            format!("the newest, output {index}, covers up to L2 block {block}")
        }
        None => "no output has been proposed yet".to_string(),
    }
}

/// Status of one withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalStatus {
    /// Withdrawal nonce.
    pub nonce: u64,
    /// L2 sender.
    pub sender: Address,
    /// L1 recipient.
    pub recipient: Address,
    /// Token.
    pub token: TokenInfo,
    /// Amount.
    pub amount: Amount,
    /// L2 transaction.
    pub l2_tx_hash: B256,
    /// L2 block.
    pub l2_block: u64,
    /// Where it is.
    pub stage: WithdrawalStage,
    /// Where it is, in words.
    pub description: String,
    /// What it waits for.
    pub waits_for: Option<String>,
    /// Output involved.
    pub output_index: Option<u64>,
    /// When it becomes final (unix time).
    pub final_at: Option<u64>,
    /// Seconds until it can be finalized, when known.
    pub time_left: Option<u64>,
    /// L1 transaction that paid it, when found.
    pub finalized_tx_hash: Option<B256>,
}

impl WithdrawalStatus {
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

impl fmt::Display for WithdrawalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Withdrawal {}", self.nonce)?;
        writeln!(
            f,
            "  {} {} from {} to {}",
            self.amount.formatted, self.token.symbol, self.sender, self.recipient
        )?;
        writeln!(
            f,
            "  L2 tx:     {} (block {})",
            self.l2_tx_hash, self.l2_block
        )?;
        if let Some(tx) = self.finalized_tx_hash {
            writeln!(f, "  L1 tx:     {tx}")?;
        }
        write!(f, "  status:    {}", self.description)?;
        if let Some(w) = &self.waits_for {
            write!(f, "\n  waits for: {w}")?;
        }
        match self.time_left {
            Some(left) if self.stage != WithdrawalStage::Finalized => {
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
            if let (Some(left), WithdrawalStage::Covered) = (w.time_left, w.stage) {
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
            Self::DepositStatus(r) => r.fmt(f),
            Self::WithdrawalStatus(r) => r.fmt(f),
            Self::Address(r) => r.fmt(f),
            Self::Balance(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn deposit_stages_follow_the_counts() {
        assert_eq!(DepositStage::of(3, 0, 0, 0), DepositStage::Sent);
        assert_eq!(DepositStage::of(3, 3, 3, 3), DepositStage::Sent);
        assert_eq!(DepositStage::of(3, 4, 0, 0), DepositStage::RootCommitted);
        assert_eq!(DepositStage::of(3, 4, 4, 2), DepositStage::RootPublished);
        assert_eq!(DepositStage::of(3, 4, 4, 4), DepositStage::Delivered);
        let (d, w) = DepositStage::RootPublished.describe(3, 1);
        assert_eq!(d, "root known on L2");
        assert!(w.unwrap().contains("2 earlier messages go first"));
        let (d, w) = DepositStage::Delivered.describe(3, 4);
        assert_eq!(d, "delivered on L2");
        assert!(w.is_none());
        assert!(
            DepositStage::Sent
                .describe(0, 0)
                .1
                .unwrap()
                .contains("commit")
        );
    }

    #[test]
    fn withdrawal_summaries() {
        let s = WithdrawalProgress::Initiated {
            newest_output: None,
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::Initiated);
        assert_eq!(s.description, "initiated on L2 in block 120");
        assert!(
            s.waits_for
                .unwrap()
                .contains("no output has been proposed yet")
        );
        assert_eq!(s.time_left, None);

        let s = WithdrawalProgress::Initiated {
            newest_output: Some((2, 100)),
        }
        .summary(4, 120);
        assert!(
            s.waits_for
                .unwrap()
                .contains("output 2, covers up to L2 block 100")
        );

        let s = WithdrawalProgress::Covered {
            output_index: 3,
            final_at: 1_700_000_006,
            now: 1_700_000_002,
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::Covered);
        assert_eq!(s.time_left, Some(4));
        assert_eq!(s.final_at, Some(1_700_000_006));
        assert_eq!(
            s.description,
            "covered by output 3, final at 2023-11-14 22:13:26 UTC (4 s left)"
        );

        // Past the window but not yet seen final by the node: zero, never negative.
        let s = WithdrawalProgress::Covered {
            output_index: 3,
            final_at: 10,
            now: 20,
        }
        .summary(4, 120);
        assert_eq!(s.time_left, Some(0));

        let s = WithdrawalProgress::Disputed {
            output_index: 3,
            disputed_index: 2,
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::Disputed);
        assert!(s.waits_for.unwrap().contains("verdict on output 2"));
        assert_eq!(s.time_left, None);

        let s = WithdrawalProgress::OutputMismatch { output_index: 5 }.summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::OutputMismatch);
        assert!(s.description.contains("does not match"));
        assert_eq!(s.time_left, None);

        let s = WithdrawalProgress::Final {
            output_index: 5,
            frozen: false,
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::Final);
        assert!(
            s.waits_for
                .unwrap()
                .contains("drawbridge finalize --nonce 4")
        );
        assert_eq!(s.time_left, Some(0));

        let s = WithdrawalProgress::Final {
            output_index: 3,
            frozen: true,
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::Final);
        assert!(
            s.description
                .starts_with("frozen: payable against escape output 3")
        );
        assert_eq!(s.output_index, Some(3));

        let s = WithdrawalProgress::FrozenUncovered {
            escape_output: Some(3),
        }
        .summary(4, 120);
        assert_eq!(s.stage, WithdrawalStage::FrozenUncovered);
        assert!(s.description.contains("not in the escape output 3"));
        assert!(s.description.contains("escape the balance instead"));
        let s = WithdrawalProgress::FrozenUncovered {
            escape_output: None,
        }
        .summary(4, 120);
        assert!(s.description.contains("no output was final at the freeze"));

        let s = WithdrawalProgress::Finalized {
            output_index: Some(5),
            tx_hash: None,
        }
        .summary(4, 120);
        assert_eq!(s.description, "finalized on L1 (proven against output 5)");
        assert!(s.waits_for.is_none());
    }

    fn withdrawal_status(progress: WithdrawalProgress) -> WithdrawalStatus {
        let s = progress.summary(1, 50);
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
            stage: s.stage,
            description: s.description,
            waits_for: s.waits_for,
            output_index: s.output_index,
            final_at: s.final_at,
            time_left: s.time_left,
            finalized_tx_hash: None,
        }
    }

    #[test]
    fn withdrawal_status_text_and_json() {
        let st = withdrawal_status(WithdrawalProgress::Covered {
            output_index: 0,
            final_at: 100,
            now: 94,
        });
        let text = st.to_string();
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
        assert!(!st.to_string().contains("time left"));
        let st = withdrawal_status(WithdrawalProgress::Initiated {
            newest_output: None,
        });
        assert!(st.to_string().contains("time left: unknown"));
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
        let text = st.to_string();
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
        let text = forged.to_string();
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
