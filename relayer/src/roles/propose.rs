//! The propose role: post an output every `output_interval` L2 blocks, release and withdraw bonds.

use alloy::eips::BlockId;
use alloy::primitives::{B256, U256};
use alloy::sol_types::{SolCall, SolInterface};
use drawbridge_bindings::IOutputOracle;
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::consumed::{Consumed, first_forged};
use crate::context::{ClaimAt, Context, Layer, Outcome, describe_revert};
use crate::error::{Error, Result};
use crate::role::Role;

/// `meta` key of the first output index whose bond the relayer has not handled yet.
const BOND_CURSOR: &str = "bond_cursor";

/// The newest checkpoint block (a positive multiple of `interval`) at or below `confirmed`.
pub(crate) fn checkpoint(confirmed: u64, interval: u64) -> u64 {
    confirmed / interval * interval
}

/// How many committed counts the propose role tries when L2 stands between two of them.
const COMMITTED_COUNTS_TRIED: u64 = 16;

impl Context {
    pub(crate) async fn propose_round(&mut self) -> Result<()> {
        self.reconcile_role(crate::role::Role::Propose).await?;
        // Bonds are collected even while proposing is refused (a forged L1 message halts it).
        let proposed = self.propose_output().await;
        let collected = self.collect_bonds().await;
        proposed?;
        collected
    }

    /// Proposes an output for the newest confirmed checkpoint block above the last proposed one,
    /// if L2 consumed there exactly the messages of a root L1 committed. Otherwise, when L2 only
    /// stands between two committed counts (a relay batch ended inside a root), it proposes the
    /// newest confirmed block above the last output at a committed count, or waits; when L2
    /// consumed a message L1 never sent, it proposes nothing and fails with
    /// [`Error::ForgedL1Message`] (the role halts with the `forged_l1_message` alert).
    async fn propose_output(&mut self) -> Result<()> {
        // Only blocks `l2_confirmations` below the followed L2 head are proposed, and the output's
        // fields are read at the followed block hash: a shallow L2 reorg never makes a wrong output.
        let followed = self.track_head(Role::Propose, &self.l2, 0).await?;
        let target = checkpoint(followed.confirmed, self.config.output_interval);
        let deploy_block = self.config.deployment.l2.deploy_block;
        if target == 0 || target < deploy_block {
            return Ok(());
        }
        let last = self.last_output_block().await?;
        if last.is_some_and(|last| last >= target) {
            return Ok(());
        }
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        if self.l1_bridge().frozen().call().await.map_err(l1)? {
            debug!("the bridge is frozen: no new outputs");
            return Ok(());
        }
        let (target_hash, _) = self.l2.block(target).await?;
        followed.check(&self.l2, target, target_hash)?;
        let consumed = self.consumed_at(BlockId::hash(target_hash)).await?;
        let (l1_block, l1_hash) = self.l1_confirmed_block().await?;
        let block = if self.l1_committed(consumed, l1_hash).await? {
            target
        } else {
            // Another relayer may have ingested L1 messages while this one stood by.
            self.store.extend_message_tree(&mut self.messages).await?;
            self.check_consumed(consumed, last, target, l1_hash).await?;
            let low = last
                .map_or(deploy_block, |l| l + 1)
                .max(deploy_block.max(1));
            match self
                .newest_committed_block(low, target, consumed.processed, l1_hash)
                .await?
            {
                Some(block) => {
                    info!(
                        checkpoint = target,
                        l2_block = block,
                        l1_messages_processed = consumed.processed,
                        "L2 stands between two committed L1 message counts at the checkpoint: proposing the newest block at a committed count"
                    );
                    block
                }
                None => {
                    debug!(
                        checkpoint = target,
                        l1_messages_processed = consumed.processed,
                        l1_block,
                        "no confirmed L2 block above the last output consumed a count L1 committed yet; waiting"
                    );
                    return Ok(());
                }
            }
        };
        let (block_hash, state_root) = self.l2.block(block).await?;
        followed.check(&self.l2, block, block_hash)?;
        let claim = self
            .read_claim(block, block_hash, state_root, ClaimAt::Hash)
            .await?;
        let consumed = Consumed {
            processed: claim.l1_messages_processed,
            root: claim.l1_message_root.unwrap_or_default(),
        };
        if !self.l1_committed(consumed, l1_hash).await? {
            // The chain moved under the search (a reorg inside the window): re-read next round.
            return Err(Error::Reorg {
                chain: self.l2.name,
                message: format!(
                    "L2 block {block} no longer consumed a count L1 committed when re-read"
                ),
            });
        }
        let withdrawal_root = claim.withdrawal_root;
        let oracle = self.output_oracle();
        let bond = oracle.proposerBond().call().await.map_err(l1)?;
        let call = Call::new(
            *oracle.address(),
            IOutputOracle::proposeCall {
                l2BlockNumber: block,
                l2BlockHash: block_hash,
                l2StateRoot: state_root,
                withdrawalRoot: withdrawal_root,
                l1MessagesProcessed: consumed.processed,
                l1MessageRoot: consumed.root,
            }
            .abi_encode(),
        )
        .with_value(bond);
        match self
            .submit(Layer::L1, Work::Propose { l2_block: block }, call)
            .await?
        {
            Outcome::Done => {
                info!(l2_block = block, %block_hash, %withdrawal_root, l1_messages_processed = consumed.processed, l1_message_root = %consumed.root, "output proposed")
            }
            Outcome::WouldRevert(data) => {
                let reason = describe_revert::<IOutputOracle::IOutputOracleErrors>(&data);
                if matches!(
                    IOutputOracle::IOutputOracleErrors::abi_decode(&data),
                    Ok(IOutputOracle::IOutputOracleErrors::NotProposer(_))
                ) {
                    debug!("not the proposer, and proposerTimeout has not passed");
                } else {
                    warn!(l2_block = block, %reason, "propose would revert");
                }
            }
            Outcome::Reverted | Outcome::Pending | Outcome::Blocked => {}
        }
        Ok(())
    }

    /// Called when L2's consumed root at the checkpoint is not a root L1 committed for its count:
    /// compares it with the root of L1's own first `processed` leaves (the relayer's verified
    /// messages). Equal: L2 stands between two committed counts (fine). Different, or more
    /// messages consumed than L1 ever sent: a forged message; finds the first nonce whose
    /// processed leaf differs and fails with [`Error::ForgedL1Message`]. Unknown (the relayer has
    /// not ingested that many L1 messages yet): fine for now.
    async fn check_consumed(
        &self,
        consumed: Consumed,
        last_output_block: Option<u64>,
        target: u64,
        l1_hash: B256,
    ) -> Result<()> {
        let known = self.messages.len();
        let forged = if consumed.processed <= known {
            self.messages.root_at(consumed.processed)? != consumed.root
        } else {
            let sent = self
                .l1_bridge()
                .messageCount()
                .call()
                .await
                .map_err(|e| self.l1.rpc(format!("messageCount: {e}")))?;
            consumed.processed > sent
        };
        if !forged {
            return Ok(());
        }
        // Where to start looking: after the last output if L2's state there consumed L1's messages.
        let mut from = self.config.deployment.l2.deploy_block;
        if let Some(block) = last_output_block {
            let before = self.consumed_at(BlockId::number(block)).await?;
            if before.processed <= known
                && self.messages.root_at(before.processed)? == before.root
                && self.l1_committed(before, l1_hash).await?
            {
                from = block + 1;
            }
        }
        let processed = self.processed_leaves(from, target).await?;
        let sent = self
            .l1_bridge()
            .messageCount()
            .block(BlockId::hash(l1_hash))
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("messageCount: {e}")))?
            .max(known);
        match first_forged(&processed, |n| self.messages.leaf(n), sent) {
            Some((nonce, l2_leaf, l1_leaf)) => {
                error!(nonce, %l2_leaf, l1_leaf = ?l1_leaf, l2_block = target, "ALERT: L2 consumed an L1 message L1 never sent; proposing nothing (see docs/operators.md, \"Halts\")");
                Err(Error::ForgedL1Message {
                    nonce,
                    l2_leaf,
                    l1_leaf,
                })
            }
            None => Err(Error::Inconsistent(format!(
                "L2's consumed-message root at block {target} ({} for {} messages) is not L1's, but no MessageProcessed log since block {from} differs from L1's leaf",
                consumed.root, consumed.processed
            ))),
        }
    }

    /// The newest L2 block in `low..=high` whose consumed messages are a count L1 committed (at
    /// most `processed`, the count at `high`), by binary search over block numbers
    /// (`l1MessagesProcessed` never decreases). Candidates: the committed roots the relayer
    /// ingested, L1's last committed root, and zero.
    async fn newest_committed_block(
        &self,
        low: u64,
        high: u64,
        processed: u64,
        l1_hash: B256,
    ) -> Result<Option<u64>> {
        if low > high {
            return Ok(None);
        }
        let mut counts: Vec<u64> = self
            .store
            .roots_up_to(processed, COMMITTED_COUNTS_TRIED)
            .await?
            .into_iter()
            .map(|r| r.count)
            .collect();
        let last = self
            .l1_bridge()
            .lastCommittedRoot()
            .block(BlockId::hash(l1_hash))
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("lastCommittedRoot: {e}")))?;
        if last.count <= processed {
            counts.push(last.count);
        }
        counts.push(0);
        counts.sort_unstable_by(|a, b| b.cmp(a));
        counts.dedup();
        let processed_at = |block: u64| async move {
            Ok::<_, Error>(self.consumed_at(BlockId::number(block)).await?.processed)
        };
        for count in counts {
            if processed_at(low).await? > count {
                // Every block of the range consumed more: a smaller count cannot be found either.
                return Ok(None);
            }
            // The newest block in low..=high with at most `count` messages consumed.
            let (mut lo, mut hi) = (low, high);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if processed_at(mid).await? <= count {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            let consumed = self.consumed_at(BlockId::number(lo)).await?;
            if consumed.processed == count && self.l1_committed(consumed, l1_hash).await? {
                return Ok(Some(lo));
            }
        }
        Ok(None)
    }

    /// Releases the bonds of final outputs this account proposed, then withdraws its credit.
    async fn collect_bonds(&self) -> Result<()> {
        let oracle = self.output_oracle();
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let mut next: u64 = self
            .store
            .meta(BOND_CURSOR)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let count: u64 = oracle
            .outputCount()
            .call()
            .await
            .map_err(l1)?
            .saturating_to();
        // Finality runs in index order and final outputs are never deleted, so the cursor only
        // ever passes final outputs.
        while next < count {
            let index = U256::from(next);
            if !oracle.isFinal(index).call().await.map_err(l1)? {
                break;
            }
            let output = oracle.getOutput(index).call().await.map_err(l1)?;
            if output.proposer == self.l1.from {
                let call = Call::new(
                    *oracle.address(),
                    IOutputOracle::releaseBondCall { index }.abi_encode(),
                );
                match self
                    .submit(Layer::L1, Work::ReleaseBond { output_index: next }, call)
                    .await?
                {
                    Outcome::Done => info!(output = next, "bond released"),
                    Outcome::WouldRevert(data) => {
                        match IOutputOracle::IOutputOracleErrors::abi_decode(&data) {
                            Ok(IOutputOracle::IOutputOracleErrors::BondAlreadyReleased(_)) => {}
                            _ => {
                                warn!(output = next, reason = %describe_revert::<IOutputOracle::IOutputOracleErrors>(&data), "releaseBond would revert");
                                break;
                            }
                        }
                    }
                    Outcome::Reverted | Outcome::Pending | Outcome::Blocked => break,
                }
            }
            next += 1;
            self.store
                .set_meta(&self.fence(Role::Propose)?, BOND_CURSOR, &next.to_string())
                .await?;
        }
        let credit = oracle.bondCredit(self.l1.from).call().await.map_err(l1)?;
        if !credit.is_zero() {
            let call = Call::new(
                *oracle.address(),
                IOutputOracle::withdrawBondCall {}.abi_encode(),
            );
            match self.submit(Layer::L1, Work::WithdrawBond, call).await? {
                Outcome::Done => info!(%credit, "bond credit withdrawn"),
                Outcome::WouldRevert(data) => {
                    warn!(reason = %describe_revert::<IOutputOracle::IOutputOracleErrors>(&data), "withdrawBond would revert")
                }
                Outcome::Reverted | Outcome::Pending | Outcome::Blocked => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_forged_message_is_the_lowest_nonce_whose_leaf_is_not_l1s() {
        let l1 = [
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
        ];
        let leaf = |n: u64| l1.get(n as usize).copied();
        // Honest: every processed leaf is L1's.
        let honest: Vec<(u64, B256)> = (0..3).map(|n| (n, l1[n as usize])).collect();
        assert_eq!(first_forged(&honest, leaf, 3), None);
        // A forged leaf at nonce 1 (logs in any order): named with both leaves.
        let forged = vec![
            (2, B256::repeat_byte(9)),
            (0, l1[0]),
            (1, B256::repeat_byte(8)),
        ];
        assert_eq!(
            first_forged(&forged, leaf, 3),
            Some((1, B256::repeat_byte(8), Some(l1[1])))
        );
        // A message at a nonce L1 never sent (the rogue publisher's "next nonce").
        let beyond = vec![
            (0, l1[0]),
            (1, l1[1]),
            (2, l1[2]),
            (3, B256::repeat_byte(7)),
        ];
        assert_eq!(
            first_forged(&beyond, leaf, 3),
            Some((3, B256::repeat_byte(7), None))
        );
        // A leaf the relayer does not know yet (below L1's count) is not judged.
        assert_eq!(first_forged(&[(5, B256::repeat_byte(5))], leaf, 9), None);
    }

    #[test]
    fn checkpoints_are_multiples_of_the_interval() {
        assert_eq!(checkpoint(0, 5), 0);
        assert_eq!(checkpoint(4, 5), 0);
        assert_eq!(checkpoint(5, 5), 5);
        assert_eq!(checkpoint(14, 5), 10);
        assert_eq!(checkpoint(7, 1), 7);
    }
}
