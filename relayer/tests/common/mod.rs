//! Shared helpers of the relayer's integration tests: a devnet, a relayer on a SQLite file in a
//! temporary folder (or a fresh PostgreSQL database), users sending deposits and withdrawals with
//! the bindings, an HTTP client for the API, an RPC proxy that fails on demand, and wait loops.
#![allow(dead_code, missing_docs, unused_imports)]

pub mod proxy;

use std::collections::BTreeSet;
use std::fs::File;
use std::future::Future;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, TestToken};
use drawbridge_devnet::{Devnet, DevnetOptions};
use drawbridge_relayer::{RelayerConfig, Store, Submission, SubmissionState};
pub use drawbridge_testkit::reads::{l2_balance, message_count, oracle, processed};
pub use drawbridge_testkit::{
    DEADLINE, Mined, Running, header_at, provider, start_relayer as start, units,
};
use tempfile::TempDir;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("drawbridge_relayer=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A devnet and a relayer configuration for it with its database in a temporary folder.
pub struct RelayerBed {
    pub devnet: Devnet,
    pub dir: TempDir,
    pub config: RelayerConfig,
}

pub async fn test_env() -> RelayerBed {
    init_tracing();
    let devnet = Devnet::start(DevnetOptions::default())
        .await
        .expect("devnet starts");
    let dir = tempfile::tempdir().unwrap();
    let mut config = RelayerConfig::new(devnet.deployment.clone(), devnet.accounts.relayer.clone());
    config.database_url = database_url(&dir);
    config.poll_interval = Duration::from_millis(500);
    config.tx_timeout = Duration::from_secs(30);
    config.relayer_id = "test".into();
    config.lease_ttl = Duration::from_secs(3);
    RelayerBed {
        devnet,
        dir,
        config,
    }
}

impl RelayerBed {
    /// Saves the devnet's deployment as `deployment.json` in the temporary folder (where a
    /// relayer configuration file there names it).
    pub fn save_deployment(&self) {
        self.devnet
            .deployment
            .save(&self.dir.path().join("deployment.json"))
            .unwrap();
    }
}

/// Like [`test_env`] on `backend`'s database; `None` when PostgreSQL is asked for and no test
/// server is configured (outside CI).
pub async fn test_env_on(backend: drawbridge_relayer::Backend, label: &str) -> Option<RelayerBed> {
    let url = match backend {
        drawbridge_relayer::Backend::Sqlite => None,
        drawbridge_relayer::Backend::Postgres => {
            Some(drawbridge_relayer::testing::fresh_postgres_database(label).await?)
        }
    };
    let mut env = test_env().await;
    if let Some(url) = url {
        env.config.database_url = url;
    }
    Some(env)
}

/// GET `path` on the API at `address`: status and body (parsed as JSON when it is JSON).
pub async fn http_get(
    address: std::net::SocketAddr,
    path: &str,
) -> (u16, serde_json::Value, String) {
    let response = alloy::transports::http::reqwest::get(format!("http://{address}{path}"))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, json, text)
}

/// The `drawbridge-relayer` binary of this package, with no `DRAWBRIDGE_*` variable inherited
/// from the test's environment, logging with `RUST_LOG=<rust_log>`.
pub fn relayer_command(rust_log: &str) -> Command {
    drawbridge_testkit::relayer_command(env!("CARGO_BIN_EXE_drawbridge-relayer"), rust_log)
}

/// `log`, opened for appending (created if missing): for a child's stdout and stderr.
pub fn append_log(log: &Path) -> File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap()
}

/// Spawns `command` on the configuration file `config`, signing with the hex `key`
/// (`DRAWBRIDGE_RELAYER_KEY`), its output appended to `log`.
pub fn spawn_with_key(mut command: Command, config: &Path, key: &str, log: &Path) -> Child {
    let file = append_log(log);
    command
        .arg("--config")
        .arg(config)
        .env("DRAWBRIDGE_RELAYER_KEY", format!("0x{key}"))
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("the relayer binary starts")
}

/// A free local port (bound and released; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn database_url(dir: &TempDir) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("relayer.sqlite").display()
    )
}

pub fn l1(devnet: &Devnet, signer: &PrivateKeySigner) -> DynProvider {
    provider(&devnet.deployment.l1.rpc_url, signer)
}

pub fn l2(devnet: &Devnet, signer: &PrivateKeySigner) -> DynProvider {
    provider(&devnet.deployment.l2.rpc_url, signer)
}

/// The account nonce `user`'s next transaction takes, counting its pending ones.
pub async fn next_nonce(provider: &impl Provider, user: &PrivateKeySigner) -> u64 {
    provider
        .get_transaction_count(user.address())
        .pending()
        .await
        .unwrap()
}

/// Sends ETH deposits `(recipient, amount)` from `user` with consecutive account nonces (so they
/// land in as few blocks as possible) and waits for every receipt.
pub async fn deposit_eth(devnet: &Devnet, user: &PrivateKeySigner, deposits: &[(Address, U256)]) {
    let provider = l1(devnet, user);
    let bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, provider.clone());
    let mut nonce = next_nonce(&provider, user).await;
    let mut pending = Vec::new();
    for (recipient, amount) in deposits {
        let tx = bridge
            .depositETH(*recipient)
            .value(*amount)
            .nonce(nonce)
            .gas(300_000)
            .send()
            .await
            .expect("deposit sent");
        pending.push(tx);
        nonce += 1;
    }
    for tx in pending {
        let receipt = tx.get_receipt().await.expect("deposit mined");
        assert!(receipt.status(), "deposit reverted");
    }
}

/// Mints the devnet test token to `user`, approves the bridge and deposits `amount` to
/// `recipient`.
pub async fn deposit_token(
    devnet: &Devnet,
    user: &PrivateKeySigner,
    recipient: Address,
    amount: U256,
) {
    let provider = l1(devnet, user);
    let token = TestToken::new(devnet.test_token(), provider.clone());
    let bridge_address = devnet.deployment.l1.l1_bridge;
    let receipt = token.mint(user.address(), amount).mined().await;
    assert!(receipt.status());
    let receipt = token.approve(bridge_address, amount).mined().await;
    assert!(receipt.status());
    let bridge = IL1Bridge::new(bridge_address, provider);
    let receipt = bridge
        .depositERC20(devnet.test_token(), recipient, amount)
        .mined()
        .await;
    assert!(receipt.status(), "token deposit reverted");
}

/// Polls `check` every 500 ms until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    drawbridge_testkit::wait_for(what, DEADLINE, check).await
}

/// A distinct fresh account for a test.
pub fn fresh_address(seed: &str) -> Address {
    Address::from_word(alloy::primitives::keccak256(seed))
}

/// Nonce ranges of the relay submissions, checked: every relay transaction confirmed with `ok`
/// (none reverted, none "already done" — which a double send would produce), the ranges disjoint
/// and together exactly `0..total`.
pub fn assert_relayed_exactly_once(submissions: &[Submission], total: u64) {
    let relays: Vec<&Submission> = submissions
        .iter()
        .filter(|s| s.kind == "relay_messages")
        .collect();
    let mut covered = BTreeSet::new();
    for s in &relays {
        assert_eq!(s.state, SubmissionState::Confirmed, "{s:?}");
        assert_eq!(s.outcome.as_deref(), Some("ok"), "{s:?}");
        let work: serde_json::Value = serde_json::from_str(&s.work).unwrap();
        let first = work["first"].as_u64().unwrap();
        let last = work["last"].as_u64().unwrap();
        for nonce in first..=last {
            assert!(
                covered.insert(nonce),
                "message {nonce} relayed twice: {relays:?}"
            );
        }
    }
    assert_eq!(covered, (0..total).collect::<BTreeSet<_>>(), "{relays:?}");
}

/// No settled submission of any kind failed or was a double send.
pub fn assert_no_failed_submissions(submissions: &[Submission]) {
    for s in submissions {
        if matches!(s.state, SubmissionState::Queued | SubmissionState::InFlight) {
            continue;
        }
        assert!(
            s.state == SubmissionState::Confirmed && s.outcome.as_deref() == Some("ok"),
            "unexpected submission {s:?}"
        );
    }
}

/// Waits until L2 processed `total` messages and no transaction is pending on L2 (so every relay
/// submission is settled in the database).
pub async fn wait_delivered(devnet: &Devnet, url: &str, total: u64) {
    let store = Store::open(url).await.unwrap();
    wait_for(
        &format!("{total} messages delivered and settled"),
        || async {
            let done = processed(devnet).await >= total
                && store.pending_submissions("l2").await.unwrap().is_empty();
            done.then_some(())
        },
    )
    .await;
    store.close().await;
}

pub async fn submissions(url: &str) -> Vec<Submission> {
    let store = Store::open(url).await.unwrap();
    let all = store.submissions().await.unwrap();
    store.close().await;
    all
}
