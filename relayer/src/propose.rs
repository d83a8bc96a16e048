//! The propose role: post an output every `output_interval` L2 blocks, release and withdraw bonds.

use alloy::eips::BlockId;
use alloy::primitives::U256;
use alloy::sol_types::{SolCall, SolInterface};
use drawbridge_bindings::IOutputOracle;
use tracing::{debug, info, warn};

use crate::chain::{Call, Work};
use crate::config::Role;
use crate::error::Result;
use crate::relayer::{Outcome, Relayer, Side, describe_revert};

/// `meta` key of the first output index whose bond the relayer has not handled yet.
const BOND_CURSOR: &str = "bond_cursor";

/// The newest checkpoint block (a positive multiple of `interval`) at or below `confirmed`.
pub(crate) fn checkpoint(confirmed: u64, interval: u64) -> u64 {
    confirmed / interval * interval
}

impl Relayer {
    pub(crate) async fn propose_round(&mut self) -> Result<()> {
        self.reconcile_role(crate::config::Role::Propose).await?;
        self.propose_output().await?;
        self.collect_bonds().await
    }

    /// Proposes an output for the newest confirmed checkpoint block above the last proposed one.
    async fn propose_output(&self) -> Result<()> {
        // Only blocks `l2_confirmations` below the followed L2 head are proposed, and the output's
        // fields are read at the followed block hash: a shallow L2 reorg never makes a wrong output.
        let followed = self.track_head(Role::Propose, &self.l2, 0).await?;
        let target = checkpoint(followed.confirmed, self.config.output_interval);
        if target == 0 || target < self.config.deployment.l2.deploy_block {
            return Ok(());
        }
        if self
            .last_output_block()
            .await?
            .is_some_and(|last| last >= target)
        {
            return Ok(());
        }
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let l2 = |e: alloy::contract::Error| self.l2.rpc(e);
        if self.l1_bridge().frozen().call().await.map_err(l1)? {
            debug!("the bridge is frozen: no new outputs");
            return Ok(());
        }
        let (block_hash, state_root) = self.l2.block(target).await?;
        followed.check(&self.l2, target, block_hash)?;
        let at = BlockId::hash(block_hash);
        let bridge = self.l2_bridge();
        let withdrawal_root = bridge.withdrawalRoot().block(at).call().await.map_err(l2)?;
        let processed = bridge
            .l1MessagesProcessed()
            .block(at)
            .call()
            .await
            .map_err(l2)?;
        let oracle = self.output_oracle();
        let bond = oracle.proposerBond().call().await.map_err(l1)?;
        let call = Call::new(
            *oracle.address(),
            IOutputOracle::proposeCall {
                l2BlockNumber: target,
                l2BlockHash: block_hash,
                l2StateRoot: state_root,
                withdrawalRoot: withdrawal_root,
                l1MessagesProcessed: processed,
            }
            .abi_encode(),
        )
        .with_value(bond);
        match self
            .submit(Side::L1, Work::Propose { l2_block: target }, call)
            .await?
        {
            Outcome::Done => {
                info!(l2_block = target, %block_hash, %withdrawal_root, l1_messages_processed = processed, "output proposed")
            }
            Outcome::WouldRevert(data) => {
                let reason = describe_revert::<IOutputOracle::IOutputOracleErrors>(&data);
                if matches!(
                    IOutputOracle::IOutputOracleErrors::abi_decode(&data),
                    Ok(IOutputOracle::IOutputOracleErrors::NotProposer(_))
                ) {
                    debug!("not the proposer, and proposerTimeout has not passed");
                } else {
                    warn!(l2_block = target, %reason, "propose would revert");
                }
            }
            Outcome::Reverted | Outcome::Pending | Outcome::Blocked => {}
        }
        Ok(())
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
                    .submit(Side::L1, Work::ReleaseBond { output_index: next }, call)
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
            match self.submit(Side::L1, Work::WithdrawBond, call).await? {
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
    use super::checkpoint;

    #[test]
    fn checkpoints_are_multiples_of_the_interval() {
        assert_eq!(checkpoint(0, 5), 0);
        assert_eq!(checkpoint(4, 5), 0);
        assert_eq!(checkpoint(5, 5), 5);
        assert_eq!(checkpoint(14, 5), 10);
        assert_eq!(checkpoint(7, 1), 7);
    }
}
