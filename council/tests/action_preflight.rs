//! Nobody signs what the chain would refuse: `action pause|unpause` with `--rpc-url` checks the
//! action against the council and its bridge before writing it (length, an active pause, the
//! cooldown, a pause to end), and `--council` must name a SecurityCouncil.

#[path = "common/chain.rs"]
mod chain;

use drawbridge_council::CouncilError;
use drawbridge_council::action::{Action, Domain};
use drawbridge_council::chain::{council_state, preflight, submit};
use drawbridge_council::contract::SignatureExport;
use drawbridge_council::signing::{sign_in_memory, trusted_dealer};
use drawbridge_testkit::{CouncilCli, increase_time};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[track_caller]
fn refused(result: Result<(), CouncilError>, needle: &str) {
    match result {
        Err(CouncilError::Refused(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("expected a refusal naming {needle}, got {other:?}"),
    }
}

#[tokio::test]
async fn pauses_the_chain_would_refuse_are_refused_before_signing() {
    let chain = chain::CouncilChain::start();
    let rpc = chain.anvil.endpoint();
    let mut rng = ChaCha20Rng::from_seed([23; 32]);
    let keys = trusted_dealer(3, 4, &mut rng).unwrap();
    let (council, bridge) = chain
        .deploy_council_with_bridge(&keys.export().unwrap())
        .await;
    let state = council_state(&rpc, council).await.unwrap();
    let domain = Domain {
        chain_id: state.chain_id,
        council,
    };
    let deadline = chain.timestamp().await + 30 * 86_400;
    let pause =
        |duration: u64, nonce: u64| Action::pause(domain, bridge, duration, nonce, deadline);
    let unpause = |nonce: u64| Action::unpause(domain, bridge, nonce, deadline);

    // Nothing paused yet: a pause within maxPause passes, a longer one and an unpause do not.
    preflight(&rpc, &pause(600, 0)).await.unwrap();
    refused(
        preflight(&rpc, &pause(chain::MAX_PAUSE + 1, 0)).await,
        "PauseTooLong(duration: 86401, maxPause: 86400)",
    );
    refused(preflight(&rpc, &unpause(0)).await, "NotPaused");

    // The pause lands; while it lasts another pause is refused, an unpause is fine.
    let action = pause(600, 0);
    let sig = sign_in_memory(&keys, &[1, 2, 3], action.digest().as_slice(), &mut rng).unwrap();
    submit(
        &rpc,
        &chain.key(3),
        &action,
        &SignatureExport::from_signature(&sig).unwrap(),
    )
    .await
    .unwrap();
    refused(
        preflight(&rpc, &pause(600, 1)).await,
        "already paused until",
    );
    preflight(&rpc, &unpause(1)).await.unwrap();

    // After it ended by itself: the cooldown refuses a pause, with when it becomes possible;
    // after the cooldown it passes again.
    increase_time(&chain.provider, 601).await;
    refused(
        preflight(&rpc, &pause(600, 1)).await,
        "PauseCooldown(availableAt:",
    );
    refused(preflight(&rpc, &unpause(1)).await, "NotPaused");
    increase_time(&chain.provider, chain::PAUSE_COOLDOWN).await;
    preflight(&rpc, &pause(600, 1)).await.unwrap();
}

#[tokio::test]
async fn the_binary_writes_no_action_the_chain_would_refuse_and_needs_a_council() {
    let chain = chain::CouncilChain::start();
    let rpc = chain.anvil.endpoint();
    let mut rng = ChaCha20Rng::from_seed([24; 32]);
    let keys = trusted_dealer(3, 4, &mut rng).unwrap();
    let (council, bridge) = chain
        .deploy_council_with_bridge(&keys.export().unwrap())
        .await;
    let dir = tempfile::tempdir().unwrap();
    let cli = CouncilCli {
        dir: dir.path().to_path_buf(),
        passphrase: "unused".into(),
    };
    let build = |council: String, duration: &str| {
        cli.run(
            &[
                "action",
                "pause",
                "--council",
                &council,
                "--rpc-url",
                &rpc,
                "--duration",
                duration,
                "--out",
                "pause.json",
            ],
            &[],
        )
    };

    let out = build(council.to_string(), "9999999");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("PauseTooLong(duration: 9999999, maxPause: 86400)"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was signed"), "{stderr}");
    assert!(!dir.path().join("pause.json").exists());

    // Not a council: an account without code, and a contract that is not one.
    let out = build(chain.key(7).address().to_string(), "60");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("no contract there"),
        "{stderr}"
    );
    let out = build(bridge.to_string(), "60");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("is not a Drawbridge SecurityCouncil"),
        "{stderr}"
    );
    assert!(!stderr.contains("execution reverted"), "{stderr}");

    // Within the limits: written.
    let out = build(council.to_string(), "60");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("pause.json").exists());
}
