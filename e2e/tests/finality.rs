//! A user finalizes their own withdrawal with the CLI (no relayer finalizing): refused while the
//! covering output is inside its challenge window, paid exactly once when it is final, refused
//! again after that, and every refusal leaves the balances unchanged.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use drawbridge_bindings::IOutputOracle;
use drawbridge_devnet::DevnetOptions;
use drawbridge_e2e::{TestBed, milli_units, wait_until};

const WAIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread")]
async fn cli_finalize_waits_for_finality_and_pays_once() {
    let mut options = DevnetOptions::default();
    // A window long enough that the early attempt surely falls inside it.
    options.params.challenge_period = 30;
    let bed = TestBed::start_with(options).await;
    let d = bed.devnet.deployment.clone();
    let user = bed.user(1).clone();
    let recipient = Address::repeat_byte(0x7a);
    let _relayer = bed.spawn_relayer("relayer.sqlite", &["--roles", "deliver,propose"]);

    bed.cli_json(Some(&user), &["deposit", "--token", "eth", "--amount", "1"]);
    wait_until("deposit minted on L2", WAIT, || async {
        bed.l2_balance(Address::ZERO, user.address()).await == milli_units(1000)
    })
    .await;
    let withdrawal = bed.cli_json(
        Some(&user),
        &[
            "withdraw",
            "--token",
            "eth",
            "--amount",
            "0.3",
            "--to",
            &recipient.to_string(),
        ],
    );
    let tx: B256 = withdrawal["txHash"]
        .as_str()
        .or(withdrawal["tx_hash"].as_str())
        .expect("tx hash")
        .parse()
        .unwrap();
    let l2_block = bed
        .l2
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .expect("receipt")
        .block_number
        .unwrap();

    let oracle = IOutputOracle::new(d.l1.output_oracle, &bed.l1);
    let covering = std::cell::Cell::new(None);
    wait_until("an output covering the withdrawal", WAIT, || async {
        let count = oracle.outputCount().call().await.unwrap();
        for i in 0..count.to::<u64>() {
            let output = oracle.getOutput(U256::from(i)).call().await.unwrap();
            if output.l2BlockNumber >= l2_block {
                covering.set(Some(U256::from(i)));
                return true;
            }
        }
        false
    })
    .await;
    let covering = covering.get().expect("found");
    assert!(
        !oracle.isFinal(covering).call().await.unwrap(),
        "the output must still be in its window"
    );

    let bridge_before = bed.l1.get_balance(d.l1.l1_bridge).await.unwrap();
    let early = bed.cli(Some(&user), &["finalize", "--nonce", "0"]);
    assert!(
        !early.status.success(),
        "finalize inside the challenge window must fail"
    );
    let stderr = String::from_utf8_lossy(&early.stderr).to_lowercase();
    assert!(
        stderr.contains("final"),
        "the error says what it waits for: {stderr}"
    );
    assert_eq!(bed.l1_balance(Address::ZERO, recipient).await, U256::ZERO);
    assert_eq!(
        bed.l1.get_balance(d.l1.l1_bridge).await.unwrap(),
        bridge_before
    );
    assert!(!bed.is_finalized(0).await);

    wait_until("the covering output final", WAIT, || async {
        oracle.isFinal(covering).call().await.unwrap()
    })
    .await;
    let paid = bed.cli_json(Some(&user), &["finalize", "--nonce", "0"]);
    assert_eq!(paid["nonce"], 0, "{paid}");
    assert_eq!(
        bed.l1_balance(Address::ZERO, recipient).await,
        milli_units(300)
    );
    assert_eq!(
        bed.l1.get_balance(d.l1.l1_bridge).await.unwrap(),
        bridge_before - milli_units(300)
    );

    let again = bed.cli(Some(&user), &["finalize", "--nonce", "0"]);
    assert!(!again.status.success(), "a second finalize must fail");
    let stderr = String::from_utf8_lossy(&again.stderr).to_lowercase();
    assert!(stderr.contains("already"), "{stderr}");
    assert_eq!(
        bed.l1_balance(Address::ZERO, recipient).await,
        milli_units(300)
    );
    assert_eq!(
        bed.l1.get_balance(d.l1.l1_bridge).await.unwrap(),
        bridge_before - milli_units(300)
    );
}
