//! `drawbridge deposit` against a real devnet, and bad input that must change nothing.

mod common;

use alloy::primitives::{Address, U256};
use common::{CliBed, Mined, assert_contains, ether, key_hex};

/// `drawbridge [--json] --keystore <keystore> deposit --token eth --amount 1`, with `password` in
/// DRAWBRIDGE_KEYSTORE_PASSWORD when given.
fn keystore_deposit(
    env: &CliBed,
    keystore: &str,
    password: Option<&str>,
    json: bool,
) -> std::process::Output {
    let mut cmd = env.cli();
    if let Some(password) = password {
        cmd.env("DRAWBRIDGE_KEYSTORE_PASSWORD", password);
    }
    if json {
        cmd.arg("--json");
    }
    cmd.args([
        "--keystore",
        keystore,
        "deposit",
        "--token",
        "eth",
        "--amount",
        "1",
    ])
    .output()
    .unwrap()
}

#[tokio::test]
async fn eth_deposit_prints_nonce_and_escrow_grows_by_exactly_the_amount() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let before = env.escrow(Address::ZERO).await;

    let run = env
        .run(
            Some(&user),
            &["deposit", "--token", "eth", "--amount", "1.5"],
        )
        .success();
    assert_contains(&run.stdout, "Deposited 1.5 ETH");
    assert_contains(&run.stdout, "message nonce: 0");
    assert_contains(&run.stdout, "Next: ");
    assert_contains(&run.stdout, "drawbridge status --deposit 0");
    assert_eq!(env.escrow(Address::ZERO).await - before, ether("1.5"));

    // --json, to another L2 account.
    let to = env.user(1).address().to_string();
    let json = env
        .run(
            Some(&user),
            &[
                "--json", "deposit", "--token", "ETH", "--amount", "0.25", "--to", &to,
            ],
        )
        .success()
        .json();
    assert_eq!(json["nonce"], 1);
    assert_eq!(
        json["recipient"].as_str().unwrap().to_lowercase(),
        to.to_lowercase()
    );
    assert_eq!(
        json["sender"].as_str().unwrap().to_lowercase(),
        user.address().to_string().to_lowercase()
    );
    assert_eq!(json["amount"]["raw"], "250000000000000000");
    assert_eq!(json["amount"]["formatted"], "0.25");
    assert_eq!(json["token"]["symbol"], "ETH");
    assert!(json["txHash"].as_str().unwrap().starts_with("0x"));
    assert!(json["approval"].is_null());
    assert_eq!(env.escrow(Address::ZERO).await - before, ether("1.75"));

    // Reading needs no key.
    let status = env.status_json(&["--deposit", "1"]);
    assert_eq!(status["stage"], "sent");
    assert_eq!(status["nonce"], 1);
    assert!(status["waitsFor"].as_str().unwrap().contains("commit"));
    let text = env.run(None, &["status", "--deposit", "0"]).success();
    assert_contains(&text.stdout, "status:    sent on L1");

    let secret = &key_hex(&user)[2..];
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
}

#[tokio::test]
async fn erc20_deposit_approves_only_when_the_allowance_does_not_cover_it() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let token = env.devnet.test_token();
    let token_s = token.to_string();
    let unit = U256::from(10u8).pow(U256::from(env.token_decimals().await));
    env.mint_test_tokens(user.address(), U256::from(100u8) * unit)
        .await;

    // First deposit: approves 30 (more than needed), deposits 10.
    let first = env
        .run(
            Some(&user),
            &[
                "--json",
                "deposit",
                "--token",
                &token_s,
                "--amount",
                "10",
                "--approve",
                "30",
            ],
        )
        .success()
        .json();
    assert_eq!(first["nonce"], 0);
    assert_eq!(first["approval"]["sent"], true);
    assert!(
        first["approval"]["txHash"]
            .as_str()
            .unwrap()
            .starts_with("0x")
    );
    assert_eq!(
        first["approval"]["approved"],
        (U256::from(30u8) * unit).to_string()
    );
    assert_eq!(
        first["amount"]["raw"],
        (U256::from(10u8) * unit).to_string()
    );
    assert_eq!(env.escrow(token).await, U256::from(10u8) * unit);

    // Second deposit fits the remaining allowance: no approval.
    let nonce_before = env.l1_nonce(user.address()).await;
    let second = env
        .run(
            Some(&user),
            &["--json", "deposit", "--token", &token_s, "--amount", "10"],
        )
        .success()
        .json();
    assert_eq!(second["nonce"], 1);
    assert_eq!(second["approval"]["sent"], false);
    assert!(second["approval"]["txHash"].is_null());
    assert_eq!(
        env.l1_nonce(user.address()).await,
        nonce_before + 1,
        "exactly one transaction (the deposit)"
    );
    assert_eq!(env.escrow(token).await, U256::from(20u8) * unit);

    // Third needs more than what is left (10): approves exactly the amount, in text mode.
    let third = env
        .run(
            Some(&user),
            &["deposit", "--token", &token_s, "--amount", "15.5"],
        )
        .success();
    assert_contains(&third.stdout, "Approved the bridge");
    assert_contains(&third.stdout, "message nonce: 2");
    assert_contains(&third.stdout, "Deposited 15.5 DBT");
    assert_eq!(
        env.escrow(token).await,
        U256::from(355u16) * unit / U256::from(10u8)
    );
    let status = env.status_json(&["--address", &user.address().to_string()]);
    assert_eq!(status["deposits"].as_array().unwrap().len(), 3);
    let dbt = status["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["token"]["symbol"] == "DBT")
        .expect("the test token is listed");
    assert_eq!(
        dbt["l1"]["raw"],
        (U256::from(645u16) * unit / U256::from(10u8)).to_string()
    );
}

#[tokio::test]
async fn bad_input_fails_clearly_and_changes_nothing() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let secret = key_hex(&user)[2..].to_string();
    let token_s = env.devnet.test_token().to_string();
    let decimals = env.token_decimals().await;
    env.mint_test_tokens(
        user.address(),
        U256::from(10u8).pow(U256::from(decimals + 2)),
    )
    .await;
    let escrow_eth = env.escrow(Address::ZERO).await;
    let escrow_token = env.escrow(env.devnet.test_token()).await;
    let nonce_l1 = env.l1_nonce(user.address()).await;
    let nonce_l2 = env.l2_nonce(user.address()).await;
    let too_precise = format!("1.{}1", "0".repeat(usize::from(decimals)));
    let no_code = Address::repeat_byte(0x42).to_string();
    let not_erc20 = env.devnet.deployment.l1.output_oracle.to_string();

    let cases: Vec<(Vec<&str>, bool, &str)> = vec![
        (
            vec!["deposit", "--token", "eth", "--amount", "1.2.3"],
            true,
            "invalid amount \"1.2.3\": more than one decimal point",
        ),
        (
            vec!["deposit", "--token", "eth", "--amount", "abc"],
            true,
            "invalid amount \"abc\"",
        ),
        (
            vec!["deposit", "--token", "eth", "--amount", "0"],
            true,
            "must be greater than zero",
        ),
        (
            vec!["deposit", "--token", "eth", "--amount", "-1"],
            true,
            "must be positive",
        ),
        (
            vec![
                "deposit",
                "--token",
                "eth",
                "--amount",
                "0.0000000000000000001",
            ],
            true,
            "19 decimal places, but the token has only 18",
        ),
        (
            vec!["deposit", "--token", &token_s, "--amount", &too_precise],
            true,
            "decimal places, but the token has only",
        ),
        (
            vec!["deposit", "--token", "eth", "--amount", "1000000"],
            true,
            "insufficient ETH balance on L1",
        ),
        (
            vec!["deposit", "--token", "eth", "--amount", "1"],
            false,
            "no signing key: set DRAWBRIDGE_PRIVATE_KEY",
        ),
        (
            vec!["deposit", "--token", &no_code, "--amount", "1"],
            true,
            "there is no contract at this address on L1",
        ),
        (
            vec!["deposit", "--token", &not_erc20, "--amount", "1"],
            true,
            "does not answer decimals(): not an ERC-20 token",
        ),
        (
            vec!["deposit", "--token", "btc", "--amount", "1"],
            true,
            "invalid token \"btc\"",
        ),
        (
            vec![
                "deposit", "--token", "eth", "--amount", "1", "--to", "0x1234",
            ],
            true,
            "malformed address \"0x1234\"",
        ),
        (
            vec![
                "deposit",
                "--token",
                "eth",
                "--amount",
                "1",
                "--l1-rpc-url",
                "http://127.0.0.1:9",
            ],
            true,
            "L1 RPC at http://127.0.0.1:9 failed",
        ),
        (
            vec!["withdraw", "--token", "eth", "--amount", "1"],
            true,
            "unknown token 0x0000000000000000000000000000000000000000: no ETH has been bridged to L2 yet",
        ),
        (
            vec![
                "withdraw",
                "--token",
                "eth",
                "--amount",
                "1",
                "--l2-rpc-url",
                "http://127.0.0.1:9",
            ],
            true,
            "L2 RPC at http://127.0.0.1:9 failed",
        ),
        (
            vec!["finalize", "--nonce", "0"],
            true,
            "no withdrawal with nonce 0",
        ),
        (vec!["finalize", "--nonce", "0"], false, "no signing key"),
        (
            vec!["status", "--deposit", "5"],
            false,
            "no deposit with nonce 5",
        ),
        (
            vec!["status", "--withdrawal", "0"],
            false,
            "no withdrawal with nonce 0",
        ),
        (vec!["status"], false, "pass --address"),
    ];
    for (args, with_key, expected) in &cases {
        let run = env.run(with_key.then_some(&user), args).failure();
        assert!(
            run.stderr.contains(expected),
            "`drawbridge {}`: expected {expected:?} in stderr:\n{}",
            args.join(" "),
            run.stderr
        );
        assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    }

    // A malformed key is refused without echoing it.
    let run = env
        .cli()
        .env("DRAWBRIDGE_PRIVATE_KEY", "0xdeadbeefcafe1234")
        .args(["deposit", "--token", "eth", "--amount", "1"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_contains(&stderr, "DRAWBRIDGE_PRIVATE_KEY is not a valid");
    assert!(!stderr.contains("deadbeefcafe"), "{stderr}");

    // Missing and malformed deployment files.
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_drawbridge"))
        .env_remove("DRAWBRIDGE_DEPLOYMENT")
        .args([
            "--deployment",
            "/nonexistent/deployment.json",
            "status",
            "--deposit",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_contains(&stderr, "deployment file /nonexistent/deployment.json");
    assert_contains(&stderr, "--deployment PATH");
    let bad = env.dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let malformed = std::process::Command::new(env!("CARGO_BIN_EXE_drawbridge"))
        .env("DRAWBRIDGE_DEPLOYMENT", &bad)
        .args(["status", "--deposit", "0"])
        .output()
        .unwrap();
    assert!(!malformed.status.success());
    let stderr = String::from_utf8_lossy(&malformed.stderr);
    assert_contains(&stderr, "is malformed");

    // --json errors are JSON too.
    let run = env
        .run(
            Some(&user),
            &["--json", "deposit", "--token", "eth", "--amount", "0"],
        )
        .failure();
    let json = run.json();
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("greater than zero")
    );

    // Nothing changed.
    assert_eq!(env.escrow(Address::ZERO).await, escrow_eth);
    assert_eq!(env.escrow(env.devnet.test_token()).await, escrow_token);
    assert_eq!(env.l1_nonce(user.address()).await, nonce_l1);
    assert_eq!(env.l2_nonce(user.address()).await, nonce_l2);
}

/// A token that burns everything it transfers makes `depositERC20` revert (`NothingArrived`)
/// after the approval went through: the CLI must say that the approval stands.
#[tokio::test]
async fn a_deposit_failing_after_its_approval_reports_the_standing_approval() {
    use alloy::sol_types::SolValue;

    let env = CliBed::start().await;
    let user = env.user(0);
    let mut code = drawbridge_bindings::FeeOnTransferToken::BYTECODE.to_vec();
    code.extend(U256::from(10_000u32).abi_encode()); // a 100% fee: nothing ever arrives
    let l1 = env.l1(&user);
    let token = drawbridge_testkit::create(&l1, code, 5_000_000).await;
    drawbridge_bindings::TestToken::new(token, &l1)
        .mint(user.address(), ether("10"))
        .mined()
        .await;
    let token_s = token.to_string();

    let run = env
        .run(
            Some(&user),
            &["--json", "deposit", "--token", &token_s, "--amount", "2"],
        )
        .failure();
    assert_contains(
        &run.stderr,
        "the deposit failed after the approval went through",
    );
    assert_contains(&run.stderr, "NothingArrived");
    assert_contains(&run.stderr, "stands");
    assert_contains(&run.stderr, "without approving again");
    let json = run.json();
    assert_eq!(json["approvalStands"], true);
    let approval_tx = json["approvalTx"].as_str().unwrap().to_string();
    assert_contains(&run.stderr, &approval_tx);
    let allowance = drawbridge_bindings::TestToken::new(token, &l1)
        .allowance(user.address(), env.devnet.deployment.l1.l1_bridge)
        .call()
        .await
        .unwrap();
    assert_eq!(allowance, ether("2"));
    assert_eq!(env.escrow(token).await, U256::ZERO);

    // A retry does not approve again (and fails the same way, sending nothing).
    let nonce = env.l1_nonce(user.address()).await;
    let retry = env
        .run(
            Some(&user),
            &["deposit", "--token", &token_s, "--amount", "2"],
        )
        .failure();
    assert!(
        retry
            .stderr
            .contains("depositERC20 reverted: NothingArrived"),
        "{}",
        retry.stderr
    );
    assert!(!retry.stderr.contains("approval"), "{}", retry.stderr);
    assert_eq!(env.l1_nonce(user.address()).await, nonce);
}

#[tokio::test]
async fn keystore_keys_work_and_a_pause_is_reported_with_its_end() {
    let env = CliBed::start().await;
    let user = env.user(0);
    let keystore =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/user0.keystore.json");
    let keystore = keystore.to_str().unwrap();
    let escrow = env.escrow(Address::ZERO).await;

    // Wrong password, and no password without a terminal: refused, nothing sent, not echoed.
    let out = keystore_deposit(&env, keystore, Some("hunter2-wrong"), false);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_contains(&stderr, "wrong password");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let out = keystore_deposit(&env, keystore, None, false);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_contains(&stderr, "DRAWBRIDGE_KEYSTORE_PASSWORD");
    assert_eq!(env.escrow(Address::ZERO).await, escrow);

    // The right password signs as the keystore's account.
    let out = keystore_deposit(&env, keystore, Some("drawbridge test"), true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["sender"].as_str().unwrap().to_lowercase(),
        user.address().to_string().to_lowercase()
    );
    assert_eq!(env.escrow(Address::ZERO).await - escrow, ether("1"));

    // cast's flags: `--account NAME` in Foundry's keystore folder with `--password-file`, and
    // `--private-key` on the command line.
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".foundry/keystores");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(keystore, folder.join("user0")).unwrap();
    let password_file = home.path().join("password");
    std::fs::write(&password_file, "drawbridge test\n").unwrap();
    // A deposit of 1 ETH with `flags`: the sender it reports.
    let sender_with = |mut cmd: std::process::Command| {
        let out = cmd
            .args(["deposit", "--token", "eth", "--amount", "1"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["sender"].as_str().unwrap().to_lowercase()
    };
    let mut by_account = env.cli();
    by_account
        .env("HOME", home.path())
        .args(["--json", "--account", "user0", "--password-file"])
        .arg(&password_file);
    assert_eq!(
        sender_with(by_account),
        user.address().to_string().to_lowercase()
    );
    let other = env.user(1);
    let mut by_key = env.cli();
    by_key.args(["--json", "--private-key", &key_hex(&other)]);
    assert_eq!(
        sender_with(by_key),
        other.address().to_string().to_lowercase()
    );
    assert_eq!(env.escrow(Address::ZERO).await - escrow, ether("3"));

    // The council (9 of its 12 members sign) pauses the bridge through its SecurityCouncil: a
    // deposit is refused before anything is sent.
    env.devnet.council_pause(20).await.unwrap();
    let nonce = env.l1_nonce(user.address()).await;
    let run = env
        .run(Some(&user), &["deposit", "--token", "eth", "--amount", "1"])
        .failure();
    assert_contains(&run.stderr, "the bridge is paused until");
    assert_contains(&run.stderr, "BridgePaused(until: ");
    assert_contains(&run.stderr, "s left");
    assert_eq!(env.l1_nonce(user.address()).await, nonce);
    assert_eq!(env.escrow(Address::ZERO).await - escrow, ether("3"));
}
