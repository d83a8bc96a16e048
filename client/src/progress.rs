//! The status of each message, read from the chains: where a withdrawal is
//! ([`withdrawal_progress`], [`withdrawal_status`]) and where a deposit is ([`pipeline`],
//! [`deposit_status`]). The stage logic itself is pure, in [`crate::status`].

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256};
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{Unpaid, paying_output};

use crate::chain::Context;
use crate::error::ClientError;
use crate::outputs::{OutputCache, is_challenged, newest_matching_final, newest_payable_output};
use crate::reads::{read, token_info_lenient};
use crate::scan::{
    Processed, ScannedMessage, ScannedWithdrawal, find_finalization, scan_withdrawals,
};
use crate::status::{DepositStage, DepositStatus, WithdrawalProgress, WithdrawalStatus};
use crate::types::{Amount, TokenInfo};

// ------------------------------------------------------------------------------------------------
// Withdrawals
// ------------------------------------------------------------------------------------------------

/// Where the withdrawal `nonce` from L2 block `l2_block` is, as [`WithdrawalProgress`].
pub async fn withdrawal_progress(
    ctx: &Context,
    outputs: &mut OutputCache,
    nonce: u64,
    l2_block: u64,
) -> Result<(WithdrawalProgress, Option<B256>), ClientError> {
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    let finalized = read(
        &ctx.l1,
        "reading L1Bridge.isWithdrawalFinalized",
        bridge.isWithdrawalFinalized(nonce).call(),
    )
    .await?;
    if finalized {
        let (output_index, tx_hash) = match find_finalization(ctx, nonce).await? {
            Some((i, tx)) => (Some(i), Some(tx)),
            None => (None, None),
        };
        return Ok((
            WithdrawalProgress::Finalized {
                output_index,
                tx_hash,
            },
            tx_hash,
        ));
    }
    let count = outputs.count(ctx).await?;
    if count == 0 {
        return Ok((
            WithdrawalProgress::Initiated {
                newest_output: None,
            },
            None,
        ));
    }
    let newest = outputs.get(ctx, count - 1).await?;
    if newest.l2BlockNumber < l2_block {
        return Ok((
            WithdrawalProgress::Initiated {
                newest_output: Some((count - 1, newest.l2BlockNumber)),
            },
            None,
        ));
    }
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    let payable = newest_payable_output(ctx).await?;
    // The output the rule picks is asked for its block before the rule runs (reads are async).
    let payable_block = match payable.index {
        Some(index) => outputs.get(ctx, index).await?.l2BlockNumber,
        None => 0,
    };
    match paying_output(
        payable.latest_final,
        payable.freeze,
        |_| payable_block,
        l2_block,
    ) {
        Ok(index) => {
            return Ok((
                WithdrawalProgress::Final {
                    output_index: index,
                    frozen: payable.frozen,
                },
                None,
            ));
        }
        // No output after the escape output will ever be paid against: the L2 balance is
        // escaped instead.
        Err(Unpaid::FrozenUncovered { newest_payable }) => {
            return Ok((
                WithdrawalProgress::FrozenUncovered {
                    escape_output: newest_payable,
                },
                None,
            ));
        }
        Err(Unpaid::NotYetCovered { .. }) => {}
    }
    let first = outputs
        .first_covering(ctx, l2_block)
        .await?
        .expect("the newest output covers the block");
    let dispute = read(
        &ctx.l1,
        "reading OutputOracle.firstOpenDispute",
        oracle.firstOpenDispute().call(),
    )
    .await?;
    let dispute_index = dispute.index.saturating_to::<u64>();
    if dispute.exists && dispute_index <= first {
        return Ok((
            WithdrawalProgress::Disputed {
                output_index: first,
                disputed_index: dispute_index,
            },
            None,
        ));
    }
    let output = outputs.get(ctx, first).await?;
    if is_challenged(&output) {
        return Ok((
            WithdrawalProgress::Disputed {
                output_index: first,
                disputed_index: first,
            },
            None,
        ));
    }
    let period = outputs.challenge_period(ctx).await?;
    let now = ctx.l1.now().await?;
    Ok((
        WithdrawalProgress::Covered {
            output_index: first,
            final_at: output.proposedAt.saturating_add(period),
            now,
        },
        None,
    ))
}

/// The status of a scanned withdrawal. `all` are every withdrawal scanned up to an L2 block
/// (scanned here when `None` or not far enough and needed): a final output is checked against
/// them before the withdrawal is called ready, since finalizing against an output that does not
/// match L2 would fail.
pub async fn withdrawal_status(
    ctx: &Context,
    outputs: &mut OutputCache,
    tokens: &mut BTreeMap<Address, TokenInfo>,
    w: &ScannedWithdrawal,
    all: Option<(&[ScannedWithdrawal], u64)>,
) -> Result<WithdrawalStatus, ClientError> {
    let (mut progress, finalized_tx_hash) =
        withdrawal_progress(ctx, outputs, w.withdrawal.nonce, w.l2_block).await?;
    if let WithdrawalProgress::Final {
        output_index,
        frozen,
    } = progress
    {
        let output_block = outputs.get(ctx, output_index).await?.l2BlockNumber;
        let scanned;
        let all = match all {
            Some((all, scanned_to)) if scanned_to >= output_block => all,
            _ => {
                scanned = scan_withdrawals(ctx, ctx.l2.head().await?).await?;
                &scanned[..]
            }
        };
        progress = match newest_matching_final(ctx, outputs, w.l2_block, output_index, all).await? {
            Some(index) => WithdrawalProgress::Final {
                output_index: index,
                frozen,
            },
            None => WithdrawalProgress::OutputMismatch { output_index },
        };
    }
    let summary = progress.summary(w.withdrawal.nonce, w.l2_block);
    let token = token_info_lenient(ctx, tokens, w.withdrawal.l1_token).await;
    Ok(WithdrawalStatus {
        nonce: w.withdrawal.nonce,
        sender: w.withdrawal.sender,
        recipient: w.withdrawal.recipient,
        amount: Amount::new(w.withdrawal.amount, token.decimals),
        token,
        l2_tx_hash: w.tx_hash,
        l2_block: w.l2_block,
        summary,
        finalized_tx_hash,
    })
}

// ------------------------------------------------------------------------------------------------
// Deposits
// ------------------------------------------------------------------------------------------------

/// How far the L1->L2 pipeline has got: committed, published and processed message counts.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline {
    /// Messages covered by the last committed L1 root.
    pub committed: u64,
    /// Messages covered by the newest root published on L2.
    pub published: u64,
    /// Messages processed on L2.
    pub processed: u64,
}

/// Reads the [`Pipeline`] counts.
pub async fn pipeline(ctx: &Context) -> Result<Pipeline, ClientError> {
    let l1 = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    let committed = read(
        &ctx.l1,
        "reading L1Bridge.lastCommittedRoot",
        l1.lastCommittedRoot().call(),
    )
    .await?
    .count;
    let oracle = IL1RootOracle::new(ctx.deployment.l2.root_oracle, &ctx.l2.provider);
    let published = read(
        &ctx.l2,
        "reading L1RootOracle.latestCount",
        oracle.latestCount().call(),
    )
    .await?;
    let l2 = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let processed = read(
        &ctx.l2,
        "reading L2Bridge.l1MessagesProcessed",
        l2.l1MessagesProcessed().call(),
    )
    .await?;
    Ok(Pipeline {
        committed,
        published,
        processed,
    })
}

/// The status of a scanned L1 message. `processed` is how L2 processed its nonce, if known:
/// "delivered" only when L2's leaf at that nonce is this message's leaf; another leaf means L2
/// processed a message L1 never sent there ([`DepositStage::Forged`]).
pub async fn deposit_status(
    ctx: &Context,
    pipeline: Pipeline,
    tokens: &mut BTreeMap<Address, TokenInfo>,
    m: &ScannedMessage,
    processed: Option<Processed>,
) -> DepositStatus {
    let e = &m.event;
    let mut stage = DepositStage::of(
        e.nonce,
        pipeline.committed,
        pipeline.published,
        pipeline.processed,
    );
    let forged_leaf = processed.map(|p| p.leaf).filter(|leaf| *leaf != e.leaf);
    if stage == DepositStage::Delivered && forged_leaf.is_some() {
        stage = DepositStage::Forged;
    }
    let (description, waits_for) = stage.describe(e.nonce, pipeline.processed);
    let token = token_info_lenient(ctx, tokens, e.token).await;
    DepositStatus {
        nonce: e.nonce,
        kind: match e.kind {
            2 => "forcedWithdrawal".into(),
            _ => "deposit".into(),
        },
        sender: e.sender,
        recipient: e.recipient,
        amount: Amount::new(e.amount, token.decimals),
        token,
        l1_tx_hash: m.tx_hash,
        l1_block: m.l1_block,
        stage,
        description,
        waits_for,
        what_to_do: stage.what_to_do(e.nonce),
        l2_processed_leaf: if stage == DepositStage::Forged {
            forged_leaf
        } else {
            None
        },
        time_left: (stage == DepositStage::Delivered).then_some(0),
        l2_tx_hash: if stage == DepositStage::Delivered {
            processed.map(|p| p.tx_hash)
        } else {
            None
        },
    }
}
