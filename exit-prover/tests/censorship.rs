//! The exit prover's whole story on two real anvil chains, through the real binary: deposits are
//! delivered and an output becomes final; the relayer stops (censorship); a deposit is left
//! unprocessed; a user forces a withdrawal, `status` counts down to its freeze time, an early
//! `freeze` is refused, the freeze goes through once overdue; a kit (its own process, stopped
//! with SIGTERM) keeps proofs; balances escape from a proof file and from the kit with the L2
//! node unreachable; the unprocessed deposit is reclaimed; every repeat or wrong request is
//! refused before sending, and the escrow ends at exactly zero.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use common::{ExitProverBed, Run, units, wait_for, wait_until_time};
use drawbridge_bindings::IL1Bridge;
use drawbridge_exit_prover::kit::{Kit, KitStatus};
use drawbridge_relayer::Role;

/// An address where no node listens: proves a command did not need the L2 node.
const DEAD_L2: &str = "http://127.0.0.1:9";

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// `args`, behind `--json` when `json`.
fn maybe_json<'a>(json: bool, args: &[&'a str]) -> Vec<&'a str> {
    json.then_some("--json")
        .into_iter()
        .chain(args.iter().copied())
        .collect()
}

/// `prove` of `account`'s ETH (no key), with `extra` arguments.
fn run_prove(bed: &ExitProverBed, json: bool, account: Address, extra: &[&str]) -> Run {
    let account = account.to_string();
    let mut args = maybe_json(json, &["prove", "--address", &account, "--token", "eth"]);
    args.extend(extra);
    bed.run(None, &args)
}

/// `escape` of `account`'s ETH as `key`, with the L2 node unreachable, from `source` (`--kit` or
/// `--proof`) at `path`.
fn run_escape(
    bed: &ExitProverBed,
    key: &PrivateKeySigner,
    json: bool,
    account: Address,
    (source, path): (&str, &Path),
) -> Run {
    let account = account.to_string();
    let args = [
        "--l2-rpc-url",
        DEAD_L2,
        "escape",
        "--address",
        &account,
        "--token",
        "eth",
        source,
        path.to_str().unwrap(),
    ];
    bed.run(Some(key), &maybe_json(json, &args))
}

/// `freeze --nonce nonce` as `key`.
fn run_freeze(bed: &ExitProverBed, key: &PrivateKeySigner, json: bool, nonce: u64) -> Run {
    let nonce = nonce.to_string();
    bed.run(Some(key), &maybe_json(json, &["freeze", "--nonce", &nonce]))
}

/// `status --nonce nonce` as JSON.
fn status_of(bed: &ExitProverBed, nonce: u64) -> serde_json::Value {
    let nonce = nonce.to_string();
    bed.run(None, &["--json", "status", "--nonce", &nonce])
        .success()
        .json()
}

/// Whether `account` escaped its ETH.
async fn has_escaped(bridge: &IL1Bridge::IL1BridgeInstance<DynProvider>, account: Address) -> bool {
    bridge
        .hasEscaped(Address::ZERO, account)
        .call()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_freeze_prove_escape_reclaim() {
    let bed = ExitProverBed::start().await;
    let l1 = bed.l1(&bed.devnet.accounts.challenger);
    let bridge = IL1Bridge::new(bed.devnet.deployment.l1.l1_bridge, l1.clone());
    let (alice, bob, carol) = (bed.user(0), bed.user(1), bed.user(2));

    // Honest phase: deposits delivered, an output covering them final.
    let relayer = bed
        .relayer(&[Role::Deliver, Role::Propose], "relayer.sqlite")
        .await;
    bed.deposit_eth(&alice, units(2)).await;
    bed.deposit_eth(&bob, units(3)).await;
    let (final_index, _) = bed.final_output_with(2).await;

    // prove works before any freeze against a named final output, and checks locally.
    let prove = run_prove(
        &bed,
        true,
        alice.address(),
        &["--output", &final_index.to_string()],
    )
    .success()
    .json();
    assert_eq!(
        prove["balance"],
        serde_json::json!(format!("{:#x}", units(2)))
    );
    assert_eq!(prove["amount"]["formatted"], "2");
    // Without --output there is no escape root yet.
    let r = run_prove(&bed, false, alice.address(), &[]).failure();
    assert!(r.stderr.contains("not frozen"), "{}", r.stderr);

    // The kit, as its own process.
    let kit_path = bed.dir.path().join("kit.sqlite");
    let accounts = format!("{},{}", alice.address(), bob.address());
    let mut kit = Command::new(env!("CARGO_BIN_EXE_drawbridge-exit-prover"))
        .env("DRAWBRIDGE_DEPLOYMENT", &bed.deployment_path)
        .env("NO_COLOR", "1")
        .args(["kit", "--accounts", &accounts, "--tokens", "eth", "--db"])
        .arg(&kit_path)
        .args(["--interval", "500ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kit starts");

    // Censorship: the relayer stops; Carol's deposit is never processed on L2.
    relayer.stop().await;
    let carol_nonce = bed.deposit_eth(&carol, units(1)).await;
    assert_eq!(carol_nonce, 2);

    // force: more than the L2 balance is refused before sending.
    let count_before = bridge.messageCount().call().await.unwrap();
    let r = bed
        .run(
            Some(&alice),
            &["force", "--token", "eth", "--amount", "100"],
        )
        .failure();
    assert!(r.stderr.contains("holds 2 ETH on L2"), "{}", r.stderr);
    assert_eq!(bridge.messageCount().call().await.unwrap(), count_before);
    let force = bed
        .run(
            Some(&alice),
            &["--json", "force", "--token", "eth", "--amount", "1"],
        )
        .success()
        .json();
    let forced_nonce = u(&force["nonce"]);
    assert_eq!(forced_nonce, 3);
    let freeze_at = u(&force["freezeAt"]);
    let params = &bed.devnet.deployment.params;

    // status: the countdown on L1's clock.
    let status = status_of(&bed, forced_nonce);
    let line = &status["forced"][0];
    let now = u(&status["now"]);
    assert_eq!(line["stage"], "waiting", "{status}");
    assert_eq!(line["canFreeze"], false);
    assert_eq!(u(&line["freezeAt"]), freeze_at);
    assert_eq!(u(&line["secondsLeft"]), freeze_at - now);
    assert!(
        freeze_at - now <= params.forced_inclusion_window + params.challenge_period
            && freeze_at - now > 0,
        "{status}"
    );
    assert_eq!(status["frozen"], false);
    assert!(u(&status["latestFinalOutput"]["index"]) >= final_index);
    // By account, in text.
    let text = bed
        .run(None, &["status", "--address", &alice.address().to_string()])
        .success()
        .stdout;
    assert!(
        text.contains(&format!("forced withdrawal {forced_nonce}")),
        "{text}"
    );
    assert!(text.contains("s left"), "{text}");

    // An early freeze is refused before sending; so is freezing on a deposit.
    let r = run_freeze(&bed, &bob, false, forced_nonce).failure();
    assert!(
        r.stderr.contains("NotOverdue(3)") && r.stderr.contains("s left"),
        "{}",
        r.stderr
    );
    let r = bed.run(Some(&bob), &["freeze", "--nonce", "1"]).failure();
    assert!(r.stderr.contains("NotForcedWithdrawal"), "{}", r.stderr);
    assert!(!bridge.frozen().call().await.unwrap());

    // Overdue: status says so, and the freeze goes through.
    wait_until_time(&l1, freeze_at).await;
    let status = status_of(&bed, forced_nonce);
    assert_eq!(status["forced"][0]["stage"], "overdue", "{status}");
    assert_eq!(status["forced"][0]["canFreeze"], true);
    assert_eq!(u(&status["forced"][0]["secondsLeft"]), 0);
    let freeze = run_freeze(&bed, &bob, true, forced_nonce).success().json();
    let escape_index = u(&freeze["escapeOutput"]["outputIndex"]);
    // The relayer may have posted more outputs before it stopped: the escape root is the newest
    // final one when the freeze lands.
    let newest_final = bed.oracle().latestFinalIndex().call().await.unwrap();
    assert_eq!(
        escape_index,
        newest_final.to::<u64>(),
        "the newest final output is the escape root"
    );
    assert!(escape_index >= final_index);
    assert_eq!(u(&freeze["escapeOutput"]["l1MessagesProcessed"]), 2);
    assert!(bridge.frozen().call().await.unwrap());
    let r = run_freeze(&bed, &bob, false, forced_nonce).failure();
    assert!(r.stderr.contains("BridgeFrozen"), "{}", r.stderr);
    let r = bed
        .run(Some(&alice), &["force", "--token", "eth", "--amount", "1"])
        .failure();
    assert!(r.stderr.contains("frozen"), "{}", r.stderr);

    // The kit has both accounts' proofs at the escape output; SIGTERM stops it cleanly.
    let store = Kit::open(&kit_path, false).await.unwrap();
    wait_for("the kit to hold the escape output's proofs", || {
        let store = store.clone();
        let (a, b) = (alice.address(), bob.address());
        async move {
            let x = store.get(escape_index, Address::ZERO, a).await.ok()??;
            let y = store.get(escape_index, Address::ZERO, b).await.ok()??;
            Some((x, y))
        }
    })
    .await;
    let entry = store
        .get(escape_index, Address::ZERO, alice.address())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status, KitStatus::Proven);
    assert_eq!(entry.balance, units(2));
    store.close().await;
    let pid = kit.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = kit.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the kit ignores SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let kit_out = kit.wait_with_output().unwrap();
    assert!(
        exit.success(),
        "kit exit {exit:?}: {}",
        String::from_utf8_lossy(&kit_out.stderr)
    );
    assert!(String::from_utf8_lossy(&kit_out.stdout).contains("round(s)"));

    // kit export writes a proof file from the kit alone.
    let exported = bed.dir.path().join("alice-from-kit.json");
    let export = bed
        .run(
            None,
            &[
                "--json",
                "--l2-rpc-url",
                DEAD_L2,
                "kit",
                "export",
                "--db",
                kit_path.to_str().unwrap(),
                "--address",
                &alice.address().to_string(),
                "--token",
                "eth",
                "--out",
                exported.to_str().unwrap(),
            ],
        )
        .success()
        .json();
    assert_eq!(u(&export["entries"][0]["outputIndex"]), escape_index);
    let from_kit = drawbridge_exit_prover::EscapeProof::load(&exported).unwrap();
    assert_eq!(from_kit.verify().unwrap(), units(2));

    // Only Alice's own key escapes Alice's balance: Carol is refused before anything is sent.
    let r = run_escape(&bed, &carol, false, alice.address(), ("--kit", &kit_path)).failure();
    assert!(r.stderr.contains("SenderNotEOA"), "{}", r.stderr);
    assert!(!has_escaped(&bridge, alice.address()).await);
    // Alice escapes from the kit with the L2 node unreachable, with her own key.
    let alice_before = l1.get_balance(alice.address()).await.unwrap();
    let escaped = run_escape(&bed, &alice, true, alice.address(), ("--kit", &kit_path))
        .success()
        .json();
    assert_eq!(escaped["amount"]["formatted"], "2");
    let tx: alloy::primitives::B256 = escaped["txHash"].as_str().unwrap().parse().unwrap();
    let receipt = l1.get_transaction_receipt(tx).await.unwrap().unwrap();
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        l1.get_balance(alice.address()).await.unwrap() + fee - alice_before,
        units(2)
    );
    // Again: refused before sending.
    let r = run_escape(&bed, &alice, false, alice.address(), ("--kit", &kit_path)).failure();
    assert!(r.stderr.contains("AlreadyEscaped"), "{}", r.stderr);

    // Bob proves against the escape root from the live L2 node into a file, then escapes from it
    // with the node unreachable; a proof file for Bob does not pay Alice.
    let bob_file = bed.dir.path().join("bob.json");
    run_prove(
        &bed,
        false,
        bob.address(),
        &["--out", bob_file.to_str().unwrap()],
    )
    .success();
    let r = run_escape(&bed, &alice, false, alice.address(), ("--proof", &bob_file)).failure();
    assert!(r.stderr.contains("does not fit"), "{}", r.stderr);
    let escaped = run_escape(&bed, &bob, true, bob.address(), ("--proof", &bob_file))
        .success()
        .json();
    assert_eq!(escaped["amount"]["formatted"], "3");
    assert!(has_escaped(&bridge, bob.address()).await);

    // Reclaim: Carol's unprocessed deposit comes back; processed messages, the forced withdrawal
    // and a second refund are refused before sending.
    let carol_before = l1.get_balance(carol.address()).await.unwrap();
    let reclaim = bed
        .run(Some(&bob), &["--json", "reclaim", "--nonce", "2"])
        .success()
        .json();
    assert_eq!(reclaim["amount"]["formatted"], "1");
    assert_eq!(
        l1.get_balance(carol.address()).await.unwrap() - carol_before,
        units(1)
    );
    for (nonce, expected) in [
        ("2", "AlreadyRefunded(2)"),
        ("0", "MessageWasProcessed(0)"),
        ("3", "NotADeposit(3)"),
        ("9", "there is no L1 message 9"),
    ] {
        let r = bed
            .run(Some(&bob), &["reclaim", "--nonce", nonce])
            .failure();
        assert!(r.stderr.contains(expected), "{nonce}: {}", r.stderr);
    }

    // Everything deposited was paid out exactly once.
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        U256::ZERO
    );
    let status = bed
        .run(
            None,
            &[
                "--json",
                "status",
                "--address",
                &alice.address().to_string(),
            ],
        )
        .success()
        .json();
    assert_eq!(status["frozen"], true);
    assert_eq!(status["forced"][0]["stage"], "frozen");
    assert_eq!(status["escaped"][0]["escaped"], true, "{status}");
}
