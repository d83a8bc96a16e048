//! The member side of coordinator ceremonies: an HTTP client for the coordinator, and the DKG and
//! signing steps a member runs, each checking everything the coordinator serves.
//!
//! Signing ([`sign`]): fetch the session; open the request signed by a member; check the action
//! and recompute its digest (never the coordinator's); refuse a session for another group key or
//! without this member; show the decoded action and ask for confirmation; draw nonces into the
//! [`NonceStore`] (durably) and post commitments bound to the session and the digest; wait for the
//! signing package and check it ([`protocol::verify_signing_package`]); claim the nonces on disk;
//! only then compute and post the share. Anything wrong before the claim leaves no share and no
//! used nonce behind.
//!
//! DKG ([`dkg()`]): the three parts of [`crate::dkg`], with the round-1 set relayed by the
//! coordinator checked to contain this member's own package unchanged, and every other member's
//! view of the round-1 set compared in part 3.

use std::path::Path;
use std::time::Duration;

use alloy::primitives::B256;
use frost::keys::{KeyPackage, PublicKeyPackage};
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::{Action, ActionView};
use crate::contract::{GroupKeyExport, PublicFile, verify_contract};
use crate::dkg;
use crate::error::{CouncilError, Result};
use crate::identity::{AddressBook, Envelope, MemberSecret};
use crate::keystore::{self, KdfParams};
use crate::nonces::{NonceState, NonceStore};
use crate::protocol::{
    self, DkgRequest, DkgResultPayload, DkgSessionView, ErrorBody, Expected, KIND_CREATE_DKG,
    KIND_CREATE_SIGN, KIND_DKG_RESULT, SessionStatus, SignRequest, SignSessionView, SignedAction,
    SigningPackageView,
};

/// Seconds a member asks the coordinator to hold each long-poll.
pub const POLL_SECONDS: u64 = 20;
/// Pause after a long-poll that came back pending, so a coordinator answering at once cannot
/// make a member spin.
pub const POLL_PAUSE: Duration = Duration::from_millis(500);

/// HTTP client of a coordinator.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// A client of the coordinator at `url` (`http://host:port`).
    pub fn new(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| CouncilError::Parameters(format!("coordinator url {url:?}: {e}")))?;
        if parsed.scheme() != "http" {
            return Err(CouncilError::Parameters(format!(
                "coordinator url {url:?}: only http:// is supported (no TLS stack in this build; \
                 every message is signed, so a plain link or an SSH tunnel is safe)"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(POLL_SECONDS + 30))
            .build()?;
        Ok(Client {
            base: url.trim_end_matches('/').to_string(),
            http,
        })
    }

    /// The coordinator's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn read<T: DeserializeOwned>(resp: reqwest::Response) -> Result<Option<T>> {
        let status = resp.status();
        let text = resp.text().await?;
        if status == reqwest::StatusCode::ACCEPTED {
            return Ok(None);
        }
        if !status.is_success() {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error)
                .unwrap_or(text);
            return Err(CouncilError::Coordinator {
                status: status.as_u16(),
                message,
            });
        }
        if text.is_empty() {
            return Ok(Some(serde_json::from_str("null")?));
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CouncilError::Encoding(format!("coordinator answer: {e}")))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let resp = self.http.get(format!("{}{path}", self.base)).send().await?;
        Self::read(resp)
            .await?
            .ok_or_else(|| CouncilError::Session(format!("{path}: not ready")))
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let resp = self.send_post(path, body).await?;
        Self::read(resp)
            .await?
            .ok_or_else(|| CouncilError::Session(format!("{path}: not accepted")))
    }

    async fn post_unit<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<()> {
        let resp = self.send_post(path, body).await?;
        Self::read::<serde_json::Value>(resp).await.map(|_| ())
    }

    /// POSTs `body` as JSON to `path`.
    async fn send_post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?)
    }

    /// Long-polls `path` until it answers, at most `timeout` in all.
    async fn poll<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
        timeout: Duration,
    ) -> Result<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let wait = left.as_secs().min(POLL_SECONDS);
            let resp = self
                .http
                .get(format!("{}{path}{sep}wait={wait}", self.base))
                .send()
                .await?;
            if let Some(v) = Self::read(resp).await? {
                return Ok(v);
            }
            if tokio::time::Instant::now() + POLL_PAUSE >= deadline {
                return Err(CouncilError::Timeout(what.to_string()));
            }
            tokio::time::sleep(POLL_PAUSE).await;
        }
    }

    /// Creates a DKG session from a signed request.
    pub async fn create_dkg(&self, request: &Envelope) -> Result<DkgSessionView> {
        self.post("/v1/dkg", request).await
    }

    /// A DKG session.
    pub async fn dkg_session(&self, id: &str) -> Result<DkgSessionView> {
        self.get(&format!("/v1/dkg/{id}")).await
    }

    /// Posts a round-1 envelope.
    pub async fn post_round1(&self, id: &str, env: &Envelope) -> Result<()> {
        self.post_unit(&format!("/v1/dkg/{id}/round1"), env).await
    }

    /// Waits for every round-1 envelope.
    pub async fn round1_set(&self, id: &str, me: u16, timeout: Duration) -> Result<Vec<Envelope>> {
        self.poll(
            &format!("/v1/dkg/{id}/round1?member={me}"),
            "the round-1 packages of every member",
            timeout,
        )
        .await
    }

    /// Posts this member's round-2 envelopes.
    pub async fn post_round2(&self, id: &str, envs: &[Envelope]) -> Result<()> {
        self.post_unit(&format!("/v1/dkg/{id}/round2"), envs).await
    }

    /// Waits for the round-2 envelopes addressed to `me`.
    pub async fn round2_for(&self, id: &str, me: u16, timeout: Duration) -> Result<Vec<Envelope>> {
        self.poll(
            &format!("/v1/dkg/{id}/round2/{me}"),
            "the round-2 packages of every other member",
            timeout,
        )
        .await
    }

    /// Posts this member's DKG result.
    pub async fn post_result(&self, id: &str, env: &Envelope) -> Result<()> {
        self.post_unit(&format!("/v1/dkg/{id}/result"), env).await
    }

    /// Waits until every member reported its result (done or failed).
    pub async fn dkg_result(&self, id: &str, timeout: Duration) -> Result<DkgSessionView> {
        self.poll(
            &format!("/v1/dkg/{id}/result"),
            "every member's DKG result",
            timeout,
        )
        .await
    }

    /// Creates a signing session from a signed request.
    pub async fn create_sign(&self, request: &Envelope) -> Result<SignSessionView> {
        self.post("/v1/sign", request).await
    }

    /// A signing session (`me` only names the caller in the coordinator's logs).
    pub async fn sign_session(&self, id: &str, me: Option<u16>) -> Result<SignSessionView> {
        match me {
            Some(m) => self.get(&format!("/v1/sign/{id}?member={m}")).await,
            None => self.get(&format!("/v1/sign/{id}")).await,
        }
    }

    /// Posts a commitment envelope.
    pub async fn post_commitment(&self, id: &str, env: &Envelope) -> Result<()> {
        self.post_unit(&format!("/v1/sign/{id}/commitments"), env)
            .await
    }

    /// Waits for the signing package.
    pub async fn package(
        &self,
        id: &str,
        me: u16,
        timeout: Duration,
    ) -> Result<SigningPackageView> {
        self.poll(
            &format!("/v1/sign/{id}/package?member={me}"),
            "the commitments of every signer",
            timeout,
        )
        .await
    }

    /// Posts a share envelope.
    pub async fn post_share(&self, id: &str, env: &Envelope) -> Result<()> {
        self.post_unit(&format!("/v1/sign/{id}/shares"), env).await
    }

    /// Waits until the session is signed (and submitted, if the coordinator submits) or failed.
    pub async fn signature(&self, id: &str, timeout: Duration) -> Result<SignSessionView> {
        self.poll(
            &format!("/v1/sign/{id}/signature"),
            "the aggregate signature",
            timeout,
        )
        .await
    }
}

/// A signed request to run a DKG among every member of `book` with `threshold`.
pub fn dkg_request(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    threshold: u16,
) -> Result<Envelope> {
    protocol::check_session_id(session)?;
    protocol::check_council_threshold(threshold, book.len())?;
    let req = DkgRequest {
        threshold,
        members: book.len(),
    };
    Ok(me.seal(KIND_CREATE_DKG, session, 0, &serde_json::to_vec(&req)?))
}

/// A signed request to sign `action` by `signers` with the group of `public`.
pub fn sign_request(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    action: &Action,
    signers: &[u16],
    public: &PublicFile,
) -> Result<Envelope> {
    protocol::check_session_id(session)?;
    let mut signers = signers.to_vec();
    signers.sort_unstable();
    let req = SignRequest {
        action: action.clone(),
        signers,
        public: public.clone(),
    };
    protocol::check_sign_request(book, &req)?;
    Ok(me.seal(KIND_CREATE_SIGN, session, 0, &serde_json::to_vec(&req)?))
}

/// What a member is asked to confirm before signing.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignPrompt {
    /// Session id.
    pub session: String,
    /// Who requested the session (member id and name).
    pub requested_by: (u16, String),
    /// The decoded action, digest computed here.
    pub action: ActionView,
    /// The signer set.
    pub signers: Vec<u16>,
    /// The group key (compressed).
    pub group_key: String,
}

impl SignPrompt {
    /// Readable rendering.
    pub fn to_text(&self) -> String {
        format!(
            "signing session {} requested by {} (member {})\n{}signers:   {:?}\ngroup key: {}\n",
            self.session,
            self.requested_by.1,
            self.requested_by.0,
            self.action.to_text(),
            self.signers,
            self.group_key
        )
    }
}

/// What [`sign`] did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOutcome {
    /// Session id.
    pub session: String,
    /// The digest signed.
    pub digest: B256,
    /// The signers of the package.
    pub signers: Vec<u16>,
}

/// Opens and checks a signing request envelope: signed by a known member for `session`, a
/// well-formed action and signer set. Returns the request, the digest recomputed here from the
/// action's fields, and the prompt to show.
pub fn open_sign_request(
    book: &AddressBook,
    session: &str,
    request: &Envelope,
) -> Result<(SignRequest, B256, SignPrompt)> {
    let req: SignRequest = protocol::open_request(book, request, KIND_CREATE_SIGN, session)?;
    protocol::check_sign_request(book, &req)?;
    let digest = req.action.digest();
    let by = book.member(request.sender)?;
    let prompt = SignPrompt {
        session: session.to_string(),
        requested_by: (by.id, by.name.clone()),
        action: req.action.describe()?,
        signers: req.signers.clone(),
        group_key: req.public.group_key.compressed.clone(),
    };
    Ok((req, digest, prompt))
}

/// Opens and checks a signing session as served by the coordinator: [`open_sign_request`], and
/// the coordinator's digest must equal the one recomputed here.
pub fn open_sign_session(
    book: &AddressBook,
    session: &str,
    view: &SignSessionView,
) -> Result<(SignRequest, B256, SignPrompt)> {
    if view.session != session {
        return Err(CouncilError::Misaddressed {
            sender: 0,
            what: format!("session {}", view.session),
        });
    }
    let (req, digest, prompt) = open_sign_request(book, session, &view.request)?;
    if view.digest != digest {
        return Err(CouncilError::DigestMismatch {
            claimed: view.digest.to_string(),
            computed: digest.to_string(),
        });
    }
    Ok((req, digest, prompt))
}

/// Checks that `me` with `key` may sign `req`: the key package is `me`'s and of the request's
/// group, `me` is a signer, and the deadline has not passed.
pub fn check_signer(
    me: &MemberSecret,
    key: &KeyPackage,
    req: &SignRequest,
    prompt: &SignPrompt,
) -> Result<()> {
    if crate::group::member_id(key.identifier()) != Some(me.id) {
        return Err(CouncilError::Parameters(format!(
            "the key package does not belong to member {}",
            me.id
        )));
    }
    let mine = GroupKeyExport::from_verifying_key(key.verifying_key())?.to_json();
    if mine.compressed != req.public.group_key.compressed {
        return Err(CouncilError::WrongGroupKey {
            session: req.public.group_key.compressed.clone(),
            mine: mine.compressed,
        });
    }
    if !req.signers.contains(&me.id) {
        return Err(CouncilError::NotASigner(me.id));
    }
    if prompt.action.seconds_left <= 0 {
        return Err(CouncilError::InvalidAction(format!(
            "the deadline {} has passed",
            prompt.action.deadline_utc
        )));
    }
    Ok(())
}

/// Retries a post a few times (the share is computed once; losing it costs the session).
async fn post_with_retry<F, Fut>(mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut delay = Duration::from_millis(250);
    for attempt in 0.. {
        match f().await {
            Err(CouncilError::Http(e)) if attempt < 4 => {
                tracing::warn!(error = %e, "posting failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// Runs this member's part of signing session `session` (see the module docs). `confirm` sees
/// the decoded action and returns whether to sign. Resumes a session whose commitment this
/// member already posted if its nonces are still fresh in `nonces`.
#[allow(clippy::too_many_arguments)]
pub async fn sign<R, F>(
    client: &Client,
    me: &MemberSecret,
    book: &AddressBook,
    key: &KeyPackage,
    nonces: &NonceStore,
    session: &str,
    mut confirm: F,
    timeout: Duration,
    rng: &mut R,
) -> Result<SignOutcome>
where
    R: RngCore + CryptoRng,
    F: FnMut(&SignPrompt) -> Result<bool>,
{
    let view = client.sign_session(session, Some(me.id)).await?;
    let (req, digest, prompt) = open_sign_session(book, session, &view)?;
    check_signer(me, key, &req, &prompt)?;
    if !confirm(&prompt)? {
        return Err(CouncilError::Declined);
    }
    // Resume: our commitment is already on the coordinator.
    let own = match view.commitments.iter().find(|e| e.sender == me.id) {
        Some(env) => {
            let (d, c) = protocol::open_commitment(book, session, env)?;
            if d != digest {
                return Err(CouncilError::CommitmentForOtherMessage {
                    sender: me.id,
                    digest: d.to_string(),
                    expected: digest.to_string(),
                });
            }
            match nonces.state(&c)? {
                NonceState::Fresh => env.clone(),
                NonceState::Used => {
                    return Err(CouncilError::NonceReused(crate::nonces::commitment_id(&c)?));
                }
                NonceState::Unknown => {
                    return Err(CouncilError::UnknownNonce(crate::nonces::commitment_id(
                        &c,
                    )?));
                }
            }
        }
        None => {
            if view.status != SessionStatus::Commitments {
                return Err(CouncilError::Session(format!(
                    "session {session} is no longer collecting commitments (status {:?})",
                    view.status
                )));
            }
            let c = nonces.commit(key, rng)?;
            let env = protocol::seal_commitment(me, session, digest, &c)?;
            client.post_commitment(session, &env).await?;
            env
        }
    };
    let package_view = client.package(session, me.id, timeout).await?;
    let package = protocol::verify_signing_package(
        book,
        &Expected {
            session,
            digest,
            me: me.id,
            own: &own,
            signers: &req.signers,
            threshold: *key.min_signers(),
        },
        &package_view,
    )?;
    // Claims the nonces on disk before the share exists.
    let share = nonces.sign(&package, key)?;
    let env = protocol::seal_share(me, session, digest, &share)?;
    post_with_retry(|| client.post_share(session, &env)).await?;
    Ok(SignOutcome {
        session: session.to_string(),
        digest,
        signers: req.signers,
    })
}

/// What a member is asked to confirm before a DKG.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DkgPrompt {
    /// Session id.
    pub session: String,
    /// Who requested it.
    pub requested_by: (u16, String),
    /// Threshold.
    pub threshold: u16,
    /// Members (the whole address book).
    pub members: Vec<(u16, String)>,
}

impl DkgPrompt {
    /// Readable rendering.
    pub fn to_text(&self) -> String {
        let names: Vec<String> = self
            .members
            .iter()
            .map(|(id, n)| format!("{id} {n}"))
            .collect();
        format!(
            "DKG session {} requested by {} (member {})\nthreshold: {} of {}\nmembers:   {}\n",
            self.session,
            self.requested_by.1,
            self.requested_by.0,
            self.threshold,
            self.members.len(),
            names.join(", ")
        )
    }
}

/// Runs this member's part of DKG session `session` through the coordinator. Returns the key
/// package (save it encrypted) and the public key package; posts the public outcome so the
/// coordinator can check that every member computed the same.
pub async fn dkg<R, F>(
    client: &Client,
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    mut confirm: F,
    timeout: Duration,
    rng: &mut R,
) -> Result<(KeyPackage, PublicKeyPackage)>
where
    R: RngCore + CryptoRng,
    F: FnMut(&DkgPrompt) -> Result<bool>,
{
    book.member(me.id)?;
    let view = client.dkg_session(session).await?;
    if view.session != session {
        return Err(CouncilError::Misaddressed {
            sender: 0,
            what: format!("session {}", view.session),
        });
    }
    let req: DkgRequest = protocol::open_request(book, &view.request, KIND_CREATE_DKG, session)?;
    if req.members != book.len() {
        return Err(CouncilError::Parameters(format!(
            "DKG for {} members, our address book has {}",
            req.members,
            book.len()
        )));
    }
    protocol::check_council_threshold(req.threshold, req.members)?;
    let by = book.member(view.request.sender)?;
    let prompt = DkgPrompt {
        session: session.to_string(),
        requested_by: (by.id, by.name.clone()),
        threshold: req.threshold,
        members: book
            .members()
            .iter()
            .map(|m| (m.id, m.name.clone()))
            .collect(),
    };
    if !confirm(&prompt)? {
        return Err(CouncilError::Declined);
    }
    let (state1, own) = dkg::part1(me, book, session, req.threshold, rng)?;
    client.post_round1(session, &own).await?;
    let round1 = client.round1_set(session, me.id, timeout).await?;
    if !round1.iter().any(|e| e == &own) {
        return Err(CouncilError::OwnCommitmentChanged(me.id));
    }
    let (state2, out) = dkg::part2(me, book, session, state1, &round1, rng)?;
    client.post_round2(session, &out).await?;
    let round2 = client.round2_for(session, me.id, timeout).await?;
    let (key, public) = dkg::part3(me, book, session, &state2, &round1, &round2)?;
    let result = DkgResultPayload {
        public: PublicFile::new(&public, req.threshold)?,
    };
    let env = me.seal(KIND_DKG_RESULT, session, 0, &serde_json::to_vec(&result)?);
    post_with_retry(|| client.post_result(session, &env)).await?;
    Ok((key, public))
}

/// Keeps the outcome of [`dkg()`]: writes the key package encrypted under `passphrase` to
/// `key_out` and the public file to `public_out`, then waits for the coordinator's result and
/// refuses unless every member computed this same public key package.
#[allow(clippy::too_many_arguments)]
pub async fn save_dkg<R: RngCore + CryptoRng>(
    client: &Client,
    session: &str,
    (key, public): (&KeyPackage, &PublicKeyPackage),
    passphrase: &str,
    params: KdfParams,
    key_out: &Path,
    public_out: &Path,
    timeout: Duration,
    rng: &mut R,
) -> Result<PublicFile> {
    keystore::save(key_out, &key.serialize()?, passphrase, params, rng)?;
    let public = PublicFile::new(public, *key.min_signers())?;
    crate::disk::write_json(public_out, &public)?;
    let done = client.dkg_result(session, timeout).await?;
    if done.status != SessionStatus::Done || done.public.as_ref() != Some(&public) {
        return Err(CouncilError::Session(format!(
            "DKG {session}: the members did not all compute this public key package{}",
            done.error.map(|e| format!(": {e}")).unwrap_or_default()
        )));
    }
    Ok(public)
}

impl Client {
    /// The signed action of signing session `session`, checked here: with `book` the request's
    /// signature too; the digest recomputed from the action, the signature verified against the
    /// request's group key as the contract will, the calldata rebuilt.
    pub async fn signed_action(
        &self,
        session: &str,
        book: Option<&AddressBook>,
    ) -> Result<SignedAction> {
        let view = self.sign_session(session, None).await?;
        let req: SignRequest = match book {
            Some(b) => open_sign_request(b, session, &view.request)?.0,
            None => serde_json::from_slice(
                &hex::decode(&view.request.payload)
                    .map_err(|e| CouncilError::Encoding(e.to_string()))?,
            )?,
        };
        let signature = match (view.status, view.signature) {
            (SessionStatus::Signed, Some(s)) => s,
            (status, _) => {
                return Err(CouncilError::Session(format!(
                    "session {session} is not signed (status {status:?}{})",
                    view.error.map(|e| format!(": {e}")).unwrap_or_default()
                )));
            }
        };
        let export = signature.export()?;
        let digest = req.action.digest();
        let pk = GroupKeyExport::from_verifying_key(req.public.package()?.verifying_key())?;
        if !verify_contract(&pk, &export, digest.as_slice()) {
            return Err(CouncilError::Session(format!(
                "the coordinator's signature for session {session} does not verify for its action"
            )));
        }
        Ok(SignedAction {
            calldata: req.action.calldata(&export)?,
            action: req.action,
            signature,
        })
    }
}
