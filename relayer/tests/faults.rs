//! RPC faults against an in-process relayer whose endpoints go through a proxy in front of the
//! devnet's anvils: an endpoint down and back on the same port, hanging past `rpc_timeout`, rate
//! limiting with HTTP 429, answering garbage, lying about an event's fields, and lying only in
//! `eth_getLogs` with a made-up, self-consistent message and root. The relayer backs off
//! (exponentially, capped), never stores or sends on bad data, and resumes by itself when the
//! endpoint recovers; every message is delivered exactly once.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use alloy::primitives::{Address, U256};

use common::proxy::{Injection, Mode, RpcProxy};
use common::*;

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap())
}

/// Waits for the relayer at `api` to raise the `kind` alert; checks its deliver role halted and its
/// `/health` answers 503, and returns that answer.
async fn deliver_halted_on(api: SocketAddr, kind: &str, what: &str) -> serde_json::Value {
    let series = format!("drawbridge_relayer_alerts_total{{kind=\"{kind}\"}}");
    let text = wait_for(what, || async {
        let text = http_get(api, "/metrics").await.2;
        (metric(&text, &series) >= 1.0).then_some(text)
    })
    .await;
    assert_eq!(
        metric(&text, "drawbridge_relayer_halted{role=\"deliver\"}"),
        1.0
    );
    let (code, health, _) = http_get(api, "/health").await;
    assert_eq!(code, 503, "{health}");
    health
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_faults_back_off_and_resume_without_double_sending() {
    let mut env = test_env().await;
    let devnet = &env.devnet;
    let l1_proxy = RpcProxy::start(&devnet.deployment.l1.rpc_url).await;
    let l2_proxy = RpcProxy::start(&devnet.deployment.l2.rpc_url).await;
    env.config.l1_rpc_url = l1_proxy.url.clone();
    env.config.l2_rpc_url = l2_proxy.url.clone();
    env.config.roles = [drawbridge_relayer::Role::Deliver].into_iter().collect();
    env.config.poll_interval = Duration::from_millis(250);
    env.config.max_backoff = Duration::from_secs(2);
    env.config.rpc_timeout = Duration::from_secs(1);
    env.config.api_listen = Some("127.0.0.1:0".parse().unwrap());
    let url = env.config.database_url.clone();
    let relayer = start(env.config.clone()).await;
    let api = relayer.api_address().unwrap();
    let user = &devnet.accounts.users[2];
    let recipient = fresh_address("faults");
    let wei = |i: u64| U256::from(7_000_000u64 + i);
    let deposits = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to).map(|i| (recipient, wei(i))).collect()
    };
    let metrics = || async { http_get(api, "/metrics").await.2 };

    deposit_eth(devnet, user, &deposits(0, 2)).await;
    wait_delivered(devnet, &url, 2).await;

    // L1 down (connections refused), then back on the same port.
    l1_proxy.stop();
    deposit_eth(devnet, user, &deposits(2, 4)).await;
    let errors_before = metric(
        &metrics().await,
        "drawbridge_relayer_round_errors_total{role=\"deliver\"}",
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        processed(devnet).await,
        2,
        "nothing can be delivered with L1 down"
    );
    let errors_down = metric(
        &metrics().await,
        "drawbridge_relayer_round_errors_total{role=\"deliver\"}",
    );
    // It retried, but with backoff (250ms doubling to a 2s cap: at most ~6 rounds in 5s, not 20).
    assert!(
        errors_down - errors_before >= 2.0,
        "{errors_before} -> {errors_down}"
    );
    assert!(
        errors_down - errors_before <= 10.0,
        "{errors_before} -> {errors_down}"
    );
    let (code, health, _) = http_get(api, "/health").await;
    assert!(code == 200 || code == 503, "{health}");
    l1_proxy.restart().await;
    wait_delivered(devnet, &url, 4).await;

    // L2 hangs past rpc_timeout: requests time out, the relayer does not wait forever.
    l2_proxy.set_mode(Mode::Hang);
    deposit_eth(devnet, user, &deposits(4, 5)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(processed(devnet).await, 4);
    l2_proxy.set_mode(Mode::Forward);
    wait_delivered(devnet, &url, 5).await;

    // L2 rate-limits every request (HTTP 429): retried after a pause, then backed off.
    l2_proxy.set_mode(Mode::Status(429));
    let before = l2_proxy.requests();
    deposit_eth(devnet, user, &deposits(5, 6)).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let asked = l2_proxy.requests() - before;
    assert!(asked >= 2, "the relayer stopped asking: {asked}");
    assert!(
        asked < 150,
        "{asked} requests in 5s while rate limited: no backoff"
    );
    assert_eq!(processed(devnet).await, 5);
    l2_proxy.set_mode(Mode::Forward);
    wait_delivered(devnet, &url, 6).await;

    // L1 answers garbage: refused, nothing ingested from it.
    l1_proxy.set_mode(Mode::Garbage);
    deposit_eth(devnet, user, &deposits(6, 7)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(processed(devnet).await, 6);
    l1_proxy.set_mode(Mode::Forward);
    wait_delivered(devnet, &url, 7).await;

    // L1 lies about a message's amount: the leaf check refuses it, the role halts (health and
    // metrics say so) and nothing is delivered until the endpoint tells the truth again.
    l1_proxy.set_mode(Mode::ForgeMessages);
    deposit_eth(devnet, user, &deposits(7, 8)).await;
    let health = deliver_halted_on(api, "leaf_mismatch", "the forged message refused").await;
    assert!(
        health["problems"].to_string().contains("deliver halted"),
        "{health}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(processed(devnet).await, 7);
    l1_proxy.set_mode(Mode::Forward);
    wait_delivered(devnet, &url, 8).await;
    let text = wait_for("the halt cleared", || async {
        let text = metrics().await;
        (metric(&text, "drawbridge_relayer_halted{role=\"deliver\"}") == 0.0).then_some(text)
    })
    .await;
    assert!(metric(&text, "drawbridge_relayer_rounds_ok_total") > 0.0);

    relayer.stop().await;
    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 8);
    assert_no_failed_submissions(&all);
    // The database holds the true amounts, never the forged one.
    let store = drawbridge_relayer::Store::open(&url).await.unwrap();
    for m in store.messages(0, 8).await.unwrap() {
        assert_eq!(m.message.amount, wei(m.message.nonce), "{m:?}");
    }
    store.close().await;
    assert_eq!(
        l2_balance(devnet, Address::ZERO, recipient).await,
        (0..8).map(wei).sum::<U256>()
    );
}

/// An L1 node that lies only in `eth_getLogs`: every answer gets a made-up deposit of 1,000 ETH
/// at the next nonce, with the right leaf for its fields, and a `MessageRootCommitted` of the tree
/// that includes it. Checked against `messageRoot()`/`messageCount()`/`messageRootCount()` read by
/// `eth_call` at the confirmed block, nothing of it is stored, no root is published, no
/// transaction is sent (not even a no-op commit), `l1_logs_inconsistent` is raised and the role
/// halts; once the node tells the truth the relayer resumes by itself and delivers the real
/// messages exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_logs_are_never_stored_published_or_relayed_and_the_relayer_recovers() {
    let mut env = test_env().await;
    let devnet = &env.devnet;
    let l1_proxy = RpcProxy::start(&devnet.deployment.l1.rpc_url).await;
    env.config.l1_rpc_url = l1_proxy.url.clone();
    env.config.roles = [drawbridge_relayer::Role::Deliver].into_iter().collect();
    env.config.poll_interval = Duration::from_millis(250);
    env.config.max_backoff = Duration::from_secs(2);
    env.config.api_listen = Some("127.0.0.1:0".parse().unwrap());
    let url = env.config.database_url.clone();
    let relayer = start(env.config.clone()).await;
    let api = relayer.api_address().unwrap();
    let user = &devnet.accounts.users[2];
    let recipient = fresh_address("made-up logs");
    let thief = fresh_address("made-up logs thief");
    let wei = |i: u64| U256::from(9_000_000u64 + i);
    let deposits = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to).map(|i| (recipient, wei(i))).collect()
    };
    let metrics = || async { http_get(api, "/metrics").await.2 };
    let root_oracle = drawbridge_bindings::IL1RootOracle::new(
        devnet.deployment.l2.root_oracle,
        l2(devnet, &devnet.accounts.challenger),
    );

    deposit_eth(devnet, user, &deposits(0, 2)).await;
    wait_delivered(devnet, &url, 2).await;
    let published = root_oracle.latestCount().call().await.unwrap();
    let sent_before = submissions(&url).await.len();

    // The node starts lying; real deposits keep coming on L1.
    l1_proxy.inject(Injection {
        l1_chain_id: devnet.deployment.l1.chain_id,
        l1_bridge: devnet.deployment.l1.l1_bridge,
        recipient: thief,
        amount: units(1_000),
    });
    deposit_eth(devnet, user, &deposits(2, 4)).await;
    let health = deliver_halted_on(api, "l1_logs_inconsistent", "the made-up logs refused").await;
    assert!(
        health["problems"]
            .to_string()
            .contains("contradict L1 state"),
        "{health}"
    );
    // Several re-checks of the halted role while the node keeps lying: the cursor stays put.
    let store = drawbridge_relayer::Store::open(&url).await.unwrap();
    let cursor = store.cursor("l1").await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(store.cursor("l1").await.unwrap(), cursor);
    assert_eq!(store.message_count().await.unwrap(), 2, "nothing stored");
    store.close().await;
    assert!(l1_proxy.injected() >= 2, "{}", l1_proxy.injected());
    assert_eq!(
        metric(
            &metrics().await,
            "drawbridge_relayer_alerts_total{kind=\"l1_logs_inconsistent\"}"
        ),
        1.0,
        "alerted once per halt"
    );
    assert_eq!(root_oracle.latestCount().call().await.unwrap(), published);
    assert_eq!(
        submissions(&url).await.len(),
        sent_before,
        "no transaction was sent on the made-up logs"
    );
    assert_eq!(processed(devnet).await, 2);

    // The node tells the truth again: the relayer resumes by itself.
    l1_proxy.set_mode(Mode::Forward);
    wait_delivered(devnet, &url, 4).await;
    wait_for("the halt cleared", || async {
        let text = metrics().await;
        (metric(&text, "drawbridge_relayer_halted{role=\"deliver\"}") == 0.0).then_some(())
    })
    .await;
    relayer.stop().await;
    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 4);
    assert_no_failed_submissions(&all);
    let store = drawbridge_relayer::Store::open(&url).await.unwrap();
    assert_eq!(store.message_count().await.unwrap(), 4);
    for m in store.messages(0, 4).await.unwrap() {
        assert_eq!(m.message.recipient, recipient, "{m:?}");
        assert_eq!(m.message.amount, wei(m.message.nonce), "{m:?}");
    }
    store.close().await;
    assert_eq!(
        l2_balance(devnet, Address::ZERO, recipient).await,
        (0..4).map(wei).sum::<U256>()
    );
    assert_eq!(l2_balance(devnet, Address::ZERO, thief).await, U256::ZERO);
}
