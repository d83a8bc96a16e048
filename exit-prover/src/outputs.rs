//! Outputs and the freeze as L1 holds them: the newest final output, any output by index, the
//! escape output a freeze snapshotted, and the L2 token L1 computes for an L1 token.

use std::fmt;

use alloy::primitives::{Address, B256, U256};
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use drawbridge_client::reads::read;
use drawbridge_client::{ClientError, Context};
use serde::Serialize;

use crate::ExitError;

/// An output as L1 holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputInfo {
    /// Index in the `OutputOracle`.
    pub index: u64,
    /// The L2 block it commits to.
    pub l2_block_number: u64,
    /// Its L2 state root.
    pub l2_state_root: B256,
    /// Its withdrawal root.
    pub withdrawal_root: B256,
    /// L1 messages processed on L2 up to that block.
    pub l1_messages_processed: u64,
    /// Whether it is final now.
    pub is_final: bool,
}

/// The escape output the freeze snapshotted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapeOutputInfo {
    /// Its index in the `OutputOracle`.
    pub output_index: u64,
    /// Its L2 block (from the oracle): proofs are taken at this block.
    pub l2_block_number: u64,
    /// The escape root.
    pub l2_state_root: B256,
    /// Its withdrawal root: withdrawals in it still finalize.
    pub withdrawal_root: B256,
    /// Messages below this nonce were processed on L2; deposits from it on are refunded.
    pub l1_messages_processed: u64,
}

impl fmt::Display for EscapeOutputInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "output {} (L2 block {}, state root {}, {} L1 messages processed)",
            self.output_index, self.l2_block_number, self.l2_state_root, self.l1_messages_processed
        )
    }
}

/// The L1 bridge, read-only.
pub(crate) fn bridge(
    ctx: &Context,
) -> IL1Bridge::IL1BridgeInstance<&alloy::providers::DynProvider> {
    IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider)
}

/// The output oracle, read-only.
pub(crate) fn oracle(
    ctx: &Context,
) -> IOutputOracle::IOutputOracleInstance<&alloy::providers::DynProvider> {
    IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider)
}

/// The newest final output on L1, `None` when no output is final yet.
pub async fn latest_final_output(ctx: &Context) -> Result<Option<OutputInfo>, ExitError> {
    let oracle = oracle(ctx);
    let count = read(
        &ctx.l1,
        "reading OutputOracle.outputCount",
        oracle.outputCount().call(),
    )
    .await?;
    if count.is_zero() {
        return Ok(None);
    }
    let index = match oracle.latestFinalIndex().call().await {
        Ok(i) => i,
        Err(e) => {
            // The oracle answers NotFinal(0) when no output is final.
            let is_none = e
                .as_decoded_interface_error::<IOutputOracle::IOutputOracleErrors>()
                .is_some_and(|err| {
                    matches!(err, IOutputOracle::IOutputOracleErrors::NotFinal(n) if n.index.is_zero())
                });
            if is_none {
                return Ok(None);
            }
            return Err(ctx
                .l1
                .contract_error("reading OutputOracle.latestFinalIndex", &e)
                .into());
        }
    };
    Ok(Some(output_info(ctx, index.to::<u64>()).await?))
}

/// Output `index` as L1 holds it.
pub async fn output_info(ctx: &Context, index: u64) -> Result<OutputInfo, ExitError> {
    let oracle = oracle(ctx);
    let count = read(
        &ctx.l1,
        "reading OutputOracle.outputCount",
        oracle.outputCount().call(),
    )
    .await?
    .to::<u64>();
    if index >= count {
        return Err(ClientError::UnknownOutput { index, count }.into());
    }
    let o = read(
        &ctx.l1,
        "reading OutputOracle.getOutput",
        oracle.getOutput(U256::from(index)).call(),
    )
    .await?;
    let is_final = read(
        &ctx.l1,
        "reading OutputOracle.isFinal",
        oracle.isFinal(U256::from(index)).call(),
    )
    .await?;
    Ok(OutputInfo {
        index,
        l2_block_number: o.l2BlockNumber,
        l2_state_root: o.l2StateRoot,
        withdrawal_root: o.withdrawalRoot,
        l1_messages_processed: o.l1MessagesProcessed,
        is_final,
    })
}

/// The bridge's freeze state: `None` while not frozen, else the escape output (its inner `None`
/// when the bridge froze before any output was final).
pub async fn escape_output(ctx: &Context) -> Result<Option<Option<EscapeOutputInfo>>, ExitError> {
    let bridge = bridge(ctx);
    if !read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
        return Ok(None);
    }
    let e = read(
        &ctx.l1,
        "reading L1Bridge.escapeOutput",
        bridge.escapeOutput().call(),
    )
    .await?;
    if !e.hasEscapeOutput {
        return Ok(Some(None));
    }
    let index = e.outputIndex.to::<u64>();
    // The snapshot has no block number: take it from the oracle, and make sure it is the same output.
    let output = output_info(ctx, index).await?;
    if output.l2_state_root != e.l2StateRoot {
        return Err(ExitError::Inconsistent(format!(
            "the escape output {index} has state root {} in L1Bridge but {} in the OutputOracle",
            e.l2StateRoot, output.l2_state_root
        )));
    }
    Ok(Some(Some(EscapeOutputInfo {
        output_index: index,
        l2_block_number: output.l2_block_number,
        l2_state_root: e.l2StateRoot,
        withdrawal_root: e.withdrawalRoot,
        l1_messages_processed: e.l1MessagesProcessed,
    })))
}

/// The escape output, or the error saying why there is none.
pub async fn require_escape_output(ctx: &Context) -> Result<EscapeOutputInfo, ExitError> {
    match escape_output(ctx).await? {
        Some(Some(e)) => Ok(e),
        Some(None) => Err(ExitError::NoEscapeOutput),
        None => Err(ExitError::NotFrozen {
            hint: String::new(),
        }),
    }
}

/// The L2 token of `l1_token` as L1 computes it (the address `escape` proves against).
pub async fn l2_token_for(ctx: &Context, l1_token: Address) -> Result<Address, ExitError> {
    Ok(read(
        &ctx.l1,
        "reading L1Bridge.l2TokenFor",
        bridge(ctx).l2TokenFor(l1_token).call(),
    )
    .await?)
}
