//! `drawbridge status` when L2 processed a message L1 never sent (issue 9): a deposit is
//! "delivered" only when the leaf L2 processed at its nonce is L1's leaf. The root publisher
//! (the devnet relayer's key) publishes a made-up root and relays a forged deposit at the next
//! nonce; the real deposit later sent at that nonce is reported as not delivered, with what to do.

mod common;

use common::CliBed;
use drawbridge_bindings::IL1Bridge;
use drawbridge_testkit::reads::message_sent;
use drawbridge_testkit::{ForgedDeposit, Mined, units};

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
    let sent = message_sent(&env.l1, &d).await;
    let forged = ForgedDeposit::new(&d, &[sent[0].leaf], mallory.address(), units(4));
    let forged_leaf = forged.leaf;
    let publisher = env.l2(&env.devnet.accounts.relayer);
    assert!(forged.publish(&d, &publisher).await.status());
    assert!(forged.relay(&d, &env.l2(&mallory)).await.status());

    // Bob's real deposit takes nonce 1 on L1; its root is committed. L2 counts 2 processed.
    env.run(
        Some(&bob),
        &["deposit", "--token", "eth", "--amount", "0.5"],
    )
    .success();
    assert!(
        IL1Bridge::new(d.l1.l1_bridge, env.l1(&bob))
            .commitMessageRoot()
            .mined()
            .await
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
