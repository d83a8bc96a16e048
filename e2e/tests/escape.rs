//! Issue 4 end to end, on a devnet whose sequencer censors, driving the real binaries (`drawbridge`
//! CLI, `drawbridge-exit-prover`, the devnet's supervised `drawbridge-relayer`):
//!
//! 1. Alice, Bob and Carol have ETH and (Alice) test tokens on L2; a kit process keeps proofs.
//! 2. The sequencer censors Alice: her L2 withdrawal is answered and never mined.
//! 3. The operator stops processing L1 messages; Carol's deposit and Alice's forced withdrawal
//!    (`force`) stay unprocessed while outputs keep coming. Bob's L2 withdrawal lands; a council
//!    pause keeps it from being finalized before the freeze (a pause stops finalization, not the
//!    forced-withdrawal clock).
//! 4. An early `freeze` is refused; once due, `freeze` makes the newest final output, which holds
//!    Bob's withdrawal, the escape output.
//! 5. `escape` pays Alice exactly her ETH L2 balance at that output, sent with her own key (an
//!    escape sent by anyone else is refused: only an account's key claims its L2 funds on L1); a
//!    second escape fails. Bob's in-flight withdrawal finalizes exactly once (whoever sends it
//!    first; the second attempt fails).
//! 6. The L2 node is shut down (its anvil killed): Alice's ERC-20 and Bob's ETH escape from the
//!    kit. Carol's unprocessed deposit is refunded once; a second refund fails.
//! 7. Everything escrowed was paid exactly once: both escrows and the bridge's balances are zero.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use drawbridge_bindings::{IL1Bridge, IL2Bridge, IOutputOracle, TestToken};
use drawbridge_deployment::{Params, Preset};
use drawbridge_devnet::DevnetOptions;
use drawbridge_testkit::{TestBed, binary, milli_units, units, wait_until};

const WAIT: Duration = Duration::from_secs(90);

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The kit as its own process, killed if the test fails before stopping it.
struct KitProcess(Child);

impl KitProcess {
    fn spawn(bed: &TestBed, accounts: &str, tokens: &str, db: &Path) -> Self {
        let log = std::fs::File::create(bed.dir.path().join("kit.log")).unwrap();
        Self(
            Command::new(binary("drawbridge-exit-prover"))
                .env("DRAWBRIDGE_DEPLOYMENT", &bed.deployment_path)
                .env("NO_COLOR", "1")
                .args(["kit", "--accounts", accounts, "--tokens", tokens, "--db"])
                .arg(db)
                .args(["--interval", "500ms"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("the kit starts"),
        )
    }
}

impl Drop for KitProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn censored_user_forces_freezes_and_escapes_with_everything_paid_once() {
    // Short windows: a forced withdrawal is freezable 10 + 6 s after its request; a pause may
    // last 40 s (40 + 10 cooldown <= the 60 s exit window; 120 s upgrade delay >= 6 + 10 + 60).
    let mut params = Params::preset(Preset::Devnet);
    params.forced_inclusion_window = 10;
    params.max_pause = 40;
    params.pause_cooldown = 10;
    let mut bed = TestBed::start_with(DevnetOptions {
        params,
        ..DevnetOptions::default()
    })
    .await;
    let d = bed.devnet.deployment.clone();
    let token = bed.devnet.test_token();
    let t = token.to_string();
    let [alice, bob, carol, dave] = [0, 1, 2, 3].map(|i| bed.devnet.accounts.users[i].clone());
    let (a, b) = (alice.address().to_string(), bob.address().to_string());
    // Bob's withdrawal goes to a fresh address, so its balance is exactly what was paid.
    let bob_recipient = Address::repeat_byte(0xb0);
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &bed.l1);
    let oracle = IOutputOracle::new(d.l1.output_oracle, &bed.l1);
    bed.mint_test_tokens(alice.address(), units(500)).await;
    bed.start_devnet_relayer();

    // 1. Honest phase: deposits delivered by the devnet's relayer.
    bed.cli_json(
        Some(&alice),
        &["deposit", "--token", "eth", "--amount", "2"],
    );
    bed.cli_json(Some(&alice), &["deposit", "--token", &t, "--amount", "500"]);
    bed.cli_json(Some(&bob), &["deposit", "--token", "eth", "--amount", "1"]);
    wait_until("three deposits processed on L2", WAIT, || async {
        bed.processed().await == 3
    })
    .await;
    assert_eq!(bed.l2_balance(token, alice.address()).await, units(500));
    let kit_db = bed.dir.path().join("kit.sqlite");
    let kit = KitProcess::spawn(&bed, &format!("{a},{b}"), &format!("eth,{t}"), &kit_db);

    // 2. The sequencer ignores Alice: her L2 withdrawal gets a hash and is never mined.
    bed.devnet.censor(alice.address()).unwrap();
    let alice_l2 = bed.l2_via_sequencer(&alice);
    let ignored = *IL2Bridge::new(d.l2.l2_bridge, alice_l2.clone())
        .withdraw(Address::ZERO, alice.address(), units(1))
        .send()
        .await
        .expect("the sequencer answers")
        .tx_hash();

    // 3. The operator stops processing L1 messages; outputs go on.
    bed.devnet.stop_l1_messages().await.unwrap();
    let carol_deposit = bed.cli_json(
        Some(&carol),
        &["deposit", "--token", "eth", "--amount", "1"],
    );
    assert_eq!(u(&carol_deposit["nonce"]), 3, "{carol_deposit}");
    // `force` refuses more than the L2 balance before sending anything.
    bed.exit_prover_fails(
        Some(&alice),
        &["force", "--token", "eth", "--amount", "5"],
        "holds 2 ETH on L2",
    );
    let forced = bed.exit_prover_json(Some(&alice), &["force", "--token", "eth", "--amount", "1"]);
    let forced_nonce = u(&forced["nonce"]);
    assert_eq!(forced_nonce, 4, "{forced}");
    let freeze_at = u(&forced["freezeAt"]);
    let nonce_arg = forced_nonce.to_string();

    let withdrawal = bed.cli_withdraw(&bob, "eth", "0.4", &bob_recipient.to_string());
    let bob_withdrawal = u(&withdrawal["nonce"]);
    let withdrawal_block = bed.l2.get_block_number().await.unwrap();
    // Paused, finalization stops; the forced withdrawal's clock does not.
    let paused_until = bed.devnet.council_pause(40).await.unwrap();
    assert!(
        paused_until > freeze_at + 5,
        "the pause outlasts the freeze time"
    );

    // 4. Too early: refused before sending.
    bed.exit_prover_fails(
        Some(&dave),
        &["freeze", "--nonce", &nonce_arg],
        "NotOverdue",
    );
    let status = bed.exit_prover_json(None, &["status", "--nonce", &nonce_arg]);
    assert_eq!(status["forced"][0]["stage"], "waiting", "{status}");
    wait_until(
        "the freeze time and a final output holding Bob's withdrawal",
        WAIT,
        || async {
            if bed.l1_time().await < freeze_at {
                return false;
            }
            let Ok(index) = oracle.latestFinalIndex().call().await else {
                return false;
            };
            oracle.isFinal(index).call().await.unwrap_or(false)
                && oracle
                    .getOutput(index)
                    .call()
                    .await
                    .is_ok_and(|o| o.l2BlockNumber >= withdrawal_block)
        },
    )
    .await;
    // The operator never processed the forced withdrawal (nor Carol's deposit), and Alice's
    // withdrawal never landed, not even on the L2 anvil behind the gate.
    assert_eq!(bed.processed().await, 3, "{}", bed.devnet_relayer_log());
    assert!(
        bed.l2
            .get_transaction_receipt(ignored)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        bed.l2.get_transaction_count(alice.address()).await.unwrap(),
        0
    );
    assert_eq!(
        bed.l2_balance(Address::ZERO, alice.address()).await,
        units(2)
    );
    let status = bed.exit_prover_json(None, &["status", "--nonce", &nonce_arg]);
    assert_eq!(status["forced"][0]["stage"], "overdue", "{status}");
    assert_eq!(status["forced"][0]["canFreeze"], true);

    // Final and covered, yet unpaid: the pause holds it (a freeze lifts that for withdrawals in
    // the escape output, so the relayer may pay it right after the freeze).
    assert!(
        !bed.is_finalized(bob_withdrawal).await,
        "the pause keeps Bob's withdrawal in flight until the freeze"
    );
    let frozen = bed.exit_prover_json(Some(&dave), &["freeze", "--nonce", &nonce_arg]);
    let escape = &frozen["escapeOutput"];
    let escape_index = u(&escape["outputIndex"]);
    let escape_block = u(&escape["l2BlockNumber"]);
    assert_eq!(u(&escape["l1MessagesProcessed"]), 3, "{frozen}");
    assert!(escape_block >= withdrawal_block, "{frozen}");
    assert!(bridge.frozen().call().await.unwrap());
    bed.exit_prover_fails(
        Some(&dave),
        &["freeze", "--nonce", &nonce_arg],
        "BridgeFrozen",
    );

    // The exact L2 balances at the escape block, from the L2 node while it still runs.
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &bed.l2);
    let at_escape = |l1_token: Address, account: Address| {
        let l2_bridge = l2_bridge.clone();
        let l2 = bed.l2.clone();
        async move {
            let l2_token = l2_bridge.bridgedToken(l1_token).call().await.unwrap();
            TestToken::new(l2_token, &l2)
                .balanceOf(account)
                .block(BlockId::number(escape_block))
                .call()
                .await
                .unwrap()
        }
    };
    let alice_eth = at_escape(Address::ZERO, alice.address()).await;
    let alice_tokens = at_escape(token, alice.address()).await;
    let bob_eth = at_escape(Address::ZERO, bob.address()).await;
    assert_eq!(
        (alice_eth, alice_tokens, bob_eth),
        (units(2), units(500), milli_units(600))
    );

    // The fee an escape's sender paid, from the `txHash` of its report.
    let fee_of = |report: serde_json::Value| {
        let l1 = bed.l1.clone();
        async move {
            let tx: alloy::primitives::B256 = report["txHash"].as_str().unwrap().parse().unwrap();
            let receipt = l1.get_transaction_receipt(tx).await.unwrap().unwrap();
            U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
        }
    };

    // 5. Alice's ETH, proven live from the L2 node. Dave cannot send it for her (only her key
    // claims her L2 funds on L1); Alice sends it and is paid exactly.
    bed.exit_prover_fails(
        Some(&dave),
        &["escape", "--address", &a, "--token", "eth"],
        "SenderNotEOA",
    );
    let before = bed.l1_balance(Address::ZERO, alice.address()).await;
    let paid = bed.exit_prover_json(Some(&alice), &["escape", "--address", &a, "--token", "eth"]);
    assert_eq!(paid["amount"]["raw"], alice_eth.to_string(), "{paid}");
    assert_eq!(u(&paid["outputIndex"]), escape_index);
    let fee = fee_of(paid).await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, alice.address()).await + fee - before,
        alice_eth
    );
    bed.exit_prover_fails(
        Some(&alice),
        &["escape", "--address", &a, "--token", "eth"],
        "AlreadyEscaped",
    );

    // Bob's in-flight withdrawal finalizes against the escape output exactly once: the relayer
    // may get there first (a freeze lifts the pause for withdrawals in the escape output).
    let w = bob_withdrawal.to_string();
    let escape_arg = escape_index.to_string();
    let first = bed.cli(
        Some(&dave),
        &["finalize", "--nonce", &w, "--output", &escape_arg],
    );
    if first.status.success() {
        assert!(bed.is_finalized(bob_withdrawal).await);
    } else {
        // The relayer's finalize may still be in the mempool: the CLI's gas estimate runs against
        // the pending block, so it already sees the withdrawal paid. It lands within a block.
        let err = String::from_utf8_lossy(&first.stderr);
        assert!(err.contains("AlreadyFinalized"), "{err}");
        wait_until(
            "the relayer's finalize of Bob's withdrawal to be mined",
            Duration::from_secs(30),
            || bed.is_finalized(bob_withdrawal),
        )
        .await;
    }
    assert_eq!(
        bed.l1_balance(Address::ZERO, bob_recipient).await,
        milli_units(400)
    );
    let again = bed.cli(
        Some(&dave),
        &["finalize", "--nonce", &w, "--output", &escape_arg],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("AlreadyFinalized"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // 6. The kit has every pair at the escape output; then the L2 node goes away.
    wait_until("the kit's proofs at the escape output", WAIT, || async {
        let out = bed.exit_prover(
            None,
            &[
                "--json",
                "kit",
                "export",
                "--db",
                kit_db.to_str().unwrap(),
                "--output",
                &escape_arg,
            ],
        );
        out.status.success()
            && serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .is_ok_and(|v| v["entries"].as_array().is_some_and(|e| e.len() == 4))
    })
    .await;
    drop(kit);
    bed.devnet.l2.child_mut().kill().unwrap();
    bed.devnet.l2.child_mut().wait().unwrap();
    assert!(
        bed.l2.get_block_number().await.is_err(),
        "the L2 node is gone"
    );
    let kit_arg = kit_db.to_str().unwrap();
    // Without the kit there is nothing to prove from.
    bed.exit_prover_fails(
        Some(&alice),
        &["escape", "--address", &a, "--token", &t],
        "L2 RPC",
    );
    let before = bed.l1_balance(token, alice.address()).await;
    let paid = bed.exit_prover_json(
        Some(&alice),
        &["escape", "--address", &a, "--token", &t, "--kit", kit_arg],
    );
    assert_eq!(paid["amount"]["raw"], alice_tokens.to_string(), "{paid}");
    assert_eq!(
        bed.l1_balance(token, alice.address()).await - before,
        alice_tokens
    );
    let bob_escape = [
        "escape",
        "--address",
        &b,
        "--token",
        "eth",
        "--kit",
        kit_arg,
    ];
    let before = bed.l1_balance(Address::ZERO, bob.address()).await;
    let paid = bed.exit_prover_json(Some(&bob), &bob_escape);
    let fee = fee_of(paid).await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, bob.address()).await + fee - before,
        bob_eth
    );
    bed.exit_prover_fails(Some(&bob), &bob_escape, "AlreadyEscaped");
    // Bob never held test tokens: there is nothing to escape with.
    bed.exit_prover_fails(
        Some(&bob),
        &["escape", "--address", &b, "--token", &t, "--kit", kit_arg],
        "proved a zero balance",
    );

    // Carol's unprocessed deposit comes back once; the forced withdrawal is no deposit.
    let before = bed.l1_balance(Address::ZERO, carol.address()).await;
    let refund = bed.exit_prover_json(Some(&dave), &["reclaim", "--nonce", "3"]);
    assert_eq!(refund["amount"]["raw"], units(1).to_string(), "{refund}");
    assert_eq!(
        bed.l1_balance(Address::ZERO, carol.address()).await - before,
        units(1)
    );
    bed.exit_prover_fails(
        Some(&dave),
        &["reclaim", "--nonce", "3"],
        "AlreadyRefunded(3)",
    );
    bed.exit_prover_fails(
        Some(&dave),
        &["reclaim", "--nonce", &nonce_arg],
        "NotADeposit",
    );

    // 7. Deposited 4 ETH (2 + 1 + 1) and 500 tokens; paid 2 + 0.6 (escapes) + 0.4 (withdrawal)
    // + 1 (refund) ETH and 500 tokens: nothing is left and nothing was paid twice.
    for t in [Address::ZERO, token] {
        assert_eq!(bridge.escrowed(t).call().await.unwrap(), U256::ZERO, "{t}");
        assert_eq!(bed.l1_balance(t, d.l1.l1_bridge).await, U256::ZERO, "{t}");
    }
}
