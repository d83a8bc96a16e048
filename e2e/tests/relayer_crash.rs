//! A relayer killed with SIGKILL at random points and restarted on the same database delivers
//! every message and finalizes every withdrawal exactly once: each L2 balance equals the sum of
//! its deposits, each L1 recipient receives exactly what was withdrawn, and escrow matches.

use std::collections::BTreeMap;
use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use drawbridge_bindings::{IL1Bridge, IL2Bridge, TestToken};
use drawbridge_testkit::{Mined, TestBed, milli_units, units, wait_until};
use rand::{Rng, SeedableRng};

const DEPOSITS: u64 = 24;
const USERS: usize = 4;
const WAIT: Duration = Duration::from_secs(180);

/// Runs a relayer that is SIGKILLed `kills` times at random moments until `done` holds, then
/// leaves a final one running until it does.
async fn run_with_kills<F, Fut>(
    bed: &TestBed,
    rng: &mut rand::rngs::StdRng,
    kills: usize,
    what: &str,
    done: F,
) where
    F: Fn() -> Fut + Copy,
    Fut: std::future::Future<Output = bool>,
{
    let args = [
        "--delivery-batch-size",
        "4",
        "--finalize-batch-size",
        "3",
        "--output-interval",
        "3",
    ];
    for _ in 0..kills {
        let relayer = bed.spawn_relayer("relayer.sqlite", &args);
        let millis = rng.random_range(700..3500);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        relayer.kill();
        if done().await {
            break;
        }
    }
    let _relayer = bed.spawn_relayer("relayer.sqlite", &args);
    wait_until(what, WAIT, done).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkilled_relayer_delivers_and_finalizes_everything_exactly_once() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let bed = TestBed::start().await;
    let d = bed.devnet.deployment.clone();
    let token = bed.devnet.test_token();

    // Every user holds test tokens and has approved the bridge.
    for n in 0..USERS {
        let user = bed.user(n).clone();
        bed.mint_test_tokens(user.address(), units(1_000)).await;
        TestToken::new(token, bed.l1_as(&user))
            .approve(d.l1.l1_bridge, U256::MAX)
            .mined()
            .await;
    }

    // Deposits alternate ETH and ERC-20 across users, sent back to back.
    let mut expected: BTreeMap<(Address, Address), U256> = BTreeMap::new();
    let mut pending = Vec::new();
    let mut nonces: Vec<u64> = Vec::new();
    for n in 0..USERS {
        nonces.push(
            bed.l1
                .get_transaction_count(bed.user(n).address())
                .pending()
                .await
                .unwrap(),
        );
    }
    for i in 0..DEPOSITS {
        let n = i as usize % USERS;
        let user = bed.user(n).clone();
        let l1 = bed.l1_as(&user);
        let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1);
        let (asset, amount, tx) = if (i / USERS as u64).is_multiple_of(2) {
            let amount = milli_units(10 * (i + 1));
            (
                Address::ZERO,
                amount,
                bridge
                    .depositETH(user.address())
                    .value(amount)
                    .into_transaction_request(),
            )
        } else {
            let amount = units(i + 1);
            (
                token,
                amount,
                bridge
                    .depositERC20(token, user.address(), amount)
                    .into_transaction_request(),
            )
        };
        let tx = tx.with_nonce(nonces[n]).with_gas_limit(300_000);
        nonces[n] += 1;
        pending.push(l1.send_transaction(tx).await.unwrap());
        *expected.entry((asset, user.address())).or_default() += amount;
    }
    for p in pending {
        assert!(p.get_receipt().await.unwrap().status(), "deposit reverted");
    }

    let delivered = || async { bed.processed().await == DEPOSITS };
    run_with_kills(&bed, &mut rng, 4, "every deposit delivered", delivered).await;
    // Give a restarted relayer time to (wrongly) deliver again, then check exact balances.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(bed.processed().await, DEPOSITS);
    for ((asset, account), amount) in &expected {
        assert_eq!(
            bed.l2_balance(*asset, *account).await,
            *amount,
            "L2 balance of {account} in {asset}"
        );
    }

    // Each user withdraws part of each asset to a fresh L1 address.
    let mut withdrawals: Vec<(Address, Address, U256)> = Vec::new();
    for n in 0..USERS {
        let user = bed.user(n).clone();
        let l2 = bed.l2_as(&user);
        let bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
        for (k, asset) in [Address::ZERO, token].into_iter().enumerate() {
            let recipient = Address::left_padding_from(&[0xd0, n as u8, k as u8]);
            let amount = expected[&(asset, user.address())] / U256::from(3);
            bridge.withdraw(asset, recipient, amount).mined().await;
            withdrawals.push((asset, recipient, amount));
        }
    }
    let count = withdrawals.len() as u64;
    let finalized = || async {
        for nonce in 0..count {
            if !bed.is_finalized(nonce).await {
                return false;
            }
        }
        true
    };
    run_with_kills(&bed, &mut rng, 3, "every withdrawal finalized", finalized).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut withdrawn: BTreeMap<Address, U256> = BTreeMap::new();
    for (asset, recipient, amount) in &withdrawals {
        assert_eq!(
            bed.l1_balance(*asset, *recipient).await,
            *amount,
            "paid to {recipient} in {asset}"
        );
        *withdrawn.entry(*asset).or_default() += *amount;
    }
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &bed.l1);
    for asset in [Address::ZERO, token] {
        let deposited: U256 = expected
            .iter()
            .filter(|((a, _), _)| *a == asset)
            .map(|(_, v)| *v)
            .sum();
        assert_eq!(
            bridge.escrowed(asset).call().await.unwrap(),
            deposited - withdrawn[&asset],
            "escrow of {asset}"
        );
    }
}
