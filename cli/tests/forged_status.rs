//! `drawbridge status` when L2 processed a message L1 never sent (issue 9): a deposit is
//! "delivered" only when the leaf L2 processed at its nonce is L1's leaf. The root publisher
//! (the devnet relayer's key) publishes a made-up root and relays a forged deposit at the next
//! nonce; the real deposit later sent at that nonce is reported as not delivered, with what to do.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use common::CliBed;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge};
use drawbridge_protocol::{L1Message, MerkleTree, MessageKind};

#[tokio::test]
async fn a_deposit_whose_nonce_l2_processed_with_another_leaf_is_not_delivered() {
    let env = CliBed::start().await;
    let d = env.devnet.deployment.clone();
    let (alice, bob, mallory) = (env.user(0), env.user(1), env.user(2));

    // Alice's deposit, relayed honestly: delivered.
    env.run(
        Some(&alice),
        &["deposit", "--token", "eth", "--amount", "1"],
    )
    .success();
    env.relay_all().await;
    let status = env
        .run(None, &["--json", "status", "--deposit", "0"])
        .success()
        .json();
    assert_eq!(status["stage"], "delivered", "{status}");
    assert!(status.get("whatToDo").is_none(), "{status}");

    // The root publisher's key relays a made-up 4 ETH deposit to Mallory at nonce 1.
    let l1 = env.l1(&alice);
    let sent = l1
        .get_logs(
            &Filter::new()
                .address(d.l1.l1_bridge)
                .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
                .from_block(d.l1.deploy_block),
        )
        .await
        .unwrap();
    let real_leaf = sent[0]
        .log_decode::<IL1Bridge::MessageSent>()
        .unwrap()
        .inner
        .data
        .leaf;
    let forged = L1Message {
        kind: MessageKind::Deposit,
        nonce: 1,
        sender: mallory.address(),
        recipient: mallory.address(),
        token: Address::ZERO,
        amount: U256::from(4u64) * U256::from(10u64).pow(U256::from(18u64)),
        data: Default::default(),
    };
    let forged_leaf = forged.leaf(d.l1.chain_id, d.l1.l1_bridge);
    let tree = MerkleTree::from_leaves([real_leaf, forged_leaf]).unwrap();
    let publisher = env.l2(&env.devnet.accounts.relayer);
    assert!(
        IL1RootOracle::new(d.l2.root_oracle, &publisher)
            .publishRoot(tree.root(), 2)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );
    assert!(
        IL2Bridge::new(d.l2.l2_bridge, env.l2(&mallory))
            .relayMessages(
                vec![IL2Bridge::L1Message {
                    kind: forged.kind.as_u8(),
                    nonce: forged.nonce,
                    sender: forged.sender,
                    recipient: forged.recipient,
                    token: forged.token,
                    amount: forged.amount,
                    data: forged.data.clone(),
                }],
                tree.root(),
                vec![tree.proof(1, 2).unwrap()],
            )
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );

    // Bob's real deposit takes nonce 1 on L1; its root is committed. L2 counts 2 processed.
    env.run(
        Some(&bob),
        &["deposit", "--token", "eth", "--amount", "0.5"],
    )
    .success();
    assert!(
        IL1Bridge::new(d.l1.l1_bridge, env.l1(&bob))
            .commitMessageRoot()
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );
    let status = env
        .run(None, &["--json", "status", "--deposit", "1"])
        .success()
        .json();
    assert_eq!(status["stage"], "forged", "{status}");
    assert_eq!(
        status["l2ProcessedLeaf"],
        forged_leaf.to_string(),
        "{status}"
    );
    assert!(status["l2TxHash"].is_null(), "{status}");
    assert!(status["timeLeft"].is_null(), "{status}");
    let todo = status["whatToDo"].as_str().unwrap();
    for step in ["force", "freeze", "escape", "reclaim --nonce 1"] {
        assert!(todo.contains(step), "{step}: {todo}");
    }
    let text = env.run(None, &["status", "--deposit", "1"]).success();
    assert!(text.stdout.contains("NOT delivered"), "{}", text.stdout);
    assert!(!text.stdout.contains("delivered on L2"), "{}", text.stdout);
    // The address view says the same; Alice's deposit is still delivered.
    let view = env
        .run(
            None,
            &["--json", "status", "--address", &bob.address().to_string()],
        )
        .success()
        .json();
    assert_eq!(view["deposits"][0]["stage"], "forged", "{view}");
    let status = env
        .run(None, &["--json", "status", "--deposit", "0"])
        .success()
        .json();
    assert_eq!(status["stage"], "delivered", "{status}");
}
