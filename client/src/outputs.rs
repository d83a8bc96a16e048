//! Outputs on L1: read once per command ([`OutputCache`]), which one the bridge pays against
//! now ([`newest_payable_output`], after `drawbridge_protocol`'s rule), whether one is challenged,
//! and the newest final one that matches the withdrawals on L2.

use std::collections::BTreeMap;

use alloy::primitives::{B256, U256};
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use drawbridge_protocol::{Freeze, MerkleTree, OutputStatus};

use crate::chain::Context;
use crate::error::ClientError;
use crate::reads::read;
use crate::scan::ScannedWithdrawal;

/// Outputs read once per command.
#[derive(Debug, Default)]
pub struct OutputCache {
    outputs: BTreeMap<u64, IOutputOracle::Output>,
    count: Option<u64>,
    challenge_period: Option<u64>,
    matches_l2: BTreeMap<u64, bool>,
}

impl OutputCache {
    /// Number of outputs.
    pub async fn count(&mut self, ctx: &Context) -> Result<u64, ClientError> {
        if let Some(c) = self.count {
            return Ok(c);
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let c = read(
            &ctx.l1,
            "reading OutputOracle.outputCount",
            oracle.outputCount().call(),
        )
        .await?;
        let c = c.saturating_to::<u64>();
        self.count = Some(c);
        Ok(c)
    }

    /// The challenge period.
    pub async fn challenge_period(&mut self, ctx: &Context) -> Result<u64, ClientError> {
        if let Some(p) = self.challenge_period {
            return Ok(p);
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let p = read(
            &ctx.l1,
            "reading OutputOracle.challengePeriod",
            oracle.challengePeriod().call(),
        )
        .await?;
        self.challenge_period = Some(p);
        Ok(p)
    }

    /// Output `index`.
    pub async fn get(
        &mut self,
        ctx: &Context,
        index: u64,
    ) -> Result<IOutputOracle::Output, ClientError> {
        if let Some(o) = self.outputs.get(&index) {
            return Ok(o.clone());
        }
        let count = self.count(ctx).await?;
        if index >= count {
            return Err(ClientError::UnknownOutput { index, count });
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let o = read(
            &ctx.l1,
            &format!("reading OutputOracle.getOutput({index})"),
            oracle.getOutput(U256::from(index)).call(),
        )
        .await?;
        self.outputs.insert(index, o.clone());
        Ok(o)
    }

    /// Whether output `index`'s `withdrawalRoot` is the root of the withdrawals in L2 blocks up to
    /// its `l2BlockNumber`, given every withdrawal scanned up to at least that block.
    pub async fn matches_l2(
        &mut self,
        ctx: &Context,
        index: u64,
        withdrawals: &[ScannedWithdrawal],
    ) -> Result<bool, ClientError> {
        if let Some(m) = self.matches_l2.get(&index) {
            return Ok(*m);
        }
        let output = self.get(ctx, index).await?;
        let count = withdrawals
            .iter()
            .take_while(|w| w.l2_block <= output.l2BlockNumber)
            .count();
        let tree = MerkleTree::from_leaves(withdrawals[..count].iter().map(|w| w.leaf))
            .map_err(|e| ClientError::Inconsistent(e.to_string()))?;
        let matches = tree.root() == output.withdrawalRoot;
        self.matches_l2.insert(index, matches);
        Ok(matches)
    }

    /// The first output whose L2 block is at or after `l2_block` (outputs' blocks strictly
    /// increase, so this is a binary search), `None` when no output covers it.
    pub async fn first_covering(
        &mut self,
        ctx: &Context,
        l2_block: u64,
    ) -> Result<Option<u64>, ClientError> {
        let count = self.count(ctx).await?;
        let (mut lo, mut hi) = (0u64, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(ctx, mid).await?.l2BlockNumber >= l2_block {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok((lo < count).then_some(lo))
    }
}

/// The newest output `L1Bridge.finalizeWithdrawal` accepts, as read from L1:
/// `OutputOracle.latestFinalIndex`, or after a freeze the escape output when that is older (later
/// outputs revert `OutputAfterEscape`); the rule is [`drawbridge_protocol::newest_payable_output`].
/// The CLI and the exit prover share this so they agree with the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayableOutput {
    /// The newest final output, `None` when no output is final yet.
    pub latest_final: Option<u64>,
    /// Whether the bridge is frozen, and its escape output.
    pub freeze: Freeze,
    /// The output index; `None` when no output is final (or none was at the freeze).
    pub index: Option<u64>,
    /// Whether the bridge is frozen.
    pub frozen: bool,
    /// After a freeze, when `index` is the escape output: the withdrawal root `freeze`
    /// snapshotted, the one the bridge checks proofs against.
    pub escape_withdrawal_root: Option<B256>,
}

/// Reads [`PayableOutput`] from L1.
pub async fn newest_payable_output(ctx: &Context) -> Result<PayableOutput, ClientError> {
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    let latest_final = match oracle.latestFinalIndex().call().await {
        Ok(index) => Some(index.saturating_to::<u64>()),
        Err(e) if e.as_revert_data().is_some() => None, // NotFinal(0): no output is final yet
        Err(e) => {
            return Err(ctx
                .l1
                .contract_error("reading OutputOracle.latestFinalIndex", &e));
        }
    };
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    let (freeze, escape_root) =
        if read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
            let escape = read(
                &ctx.l1,
                "reading L1Bridge.escapeOutput",
                bridge.escapeOutput().call(),
            )
            .await?;
            let escape_output = escape
                .hasEscapeOutput
                .then(|| escape.outputIndex.saturating_to::<u64>());
            (
                Freeze::Frozen { escape_output },
                escape_output.map(|i| (i, escape.withdrawalRoot)),
            )
        } else {
            (Freeze::Open, None)
        };
    let index = drawbridge_protocol::newest_payable_output(latest_final, freeze);
    Ok(PayableOutput {
        latest_final,
        freeze,
        index,
        frozen: freeze.is_frozen(),
        escape_withdrawal_root: escape_root
            .filter(|(escape_index, _)| index == Some(*escape_index))
            .map(|(_, root)| root),
    })
}

/// Whether an output is challenged and waits for a verdict (`OutputStatus.Challenged`).
pub fn is_challenged(output: &IOutputOracle::Output) -> bool {
    OutputStatus::from_u8_lossy(output.status) == OutputStatus::Challenged
}

/// The newest final output at or below `newest_final` that covers L2 block `l2_block` and whose
/// `withdrawalRoot` matches the L2 withdrawals (`withdrawals`, scanned up to at least the
/// outputs' blocks): a wrong output that nobody challenged must not stop a user when an older
/// final output is right. `None` when no covering final output matches.
pub async fn newest_matching_final(
    ctx: &Context,
    outputs: &mut OutputCache,
    l2_block: u64,
    newest_final: u64,
    withdrawals: &[ScannedWithdrawal],
) -> Result<Option<u64>, ClientError> {
    let Some(first) = outputs.first_covering(ctx, l2_block).await? else {
        return Ok(None);
    };
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    for index in (first..=newest_final).rev() {
        if outputs.matches_l2(ctx, index, withdrawals).await? {
            let is_final = read(
                &ctx.l1,
                "reading OutputOracle.isFinal",
                oracle.isFinal(U256::from(index)).call(),
            )
            .await?;
            if is_final {
                return Ok(Some(index));
            }
        }
    }
    Ok(None)
}
