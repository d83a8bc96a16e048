//! The finalize role: pay out, batched, every withdrawal the newest final output covers (after a
//! freeze: the escape output, the newest the bridge still pays against).

use alloy::primitives::U256;
use alloy::sol_types::{SolCall, SolInterface};
use drawbridge_bindings::IL1Bridge;
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::config::Role;
use crate::error::{Error, Result};
use crate::relayer::{Outcome, Relayer, Side, describe_revert};
use crate::store::WithdrawalRow;

/// What to do after a batch.
enum Next {
    Continue,
    Stop,
}

impl Relayer {
    pub(crate) async fn finalize_round(&mut self) -> Result<()> {
        self.reconcile_role(crate::config::Role::Finalize).await?;
        self.follow_l2().await?;
        self.finalize_withdrawals().await
    }

    async fn finalize_withdrawals(&self) -> Result<()> {
        let oracle = self.output_oracle();
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        // Outputs can be deleted by a council verdict: read the newest final one afresh.
        let mut index = match oracle.latestFinalIndex().call().await {
            Ok(index) => index,
            Err(e) if e.as_revert_data().is_some() => return Ok(()), // none is final yet
            Err(e) => return Err(self.l1.rpc(format!("latestFinalIndex: {e}"))),
        };
        // After a freeze the bridge pays only up to the escape output (later outputs revert with
        // OutputAfterEscape), against the withdrawal root `freeze` snapshotted.
        let bridge = self.l1_bridge();
        let mut frozen_root = None;
        if bridge.frozen().call().await.map_err(l1)? {
            let escape = bridge.escapeOutput().call().await.map_err(l1)?;
            if !escape.hasEscapeOutput {
                return Ok(()); // no output was final at the freeze: nothing is payable
            }
            index = index.min(escape.outputIndex);
            if index == escape.outputIndex {
                frozen_root = Some(escape.withdrawalRoot);
            }
        }
        let mut output = oracle.getOutput(index).call().await.map_err(l1)?;
        if let Some(root) = frozen_root {
            output.withdrawalRoot = root;
        }
        let output_index: u64 = index.saturating_to();
        let block = output.l2BlockNumber;
        let scanned = self.store.cursor("l2").await?.map_or(0, |c| c.next_block);
        if scanned <= block {
            debug!(
                output = output_index,
                l2_block = block,
                scanned,
                "withdrawals not ingested up to the final output yet"
            );
            return Ok(());
        }
        let count = self.store.withdrawals_up_to_block(block).await?;
        if count == 0 {
            return Ok(());
        }
        if count > self.withdrawals.len() {
            return Err(Error::Inconsistent(format!(
                "{count} withdrawals stored up to L2 block {block} but the tree holds {}",
                self.withdrawals.len()
            )));
        }
        let ours = self.withdrawals.root_at(count)?;
        if ours != output.withdrawalRoot {
            error!(output = output_index, l2_block = block, count, output_root = %output.withdrawalRoot, ours = %ours, "ALERT: final output's withdrawal root differs from the L2 withdrawals");
            return Err(Error::Inconsistent(format!(
                "final output {output_index} (L2 block {block}) has withdrawalRoot {} but the {count} withdrawals up to that block hash to {ours}: not finalizing against it",
                output.withdrawalRoot
            )));
        }
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
                Side::L1,
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
