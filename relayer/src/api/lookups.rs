//! `/messages/{nonce}` and `/withdrawals/{hash}`: one L1 message, one withdrawal with its proof,
//! state and the output that covers it.

use alloy::primitives::{B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use axum::Json;
use axum::extract::{Path, State};
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{MessageKind, OutputStatus, Unpaid, paying_output};
use serde_json::{Value, json};

use super::{ApiError, ApiResult, ApiState, Shared, hex, l1_now, output_count, rpc};
use crate::error::Error;
use crate::payable::{Payable, read_payable};
use crate::store::WithdrawalRow;

// -------------------------------------------------------------------------------------------------
// /messages/{nonce}
// -------------------------------------------------------------------------------------------------

pub(super) async fn message(State(s): State<Shared>, Path(nonce): Path<String>) -> ApiResult {
    let nonce: u64 = nonce
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{nonce:?} is not a message nonce")))?;
    let Some(row) = s.store.message(nonce).await? else {
        return Err(ApiError::NotFound(format!(
            "L1 message {nonce} is not ingested (yet): the relayer follows L1 {} blocks behind its head",
            s.l1.confirmations
        )));
    };
    let committed = s.store.latest_root().await?.map_or(0, |r| r.count) > nonce;
    let oracle = IL1RootOracle::new(s.config.deployment.l2.root_oracle, s.l2.provider.clone());
    let published = oracle.latestCount().call().await.map_err(rpc(&s.l2))? > nonce;
    let bridge = IL2Bridge::new(s.config.deployment.l2.l2_bridge, s.l2.provider.clone());
    let processed = bridge
        .l1MessagesProcessed()
        .call()
        .await
        .map_err(rpc(&s.l2))?
        > nonce;
    // Processed is not delivered unless L2 consumed this very leaf at this nonce.
    let l2_leaf = if processed {
        processed_leaf(&s, nonce).await?
    } else {
        None
    };
    let forged = l2_leaf.is_some_and(|leaf| leaf != row.leaf);
    let delivered = processed && !forged;
    let state = if forged {
        "forged"
    } else if delivered {
        "delivered"
    } else if published {
        "root_published"
    } else if committed {
        "root_committed"
    } else {
        "ingested"
    };
    let m = &row.message;
    Ok(Json(json!({
        "nonce": m.nonce,
        "kind": match m.kind {
            MessageKind::Deposit => "deposit",
            MessageKind::ForcedWithdrawal => "forced_withdrawal",
        },
        "kind_code": m.kind.as_u8(),
        "sender": m.sender.to_string(),
        "recipient": m.recipient.to_string(),
        "token": m.token.to_string(),
        "amount": m.amount.to_string(),
        "data": hex(&m.data),
        "leaf": row.leaf.to_string(),
        "l1_block": row.l1_block,
        "l1_tx": row.l1_tx.to_string(),
        "state": state,
        "root_committed": committed,
        "root_published": published,
        "delivered": delivered,
        "l2_processed_leaf": l2_leaf.map(|l| l.to_string()),
    })))
}

/// The leaf L2 processed at `nonce` (`MessageProcessed.leaf`), from the L2 bridge's logs: one
/// request over the whole chain, or `max_log_range` windows from the newest when the node limits
/// ranges.
async fn processed_leaf(s: &ApiState, nonce: u64) -> Result<Option<B256>, ApiError> {
    let filter = Filter::new()
        .address(s.config.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH)
        .topic1(B256::from(U256::from(nonce)));
    let decode = |logs: Vec<alloy::rpc::types::Log>| {
        logs.iter()
            .filter(|l| !l.removed)
            .find_map(|l| l.log_decode::<IL2Bridge::MessageProcessed>().ok())
            .map(|e| e.inner.data.leaf)
    };
    let head = s.l2.head().await.map_err(ApiError::from)?;
    let deploy = s.config.deployment.l2.deploy_block;
    if let Ok(logs) =
        s.l2.provider
            .get_logs(&filter.clone().from_block(deploy).to_block(head))
            .await
    {
        return Ok(decode(logs));
    }
    let mut to = head;
    loop {
        let from = to.saturating_sub(s.config.max_log_range - 1).max(deploy);
        let logs =
            s.l2.provider
                .get_logs(&filter.clone().from_block(from).to_block(to))
                .await
                .map_err(|e| ApiError::Unavailable(format!("L2 RPC: eth_getLogs: {e}")))?;
        if let Some(leaf) = decode(logs) {
            return Ok(Some(leaf));
        }
        if from <= deploy {
            return Ok(None);
        }
        to = from - 1;
    }
}

// -------------------------------------------------------------------------------------------------
// /withdrawals/{nonce or hash}, /history/{address}
// -------------------------------------------------------------------------------------------------

pub(super) async fn withdrawal(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    // A decimal number is a nonce (as the CLI names withdrawals); 0x and 64 hex digits a hash.
    if let Ok(nonce) = id.parse::<u64>() {
        let Some(row) = s.store.withdrawal_by_nonce(nonce).await? else {
            return Err(ApiError::NotFound(format!(
                "withdrawal {nonce} is not ingested (yet): the relayer follows L2 {} blocks behind \
                 its head, and only while a relayer runs the finalize role",
                s.l2.confirmations
            )));
        };
        return Ok(Json(withdrawal_view(&s, &row).await?));
    }
    let hash: B256 = id.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "{id:?} is neither a withdrawal nonce nor a 32-byte hex hash (a withdrawal leaf or an L2 \
             transaction hash)"
        ))
    })?;
    let rows = s.store.withdrawals_by_hash(hash).await?;
    let row = match rows.as_slice() {
        [] => {
            return Err(ApiError::NotFound(format!(
                "no withdrawal with leaf or L2 transaction {hash} is ingested (yet): the relayer \
                 follows L2 {} blocks behind its head, and only while a relayer runs the finalize role",
                s.l2.confirmations
            )));
        }
        [one] => one.clone(),
        many => {
            return Err(ApiError::Conflict(json!({
                "error": format!("L2 transaction {hash} initiated {} withdrawals; ask for one by its leaf or nonce", many.len()),
                "leaves": many.iter().map(|w| w.leaf.to_string()).collect::<Vec<_>>(),
            })));
        }
    };
    Ok(Json(withdrawal_view(&s, &row).await?))
}

/// How many of each kind `/history/{address}` lists.
pub(super) const HISTORY_LIMIT: u64 = 100;

/// Every L1 message and withdrawal `address` sent or receives, newest first (at most
/// [`HISTORY_LIMIT`] of each): a user's history on any device, without a wallet. Each one's live
/// state is at `/messages/{nonce}` and `/withdrawals/{nonce}`.
pub(super) async fn history(State(s): State<Shared>, Path(address): Path<String>) -> ApiResult {
    let address: alloy::primitives::Address = address
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{address:?} is not a 20-byte hex address")))?;
    let messages = s.store.messages_of(address, HISTORY_LIMIT).await?;
    let withdrawals = s.store.withdrawals_of(address, HISTORY_LIMIT).await?;
    Ok(Json(json!({
        "address": address.to_string(),
        "limit": HISTORY_LIMIT,
        "messages": messages.iter().map(|row| {
            let m = &row.message;
            json!({
                "nonce": m.nonce,
                "kind": match m.kind {
                    MessageKind::Deposit => "deposit",
                    MessageKind::ForcedWithdrawal => "forced_withdrawal",
                },
                "sender": m.sender.to_string(),
                "recipient": m.recipient.to_string(),
                "token": m.token.to_string(),
                "amount": m.amount.to_string(),
                "l1_block": row.l1_block,
                "l1_tx": row.l1_tx.to_string(),
            })
        }).collect::<Vec<_>>(),
        "withdrawals": withdrawals.iter().map(|row| {
            let mut fields = withdrawal_fields(row);
            fields.insert("finalized".into(), json!(row.finalized));
            fields
        }).collect::<Vec<_>>(),
    })))
}

/// The earliest output covering L2 block `block`, by binary search over the (increasing) output
/// block numbers.
async fn covering_output(
    s: &ApiState,
    oracle: &IOutputOracle::IOutputOracleInstance<DynProvider>,
    count: u64,
    block: u64,
) -> Result<Option<(u64, IOutputOracle::Output)>, ApiError> {
    let (mut lo, mut hi) = (0u64, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let o = oracle
            .getOutput(U256::from(mid))
            .call()
            .await
            .map_err(rpc(&s.l1))?;
        if o.l2BlockNumber >= block {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if lo == count {
        return Ok(None);
    }
    let o = oracle
        .getOutput(U256::from(lo))
        .call()
        .await
        .map_err(rpc(&s.l1))?;
    Ok(Some((lo, o)))
}

/// Where a withdrawal stands once an output covers it (the `state` of `/withdrawals/{hash}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Covered {
    /// An output the bridge pays against covers it: `ready_to_finalize`.
    Ready,
    /// The bridge is frozen and the outputs it still pays against do not cover it: never paid by
    /// `finalize` (`frozen_uncovered`, the CLI's `frozenUncovered`).
    FrozenUncovered,
    /// The earliest covering output is challenged: `challenged`.
    Challenged,
    /// The earliest covering output's window runs: `in_challenge_window`.
    InChallengeWindow,
}

impl Covered {
    /// The `state` string.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Self::Ready => "ready_to_finalize",
            Self::FrozenUncovered => "frozen_uncovered",
            Self::Challenged => "challenged",
            Self::InChallengeWindow => "in_challenge_window",
        }
    }
}

/// The state of a withdrawal of L2 block `l2_block` whose earliest covering output has `status`,
/// by the bridge's rule ([`paying_output`], as the finalize role and the CLI decide):
/// `output_l2_block(index)` is the L2 block of the newest payable output.
pub(super) fn covered_state(
    payable: &Payable,
    output_l2_block: impl FnOnce(u64) -> u64,
    l2_block: u64,
    status: OutputStatus,
) -> Covered {
    match paying_output(
        payable.latest_final,
        payable.freeze,
        output_l2_block,
        l2_block,
    ) {
        Ok(_) => Covered::Ready,
        Err(Unpaid::FrozenUncovered { .. }) => Covered::FrozenUncovered,
        Err(Unpaid::NotYetCovered { .. }) if status == OutputStatus::Challenged => {
            Covered::Challenged
        }
        Err(Unpaid::NotYetCovered { .. }) => Covered::InChallengeWindow,
    }
}

/// What a withdrawal is, as every answer about one names it.
fn withdrawal_fields(row: &WithdrawalRow) -> serde_json::Map<String, Value> {
    let w = &row.withdrawal;
    let fields = json!({
        "nonce": w.nonce,
        "sender": w.sender.to_string(),
        "recipient": w.recipient.to_string(),
        "l1_token": w.l1_token.to_string(),
        "amount": w.amount.to_string(),
        "leaf": row.leaf.to_string(),
        "l2_block": row.l2_block,
        "l2_tx": row.l2_tx.to_string(),
    });
    fields.as_object().cloned().unwrap_or_default()
}

async fn withdrawal_view(s: &ApiState, row: &WithdrawalRow) -> Result<Value, ApiError> {
    let w = &row.withdrawal;
    let oracle = IOutputOracle::new(s.config.deployment.l1.output_oracle, s.l1.provider.clone());
    let l1_bridge = IL1Bridge::new(s.config.deployment.l1.l1_bridge, s.l1.provider.clone());
    let finalized = row.finalized
        || l1_bridge
            .isWithdrawalFinalized(w.nonce)
            .call()
            .await
            .map_err(rpc(&s.l1))?;
    let count = output_count(s, &oracle).await?;
    let covering = covering_output(s, &oracle, count, row.l2_block).await?;
    let challenge_period = oracle.challengePeriod().call().await.map_err(rpc(&s.l1))?;
    let now = l1_now(s).await?;
    let paused_until = l1_bridge.pausedUntil().call().await.map_err(rpc(&s.l1))?;
    let payable = read_payable(&s.l1, &oracle, &l1_bridge).await?;
    let mut proof = Value::Null;
    let mut output = Value::Null;
    let mut seconds_left = Value::Null;
    // A finalized withdrawal still shows the output that covers it and its proof against it.
    let state = match &covering {
        None if finalized => "finalized",
        None => "waiting_for_output",
        Some((index, o)) => {
            let ends = o.proposedAt.saturating_add(challenge_period);
            output = json!({
                "index": index,
                "l2_block_number": o.l2BlockNumber,
                "withdrawal_root": o.withdrawalRoot.to_string(),
                "status": OutputStatus::from_u8_lossy(o.status).name(),
                "proposed_at": o.proposedAt,
                "challenge_window_ends_at": ends,
            });
            // The proof against that output: the withdrawals up to its block are its tree.
            let n = s.store.withdrawals_up_to_block(o.l2BlockNumber).await?;
            let mut tree = s.withdrawals.lock().await;
            s.store.extend_withdrawal_tree(&mut tree).await?;
            if n > w.nonce && n <= tree.len() {
                let root = tree.root_at(n).map_err(Error::from)?;
                proof = json!({
                    "output_index": index,
                    "withdrawal_count": n,
                    "root": root.to_string(),
                    "root_matches_output": root == o.withdrawalRoot,
                    "siblings": tree.proof(w.nonce, n).map_err(Error::from)?
                        .iter().map(|h| h.to_string()).collect::<Vec<_>>(),
                });
            }
            // The newest payable output's block, read before the rule runs (reads are async).
            let payable_block = match payable.newest() {
                Some(newest) if newest == *index => o.l2BlockNumber,
                Some(newest) => {
                    oracle
                        .getOutput(U256::from(newest))
                        .call()
                        .await
                        .map_err(rpc(&s.l1))?
                        .l2BlockNumber
                }
                None => 0,
            };
            let status = OutputStatus::from_u8_lossy(o.status);
            let covered = covered_state(&payable, |_| payable_block, row.l2_block, status);
            match covered {
                _ if finalized => seconds_left = json!(0),
                Covered::Ready => seconds_left = json!(0),
                Covered::InChallengeWindow => seconds_left = json!(ends.saturating_sub(now)),
                Covered::FrozenUncovered | Covered::Challenged => {}
            }
            if finalized {
                "finalized"
            } else {
                covered.name()
            }
        }
    };
    let mut fields = withdrawal_fields(row);
    fields.extend(
        json!({
            "state": state,
            "seconds_left": seconds_left,
            "output": output,
            "proof": proof,
            "l1_time": now,
            "bridge_paused_until": paused_until,
            "paused": paused_until > now,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    Ok(Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use drawbridge_protocol::Freeze;

    use super::*;

    fn payable(latest_final: Option<u64>, freeze: Freeze) -> Payable {
        Payable {
            latest_final,
            freeze,
            escape: None,
        }
    }

    #[test]
    fn the_withdrawal_view_answers_by_the_bridge_rule() {
        // Output i ends at L2 block 10 * (i + 1); the withdrawal is in block 35 (output 3 is the
        // earliest to cover it).
        let blocks = |i: u64| 10 * (i + 1);
        let proposed = OutputStatus::Proposed;
        let state = |p: Payable, status| covered_state(&p, blocks, 35, status);
        // Open: ready once a final output covers it, as before.
        assert_eq!(
            state(payable(Some(3), Freeze::Open), proposed),
            Covered::Ready
        );
        assert_eq!(
            state(payable(Some(5), Freeze::Open), proposed),
            Covered::Ready
        );
        assert_eq!(
            state(payable(Some(2), Freeze::Open), proposed),
            Covered::InChallengeWindow
        );
        assert_eq!(
            state(payable(None, Freeze::Open), OutputStatus::Challenged),
            Covered::Challenged
        );
        // Frozen: a newer final output does not pay after the escape output (OutputAfterEscape).
        let frozen = |escape_output| Freeze::Frozen { escape_output };
        assert_eq!(
            state(payable(Some(5), frozen(Some(2))), proposed),
            Covered::FrozenUncovered
        );
        assert_eq!(
            state(payable(Some(5), frozen(Some(4))), proposed),
            Covered::Ready
        );
        assert_eq!(
            state(payable(Some(5), frozen(None)), proposed),
            Covered::FrozenUncovered
        );
        assert_eq!(
            state(payable(None, frozen(Some(3))), OutputStatus::Challenged),
            Covered::Ready
        );
        assert_eq!(Covered::FrozenUncovered.name(), "frozen_uncovered");
        assert_eq!(Covered::Ready.name(), "ready_to_finalize");
    }
}
