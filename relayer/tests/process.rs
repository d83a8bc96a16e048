//! The `drawbridge-relayer` binary as an operator runs it: configuration errors, SIGKILL mid-run
//! and restart without double sending, SIGTERM for a graceful stop.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use alloy::primitives::{Address, U256};

use common::*;

/// The binary with no `DRAWBRIDGE_*` variable inherited from the test's environment.
fn command() -> Command {
    relayer_command("drawbridge_relayer=debug")
}

fn key_hex(devnet: &drawbridge_devnet::Devnet) -> String {
    alloy::hex::encode(devnet.accounts.relayer.to_bytes())
}

fn spawn(config: &Path, key: &str, log: &Path) -> Child {
    spawn_with_key(command(), config, key, log)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the relayer did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_survives_sigkill_and_stops_on_sigterm() {
    let env = test_env().await;
    let devnet = &env.devnet;
    let dir = env.dir.path();
    let deployment = dir.join("deployment.json");
    devnet.deployment.save(&deployment).unwrap();
    let url = database_url(&env.dir);
    let config = dir.join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            "deployment = \"deployment.json\"\ndatabase_url = \"{url}\"\nroles = [\"deliver\"]\n\
             poll_interval = \"500ms\"\ndelivery_batch_size = 2\ntx_timeout = \"30s\"\n"
        ),
    )
    .unwrap();
    let key = key_hex(devnet);
    let user = &devnet.accounts.users[5];
    let recipient = fresh_address("process");
    let wei = |i: u64| U256::from(1_000_000u64 + i);
    let deposits = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to).map(|i| (recipient, wei(i))).collect()
    };

    // Killed with SIGKILL while it is delivering batches of two.
    let first_log = dir.join("first.log");
    let mut child = spawn(&config, &key, &first_log);
    deposit_eth(devnet, user, &deposits(0, 8)).await;
    wait_for("a first batch", || async {
        (processed(devnet).await >= 2).then_some(())
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();

    // Restarted on the same database; more deposits meanwhile.
    deposit_eth(devnet, user, &deposits(8, 12)).await;
    let second_log = dir.join("second.log");
    let mut child = spawn(&config, &key, &second_log);
    wait_delivered(devnet, &url, 12).await;
    let expected: U256 = (0..12).map(wei).sum();
    assert_eq!(l2_balance(devnet, Address::ZERO, recipient).await, expected);

    // SIGTERM: a graceful stop with exit code 0.
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}");

    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 12);
    assert_no_failed_submissions(&all);
    assert_eq!(processed(devnet).await, 12);
    let logs = std::fs::read_to_string(&first_log).unwrap()
        + &std::fs::read_to_string(&second_log).unwrap();
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(
        !logs.to_lowercase().contains(&key),
        "the key leaked into the logs"
    );
}

fn offline_deployment(dir: &Path) -> PathBuf {
    let deployment =
        drawbridge_relayer::testing::offline_deployment("http://127.0.0.1:1", "http://127.0.0.1:2");
    let path = dir.join("deployment.json");
    deployment.save(&path).unwrap();
    path
}

fn run(command: &mut Command) -> (Output, String) {
    let output = command.stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output, text)
}

const KEY: &str = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

#[test]
fn configuration_errors_name_the_setting_and_never_print_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = offline_deployment(dir.path());
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("r.sqlite").display()
    );

    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--max-log-range")
        .arg("0")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(!out.status.success());
    assert!(text.contains("max_log_range"), "{text}");
    assert!(!text.contains(&KEY[2..]), "{text}");

    // From the environment, under the same name.
    let (out, text) = run(command()
        .env("DRAWBRIDGE_DEPLOYMENT", &deployment)
        .env("DRAWBRIDGE_POLL_INTERVAL", "fast")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(!out.status.success());
    assert!(text.contains("poll_interval"), "{text}");

    // From the file.
    let config = dir.path().join("relayer.toml");
    std::fs::write(
        &config,
        "deployment = \"deployment.json\"\ndelivery_batch_size = 0\n",
    )
    .unwrap();
    let (out, text) = run(command()
        .arg("--config")
        .arg(&config)
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(!out.status.success());
    assert!(text.contains("delivery_batch_size"), "{text}");

    // No key.
    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--database-url")
        .arg(&db));
    assert!(!out.status.success());
    assert!(text.contains("DRAWBRIDGE_RELAYER_KEY"), "{text}");

    // A malformed key is refused without being echoed.
    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .env("DRAWBRIDGE_RELAYER_KEY", "0xabad1deaabad1deaabad1dea"));
    assert!(!out.status.success());
    assert!(!text.contains("abad1dea"), "{text}");

    // A valid configuration whose RPCs are down: the relayer keeps retrying and stops on SIGTERM.
    let log = dir.path().join("down.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--database-url")
        .arg(&db)
        .arg("--poll-interval")
        .arg("200ms")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY)
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "an RPC that is down must not crash the relayer"
    );
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("RPC"), "{text}");
    assert!(!text.contains(&KEY[2..]), "{text}");

    let (out, text) = run(command().arg("--help"));
    assert!(out.status.success());
    for setting in [
        "--deployment",
        "--roles",
        "--max-log-range",
        "DRAWBRIDGE_RELAYER_KEY",
    ] {
        assert!(
            text.contains(setting),
            "{setting} missing from --help: {text}"
        );
    }
}

#[test]
fn print_config_shows_every_setting_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = offline_deployment(dir.path());
    let secret_db = "postgres://relayer:hunter2-db-secret@db.internal:5432/drawbridge";
    let secret_rpc = "https://rpc.example/v2/APIKEY-0123456789";
    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--database-url")
        .arg(secret_db)
        .arg("--l1-rpc-url")
        .arg(secret_rpc)
        .arg("--relayer-id")
        .arg("relayer-a")
        .arg("--print-config")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(out.status.success(), "{text}");
    for setting in [
        "database_url",
        "relayer_id = \"relayer-a\"",
        "lease_ttl",
        "api_listen = \"off\"",
        "l1_min_balance_wei",
        "rpc_timeout",
        "max_backoff",
        "db.internal",
    ] {
        assert!(text.contains(setting), "{setting} missing: {text}");
    }
    for secret in [&KEY[2..], "hunter2-db-secret", "APIKEY-0123456789"] {
        assert!(!text.contains(secret), "{secret} printed: {text}");
    }
    // The same as JSON, from the environment this time.
    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--print-config")
        .arg("--json")
        .env("DRAWBRIDGE_DATABASE_URL", secret_db)
        .env("DRAWBRIDGE_LEASE_TTL", "7s")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(out.status.success(), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["lease_ttl"], "7000ms");
    assert_eq!(
        json["account"],
        KEY.parse::<alloy::signers::local::PrivateKeySigner>()
            .unwrap()
            .address()
            .to_string()
    );
    assert!(!text.contains("hunter2-db-secret"), "{text}");
    // A bad new setting is named.
    let (out, text) = run(command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--api-listen")
        .arg("everywhere")
        .arg("--print-config")
        .env("DRAWBRIDGE_RELAYER_KEY", KEY));
    assert!(!out.status.success());
    assert!(text.contains("api_listen"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_balance_raises_an_alert_in_the_log() {
    let env = test_env().await;
    let dir = env.dir.path();
    let deployment = dir.join("deployment.json");
    env.devnet.deployment.save(&deployment).unwrap();
    let log = dir.join("alert.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = command()
        .arg("--deployment")
        .arg(&deployment)
        .arg("--database-url")
        .arg(database_url(&env.dir))
        .arg("--roles")
        .arg("deliver")
        .arg("--l2-min-balance")
        .arg("1000000000")
        .env(
            "DRAWBRIDGE_RELAYER_KEY",
            format!("0x{}", key_hex(&env.devnet)),
        )
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    wait_for("the low-balance alert", || async {
        let text = std::fs::read_to_string(&log).unwrap();
        text.contains("ALERT: relayer balance is below the configured minimum")
            .then_some(())
    })
    .await;
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    let text = std::fs::read_to_string(&log).unwrap();
    // Once per crossing, on L2 only.
    assert_eq!(text.matches("ALERT: relayer balance").count(), 1, "{text}");
    assert!(
        text.contains("chain=\"L2\"") || text.contains("chain=L2"),
        "{text}"
    );
}
