//! Event scans in bounded block ranges: withdrawals (`WithdrawalInitiated`, checked gap-free
//! and against this deployment's leaves), L1 messages (`MessageSent`), their processing on L2
//! (`MessageProcessed`) and finalizations on L1 (`WithdrawalFinalized`).

use std::collections::BTreeMap;

use alloy::primitives::B256;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_protocol::Withdrawal;

use crate::chain::{Context, log_position};
use crate::convert::withdrawal_from_event;
use crate::error::ClientError;
use crate::reads::{read, topic_u64};

// ------------------------------------------------------------------------------------------------
// Withdrawals
// ------------------------------------------------------------------------------------------------

/// A withdrawal as found in the L2 bridge's `WithdrawalInitiated` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedWithdrawal {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// Its leaf, as the event reports it (checked against the computed one).
    pub leaf: B256,
    /// L2 block.
    pub l2_block: u64,
    /// L2 transaction.
    pub tx_hash: B256,
}

fn withdrawal_filter(ctx: &Context) -> Filter {
    Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH)
}

fn decode_withdrawal(
    ctx: &Context,
    log: &alloy::rpc::types::Log,
) -> Result<ScannedWithdrawal, ClientError> {
    let event = log
        .log_decode::<IL2Bridge::WithdrawalInitiated>()
        .map_err(|e| {
            ClientError::Inconsistent(format!("undecodable WithdrawalInitiated log: {e}"))
        })?
        .inner
        .data;
    let withdrawal = withdrawal_from_event(&event);
    let computed = withdrawal.leaf(ctx.deployment.l2.chain_id, ctx.deployment.l2.l2_bridge);
    if computed != event.leaf {
        return Err(ClientError::Inconsistent(format!(
            "the L2 bridge reports leaf {} for withdrawal {}, but this deployment (L2 chain {}, bridge {}) gives {computed}",
            event.leaf, event.nonce, ctx.deployment.l2.chain_id, ctx.deployment.l2.l2_bridge
        )));
    }
    let (l2_block, tx_hash) = log_position(log);
    Ok(ScannedWithdrawal {
        withdrawal,
        leaf: event.leaf,
        l2_block,
        tx_hash,
    })
}

/// Every withdrawal from the L2 deploy block up to `to_block`, in nonce order, checked to be
/// gap-free and to carry the leaves this deployment computes.
pub async fn scan_withdrawals(
    ctx: &Context,
    to_block: u64,
) -> Result<Vec<ScannedWithdrawal>, ClientError> {
    let logs = ctx
        .l2
        .logs(
            &withdrawal_filter(ctx),
            ctx.deployment.l2.deploy_block,
            to_block,
        )
        .await?;
    let mut out = Vec::with_capacity(logs.len());
    for log in &logs {
        if log.removed {
            continue;
        }
        let w = decode_withdrawal(ctx, log)?;
        if w.withdrawal.nonce != out.len() as u64 {
            return Err(ClientError::Inconsistent(format!(
                "the L2 node returned withdrawal {} where {} was expected: its logs are incomplete",
                w.withdrawal.nonce,
                out.len()
            )));
        }
        out.push(w);
    }
    Ok(out)
}

/// One withdrawal by nonce (events filtered by the indexed nonce).
pub async fn find_withdrawal(ctx: &Context, nonce: u64) -> Result<ScannedWithdrawal, ClientError> {
    let l2_bridge = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let count = read(
        &ctx.l2,
        "reading L2Bridge.withdrawalCount",
        l2_bridge.withdrawalCount().call(),
    )
    .await?;
    if nonce >= count {
        return Err(ClientError::WithdrawalNotFound { nonce, count });
    }
    let head = ctx.l2.head().await?;
    let filter = withdrawal_filter(ctx).topic1(topic_u64(nonce));
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    match logs.iter().find(|l| !l.removed) {
        Some(log) => decode_withdrawal(ctx, log),
        None => Err(ClientError::Inconsistent(format!(
            "L2 counts {count} withdrawals but its node has no WithdrawalInitiated log for nonce {nonce} since block {}",
            ctx.deployment.l2.deploy_block
        ))),
    }
}

/// Output index and transaction of the `WithdrawalFinalized` event of `nonce`, if found.
pub async fn find_finalization(
    ctx: &Context,
    nonce: u64,
) -> Result<Option<(u64, B256)>, ClientError> {
    let head = ctx.l1.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::WithdrawalFinalized::SIGNATURE_HASH)
        .topic1(topic_u64(nonce));
    let logs = ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?;
    for log in logs.iter().filter(|l| !l.removed) {
        if let Ok(decoded) = log.log_decode::<IL1Bridge::WithdrawalFinalized>() {
            let (_, tx) = log_position(log);
            return Ok(Some((
                decoded.inner.data.outputIndex.saturating_to::<u64>(),
                tx,
            )));
        }
    }
    Ok(None)
}

// ------------------------------------------------------------------------------------------------
// L1 messages
// ------------------------------------------------------------------------------------------------

/// An L1 message as found in `MessageSent` events.
#[derive(Debug, Clone)]
pub struct ScannedMessage {
    /// The event.
    pub event: IL1Bridge::MessageSent,
    /// L1 block.
    pub l1_block: u64,
    /// L1 transaction.
    pub tx_hash: B256,
}

fn message_filter(ctx: &Context) -> Filter {
    Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
}

/// L1 messages from the deploy block on; only `nonce` when given.
pub async fn scan_messages(
    ctx: &Context,
    nonce: Option<u64>,
) -> Result<Vec<ScannedMessage>, ClientError> {
    let head = ctx.l1.head().await?;
    let mut filter = message_filter(ctx);
    if let Some(n) = nonce {
        filter = filter.topic1(topic_u64(n));
    }
    let logs = ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?;
    let mut out = Vec::new();
    for log in logs.iter().filter(|l| !l.removed) {
        let event = log
            .log_decode::<IL1Bridge::MessageSent>()
            .map_err(|e| ClientError::Inconsistent(format!("undecodable MessageSent log: {e}")))?
            .inner
            .data;
        let (l1_block, tx_hash) = log_position(log);
        out.push(ScannedMessage {
            event,
            l1_block,
            tx_hash,
        });
    }
    Ok(out)
}

/// How L2 processed one L1 message: the `MessageProcessed` event's transaction and leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    /// The L2 transaction.
    pub tx_hash: B256,
    /// The leaf L2 consumed at that nonce (compare with L1's leaf).
    pub leaf: B256,
}

fn processed_of(log: &alloy::rpc::types::Log) -> Result<(u64, Processed), ClientError> {
    let e = log
        .log_decode::<IL2Bridge::MessageProcessed>()
        .map_err(|e| ClientError::Inconsistent(format!("undecodable MessageProcessed log: {e}")))?
        .inner
        .data;
    Ok((
        e.nonce,
        Processed {
            tx_hash: log_position(log).1,
            leaf: e.leaf,
        },
    ))
}

/// How L2 processed message `nonce`, if found.
pub async fn find_delivery(ctx: &Context, nonce: u64) -> Result<Option<Processed>, ClientError> {
    let head = ctx.l2.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH)
        .topic1(topic_u64(nonce));
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    match logs.iter().find(|l| !l.removed) {
        Some(log) => Ok(Some(processed_of(log)?.1)),
        None => Ok(None),
    }
}

/// How L2 processed every L1 message so far, by nonce.
pub async fn scan_deliveries(ctx: &Context) -> Result<BTreeMap<u64, Processed>, ClientError> {
    let head = ctx.l2.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH);
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    let mut out = BTreeMap::new();
    for log in logs.iter().filter(|l| !l.removed) {
        let (nonce, processed) = processed_of(log)?;
        out.insert(nonce, processed);
    }
    Ok(out)
}
