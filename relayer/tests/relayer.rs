//! End-to-end tests of the relayer in-process against a real devnet (two anvil chains) and a real
//! SQLite file.

mod common;

use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_relayer::{Role, Store, SubmissionState};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_are_delivered_in_order_exactly_once() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let (alice, bob) = (&devnet.accounts.users[0], &devnet.accounts.users[1]);
    let carol = fresh_address("carol");
    let running = start(env.config.clone()).await;

    // Seven ETH deposits from two users, and two token deposits (the first carries the token's
    // metadata, so L2 deploys its BridgedToken).
    deposit_eth(
        devnet,
        alice,
        &[
            (carol, units(1)),
            (alice.address(), units(2)),
            (carol, units(3)),
        ],
    )
    .await;
    deposit_eth(devnet, bob, &[(carol, units(4)), (bob.address(), units(5))]).await;
    deposit_token(devnet, alice, carol, U256::from(1_000u64)).await;
    deposit_eth(
        devnet,
        alice,
        &[(carol, units(6)), (bob.address(), units(7))],
    )
    .await;
    deposit_token(devnet, bob, bob.address(), U256::from(250u64)).await;
    assert_eq!(message_count(devnet).await, 9);

    wait_delivered(devnet, &url, 9).await;
    assert_eq!(
        l2_balance(devnet, Address::ZERO, carol).await,
        units(1 + 3 + 4 + 6)
    );
    assert_eq!(
        l2_balance(devnet, Address::ZERO, alice.address()).await,
        units(2)
    );
    assert_eq!(
        l2_balance(devnet, Address::ZERO, bob.address()).await,
        units(5 + 7)
    );
    let token = devnet.test_token();
    assert_eq!(l2_balance(devnet, token, carol).await, U256::from(1_000u64));
    assert_eq!(
        l2_balance(devnet, token, bob.address()).await,
        U256::from(250u64)
    );

    // Nothing more happens: no message is delivered twice.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(processed(devnet).await, 9);
    assert_eq!(l2_balance(devnet, Address::ZERO, carol).await, units(14));
    running.stop().await;

    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 9);
    assert_no_failed_submissions(&all);
    // Only the deliver role ran.
    assert!(all.iter().all(|s| s.role == "deliver"), "{all:?}");
    assert!(all.iter().any(|s| s.kind == "commit_root"));
    assert!(all.iter().any(|s| s.kind == "publish_root"));

    // The database holds what the chain holds.
    let store = Store::open(&url).await.unwrap();
    let status = store.status().await.unwrap();
    assert_eq!(status.l1_messages, 9);
    assert!(status.committed_messages >= 1);
    let messages = store.messages(0, 100).await.unwrap();
    assert_eq!(messages.len(), 9);
    for (i, m) in messages.iter().enumerate() {
        assert_eq!(m.message.nonce, i as u64);
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_messages_than_one_batch_are_delivered_in_batches() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    assert_eq!(env.config.delivery_batch_size, 50);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let user = &devnet.accounts.users[2];
    let recipients = [
        fresh_address("r0"),
        fresh_address("r1"),
        fresh_address("r2"),
    ];
    // 60 deposits of 1..=60 gwei, round robin over three recipients, sent before the relayer
    // starts so that one root covers all of them.
    let gwei = U256::from(1_000_000_000u64);
    let deposits: Vec<(Address, U256)> = (0..60u64)
        .map(|i| (recipients[(i % 3) as usize], gwei * U256::from(i + 1)))
        .collect();
    deposit_eth(devnet, user, &deposits).await;
    assert_eq!(message_count(devnet).await, 60);
    let running = start(env.config.clone()).await;

    wait_delivered(devnet, &url, 60).await;
    for (r, recipient) in recipients.iter().enumerate() {
        let expected: U256 = deposits
            .iter()
            .filter(|(to, _)| to == recipient)
            .map(|(_, amount)| *amount)
            .sum();
        assert_eq!(
            l2_balance(devnet, Address::ZERO, *recipient).await,
            expected,
            "recipient {r}"
        );
    }
    running.stop().await;

    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 60);
    let relays: Vec<_> = all.iter().filter(|s| s.kind == "relay_messages").collect();
    assert!(
        relays.len() >= 2,
        "60 messages need two batches of at most 50: {relays:?}"
    );
    for s in &relays {
        let work: serde_json::Value = serde_json::from_str(&s.work).unwrap();
        let size = work["last"].as_u64().unwrap() - work["first"].as_u64().unwrap() + 1;
        assert!(size <= 50, "{s:?}");
    }
    assert_no_failed_submissions(&all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_are_proposed_and_bonds_come_back() {
    let mut env = test_env().await;
    env.config.roles = [Role::Propose].into_iter().collect();
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let running = start(env.config.clone()).await;
    let oracle = oracle(devnet);

    let count = wait_for("two outputs", || async {
        let n = oracle.outputCount().call().await.unwrap();
        (n >= U256::from(2)).then_some(n)
    })
    .await;
    let l2 = l2(devnet, &devnet.accounts.challenger);
    let l2_bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2.clone());
    let mut last = 0;
    for i in 0..count.to::<u64>() {
        let output = oracle.getOutput(U256::from(i)).call().await.unwrap();
        let block = output.l2BlockNumber;
        assert_eq!(
            block % 5,
            0,
            "output {i} is not at a multiple of output_interval"
        );
        assert!(block > last, "outputs must move forward");
        last = block;
        assert_eq!(output.proposer, devnet.accounts.relayer.address());
        let header = header_at(&l2, block).await;
        assert_eq!(output.l2BlockHash, header.hash);
        assert_eq!(output.l2StateRoot, header.state_root);
        let at = BlockId::number(block);
        assert_eq!(
            output.withdrawalRoot,
            l2_bridge.withdrawalRoot().block(at).call().await.unwrap()
        );
        assert_eq!(
            output.l1MessagesProcessed,
            l2_bridge
                .l1MessagesProcessed()
                .block(at)
                .call()
                .await
                .unwrap()
        );
    }

    // After the 6 s challenge period the bonds are released and withdrawn.
    let store = Store::open(&url).await.unwrap();
    wait_for("a released and withdrawn bond", || async {
        let all = store.submissions().await.unwrap();
        let ok = |kind: &str| {
            all.iter()
                .any(|s| s.kind == kind && s.state == SubmissionState::Confirmed)
        };
        (ok("release_bond") && ok("withdraw_bond")).then_some(())
    })
    .await;
    store.close().await;
    running.stop().await;
    let all = submissions(&url).await;
    assert!(all.iter().all(|s| s.role == "propose"), "{all:?}");
    assert_no_failed_submissions(&all);
    // One proposal per output block: never two for the same block.
    let mut blocks: Vec<u64> = all
        .iter()
        .filter(|s| s.kind == "propose" && s.state == SubmissionState::Confirmed)
        .map(|s| {
            serde_json::from_str::<serde_json::Value>(&s.work).unwrap()["l2_block"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let n = blocks.len();
    blocks.dedup();
    assert_eq!(blocks.len(), n, "a block was proposed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_is_finalized_after_the_challenge_period_exactly_once() {
    let env = test_env().await;
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let user = &devnet.accounts.users[3];
    let running = start(env.config.clone()).await;

    deposit_eth(devnet, user, &[(user.address(), units(5))]).await;
    wait_for("the deposit on L2", || async {
        (l2_balance(devnet, Address::ZERO, user.address()).await == units(5)).then_some(())
    })
    .await;

    let recipient = fresh_address("withdrawal recipient");
    let l1 = l1(devnet, user);
    assert_eq!(l1.get_balance(recipient).await.unwrap(), U256::ZERO);
    let l2_bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2(devnet, user));
    let receipt = l2_bridge
        .withdraw(Address::ZERO, recipient, units(2))
        .mined()
        .await;
    assert!(receipt.status());
    assert_eq!(
        l2_balance(devnet, Address::ZERO, user.address()).await,
        units(3)
    );

    wait_for("the withdrawal paid on L1", || async {
        (l1.get_balance(recipient).await.unwrap() == units(2)).then_some(())
    })
    .await;
    let l1_bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, l1.clone());
    assert!(l1_bridge.isWithdrawalFinalized(0).call().await.unwrap());

    // Later outputs cover the same withdrawal: it must not be paid again.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(l1.get_balance(recipient).await.unwrap(), units(2));
    running.stop().await;

    let all = submissions(&url).await;
    assert_no_failed_submissions(&all);
    let finalizations: Vec<_> = all
        .iter()
        .filter(|s| s.kind == "finalize_withdrawals")
        .collect();
    assert_eq!(finalizations.len(), 1, "{finalizations:?}");
    assert_eq!(finalizations[0].state, SubmissionState::Confirmed);
    let store = Store::open(&url).await.unwrap();
    let withdrawals = store.withdrawals().await.unwrap();
    assert_eq!(withdrawals.len(), 1);
    assert!(withdrawals[0].finalized);
    assert_eq!(withdrawals[0].withdrawal.recipient, recipient);
    assert_eq!(withdrawals[0].withdrawal.amount, units(2));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_relayer_resumes_without_double_sending() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    env.config.delivery_batch_size = 3;
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let user = &devnet.accounts.users[4];
    let recipient = fresh_address("restart");
    let gwei = U256::from(1_000_000_000u64);
    let batch = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to)
            .map(|i| (recipient, gwei * U256::from(i + 1)))
            .collect()
    };
    let expected = |n: u64| -> U256 { (0..n).map(|i| gwei * U256::from(i + 1)).sum() };

    // First run: stopped gracefully once some messages are through.
    let running = start(env.config.clone()).await;
    deposit_eth(devnet, user, &batch(0, 10)).await;
    wait_for("a first batch delivered", || async {
        (processed(devnet).await >= 3).then_some(())
    })
    .await;
    running.stop().await;

    // Second run: on the same database, more deposits; killed abruptly mid-delivery.
    deposit_eth(devnet, user, &batch(10, 16)).await;
    let running = start(env.config.clone()).await;
    let before = processed(devnet).await;
    wait_for("progress after the restart", || async {
        (processed(devnet).await > before).then_some(())
    })
    .await;
    running.kill().await;

    // Third run: finishes the job.
    deposit_eth(devnet, user, &batch(16, 20)).await;
    let running = start(env.config.clone()).await;
    wait_delivered(devnet, &url, 20).await;
    assert_eq!(
        l2_balance(devnet, Address::ZERO, recipient).await,
        expected(20)
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(processed(devnet).await, 20);
    running.stop().await;

    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 20);
    assert_no_failed_submissions(&all);
    assert_eq!(
        l2_balance(devnet, Address::ZERO, recipient).await,
        expected(20)
    );
}
