//! The watchdog role: re-check every output proposed on the OutputOracle against this relayer's own
//! L2 node, challenge a wrong one with the challenger bond inside its window, and check that every
//! L1 root published on L2 was committed on L1.
//!
//! Each round it
//! 1. follows the OutputOracle's events (`OutputProposed`, `OutputChallenged`, `DisputeResolved`,
//!    `OutputsDeleted`) up to `l1 head - l1_confirmations`, storing one row per proposal with its
//!    status (a range and the cursor in one transaction, like the other roles' ingestion);
//! 2. recomputes each unchecked output once its L2 block is confirmed on the L2 node: the block
//!    hash and state root of that block, and `L2Bridge.withdrawalRoot()`,
//!    `L2Bridge.l1MessagesProcessed()` and `L2Bridge.l1MessageRoot()` called at that block
//!    (compared with the `l1MessageRoot` of `OutputProposed`). Any difference makes it `wrong`
//!    (the finalize role runs the same recomputation before paying against a final output);
//! 3. challenges every wrong output that is still `Proposed` and inside its window, through the
//!    exactly-once submission path ([`Work::Challenge`] names the output by index and by the hash
//!    of its fields, so a reused index is never challenged by mistake); chain state (the output's
//!    status) is re-read before every send, so a restart or a second watchdog never challenges
//!    twice, and the contract refuses a second challenge anyway;
//! 4. follows `RootPublished` of the L2 `L1RootOracle` up to the confirmed L2 head and looks each
//!    root up with `L1Bridge.messageRootCount(root)`: a root L1 never committed (or committed
//!    for another count) raises the `unknown_l1_root` alert until L1 shows it;
//! 5. follows L1's messages (each range checked against `messageRoot()`/`messageCount()` at the
//!    confirmed block, [`chains`]) and the L2 bridge's `MessageProcessed`,
//!    `WithdrawalInitiated` and `BridgedTokenDeployed` events, compares every leaf L2 consumed
//!    with L1's leaf at that nonce (the first difference raises `forged_l1_message`; every output
//!    past it claims an `l1MessageRoot` that differs from L2's and is challenged by step 3), and
//!    runs the conservation monitor ([`conservation`], `unbacked_supply`).
//!
//! Findings that need an operator (a wrong output not challenged, a window missed, a wrong output
//! the council upheld, an unknown L1 root, a forged L1 message, an unbacked token, L1 logs that
//! contradict L1 state) make `/health` unhealthy and count in
//! `drawbridge_relayer_watchdog_problems`; `/watchdog` and `/outputs` show the verdicts.

use std::collections::BTreeMap;

use alloy::primitives::U256;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};
use drawbridge_bindings::{IL1RootOracle, IOutputOracle};
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::claim::differences;
use crate::context::{Context, Layer, Outcome, describe_revert};
use crate::error::{Error, Result};
use crate::events::{decode_output_event, position};
use crate::follow::LogRange;
use crate::role::Role;
use crate::store::watch_outputs::{OUTPUTS_CURSOR, ROOTS_CURSOR};
use crate::store::watch_outputs::{WatchedOutput, WatchedRoot};
use crate::store::{Cursor, Fence};

mod chains;
mod conservation;

/// `window_open(index)` tells whether a proposed output can still be challenged.
pub(crate) fn problems(
    wrong_live: &[WatchedOutput],
    missed: &[u64],
    unconfirmed_roots: &[WatchedRoot],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for o in wrong_live {
        let what = format!(
            "output {} (L2 block {}) is wrong: {}",
            o.index,
            o.claim.l2_block,
            o.reason.as_deref().unwrap_or("?")
        );
        let problem = match o.status.as_str() {
            "proposed" if missed.contains(&o.index) => Some(format!(
                "{what}; its challenge window closed before it was challenged"
            )),
            "proposed" => Some(format!("{what}; not challenged yet")),
            "upheld" => Some(format!("{what}; the council upheld it")),
            // Challenged: the dispute is with the council; nothing for the operator to do.
            _ => None,
        };
        if let Some(problem) = problem {
            out.insert(format!("output:{}", o.id), problem);
        }
    }
    for r in unconfirmed_roots {
        let problem = match r.l1_count {
            None => continue, // not looked up yet
            Some(0) => format!(
                "L1 root {} (count {}) published on L2 in block {} was never committed on L1",
                r.root, r.count, r.l2_block
            ),
            Some(n) => format!(
                "L1 root {} published on L2 in block {} for {} messages was committed on L1 for {n}",
                r.root, r.l2_block, r.count
            ),
        };
        out.insert(format!("root:{}", r.root), problem);
    }
    out
}

impl Context {
    /// One watchdog round: follow outputs, judge them, challenge the wrong ones, check L1 roots.
    pub(crate) async fn watchdog_round(&mut self) -> Result<()> {
        let fence = self.fence(Role::Watchdog)?;
        self.watch_follow_outputs(&fence).await?;
        // An output the L2 node cannot recompute (an RPC error, state pruned) must not keep later
        // outputs from being judged and challenged: the error is returned after the challenges.
        let check = self.watch_check_outputs(&fence).await;
        let missed = self.watch_challenge().await?;
        self.watch_roots(&fence).await?;
        let wrong = self.store.watch_wrong_live().await?;
        let roots = self.store.watch_roots_unconfirmed().await?;
        let mut found = problems(&wrong, &missed, &roots);
        // What L2 consumed against what L1 sent, and what L2 holds against what L1 escrows. A
        // node whose L1 logs contradict L1 state is a finding here, not a halt: the watchdog
        // keeps judging and challenging outputs.
        // Their RPC errors are returned at the end of the round, after the findings are set.
        let consumed = self.watch_consumed_and_backing(&fence, &mut found).await;
        let known = self.metrics.watchdog_problem_keys();
        for (key, problem) in &found {
            // Alert once when a window is missed (the other findings alert where they are made).
            if key.starts_with("output:")
                && problem.contains("window closed")
                && !known.contains(key)
            {
                error!(%problem, "ALERT: watchdog: the challenge window of a wrong output closed before it was challenged");
                self.metrics.alert("challenge_missed");
            }
        }
        self.metrics.set_watchdog_problems(found);
        check.and(consumed)
    }

    /// The leaf comparison and the conservation monitor, adding their findings to `found`; a
    /// failing step keeps the findings it had (the monitor's last ones included).
    async fn watch_consumed_and_backing(
        &mut self,
        fence: &Fence,
        found: &mut BTreeMap<String, String>,
    ) -> Result<()> {
        let mut first_error = None;
        match self.watch_follow_l1_messages(fence).await {
            Ok(()) => {}
            Err(Error::L1LogsInconsistent(reason)) => {
                let key = "l1_logs".to_string();
                if !self.metrics.watchdog_problem_keys().contains(&key) {
                    self.metrics.alert("l1_logs_inconsistent");
                }
                found.insert(
                    key,
                    format!(
                        "the L1 node's logs contradict L1 state, nothing stored from them: {reason}"
                    ),
                );
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
        let l2_at = match self.watch_follow_l2_bridge(fence).await {
            Ok(at) => at,
            Err(error) => {
                first_error.get_or_insert(error);
                None
            }
        };
        match self.watch_check_forged().await {
            Ok(Some((key, problem))) => {
                found.insert(key, problem);
            }
            Ok(None) => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
        match self.watch_conservation(fence, l2_at).await {
            Ok(problems) => found.extend(problems),
            Err(error) => {
                warn!(%error, "watchdog: conservation check failed; keeping its last findings");
                found.extend(self.conservation.problems.clone());
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Where a watchdog scan of `chain` resumes, checking the block before it kept its hash.
    pub(crate) async fn watch_cursor(&self, side: Layer, key: &str) -> Result<Cursor> {
        let chain = self.chain(side);
        let deploy_block = match side {
            Layer::L1 => self.config.deployment.l1.deploy_block,
            Layer::L2 => self.config.deployment.l2.deploy_block,
        };
        let cursor = self.store.cursor(key).await?.unwrap_or(Cursor {
            next_block: deploy_block,
            last_block_hash: None,
        });
        if let Some(expected) = cursor.last_block_hash {
            let number = cursor.next_block.saturating_sub(1);
            let (hash, _) = chain.block(number).await?;
            if hash != expected {
                error!(chain = chain.name, block = number, %expected, actual = %hash, "ALERT: watchdog: reorg deeper than the confirmation depth");
                return Err(Error::Inconsistent(format!(
                    "{} block {number} was {expected} when the watchdog scanned it and is {hash} now: \
                     a reorg deeper than {} confirmations",
                    chain.name, chain.confirmations
                )));
            }
        }
        Ok(cursor)
    }

    /// Ingests the OutputOracle's events up to the confirmed L1 head.
    async fn watch_follow_outputs(&self, fence: &Fence) -> Result<()> {
        let target = self.l1.confirmed_head().await?;
        let mut cursor = self.watch_cursor(Layer::L1, OUTPUTS_CURSOR).await?;
        let filter = Filter::new()
            .address(self.config.deployment.l1.output_oracle)
            .event_signature(vec![
                IOutputOracle::OutputProposed::SIGNATURE_HASH,
                IOutputOracle::OutputChallenged::SIGNATURE_HASH,
                IOutputOracle::DisputeResolved::SIGNATURE_HASH,
                IOutputOracle::OutputsDeleted::SIGNATURE_HASH,
            ]);
        while let Some(LogRange {
            from,
            to,
            logs,
            next,
        }) = self.next_logs(Layer::L1, &cursor, target, &filter).await?
        {
            let mut events = Vec::new();
            for log in &logs {
                if let Some(event) = decode_output_event(log)? {
                    events.push(event);
                }
            }
            self.store
                .watch_ingest_outputs(fence, &events, next)
                .await?;
            if !events.is_empty() {
                debug!(
                    from,
                    to,
                    events = events.len(),
                    "watchdog: OutputOracle events ingested"
                );
            }
            cursor = next;
        }
        Ok(())
    }

    /// Judges every unchecked output whose block the L2 node has confirmed.
    async fn watch_check_outputs(&self, fence: &Fence) -> Result<()> {
        let mut first_error = None;
        for output in self.store.watch_unchecked().await? {
            let actual = match self.recompute(output.claim.l2_block).await {
                Ok(actual) => actual,
                Err(error) => {
                    warn!(output = output.index, l2_block = output.claim.l2_block, %error, "watchdog: cannot recompute this output yet");
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            let Some(actual) = actual else {
                debug!(
                    output = output.index,
                    l2_block = output.claim.l2_block,
                    "watchdog: the L2 node has not confirmed this block yet"
                );
                continue;
            };
            let diffs = differences(&output.claim, &actual);
            if diffs.is_empty() {
                self.store.watch_set_verdict(fence, &output, None).await?;
                self.metrics.output_checked(false);
                info!(
                    output = output.index,
                    l2_block = output.claim.l2_block,
                    "watchdog: output checked, correct"
                );
            } else {
                let reason = diffs.join("; ");
                self.store
                    .watch_set_verdict(fence, &output, Some(&reason))
                    .await?;
                self.metrics.output_checked(true);
                self.metrics.alert("wrong_output");
                error!(output = output.index, l2_block = output.claim.l2_block, proposer = %output.proposer, %reason, "ALERT: watchdog: wrong output");
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Whether the challenge of output `index` (identity `id`) needs doing no more: the output is
    /// Challenges every live wrong output that is still `Proposed` on chain. Returns the indexes
    /// whose window closed before a challenge.
    async fn watch_challenge(&self) -> Result<Vec<u64>> {
        let wrong: Vec<WatchedOutput> = self
            .store
            .watch_wrong_live()
            .await?
            .into_iter()
            .filter(|o| o.status == "proposed")
            .collect();
        if wrong.is_empty() {
            return Ok(Vec::new());
        }
        let oracle = self.output_oracle();
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let period = oracle.challengePeriod().call().await.map_err(l1)?;
        let bond = oracle.challengerBond().call().await.map_err(l1)?;
        let mut missed = Vec::new();
        for output in wrong {
            // Chain state decides, right before the send.
            if self.challenge_done(output.index, output.id).await? {
                continue;
            }
            let on_chain = oracle
                .getOutput(U256::from(output.index))
                .call()
                .await
                .map_err(l1)?;
            let now = self.l1_time().await?;
            let closes = on_chain.proposedAt.saturating_add(period);
            if now >= closes {
                // Reported (and alerted once per output) by the round, from `missed`.
                debug!(
                    output = output.index,
                    closed_at = closes,
                    "watchdog: the challenge window of a wrong output is closed"
                );
                missed.push(output.index);
                continue;
            }
            let (work, call) = self.challenge_work(&output, bond);
            info!(output = output.index, seconds_left = closes - now, %bond, "watchdog: challenging a wrong output");
            match self.submit(Layer::L1, work, call).await? {
                Outcome::Done => {
                    let after = oracle
                        .getOutput(U256::from(output.index))
                        .call()
                        .await
                        .map_err(l1)?;
                    if after.challenger == self.l1.from {
                        self.metrics.challenge_sent();
                        info!(output = output.index, "watchdog: challenge landed");
                    } else {
                        info!(output = output.index, challenger = %after.challenger, "watchdog: output challenged by another account");
                    }
                }
                Outcome::WouldRevert(data) => {
                    warn!(output = output.index, reason = %describe_revert::<IOutputOracle::IOutputOracleErrors>(&data), "watchdog: challenge would revert");
                }
                Outcome::Reverted | Outcome::Pending | Outcome::Blocked => {}
            }
        }
        Ok(missed)
    }

    /// The challenge of `output` with `bond`, as recorded and sent.
    pub(crate) fn challenge_work(&self, output: &WatchedOutput, bond: U256) -> (Work, Call) {
        let call = Call::new(
            self.config.deployment.l1.output_oracle,
            IOutputOracle::challengeCall {
                index: U256::from(output.index),
            }
            .abi_encode(),
        )
        .with_value(bond);
        let work = Work::Challenge {
            output_index: output.index,
            output: output.id,
        };
        (work, call)
    }

    /// Latest L1 block timestamp (the contracts' clock).
    async fn l1_time(&self) -> Result<u64> {
        Ok(self.l1.latest_header().await?.timestamp)
    }

    /// Ingests `RootPublished` events up to the confirmed L2 head and looks every root L1 has not
    /// confirmed yet up on L1.
    async fn watch_roots(&self, fence: &Fence) -> Result<()> {
        let target = self.l2.confirmed_head().await?;
        let mut cursor = self.watch_cursor(Layer::L2, ROOTS_CURSOR).await?;
        let filter = Filter::new()
            .address(self.config.deployment.l2.root_oracle)
            .event_signature(IL1RootOracle::RootPublished::SIGNATURE_HASH);
        while let Some(range) = self.next_logs(Layer::L2, &cursor, target, &filter).await? {
            let mut roots = Vec::new();
            for log in &range.logs {
                let (block, _) = position("l2", log)?;
                let e = log
                    .log_decode::<IL1RootOracle::RootPublished>()
                    .map_err(|e| self.l2.rpc(format!("undecodable RootPublished: {e}")))?
                    .inner
                    .data;
                roots.push((e.root, e.count, block));
            }
            self.store
                .watch_ingest_roots(fence, &roots, range.next)
                .await?;
            cursor = range.next;
        }
        let bridge = self.l1_bridge();
        let mut checked = 0;
        for root in self.store.watch_roots_unconfirmed().await? {
            let l1_count = bridge
                .messageRootCount(root.root)
                .call()
                .await
                .map_err(|e| self.l1.rpc(format!("messageRootCount: {e}")))?;
            checked += 1;
            let first_look = root.l1_count.is_none();
            let was_bad = root.l1_count.is_some();
            self.store
                .watch_set_root_check(fence, root.root, l1_count)
                .await?;
            if l1_count == root.count {
                if was_bad {
                    info!(root = %root.root, "watchdog: L1 root now confirmed on L1");
                }
            } else if first_look || root.l1_count != Some(l1_count) {
                self.metrics.alert("unknown_l1_root");
                error!(root = %root.root, count = root.count, l1_count, l2_block = root.l2_block, "ALERT: watchdog: an L1 root published on L2 is not committed on L1 for that count");
            }
        }
        self.metrics.roots_checked(checked);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
