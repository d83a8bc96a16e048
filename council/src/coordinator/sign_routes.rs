//! The signing routes: create a session, collect commitments and shares (each checked on
//! arrival), aggregate, optionally submit, and serve the session back (long-polls).

use super::*;

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

pub(super) async fn create_sign(
    State(c): State<Coordinator>,
    Json(env): Json<Envelope>,
) -> ApiResult<Response> {
    protocol::check_session_id(&env.session)?;
    let req: SignRequest =
        protocol::open_request(&c.inner.book, &env, KIND_CREATE_SIGN, &env.session)?;
    protocol::check_sign_request(&c.inner.book, &req)?;
    let (_w, row) = c
        .create(&env, SessionKind::Sign, SessionStatus::Commitments)
        .await?;
    info!(session = %env.session, by = env.sender, kind = req.action.kind.name(), digest = %req.action.digest(), "signing session created");
    Ok((StatusCode::CREATED, Json(c.sign_view(&row).await?)).into_response())
}

pub(super) async fn sign_session(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
) -> ApiResult<Json<SignSessionView>> {
    let row = c.row(&id, SessionKind::Sign).await?;
    Ok(Json(c.sign_view(&row).await?))
}

pub(super) async fn post_commitment(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let (_w, row) = c
        .collecting(
            &id,
            SessionKind::Sign,
            SessionStatus::Commitments,
            "commitments",
        )
        .await?;
    let req: SignRequest = payload(&row.request)?;
    let (digest, _) = protocol::open_commitment(&c.inner.book, &id, &env)?;
    let expected = req.action.digest();
    protocol::check_bound(&req, env.sender, digest, expected)?;
    let signers = req.signers.len();
    let complete = c
        .record(
            &id,
            KIND_SESSION_COMMITMENTS,
            std::slice::from_ref(&env),
            signers,
            SessionStatus::Shares,
        )
        .await?;
    info!(session = %id, from = env.sender, "commitments");
    if complete {
        info!(session = %id, "signing package published");
    }
    Ok(c.changed())
}

pub(super) async fn signing_package(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.wait_on(
        &id,
        SessionKind::Sign,
        q.wait,
        "commitments of every signer",
        |c, row| async move {
            if row.status == SessionStatus::Commitments {
                return Ok(None);
            }
            let req: SignRequest = payload(&row.request)?;
            Ok(Some(SigningPackageView {
                digest: req.action.digest(),
                commitments: c
                    .inner
                    .store
                    .messages(&row.id, KIND_SESSION_COMMITMENTS, None)
                    .await?,
                session: row.id,
            }))
        },
    )
    .await
}

pub(super) async fn post_share(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let (_w, row) = c
        .collecting(&id, SessionKind::Sign, SessionStatus::Shares, "shares")
        .await?;
    let req: SignRequest = payload(&row.request)?;
    let (digest, share) = protocol::open_share(&c.inner.book, &id, &env)?;
    let expected = req.action.digest();
    protocol::check_bound(&req, env.sender, digest, expected)?;
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
    Ok(c.changed())
}

pub(super) async fn signature(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    let submits = c.inner.submission.is_some();
    c.wait_on(
        &id,
        SessionKind::Sign,
        q.wait,
        "the aggregate signature",
        |c, row| {
            async move {
                let done = match row.status {
                    SessionStatus::Failed => true,
                    // With submission configured, wait for its outcome too.
                    SessionStatus::Signed => {
                        !submits || row.tx_hash.is_some() || row.error.is_some()
                    }
                    _ => false,
                };
                if done {
                    Ok(Some(c.sign_view(&row).await?))
                } else {
                    Ok(None)
                }
            }
        },
    )
    .await
}
