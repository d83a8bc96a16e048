//! The propose role only proposes L2 states whose consumed L1 messages are a count L1 committed
//! (`OutputOracle.propose` refuses the others with `MessageRootMismatch`). When a relay batch ended
//! inside a committed root, L2 stands between two committed counts at the checkpoint: the role
//! proposes the newest confirmed block above the last output at a committed count (binary search
//! over L2 blocks), then waits until L2 reaches the next committed count.

mod common;

use std::time::Duration;

use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge};
use drawbridge_protocol::MerkleTree;
use drawbridge_relayer::Role;
use drawbridge_testkit::reads::message_sent;
use drawbridge_testkit::{l2_message, message_from_event};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn between_two_committed_counts_the_newest_committed_block_is_proposed() {
    let mut env = test_env().await;
    env.config.roles = [Role::Propose].into_iter().collect();
    env.config.output_interval = 1;
    let devnet = &env.devnet;
    let d = devnet.deployment.clone();
    let user = devnet.accounts.users[4].clone();
    let recipient = fresh_address("committed counts");
    deposit_eth(
        devnet,
        &user,
        &(0..4u64)
            .map(|i| (recipient, U256::from(1_000 + i)))
            .collect::<Vec<_>>(),
    )
    .await;

    // One committed root of 4 messages, published on L2 by the root publisher.
    let l1_user = l1(devnet, &user);
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1_user);
    assert!(bridge.commitMessageRoot().mined().await.status());
    let committed = bridge.lastCommittedRoot().call().await.unwrap();
    assert_eq!(committed.count, 4);
    let publisher = l2(devnet, &devnet.accounts.relayer);
    assert!(
        IL1RootOracle::new(d.l2.root_oracle, &publisher)
            .publishRoot(committed.root, 4)
            .mined()
            .await
            .status()
    );
    let messages: Vec<_> = message_sent(&l1_user, &d)
        .await
        .iter()
        .map(message_from_event)
        .collect();
    let tree = MerkleTree::from_leaves(
        messages
            .iter()
            .map(|m| m.leaf(d.l1.chain_id, d.l1.l1_bridge)),
    )
    .unwrap();
    assert_eq!(tree.root(), committed.root);
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, l2(devnet, &user));
    let relay = |range: std::ops::Range<u64>| {
        let batch: Vec<IL2Bridge::L1Message> = range
            .clone()
            .map(|n| l2_message(&messages[n as usize]))
            .collect();
        let proofs: Vec<Vec<B256>> = range.map(|n| tree.proof(n, 4).unwrap()).collect();
        let l2_bridge = l2_bridge.clone();
        async move {
            let receipt = l2_bridge
                .relayMessages(batch, committed.root, proofs)
                .mined()
                .await;
            assert!(receipt.status());
            receipt.block_number.unwrap()
        }
    };

    // A batch of 2 out of the root of 4: from `inside` on, L2 consumed a count L1 never committed.
    let inside = relay(0..2).await;
    // The relayer starts once the checkpoint (2 confirmations) is inside the root.
    let l2_reader = l2(devnet, &user);
    wait_for("the relay confirmed on L2", || async {
        (l2_reader.get_block_number().await.unwrap() >= inside + 3).then_some(())
    })
    .await;
    let url = env.config.database_url.clone();
    let proposer = start(env.config.clone()).await;
    let oracle = oracle(devnet);
    wait_for("an output while L2 stands inside the root", || async {
        let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
        (count >= 1).then_some(())
    })
    .await;
    let o = oracle.getOutput(U256::ZERO).call().await.unwrap();
    assert_eq!(
        (o.l2BlockNumber, o.l1MessagesProcessed),
        (inside - 1, 0),
        "the newest block before the relay consumed a committed count (0)"
    );
    // Nothing inside the root gets proposed, however long L2 stays there.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
    for index in 0..count {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert!(o.l2BlockNumber < inside, "output {index}: {o:?}");
    }

    // The rest of the root: L2 reaches the committed count 4 and outputs resume.
    let done = relay(2..4).await;
    wait_for("an output at the committed count 4", || async {
        let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
        let o = oracle
            .getOutput(U256::from(count.checked_sub(1)?))
            .call()
            .await
            .unwrap();
        (o.l1MessagesProcessed == 4 && o.l2BlockNumber >= done).then_some(())
    })
    .await;
    proposer.stop().await;
    let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
    for index in 0..count {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert!(
            o.l1MessagesProcessed == 0 || o.l1MessagesProcessed == 4,
            "output {index} claims an uncommitted count: {o:?}"
        );
    }
    // Every propose the relayer sent landed: none was refused by the oracle.
    let all = submissions(&url).await;
    assert!(all.iter().any(|s| s.kind == "propose"));
    assert_no_failed_submissions(&all);
}
