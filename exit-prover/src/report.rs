//! What commands return: serializable for `--json`, `Display` for people. The forced-withdrawal
//! clock is computed by a pure function so that it is unit-tested without chains.

use std::fmt;

use alloy::primitives::{Address, B256, U256};
use drawbridge_client::format::format_time;
use drawbridge_client::{Amount, TokenInfo};
use serde::Serialize;

use crate::proof::EscapeProof;

pub use crate::outputs::{EscapeOutputInfo, OutputInfo};

/// Where a forced withdrawal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ForcedStage {
    /// Waiting for the operator; freezing is not possible before `freezeAt`.
    Waiting,
    /// A final output processed it: the operator was honest, no freeze.
    Processed,
    /// Overdue: anyone may freeze now.
    Overdue,
    /// The bridge is frozen (on this or another forced withdrawal).
    Frozen,
}

/// One forced withdrawal and its clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForcedStatus {
    /// Its L1 message nonce.
    pub nonce: u64,
    /// The L2 account (also the L1 recipient).
    pub account: Address,
    /// The token.
    pub token: TokenInfo,
    /// The amount asked for.
    pub amount: Amount,
    /// Unix time from which freezing is possible unless processed: `baseFreezeAt`, plus the
    /// council-response window while a timely output covering it awaits a verdict.
    pub freeze_at: u64,
    /// `L1Bridge.forcedWithdrawalFreezeAt`: request + forced-inclusion window + challenge period.
    pub base_freeze_at: u64,
    /// Set while an output proposed within the forced-inclusion window covers it but is not final
    /// (a dispute at or below it awaits the council): the freeze waits that much longer.
    pub council_wait: Option<CouncilWait>,
    /// `freezeAt - now` on L1's clock, 0 once reached.
    pub seconds_left: u64,
    /// `L1Bridge.canFreeze(nonce)` now.
    pub can_freeze: bool,
    /// Whether the newest final output processed it.
    pub processed: bool,
    /// The stage.
    pub stage: ForcedStage,
    /// What happens next, in words.
    pub description: String,
    /// The request's transaction.
    pub tx_hash: B256,
    /// The request's L1 block.
    pub l1_block: u64,
}

/// A timely covering output awaiting the council's verdict delays the freeze (`councilResponseWindow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CouncilWait {
    /// The first output covering the forced withdrawal (proposed within the window, not final).
    pub output_index: u64,
    /// `OutputOracle.councilResponseWindow()`, added to the freeze time.
    pub response_window: u64,
}

impl ForcedStatus {
    /// Computes the stage and the countdown; `base_freeze_at` is
    /// `L1Bridge.forcedWithdrawalFreezeAt`, `council_wait` the extension the bridge applies now
    /// (`canFreeze` is the contract's own answer and decides the stage).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        nonce: u64,
        account: Address,
        token: TokenInfo,
        amount: U256,
        base_freeze_at: u64,
        council_wait: Option<CouncilWait>,
        now: u64,
        can_freeze: bool,
        final_processed: Option<u64>,
        frozen: bool,
        tx_hash: B256,
        l1_block: u64,
    ) -> Self {
        let processed = final_processed.is_some_and(|p| p > nonce);
        let freeze_at =
            base_freeze_at.saturating_add(council_wait.map_or(0, |w| w.response_window));
        let seconds_left = freeze_at.saturating_sub(now);
        let (stage, description) = if frozen {
            (
                ForcedStage::Frozen,
                "the bridge is frozen: prove and escape with the L2 balance (`prove`, `escape`)"
                    .to_string(),
            )
        } else if processed {
            (
                ForcedStage::Processed,
                "a final output processed it on L2: no freeze; the withdrawal finalizes like any other"
                    .to_string(),
            )
        } else if can_freeze {
            (
                ForcedStage::Overdue,
                format!("overdue: anyone may freeze the bridge now with `freeze --nonce {nonce}`"),
            )
        } else if let Some(wait) = council_wait {
            (
                ForcedStage::Waiting,
                format!(
                    "output {} (proposed within the forced-inclusion window) covers it but awaits the council's verdict: freezing waits {} s more, until {} ({seconds_left} s left), unless that output becomes final first",
                    wait.output_index,
                    wait.response_window,
                    format_time(freeze_at)
                ),
            )
        } else {
            (
                ForcedStage::Waiting,
                format!(
                    "waiting for the operator to process it; freezing is possible from {} ({seconds_left} s left) if no final output has processed it by then",
                    format_time(freeze_at)
                ),
            )
        };
        Self {
            nonce,
            account,
            amount: Amount::new(amount, token.decimals),
            token,
            freeze_at,
            base_freeze_at,
            council_wait,
            seconds_left,
            can_freeze,
            processed,
            stage,
            description,
            tx_hash,
            l1_block,
        }
    }
}

impl fmt::Display for ForcedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "forced withdrawal {}: {} {} of {} (L1 block {}, tx {})",
            self.nonce,
            self.amount.formatted,
            self.token.symbol,
            self.account,
            self.l1_block,
            self.tx_hash
        )?;
        writeln!(
            f,
            "  freeze at {} ({} s left), can freeze now: {}",
            format_time(self.freeze_at),
            self.seconds_left,
            if self.can_freeze { "yes" } else { "no" }
        )?;
        write!(f, "  {}", self.description)
    }
}

/// Whether an account escaped with a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapedLine {
    /// The token.
    pub token: TokenInfo,
    /// `L1Bridge.hasEscaped(token, account)`.
    pub escaped: bool,
}

/// `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// L1's latest block timestamp: the clock the contracts use.
    pub now: u64,
    /// Whether the bridge is frozen.
    pub frozen: bool,
    /// The escape output when frozen with one.
    pub escape_output: Option<EscapeOutputInfo>,
    /// The newest final output.
    pub latest_final_output: Option<OutputInfo>,
    /// The operator's window to process a forced withdrawal, in seconds.
    pub forced_inclusion_window: u64,
    /// The account asked about.
    pub account: Option<Address>,
    /// Forced withdrawals asked about.
    pub forced: Vec<ForcedStatus>,
    /// For a frozen bridge and an account: escaped or not, per known token.
    pub escaped: Vec<EscapedLine>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "L1 time: {}", format_time(self.now))?;
        match (&self.frozen, &self.escape_output) {
            (false, _) => writeln!(f, "bridge: not frozen")?,
            (true, Some(e)) => writeln!(f, "bridge: FROZEN; escape root: {e}")?,
            (true, None) => writeln!(
                f,
                "bridge: FROZEN without a final output: no escape root; deposits are refunded with `reclaim`"
            )?,
        }
        match &self.latest_final_output {
            Some(o) => writeln!(
                f,
                "newest final output: {} (L2 block {}, {} L1 messages processed)",
                o.index, o.l2_block_number, o.l1_messages_processed
            )?,
            None => writeln!(f, "newest final output: none yet")?,
        }
        writeln!(
            f,
            "forced inclusion window: {} s",
            self.forced_inclusion_window
        )?;
        if let Some(a) = self.account
            && self.forced.is_empty()
        {
            writeln!(f, "{a} has requested no forced withdrawal")?;
        }
        for s in &self.forced {
            writeln!(f, "{s}")?;
        }
        if let Some(a) = self.account {
            for line in &self.escaped {
                writeln!(
                    f,
                    "{a} {} with {}",
                    if line.escaped {
                        "has escaped"
                    } else {
                        "has not escaped"
                    },
                    line.token.symbol
                )?;
            }
        }
        Ok(())
    }
}

/// `force`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceReport {
    /// The forced withdrawal's L1 message nonce.
    pub nonce: u64,
    /// The L2 account (and L1 recipient).
    pub account: Address,
    /// The token.
    pub token: TokenInfo,
    /// The amount asked for.
    pub amount: Amount,
    /// Unix time from which anyone may freeze unless a final output processed it.
    pub freeze_at: u64,
    /// The account's L2 balance when it could be read (base units).
    pub l2_balance: Option<String>,
    /// The transaction.
    pub tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
}

impl fmt::Display for ForceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "forced withdrawal {} requested: {} {} of {} (tx {}, L1 block {})",
            self.nonce,
            self.amount.formatted,
            self.token.symbol,
            self.account,
            self.tx_hash,
            self.l1_block
        )?;
        if self.l2_balance.is_none() {
            writeln!(
                f,
                "(the L2 node did not answer: the L2 balance was not checked)"
            )?;
        }
        write!(
            f,
            "The operator must process it by {}. If no final output has processed it then, anyone may freeze the bridge: `drawbridge-exit-prover freeze --nonce {}`. Follow it with `drawbridge-exit-prover status --nonce {}`.",
            format_time(self.freeze_at),
            self.nonce,
            self.nonce
        )
    }
}

/// `freeze`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreezeReport {
    /// The overdue forced withdrawal.
    pub forced_nonce: u64,
    /// The escape output (`None`: no output was final).
    pub escape_output: Option<EscapeOutputInfo>,
    /// The transaction.
    pub tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
}

impl fmt::Display for FreezeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bridge frozen on forced withdrawal {} (tx {}, L1 block {})",
            self.forced_nonce, self.tx_hash, self.l1_block
        )?;
        match &self.escape_output {
            Some(e) => write!(
                f,
                "escape root: {e}. Every L2 balance in it can now be proven and paid on L1: `drawbridge-exit-prover prove --address A --token T`, then `escape`."
            ),
            None => write!(
                f,
                "no output was final: there is no escape root; every deposit is refunded with `reclaim --nonce N`."
            ),
        }
    }
}

/// `prove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProveReport {
    /// The checked proof; flattened so that `prove --json > file` is a proof file for
    /// `escape --proof file`.
    #[serde(flatten)]
    pub proof: EscapeProof,
    /// The token.
    pub token: TokenInfo,
    /// The proven balance.
    pub amount: Amount,
    /// Where it was written, if anywhere.
    pub written_to: Option<String>,
}

impl fmt::Display for ProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.proof;
        writeln!(
            f,
            "proof checked: {} holds {} {} (L2 token {}) at L2 block {} under output {}'s state root {}",
            p.target.account,
            self.amount.formatted,
            self.token.symbol,
            p.target.l2_token,
            p.target.l2_block_number,
            p.target.output_index,
            p.target.l2_state_root
        )?;
        writeln!(
            f,
            "account proof: {} nodes, storage proof: {} nodes (slot {})",
            p.account_proof.len(),
            p.storage_proof.len(),
            p.slot
        )?;
        match &self.written_to {
            Some(path) => write!(
                f,
                "written to {path}; send it with `drawbridge-exit-prover escape --address {} --token {} --proof {path}`",
                p.target.account, p.target.l1_token
            ),
            None => write!(f, "(use --out FILE to keep it, or --json to print it)"),
        }
    }
}

/// `escape`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapeReport {
    /// The account paid.
    pub account: Address,
    /// The token.
    pub token: TokenInfo,
    /// The amount paid.
    pub amount: Amount,
    /// The escape output proven against.
    pub output_index: u64,
    /// The transaction.
    pub tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
}

impl fmt::Display for EscapeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "escaped: {} {} paid to {} on L1 from the escape output {} (tx {}, L1 block {})",
            self.amount.formatted,
            self.token.symbol,
            self.account,
            self.output_index,
            self.tx_hash,
            self.l1_block
        )
    }
}

/// `reclaim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReclaimReport {
    /// The deposit's nonce.
    pub nonce: u64,
    /// Its L1 sender, who was paid back.
    pub sender: Address,
    /// The token.
    pub token: TokenInfo,
    /// The amount refunded.
    pub amount: Amount,
    /// Siblings in the proof.
    pub proof_length: usize,
    /// The message root it was proven against.
    pub message_root: B256,
    /// The transaction.
    pub tx_hash: B256,
    /// Its L1 block.
    pub l1_block: u64,
}

impl fmt::Display for ReclaimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deposit {} refunded: {} {} paid back to {} (proof of {} siblings against message root {}; tx {}, L1 block {})",
            self.nonce,
            self.amount.formatted,
            self.token.symbol,
            self.sender,
            self.proof_length,
            self.message_root,
            self.tx_hash,
            self.l1_block
        )
    }
}

/// `kit` in watch mode, when it stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KitWatchReport {
    /// The kit file.
    pub db: String,
    /// Rounds run.
    pub rounds: u64,
    /// Outputs the kit holds rows for, newest first.
    pub outputs: Vec<u64>,
    /// What the last round stored and what failed (with `--once`).
    pub last: Option<crate::kit::RefreshOutcome>,
}

impl fmt::Display for KitWatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "escape kit {}: {} round(s); holds outputs {:?}",
            self.db, self.rounds, self.outputs
        )?;
        if let Some(last) = &self.last {
            write!(
                f,
                "; last round: output {:?}, {} stored, {} failed",
                last.output_index,
                last.stored.len(),
                last.failed.len()
            )?;
            for failure in &last.failed {
                write!(f, "\n  failed: {failure}")?;
            }
        }
        Ok(())
    }
}

/// `kit export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KitExportReport {
    /// The rows, newest output first.
    pub entries: Vec<crate::kit::KitEntry>,
    /// Where the proof was written, with `--out`.
    pub written_to: Option<String>,
}

impl fmt::Display for KitExportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entries.is_empty() {
            return write!(f, "the kit holds no matching rows");
        }
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "output {} (L2 block {}): {} / L1 token {}: {:?}, balance {}",
                e.output_index, e.l2_block_number, e.account, e.l1_token, e.status, e.balance
            )?;
        }
        if let Some(path) = &self.written_to {
            write!(f, "\nproof written to {path}")?;
        }
        Ok(())
    }
}

/// Any command's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// `force`.
    Force(ForceReport),
    /// `status`.
    Status(StatusReport),
    /// `freeze`.
    Freeze(FreezeReport),
    /// `prove`.
    Prove(Box<ProveReport>),
    /// `escape`.
    Escape(EscapeReport),
    /// `reclaim`.
    Reclaim(ReclaimReport),
    /// `kit` (watch).
    KitWatch(KitWatchReport),
    /// `kit export`.
    KitExport(KitExportReport),
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Force(r) => r.fmt(f),
            Self::Status(r) => r.fmt(f),
            Self::Freeze(r) => r.fmt(f),
            Self::Prove(r) => r.fmt(f),
            Self::Escape(r) => r.fmt(f),
            Self::Reclaim(r) => r.fmt(f),
            Self::KitWatch(r) => r.fmt(f),
            Self::KitExport(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(now: u64, can_freeze: bool, processed: Option<u64>, frozen: bool) -> ForcedStatus {
        status_waiting(now, can_freeze, processed, frozen, None)
    }

    fn status_waiting(
        now: u64,
        can_freeze: bool,
        processed: Option<u64>,
        frozen: bool,
        council_wait: Option<CouncilWait>,
    ) -> ForcedStatus {
        ForcedStatus::new(
            4,
            Address::repeat_byte(1),
            TokenInfo::eth(),
            U256::from(10u8),
            1_000,
            council_wait,
            now,
            can_freeze,
            processed,
            frozen,
            B256::ZERO,
            7,
        )
    }

    #[test]
    fn the_clock_counts_down_to_freeze_at() {
        let s = status(964, false, None, false);
        assert_eq!(s.stage, ForcedStage::Waiting);
        assert_eq!(s.seconds_left, 36);
        assert!(s.description.contains("36 s left"), "{}", s.description);
        let s = status(1_000, true, None, false);
        assert_eq!((s.stage, s.seconds_left), (ForcedStage::Overdue, 0));
        assert!(s.description.contains("freeze --nonce 4"));
        let s = status(2_000, true, Some(4), false);
        assert_eq!(
            s.stage,
            ForcedStage::Overdue,
            "processed 4 means nonces 0..=3"
        );
    }

    #[test]
    fn a_disputed_timely_covering_output_moves_the_freeze_by_the_council_response_window() {
        let wait = CouncilWait {
            output_index: 3,
            response_window: 6,
        };
        // Past the base freeze time, but the bridge waits for the council: not overdue yet.
        let s = status_waiting(1_002, false, None, false, Some(wait));
        assert_eq!(s.stage, ForcedStage::Waiting);
        assert_eq!((s.base_freeze_at, s.freeze_at), (1_000, 1_006));
        assert_eq!(s.seconds_left, 4);
        assert!(
            s.description.contains("output 3") && s.description.contains("council"),
            "{}",
            s.description
        );
        // Once the window has passed too, the contract says it may freeze.
        let s = status_waiting(1_006, true, None, false, Some(wait));
        assert_eq!((s.stage, s.seconds_left), (ForcedStage::Overdue, 0));
        // No covering output in dispute: the base time.
        let s = status(1_002, true, None, false);
        assert_eq!((s.freeze_at, s.council_wait), (1_000, None));
    }

    #[test]
    fn processed_and_frozen_win_over_the_clock() {
        let s = status(2_000, false, Some(5), false);
        assert_eq!(s.stage, ForcedStage::Processed);
        assert!(s.processed);
        let s = status(10, false, None, true);
        assert_eq!(s.stage, ForcedStage::Frozen);
    }
}
