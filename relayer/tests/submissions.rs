//! The submission state machine against a real anvil whose mining the test stops and starts:
//! a stuck transaction is replaced with higher fees (same nonce, every hash recorded) and lands
//! once; a transaction the node drops is broadcast again; a nonce taken by another sender of the
//! same key is detected and the work sent again; a transaction reverted because someone else did
//! the work first counts as success.

mod common;

use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::eips::eip2718::Decodable2718;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use drawbridge_bindings::IL1RootOracle;
use drawbridge_relayer::{Role, Store, Submission, SubmissionState};

use common::*;

async fn rpc(url: &str, method: &'static str, params: serde_json::Value) -> serde_json::Value {
    alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().unwrap())
        .raw_request::<_, serde_json::Value>(method.into(), params)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

async fn interval_mining(url: &str, seconds: u64) {
    rpc(url, "evm_setIntervalMining", serde_json::json!([seconds])).await;
}

async fn known(url: &str, hash: B256) -> bool {
    alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().unwrap())
        .get_transaction_by_hash(hash)
        .await
        .unwrap()
        .is_some()
}

async fn has_receipt(url: &str, hash: B256) -> bool {
    alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().unwrap())
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .is_some()
}

/// Waits for an in-flight L2 submission of `kind` not in `seen`.
async fn in_flight(store: &Store, kind: &str, seen: &[B256]) -> Submission {
    wait_for(&format!("an in-flight {kind} on L2"), || async {
        store
            .pending_submissions("l2")
            .await
            .unwrap()
            .into_iter()
            .find(|s| {
                s.kind == kind && s.state == SubmissionState::InFlight && !seen.contains(&s.tx_hash)
            })
    })
    .await
}

fn nonce_and_fees(raw: &[u8]) -> (u64, u128, u128) {
    let tx = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).unwrap();
    (
        tx.nonce(),
        tx.max_fee_per_gas(),
        tx.max_priority_fee_per_gas().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_transaction_is_replaced_with_higher_fees_and_lands_once() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    env.config.tx_timeout = Duration::from_secs(2);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let l2_url = devnet.deployment.l2.rpc_url.clone();
    let recipient = fresh_address("stuck recipient");
    // L2 stops mining: whatever the relayer sends there is stuck.
    interval_mining(&l2_url, 0).await;
    let running = start(env.config.clone()).await;
    deposit_eth(
        devnet,
        &devnet.accounts.users[0],
        &[(recipient, units(1)), (recipient, units(2))],
    )
    .await;

    let store = Store::open(&url).await.unwrap();
    let publish = in_flight(&store, "publish_root", &[]).await;
    // Two replacements: stuck for more than two tx_timeouts.
    let attempts = wait_for("two fee bumps", || async {
        let attempts = store.attempts(&publish).await.unwrap();
        (attempts.len() >= 3).then_some(attempts)
    })
    .await;
    let (nonce, mut max_fee, mut priority) = nonce_and_fees(&attempts[0].raw_tx);
    assert_eq!(nonce, publish.tx_nonce);
    for a in &attempts[1..] {
        assert_eq!(a.submission, publish.tx_hash);
        let (n, fee, tip) = nonce_and_fees(&a.raw_tx);
        assert_eq!(n, nonce, "a replacement keeps the nonce");
        assert!(
            fee * 10 >= max_fee * 11 && tip * 10 >= priority * 11,
            "fees rise by >= 10 %"
        );
        assert_eq!((fee, tip), (a.max_fee_per_gas, a.max_priority_fee_per_gas));
        (max_fee, priority) = (fee, tip);
    }
    // The node holds only the newest one: the older ones were replaced.
    assert!(!known(&l2_url, attempts[0].tx_hash).await);
    // One submission, still in flight: nothing else was sent meanwhile.
    let l2_subs: Vec<_> = store
        .submissions()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.chain == "l2")
        .collect();
    assert_eq!(l2_subs.len(), 1, "{l2_subs:?}");

    interval_mining(&l2_url, 1).await;
    wait_delivered(devnet, &url, 2).await;
    running.stop().await;
    assert_eq!(l2_balance(devnet, Address::ZERO, recipient).await, units(3));

    let attempts = store.attempts(&publish).await.unwrap();
    let mined = store
        .mined_tx_hash(publish.tx_hash)
        .await
        .unwrap()
        .expect("the publication settled by a receipt");
    let mut with_receipt = Vec::new();
    for a in &attempts {
        if has_receipt(&l2_url, a.tx_hash).await {
            with_receipt.push(a.tx_hash);
        }
    }
    assert_eq!(
        with_receipt,
        vec![mined],
        "exactly one transaction of the submission mined"
    );
    let all = store.submissions().await.unwrap();
    let publishes: Vec<_> = all.iter().filter(|s| s.kind == "publish_root").collect();
    assert_eq!(publishes.len(), 1);
    assert_eq!(publishes[0].state, SubmissionState::Confirmed);
    assert_eq!(publishes[0].outcome.as_deref(), Some("ok"));
    assert_relayed_exactly_once(&all, 2);
    assert_no_failed_submissions(&all);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_transactions_are_resent_taken_nonces_recovered_and_work_done_by_others_counts() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    // Long enough that nothing is replaced for being slow in this test.
    env.config.tx_timeout = Duration::from_secs(60);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let l2_url = devnet.deployment.l2.rpc_url.clone();
    let user = &devnet.accounts.users[1];
    let recipient = fresh_address("drop recipient");
    let running = start(env.config.clone()).await;
    let store = Store::open(&url).await.unwrap();

    // 1. Dropped: the node forgets the relayer's transaction; the relayer broadcasts it again.
    interval_mining(&l2_url, 0).await;
    deposit_eth(devnet, user, &[(recipient, units(1))]).await;
    let dropped = in_flight(&store, "publish_root", &[]).await;
    rpc(
        &l2_url,
        "anvil_dropTransaction",
        serde_json::json!([dropped.tx_hash]),
    )
    .await;
    assert!(!known(&l2_url, dropped.tx_hash).await);
    wait_for("the dropped transaction broadcast again", || async {
        known(&l2_url, dropped.tx_hash).await.then_some(())
    })
    .await;
    interval_mining(&l2_url, 1).await;
    wait_delivered(devnet, &url, 1).await;
    assert_eq!(
        store.mined_tx_hash(dropped.tx_hash).await.unwrap(),
        Some(dropped.tx_hash),
        "the very same transaction landed"
    );

    // 2. Nonce taken: while the relayer's transaction waits, another sender with the same key
    // uses its nonce (a self-transfer paying more replaces it in the pool) and is mined.
    interval_mining(&l2_url, 0).await;
    deposit_eth(devnet, user, &[(recipient, units(2))]).await;
    let taken = in_flight(&store, "publish_root", &[dropped.tx_hash]).await;
    let relayer_key = l2(devnet, &devnet.accounts.relayer);
    let intruder = TransactionRequest::default()
        .with_from(devnet.accounts.relayer.address())
        .with_to(devnet.accounts.relayer.address())
        .with_value(U256::from(1u64))
        .with_nonce(taken.tx_nonce)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(500_000_000_000)
        .with_max_priority_fee_per_gas(100_000_000_000);
    let intruder = *relayer_key
        .send_transaction(intruder)
        .await
        .unwrap()
        .tx_hash();
    interval_mining(&l2_url, 1).await;
    wait_delivered(devnet, &url, 2).await;
    assert!(has_receipt(&l2_url, intruder).await);
    assert!(!has_receipt(&l2_url, taken.tx_hash).await);
    let all = store.submissions().await.unwrap();
    let taken_now = all.iter().find(|s| s.tx_hash == taken.tx_hash).unwrap();
    assert_eq!(taken_now.state, SubmissionState::Failed);
    assert_eq!(taken_now.outcome.as_deref(), Some("nonce-taken"));
    // The work was sent again with a fresh nonce and landed once.
    let again: Vec<_> = all
        .iter()
        .filter(|s| s.kind == "publish_root" && s.work == taken.work)
        .collect();
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(again.iter().any(|s| s.state == SubmissionState::Confirmed
        && s.outcome.as_deref() == Some("ok")
        && s.tx_nonce > taken.tx_nonce));

    // 3. Already processed: the relayer's relay and a copy sent by someone else paying a higher
    // tip land in the same block; the copy goes first, the relayer's reverts, and that counts
    // as done.
    interval_mining(&l2_url, 0).await;
    deposit_eth(devnet, user, &[(recipient, units(4))]).await;
    let publish = in_flight(&store, "publish_root", &[dropped.tx_hash, taken.tx_hash]).await;
    rpc(&l2_url, "evm_mine", serde_json::json!([])).await;
    assert!(has_receipt(&l2_url, publish.tx_hash).await);
    let relay = in_flight(&store, "relay_messages", &[]).await;
    let pooled = alloy::providers::ProviderBuilder::new()
        .connect_http(l2_url.parse().unwrap())
        .get_transaction_by_hash(relay.tx_hash)
        .await
        .unwrap()
        .expect("the relay is in the pool");
    let challenger = l2(devnet, &devnet.accounts.challenger);
    let copy = TransactionRequest::default()
        .with_from(devnet.accounts.challenger.address())
        .with_to(devnet.deployment.l2.l2_bridge)
        .with_input(pooled.input().clone())
        .with_gas_limit(pooled.gas_limit())
        .with_max_fee_per_gas(500_000_000_000)
        .with_max_priority_fee_per_gas(100_000_000_000);
    let copy = *challenger.send_transaction(copy).await.unwrap().tx_hash();
    rpc(&l2_url, "evm_mine", serde_json::json!([])).await;
    interval_mining(&l2_url, 1).await;
    wait_delivered(devnet, &url, 3).await;
    let provider = alloy::providers::ProviderBuilder::new().connect_http(l2_url.parse().unwrap());
    let copy_receipt = provider
        .get_transaction_receipt(copy)
        .await
        .unwrap()
        .unwrap();
    let relay_receipt = provider
        .get_transaction_receipt(relay.tx_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(copy_receipt.status());
    assert!(!relay_receipt.status(), "the relayer's relay reverted");
    let settled = store
        .submissions()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.tx_hash == relay.tx_hash)
        .unwrap();
    assert_eq!(settled.state, SubmissionState::Confirmed);
    assert_eq!(settled.outcome.as_deref(), Some("already-done"));

    // Every message credited exactly once; nothing more is sent.
    tokio::time::sleep(Duration::from_secs(3)).await;
    running.stop().await;
    assert_eq!(processed(devnet).await, 3);
    assert_eq!(l2_balance(devnet, Address::ZERO, recipient).await, units(7));
    let oracle = IL1RootOracle::new(
        devnet.deployment.l2.root_oracle,
        l2(devnet, &devnet.accounts.challenger),
    );
    assert_eq!(oracle.latestCount().call().await.unwrap(), 3);
    store.close().await;
}
