//! The stage of every message, computed without I/O: deposits ([`DepositStage`], from the counts
//! each step of the L1->L2 pipeline has reached) and withdrawals ([`WithdrawalProgress`] and its
//! [`WithdrawalSummary`]). The `progress` module reads the chains to fill them in; rendering them
//! for people is the binaries' business.

use alloy::primitives::{Address, B256};
use serde::Serialize;

use crate::format::format_time;
use crate::types::{Amount, TokenInfo};

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
        /// The newest output the bridge pays against (see [`crate::outputs::newest_payable_output`]).
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// Where it is, what it waits for and how long (flattened: `stage`, `description`,
    /// `waitsFor`, `outputIndex`, `finalAt`, `timeLeft`).
    #[serde(flatten)]
    pub summary: WithdrawalSummary,
    /// L1 transaction that paid it, when found.
    pub finalized_tx_hash: Option<B256>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
