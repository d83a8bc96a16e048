//! The way back without a relayer: the test plays the relayer's L1->L2 steps and the proposer with
//! the bindings, the user withdraws and finalizes with the `drawbridge` binary alone.

mod common;

use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use common::{CliBed, Run, assert_contains, eventually};
use drawbridge_client::revert::erc20::IERC20;

/// `drawbridge withdraw --token <token> --amount <amount> --to <to>` as `user`, which must succeed.
fn withdraw_to(
    env: &CliBed,
    user: &PrivateKeySigner,
    json: bool,
    (token, amount): (&str, &str),
    to: Address,
) -> Run {
    let to = to.to_string();
    let args = [
        "withdraw", "--token", token, "--amount", amount, "--to", &to,
    ];
    let args: Vec<&str> = json.then_some("--json").into_iter().chain(args).collect();
    env.run(Some(user), &args).success()
}

/// `who`'s balance of the ERC-20 `token` on `chain`.
async fn erc20_balance(chain: &DynProvider, token: Address, who: Address) -> U256 {
    IERC20::new(token, chain)
        .balanceOf(who)
        .call()
        .await
        .unwrap()
}

#[tokio::test]
async fn withdraw_then_finalize_pays_exactly_once_without_a_relayer() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let user_s = user.address().to_string();
    let token = env.devnet.test_token();
    let token_s = token.to_string();
    let unit = U256::from(10u8).pow(U256::from(env.token_decimals().await));
    env.mint_test_tokens(user.address(), U256::from(50u8) * unit)
        .await;

    // Deposits on L1 through the CLI.
    env.run(Some(&user), &["deposit", "--token", "eth", "--amount", "2"])
        .success();
    env.run(
        Some(&user),
        &["deposit", "--token", &token_s, "--amount", "20"],
    )
    .success();
    let st = env.status_json(&["--deposit", "0"]);
    assert_eq!(st["stage"], "sent");

    // The relayer's part, by hand: commit, publish, relay.
    env.relay_all().await;
    for nonce in ["0", "1"] {
        let st = env.status_json(&["--deposit", nonce]);
        assert_eq!(st["stage"], "delivered", "{st}");
        assert!(st["l2TxHash"].as_str().unwrap().starts_with("0x"));
        assert_eq!(st["timeLeft"], 0);
    }
    let text = env.run(None, &["status", "--deposit", "1"]).success();
    assert_contains(&text.stdout, "delivered on L2");

    // Withdraw both on L2 to fresh L1 addresses (so balances move by exactly the amounts).
    let eth_to = Address::repeat_byte(0xe1);
    let token_to = Address::repeat_byte(0xe2);
    let w0 = withdraw_to(&env, &user, true, ("eth", "0.5"), eth_to).json();
    assert_eq!(w0["nonce"], 0);
    assert_eq!(w0["amount"]["raw"], "500000000000000000");
    let w1 = withdraw_to(&env, &user, false, (&token_s, "7.25"), token_to);
    assert_contains(&w1.stdout, "withdrawal nonce: 1");
    assert_contains(&w1.stdout, "drawbridge finalize --nonce 1");

    // L2 balances went down.
    let l2 = env.l2(&user);
    let l2_bridge = drawbridge_bindings::IL2Bridge::new(env.devnet.deployment.l2.l2_bridge, &l2);
    let l2_eth = l2_bridge.bridgedToken(Address::ZERO).call().await.unwrap();
    assert_eq!(
        erc20_balance(&l2, l2_eth, user.address()).await,
        common::ether("1.5")
    );

    // Not covered by any output yet.
    let st = env.status_json(&["--withdrawal", "0"]);
    assert_eq!(st["stage"], "initiated", "{st}");
    let early = env
        .run(Some(&user), &["finalize", "--nonce", "0"])
        .failure();
    assert_contains(&early.stderr, "not yet covered by an output");

    // The proposer posts an output at the L2 head.
    let index = env.propose_output().await;
    assert_eq!(index, 0);
    let st = env.status_json(&["--withdrawal", "1"]);
    if st["stage"] == "covered" {
        assert_eq!(st["outputIndex"], 0);
        let left = st["timeLeft"].as_u64().unwrap();
        assert!(left <= 6, "{st}");
        if left >= 3 {
            let early = env
                .run(Some(&user), &["finalize", "--nonce", "1"])
                .failure();
            assert_contains(&early.stderr, "not final yet");
            assert_contains(&early.stderr, "s left");
        }
    } else {
        assert_eq!(st["stage"], "final", "{st}");
    }

    // Wait out the challenge period (6 s on the devnet).
    eventually(
        "the output to become final",
        Duration::from_secs(60),
        || async {
            let st = env.status_json(&["--withdrawal", "0"]);
            (st["stage"] == "final").then_some(())
        },
    )
    .await;
    let text = env.run(None, &["status", "--withdrawal", "0"]).success();
    assert_contains(&text.stdout, "ready to finalize");

    // Finalize: paid exactly once.
    let l1 = env.l1(&user);
    let escrow_eth = env.escrow(Address::ZERO).await;
    let escrow_token = env.escrow(token).await;
    let fin = env
        .run(Some(&user), &["--json", "finalize", "--nonce", "0"])
        .success()
        .json();
    assert_eq!(fin["nonce"], 0);
    assert_eq!(fin["outputIndex"], 0);
    assert_eq!(fin["withdrawalsInOutput"], 2);
    assert_eq!(fin["proofLength"], 1);
    assert_eq!(l1.get_balance(eth_to).await.unwrap(), common::ether("0.5"));
    assert_eq!(
        escrow_eth - env.escrow(Address::ZERO).await,
        common::ether("0.5")
    );

    let fin = env
        .run(Some(&user), &["finalize", "--nonce", "1", "--output", "0"])
        .success();
    assert_contains(&fin.stdout, "Finalized withdrawal 1");
    let paid = U256::from(725u16) * unit / U256::from(100u8);
    assert_eq!(erc20_balance(&l1, token, token_to).await, paid);
    assert_eq!(escrow_token - env.escrow(token).await, paid);

    // A second finalize fails and changes nothing.
    let nonce_before = env.l1_nonce(user.address()).await;
    let again = env
        .run(Some(&user), &["finalize", "--nonce", "0"])
        .failure();
    assert_contains(&again.stderr, "AlreadyFinalized");
    let again = env
        .run(
            Some(&user),
            &["--json", "finalize", "--nonce", "1", "--output", "0"],
        )
        .failure();
    assert!(
        again.json()["error"]
            .as_str()
            .unwrap()
            .contains("AlreadyFinalized")
    );
    assert_eq!(env.l1_nonce(user.address()).await, nonce_before);
    assert_eq!(l1.get_balance(eth_to).await.unwrap(), common::ether("0.5"));
    assert_eq!(erc20_balance(&l1, token, token_to).await, paid);
    assert_eq!(
        escrow_eth - env.escrow(Address::ZERO).await,
        common::ether("0.5")
    );

    // Status reports the end of the road.
    let st = env.status_json(&["--withdrawal", "0"]);
    assert_eq!(st["stage"], "finalized", "{st}");
    assert_eq!(st["outputIndex"], 0);
    assert!(st["finalizedTxHash"].as_str().unwrap().starts_with("0x"));
    let all = env.status_json(&["--address", &user_s]);
    assert_eq!(all["deposits"].as_array().unwrap().len(), 2);
    let withdrawals = all["withdrawals"].as_array().unwrap();
    assert_eq!(withdrawals.len(), 2);
    assert!(withdrawals.iter().all(|w| w["stage"] == "finalized"));
    let text = env.run(None, &["status", "--address", &user_s]).success();
    assert_contains(&text.stdout, "Withdrawals (2):");
    assert_contains(&text.stdout, "finalized on L1");
    let balance = env
        .run(None, &["--json", "balance", "--address", &user_s])
        .success()
        .json();
    let eth = &balance["balances"][0];
    assert_eq!(eth["token"]["symbol"], "ETH");
    assert_eq!(eth["l2"]["formatted"], "1.5");

    // A new withdrawal not yet in an output: a newer output that is not final shows time left.
    env.run(
        Some(&user),
        &["withdraw", "--token", "eth", "--amount", "0.1"],
    )
    .success();
    env.propose_output().await;
    let st = env.status_json(&["--withdrawal", "2"]);
    assert!(st["stage"] == "covered" || st["stage"] == "final", "{st}");
    if st["stage"] == "covered" {
        assert_eq!(st["outputIndex"], 1);
        assert!(st["finalAt"].as_u64().is_some());
    }
}

/// An output whose `withdrawalRoot` does not match the L2 withdrawals is never used: finalize
/// falls back to an older final output that matches, refuses (sending nothing) when none does, and
/// status says which case it is.
#[tokio::test]
async fn finalize_never_uses_an_output_that_does_not_match_l2() {
    let env = CliBed::start().await;
    let user = env.user(0);
    env.run(Some(&user), &["deposit", "--token", "eth", "--amount", "1"])
        .success();
    env.relay_all().await;
    let (to_a, to_b) = (Address::repeat_byte(0xe3), Address::repeat_byte(0xe4));
    withdraw_to(&env, &user, false, ("eth", "0.5"), to_a);
    assert_eq!(env.propose_output().await, 0);
    withdraw_to(&env, &user, false, ("eth", "0.25"), to_b);
    // Output 1 covers both withdrawals but lies about their root.
    let fake = alloy::primitives::B256::repeat_byte(0x11);
    assert_eq!(env.propose_output_with_root(Some(fake)).await, 1);

    let st = eventually(
        "output 1 to become final",
        Duration::from_secs(60),
        || async {
            let st = env.status_json(&["--withdrawal", "1"]);
            (st["stage"] != "covered").then_some(st)
        },
    )
    .await;
    assert_eq!(st["stage"], "outputMismatch", "{st}");
    assert_eq!(st["outputIndex"], 1, "{st}");
    assert!(
        st["description"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{st}"
    );
    let st = env.status_json(&["--withdrawal", "0"]);
    assert_eq!(st["stage"], "final", "{st}");
    assert_eq!(st["outputIndex"], 0, "{st}");
    let all = env.status_json(&["--address", &user.address().to_string()]);
    assert_eq!(all["withdrawals"][0]["stage"], "final", "{all}");
    assert_eq!(all["withdrawals"][1]["stage"], "outputMismatch", "{all}");

    // Only the lying output covers withdrawal 1, and it is named explicitly for withdrawal 0:
    // refused, nothing sent.
    let nonce = env.l1_nonce(user.address()).await;
    for args in [
        &["finalize", "--nonce", "1"][..],
        &["finalize", "--nonce", "0", "--output", "1"][..],
    ] {
        let run = env.run(Some(&user), args).failure();
        assert_contains(&run.stderr, "output 1 claims withdrawal root 0x1111");
        assert_contains(&run.stderr, "the output is wrong");
    }
    assert_eq!(env.l1_nonce(user.address()).await, nonce);
    let l1 = env.l1(&user);
    assert_eq!(l1.get_balance(to_b).await.unwrap(), U256::ZERO);

    // Withdrawal 0 is finalized against the older, matching output 0.
    let fin = env
        .run(Some(&user), &["--json", "finalize", "--nonce", "0"])
        .success()
        .json();
    assert_eq!(fin["outputIndex"], 0, "{fin}");
    assert_eq!(l1.get_balance(to_a).await.unwrap(), common::ether("0.5"));
}
