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
use tokio::sync::{Mutex, watch};
use tracing::{info, warn};

use crate::action::Action;
use crate::contract::SignatureExport;
use crate::dkg::{self, KIND_ROUND1, KIND_ROUND2, Round2Payload};
use crate::error::{CouncilError, Result};
use crate::files::{PublicFile, SignatureFile};
use crate::identity::{AddressBook, Envelope};
use crate::protocol::{
    self, DkgRequest, DkgResultPayload, DkgSessionView, ErrorBody, KIND_CREATE_DKG,
    KIND_CREATE_SIGN, KIND_DKG_RESULT, KIND_SESSION_COMMITMENTS, KIND_SESSION_SHARE, Pending,
    SessionStatus, SignRequest, SignSessionView, SigningPackageView,
};
use crate::signing::{self, identifier};
use store::{SessionKind, SessionRow, Store};

/// Longest long-poll a request may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

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
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| CouncilError::Http(format!("server: {e}")))?;
        self.inner.store.close().await;
        Ok(())
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|v| *v = v.wrapping_add(1));
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

async fn create_dkg(
    State(c): State<Coordinator>,
    Json(env): Json<Envelope>,
) -> ApiResult<Response> {
    protocol::check_session_id(&env.session)?;
    let req: DkgRequest =
        protocol::open_request(&c.inner.book, &env, KIND_CREATE_DKG, &env.session)?;
    if req.members != c.inner.book.len() {
        return Err(CouncilError::Parameters(format!(
            "DKG for {} members, the address book has {}",
            req.members,
            c.inner.book.len()
        ))
        .into());
    }
    protocol::check_council_threshold(req.threshold, req.members)?;
    let _w = c.inner.write.lock().await;
    c.inner
        .store
        .create_session(&env.session, SessionKind::Dkg, &env, SessionStatus::Round1)
        .await?;
    info!(session = %env.session, by = env.sender, threshold = req.threshold, "DKG session created");
    c.notify();
    let row = c.row(&env.session, SessionKind::Dkg).await?;
    Ok((StatusCode::CREATED, Json(c.dkg_view(&row).await?)).into_response())
}

async fn dkg_session(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
) -> ApiResult<Json<DkgSessionView>> {
    let row = c.row(&id, SessionKind::Dkg).await?;
    Ok(Json(c.dkg_view(&row).await?))
}

async fn post_round1(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let _w = c.inner.write.lock().await;
    let row = c.row(&id, SessionKind::Dkg).await?;
    Coordinator::expect_status(&row, SessionStatus::Round1, "round-1 packages")?;
    let req: DkgRequest = payload(&row.request)?;
    dkg::open_round1(&c.inner.book, &id, req.threshold, &env)?;
    let s = &c.inner.store;
    s.insert_messages(&id, KIND_ROUND1, std::slice::from_ref(&env))
        .await?;
    info!(session = %id, from = env.sender, "DKG round 1");
    if s.senders(&id, KIND_ROUND1).await?.len() == usize::from(c.inner.book.len()) {
        s.set_status(&id, SessionStatus::Round2, None, None).await?;
    }
    c.notify();
    Ok(StatusCode::NO_CONTENT)
}

async fn round1_set(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.row(&id, SessionKind::Dkg).await?;
    let c2 = c.clone();
    c.wait_for(q.wait, "round-1 packages of every member", || {
        let c = c2.clone();
        let id = id.clone();
        async move {
            let row = c.row(&id, SessionKind::Dkg).await?;
            if row.status == SessionStatus::Round1 {
                return Ok(None);
            }
            Ok(Some(c.inner.store.messages(&id, KIND_ROUND1, None).await?))
        }
    })
    .await
}

async fn post_round2(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(envs): Json<Vec<Envelope>>,
) -> ApiResult<StatusCode> {
    let _w = c.inner.write.lock().await;
    let row = c.row(&id, SessionKind::Dkg).await?;
    Coordinator::expect_status(&row, SessionStatus::Round2, "round-2 packages")?;
    let book = &c.inner.book;
    let Some(first) = envs.first() else {
        return Err(CouncilError::Parameters("no round-2 packages".into()).into());
    };
    let sender = first.sender;
    let mut recipients = BTreeMap::new();
    for env in &envs {
        if env.sender == 0 || env.recipient == 0 {
            return Err(CouncilError::ZeroIdentifier.into());
        }
        if env.sender != sender {
            return Err(CouncilError::Parameters(format!(
                "round-2 batch mixes senders {sender} and {}",
                env.sender
            ))
            .into());
        }
        let bytes = book.open(env, KIND_ROUND2, &id, env.recipient)?;
        book.member(env.recipient)?;
        if env.recipient == sender {
            return Err(CouncilError::Misaddressed {
                sender,
                what: "its own sender".into(),
            }
            .into());
        }
        serde_json::from_slice::<Round2Payload>(&bytes).map_err(|e| {
            CouncilError::Encoding(format!("round-2 package from member {sender}: {e}"))
        })?;
        if recipients.insert(env.recipient, ()).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.recipient).into());
        }
    }
    for m in book.members() {
        if m.id != sender && !recipients.contains_key(&m.id) {
            return Err(CouncilError::Parameters(format!(
                "round-2 packages of member {sender}: none for member {}",
                m.id
            ))
            .into());
        }
    }
    let s = &c.inner.store;
    s.insert_messages(&id, KIND_ROUND2, &envs).await?;
    info!(session = %id, from = sender, "DKG round 2");
    if s.senders(&id, KIND_ROUND2).await?.len() == usize::from(book.len()) {
        s.set_status(&id, SessionStatus::Results, None, None)
            .await?;
    }
    c.notify();
    Ok(StatusCode::NO_CONTENT)
}

async fn round2_for(
    State(c): State<Coordinator>,
    Path((id, member)): Path<(String, u16)>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.row(&id, SessionKind::Dkg).await?;
    c.inner.book.member(member)?;
    let expected = usize::from(c.inner.book.len()) - 1;
    let c2 = c.clone();
    c.wait_for(q.wait, "round-2 packages of every other member", || {
        let c = c2.clone();
        let id = id.clone();
        async move {
            let envs = c
                .inner
                .store
                .messages(&id, KIND_ROUND2, Some(member))
                .await?;
            Ok((envs.len() == expected).then_some(envs))
        }
    })
    .await
}

async fn post_result(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let _w = c.inner.write.lock().await;
    let row = c.row(&id, SessionKind::Dkg).await?;
    Coordinator::expect_status(&row, SessionStatus::Results, "results")?;
    if env.sender == 0 {
        return Err(CouncilError::ZeroIdentifier.into());
    }
    let bytes = c.inner.book.open(&env, KIND_DKG_RESULT, &id, 0)?;
    let p: DkgResultPayload = serde_json::from_slice(&bytes).map_err(CouncilError::from)?;
    p.public.package()?;
    let s = &c.inner.store;
    s.insert_messages(&id, KIND_DKG_RESULT, std::slice::from_ref(&env))
        .await?;
    info!(session = %id, from = env.sender, key = %p.public.group_key.compressed, "DKG result");
    let all = s.messages(&id, KIND_DKG_RESULT, None).await?;
    if all.len() == usize::from(c.inner.book.len()) {
        let mut publics: Vec<(u16, PublicFile)> = Vec::new();
        for e in &all {
            publics.push((e.sender, payload::<DkgResultPayload>(e)?.public));
        }
        let (first_id, first) = &publics[0];
        match publics.iter().find(|(_, p)| p != first) {
            None => {
                s.set_status(
                    &id,
                    SessionStatus::Done,
                    Some(&serde_json::to_string(first).map_err(CouncilError::from)?),
                    None,
                )
                .await?;
                info!(session = %id, key = %first.group_key.compressed, "DKG done");
            }
            Some((other, _)) => {
                let msg = format!(
                    "members disagree on the public key package: member {first_id} and member {other} computed different ones"
                );
                warn!(session = %id, "{msg}");
                s.set_status(&id, SessionStatus::Failed, None, Some(&msg))
                    .await?;
            }
        }
    }
    c.notify();
    Ok(StatusCode::NO_CONTENT)
}

async fn dkg_result(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.row(&id, SessionKind::Dkg).await?;
    let c2 = c.clone();
    c.wait_for(q.wait, "every member's result", || {
        let c = c2.clone();
        let id = id.clone();
        async move {
            let row = c.row(&id, SessionKind::Dkg).await?;
            if matches!(row.status, SessionStatus::Done | SessionStatus::Failed) {
                Ok(Some(c.dkg_view(&row).await?))
            } else {
                Ok(None)
            }
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

impl Coordinator {
    async fn sign_view(&self, row: &SessionRow) -> ApiResult<SignSessionView> {
        let req: SignRequest = payload(&row.request)?;
        let signature: Option<SignatureFile> = match &row.result {
            Some(r) => Some(serde_json::from_str(r).map_err(CouncilError::from)?),
            None => None,
        };
        let calldata = match &signature {
            Some(s) => Some(req.action.calldata(&s.export()?)?),
            None => None,
        };
        let s = &self.inner.store;
        Ok(SignSessionView {
            session: row.id.clone(),
            request: row.request.clone(),
            digest: req.action.digest(),
            status: row.status,
            commitments: s.messages(&row.id, KIND_SESSION_COMMITMENTS, None).await?,
            shares_from: s.senders(&row.id, KIND_SESSION_SHARE).await?,
            signature,
            calldata,
            tx_hash: row.tx_hash.as_deref().and_then(|h| h.parse().ok()),
            error: row.error.clone(),
        })
    }

    /// The checked commitments of a session and the frost signing package they make.
    async fn package(
        &self,
        id: &str,
        req: &SignRequest,
    ) -> Result<frost_secp256k1_evm::SigningPackage> {
        let mut map = BTreeMap::new();
        for env in self
            .inner
            .store
            .messages(id, KIND_SESSION_COMMITMENTS, None)
            .await?
        {
            let (_, c) = protocol::open_commitment(&self.inner.book, id, &env)?;
            map.insert(env.sender, c);
        }
        signing::signing_package(&map, req.action.digest().as_slice())
    }

    fn spawn_submission(&self, id: String, action: Action, sig: SignatureExport) {
        let Some(sub) = self.inner.submission.clone() else {
            return;
        };
        let c = self.clone();
        tokio::spawn(async move {
            let outcome = crate::chain::submit(&sub.rpc_url, &sub.signer, &action, &sig).await;
            let stored = match &outcome {
                Ok(tx) => {
                    info!(session = %id, tx = %tx, "submitted");
                    c.inner
                        .store
                        .set_submission(&id, Some(&tx.to_string()), None)
                        .await
                }
                Err(e) => {
                    warn!(session = %id, error = %e, "submission failed");
                    c.inner
                        .store
                        .set_submission(&id, None, Some(&e.to_string()))
                        .await
                }
            };
            if let Err(e) = stored {
                warn!(session = %id, error = %e, "cannot record the submission");
            }
            c.notify();
        });
    }
}

async fn create_sign(
    State(c): State<Coordinator>,
    Json(env): Json<Envelope>,
) -> ApiResult<Response> {
    protocol::check_session_id(&env.session)?;
    let req: SignRequest =
        protocol::open_request(&c.inner.book, &env, KIND_CREATE_SIGN, &env.session)?;
    protocol::check_sign_request(&c.inner.book, &req)?;
    let _w = c.inner.write.lock().await;
    c.inner
        .store
        .create_session(
            &env.session,
            SessionKind::Sign,
            &env,
            SessionStatus::Commitments,
        )
        .await?;
    info!(session = %env.session, by = env.sender, kind = req.action.kind.name(), digest = %req.action.digest(), "signing session created");
    c.notify();
    let row = c.row(&env.session, SessionKind::Sign).await?;
    Ok((StatusCode::CREATED, Json(c.sign_view(&row).await?)).into_response())
}

async fn sign_session(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
) -> ApiResult<Json<SignSessionView>> {
    let row = c.row(&id, SessionKind::Sign).await?;
    Ok(Json(c.sign_view(&row).await?))
}

async fn post_commitment(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let _w = c.inner.write.lock().await;
    let row = c.row(&id, SessionKind::Sign).await?;
    Coordinator::expect_status(&row, SessionStatus::Commitments, "commitments")?;
    let req: SignRequest = payload(&row.request)?;
    let (digest, _) = protocol::open_commitment(&c.inner.book, &id, &env)?;
    if !req.signers.contains(&env.sender) {
        return Err(CouncilError::NotASigner(env.sender).into());
    }
    let expected = req.action.digest();
    if digest != expected {
        return Err(CouncilError::CommitmentForOtherMessage {
            sender: env.sender,
            digest: digest.to_string(),
            expected: expected.to_string(),
        }
        .into());
    }
    let s = &c.inner.store;
    s.insert_messages(&id, KIND_SESSION_COMMITMENTS, std::slice::from_ref(&env))
        .await?;
    info!(session = %id, from = env.sender, "commitments");
    if s.senders(&id, KIND_SESSION_COMMITMENTS).await?.len() == req.signers.len() {
        s.set_status(&id, SessionStatus::Shares, None, None).await?;
        info!(session = %id, "signing package published");
    }
    c.notify();
    Ok(StatusCode::NO_CONTENT)
}

async fn signing_package(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.row(&id, SessionKind::Sign).await?;
    let c2 = c.clone();
    c.wait_for(q.wait, "commitments of every signer", || {
        let c = c2.clone();
        let id = id.clone();
        async move {
            let row = c.row(&id, SessionKind::Sign).await?;
            if row.status == SessionStatus::Commitments {
                return Ok(None);
            }
            let req: SignRequest = payload(&row.request)?;
            Ok(Some(SigningPackageView {
                session: id.clone(),
                digest: req.action.digest(),
                commitments: c
                    .inner
                    .store
                    .messages(&id, KIND_SESSION_COMMITMENTS, None)
                    .await?,
            }))
        }
    })
    .await
}

async fn post_share(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let _w = c.inner.write.lock().await;
    let row = c.row(&id, SessionKind::Sign).await?;
    Coordinator::expect_status(&row, SessionStatus::Shares, "shares")?;
    let req: SignRequest = payload(&row.request)?;
    let (digest, share) = protocol::open_share(&c.inner.book, &id, &env)?;
    if !req.signers.contains(&env.sender) {
        return Err(CouncilError::NotASigner(env.sender).into());
    }
    let expected = req.action.digest();
    if digest != expected {
        return Err(CouncilError::CommitmentForOtherMessage {
            sender: env.sender,
            digest: digest.to_string(),
            expected: expected.to_string(),
        }
        .into());
    }
    let public = req.public.package()?;
    let package = c.package(&id, &req).await?;
    let ident = identifier(env.sender)?;
    let verifying_share = public
        .verifying_shares()
        .get(&ident)
        .ok_or(CouncilError::UnknownMember(env.sender))?;
    frost_core::verify_signature_share::<frost_secp256k1_evm::Secp256K1Keccak256>(
        ident,
        verifying_share,
        &share,
        &package,
        public.verifying_key(),
    )
    .map_err(|_| CouncilError::InvalidSignatureShare(vec![env.sender]))?;
    let s = &c.inner.store;
    s.insert_messages(&id, KIND_SESSION_SHARE, std::slice::from_ref(&env))
        .await?;
    info!(session = %id, from = env.sender, "signature share");
    let envs = s.messages(&id, KIND_SESSION_SHARE, None).await?;
    if envs.len() == req.signers.len() {
        let commitments = s.messages(&id, KIND_SESSION_COMMITMENTS, None).await?;
        match protocol::aggregate_session(&c.inner.book, &id, &req, &commitments, &envs) {
            Ok((file, export)) => {
                s.set_status(
                    &id,
                    SessionStatus::Signed,
                    Some(&serde_json::to_string(&file).map_err(CouncilError::from)?),
                    None,
                )
                .await?;
                info!(session = %id, digest = %expected, "signed");
                c.spawn_submission(id.clone(), req.action.clone(), export);
            }
            Err(e) => {
                warn!(session = %id, error = %e, "aggregation failed");
                s.set_status(&id, SessionStatus::Failed, None, Some(&e.to_string()))
                    .await?;
            }
        }
    }
    c.notify();
    Ok(StatusCode::NO_CONTENT)
}

async fn signature(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.row(&id, SessionKind::Sign).await?;
    let submits = c.inner.submission.is_some();
    let c2 = c.clone();
    c.wait_for(q.wait, "the aggregate signature", || {
        let c = c2.clone();
        let id = id.clone();
        async move {
            let row = c.row(&id, SessionKind::Sign).await?;
            let done = match row.status {
                SessionStatus::Failed => true,
                // With submission configured, wait for its outcome too.
                SessionStatus::Signed => !submits || row.tx_hash.is_some() || row.error.is_some(),
                _ => false,
            };
            if done {
                Ok(Some(c.sign_view(&row).await?))
            } else {
                Ok(None)
            }
        }
    })
    .await
}
