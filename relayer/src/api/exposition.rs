//! `/metrics` (Prometheus text) and `/openapi.json` (the description of every route).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiError, MAX_OUTPUTS, Shared, deploy_block, lag};
use crate::metrics::Exposition;
use crate::role::Role;

// -------------------------------------------------------------------------------------------------
// /metrics
// -------------------------------------------------------------------------------------------------

pub(super) async fn metrics(State(s): State<Shared>) -> Result<Response, ApiError> {
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

pub(super) async fn openapi_json() -> Json<Value> {
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
            "/withdrawals/{id}": { "get": {
                "summary": "A withdrawal by its nonce (as `drawbridge withdraw` prints it), its leaf or its L2 transaction hash: state, seconds left in the challenge window, the covering output and the Merkle proof against it (also once finalized).",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^([0-9]+|0x[0-9a-fA-F]{64})$" }, "example": "0" }],
                "responses": { "200": json_ok("the withdrawal"), "400": error("neither a nonce nor a hash"), "404": error("not ingested"), "409": json_ok("the transaction initiated several withdrawals; their leaves are listed"), "503": error("RPC or database unavailable") }
            }},
            "/history/{address}": { "get": {
                "summary": "Every L1 message (deposits, forced withdrawals) and withdrawal the address sent or receives, newest first (at most 100 of each); each one's state is at /messages/{nonce} and /withdrawals/{nonce}.",
                "parameters": [{ "name": "address", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" }, "example": "0x0000000000000000000000000000000000000000" }],
                "responses": { "200": json_ok("messages and withdrawals"), "400": error("not an address"), "503": error("database unavailable") }
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
