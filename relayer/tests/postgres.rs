//! Relayers on PostgreSQL: several `drawbridge-relayer` processes on one database, one active per
//! role; the active one is SIGKILLed and another takes over within the lease bound; a graceful
//! stop hands the roles over at once; every message is delivered exactly once.
//!
//! Needs `DRAWBRIDGE_TEST_POSTGRES_URL` (scripts/test.sh starts a server); without it the tests
//! return early, except under `CI=true`, where they fail.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::IL2Bridge;
use drawbridge_relayer::testing::{drop_postgres_database, fresh_postgres_database};
use drawbridge_relayer::{Backend, Lease, Role, Store};

use common::*;

const LEASE_TTL: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(300);

fn spawn(config: &Path, id: &str, port: u16, key: &str, log: &Path) -> Child {
    let file = append_log(log);
    relayer_command("drawbridge_relayer=info")
        .arg("--config")
        .arg(config)
        .arg("--relayer-id")
        .arg(id)
        .arg("--api-listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("DRAWBRIDGE_RELAYER_KEY", key)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("the relayer binary starts")
}

fn sigterm(child: &Child) {
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

async fn leases(store: &Store) -> BTreeMap<String, Lease> {
    store
        .leases()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.role.clone(), l))
        .collect()
}

/// Waits until every role is held by a live lease and returns the holders.
async fn all_roles_held(store: &Store) -> BTreeMap<String, Lease> {
    wait_for("every role held", || async {
        let now = leases(store).await;
        (Role::DEFAULT
            .iter()
            .all(|r| now.get(r.as_str()).is_some_and(Lease::is_live)))
        .then_some(now)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayers_sharing_postgres_hand_roles_over_without_sending_twice() {
    let Some(url) = fresh_postgres_database("ha").await else {
        return;
    };
    let env = test_env().await;
    env.save_deployment();
    let devnet = &env.devnet;
    let dir = env.dir.path();
    let config = dir.join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            "deployment = \"deployment.json\"\ndatabase_url = \"{url}\"\npoll_interval = \"{}ms\"\n\
             lease_ttl = \"{}s\"\ndelivery_batch_size = 2\ntx_timeout = \"30s\"\n",
            POLL.as_millis(),
            LEASE_TTL.as_secs()
        ),
    )
    .unwrap();
    let key = format!(
        "0x{}",
        alloy::hex::encode(devnet.accounts.relayer.to_bytes())
    );
    let relayer = devnet.accounts.relayer.address();
    let l2 = l2(devnet, &devnet.accounts.challenger);
    let l1 = l1(devnet, &devnet.accounts.challenger);
    let l2_nonce_before = l2.get_transaction_count(relayer).await.unwrap();
    let l1_nonce_before = l1.get_transaction_count(relayer).await.unwrap();
    let user = &devnet.accounts.users[3];
    let recipient = fresh_address("ha recipient");
    let wei = |i: u64| U256::from(1_000_000u64 + i);
    let deposits = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to).map(|i| (recipient, wei(i))).collect()
    };

    let ids = ["relayer-a", "relayer-b"];
    let ports = [free_port(), free_port()];
    let logs = [dir.join("a.log"), dir.join("b.log")];
    let mut children: Vec<Option<Child>> = (0..2)
        .map(|i| Some(spawn(&config, ids[i], ports[i], &key, &logs[i])))
        .collect();
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);

    // One active relayer per role: the two processes' held roles partition the three roles.
    let held = all_roles_held(&store).await;
    let mut union = BTreeSet::new();
    for port in ports {
        let address = format!("127.0.0.1:{port}").parse().unwrap();
        let status = wait_for("the API", || async {
            let (code, body, _) = http_get(address, "/status").await;
            (code == 200).then_some(body)
        })
        .await;
        for role in status["roles_held"].as_array().unwrap() {
            let role = role.as_str().unwrap().to_string();
            assert!(union.insert(role.clone()), "{role} held twice: {held:?}");
            let holder = &held[&role].holder;
            assert_eq!(status["relayer_id"].as_str(), Some(holder.as_str()));
        }
    }
    assert_eq!(union.len(), 3, "{held:?}");

    deposit_eth(devnet, user, &deposits(0, 6)).await;
    wait_delivered(devnet, &url, 6).await;

    // SIGKILL the relayer delivering; the other takes over once the lease expires.
    let active = held["deliver"].holder.clone();
    let (dead, alive) = if active == ids[0] { (0, 1) } else { (1, 0) };
    deposit_eth(devnet, user, &deposits(6, 12)).await;
    let mut child = children[dead].take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = Instant::now();
    wait_for("the deliver role taken over", || async {
        let now = leases(&store).await;
        now.get("deliver")
            .is_some_and(|l| l.holder == ids[alive] && l.is_live())
            .then_some(())
    })
    .await;
    let takeover = killed_at.elapsed();
    println!("deliver role taken over {takeover:?} after SIGKILL (lease_ttl {LEASE_TTL:?})");
    // The bound: the lease's ttl plus one poll of the standby, with slack for process start-up
    // and database round trips on a loaded machine.
    assert!(
        takeover <= LEASE_TTL + POLL + Duration::from_secs(4),
        "takeover took {takeover:?}"
    );
    wait_delivered(devnet, &url, 12).await;
    // The survivor holds every role once the dead one's leases ran out.
    let held = all_roles_held(&store).await;
    wait_for("every role with the survivor", || async {
        leases(&store)
            .await
            .values()
            .all(|l| l.holder == ids[alive])
            .then_some(())
    })
    .await;

    // The killed relayer comes back (same id): it stands by, as the survivor holds the roles.
    children[dead] = Some(spawn(&config, ids[dead], ports[dead], &key, &logs[dead]));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        leases(&store)
            .await
            .values()
            .all(|l| l.holder == ids[alive]),
        "{held:?}"
    );

    // SIGTERM the survivor: it releases its leases, so the other takes over before they would
    // have expired.
    let before = leases(&store).await;
    let mut survivor = children[alive].take().unwrap();
    sigterm(&survivor);
    assert!(survivor.wait().unwrap().success());
    let after = wait_for("the roles handed over", || async {
        let now = leases(&store).await;
        Role::DEFAULT
            .iter()
            .all(|r| now[r.as_str()].holder == ids[dead] && now[r.as_str()].is_live())
            .then_some(now)
    })
    .await;
    for role in Role::DEFAULT {
        let (old, new) = (&before[role.as_str()], &after[role.as_str()]);
        assert!(new.token > old.token, "{role}: {old:?} -> {new:?}");
        assert!(
            new.acquired_at < old.expires_at,
            "{role} was taken over only after expiry, so the release did not happen: {old:?} -> {new:?}"
        );
    }
    deposit_eth(devnet, user, &deposits(12, 14)).await;
    wait_delivered(devnet, &url, 14).await;
    let mut last = children[dead].take().unwrap();
    sigterm(&last);
    assert!(last.wait().unwrap().success());

    // Exactly once: the relay submissions cover 0..14 once, none failed; L2 emitted one
    // MessageProcessed per nonce; every transaction the shared key sent is a recorded
    // submission (account nonces moved by exactly the number of mined submissions).
    let all = store.submissions().await.unwrap();
    assert_relayed_exactly_once(&all, 14);
    assert_no_failed_submissions(&all);
    let events = l2
        .get_logs(
            &Filter::new()
                .address(devnet.deployment.l2.l2_bridge)
                .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    let nonces: Vec<u64> = events
        .iter()
        .map(|log| {
            log.log_decode::<IL2Bridge::MessageProcessed>()
                .unwrap()
                .inner
                .data
                .nonce
        })
        .collect();
    assert_eq!(nonces, (0..14).collect::<Vec<_>>());
    assert_eq!(
        l2_balance(devnet, Address::ZERO, recipient).await,
        (0..14).map(wei).sum::<U256>()
    );
    for (chain, provider, before) in [("l1", &l1, l1_nonce_before), ("l2", &l2, l2_nonce_before)] {
        let mined = all
            .iter()
            .filter(|s| s.chain == chain && s.block_number.is_some())
            .count() as u64;
        let after = provider.get_transaction_count(relayer).await.unwrap();
        assert_eq!(after - before, mined, "{chain}: {all:?}");
    }
    // Every submission names the relayer and the fencing token it was sent under, and per role
    // the tokens only grow: nothing was written under a lease after it was taken over.
    let mut sorted = all.clone();
    sorted.sort_by_key(|s| (s.created_at, s.tx_nonce));
    let mut last_token: BTreeMap<String, i64> = BTreeMap::new();
    for s in &sorted {
        let holder = s.holder.as_deref().expect("holder recorded");
        assert!(ids.contains(&holder), "{s:?}");
        let token = s.lease_token.expect("token recorded");
        let previous = last_token.entry(s.role.clone()).or_insert(token);
        assert!(token >= *previous, "{s:?} after token {previous}");
        *previous = token;
    }
    let log_text =
        std::fs::read_to_string(&logs[0]).unwrap() + &std::fs::read_to_string(&logs[1]).unwrap();
    assert!(log_text.contains("lease acquired"), "{log_text}");
    assert!(log_text.contains("lease released"), "{log_text}");
    assert!(
        !log_text.contains(&key[2..]),
        "the key leaked into the logs"
    );
    store.close().await;
    drop_postgres_database(&url).await;
}

/// The in-process relayer delivers on PostgreSQL as on SQLite, and resumes after an abrupt stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_are_delivered_exactly_once_on_postgres() {
    let Some(mut env) = test_env_on(Backend::Postgres, "deliver").await else {
        return;
    };
    env.config.roles = [Role::Deliver].into_iter().collect();
    env.config.delivery_batch_size = 3;
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let user = &devnet.accounts.users[4];
    let recipient = fresh_address("postgres");
    let gwei = U256::from(1_000_000_000u64);
    let batch = |from: u64, to: u64| -> Vec<(Address, U256)> {
        (from..to)
            .map(|i| (recipient, gwei * U256::from(i + 1)))
            .collect()
    };
    let running = start(env.config.clone()).await;
    deposit_eth(devnet, user, &batch(0, 7)).await;
    wait_for("a first batch", || async {
        (processed(devnet).await >= 3).then_some(())
    })
    .await;
    running.kill().await;
    deposit_eth(devnet, user, &batch(7, 10)).await;
    let running = start(env.config.clone()).await;
    wait_delivered(devnet, &url, 10).await;
    running.stop().await;
    let all = submissions(&url).await;
    assert_relayed_exactly_once(&all, 10);
    assert_no_failed_submissions(&all);
    let expected: U256 = (0..10u64).map(|i| gwei * U256::from(i + 1)).sum();
    assert_eq!(l2_balance(devnet, Address::ZERO, recipient).await, expected);
    drop_postgres_database(&url).await;
}
