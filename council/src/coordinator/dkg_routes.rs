//! The DKG routes: create a session, collect round-1 and round-2 packages and every member's
//! result, and serve them back (long-polls).

use super::*;

pub(super) async fn create_dkg(
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
    let (_w, row) = c
        .create(&env, SessionKind::Dkg, SessionStatus::Round1)
        .await?;
    info!(session = %env.session, by = env.sender, threshold = req.threshold, "DKG session created");
    Ok((StatusCode::CREATED, Json(c.dkg_view(&row).await?)).into_response())
}

pub(super) async fn dkg_session(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
) -> ApiResult<Json<DkgSessionView>> {
    let row = c.row(&id, SessionKind::Dkg).await?;
    Ok(Json(c.dkg_view(&row).await?))
}

pub(super) async fn post_round1(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let (_w, row) = c
        .collecting(
            &id,
            SessionKind::Dkg,
            SessionStatus::Round1,
            "round-1 packages",
        )
        .await?;
    let req: DkgRequest = payload(&row.request)?;
    dkg::open_round1(&c.inner.book, &id, req.threshold, &env)?;
    let members = usize::from(c.inner.book.len());
    let envs = std::slice::from_ref(&env);
    c.record(&id, KIND_ROUND1, envs, members, SessionStatus::Round2)
        .await?;
    info!(session = %id, from = env.sender, "DKG round 1");
    Ok(c.changed())
}

pub(super) async fn round1_set(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.wait_on(
        &id,
        SessionKind::Dkg,
        q.wait,
        "round-1 packages of every member",
        |c, row| async move {
            if row.status == SessionStatus::Round1 {
                return Ok(None);
            }
            Ok(Some(
                c.inner.store.messages(&row.id, KIND_ROUND1, None).await?,
            ))
        },
    )
    .await
}

pub(super) async fn post_round2(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(envs): Json<Vec<Envelope>>,
) -> ApiResult<StatusCode> {
    let (_w, _) = c
        .collecting(
            &id,
            SessionKind::Dkg,
            SessionStatus::Round2,
            "round-2 packages",
        )
        .await?;
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
    let members = usize::from(book.len());
    c.record(&id, KIND_ROUND2, &envs, members, SessionStatus::Results)
        .await?;
    info!(session = %id, from = sender, "DKG round 2");
    Ok(c.changed())
}

pub(super) async fn round2_for(
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

pub(super) async fn post_result(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Json(env): Json<Envelope>,
) -> ApiResult<StatusCode> {
    let (_w, _) = c
        .collecting(&id, SessionKind::Dkg, SessionStatus::Results, "results")
        .await?;
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
    Ok(c.changed())
}

pub(super) async fn dkg_result(
    State(c): State<Coordinator>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> ApiResult<Response> {
    c.wait_on(
        &id,
        SessionKind::Dkg,
        q.wait,
        "every member's result",
        |c, row| async move {
            if matches!(row.status, SessionStatus::Done | SessionStatus::Failed) {
                Ok(Some(c.dkg_view(&row).await?))
            } else {
                Ok(None)
            }
        },
    )
    .await
}
