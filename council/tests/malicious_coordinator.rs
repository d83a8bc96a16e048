//! A malicious coordinator: the real server behind a layer whose handlers tamper with what the
//! members fetch (and, for one attack, answer members itself). Each attack is its own test; in
//! each the members refuse with an error naming the problem, and no share leaves any of them (no
//! nonces claimed on disk, no share at the coordinator).

#[path = "common/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alloy::primitives::B256;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use drawbridge_council::CouncilError;
use drawbridge_council::dkg;
use drawbridge_council::files::PublicFile;
use drawbridge_council::identity::Envelope;
use drawbridge_council::member;
use drawbridge_council::protocol::{self, SigningPackageView};
use harness::{
    CoordinatorHarness, STEP_TIMEOUT, Signer, all_refused, claimed, dealer, pause, sign_all, start,
};
use rand_core::OsRng;
use serde_json::Value;

/// Rewrites the JSON a GET answers: (path, asking member, body) -> body.
type Rewrite = Arc<dyn Fn(&str, Option<u16>, Value) -> Value + Send + Sync>;
/// Answers a request itself instead of the real server: (method, path, member, body).
type Intercept = Arc<dyn Fn(&Method, &str, Option<u16>, &[u8]) -> Option<Response> + Send + Sync>;

#[derive(Clone, Default)]
struct Evil {
    rewrite: Option<Rewrite>,
    intercept: Option<Intercept>,
}

fn member_of(query: Option<&str>) -> Option<u16> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("member="))
        .and_then(|v| v.parse().ok())
}

async fn evil_layer(State(evil): State<Evil>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let member = member_of(req.uri().query());
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap();
    if let Some(intercept) = &evil.intercept
        && let Some(resp) = intercept(&method, &path, member, &bytes)
    {
        return resp;
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    match (
        &evil.rewrite,
        method == Method::GET && resp.status() == StatusCode::OK,
    ) {
        (Some(rewrite), true) => {
            let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            let value: Value = serde_json::from_slice(&body).unwrap();
            axum::Json(rewrite(&path, member, value)).into_response()
        }
        _ => resp,
    }
}

async fn start_evil(n: u16, seed: u8, evil: Evil) -> CoordinatorHarness {
    start(n, seed, None, move |r: Router| {
        r.layer(middleware::from_fn_with_state(evil, evil_layer))
    })
    .await
}

/// Late-bound state a rewrite closure reads (filled in by the test once it exists).
type Slot<T> = Arc<Mutex<Option<T>>>;

fn no_share_left(
    h: &CoordinatorHarness,
    session: &str,
    signers: &[Signer],
) -> impl std::future::Future<Output = ()> {
    let client = h.client.clone();
    let session = session.to_string();
    let counts: Vec<(u16, usize)> = signers.iter().map(|s| (s.member.id, claimed(s))).collect();
    async move {
        for (id, n) in counts {
            assert_eq!(n, 0, "member {id} claimed nonces");
        }
        let view = client.sign_session(&session, None).await.unwrap();
        assert!(
            view.shares_from.is_empty(),
            "shares reached the coordinator"
        );
        assert!(view.signature.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_message_is_refused() {
    // The coordinator changes the action inside the signed request of the session it serves
    // (pause 60 s -> 86400 s): the request's signature breaks. Then it serves the real request
    // with another digest than the action's: refused as well. No member commits.
    let forged = pause(86_400, 0);
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, member, mut v| {
            if path == "/v1/sign/s1" {
                let env: Envelope = serde_json::from_value(v["request"].clone()).unwrap();
                let mut req: protocol::SignRequest =
                    serde_json::from_slice(&hex::decode(&env.payload).unwrap()).unwrap();
                req.action = forged.clone();
                let mut env2 = env;
                env2.payload = hex::encode(serde_json::to_vec(&req).unwrap());
                v["request"] = serde_json::to_value(env2).unwrap();
                v["digest"] = serde_json::to_value(forged.digest()).unwrap();
            }
            if path == "/v1/sign/s2" && member.is_some() {
                v["digest"] = serde_json::to_value(B256::repeat_byte(7)).unwrap();
            }
            v
        })),
        intercept: None,
    };
    let h = start_evil(4, 10, evil).await;
    let keys = dealer(3, 4, 10);
    let signers: Vec<_> = h.signers(&keys).into_iter().take(3).collect();
    let action = pause(60, 0);
    h.create_sign("s1", &action, &[1, 2, 3], &keys).await;
    let results = sign_all(&h.client, &h.book, &signers, "s1").await;
    all_refused(
        &results,
        |_, e| matches!(e, CouncilError::BadPackageSignature { sender: 1, kind } if kind == "create-sign"),
        &[1, 2, 3],
    );
    h.create_sign("s2", &action, &[1, 2, 3], &keys).await;
    let results = sign_all(&h.client, &h.book, &signers, "s2").await;
    all_refused(
        &results,
        |_, e| matches!(e, CouncilError::DigestMismatch { claimed, .. } if claimed == &B256::repeat_byte(7).to_string()),
        &[1, 2, 3],
    );
    for s in ["s1", "s2"] {
        no_share_left(&h, s, &signers).await;
        assert!(
            h.client
                .sign_session(s, None)
                .await
                .unwrap()
                .commitments
                .is_empty()
        );
    }
    for s in &signers {
        assert!(
            std::fs::read_dir(h.dir.path().join(format!("nonces-{}", s.member.id)))
                .unwrap()
                .next()
                .is_none(),
            "no nonce drawn"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_message_in_the_signing_package_is_refused() {
    // Members committed to the real action; the package then claims another digest.
    let other = pause(86_400, 0).digest();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, _, mut v| {
            if path.ends_with("/package") {
                v["digest"] = serde_json::to_value(other).unwrap();
            }
            v
        })),
        intercept: None,
    };
    let h = start_evil(4, 11, evil).await;
    let keys = dealer(3, 4, 11);
    let signers: Vec<_> = h.signers(&keys).into_iter().take(3).collect();
    let action = pause(60, 0);
    h.create_sign("s", &action, &[1, 2, 3], &keys).await;
    let results = sign_all(&h.client, &h.book, &signers, "s").await;
    let expected = action.digest().to_string();
    all_refused(
        &results,
        |_, e| matches!(e, CouncilError::DigestMismatch { claimed, computed } if claimed == &other.to_string() && computed == &expected),
        &[1, 2, 3],
    );
    no_share_left(&h, "s", &signers).await;
    assert_eq!(
        h.client
            .sign_session("s", None)
            .await
            .unwrap()
            .commitments
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commitments_swapped_between_sessions_are_refused() {
    // Two sessions run at the same time; the package of session B carries member 2's commitment
    // from session A (validly signed by member 2, but for A).
    let a_commitment: Slot<Envelope> = Arc::default();
    let slot = a_commitment.clone();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, _, v| {
            if path != "/v1/sign/B/package" {
                return v;
            }
            let mut p: SigningPackageView = serde_json::from_value(v).unwrap();
            let from_a = slot
                .lock()
                .unwrap()
                .clone()
                .expect("session A committed first");
            for env in &mut p.commitments {
                if env.sender == 2 {
                    *env = from_a.clone();
                }
            }
            serde_json::to_value(p).unwrap()
        })),
        intercept: None,
    };
    let h = start_evil(4, 12, evil).await;
    let keys = dealer(3, 4, 12);
    let all = h.signers(&keys);
    let signers: Vec<_> = all.iter().take(3).cloned().collect();
    // Session A: members commit (member 2 with its own nonce store); it stays open.
    h.create_sign("A", &pause(60, 0), &[1, 2, 3], &keys).await;
    let a_digest = pause(60, 0).digest();
    let a2 = &all[1];
    let c = a2.nonces.commit(&a2.key, &mut OsRng).unwrap();
    let env = protocol::seal_commitment(&a2.member, "A", a_digest, &c).unwrap();
    h.client.post_commitment("A", &env).await.unwrap();
    *a_commitment.lock().unwrap() = Some(env);

    h.create_sign("B", &pause(120, 0), &[1, 2, 3], &keys).await;
    let results = sign_all(&h.client, &h.book, &signers, "B").await;
    all_refused(
        &results,
        |_, e| matches!(e, CouncilError::Misaddressed { sender: 2, what } if what.contains("session A")),
        &[1, 2, 3],
    );
    no_share_left(&h, "B", &signers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_old_commitment_is_refused() {
    // Session 1 completes honestly. In session 2 the coordinator replays member 3's commitment
    // envelope from session 1 (whose nonces were used for session 1's share).
    let old: Slot<Envelope> = Arc::default();
    let slot = old.clone();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, _, v| {
            if path != "/v1/sign/second/package" {
                return v;
            }
            let mut p: SigningPackageView = serde_json::from_value(v).unwrap();
            let replay = slot.lock().unwrap().clone().unwrap();
            for env in &mut p.commitments {
                if env.sender == 3 {
                    *env = replay.clone();
                }
            }
            serde_json::to_value(p).unwrap()
        })),
        intercept: None,
    };
    let h = start_evil(4, 13, evil).await;
    let keys = dealer(3, 4, 13);
    let signers: Vec<_> = h.signers(&keys).into_iter().take(3).collect();
    h.create_sign("first", &pause(60, 0), &[1, 2, 3], &keys)
        .await;
    for r in sign_all(&h.client, &h.book, &signers, "first").await {
        r.unwrap();
    }
    let first = h.client.signature("first", STEP_TIMEOUT).await.unwrap();
    *old.lock().unwrap() = first.commitments.iter().find(|e| e.sender == 3).cloned();
    let before: Vec<usize> = signers.iter().map(claimed).collect();
    assert_eq!(before, vec![1, 1, 1]);

    h.create_sign("second", &pause(60, 1), &[1, 2, 3], &keys)
        .await;
    let results = sign_all(&h.client, &h.book, &signers, "second").await;
    all_refused(
        &results,
        |_, e| matches!(e, CouncilError::Misaddressed { sender: 3, what } if what.contains("session first")),
        &[1, 2, 3],
    );
    let after: Vec<usize> = signers.iter().map(claimed).collect();
    assert_eq!(after, before, "no new nonce use");
    let view = h.client.sign_session("second", None).await.unwrap();
    assert!(view.shares_from.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_commitment_replaced_is_refused() {
    // The package carries another commitment of member 1, validly signed by member 1 for this
    // session and digest (e.g. from an earlier attempt): member 1 refuses, it is not what it sent.
    let replacement: Slot<Envelope> = Arc::default();
    let slot = replacement.clone();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, member, v| {
            if !path.ends_with("/package") || member != Some(1) {
                return v;
            }
            let mut p: SigningPackageView = serde_json::from_value(v).unwrap();
            let other = slot.lock().unwrap().clone().unwrap();
            for env in &mut p.commitments {
                if env.sender == 1 {
                    *env = other.clone();
                }
            }
            serde_json::to_value(p).unwrap()
        })),
        intercept: None,
    };
    let h = start_evil(4, 14, evil).await;
    let keys = dealer(3, 4, 14);
    let signers: Vec<_> = h.signers(&keys).into_iter().take(3).collect();
    let action = pause(60, 0);
    h.create_sign("s", &action, &[1, 2, 3], &keys).await;
    let elsewhere =
        drawbridge_council::nonces::NonceStore::open(h.dir.path().join("elsewhere")).unwrap();
    let c = elsewhere.commit(&signers[0].key, &mut OsRng).unwrap();
    *replacement.lock().unwrap() =
        Some(protocol::seal_commitment(&signers[0].member, "s", action.digest(), &c).unwrap());
    let results = sign_all(&h.client, &h.book, &signers[..1], "s");
    let others = sign_all(&h.client, &h.book, &signers[1..], "s");
    let (mine, theirs) = tokio::join!(results, others);
    all_refused(
        &mine,
        |_, e| matches!(e, CouncilError::OwnCommitmentChanged(1)),
        &[1],
    );
    // Members 2 and 3 saw the honest package and signed; member 1 did not.
    for r in theirs {
        r.unwrap();
    }
    assert_eq!(claimed(&signers[0]), 0);
    let view = h.client.sign_session("s", None).await.unwrap();
    assert_eq!(view.shares_from, vec![2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_mixing_two_messages_is_refused() {
    // A malicious requester (member 1's key) signed two requests for the same session id. The
    // coordinator shows action A to members 1 and 2 and action B to members 3 and 4, keeps the
    // B-commitments for itself (the real server refuses them) and serves one package with all
    // four commitments. Every member refuses: the package mixes commitments for two digests.
    let b_request: Slot<Envelope> = Arc::default();
    let stash: Arc<Mutex<BTreeMap<u16, Envelope>>> = Arc::default();
    let a_digest: Slot<B256> = Arc::default();
    let (req_slot, digest_slot) = (b_request.clone(), a_digest.clone());
    let stash_i = stash.clone();
    let b_slot = b_request.clone();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, member, mut v| {
            if path == "/v1/sign/mixed" && matches!(member, Some(3 | 4)) {
                let env = req_slot.lock().unwrap().clone().unwrap();
                let req: protocol::SignRequest =
                    serde_json::from_slice(&hex::decode(&env.payload).unwrap()).unwrap();
                v["request"] = serde_json::to_value(&env).unwrap();
                v["digest"] = serde_json::to_value(req.action.digest()).unwrap();
            }
            v
        })),
        intercept: Some(Arc::new(move |method, path, member, body| {
            if method == Method::POST && path == "/v1/sign/mixed/commitments" {
                let env: Envelope = serde_json::from_slice(body).unwrap();
                let sender = env.sender;
                stash_i.lock().unwrap().insert(sender, env);
                if matches!(sender, 3 | 4) {
                    return Some(StatusCode::NO_CONTENT.into_response());
                }
                return None;
            }
            if method == Method::GET && path == "/v1/sign/mixed/package" {
                let all = stash_i.lock().unwrap().clone();
                if all.len() < 4 {
                    return Some(
                        (
                            StatusCode::ACCEPTED,
                            axum::Json(serde_json::json!({"pending": true, "waitingFor": "x"})),
                        )
                            .into_response(),
                    );
                }
                let b_env = b_slot.lock().unwrap().clone().unwrap();
                let b: protocol::SignRequest =
                    serde_json::from_slice(&hex::decode(&b_env.payload).unwrap()).unwrap();
                let digest = match member {
                    Some(3 | 4) => b.action.digest(),
                    _ => digest_slot.lock().unwrap().unwrap(),
                };
                let view = SigningPackageView {
                    session: "mixed".into(),
                    digest,
                    commitments: all.into_values().collect(),
                };
                return Some(axum::Json(view).into_response());
            }
            None
        })),
    };
    let h = start_evil(4, 15, evil).await;
    let keys = dealer(3, 4, 15);
    let signers = h.signers(&keys);
    let a = pause(60, 0);
    let b = pause(86_400, 0);
    *a_digest.lock().unwrap() = Some(a.digest());
    let public = PublicFile::new(&keys.public, 3).unwrap();
    *b_request.lock().unwrap() = Some(
        member::sign_request(h.member(1), &h.book, "mixed", &b, &[1, 2, 3, 4], &public).unwrap(),
    );
    h.create_sign("mixed", &a, &[1, 2, 3, 4], &keys).await;

    let results = sign_all(&h.client, &h.book, &signers, "mixed").await;
    let (ad, bd) = (a.digest().to_string(), b.digest().to_string());
    all_refused(
        &results,
        |id, e| match e {
            CouncilError::CommitmentForOtherMessage {
                sender,
                digest,
                expected,
            } if id <= 2 => *sender == 3 && digest == &bd && expected == &ad,
            CouncilError::CommitmentForOtherMessage {
                sender,
                digest,
                expected,
            } => *sender == 1 && digest == &ad && expected == &bd,
            _ => false,
        },
        &[1, 2, 3, 4],
    );
    no_share_left(&h, "mixed", &signers).await;
    assert_eq!(stash.lock().unwrap().len(), 4, "every member committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_with_unknown_member_bad_signature_duplicate_or_missing_signer_is_refused() {
    let mode: Arc<Mutex<u8>> = Arc::default();
    let m = mode.clone();
    let stranger = Arc::new(
        drawbridge_council::identity::MemberSecret::generate(9, "eve", &mut OsRng).unwrap(),
    );
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, _, v| {
            if !path.ends_with("/package") {
                return v;
            }
            let mut p: SigningPackageView = serde_json::from_value(v).unwrap();
            match *m.lock().unwrap() {
                0 => {
                    // an extra commitment from a stranger claiming id 9
                    let mut e = p.commitments[0].clone();
                    e = stranger.seal(&e.kind, &e.session, 0, &hex::decode(&e.payload).unwrap());
                    p.commitments.push(e);
                }
                1 => p.commitments[1].payload = p.commitments[0].payload.clone(),
                2 => {
                    let d = p.commitments[1].clone();
                    p.commitments.push(d);
                }
                3 => {
                    p.commitments.remove(2);
                }
                _ => {}
            }
            serde_json::to_value(p).unwrap()
        })),
        intercept: None,
    };
    let h = start_evil(4, 16, evil).await;
    let keys = dealer(3, 4, 16);
    let signers: Vec<_> = h.signers(&keys).into_iter().take(3).collect();
    type Check = fn(u16, &CouncilError) -> bool;
    let cases: [(u8, Check); 4] = [
        (0, |_, e| matches!(e, CouncilError::UnknownMember(9))),
        (1, |_, e| {
            matches!(e, CouncilError::BadPackageSignature { sender: 2, .. })
        }),
        (2, |_, e| matches!(e, CouncilError::DuplicateIdentifier(2))),
        (3, |id, e| match e {
            // member 3 misses its own commitment; 1 and 2 miss a signer
            CouncilError::OwnCommitmentChanged(3) => id == 3,
            CouncilError::SignerSet { got, expected } => {
                id != 3 && got == &vec![1, 2] && expected == &vec![1, 2, 3]
            }
            _ => false,
        }),
    ];
    for (i, (case, check)) in cases.into_iter().enumerate() {
        *mode.lock().unwrap() = case;
        let session = format!("case{i}");
        h.create_sign(&session, &pause(60 + i as u64, 0), &[1, 2, 3], &keys)
            .await;
        let results = sign_all(&h.client, &h.book, &signers, &session).await;
        all_refused(&results, check, &[1, 2, 3]);
        no_share_left(&h, &session, &signers).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equivocated_round1_sets_are_refused() {
    // Member 4 signed two different round-1 packages (its key, a colluding coordinator); the
    // coordinator serves the second one to member 3 only. Every member detects it in part 3 from
    // the round-1 views in the round-2 packages and names member 4; no key package results.
    let alt: Slot<Envelope> = Arc::default();
    let slot = alt.clone();
    let evil = Evil {
        rewrite: Some(Arc::new(move |path, member, v| {
            if path != "/v1/dkg/d/round1" || member != Some(3) {
                return v;
            }
            let mut set: Vec<Envelope> = serde_json::from_value(v).unwrap();
            let other = slot.lock().unwrap().clone().unwrap();
            for env in &mut set {
                if env.sender == 4 {
                    *env = other.clone();
                }
            }
            serde_json::to_value(set).unwrap()
        })),
        intercept: None,
    };
    let h = start_evil(4, 17, evil).await;
    let (_, second) = dkg::part1(h.member(4), &h.book, "d", 3, &mut OsRng).unwrap();
    *alt.lock().unwrap() = Some(second);
    h.client
        .create_dkg(&member::dkg_request(h.member(1), &h.book, "d", 3).unwrap())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for m in &h.members {
        let (client, book, m) = (h.client.clone(), h.book.clone(), m.clone());
        tasks.push(tokio::spawn(async move {
            member::dkg(
                &client,
                &m,
                &book,
                "d",
                |_| Ok(true),
                STEP_TIMEOUT,
                &mut OsRng,
            )
            .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Err(CouncilError::Round1Equivocation { member: 4, witness }) => {
                // Member 3 hears of the other view from anyone; the others from member 3.
                if i + 1 != 3 {
                    assert_eq!(witness, 3, "member {}", i + 1);
                }
            }
            other => panic!("member {}: {:?}", i + 1, other.map(|_| ())),
        }
    }
    let view = h.client.dkg_session("d").await.unwrap();
    assert!(view.results_from.is_empty(), "no member produced a key");
    assert!(view.public.is_none());
}
