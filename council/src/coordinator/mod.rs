//! The coordinator: an HTTP server (axum) that stores sessions (sqlx, SQLite by default) and
//! relays the members' signed messages. It can forge nothing: every message it accepts is an
//! envelope signed by a member of the address book, and members re-check everything it serves
//! ([`crate::protocol`], [`crate::member`]). It checks what it can so bad input fails early and
//! names its culprit (unknown member, bad signature, wrong session, missing proof of knowledge,
//! commitment of the wrong length, duplicate or zero identifier, invalid signature share), and it
//! aggregates and verifies the signature the way the contract will before storing it.
//!
//! Routes (JSON; errors are `{"error": "..."}` with a 4xx/5xx status; a long-poll `?wait=SECS`
//! that ends before its state is reached answers `202 {"pending": true, ...}`):
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/dkg` | create a DKG session from a signed `create-dkg` request |
//! | `GET /v1/dkg/{id}` | the session |
//! | `POST /v1/dkg/{id}/round1` | a member's round-1 envelope |
//! | `GET /v1/dkg/{id}/round1?wait=` | every round-1 envelope, once all members sent theirs |
//! | `POST /v1/dkg/{id}/round2` | a member's round-2 envelopes (one per other member) |
//! | `GET /v1/dkg/{id}/round2/{member}?wait=` | the round-2 envelopes for `member`, once complete |
//! | `POST /v1/dkg/{id}/result` | a member's public outcome |
//! | `GET /v1/dkg/{id}/result?wait=` | the session once every member reported (done or failed) |
//! | `POST /v1/sign` | create a signing session from a signed `create-sign` request |
//! | `GET /v1/sign/{id}` | the session (request, digest, commitments so far, signature) |
//! | `POST /v1/sign/{id}/commitments` | a signer's commitment envelope |
//! | `GET /v1/sign/{id}/package?wait=` | the signing package, once every signer committed |
//! | `POST /v1/sign/{id}/shares` | a signer's share envelope (verified on arrival) |
//! | `GET /v1/sign/{id}/signature?wait=` | the session once signed (and submitted) or failed |

mod dkg_routes;
mod sign_routes;
pub mod store;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::{Mutex, MutexGuard, watch};
use tracing::{info, warn};

use crate::action::Action;
use crate::contract::SignatureExport;
use crate::contract::{PublicFile, SignatureFile};
use crate::dkg::{self, KIND_ROUND1, KIND_ROUND2, Round2Payload};
use crate::error::{CouncilError, Result};
use crate::identity::{AddressBook, Envelope};
use crate::protocol::{
    self, DkgRequest, DkgResultPayload, DkgSessionView, ErrorBody, KIND_CREATE_DKG,
    KIND_CREATE_SIGN, KIND_DKG_RESULT, KIND_SESSION_COMMITMENTS, KIND_SESSION_SHARE, Pending,
    SessionStatus, SignRequest, SignSessionView, SigningPackageView,
};
use crate::signing::{self, identifier};
use dkg_routes::{
    create_dkg, dkg_result, dkg_session, post_result, post_round1, post_round2, round1_set,
    round2_for,
};
use sign_routes::{
    create_sign, post_commitment, post_share, sign_session, signature, signing_package,
};
use store::{SessionKind, SessionRow, Store};

/// Longest long-poll a request may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// What one client may hold of the coordinator (connections, header and age deadlines, body
/// size): one outsider holding connections open must not keep members from coordinating an
/// emergency pause; an idle connection makes way for a member's request.
pub fn http_limits() -> drawbridge_service::http::HttpLimits {
    drawbridge_service::http::HttpLimits {
        // Long-polls hold a connection up to MAX_WAIT; a connection lives longer than that.
        max_connection_age: MAX_WAIT * 5,
        ..drawbridge_service::http::HttpLimits::default()
    }
}

/// On-chain submission of signed actions by the coordinator.
#[derive(Clone)]
pub struct Submission {
    /// JSON-RPC endpoint of the council's chain.
    pub rpc_url: String,
    /// The key paying for submissions.
    pub signer: PrivateKeySigner,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("rpc_url", &self.rpc_url)
            .field("signer", &self.signer.address())
            .finish()
    }
}

/// What a coordinator needs.
#[derive(Clone, Debug)]
pub struct CoordinatorConfig {
    /// The council's members.
    pub book: AddressBook,
    /// sqlx database URL (`sqlite:PATH?mode=rwc`).
    pub database_url: String,
    /// Submit signed actions on chain (else members or anyone submit the calldata).
    pub submission: Option<Submission>,
}

struct Inner {
    store: Store,
    book: AddressBook,
    changed: watch::Sender<u64>,
    // One writer at a time: "check the state, insert, maybe advance" stays atomic.
    write: Mutex<()>,
    submission: Option<Submission>,
}

/// A running coordinator's state; cheap to clone.
#[derive(Clone)]
pub struct Coordinator {
    inner: Arc<Inner>,
}

/// An HTTP error: status and message.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl From<CouncilError> for ApiError {
    fn from(e: CouncilError) -> Self {
        let status = match &e {
            CouncilError::DuplicateIdentifier(_) | CouncilError::Session(_) => StatusCode::CONFLICT,
            CouncilError::Database(_)
            | CouncilError::Io { .. }
            | CouncilError::Chain(_)
            | CouncilError::Http(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

fn not_found(id: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no session {id}"))
}

/// Query of long-polls: `wait` seconds (capped at [`MAX_WAIT`]); `member` only names the caller
/// in the logs.
#[derive(Debug, Default, Deserialize)]
pub struct WaitQuery {
    /// Seconds to wait for the state.
    pub wait: Option<u64>,
    /// The asking member (informational).
    pub member: Option<u16>,
}

fn payload<T: serde::de::DeserializeOwned>(env: &Envelope) -> Result<T> {
    let bytes = hex::decode(&env.payload).map_err(|e| CouncilError::Encoding(e.to_string()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

impl Coordinator {
    /// Opens the database and builds the coordinator.
    pub async fn open(config: CoordinatorConfig) -> Result<Self> {
        let store = Store::open(&config.database_url).await?;
        let (changed, _) = watch::channel(0);
        Ok(Coordinator {
            inner: Arc::new(Inner {
                store,
                book: config.book,
                changed,
                write: Mutex::new(()),
                submission: config.submission,
            }),
        })
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/health", get(|| async { "ok" }))
            .route("/v1/dkg", post(create_dkg))
            .route("/v1/dkg/{id}", get(dkg_session))
            .route("/v1/dkg/{id}/round1", post(post_round1).get(round1_set))
            .route("/v1/dkg/{id}/round2", post(post_round2))
            .route("/v1/dkg/{id}/round2/{member}", get(round2_for))
            .route("/v1/dkg/{id}/result", post(post_result).get(dkg_result))
            .route("/v1/sign", post(create_sign))
            .route("/v1/sign/{id}", get(sign_session))
            .route("/v1/sign/{id}/commitments", post(post_commitment))
            .route("/v1/sign/{id}/package", get(signing_package))
            .route("/v1/sign/{id}/shares", post(post_share))
            .route("/v1/sign/{id}/signature", get(signature))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` resolves.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let router = self.router();
        drawbridge_service::http::serve(listener, router, http_limits(), shutdown).await;
        self.inner.store.close().await;
        Ok(())
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// After a message is stored: wakes the waiters; the answer `204 No Content`.
    fn changed(&self) -> StatusCode {
        self.notify();
        StatusCode::NO_CONTENT
    }

    async fn row(&self, id: &str, kind: SessionKind) -> ApiResult<SessionRow> {
        match self.inner.store.session(id).await? {
            Some(r) if r.kind == kind => Ok(r),
            _ => Err(not_found(id)),
        }
    }

    /// Long-poll: answers `check`'s value as soon as it has one, else `202 Pending` after `wait`
    /// seconds. Wakes on every state change (a watch channel), never polls the database in a loop.
    async fn wait_for<T, F, Fut>(
        &self,
        wait: Option<u64>,
        what: &str,
        mut check: F,
    ) -> ApiResult<Response>
    where
        T: serde::Serialize,
        F: FnMut() -> Fut,
        Fut: Future<Output = ApiResult<Option<T>>>,
    {
        let limit = Duration::from_secs(wait.unwrap_or(0)).min(MAX_WAIT);
        let deadline = tokio::time::Instant::now() + limit;
        let mut rx = self.inner.changed.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(v) = check().await? {
                return Ok(Json(v).into_response());
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok((
                    StatusCode::ACCEPTED,
                    Json(Pending {
                        pending: true,
                        waiting_for: what.to_string(),
                    }),
                )
                    .into_response());
            }
            tokio::select! {
                r = rx.changed() => if r.is_err() { return Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into())); },
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // DKG
    // ---------------------------------------------------------------------------------------

    async fn dkg_view(&self, row: &SessionRow) -> ApiResult<DkgSessionView> {
        let s = &self.inner.store;
        Ok(DkgSessionView {
            session: row.id.clone(),
            request: row.request.clone(),
            status: row.status,
            round1_from: s.senders(&row.id, KIND_ROUND1).await?,
            round2_from: s.senders(&row.id, KIND_ROUND2).await?,
            results_from: s.senders(&row.id, KIND_DKG_RESULT).await?,
            public: match (&row.status, &row.result) {
                (SessionStatus::Done, Some(r)) => {
                    Some(serde_json::from_str(r).map_err(CouncilError::from)?)
                }
                _ => None,
            },
            error: row.error.clone(),
        })
    }

    /// Takes the write lock and session `id` of `kind`, which must be collecting `what`
    /// (`status`).
    async fn collecting(
        &self,
        id: &str,
        kind: SessionKind,
        status: SessionStatus,
        what: &str,
    ) -> ApiResult<(MutexGuard<'_, ()>, SessionRow)> {
        let w = self.inner.write.lock().await;
        let row = self.row(id, kind).await?;
        Self::expect_status(&row, status, what)?;
        Ok((w, row))
    }

    /// Creates session `env.session` of `kind` in `status` from its request `env`, under the
    /// write lock (kept until the guard is dropped), and tells the waiters.
    async fn create(
        &self,
        env: &Envelope,
        kind: SessionKind,
        status: SessionStatus,
    ) -> ApiResult<(MutexGuard<'_, ()>, SessionRow)> {
        let w = self.inner.write.lock().await;
        self.inner
            .store
            .create_session(&env.session, kind, env, status)
            .await?;
        self.notify();
        Ok((w, self.row(&env.session, kind).await?))
    }

    /// Long-poll on session `id` of `kind` (refused at once if there is none): `check` gets the
    /// coordinator and the session read afresh at every state change.
    async fn wait_on<T, F, Fut>(
        &self,
        id: &str,
        kind: SessionKind,
        wait: Option<u64>,
        what: &str,
        check: F,
    ) -> ApiResult<Response>
    where
        T: serde::Serialize,
        F: Fn(Coordinator, SessionRow) -> Fut,
        Fut: Future<Output = ApiResult<Option<T>>>,
    {
        self.row(id, kind).await?;
        let check = &check;
        self.wait_for(wait, what, || async move {
            let row = self.row(id, kind).await?;
            check(self.clone(), row).await
        })
        .await
    }

    /// Stores `envs`, one member's `kind` messages of session `id`; once `complete` members sent
    /// theirs, moves the session to `next` and answers `true`.
    async fn record(
        &self,
        id: &str,
        kind: &str,
        envs: &[Envelope],
        complete: usize,
        next: SessionStatus,
    ) -> ApiResult<bool> {
        let s = &self.inner.store;
        s.insert_messages(id, kind, envs).await?;
        if s.senders(id, kind).await?.len() != complete {
            return Ok(false);
        }
        s.set_status(id, next, None, None).await?;
        Ok(true)
    }

    fn expect_status(row: &SessionRow, status: SessionStatus, what: &str) -> ApiResult<()> {
        if row.status != status {
            return Err(CouncilError::Session(format!(
                "session {} is not collecting {what} (status {:?})",
                row.id, row.status
            ))
            .into());
        }
        Ok(())
    }
}
