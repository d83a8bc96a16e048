//! What a person sees while the CLI sends: the hash the moment a transaction is sent, what
//! landed when Ctrl-C interrupts a wait, a censored L2 transaction pointing at the way out
//! (`drawbridge-exit-prover force`), and output into a closed pipe (`| head -1`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use alloy::primitives::B256;
use alloy::providers::Provider;
use common::{CliBed, assert_contains, key_hex};

/// Sets L1's automine (off: transactions wait in the mempool, as on a stalled chain).
async fn set_automine(env: &CliBed, on: bool) {
    let l1 = env.l1(&env.user(0));
    l1.raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (on,))
        .await
        .expect("evm_setAutomine");
}

#[tokio::test]
async fn ctrl_c_while_a_deposit_waits_prints_its_hash_and_status_then_finds_the_deposit() {
    let env = CliBed::start().await;
    let user = env.user(0);
    set_automine(&env, false).await;

    let mut child = env
        .cli()
        .env("DRAWBRIDGE_PRIVATE_KEY", key_hex(&user))
        .args(["deposit", "--token", "eth", "--amount", "0.5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("drawbridge starts");
    // The hash is on standard error before any receipt exists.
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let tx_hash = loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).expect("stderr is readable");
        assert!(read > 0, "drawbridge ended before sending: {seen}");
        seen.push_str(&line);
        if let Some(hash) = line.trim().strip_prefix("sent depositETH on L1: ") {
            break hash.parse::<B256>().expect("a transaction hash");
        }
    };
    let pending = env
        .l1(&user)
        .get_transaction_receipt(tx_hash)
        .await
        .expect("eth_getTransactionReceipt");
    assert!(pending.is_none(), "nothing is mined while automine is off");

    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("drawbridge exits");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("the rest of stderr");
    assert_eq!(out.status.code(), Some(130), "{seen}{rest}");
    assert_contains(&rest, "interrupted");
    assert_contains(
        &rest,
        &format!("depositETH on L1: {tx_hash} (sent, not yet mined: it may still land)"),
    );
    assert_contains(&rest, "drawbridge status");
    assert!(
        out.stdout.is_empty(),
        "no report on stdout after an interruption"
    );

    // The chain moves on: the deposit lands and `status` finds it.
    set_automine(&env, true).await;
    env.l1(&user)
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    let status = env.status_json(&["--address", &user.address().to_string()]);
    let deposits = status["deposits"].as_array().expect("deposits");
    assert_eq!(deposits.len(), 1, "{status}");
    assert_eq!(
        deposits[0]["amount"]["raw"], "500000000000000000",
        "{status}"
    );
}

#[tokio::test]
async fn a_censored_withdrawal_times_out_naming_its_hash_and_the_forced_withdrawal() {
    let env = CliBed::start().await;
    let user = env.user(0);
    env.run(Some(&user), &["deposit", "--token", "eth", "--amount", "1"])
        .success();
    env.relay_all().await;
    env.devnet.censor(user.address()).expect("censor");

    let run = env
        .run(
            Some(&user),
            &[
                "withdraw",
                "--token",
                "eth",
                "--amount",
                "0.25",
                "--timeout",
                "3",
            ],
        )
        .failure();
    let sent = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("sent L2Bridge.withdraw on L2: "))
        .unwrap_or_else(|| panic!("the hash is shown when sent: {}", run.stderr));
    assert_contains(
        &run.stderr,
        &format!("transaction {sent} was sent to L2 but not mined within 3 s"),
    );
    assert_contains(&run.stderr, "drawbridge-exit-prover force --token");
    // The error is said once.
    assert_eq!(
        run.stderr.matches("not mined within").count(),
        1,
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_closed_pipe_ends_the_output_quietly() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let mut child = env
        .cli()
        .args(["balance", "--address", &user.address().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("drawbridge starts");
    // The reader goes away before the report is written, as `| head -0` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("drawbridge exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
