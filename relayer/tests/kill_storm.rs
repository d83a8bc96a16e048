//! The relayer binary SIGKILLed at random points, again and again, during a run of deposits and
//! withdrawals; afterwards every message is delivered on L2 exactly once, every withdrawal paid on
//! L1 exactly once, the escrow holds exactly what is left, and the submissions table holds no
//! duplicate work.
//!
//! Size: `DRAWBRIDGE_KILL_STORM_MESSAGES` messages (default 1,000: three quarters deposits, one
//! quarter withdrawals) and `DRAWBRIDGE_KILL_STORM_KILLS` kills (default 20), at random points
//! (`DRAWBRIDGE_KILL_STORM_SEED` replays a schedule; the seed is printed).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_devnet::Devnet;
use drawbridge_relayer::{Store, SubmissionState};

use common::*;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

fn spawn(config: &Path, key: &str, log: &Path) -> Child {
    spawn_with_key(relayer_command("drawbridge_relayer=info"), config, key, log)
}

/// A small deterministic-per-run pseudo-random source (xorshift), seeded from the clock and
/// printed so that a failing schedule can be replayed with `DRAWBRIDGE_KILL_STORM_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

/// L2 withdrawals of bridged ETH `(l1 recipient, amount)` from `user`, with consecutive account
/// nonces; waits for every receipt.
async fn withdraw_eth(devnet: &Devnet, user: &PrivateKeySigner, withdrawals: &[(Address, U256)]) {
    let provider = l2(devnet, user);
    let bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, provider.clone());
    let mut nonce = next_nonce(&provider, user).await;
    let mut pending = Vec::new();
    for (recipient, amount) in withdrawals {
        pending.push(
            bridge
                .withdraw(Address::ZERO, *recipient, *amount)
                .nonce(nonce)
                .gas(300_000)
                .send()
                .await
                .expect("withdrawal sent"),
        );
        nonce += 1;
    }
    for tx in pending {
        let receipt = tx.get_receipt().await.expect("withdrawal mined");
        assert!(receipt.status(), "withdrawal reverted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_storm_every_message_delivered_and_every_withdrawal_paid_exactly_once() {
    let messages = env_number("DRAWBRIDGE_KILL_STORM_MESSAGES", 1000);
    let kills = env_number("DRAWBRIDGE_KILL_STORM_KILLS", 20) as u32;
    let seed = env_number(
        "DRAWBRIDGE_KILL_STORM_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1,
    );
    assert!(messages >= 20, "at least 20 messages");
    let withdrawals = messages / 4;
    let deposits = messages - withdrawals;
    eprintln!(
        "kill storm: {deposits} deposits, {withdrawals} withdrawals, {kills} kills, seed {seed}"
    );

    let env = test_env().await;
    env.save_deployment();
    let devnet = &env.devnet;
    let dir = env.dir.path();
    let url = database_url(&env.dir);
    let config = dir.join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            "deployment = \"deployment.json\"\ndatabase_url = \"{url}\"\n\
             roles = [\"deliver\", \"propose\", \"finalize\"]\nrelayer_id = \"storm\"\n\
             poll_interval = \"300ms\"\nl1_confirmations = 1\nl2_confirmations = 1\n\
             tx_timeout = \"10s\"\nlease_ttl = \"5s\"\n"
        ),
    )
    .unwrap();
    let key = alloy::hex::encode(devnet.accounts.relayer.to_bytes());
    let log = dir.join("relayer.log");
    let started = Instant::now();

    // The killer: SIGKILL at random points 0.4..3 s apart, restart after 0..300 ms.
    let child = Arc::new(std::sync::Mutex::new(spawn(&config, &key, &log)));
    let killed = Arc::new(AtomicU32::new(0));
    let storm_over = Arc::new(AtomicBool::new(false));
    let killer = {
        let (child, killed, storm_over) = (child.clone(), killed.clone(), storm_over.clone());
        let (config, key, log) = (config.clone(), key.clone(), log.clone());
        tokio::spawn(async move {
            let mut rng = Rng(seed);
            while killed.load(Ordering::SeqCst) < kills {
                tokio::time::sleep(rng.millis(400, 3_000)).await;
                {
                    let mut c = child.lock().unwrap();
                    c.kill().unwrap(); // SIGKILL
                    c.wait().unwrap();
                }
                killed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(rng.millis(0, 300)).await;
                *child.lock().unwrap() = spawn(&config, &key, &log);
            }
            storm_over.store(true, Ordering::SeqCst);
        })
    };

    // Four users. Each first funds its own L2 account (those four deposits are the first
    // messages), then deposits to fresh recipients in waves while the storm goes on.
    let users: Vec<PrivateKeySigner> = devnet.accounts.users[..4].to_vec();
    let gwei = U256::from(1_000_000_000u64);
    let funding = units(10);
    for user in &users {
        deposit_eth(devnet, user, &[(user.address(), funding)]).await;
    }
    let recipients: Vec<(Address, U256)> = (4..deposits)
        .map(|i| {
            (
                fresh_address(&format!("storm deposit {i}")),
                gwei * U256::from(i + 1),
            )
        })
        .collect();
    let waves = 5usize;
    let per_wave = recipients.len().div_ceil(waves);
    for (w, wave) in recipients.chunks(per_wave.max(1)).enumerate() {
        let per_user = wave.len().div_ceil(users.len());
        let sends = wave
            .chunks(per_user.max(1))
            .zip(&users)
            .map(|(part, user)| deposit_eth(devnet, user, part));
        futures::future::join_all(sends).await;
        eprintln!(
            "deposit wave {w} sent at {:?} ({} kills so far)",
            started.elapsed(),
            killed.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Withdrawals once the funding arrived on L2, to fresh L1 recipients, in waves.
    for user in &users {
        wait_for("the funding deposit on L2", || async {
            (l2_balance(devnet, Address::ZERO, user.address()).await >= funding).then_some(())
        })
        .await;
    }
    let payouts: Vec<(usize, Address, U256)> = (0..withdrawals)
        .map(|i| {
            (
                i as usize % users.len(),
                fresh_address(&format!("storm withdrawal {i}")),
                gwei * U256::from(1_000 + i),
            )
        })
        .collect();
    let per_wave = payouts.len().div_ceil(waves);
    for (w, wave) in payouts.chunks(per_wave.max(1)).enumerate() {
        let mut by_user: BTreeMap<usize, Vec<(Address, U256)>> = BTreeMap::new();
        for (u, recipient, amount) in wave {
            by_user.entry(*u).or_default().push((*recipient, *amount));
        }
        let sends = by_user
            .iter()
            .map(|(u, list)| withdraw_eth(devnet, &users[*u], list));
        futures::future::join_all(sends).await;
        eprintln!(
            "withdrawal wave {w} sent at {:?} ({} kills so far)",
            started.elapsed(),
            killed.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // The storm ends; the last relayer process finishes the work.
    let l1 = l1(devnet, &devnet.accounts.challenger);
    let l1_bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, l1.clone());
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let over = storm_over.load(Ordering::SeqCst);
        let delivered = processed(devnet).await;
        let mut paid = 0u64;
        for (_, recipient, amount) in &payouts {
            if l1.get_balance(*recipient).await.unwrap() == *amount {
                paid += 1;
            }
        }
        if over && delivered == deposits && paid == withdrawals {
            break;
        }
        if Instant::now() > deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = text
                .lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            panic!(
                "after {:?}: {delivered}/{deposits} delivered, {paid}/{withdrawals} paid, {} kills\n{tail}",
                started.elapsed(),
                killed.load(Ordering::SeqCst)
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    killer.await.unwrap();
    eprintln!(
        "all delivered and paid after {:?} with {} kills",
        started.elapsed(),
        killed.load(Ordering::SeqCst)
    );
    // The last process settles what the killed ones left in flight, then nothing more happens.
    let store = Store::open(&url).await.unwrap();
    wait_for("every submission settled", || async {
        (store.pending_submissions("l1").await.unwrap().is_empty()
            && store.pending_submissions("l2").await.unwrap().is_empty())
        .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    {
        let mut c = child.lock().unwrap();
        c.kill().unwrap();
        c.wait().unwrap();
    }
    assert!(killed.load(Ordering::SeqCst) >= kills);

    // L2: every message processed once, every recipient credited exactly its deposit.
    assert_eq!(message_count(devnet).await, deposits);
    assert_eq!(processed(devnet).await, deposits);
    for (recipient, amount) in &recipients {
        assert_eq!(
            l2_balance(devnet, Address::ZERO, *recipient).await,
            *amount,
            "deposit to {recipient}"
        );
    }
    for (u, user) in users.iter().enumerate() {
        let withdrawn: U256 = payouts
            .iter()
            .filter(|(w, _, _)| *w == u)
            .map(|(_, _, a)| *a)
            .sum();
        assert_eq!(
            l2_balance(devnet, Address::ZERO, user.address()).await,
            funding - withdrawn
        );
    }
    // L1: every withdrawal finalized and paid exactly once; the escrow holds the rest.
    for (nonce, (_, recipient, amount)) in payouts.iter().enumerate() {
        assert!(
            l1_bridge
                .isWithdrawalFinalized(nonce as u64)
                .call()
                .await
                .unwrap()
        );
        assert_eq!(l1.get_balance(*recipient).await.unwrap(), *amount);
    }
    let deposited: U256 =
        funding * U256::from(users.len()) + recipients.iter().map(|(_, a)| *a).sum::<U256>();
    let withdrawn: U256 = payouts.iter().map(|(_, _, a)| *a).sum();
    assert_eq!(
        l1_bridge.escrowed(Address::ZERO).call().await.unwrap(),
        deposited - withdrawn
    );

    // The submissions: no work done twice, no nonce used twice.
    let all = store.submissions().await.unwrap();
    assert_relayed_exactly_once(&all, deposits);
    let mut finalized = BTreeSet::new();
    let mut proposed = BTreeSet::new();
    let mut published = BTreeSet::new();
    let mut committed = BTreeSet::new();
    let mut live_nonces = BTreeSet::new();
    for s in &all {
        if s.state != SubmissionState::Failed {
            assert!(
                live_nonces.insert((s.chain.clone(), s.tx_nonce)),
                "two live submissions with nonce {} on {}",
                s.tx_nonce,
                s.chain
            );
        }
        if s.state != SubmissionState::Confirmed || s.outcome.as_deref() != Some("ok") {
            continue;
        }
        let work: serde_json::Value = serde_json::from_str(&s.work).unwrap();
        match s.kind.as_str() {
            "finalize_withdrawals" => {
                for nonce in work["nonces"].as_array().unwrap() {
                    assert!(
                        finalized.insert(nonce.as_u64().unwrap()),
                        "withdrawal {nonce} finalized by two transactions"
                    );
                }
            }
            "propose" => assert!(
                proposed.insert(work["l2_block"].as_u64().unwrap()),
                "L2 block proposed twice"
            ),
            "publish_root" => assert!(
                published.insert(work["root"].as_str().unwrap().to_string()),
                "root published twice"
            ),
            "commit_root" => assert!(
                committed.insert(work["messages"].as_u64().unwrap()),
                "the same messages committed twice"
            ),
            _ => {}
        }
    }
    assert_eq!(finalized, (0..withdrawals).collect::<BTreeSet<_>>());
    let failed: Vec<_> = all
        .iter()
        .filter(|s| s.state == SubmissionState::Failed)
        .collect();
    let pending: Vec<_> = all
        .iter()
        .filter(|s| matches!(s.state, SubmissionState::Queued | SubmissionState::InFlight))
        .collect();
    let log_text = std::fs::read_to_string(&log).unwrap();
    eprintln!(
        "restarts that found a transaction unfinished: {}; dropped and re-sent: {}",
        log_text
            .matches("resuming an unfinished transaction")
            .count(),
        log_text.matches("broadcasting it again").count()
    );
    eprintln!(
        "{} submissions ({} failed: {:?}; {} sent after the work was done, unsettled at the final kill), {} replacements",
        all.len(),
        failed.len(),
        failed
            .iter()
            .map(|s| s.outcome.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        pending.len(),
        store.replacements().await.unwrap().len()
    );
    store.close().await;
}
