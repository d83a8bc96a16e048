//! The finalize role: pay out, batched, every withdrawal the newest good final output covers
//! (after a freeze: at most the escape output, the newest the bridge still pays against).
//!
//! "Good": before paying against a final output the role checks it with what it knows itself, and
//! refuses an output it knows is wrong (the `wrong_output_not_finalized` alert, `/health` 503):
//! - the withdrawal root: its own tree of the L2 withdrawals up to the output's block;
//! - (a) L1's messages: the leaves L2 consumed (`MessageProcessed`, from the L2 node's logs) at
//!   every nonce below the output's `l1MessagesProcessed`, against L1's leaves as the relayer
//!   verified them (the deliver role's, on the same database): a nonce where L2 consumed another
//!   leaf than L1 sent makes the output wrong;
//! - (b) the L2 node: block hash, state root, `withdrawalRoot()`, `l1MessagesProcessed()` and
//!   `l1MessageRoot()` at the output's block, recomputed and compared exactly as the watchdog does
//!   ([`Relayer::recompute`], [`differences`]); the output's `l1MessageRoot` is L1's root for its
//!   count (the contract refuses any other).
//!
//! A refused output is skipped, not halted on: the role pays against the newest older final output
//! that passes, so the withdrawals it contains are paid and only those waiting on the wrong output
//! stay unpaid. When the L2 node cannot answer at the output's block (pruned state) the role
//! relies on (a) if (a) could judge every nonce, and otherwise waits and retries.

use std::collections::BTreeMap;

use alloy::primitives::{B256, U256};
use alloy::sol_types::{SolCall, SolInterface};
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::claim::{Claim, differences, output_id};
use crate::consumed::{Consumed, first_forged};
use crate::context::Verdict;
use crate::context::{Context, Layer, Outcome, describe_revert};
use crate::error::{Error, Result};
use crate::payable::read_payable;
use crate::role::Role;
use crate::store::WithdrawalRow;

/// What to do after a batch.
enum Next {
    Continue,
    Stop,
}

/// What the leaf comparison (a) says about an output that consumed `count` messages.
enum Leaves {
    /// Every nonce below the count: L2 consumed L1's leaf.
    Match,
    /// Not every nonce below the count could be compared (L1's or L2's leaf unknown yet).
    Unknown,
    /// A nonce below the count where L2 consumed another leaf than L1 sent.
    Forged(String),
}

impl Context {
    pub(crate) async fn finalize_round(&mut self) -> Result<()> {
        self.reconcile_role(crate::role::Role::Finalize).await?;
        self.follow_l2().await?;
        self.finalize_withdrawals().await
    }

    async fn finalize_withdrawals(&mut self) -> Result<()> {
        // Outputs can be deleted by a council verdict: read the newest final one afresh. After a
        // freeze the bridge pays only up to the escape output (later outputs revert with
        // OutputAfterEscape), against the withdrawal root `freeze` snapshotted.
        let bridge = self.l1_bridge();
        let payable = read_payable(&self.l1, &self.output_oracle(), &bridge).await?;
        let Some(index) = payable.newest() else {
            return Ok(()); // none is final yet, or none was at the freeze: nothing is payable
        };
        let Some((output_index, count)) = self.payable_output(index, payable.escape).await? else {
            return Ok(());
        };
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        // The `finalized` cache is only set for finalizations `l1_confirmations` deep: one that a
        // shallow L1 reorg removes is seen unfinalized again and sent again.
        let l1_confirmed = alloy::eips::BlockId::number(self.l1.confirmed_head().await?);
        let mut from = 0;
        loop {
            let rows = self
                .store
                .unfinalized_withdrawals(from, count, self.config.finalize_batch_size)
                .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            from = last.withdrawal.nonce + 1;
            // Chain state decides, right before the send.
            let mut todo = Vec::with_capacity(rows.len());
            let mut done = Vec::new();
            for row in rows {
                let nonce = row.withdrawal.nonce;
                if !bridge
                    .isWithdrawalFinalized(nonce)
                    .call()
                    .await
                    .map_err(l1)?
                {
                    todo.push(row);
                } else if bridge
                    .isWithdrawalFinalized(nonce)
                    .block(l1_confirmed)
                    .call()
                    .await
                    .map_err(l1)?
                {
                    done.push(nonce);
                }
            }
            self.store
                .mark_finalized(&self.fence(Role::Finalize)?, &done)
                .await?;
            if todo.is_empty() {
                continue;
            }
            match self.finalize_batch(&todo, output_index, count).await? {
                Next::Continue => {}
                Next::Stop => return Ok(()),
            }
        }
    }

    /// The newest final output at or below `newest` that this relayer pays against, with the
    /// number of withdrawals it covers: outputs it finds wrong are refused (alerted once each,
    /// listed on `/health`) and the next older one is checked. `None`: nothing to pay yet (no
    /// withdrawal, withdrawals not ingested up to the output, an output it cannot judge yet, or
    /// every final output refused). `escape` is the escape output's index and the withdrawal root
    /// `freeze` snapshotted for it.
    async fn payable_output(
        &mut self,
        newest: u64,
        escape: Option<(u64, B256)>,
    ) -> Result<Option<(u64, u64)>> {
        let oracle = self.output_oracle();
        let scanned = self.store.cursor("l2").await?.map_or(0, |c| c.next_block);
        let mut refused = BTreeMap::new();
        let mut index = newest;
        let chosen = loop {
            let output = oracle
                .getOutput(U256::from(index))
                .call()
                .await
                .map_err(|e| self.l1.rpc(format!("getOutput({index}): {e}")))?;
            let block = output.l2BlockNumber;
            if scanned <= block {
                debug!(
                    output = index,
                    l2_block = block,
                    scanned,
                    "withdrawals not ingested up to the final output yet"
                );
                break None;
            }
            let count = self.store.withdrawals_up_to_block(block).await?;
            if count == 0 {
                break None; // older outputs cover no withdrawal either
            }
            if count > self.withdrawals.len() {
                return Err(Error::Inconsistent(format!(
                    "{count} withdrawals stored up to L2 block {block} but the tree holds {}",
                    self.withdrawals.len()
                )));
            }
            let root = match escape {
                Some((escape_index, root)) if escape_index == index => root,
                _ => output.withdrawalRoot,
            };
            match self.judge_final_output(index, &output, root, count).await? {
                Some(Verdict::Good) => break Some((index, count)),
                Some(Verdict::Wrong(reason)) => {
                    refused.insert(
                        format!("output:{index}"),
                        format!(
                            "final output {index} (L2 block {block}) is wrong: {reason}; not finalizing against it (the withdrawals waiting on it stay unpaid by this relayer)"
                        ),
                    );
                    match index.checked_sub(1) {
                        Some(older) => index = older,
                        None => break None,
                    }
                }
                None => break None,
            }
        };
        if let Some((good, _)) = chosen {
            // Verdicts below the output paid against are not needed again.
            self.final_checks.verdicts.retain(|(i, _, _), _| *i >= good);
        }
        // Stopped before judging anything (a newer final output not ingested yet): the refusals
        // found before stand.
        if chosen.is_some() || !refused.is_empty() {
            self.metrics.set_finalize_problems(refused);
        }
        Ok(chosen)
    }

    /// Checks final output `index` (paid against with withdrawal root `root`, `count`
    /// withdrawals) with the relayer's own withdrawal tree, (a) its L1 messages and (b) the L2
    /// node; the verdict is kept for the output (a wrong one alerts once). `None`: it cannot be
    /// judged yet.
    async fn judge_final_output(
        &mut self,
        index: u64,
        output: &IOutputOracle::Output,
        root: B256,
        count: u64,
    ) -> Result<Option<Verdict>> {
        let claimed = Claim::of(output);
        let key = (index, output_id(index, output.proposer, &claimed), root);
        if let Some(verdict) = self.final_checks.verdicts.get(&key) {
            return Ok(Some(verdict.clone()));
        }
        let block = claimed.l2_block;
        let mut wrong = Vec::new();
        let ours = self.withdrawals.root_at(count)?;
        if ours != root {
            wrong.push(format!(
                "withdrawalRoot is {root} but the {count} withdrawals up to that block hash to {ours}"
            ));
        }
        let leaves = self
            .consumed_leaves(claimed.l1_messages_processed, block)
            .await?;
        let leaves_match = matches!(leaves, Leaves::Match);
        if let Leaves::Forged(reason) = leaves {
            wrong.push(reason);
        }
        // (b) The watchdog's recomputation; the output's l1MessageRoot is L1's root for its count.
        match self.recompute(block).await {
            Ok(Some(actual)) => {
                let mut claimed = claimed;
                let count = claimed.l1_messages_processed;
                claimed.l1_message_root = if count == 0 {
                    Some(B256::ZERO)
                } else if count <= self.messages.len() {
                    Some(self.messages.root_at(count)?)
                } else {
                    None
                };
                for diff in differences(&claimed, &actual) {
                    if !wrong.contains(&diff) {
                        wrong.push(diff);
                    }
                }
                if let (None, Some(root)) = (claimed.l1_message_root, actual.l1_message_root) {
                    // L1's leaves up to the count are not known here: ask L1 whether L2's root at
                    // the block is the root it committed for the claimed count.
                    let (_, l1_hash) = self.l1_confirmed_block().await?;
                    let consumed = Consumed {
                        processed: count,
                        root,
                    };
                    if !self.l1_committed(consumed, l1_hash).await? {
                        wrong.push(format!(
                            "l1MessageRoot is L1's root for {count} messages, the L2 node has {root}, which L1 never committed for {count} (L2 did not consume exactly L1's messages)"
                        ));
                    }
                }
            }
            Ok(None) if wrong.is_empty() => return Ok(None), // not confirmed on the L2 node yet
            Ok(None) => {}
            Err(error) if !wrong.is_empty() => {
                warn!(output = index, l2_block = block, %error, "cannot recompute the final output from the L2 node; it is wrong anyway");
            }
            Err(error) if leaves_match => {
                warn!(output = index, l2_block = block, %error, "cannot recompute the final output from the L2 node (pruned state?); relying on the L1 message leaves and the withdrawal tree");
            }
            Err(error) => {
                warn!(output = index, l2_block = block, %error, "cannot check the final output: the L2 node does not answer at its block and the relayer does not know L1's messages up to its count; not finalizing against it yet");
                return Err(error);
            }
        }
        let verdict = if wrong.is_empty() {
            Verdict::Good
        } else {
            let reason = wrong.join("; ");
            error!(output = index, l2_block = block, proposer = %output.proposer, %reason, "ALERT: a final output is wrong: not finalizing against it; paying against the newest older good one (see docs/operators.md, \"Halts\")");
            self.metrics.alert("wrong_output_not_finalized");
            Verdict::Wrong(reason)
        };
        self.final_checks.verdicts.insert(key, verdict.clone());
        Ok(Some(verdict))
    }

    /// (a) Compares the leaves L2 consumed below nonce `count` (`MessageProcessed` logs up to L2
    /// block `block`, the output's) with L1's leaves as this relayer verified them.
    async fn consumed_leaves(&mut self, count: u64, block: u64) -> Result<Leaves> {
        if count == 0 {
            return Ok(Leaves::Match);
        }
        // The deliver role (in this process or another on the same database) verified them.
        self.store.extend_message_tree(&mut self.messages).await?;
        let checks = &self.final_checks;
        let deploy_block = self.config.deployment.l2.deploy_block;
        if checks.forged.is_none()
            && (checks.processed.len() as u64) < count
            && checks.next_block.max(deploy_block) <= block
        {
            let from = checks.next_block.max(deploy_block);
            let leaves = self.processed_leaves(from, block).await?;
            let checks = &mut self.final_checks;
            for (nonce, leaf) in leaves {
                let expected = checks.processed.len() as u64;
                if nonce != expected {
                    return Err(Error::Inconsistent(format!(
                        "L2 MessageProcessed for nonce {nonce} in blocks {from}..={block} where {expected} was expected"
                    )));
                }
                checks.processed.push(leaf);
            }
            checks.next_block = block + 1;
        }
        let checks = &mut self.final_checks;
        let known = count
            .min(checks.processed.len() as u64)
            .min(self.messages.len());
        if checks.forged.is_none() && checks.matched < known {
            let pairs: Vec<(u64, B256)> = (checks.matched..known)
                .map(|n| (n, checks.processed[n as usize]))
                .collect();
            // Every nonce compared here is one L1 sent (the relayer holds its leaf).
            match first_forged(&pairs, |n| self.messages.leaf(n), u64::MAX) {
                Some(forged) => {
                    // Every leaf below the first forged one is L1's.
                    checks.matched = forged.0;
                    checks.forged = Some(forged);
                }
                None => checks.matched = known,
            }
        }
        Ok(match checks.forged {
            Some((nonce, l2_leaf, l1_leaf)) if nonce < count => Leaves::Forged(format!(
                "l1MessagesProcessed {count} covers nonce {nonce}, where L2 consumed leaf {l2_leaf} but L1 sent {}",
                l1_leaf.map_or_else(|| "no message".to_string(), |l| l.to_string())
            )),
            _ if checks.matched >= count => Leaves::Match,
            _ => Leaves::Unknown,
        })
    }

    fn claim(&self, row: &WithdrawalRow, count: u64) -> Result<IL1Bridge::WithdrawalClaim> {
        let w = &row.withdrawal;
        Ok(IL1Bridge::WithdrawalClaim {
            withdrawal: IL1Bridge::Withdrawal {
                nonce: w.nonce,
                sender: w.sender,
                recipient: w.recipient,
                l1Token: w.l1_token,
                amount: w.amount,
            },
            proof: self.withdrawals.proof(w.nonce, count)?,
        })
    }

    async fn send_claims(
        &self,
        rows: &[WithdrawalRow],
        output_index: u64,
        count: u64,
    ) -> Result<Outcome> {
        let claims = rows
            .iter()
            .map(|row| self.claim(row, count))
            .collect::<Result<Vec<_>>>()?;
        let bridge = self.l1_bridge();
        let call = Call::new(
            *bridge.address(),
            IL1Bridge::finalizeWithdrawalsCall {
                claims,
                outputIndex: U256::from(output_index),
            }
            .abi_encode(),
        );
        let nonces: Vec<u64> = rows.iter().map(|r| r.withdrawal.nonce).collect();
        let outcome = self
            .submit(
                Layer::L1,
                Work::FinalizeWithdrawals {
                    output_index,
                    nonces: nonces.clone(),
                },
                call,
            )
            .await?;
        if let Outcome::Done = outcome {
            // Marked finalized in the database once the finalization is confirmed (next rounds).
            info!(
                output = output_index,
                first = nonces[0],
                last = nonces[nonces.len() - 1],
                n = nonces.len(),
                "withdrawals finalized"
            );
        }
        Ok(outcome)
    }

    /// Finalizes one batch; when the batch as a whole would revert for a reason tied to one
    /// withdrawal, tries them one by one so that one bad withdrawal does not hold up the others.
    async fn finalize_batch(
        &self,
        rows: &[WithdrawalRow],
        output_index: u64,
        count: u64,
    ) -> Result<Next> {
        let data = match self.send_claims(rows, output_index, count).await? {
            Outcome::Done => return Ok(Next::Continue),
            Outcome::Reverted | Outcome::Pending | Outcome::Blocked => return Ok(Next::Stop),
            Outcome::WouldRevert(data) => data,
        };
        let reason = describe_revert::<IL1Bridge::IL1BridgeErrors>(&data);
        let whole_bridge = matches!(
            IL1Bridge::IL1BridgeErrors::abi_decode(&data),
            Ok(IL1Bridge::IL1BridgeErrors::BridgePaused(_)
                | IL1Bridge::IL1BridgeErrors::OutputNotFinal(_)
                | IL1Bridge::IL1BridgeErrors::EmptyBatch(_))
        );
        if whole_bridge || rows.len() == 1 {
            warn!(output = output_index, first = rows[0].withdrawal.nonce, n = rows.len(), %reason, "finalizeWithdrawals would revert");
            return Ok(if whole_bridge {
                Next::Stop
            } else {
                Next::Continue
            });
        }
        warn!(output = output_index, n = rows.len(), %reason, "batch would revert; trying its withdrawals one by one");
        for row in rows {
            match self
                .send_claims(std::slice::from_ref(row), output_index, count)
                .await?
            {
                Outcome::Done => {}
                Outcome::WouldRevert(data) => {
                    error!(nonce = row.withdrawal.nonce, reason = %describe_revert::<IL1Bridge::IL1BridgeErrors>(&data), "withdrawal cannot be finalized");
                }
                Outcome::Reverted | Outcome::Pending | Outcome::Blocked => return Ok(Next::Stop),
            }
        }
        Ok(Next::Continue)
    }
}
