//! Load benchmark of the relayer, run on demand (not a test):
//!
//! ```sh
//! cargo bench -p drawbridge-relayer --bench load                     # 1,000 + 1,000, defaults
//! cargo bench -p drawbridge-relayer --bench load -- --messages 1000 --delivery-batch-size 250 --json
//! ```
//!
//! On a fresh devnet (two anvil chains, 1 s blocks, the real contracts) it
//! 1. queues `--messages` ETH deposits on L1 from the devnet's six users and waits until they are
//!    confirmed (2 blocks), with no relayer running;
//! 2. starts the real `drawbridge-relayer` binary (release build) as a child process with the
//!    deliver, propose and finalize roles, and measures the time until `L2Bridge.l1MessagesProcessed()`
//!    reaches the count (every deposit delivered);
//! 3. sends `--messages` withdrawals on L2 (each user withdraws part of what it received) to one L1
//!    recipient and measures the time until the recipient was paid for all of them (an output every
//!    5 L2 blocks, then the 6 s challenge window, then batched `finalizeWithdrawals`);
//! 4. reads the relayer's peak resident set (`VmHWM` in `/proc/<pid>/status`) before stopping it
//!    with SIGTERM, and counts the transactions it sent on each chain (its account nonces, and the
//!    submissions it recorded, by kind).
//!
//! Targets (issue 5): deposits delivered in <= 30 s, peak RSS <= 100 MB.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256, keccak256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_devnet::{Devnet, DevnetOptions};
use drawbridge_relayer::Store;

const BIN: &str = env!("CARGO_BIN_EXE_drawbridge-relayer");
/// Target: every queued deposit delivered within this.
const DELIVERY_TARGET: Duration = Duration::from_secs(30);
/// Target: peak resident set of the relayer process.
const RSS_TARGET_KIB: u64 = 100 * 1024;

struct Args {
    messages: u64,
    delivery_batch_size: u64,
    finalize_batch_size: u64,
    poll_interval: String,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        messages: 1_000,
        delivery_batch_size: 50,
        finalize_batch_size: 50,
        poll_interval: "200ms".into(),
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            // What `cargo bench` passes to every bench binary.
            "--bench" => {}
            "--messages" => {
                args.messages = value("--messages")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?
            }
            "--delivery-batch-size" => {
                args.delivery_batch_size = value("--delivery-batch-size")?
                    .parse()
                    .map_err(|e| format!("--delivery-batch-size: {e}"))?
            }
            "--finalize-batch-size" => {
                args.finalize_batch_size = value("--finalize-batch-size")?
                    .parse()
                    .map_err(|e| format!("--finalize-batch-size: {e}"))?
            }
            "--poll-interval" => args.poll_interval = value("--poll-interval")?,
            "--json" => args.json = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.messages == 0 {
        return Err("--messages must be at least 1".into());
    }
    Ok(args)
}

fn wallet_provider(url: &str, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url.parse().expect("devnet URL"))
        .erased()
}

/// `count` split over `parts` as evenly as possible.
fn shares(count: u64, parts: usize) -> Vec<u64> {
    let parts = parts as u64;
    (0..parts)
        .map(|i| count / parts + u64::from(i < count % parts))
        .collect()
}

/// Sends `n` transactions built by `build(nonce)` from `signer` with consecutive nonces, without
/// waiting between them, then waits for every receipt.
async fn pipeline<F, Fut>(provider: &DynProvider, signer: Address, n: u64, build: F) -> u64
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<
            Output = alloy::contract::Result<
                alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
            >,
        >,
{
    let first = provider
        .get_transaction_count(signer)
        .pending()
        .await
        .expect("nonce");
    let mut pending = Vec::with_capacity(n as usize);
    for i in 0..n {
        pending.push(build(first + i).await.expect("transaction sent"));
    }
    let mut last_block = 0;
    for tx in pending {
        let receipt = tx.get_receipt().await.expect("transaction mined");
        assert!(receipt.status(), "a load transaction reverted");
        last_block = last_block.max(receipt.block_number.unwrap_or_default());
    }
    last_block
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| {
            l.strip_prefix(name)?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn spawn_relayer(args: &Args, deployment: &Path, dir: &Path, key: &PrivateKeySigner) -> Child {
    let log = std::fs::File::create(dir.join("relayer.log")).expect("log file");
    drawbridge_testkit::relayer_command(BIN, "drawbridge_relayer=info")
        .env(
            "DRAWBRIDGE_RELAYER_KEY",
            format!("0x{}", alloy::hex::encode(key.to_bytes())),
        )
        .arg("--deployment")
        .arg(deployment)
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}?mode=rwc",
            dir.join("relayer.sqlite").display()
        ))
        .arg("--relayer-id")
        .arg("load")
        .arg("--poll-interval")
        .arg(&args.poll_interval)
        .arg("--delivery-batch-size")
        .arg(args.delivery_batch_size.to_string())
        .arg("--finalize-batch-size")
        .arg(args.finalize_batch_size.to_string())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the relayer binary starts")
}

/// Waits for `done` (checked every 100 ms), sampling the relayer's memory meanwhile.
async fn until<F, Fut>(what: &str, pid: u32, peak_rss: &mut u64, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if let Some((_, rss)) = memory_kib(pid) {
            *peak_rss = (*peak_rss).max(rss);
        }
        if done().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "{what}: not done after 10 minutes (see the relayer log)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("load: {error}");
            eprintln!(
                "usage: cargo bench -p drawbridge-relayer --bench load -- [--messages N] \
                 [--delivery-batch-size N] [--finalize-batch-size N] [--poll-interval D] [--json]"
            );
            std::process::exit(2);
        }
    };
    let n = args.messages;
    let devnet = Devnet::start(DevnetOptions::default())
        .await
        .expect("devnet starts");
    let dir = tempfile::tempdir().expect("temporary folder");
    let deployment_path = dir.path().join("deployment.json");
    devnet
        .deployment
        .save(&deployment_path)
        .expect("deployment saved");
    let d = &devnet.deployment;
    let users = &devnet.accounts.users;
    let relayer_key = &devnet.accounts.relayer;
    let deposit_amount = U256::from(10u64).pow(U256::from(16u64)); // 0.01 ETH
    let withdrawal_amount = U256::from(10u64).pow(U256::from(15u64)); // 0.001 ETH

    // 1. Queue the deposits (no relayer running) and let them be confirmed.
    let started = Instant::now();
    let sends = users.iter().zip(shares(n, users.len())).map(|(user, k)| {
        let provider = wallet_provider(&d.l1.rpc_url, user);
        let bridge = IL1Bridge::new(d.l1.l1_bridge, provider.clone());
        let to = user.address();
        async move {
            pipeline(&provider, to, k, |nonce| {
                let call = bridge
                    .depositETH(to)
                    .value(deposit_amount)
                    .nonce(nonce)
                    .gas(250_000);
                async move { call.send().await }
            })
            .await
        }
    });
    let last_deposit_block = futures::future::join_all(sends)
        .await
        .into_iter()
        .max()
        .unwrap_or_default();
    let l1_reader = ProviderBuilder::new()
        .connect_http(d.l1.rpc_url.parse().unwrap())
        .erased();
    let l2_reader = ProviderBuilder::new()
        .connect_http(d.l2.rpc_url.parse().unwrap())
        .erased();
    while l1_reader.get_block_number().await.unwrap() < last_deposit_block + 2 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let queued_in = started.elapsed();
    let l1_bridge = IL1Bridge::new(d.l1.l1_bridge, l1_reader.clone());
    assert_eq!(l1_bridge.messageCount().call().await.unwrap(), n);

    // 2. Start the relayer and time the delivery.
    let nonce_l1_before = l1_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();
    let nonce_l2_before = l2_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();
    let mut child = spawn_relayer(&args, &deployment_path, dir.path(), relayer_key);
    let pid = child.id();
    let mut peak_rss = 0;
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, l2_reader.clone());
    let delivered_in = until("delivery", pid, &mut peak_rss, || async {
        l2_bridge
            .l1MessagesProcessed()
            .call()
            .await
            .is_ok_and(|p| p >= n)
    })
    .await;
    let nonce_l1_delivered = l1_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();
    let nonce_l2_delivered = l2_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();

    // 3. The withdrawals, to one fresh L1 recipient.
    let recipient = Address::from_word(keccak256("drawbridge load benchmark recipient"));
    let withdrawal_start = Instant::now();
    let sends = users.iter().zip(shares(n, users.len())).map(|(user, k)| {
        let provider = wallet_provider(&d.l2.rpc_url, user);
        let bridge = IL2Bridge::new(d.l2.l2_bridge, provider.clone());
        let from = user.address();
        async move {
            pipeline(&provider, from, k, |nonce| {
                let call = bridge
                    .withdraw(Address::ZERO, recipient, withdrawal_amount)
                    .nonce(nonce)
                    .gas(400_000);
                async move { call.send().await }
            })
            .await
        }
    });
    futures::future::join_all(sends).await;
    let withdrawals_sent_in = withdrawal_start.elapsed();
    let expected = withdrawal_amount * U256::from(n);
    let finalized_after_send = until("finalization", pid, &mut peak_rss, || async {
        l1_reader
            .get_balance(recipient)
            .await
            .is_ok_and(|b| b >= expected)
    })
    .await;
    let finalized_in = withdrawals_sent_in + finalized_after_send;
    // Let the last round record its outcomes, then read the peak and stop the relayer.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (hwm, _) = memory_kib(pid).expect("the relayer is still running");
    peak_rss = peak_rss.max(hwm);
    let nonce_l1_after = l1_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();
    let nonce_l2_after = l2_reader
        .get_transaction_count(relayer_key.address())
        .await
        .unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let exit = child.wait().expect("the relayer exits");
    assert_eq!(
        l1_reader.get_balance(recipient).await.unwrap(),
        expected,
        "paid exactly once"
    );

    // 4. What it sent, from its own records.
    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("relayer.sqlite").display()
    ))
    .await
    .expect("relayer database");
    let mut by_kind: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in store.submissions().await.expect("submissions") {
        let entry = by_kind
            .entry(format!("{}:{}", s.chain, s.kind))
            .or_default();
        entry.0 += 1;
        entry.1 += s.gas_used.unwrap_or(0);
    }
    store.close().await;

    let report = serde_json::json!({
        "messages": n,
        "delivery_batch_size": args.delivery_batch_size,
        "finalize_batch_size": args.finalize_batch_size,
        "poll_interval": args.poll_interval,
        "deposits_queued_s": queued_in.as_secs_f64(),
        "deposits_delivered_s": delivered_in.as_secs_f64(),
        "delivery_target_s": DELIVERY_TARGET.as_secs(),
        "delivery_target_met": delivered_in <= DELIVERY_TARGET,
        "delivery_transactions": { "l1": nonce_l1_delivered - nonce_l1_before, "l2": nonce_l2_delivered - nonce_l2_before },
        "withdrawals_sent_s": withdrawals_sent_in.as_secs_f64(),
        "withdrawals_finalized_s": finalized_in.as_secs_f64(),
        "transactions": { "l1": nonce_l1_after - nonce_l1_before, "l2": nonce_l2_after - nonce_l2_before },
        "submissions_by_kind": by_kind.iter().map(|(k, (count, gas))| (k.clone(), serde_json::json!({ "count": count, "gas_used": gas }))).collect::<serde_json::Map<_, _>>(),
        "peak_rss_kib": peak_rss,
        "rss_target_kib": RSS_TARGET_KIB,
        "rss_target_met": peak_rss <= RSS_TARGET_KIB,
        "relayer_exit": exit.code(),
        "log": dir.path().join("relayer.log").display().to_string(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
    } else {
        println!(
            "load: {n} deposits queued in {:.1} s; delivered to L2 in {:.2} s (target {} s: {}) \
             with {} L1 + {} L2 transactions",
            queued_in.as_secs_f64(),
            delivered_in.as_secs_f64(),
            DELIVERY_TARGET.as_secs(),
            if delivered_in <= DELIVERY_TARGET {
                "met"
            } else {
                "MISSED"
            },
            nonce_l1_delivered - nonce_l1_before,
            nonce_l2_delivered - nonce_l2_before,
        );
        println!(
            "load: {n} withdrawals sent in {:.1} s; all paid on L1 {:.2} s after the first was sent",
            withdrawals_sent_in.as_secs_f64(),
            finalized_in.as_secs_f64()
        );
        println!(
            "load: relayer transactions in total: {} on L1, {} on L2",
            nonce_l1_after - nonce_l1_before,
            nonce_l2_after - nonce_l2_before
        );
        for (kind, (count, gas)) in &by_kind {
            println!("load:   {kind}: {count} transactions, {gas} gas");
        }
        println!(
            "load: relayer peak RSS {:.1} MiB (target {} MiB: {})",
            peak_rss as f64 / 1024.0,
            RSS_TARGET_KIB / 1024,
            if peak_rss <= RSS_TARGET_KIB {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    // Keep the log when a target was missed.
    if delivered_in > DELIVERY_TARGET || peak_rss > RSS_TARGET_KIB {
        let kept = dir.keep();
        eprintln!(
            "load: relayer log kept in {}",
            kept.join("relayer.log").display()
        );
    }
}
