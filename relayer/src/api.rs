//! The HTTP API (axum) on `api_listen`: health, status, an L1 message by nonce, a withdrawal by
//! hash with its proof, state and time left, outputs and their challenge windows (with the
//! watchdog's verdicts), the watchdog's findings, council pauses
//! and scheduled calls, the OpenAPI description of all of it, and Prometheus `/metrics`.
//!
//! Every answer is JSON except `/metrics`. The API only reads: the database (shared with every
//! relayer on it, so a standby relayer answers as well as the active one) and the chains. Errors
//! are `{"error": "..."}` with 400 (malformed path or query), 404 (unknown), 409 (ambiguous hash)
//! or 503 (database or RPC unavailable).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle, SecurityCouncil};
use drawbridge_merkle::{MerkleTree, MessageKind};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::chain::Chain;
use crate::config::{RelayerConfig, Role};
use crate::error::Error;
use crate::lease::Leases;
use crate::metrics::{Exposition, Metrics};
use crate::store::{Store, WithdrawalRow, now_ms};

/// Most outputs one `/outputs` answer lists.
const MAX_OUTPUTS: u64 = 100;

/// Scheduled council calls found so far (`CallScheduled` ids), scanned incrementally.
#[derive(Debug, Default)]
struct CouncilScan {
    resolved: bool,
    address: Option<Address>,
    note: Option<String>,
    next_block: u64,
    ids: BTreeSet<B256>,
}

/// What every handler reads.
pub(crate) struct ApiState {
    pub store: Store,
    pub config: RelayerConfig,
    pub l1: Chain,
    pub l2: Chain,
    pub leases: Arc<Leases>,
    pub metrics: Arc<Metrics>,
    /// The withdrawal tree, extended from the database on demand (proofs).
    withdrawals: Mutex<MerkleTree>,
    council: Mutex<CouncilScan>,
}

impl ApiState {
    pub fn new(
        store: Store,
        config: RelayerConfig,
        l1: Chain,
        l2: Chain,
        leases: Arc<Leases>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            config,
            l1,
            l2,
            leases,
            metrics,
            withdrawals: Mutex::new(MerkleTree::new()),
            council: Mutex::default(),
        }
    }
}

type Shared = Arc<ApiState>;

/// An error answer.
#[derive(Debug)]
enum ApiError {
    BadRequest(String),
    NotFound(String),
    Conflict(Value),
    Unavailable(String),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({ "error": m })),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, json!({ "error": m })),
            Self::Conflict(v) => (StatusCode::CONFLICT, v),
            Self::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, json!({ "error": m })),
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

fn rpc(chain: &Chain) -> impl Fn(alloy::contract::Error) -> ApiError + '_ {
    move |e| ApiError::Unavailable(format!("{} RPC: {e}", chain.name))
}

/// The routes, for [`serve`] and for tests.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/messages/{nonce}", get(message))
        .route("/withdrawals/{hash}", get(withdrawal))
        .route("/outputs", get(outputs))
        .route("/watchdog", get(watchdog))
        .route("/council", get(council))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .with_state(state)
}

/// Binds `address` (port 0 picks a free port).
pub(crate) async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Error::config("api_listen", format!("cannot listen on {address}: {e}")))
}

/// Serves until the future is dropped.
pub(crate) async fn serve(listener: tokio::net::TcpListener, state: Shared) {
    if let Err(error) = axum::serve(listener, router(state)).await {
        tracing::error!(%error, "the HTTP API stopped");
    }
}

fn hex(b: impl AsRef<[u8]>) -> String {
    alloy::hex::encode_prefixed(b)
}

/// Latest L1 block timestamp: "now" for challenge windows and pauses (chain time, not ours).
async fn l1_now(s: &ApiState) -> Result<u64, ApiError> {
    let block =
        s.l1.provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| ApiError::Unavailable(format!("L1 RPC: {e}")))?
            .ok_or_else(|| ApiError::Unavailable("L1 RPC: no latest block".into()))?;
    Ok(block.header.timestamp)
}

// -------------------------------------------------------------------------------------------------
// /health and /status
// -------------------------------------------------------------------------------------------------

async fn health(State(s): State<Shared>) -> Response {
    let mut problems = Vec::new();
    if let Err(error) = s.store.ping().await {
        problems.push(format!("database: {error}"));
    }
    let stale_after = (s.config.poll_interval * 10)
        .max(Duration::from_secs(60))
        .max(s.config.max_backoff * 2);
    let age_ms = s.metrics.last_round_ok_ms().map(|ms| now_ms() - ms);
    match age_ms {
        None => problems.push("no round has completed yet".to_string()),
        Some(age) if age > i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX) => {
            problems.push(format!("no round without error for {}s", age / 1000));
        }
        Some(_) => {}
    }
    for (role, reason) in s.metrics.halted() {
        problems.push(format!("{role} halted: {reason}"));
    }
    for problem in s.metrics.watchdog_problems() {
        problems.push(format!("watchdog: {problem}"));
    }
    for problem in s.metrics.finalize_problems() {
        problems.push(format!("finalize: {problem}"));
    }
    let healthy = problems.is_empty();
    let body = json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "problems": problems,
        "relayer_id": s.config.relayer_id,
        "roles_held": s.leases.held().iter().map(|f| f.role.as_str()).collect::<Vec<_>>(),
        "last_round_ok_ms_ago": age_ms,
    });
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

async fn status(State(s): State<Shared>) -> ApiResult {
    let st = s.store.status().await?;
    let leases = s.store.leases().await?;
    let counts = s.store.submission_counts().await?;
    let mut chains = serde_json::Map::new();
    for (key, chain, next) in [
        ("l1", &s.l1, st.l1_next_block),
        ("l2", &s.l2, st.l2_next_block),
    ] {
        let view = s.metrics.chain(key);
        chains.insert(
            key.into(),
            json!({
                "chain_id": chain.chain_id,
                "head": view.head,
                "next_block": next,
                "lag_blocks": lag(view.head, next, deploy_block(&s.config, key)),
                "confirmations": chain.confirmations,
                "balance_wei": view.balance.map(|b| b.to_string()),
                "balance_low": view.balance_low,
            }),
        );
    }
    Ok(Json(json!({
        "relayer_id": s.config.relayer_id,
        "account": s.config.address().to_string(),
        "roles_configured": s.config.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "roles_held": s.leases.held().iter().map(|f| f.role.as_str()).collect::<Vec<_>>(),
        "leases": leases.iter().map(|l| json!({
            "role": l.role,
            "holder": l.holder,
            "token": l.token,
            "live": l.is_live(),
            "expires_in_ms": l.expires_at - l.db_now,
        })).collect::<Vec<_>>(),
        "database": s.store.backend().as_str(),
        "chains": chains,
        "messages": {
            "ingested": st.l1_messages,
            "committed": st.committed_messages,
            "processed_on_l2": s.metrics.l2_messages_processed(),
        },
        "withdrawals": {
            "ingested": st.withdrawals,
            "finalized": st.finalized_withdrawals,
        },
        "submissions": counts.iter().map(|(state, n)| (state.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "halted": s.metrics.halted(),
    })))
}

fn deploy_block(config: &RelayerConfig, chain: &str) -> u64 {
    if chain == "l1" {
        config.deployment.l1.deploy_block
    } else {
        config.deployment.l2.deploy_block
    }
}

/// Blocks between the chain head and the last block ingested.
pub(crate) fn lag(head: Option<u64>, next_block: Option<u64>, deploy_block: u64) -> Option<u64> {
    let head = head?;
    let scanned = next_block.unwrap_or(deploy_block).saturating_sub(1);
    Some(head.saturating_sub(scanned))
}

// -------------------------------------------------------------------------------------------------
// /messages/{nonce}
// -------------------------------------------------------------------------------------------------

async fn message(State(s): State<Shared>, Path(nonce): Path<String>) -> ApiResult {
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
// /withdrawals/{hash}
// -------------------------------------------------------------------------------------------------

async fn withdrawal(State(s): State<Shared>, Path(hash): Path<String>) -> ApiResult {
    let hash: B256 = hash.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "{hash:?} is not a 32-byte hex hash (a withdrawal leaf or an L2 transaction hash)"
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
                "error": format!("L2 transaction {hash} initiated {} withdrawals; ask for one by its leaf", many.len()),
                "leaves": many.iter().map(|w| w.leaf.to_string()).collect::<Vec<_>>(),
            })));
        }
    };
    Ok(Json(withdrawal_view(&s, &row).await?))
}

/// The earliest output covering L2 block `block`, by binary search over the (increasing) output
/// block numbers.
async fn covering_output(
    s: &ApiState,
    oracle: &IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
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

/// Index of the newest final output, if any.
async fn latest_final(
    s: &ApiState,
    oracle: &IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
) -> Result<Option<u64>, ApiError> {
    match oracle.latestFinalIndex().call().await {
        Ok(i) => Ok(Some(i.saturating_to())),
        Err(e) if e.as_revert_data().is_some() => Ok(None),
        Err(e) => Err(rpc(&s.l1)(e)),
    }
}

fn output_status(status: u8) -> &'static str {
    match status {
        1 => "proposed",
        2 => "challenged",
        3 => "upheld",
        _ => "none",
    }
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
    let count: u64 = oracle
        .outputCount()
        .call()
        .await
        .map_err(rpc(&s.l1))?
        .saturating_to();
    let covering = covering_output(s, &oracle, count, row.l2_block).await?;
    let challenge_period = oracle.challengePeriod().call().await.map_err(rpc(&s.l1))?;
    let now = l1_now(s).await?;
    let paused_until = l1_bridge.pausedUntil().call().await.map_err(rpc(&s.l1))?;
    let latest_final = latest_final(s, &oracle).await?;
    let mut proof = Value::Null;
    let mut output = Value::Null;
    let mut seconds_left = Value::Null;
    let state = match &covering {
        _ if finalized => "finalized",
        None => "waiting_for_output",
        Some((index, o)) => {
            let ends = o.proposedAt.saturating_add(challenge_period);
            output = json!({
                "index": index,
                "l2_block_number": o.l2BlockNumber,
                "withdrawal_root": o.withdrawalRoot.to_string(),
                "status": output_status(o.status),
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
            if latest_final.is_some_and(|f| f >= *index) {
                seconds_left = json!(0);
                "ready_to_finalize"
            } else if o.status == 2 {
                "challenged"
            } else {
                seconds_left = json!(ends.saturating_sub(now));
                "in_challenge_window"
            }
        }
    };
    Ok(json!({
        "nonce": w.nonce,
        "sender": w.sender.to_string(),
        "recipient": w.recipient.to_string(),
        "l1_token": w.l1_token.to_string(),
        "amount": w.amount.to_string(),
        "leaf": row.leaf.to_string(),
        "l2_block": row.l2_block,
        "l2_tx": row.l2_tx.to_string(),
        "state": state,
        "seconds_left": seconds_left,
        "output": output,
        "proof": proof,
        "l1_time": now,
        "bridge_paused_until": paused_until,
        "paused": paused_until > now,
    }))
}

// -------------------------------------------------------------------------------------------------
// /outputs
// -------------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct OutputsQuery {
    from: Option<u64>,
    limit: Option<u64>,
}

async fn outputs(State(s): State<Shared>, Query(q): Query<OutputsQuery>) -> ApiResult {
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_OUTPUTS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit {limit} is outside 1..={MAX_OUTPUTS}"
        )));
    }
    let oracle = IOutputOracle::new(s.config.deployment.l1.output_oracle, s.l1.provider.clone());
    let count: u64 = oracle
        .outputCount()
        .call()
        .await
        .map_err(rpc(&s.l1))?
        .saturating_to();
    let from = q.from.unwrap_or(count.saturating_sub(limit));
    let to = from.saturating_add(limit).min(count);
    let challenge_period = oracle.challengePeriod().call().await.map_err(rpc(&s.l1))?;
    let latest_final = latest_final(&s, &oracle).await?;
    let now = l1_now(&s).await?;
    let mut list = Vec::new();
    for index in from..to {
        let o = oracle
            .getOutput(U256::from(index))
            .call()
            .await
            .map_err(rpc(&s.l1))?;
        let ends = o.proposedAt.saturating_add(challenge_period);
        let is_final = latest_final.is_some_and(|f| f >= index);
        let id = crate::watchdog::output_id(index, o.proposer, &crate::watchdog::Claim::of(&o));
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
            "status": output_status(o.status),
            "final": is_final,
            "proposed_at": o.proposedAt,
            "challenge_window_ends_at": ends,
            "seconds_left": if is_final || o.status == 2 { Value::Null } else { json!(ends.saturating_sub(now)) },
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
struct WatchdogQuery {
    limit: Option<u64>,
}

/// What the watchdog found (read from the database, so any relayer on it answers): every output
/// it saw, newest proposal first, deleted ones included, with its verdict; the L1 roots published
/// on L2 that L1 has not confirmed; this process's counters and open problems.
async fn watchdog(State(s): State<Shared>, Query(q): Query<WatchdogQuery>) -> ApiResult {
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

async fn council(State(s): State<Shared>) -> ApiResult {
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

// -------------------------------------------------------------------------------------------------
// /metrics
// -------------------------------------------------------------------------------------------------

async fn metrics(State(s): State<Shared>) -> Result<Response, ApiError> {
    let mut out = Exposition::default();
    s.metrics.write(&mut out);
    let st = s.store.status().await?;
    out.family(
        "drawbridge_relayer_head_lag_blocks",
        "gauge",
        "Blocks between the chain head and the last block the relayers ingested.",
    );
    for (chain, next) in [("l1", st.l1_next_block), ("l2", st.l2_next_block)] {
        if let Some(lag) = lag(
            s.metrics.chain(chain).head,
            next,
            deploy_block(&s.config, chain),
        ) {
            out.sample(
                "drawbridge_relayer_head_lag_blocks",
                &[("chain", chain)],
                lag,
            );
        }
    }
    out.family(
        "drawbridge_relayer_next_block",
        "gauge",
        "First block not ingested yet, per chain.",
    );
    for (chain, next) in [("l1", st.l1_next_block), ("l2", st.l2_next_block)] {
        if let Some(next) = next {
            out.sample("drawbridge_relayer_next_block", &[("chain", chain)], next);
        }
    }
    out.family(
        "drawbridge_relayer_queue_depth",
        "gauge",
        "Work waiting: L1 messages not delivered on L2, not covered by a committed root, withdrawals not finalized, submissions queued or in flight.",
    );
    if let Some(processed) = s.metrics.l2_messages_processed() {
        out.sample(
            "drawbridge_relayer_queue_depth",
            &[("queue", "undelivered_messages")],
            st.l1_messages.saturating_sub(processed),
        );
    }
    out.sample(
        "drawbridge_relayer_queue_depth",
        &[("queue", "uncommitted_messages")],
        st.l1_messages.saturating_sub(st.committed_messages),
    );
    out.sample(
        "drawbridge_relayer_queue_depth",
        &[("queue", "unfinalized_withdrawals")],
        st.withdrawals.saturating_sub(st.finalized_withdrawals),
    );
    out.sample(
        "drawbridge_relayer_queue_depth",
        &[("queue", "pending_submissions")],
        st.pending_submissions,
    );
    out.family(
        "drawbridge_relayer_submissions",
        "gauge",
        "Recorded transactions by state (all relayers on the database).",
    );
    for (state, n) in s.store.submission_counts().await? {
        out.sample(
            "drawbridge_relayer_submissions",
            &[("state", state.as_str())],
            n,
        );
    }
    out.family(
        "drawbridge_relayer_messages_ingested",
        "gauge",
        "Confirmed L1 messages and withdrawals in the database.",
    );
    out.sample(
        "drawbridge_relayer_messages_ingested",
        &[("kind", "l1_message")],
        st.l1_messages,
    );
    out.sample(
        "drawbridge_relayer_messages_ingested",
        &[("kind", "withdrawal")],
        st.withdrawals,
    );
    out.family(
        "drawbridge_relayer_lease_held",
        "gauge",
        "1 for each role this relayer is active in.",
    );
    for role in Role::ALL {
        if s.config.has_role(role) {
            out.sample(
                "drawbridge_relayer_lease_held",
                &[("role", role.as_str())],
                u64::from(s.leases.get(role).is_some()),
            );
        }
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out.finish(),
    )
        .into_response())
}

// -------------------------------------------------------------------------------------------------
// /openapi.json
// -------------------------------------------------------------------------------------------------

async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

fn json_ok(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The OpenAPI 3.1 description of every route (hand-written; a test fetches every path in it).
pub(crate) fn openapi() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Drawbridge relayer API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only status of a Drawbridge relayer and of the bridge: messages, withdrawals with proofs, outputs, council actions, metrics. Times are L1 block timestamps (unix seconds); amounts are decimal strings in the token's smallest unit."
        },
        "paths": {
            "/health": { "get": {
                "summary": "Liveness: the database answers and a round completed recently; no role halted, no open watchdog finding, no final output the finalize role refuses.",
                "responses": { "200": json_ok("healthy"), "503": json_ok("unhealthy, with the problems listed") }
            }},
            "/status": { "get": {
                "summary": "What the relayer holds and knows: roles and leases, chain heads and lag, balances, counts, submissions by state.",
                "responses": { "200": json_ok("status"), "503": error("database unavailable") }
            }},
            "/messages/{nonce}": { "get": {
                "summary": "An L1->L2 message (deposit or forced withdrawal) by nonce, with its delivery state.",
                "parameters": [{ "name": "nonce", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 }, "example": 0 }],
                "responses": { "200": json_ok("the message"), "400": error("not a nonce"), "404": error("not ingested"), "503": error("RPC or database unavailable") }
            }},
            "/withdrawals/{hash}": { "get": {
                "summary": "A withdrawal by its leaf or its L2 transaction hash: state, seconds left in the challenge window, Merkle proof against the covering output.",
                "parameters": [{ "name": "hash", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^0x[0-9a-fA-F]{64}$" }, "example": "0x0000000000000000000000000000000000000000000000000000000000000000" }],
                "responses": { "200": json_ok("the withdrawal"), "400": error("not a hash"), "404": error("not ingested"), "409": json_ok("the transaction initiated several withdrawals; their leaves are listed"), "503": error("RPC or database unavailable") }
            }},
            "/outputs": { "get": {
                "summary": "Outputs on L1 with their status and challenge windows (newest 20 by default).",
                "parameters": [
                    { "name": "from", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 0 } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": MAX_OUTPUTS } }
                ],
                "responses": { "200": json_ok("outputs, each with the watchdog's verdict when it checked it"), "400": error("bad limit"), "503": error("RPC unavailable") }
            }},
            "/watchdog": { "get": {
                "summary": "The watchdog's findings: outputs it saw (newest first, deleted ones included) with its verdict (ok / wrong and why), status and council verdict; L1 roots published on L2 that L1 has not confirmed; counters and open problems.",
                "parameters": [
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": MAX_OUTPUTS } }
                ],
                "responses": { "200": json_ok("findings"), "400": error("bad limit"), "503": error("database unavailable") }
            }},
            "/council": { "get": {
                "summary": "The L1 bridge's pause and freeze, and the council's scheduled calls with their ETA (empty with a note when no SecurityCouncil is known).",
                "responses": { "200": json_ok("pauses and scheduled calls"), "503": error("RPC unavailable") }
            }},
            "/metrics": { "get": {
                "summary": "Prometheus metrics (text exposition format 0.0.4).",
                "responses": { "200": { "description": "metrics", "content": { "text/plain": { "schema": { "type": "string" } } } } }
            }},
            "/openapi.json": { "get": {
                "summary": "This description.",
                "responses": { "200": json_ok("OpenAPI 3.1 document") }
            }}
        },
        "components": { "schemas": { "Error": {
            "type": "object",
            "properties": { "error": { "type": "string" } },
            "required": ["error"]
        }}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_blocks_behind_the_head() {
        assert_eq!(lag(Some(100), Some(90), 1), Some(11));
        assert_eq!(lag(Some(100), Some(101), 1), Some(0));
        assert_eq!(lag(Some(100), None, 5), Some(96));
        assert_eq!(lag(None, Some(5), 1), None);
    }

    #[test]
    fn every_route_is_documented() {
        let doc = openapi();
        let paths: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let routes: BTreeSet<&str> = [
            "/health",
            "/status",
            "/messages/{nonce}",
            "/withdrawals/{hash}",
            "/outputs",
            "/watchdog",
            "/council",
            "/metrics",
            "/openapi.json",
        ]
        .into();
        assert_eq!(paths, routes);
    }
}
