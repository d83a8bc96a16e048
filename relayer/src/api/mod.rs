//! The HTTP API (axum) on `api_listen`: health, status, an L1 message by nonce, a withdrawal by
//! nonce or hash with its proof, state and time left, an address's history (its messages and
//! withdrawals), outputs and their challenge windows (with the
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
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use drawbridge_bindings::IOutputOracle;
use drawbridge_protocol::MerkleTree;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::chain::SigningChain;
use crate::config::RelayerConfig;
use crate::error::Error;
use crate::lease::Leases;
use crate::metrics::Metrics;
use crate::store::{Store, now_ms};

mod council;
mod exposition;
mod lookups;

use council::{council, outputs, watchdog};
use exposition::{metrics, openapi_json};
use lookups::{history, message, withdrawal};

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
    pub l1: SigningChain,
    pub l2: SigningChain,
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
        l1: SigningChain,
        l2: SigningChain,
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

fn rpc(chain: &SigningChain) -> impl Fn(alloy::contract::Error) -> ApiError + '_ {
    move |e| ApiError::Unavailable(format!("{} RPC: {e}", chain.name))
}

/// The OutputOracle's `outputCount()`.
async fn output_count(
    s: &ApiState,
    oracle: &IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
) -> Result<u64, ApiError> {
    Ok(oracle
        .outputCount()
        .call()
        .await
        .map_err(rpc(&s.l1))?
        .saturating_to())
}

/// The routes, for [`serve`] and for tests.
pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/messages/{nonce}", get(message))
        .route("/withdrawals/{id}", get(withdrawal))
        .route("/history/{address}", get(history))
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

/// Serves until the future is dropped, within the workspace's HTTP limits (a connection cap,
/// header and age deadlines: idle clients cannot use up the descriptors the chain work needs).
pub(crate) async fn serve(listener: tokio::net::TcpListener, state: Shared) {
    drawbridge_service::http::serve(
        listener,
        router(state),
        drawbridge_service::http::HttpLimits::default(),
        std::future::pending(),
    )
    .await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use exposition::openapi;

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
            "/withdrawals/{id}",
            "/history/{address}",
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
