//! An honest coordinator over HTTP on localhost with members in-process (real FROST, real
//! nonce stores, real SQLite): DKG and signing succeed and the aggregate passes the contract's
//! check; a member resumes after a timeout and never signs twice; the server itself rejects
//! unknown members, bad signatures, duplicate and zero identifiers, missing proofs of knowledge,
//! commitments of the wrong length, commitments for another digest and invalid shares, naming
//! the culprit; a pause goes on chain through the real SecurityCouncil.

#[path = "common/chain.rs"]
mod chain;
#[path = "common/harness.rs"]
mod harness;

use std::time::Duration;

use alloy::primitives::U256;
use alloy::sol_types::SolCall;
use drawbridge_bindings::SecurityCouncil;
use drawbridge_council::CouncilError;
use drawbridge_council::action::{Action, Domain, unix_now};
use drawbridge_council::contract::{GroupKeyExport, verify_contract};
use drawbridge_council::coordinator::Submission;
use drawbridge_council::dkg::{self, Round1Payload};
use drawbridge_council::files::PublicFile;
use drawbridge_council::identity::MemberSecret;
use drawbridge_council::member;
use drawbridge_council::protocol::{self, SessionStatus};
use drawbridge_council::signing::GroupKeys;
use harness::{STEP_TIMEOUT, claimed, dealer, pause, sign_all, start};
use rand_core::OsRng;

fn coordinator_error(e: &CouncilError) -> (u16, String) {
    match e {
        CouncilError::Coordinator { status, message } => (*status, message.clone()),
        other => panic!("expected a coordinator error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkg_then_signing_through_the_coordinator_passes_the_contract_check() {
    let h = start(4, 1, None, |r| r).await;
    // DKG, 3 of 4, requested by member 2; all four members as concurrent tasks.
    let req = member::dkg_request(h.member(2), &h.book, "dkg-1", 3).unwrap();
    h.client.create_dkg(&req).await.unwrap();
    let mut tasks = Vec::new();
    for m in &h.members {
        let (client, book, m) = (h.client.clone(), h.book.clone(), m.clone());
        tasks.push(tokio::spawn(async move {
            let mut shown = String::new();
            let out = member::dkg(
                &client,
                &m,
                &book,
                "dkg-1",
                |p| {
                    shown = p.to_text();
                    Ok(true)
                },
                STEP_TIMEOUT,
                &mut OsRng,
            )
            .await;
            (shown, out)
        }));
    }
    let mut key_packages = std::collections::BTreeMap::new();
    let mut public = None;
    for (i, t) in tasks.into_iter().enumerate() {
        let (shown, out) = t.await.unwrap();
        assert!(shown.contains("threshold: 3 of 4"), "{shown}");
        assert!(shown.contains("requested by member2 (member 2)"), "{shown}");
        let (kp, pk) = out.unwrap();
        if let Some(p) = &public {
            assert_eq!(
                p,
                &pk,
                "member {} computed another public key package",
                i + 1
            );
        }
        public = Some(pk);
        key_packages.insert(i as u16 + 1, kp);
    }
    let keys = GroupKeys {
        key_packages,
        public: public.unwrap(),
    };
    // The coordinator saw every member report the same outcome.
    let done = h.client.dkg_result("dkg-1", STEP_TIMEOUT).await.unwrap();
    assert_eq!(done.status, SessionStatus::Done);
    assert_eq!(
        done.public.unwrap(),
        PublicFile::new(&keys.public, 3).unwrap()
    );

    // Sign a pause with members 1, 2 and 4.
    let action = pause(600, 0);
    h.create_sign("pause-1", &action, &[1, 2, 4], &keys).await;
    let signers: Vec<_> = h
        .signers(&keys)
        .into_iter()
        .filter(|s| s.member.id != 3)
        .collect();
    for r in sign_all(&h.client, &h.book, &signers, "pause-1").await {
        assert_eq!(r.unwrap().digest, action.digest());
    }
    let view = h.client.signature("pause-1", STEP_TIMEOUT).await.unwrap();
    assert_eq!(view.status, SessionStatus::Signed);
    let sig = view.signature.unwrap();
    assert_eq!(sig.signers, vec![1, 2, 4]);
    let export = sig.export().unwrap();
    let pk = GroupKeyExport::from_verifying_key(keys.public.verifying_key()).unwrap();
    assert!(verify_contract(&pk, &export, action.digest().as_slice()));
    assert!(!verify_contract(
        &pk,
        &export,
        pause(601, 0).digest().as_slice()
    ));
    // The calldata is the council's pause entry point with this signature.
    let call = SecurityCouncil::pauseCall::abi_decode(&view.calldata.unwrap()).unwrap();
    assert_eq!(call.duration, 600);
    assert_eq!(call.actionNonce, U256::ZERO);
    assert_eq!(call.sig.z, U256::from_be_bytes(export.z));
    // Each signer claimed exactly one set of nonces.
    for s in &signers {
        assert_eq!(claimed(s), 1, "member {}", s.member.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_resumes_after_a_timeout_and_never_signs_twice() {
    let h = start(4, 2, None, |r| r).await;
    let keys = dealer(3, 4, 2);
    let action = pause(60, 0);
    h.create_sign("s", &action, &[1, 2, 3], &keys).await;
    let signers = h.signers(&keys);
    // Member 1 commits alone and gives up waiting for the package (as if it crashed).
    let s1 = &signers[0];
    let err = s1
        .sign(&h.client, &h.book, "s", true, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, CouncilError::Timeout(_)), "{err}");
    assert_eq!(claimed(s1), 0, "no share left member 1");
    // It runs again, with members 2 and 3: its commitment on the coordinator still has fresh
    // nonces on disk, so it resumes with them.
    let results = sign_all(&h.client, &h.book, &signers[..3], "s").await;
    for r in results {
        r.unwrap();
    }
    let view = h.client.signature("s", STEP_TIMEOUT).await.unwrap();
    assert_eq!(view.status, SessionStatus::Signed);
    assert_eq!(view.commitments.len(), 3, "member 1 committed once");
    // A restarted member 1 finds its nonces used: no second share.
    let err = s1
        .sign(&h.client, &h.book, "s", true, STEP_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, CouncilError::NonceReused(_)), "{err}");
    assert_eq!(claimed(s1), 1);
    // Declining at the prompt sends nothing.
    let other = pause(61, 0);
    h.create_sign("t", &other, &[1, 2, 3], &keys).await;
    let s4 = &signers[3];
    let err = signers[1]
        .sign(&h.client, &h.book, "t", false, STEP_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, CouncilError::Declined), "{err}");
    assert!(
        h.client
            .sign_session("t", None)
            .await
            .unwrap()
            .commitments
            .is_empty()
    );
    // Member 4 is not a signer of "t".
    let err = member::sign(
        &h.client,
        &s4.member,
        &h.book,
        &s4.key,
        &s4.nonces,
        "t",
        |_| Ok(true),
        STEP_TIMEOUT,
        &mut OsRng,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CouncilError::NotASigner(4)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rejects_bad_signing_messages_naming_the_culprit() {
    let h = start(4, 3, None, |r| r).await;
    let keys = dealer(3, 4, 3);
    let action = pause(60, 0);
    h.create_sign("s", &action, &[1, 2, 3], &keys).await;
    let digest = action.digest();
    let signers = h.signers(&keys);
    let commit = |i: usize| {
        let c = signers[i]
            .nonces
            .commit(&signers[i].key, &mut OsRng)
            .unwrap();
        protocol::seal_commitment(&signers[i].member, "s", digest, &c).unwrap()
    };

    // Unknown member: a stranger's identity claiming id 9.
    let stranger = MemberSecret::generate(9, "eve", &mut OsRng).unwrap();
    let c = signers[0]
        .nonces
        .commit(&signers[0].key, &mut OsRng)
        .unwrap();
    let env = protocol::seal_commitment(&stranger, "s", digest, &c).unwrap();
    let (status, msg) = coordinator_error(&h.client.post_commitment("s", &env).await.unwrap_err());
    assert_eq!(
        (status, msg.as_str()),
        (400, "unknown member 9: not in the address book")
    );

    // Bad signature: member 2's envelope with a changed payload.
    let mut env = commit(1);
    let other = commit(2);
    env.payload = other.payload.clone();
    let (status, msg) = coordinator_error(&h.client.post_commitment("s", &env).await.unwrap_err());
    assert_eq!(status, 400);
    assert_eq!(
        msg,
        "bad signature on session-commitments package from member 2"
    );

    // Zero identifier.
    let mut env = commit(0);
    env.sender = 0;
    let (status, msg) = coordinator_error(&h.client.post_commitment("s", &env).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(msg.contains("identifier 0"), "{msg}");

    // A commitment bound to another digest.
    let c = signers[0]
        .nonces
        .commit(&signers[0].key, &mut OsRng)
        .unwrap();
    let env =
        protocol::seal_commitment(&signers[0].member, "s", pause(61, 0).digest(), &c).unwrap();
    let (status, msg) = coordinator_error(&h.client.post_commitment("s", &env).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(
        msg.starts_with("commitment of member 1 is for digest"),
        "{msg}"
    );

    // A member outside the signer set.
    let (status, msg) =
        coordinator_error(&h.client.post_commitment("s", &commit(3)).await.unwrap_err());
    assert_eq!(
        (status, msg.as_str()),
        (400, "member 4 is not a signer of this session")
    );

    // Duplicate: member 1 twice.
    h.client.post_commitment("s", &commit(0)).await.unwrap();
    let (status, msg) =
        coordinator_error(&h.client.post_commitment("s", &commit(0)).await.unwrap_err());
    assert_eq!(
        (status, msg.as_str()),
        (409, "duplicate member identifier 1")
    );

    // Requests: duplicate signer, zero signer, unknown signer, too few signers.
    let public = PublicFile::new(&keys.public, 3).unwrap();
    for (signers_list, want_status, want) in [
        (vec![1u16, 2, 2], 409, "duplicate member identifier 2"),
        (vec![0u16, 1, 2], 400, "member identifier 0 is not allowed"),
        (vec![1u16, 2, 7], 400, "unknown member 7"),
        (vec![1u16, 2], 400, "2 signers, fewer than the threshold 3"),
    ] {
        let req = protocol::SignRequest {
            action: action.clone(),
            signers: signers_list,
            public: public.clone(),
        };
        let env = h.member(1).seal(
            protocol::KIND_CREATE_SIGN,
            "r",
            0,
            &serde_json::to_vec(&req).unwrap(),
        );
        let (status, msg) = coordinator_error(&h.client.create_sign(&env).await.unwrap_err());
        assert_eq!(status, want_status);
        assert!(msg.contains(want), "{msg} / {want}");
    }
    // The same session id twice.
    let req =
        member::sign_request(h.member(1), &h.book, "s", &action, &[1, 2, 3], &public).unwrap();
    let (status, msg) = coordinator_error(&h.client.create_sign(&req).await.unwrap_err());
    assert_eq!((status, msg.as_str()), (409, "session s already exists"));

    // Complete the commitments, then an invalid share (member 2 signs another package).
    h.client.post_commitment("s", &commit(1)).await.unwrap();
    h.client.post_commitment("s", &commit(2)).await.unwrap();
    let package = h.client.package("s", 2, STEP_TIMEOUT).await.unwrap();
    assert_eq!(package.commitments.len(), 3);
    let c = signers[1]
        .nonces
        .commit(&signers[1].key, &mut OsRng)
        .unwrap();
    let mut map = std::collections::BTreeMap::new();
    map.insert(2u16, c);
    for env in &package.commitments {
        if env.sender != 2 {
            map.insert(
                env.sender,
                protocol::open_commitment(&h.book, "s", env).unwrap().1,
            );
        }
    }
    let wrong = drawbridge_council::signing::signing_package(&map, digest.as_slice()).unwrap();
    let share = signers[1].nonces.sign(&wrong, &signers[1].key).unwrap();
    let env = protocol::seal_share(&signers[1].member, "s", digest, &share).unwrap();
    let (status, msg) = coordinator_error(&h.client.post_share("s", &env).await.unwrap_err());
    assert_eq!(
        (status, msg.as_str()),
        (400, "invalid signature share from member(s) [2]")
    );
    assert!(
        h.client
            .sign_session("s", None)
            .await
            .unwrap()
            .shares_from
            .is_empty()
    );
    // Unknown session.
    let (status, _) = coordinator_error(&h.client.sign_session("nope", None).await.unwrap_err());
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rejects_bad_dkg_messages_naming_the_culprit() {
    let h = start(4, 4, None, |r| r).await;
    // A threshold below ceil(0.75 n) is refused (docs/design.md), by the server too.
    let env = h.member(1).seal(
        protocol::KIND_CREATE_DKG,
        "weak",
        0,
        &serde_json::to_vec(&protocol::DkgRequest {
            threshold: 2,
            members: 4,
        })
        .unwrap(),
    );
    let (status, msg) = coordinator_error(&h.client.create_dkg(&env).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(msg.contains("below ceil(0.75 n)"), "{msg}");
    h.client
        .create_dkg(&member::dkg_request(h.member(1), &h.book, "d", 3).unwrap())
        .await
        .unwrap();
    let (_, good) = dkg::part1(h.member(1), &h.book, "d", 3, &mut OsRng).unwrap();
    let reseal = |m: &MemberSecret, p: &Round1Payload| {
        m.seal(dkg::KIND_ROUND1, "d", 0, &serde_json::to_vec(p).unwrap())
    };
    let payload: Round1Payload =
        serde_json::from_slice(&hex::decode(&good.payload).unwrap()).unwrap();

    // Missing proof of knowledge.
    let mut p = payload.clone();
    p.proof_of_knowledge = None;
    let (status, msg) = coordinator_error(
        &h.client
            .post_round1("d", &reseal(h.member(1), &p))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        msg,
        "DKG round-1 package from member 1 has no proof of knowledge"
    );
    // Commitment of the wrong length.
    let mut p = payload.clone();
    p.commitment.pop();
    let (_, msg) = coordinator_error(
        &h.client
            .post_round1("d", &reseal(h.member(1), &p))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        msg,
        "commitment from member 1 has 2 coefficients, expected 3"
    );
    // Another session's package.
    let (_, other) = dkg::part1(h.member(2), &h.book, "elsewhere", 3, &mut OsRng).unwrap();
    let (_, msg) = coordinator_error(&h.client.post_round1("d", &other).await.unwrap_err());
    assert!(
        msg.starts_with("package from member 2 is for dkg-round1 of session elsewhere"),
        "{msg}"
    );
    // Bad signature.
    let mut bad = good.clone();
    bad.signature.replace_range(
        0..2,
        if &bad.signature[0..2] == "00" {
            "01"
        } else {
            "00"
        },
    );
    let (_, msg) = coordinator_error(&h.client.post_round1("d", &bad).await.unwrap_err());
    assert_eq!(msg, "bad signature on dkg-round1 package from member 1");
    // Duplicate.
    h.client.post_round1("d", &good).await.unwrap();
    let (status, msg) = coordinator_error(&h.client.post_round1("d", &good).await.unwrap_err());
    assert_eq!(
        (status, msg.as_str()),
        (409, "duplicate member identifier 1")
    );
    // Round 2 before round 1 is complete.
    let (status, msg) = coordinator_error(
        &h.client
            .post_round2("d", std::slice::from_ref(&good))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 409);
    assert!(msg.contains("not collecting round-2 packages"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_signed_through_the_coordinator_lands_on_chain() {
    let chain = chain::CouncilChain::start();
    let keys = dealer(3, 4, 5);
    let (council, bridge) = chain
        .deploy_council_with_bridge(&keys.export().unwrap())
        .await;
    let submission = Submission {
        rpc_url: chain.anvil.endpoint(),
        signer: chain.key(5),
    };
    let h = start(4, 5, Some(submission), |r| r).await;
    let state = drawbridge_council::chain::council_state(&chain.anvil.endpoint(), council)
        .await
        .unwrap();
    let action = Action::pause(
        Domain {
            chain_id: state.chain_id,
            council,
        },
        state.l1_bridge,
        900,
        state.nonce,
        unix_now().max(chain.timestamp().await) + 3_600,
    );
    h.create_sign("onchain", &action, &[2, 3, 4], &keys).await;
    let signers: Vec<_> = h.signers(&keys).into_iter().skip(1).collect();
    for r in sign_all(&h.client, &h.book, &signers, "onchain").await {
        r.unwrap();
    }
    let view = h.client.signature("onchain", STEP_TIMEOUT).await.unwrap();
    assert_eq!(view.status, SessionStatus::Signed);
    assert_eq!(view.error, None);
    let tx = view.tx_hash.expect("the coordinator submitted");
    let receipt = alloy::providers::Provider::get_transaction_receipt(&chain.provider, tx)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.status());
    let until = chain.bridge(bridge).pausedUntil().call().await.unwrap();
    assert!(until > 0, "bridge paused");
    assert_eq!(
        chain.council(council).nonce().call().await.unwrap(),
        U256::from(1)
    );
}

/// Open files of this process (its `/proc` descriptor table).
fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap()
}

/// An outsider holding 1,100 idle connections to the coordinator: the coordinator keeps at most
/// its cap of them (idle ones make way), and a signing session still completes in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_completes_while_an_outsider_holds_1100_idle_connections() {
    let h = start(4, 5, None, |r| r).await;
    let keys = dealer(3, 4, 5);
    let address = h.url.strip_prefix("http://").unwrap().to_string();
    let before = open_files();
    let mut idle = Vec::new();
    for i in 0..1_100 {
        let stream = tokio::net::TcpStream::connect(&address)
            .await
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        idle.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // This process holds both ends: 1,100 client sockets, and at most the cap on the server side.
    let cap = drawbridge_council::coordinator::http_limits().max_connections;
    let added = open_files() - before;
    assert!(
        added <= 1_100 + cap + 16,
        "{added} files opened for 1,100 idle clients"
    );

    let action = pause(60, 0);
    h.create_sign("under-load", &action, &[1, 2, 3], &keys)
        .await;
    let signers = h.signers(&keys);
    for r in sign_all(&h.client, &h.book, &signers[..3], "under-load").await {
        r.unwrap();
    }
    let view = h
        .client
        .signature("under-load", STEP_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(view.status, SessionStatus::Signed);
    drop(idle);
}
