//! `/outputs`, `/watchdog` and `/council`: outputs with their challenge windows and the watchdog's
//! verdicts, the watchdog's findings, and the council's pauses and scheduled calls.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use axum::Json;
use axum::extract::{Query, State};
use drawbridge_bindings::{IL1Bridge, IOutputOracle, SecurityCouncil};
use drawbridge_protocol::OutputStatus;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ApiError, ApiResult, ApiState, CouncilScan, MAX_OUTPUTS, Shared, hex, l1_now, output_count, rpc,
};
use crate::payable::latest_final;
use crate::role::Role;

// -------------------------------------------------------------------------------------------------
// /outputs
// -------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(super) struct OutputsQuery {
    from: Option<u64>,
    limit: Option<u64>,
}

pub(super) async fn outputs(State(s): State<Shared>, Query(q): Query<OutputsQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_OUTPUTS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit {limit} is outside 1..={MAX_OUTPUTS}"
        )));
    }
    let oracle = IOutputOracle::new(s.config.deployment.l1.output_oracle, s.l1.provider.clone());
    let count = output_count(&s, &oracle).await?;
    let from = q.from.unwrap_or(count.saturating_sub(limit));
    let to = from.saturating_add(limit).min(count);
    let challenge_period = oracle.challengePeriod().call().await.map_err(rpc(&s.l1))?;
    let latest_final = latest_final(&s.l1, &oracle).await?;
    let now = l1_now(&s).await?;
    let mut list = Vec::new();
    for index in from..to {
        let o = oracle
            .getOutput(U256::from(index))
            .call()
            .await
            .map_err(rpc(&s.l1))?;
        let ends = o.proposedAt.saturating_add(challenge_period);
        let status = OutputStatus::from_u8_lossy(o.status);
        let is_final = latest_final.is_some_and(|f| f >= index);
        let id = crate::claim::output_id(index, o.proposer, &crate::claim::Claim::of(&o));
        let watchdog = s
            .store
            .watched_output(id)
            .await?
            .map(|w| json!({ "verdict": w.verdict, "reason": w.reason }));
        list.push(json!({
            "index": index,
            "l2_block_number": o.l2BlockNumber,
            "l2_block_hash": o.l2BlockHash.to_string(),
            "l2_state_root": o.l2StateRoot.to_string(),
            "withdrawal_root": o.withdrawalRoot.to_string(),
            "l1_messages_processed": o.l1MessagesProcessed,
            "proposer": o.proposer.to_string(),
            "challenger": (o.challenger != Address::ZERO).then(|| o.challenger.to_string()),
            "status": status.name(),
            "final": is_final,
            "proposed_at": o.proposedAt,
            "challenge_window_ends_at": ends,
            "seconds_left": if is_final || status == OutputStatus::Challenged { Value::Null } else { json!(ends.saturating_sub(now)) },
            "watchdog": watchdog,
        }));
    }
    Ok(Json(json!({
        "count": count,
        "latest_final_index": latest_final,
        "challenge_period": challenge_period,
        "l1_time": now,
        "outputs": list,
    })))
}

// -------------------------------------------------------------------------------------------------
// /watchdog
// -------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(super) struct WatchdogQuery {
    limit: Option<u64>,
}

/// What the watchdog found (read from the database, so any relayer on it answers): every output
/// it saw, newest proposal first, deleted ones included, with its verdict; the L1 roots published
/// on L2 that L1 has not confirmed; this process's counters and open problems.
pub(super) async fn watchdog(State(s): State<Shared>, Query(q): Query<WatchdogQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_OUTPUTS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit {limit} is outside 1..={MAX_OUTPUTS}"
        )));
    }
    let outputs = s.store.watched_outputs(limit).await?;
    let unconfirmed = s.store.watch_roots_unconfirmed().await?;
    let (roots_seen, roots_confirmed) = s.store.watch_root_counts().await?;
    let counts = s.metrics.watchdog_counts();
    Ok(Json(json!({
        "configured": s.config.has_role(Role::Watchdog),
        "active": s.leases.get(Role::Watchdog).is_some(),
        "outputs": outputs.iter().map(|o| o.to_json()).collect::<Vec<_>>(),
        "roots": {
            "seen": roots_seen,
            "confirmed_on_l1": roots_confirmed,
            "unconfirmed": unconfirmed.iter().map(|r| json!({
                "root": r.root.to_string(),
                "count": r.count,
                "l2_block": r.l2_block,
                "l1_count": r.l1_count,
            })).collect::<Vec<_>>(),
        },
        "this_process": {
            "outputs_checked": counts.outputs_checked,
            "wrong_outputs": counts.wrong_outputs,
            "challenges_sent": counts.challenges_sent,
            "roots_checked": counts.roots_checked,
        },
        "conservation": s.metrics.backing().iter().map(|b| json!({
            "l1_token": b.l1_token.to_string(),
            "l2_token": b.l2_token.map(|t| t.to_string()),
            "l2_supply": b.l2_supply.to_string(),
            "unpaid_withdrawals": b.unpaid.to_string(),
            "l1_escrow": b.escrow.to_string(),
            "unbacked": b.unbacked().to_string(),
        })).collect::<Vec<_>>(),
        "problems": s.metrics.watchdog_problems(),
    })))
}

// -------------------------------------------------------------------------------------------------
// /council
// -------------------------------------------------------------------------------------------------

/// The L1 council contract: `council_address`, else the deployment's council role when it is a
/// contract that answers `upgradeDelay()`.
async fn resolve_council(s: &ApiState, scan: &mut CouncilScan) -> Result<(), ApiError> {
    if scan.resolved {
        return Ok(());
    }
    let (candidate, configured) = match s.config.council_address {
        Some(a) => (a, true),
        None => (s.config.deployment.roles.council, false),
    };
    let code =
        s.l1.provider
            .get_code_at(candidate)
            .await
            .map_err(|e| ApiError::Unavailable(format!("L1 RPC: {e}")))?;
    let council = SecurityCouncil::new(candidate, s.l1.provider.clone());
    let answers = !code.is_empty() && council.upgradeDelay().call().await.is_ok();
    if answers {
        scan.address = Some(candidate);
    } else {
        scan.note = Some(if configured {
            format!(
                "council_address {candidate} is not a SecurityCouncil (no upgradeDelay()); no scheduled calls shown"
            )
        } else {
            format!(
                "the deployment's council {candidate} is not a SecurityCouncil contract (set council_address); no scheduled calls shown"
            )
        });
    }
    scan.next_block = s.config.deployment.l1.deploy_block;
    scan.resolved = true;
    Ok(())
}

pub(super) async fn council(State(s): State<Shared>) -> ApiResult {
    let l1_bridge = IL1Bridge::new(s.config.deployment.l1.l1_bridge, s.l1.provider.clone());
    let paused_until = l1_bridge.pausedUntil().call().await.map_err(rpc(&s.l1))?;
    let frozen = l1_bridge.frozen().call().await.map_err(rpc(&s.l1))?;
    let now = l1_now(&s).await?;
    let mut scan = s.council.lock().await;
    resolve_council(&s, &mut scan).await?;
    let mut scheduled = Vec::new();
    if let Some(address) = scan.address {
        // New CallScheduled events since the last answer, then each id's current operation (a
        // cancelled or executed call reads back with eta 0 and is dropped).
        let head =
            s.l1.provider
                .get_block_number()
                .await
                .map_err(|e| ApiError::Unavailable(format!("L1 RPC: {e}")))?;
        while scan.next_block <= head {
            let to = head.min(scan.next_block + s.config.max_log_range - 1);
            let filter = Filter::new()
                .address(address)
                .event_signature(SecurityCouncil::CallScheduled::SIGNATURE_HASH)
                .from_block(scan.next_block)
                .to_block(to);
            let logs =
                s.l1.provider
                    .get_logs(&filter)
                    .await
                    .map_err(|e| ApiError::Unavailable(format!("L1 RPC: eth_getLogs: {e}")))?;
            for log in logs {
                let event = log
                    .log_decode::<SecurityCouncil::CallScheduled>()
                    .map_err(|e| {
                        ApiError::Unavailable(format!("undecodable CallScheduled: {e}"))
                    })?;
                scan.ids.insert(event.inner.data.id);
            }
            scan.next_block = to + 1;
        }
        let contract = SecurityCouncil::new(address, s.l1.provider.clone());
        let mut gone = Vec::new();
        for id in scan.ids.clone() {
            let op = contract.operation(id).call().await.map_err(rpc(&s.l1))?;
            if op.eta == 0 {
                gone.push(id);
                continue;
            }
            scheduled.push(json!({
                "id": id.to_string(),
                "target": op.target.to_string(),
                "data": hex(&op.data),
                "selector": op.data.get(..4).map(hex),
                "eta": op.eta,
                "seconds_left": op.eta.saturating_sub(now),
                "ready": op.eta <= now,
            }));
        }
        for id in gone {
            scan.ids.remove(&id);
        }
    }
    Ok(Json(json!({
        "l1_time": now,
        "l1_bridge": {
            "address": s.config.deployment.l1.l1_bridge.to_string(),
            "paused_until": paused_until,
            "paused": paused_until > now,
            "seconds_left": paused_until.saturating_sub(now),
            "frozen": frozen,
        },
        "council": scan.address.map(|a| a.to_string()),
        "scheduled": scheduled,
        "note": scan.note,
    })))
}
