//! Issue 9, part 1, against the relayer in process on a real devnet (two anvil chains, the real
//! contracts): a rogue L2 root publisher publishes a root L1 never committed and relays a forged
//! 4 ETH deposit. The honest relayer's propose role proposes nothing that consumed it (halted,
//! `forged_l1_message`, `/health` 503); a separate watchdog raises `forged_l1_message`, its
//! conservation monitor reports exactly the unbacked amount (`unbacked_supply`; 0 before the
//! forgery), and it challenges a lying output that claims L1's root over the forged state; the
//! forged amount is never paid on L1.
//!
//! Defence in depth, without a watchdog: the lying output goes unchallenged and becomes final. The
//! honest relayer's finalize role refuses to pay against it (`wrong_output_not_finalized`) by each
//! of its two checks alone, (a) the leaves L2 consumed against L1's and (b) the output's claims
//! recomputed from the L2 node, and pays the honest withdrawal against the good output before it.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_devnet::{Devnet, DevnetOptions, Governance};
use drawbridge_protocol::MerkleTree;
use drawbridge_relayer::{RelayerConfig, Role, Store};
use drawbridge_testkit::ForgedDeposit;
use drawbridge_testkit::reads::message_sent;
use serde_json::Value;

use common::proxy::{Mode, RpcProxy};
use common::*;

fn metric(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')
            .map(str::to_string)
    })
}

fn api_config(config: &mut RelayerConfig) -> SocketAddr {
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    config.api_listen = Some(api);
    api
}

/// The watchdog's conservation figures for ETH, once it has some.
async fn eth_backing(api: SocketAddr) -> Option<Value> {
    let (_, body, _) = http_get(api, "/watchdog").await;
    body["conservation"]
        .as_array()?
        .iter()
        .find(|b| b["l1_token"] == Address::ZERO.to_string())
        .cloned()
}

/// The devnet with plain-account governance: the deployer (L2 governance) can hand the root
/// publisher role to a rogue key, so that the honest relayer and the rogue never share an account.
async fn devnet_with_account_governance() -> Devnet {
    Devnet::start(DevnetOptions {
        governance: Governance::Accounts,
        ..DevnetOptions::default()
    })
    .await
    .expect("devnet starts")
}

/// The honest relayer (deliver, propose, finalize) on `honest.sqlite` in `dir`.
fn honest_config(devnet: &Devnet, dir: &tempfile::TempDir) -> RelayerConfig {
    let mut honest = RelayerConfig::new(devnet.deployment.clone(), devnet.accounts.relayer.clone());
    honest.database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("honest.sqlite").display()
    );
    honest.poll_interval = Duration::from_millis(500);
    honest.max_backoff = Duration::from_secs(2);
    honest.tx_timeout = Duration::from_secs(30);
    honest.relayer_id = "honest".into();
    honest.lease_ttl = Duration::from_secs(3);
    honest
}

/// The users of both scenes, Alice, Bob, Mallory the thief and the rogue root publisher, and
/// Mallory's L1 balance before anything.
async fn users(devnet: &Devnet) -> ([PrivateKeySigner; 4], U256) {
    let users = [0, 1, 2, 3].map(|i| devnet.accounts.users[i].clone());
    let mallory = &users[2];
    let mallory_l1_start = l1(devnet, mallory)
        .get_balance(mallory.address())
        .await
        .unwrap();
    (users, mallory_l1_start)
}

/// Alice deposits 5 ETH; waits for it on L2.
async fn alice_deposits_five(devnet: &Devnet, alice: &PrivateKeySigner) {
    deposit_eth(devnet, alice, &[(alice.address(), units(5))]).await;
    wait_for("Alice's deposit on L2", || async {
        (l2_balance(devnet, Address::ZERO, alice.address()).await == units(5)).then_some(())
    })
    .await;
}

/// Whether L1 paid the withdrawal `nonce`.
async fn is_paid(l1_bridge: &IL1Bridge::IL1BridgeInstance<DynProvider>, nonce: u64) -> bool {
    l1_bridge.isWithdrawalFinalized(nonce).call().await.unwrap()
}

/// Nothing of the forged amount was paid on L1: the `stolen` withdrawal is not finalized, Mallory's
/// L1 balance is what it was at the start, and L1's ETH escrow holds `escrowed`.
async fn assert_never_paid(
    devnet: &Devnet,
    l1_bridge: &IL1Bridge::IL1BridgeInstance<DynProvider>,
    (mallory, mallory_l1_start): (&PrivateKeySigner, U256),
    stolen: u64,
    escrowed: U256,
) {
    assert!(
        !is_paid(l1_bridge, stolen).await,
        "the stolen withdrawal is never finalized"
    );
    assert_eq!(
        l1(devnet, mallory)
            .get_balance(mallory.address())
            .await
            .unwrap(),
        mallory_l1_start
    );
    assert_eq!(
        l1_bridge.escrowed(Address::ZERO).call().await.unwrap(),
        escrowed
    );
}

/// What the rogue root publisher did.
struct Forgery {
    /// L1's one real leaf and the made-up deposit at nonce 1.
    tree: MerkleTree,
    /// The made-up leaf.
    leaf: B256,
    /// L2 block and nonce of the attacker's withdrawal of the forged amount.
    withdrawal_block: u64,
    stolen: u64,
}

/// L2 governance (the deployer) hands the publisher role to `rogue`, who publishes a root of L1's
/// one real leaf and a made-up 4 ETH deposit to `mallory` at nonce 1, which L1 never sent;
/// `mallory` relays it (anyone may) and withdraws it on L2.
async fn forge_and_withdraw(
    devnet: &Devnet,
    rogue: &PrivateKeySigner,
    mallory: &PrivateKeySigner,
) -> Forgery {
    let d = &devnet.deployment;
    let deployer_l2 = l2(devnet, &devnet.accounts.deployer);
    let receipt = IL1RootOracle::new(d.l2.root_oracle, &deployer_l2)
        .setPublisher(rogue.address())
        .mined()
        .await;
    assert!(receipt.status());
    let sent = message_sent(&l1(devnet, rogue), d).await;
    assert_eq!(sent.len(), 1);
    let forged = ForgedDeposit::new(d, &[sent[0].leaf], mallory.address(), units(4));
    let receipt = forged.publish(d, &l2(devnet, rogue)).await;
    assert!(receipt.status());
    let mallory_l2 = l2(devnet, mallory);
    let receipt = forged.relay(d, &mallory_l2).await;
    assert!(receipt.status(), "the forged deposit is relayed on L2");
    let processed_event = receipt
        .decoded_log::<IL2Bridge::MessageProcessed>()
        .expect("MessageProcessed")
        .data;
    assert_eq!(processed_event.leaf, forged.leaf);
    assert_eq!(
        l2_balance(devnet, Address::ZERO, mallory.address()).await,
        units(4)
    );
    let (stolen, withdrawal_block) = withdraw_eth(devnet, mallory, units(4)).await;
    Forgery {
        tree: forged.tree,
        leaf: forged.leaf,
        withdrawal_block,
        stolen,
    }
}

/// `user` withdraws `amount` ETH to itself on L2: the withdrawal's nonce and L2 block.
async fn withdraw_eth(devnet: &Devnet, user: &PrivateKeySigner, amount: U256) -> (u64, u64) {
    let bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2(devnet, user));
    let receipt = bridge
        .withdraw(Address::ZERO, user.address(), amount)
        .mined()
        .await;
    assert!(receipt.status());
    let nonce = receipt
        .decoded_log::<IL2Bridge::WithdrawalInitiated>()
        .expect("WithdrawalInitiated")
        .data
        .nonce;
    (nonce, receipt.block_number.unwrap())
}

/// A lying output from the proposer's key (the devnet relayer's: stop the honest relayer first):
/// the real fields of a confirmed L2 block after `after`, which consumed the forged tree, claiming
/// `committed`, L1's root for the two messages L1 sent. The oracle accepts it (it cannot see L2
/// state). Returns its index.
async fn propose_lie(devnet: &Devnet, forgery: &Forgery, committed: B256) -> U256 {
    let d = &devnet.deployment;
    let l2_reader = l2(devnet, &devnet.accounts.challenger);
    let block = wait_for("a confirmed L2 block after the forgery", || async {
        let b = l2_reader
            .get_block_number()
            .await
            .unwrap()
            .saturating_sub(3);
        (b > forgery.withdrawal_block).then_some(b)
    })
    .await;
    let header = header_at(&l2_reader, block).await;
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2_reader);
    let at = BlockId::number(block);
    let withdrawal_root = l2_bridge.withdrawalRoot().block(at).call().await.unwrap();
    assert_eq!(
        l2_bridge
            .l1MessagesProcessed()
            .block(at)
            .call()
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        l2_bridge.l1MessageRoot().block(at).call().await.unwrap(),
        forgery.tree.root()
    );
    assert_ne!(committed, forgery.tree.root());
    let liar = IOutputOracle::new(d.l1.output_oracle, l1(devnet, &devnet.accounts.relayer));
    let bond = liar.proposerBond().call().await.unwrap();
    let receipt = liar
        .propose(
            block,
            header.hash,
            header.state_root,
            withdrawal_root,
            2,
            committed,
        )
        .value(bond)
        .mined()
        .await;
    assert!(receipt.status(), "the oracle accepts L1's root for 2");
    receipt
        .decoded_log::<IOutputOracle::OutputProposed>()
        .expect("OutputProposed")
        .data
        .index
}

/// Waits for L1's root of two messages committed (the honest relayer's deliver role does it).
async fn committed_root_of_two(devnet: &Devnet) -> B256 {
    let l1_bridge = IL1Bridge::new(
        devnet.deployment.l1.l1_bridge,
        l1(devnet, &devnet.accounts.challenger),
    );
    wait_for("L1's root of two messages committed", || async {
        let last = l1_bridge.lastCommittedRoot().call().await.unwrap();
        (last.count == 2).then_some(last.root)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_l1_message_is_never_proposed_raises_the_alerts_and_is_never_paid() {
    init_tracing();
    let devnet = devnet_with_account_governance().await;
    let dir = tempfile::tempdir().unwrap();
    let d = devnet.deployment.clone();
    let mut honest = honest_config(&devnet, &dir);
    let honest_api = api_config(&mut honest);
    let honest_url = honest.database_url.clone();
    let mut watchdog = honest.clone();
    watchdog.signer = devnet.accounts.challenger.clone();
    watchdog.roles = [Role::Watchdog].into_iter().collect();
    watchdog.database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("watchdog.sqlite").display()
    );
    watchdog.relayer_id = "watchdog".into();
    watchdog.poll_interval = Duration::from_millis(200);
    watchdog.conservation_interval = Duration::from_millis(500);
    let watchdog_api = api_config(&mut watchdog);
    let watchdog_url = watchdog.database_url.clone();
    let honest_relayer = start(honest).await;
    let watchdog_relayer = start(watchdog).await;

    let ([alice, bob, mallory, rogue], mallory_l1_start) = users(&devnet).await;
    let oracle = oracle(&devnet);
    let l1_bridge = IL1Bridge::new(d.l1.l1_bridge, l1(&devnet, &alice));

    // 1. Alice's 5 ETH, delivered and covered by an output; the monitor finds ETH fully backed.
    alice_deposits_five(&devnet, &alice).await;
    wait_for("an output covering the deposit", || async {
        let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
        let last = count.checked_sub(1)?;
        let o = oracle.getOutput(U256::from(last)).call().await.unwrap();
        (o.l1MessagesProcessed == 1).then_some(())
    })
    .await;
    let backed = wait_for("the monitor to see ETH on both chains", || async {
        let b = eth_backing(watchdog_api).await?;
        (b["l2_supply"] == units(5).to_string()).then_some(b)
    })
    .await;
    assert_eq!(backed["l1_escrow"], units(5).to_string(), "{backed}");
    assert_eq!(backed["unbacked"], "0", "{backed}");
    let (_, _, text) = http_get(watchdog_api, "/metrics").await;
    let eth_series = format!(
        "drawbridge_relayer_unbacked_supply{{token=\"{}\"}}",
        Address::ZERO
    );
    assert_eq!(metric(&text, &eth_series).as_deref(), Some("0"), "{text}");
    let (code, health, _) = http_get(watchdog_api, "/health").await;
    assert_eq!(code, 200, "{health}");

    // 2. The rogue publisher: a root of L1's real leaf 0 and a made-up 4 ETH deposit to Mallory at
    // nonce 1, which L1 never sent; Mallory relays it (anyone may) and withdraws it on L2.
    let forgery = forge_and_withdraw(&devnet, &rogue, &mallory).await;
    let (tree, forged_leaf, stolen) = (&forgery.tree, forgery.leaf, forgery.stolen);

    // 3. The honest proposer refuses: its role halts with the alert, /health says why.
    let text = wait_for("the propose role halted on the forged message", || async {
        let (_, _, text) = http_get(honest_api, "/metrics").await;
        (metric(&text, "drawbridge_relayer_halted{role=\"propose\"}").as_deref() == Some("1"))
            .then_some(text)
    })
    .await;
    assert_eq!(
        metric(
            &text,
            "drawbridge_relayer_alerts_total{kind=\"forged_l1_message\"}"
        )
        .as_deref(),
        Some("1"),
        "{text}"
    );
    let (code, health, _) = http_get(honest_api, "/health").await;
    assert_eq!(code, 503, "{health}");
    let problems = health["problems"].to_string();
    assert!(
        problems.contains("propose halted") && problems.contains("nonce 1"),
        "{health}"
    );

    // The watchdog: forged_l1_message, and exactly the forged amount unbacked.
    let backing = wait_for("the monitor to report the forged mint", || async {
        let b = eth_backing(watchdog_api).await?;
        (b["unbacked"] != "0").then_some(b)
    })
    .await;
    assert_eq!(backing["unbacked"], units(4).to_string(), "{backing}");
    let (code, health, _) = http_get(watchdog_api, "/health").await;
    assert_eq!(code, 503, "{health}");
    let problems = health["problems"].to_string();
    assert!(problems.contains("L1 never sent"), "{health}");
    assert!(problems.contains("unbacked by"), "{health}");
    let (_, _, text) = http_get(watchdog_api, "/metrics").await;
    for kind in ["forged_l1_message", "unbacked_supply"] {
        assert_eq!(
            metric(
                &text,
                &format!("drawbridge_relayer_alerts_total{{kind=\"{kind}\"}}")
            )
            .as_deref(),
            Some("1"),
            "{kind}: {text}"
        );
    }

    // 4. Bob deposits 1 wei: L1 now has a message at nonce 1, and the honest relayer commits
    // L1's root of 2 messages. L2's consumed root for 2 is still not L1's: nothing is proposed.
    deposit_eth(&devnet, &bob, &[(bob.address(), U256::from(1u64))]).await;
    let committed = committed_root_of_two(&devnet).await;
    assert_ne!(committed, tree.root());
    let backing = wait_for("the escrow of Bob's wei in the monitor", || async {
        let b = eth_backing(watchdog_api).await?;
        (b["l1_escrow"] == (units(5) + U256::from(1u64)).to_string()).then_some(b)
    })
    .await;
    assert_eq!(
        backing["unbacked"],
        (units(4) - U256::from(1u64)).to_string(),
        "{backing}"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
    for index in 0..count {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert!(
            o.l1MessagesProcessed <= 1,
            "output {index} covers the forged message: {o:?}"
        );
    }
    let (code, health, _) = http_get(honest_api, "/health").await;
    assert_eq!(code, 503, "{health}");
    // The API does not call Bob's deposit delivered: L2 processed another leaf at its nonce.
    let (code, message, _) = http_get(honest_api, "/messages/1").await;
    assert_eq!(code, 200, "{message}");
    assert_eq!(message["state"], "forged", "{message}");
    assert_eq!(message["delivered"], false, "{message}");
    assert_eq!(message["l2_processed_leaf"], forged_leaf.to_string());
    let (_, message, _) = http_get(honest_api, "/messages/0").await;
    assert_eq!(message["state"], "delivered", "{message}");
    honest_relayer.stop().await;

    // 5. A lying output: the real fields of an L2 block after the forgery, claiming L1's root for
    // two messages (the contract accepts it). The watchdog finds L2's consumed root differs and
    // challenges it inside the window.
    let index = propose_lie(&devnet, &forgery, committed).await;
    wait_for("the watchdog's challenge of the lying output", || async {
        let o = oracle.getOutput(index).call().await.unwrap();
        (o.status == 2).then_some(())
    })
    .await;
    let o = oracle.getOutput(index).call().await.unwrap();
    assert_eq!(o.challenger, devnet.accounts.challenger.address());
    let (_, outputs, _) = http_get(watchdog_api, "/watchdog").await;
    let judged = outputs["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["index"] == index.to::<u64>() && o["status"] != "deleted")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        judged["reason"]
            .as_str()
            .is_some_and(|r| r.contains("l1MessageRoot")),
        "{outputs}"
    );
    // Let the watchdog settle its challenge before stopping it.
    wait_for(
        "the challenge settled in the watchdog's database",
        || async {
            submissions(&watchdog_url)
                .await
                .iter()
                .any(|s| s.kind == "challenge" && s.outcome.is_some())
                .then_some(())
        },
    )
    .await;
    watchdog_relayer.stop().await;

    // 6. Nothing of the forged amount was ever paid on L1, nor did the relayer try.
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, l2(&devnet, &alice));
    assert_never_paid(
        &devnet,
        &l1_bridge,
        (&mallory, mallory_l1_start),
        stolen,
        units(5) + U256::from(1u64),
    )
    .await;
    for s in submissions(&honest_url).await {
        let work: Value = serde_json::from_str(&s.work).unwrap();
        if s.kind == "finalize_withdrawals" {
            assert!(
                !work["nonces"].to_string().contains(&stolen.to_string()),
                "{s:?}"
            );
        }
        if s.kind == "propose" {
            let l2_block = work["l2_block"].as_u64().unwrap();
            let processed = l2_bridge
                .l1MessagesProcessed()
                .block(BlockId::number(l2_block))
                .call()
                .await
                .unwrap();
            assert!(processed <= 1, "proposed L2 block {l2_block}: {s:?}");
        }
    }
    // The watchdog sent exactly the one challenge.
    let challenges: Vec<_> = submissions(&watchdog_url)
        .await
        .into_iter()
        .filter(|s| s.kind == "challenge")
        .collect();
    assert_eq!(challenges.len(), 1, "{challenges:?}");
    assert_eq!(challenges[0].outcome.as_deref(), Some("ok"));
}

/// The finalize submissions in the database at `url`: (output index, nonces), every one settled.
async fn finalizations(url: &str) -> Vec<(u64, Vec<u64>)> {
    submissions(url)
        .await
        .into_iter()
        .filter(|s| s.kind == "finalize_withdrawals")
        .map(|s| {
            let work: Value = serde_json::from_str(&s.work).unwrap();
            let nonces = work["nonces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect();
            (work["output_index"].as_u64().unwrap(), nonces)
        })
        .collect()
}

/// Runs a finalize-only relayer until `/metrics` shows `wrong_output_not_finalized` and `done`
/// holds; returns `/health` (status and problems) and the alert's count, and stops it.
async fn run_finalize_until<F, Fut>(
    mut config: RelayerConfig,
    what: &str,
    done: F,
) -> (u16, String, String)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    config.roles = [Role::Finalize].into_iter().collect();
    let api = api_config(&mut config);
    let url = config.database_url.clone();
    let running = start(config).await;
    let alerts = wait_for(what, || async {
        let (_, _, text) = http_get(api, "/metrics").await;
        let alerts = metric(
            &text,
            "drawbridge_relayer_alerts_total{kind=\"wrong_output_not_finalized\"}",
        )?;
        let settled = Store::open(&url)
            .await
            .unwrap()
            .pending_submissions("l1")
            .await
            .unwrap()
            .is_empty();
        (settled && done().await).then_some(alerts)
    })
    .await;
    // A few more rounds: the verdict is kept, the alert is not raised again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, _, text) = http_get(api, "/metrics").await;
    assert_eq!(
        metric(
            &text,
            "drawbridge_relayer_alerts_total{kind=\"wrong_output_not_finalized\"}"
        ),
        Some(alerts.clone()),
        "{text}"
    );
    let (code, health, _) = http_get(api, "/health").await;
    running.stop().await;
    (code, health["problems"].to_string(), alerts)
}

/// Defence in depth, without a watchdog. Alice's honest withdrawal is in a good output that
/// became final; then the forgery, and a lying output over it (L1's root for the two messages L1
/// sent, the real block hash, state and withdrawal root of a block where L2 consumed the forged
/// leaf) that nobody challenges becomes final, the newest final output. The finalize role refuses
/// it and pays Alice against the good output before it; the stolen withdrawal is never paid:
/// - (a) alone: a finalize relayer on the honest relayer's database (it holds L1's verified
///   leaves) whose L2 node has no old state (every `eth_call` at an old block refused): L2
///   consumed another leaf than L1 sent at nonce 1, which the output's count covers;
/// - (b) alone: a finalize relayer on a fresh database (it knows no L1 message) recomputes the
///   output's claims from the L2 node as the watchdog does: `l1MessageRoot` differs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_finalize_role_refuses_a_lying_final_output_and_pays_against_the_good_one_before_it() {
    init_tracing();
    let devnet = devnet_with_account_governance().await;
    let dir = tempfile::tempdir().unwrap();
    let d = devnet.deployment.clone();
    // Deliver and propose only while the scene is set: nothing is finalized before the lying
    // output is final.
    let mut honest = honest_config(&devnet, &dir);
    honest.roles = [Role::Deliver, Role::Propose].into_iter().collect();
    let honest_url = honest.database_url.clone();
    let honest_relayer = start(honest.clone()).await;
    let ([alice, bob, mallory, rogue], mallory_l1_start) = users(&devnet).await;
    let oracle = oracle(&devnet);
    let l1_bridge = IL1Bridge::new(d.l1.l1_bridge, l1(&devnet, &alice));

    // 1. Alice deposits 5 ETH and withdraws 1 ETH on L2; a good output covering it becomes final.
    alice_deposits_five(&devnet, &alice).await;
    let (honest_nonce, honest_block) = withdraw_eth(&devnet, &alice, units(1)).await;
    let good = wait_for("a final output covering Alice's withdrawal", || async {
        let index = oracle.latestFinalIndex().call().await.ok()?;
        let o = oracle.getOutput(index).call().await.unwrap();
        (o.l2BlockNumber >= honest_block).then_some(index)
    })
    .await;

    // 2. The forgery and Mallory's withdrawal of it; Bob's 1 wei takes nonce 1 on L1 and the
    // honest relayer commits L1's root of two messages.
    let forgery = forge_and_withdraw(&devnet, &rogue, &mallory).await;
    deposit_eth(&devnet, &bob, &[(bob.address(), U256::from(1u64))]).await;
    let committed = committed_root_of_two(&devnet).await;
    honest_relayer.stop().await;

    // 3. The lying output, unchallenged (no watchdog), becomes the newest final output.
    let lie = propose_lie(&devnet, &forgery, committed).await;
    assert!(good < lie);
    wait_for("the lying output final", || async {
        oracle.isFinal(lie).call().await.unwrap().then_some(())
    })
    .await;
    assert_eq!(oracle.latestFinalIndex().call().await.unwrap(), lie);
    assert!(
        !l1_bridge
            .isWithdrawalFinalized(honest_nonce)
            .call()
            .await
            .unwrap()
    );
    let paid_against = |url: String| async move {
        let all = finalizations(&url).await;
        for (output, nonces) in &all {
            assert!(
                *output < lie.to::<u64>(),
                "finalized against output {output}, the lying one is {lie}: {all:?}"
            );
            assert!(!nonces.contains(&forgery.stolen), "{all:?}");
        }
        all
    };

    // 4. (a) alone: the honest relayer's database, an L2 node without old state.
    let l2_proxy = RpcProxy::start(&d.l2.rpc_url).await;
    l2_proxy.set_mode(Mode::PrunedState);
    let mut leaves_only = honest.clone();
    leaves_only.relayer_id = "finalize-leaves".into();
    leaves_only.l2_rpc_url = l2_proxy.url.clone();
    let (code, problems, alerts) = run_finalize_until(
        leaves_only,
        "the refusal and Alice's withdrawal paid (leaves only)",
        || async {
            assert!(
                !is_paid(&l1_bridge, forgery.stolen).await,
                "the stolen withdrawal was paid"
            );
            is_paid(&l1_bridge, honest_nonce).await
        },
    )
    .await;
    assert_eq!(alerts, "1");
    assert_eq!(code, 503, "{problems}");
    assert!(
        problems.contains(&format!("final output {lie}"))
            && problems.contains("covers nonce 1")
            && problems.contains(&forgery.leaf.to_string()),
        "{problems}"
    );
    assert!(
        l2_proxy.pruned() > 0,
        "the L2 node never refused a call at an old block: check (b) was not out of the way"
    );
    let paid = paid_against(honest_url.clone()).await;
    assert!(
        paid.iter()
            .any(|(output, nonces)| *output >= good.to::<u64>() && nonces == &vec![honest_nonce]),
        "{paid:?}"
    );
    assert_eq!(
        l1_bridge.escrowed(Address::ZERO).call().await.unwrap(),
        units(4) + U256::from(1u64),
        "Alice's 1 ETH paid, nothing else"
    );

    // 5. (b) alone: a fresh database (no L1 message known), the L2 node answering at any block.
    let mut recompute_only = honest.clone();
    recompute_only.relayer_id = "finalize-recompute".into();
    recompute_only.database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("finalize-only.sqlite").display()
    );
    let fresh_url = recompute_only.database_url.clone();
    let (code, problems, alerts) =
        run_finalize_until(recompute_only, "the refusal (recompute only)", || async {
            assert!(
                !is_paid(&l1_bridge, forgery.stolen).await,
                "the stolen withdrawal was paid"
            );
            true
        })
        .await;
    assert_eq!(alerts, "1");
    assert_eq!(code, 503, "{problems}");
    assert!(
        problems.contains(&format!("final output {lie}"))
            && problems.contains("l1MessageRoot")
            && !problems.contains("covers nonce"),
        "{problems}"
    );
    assert!(
        paid_against(fresh_url).await.is_empty(),
        "Alice was paid already: nothing else to pay"
    );

    // 6. The stolen withdrawal was never paid.
    assert_never_paid(
        &devnet,
        &l1_bridge,
        (&mallory, mallory_l1_start),
        forgery.stolen,
        units(4) + U256::from(1u64),
    )
    .await;
}
