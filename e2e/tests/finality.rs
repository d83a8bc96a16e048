//! A user finalizes their own withdrawal with the CLI (no relayer finalizing): refused while the
//! covering output is inside its challenge window, paid exactly once when it is final, refused
//! again after that, and every refusal leaves the balances unchanged. And finality never goes
//! backwards: final once the window passed and no dispute at or below is open (an upheld verdict
//! only ends a dispute).

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use drawbridge_bindings::IOutputOracle;
use drawbridge_devnet::DevnetOptions;
use drawbridge_testkit::{Mined, TestBed, milli_units, wait_until};

const WAIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread")]
async fn cli_finalize_waits_for_finality_and_pays_once() {
    let mut options = DevnetOptions::default();
    // A window long enough that the early attempt surely falls inside it (and an upgrade delay
    // that still covers challenge + forced inclusion + council response + exit windows).
    options.params.challenge_period = 30;
    options.params.upgrade_delay = 150;
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
    let withdrawal = bed.cli_withdraw(&user, "eth", "0.3", &recipient.to_string());
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
    // The recipient is paid the 0.3 ETH from the bridge's balance, once.
    let paid_once = || async {
        assert_eq!(
            bed.l1_balance(Address::ZERO, recipient).await,
            milli_units(300)
        );
        assert_eq!(
            bed.l1.get_balance(d.l1.l1_bridge).await.unwrap(),
            bridge_before - milli_units(300)
        );
    };
    let paid = bed.cli_json(Some(&user), &["finalize", "--nonce", "0"]);
    assert_eq!(paid["nonce"], 0, "{paid}");
    paid_once().await;

    let again = bed.cli(Some(&user), &["finalize", "--nonce", "0"]);
    assert!(!again.status.success(), "a second finalize must fail");
    let stderr = String::from_utf8_lossy(&again.stderr).to_lowercase();
    assert!(stderr.contains("already"), "{stderr}");
    paid_once().await;
}

/// Finality never goes backwards (issue 9): an upheld verdict only ends a dispute, it does not make
/// an output final before its window has passed, and a dispute at or below an output keeps it from
/// being final. Once final, an output stays final: nothing at or below it can be challenged.
#[tokio::test(flavor = "multi_thread")]
async fn an_upheld_output_is_final_only_once_its_window_passed_and_no_lower_dispute_is_open() {
    let mut options = DevnetOptions::default();
    options.params.challenge_period = 20;
    let bed = TestBed::start_with(options).await;
    let d = bed.devnet.deployment.clone();
    let accounts = bed.devnet.accounts.clone();
    let challenger = IOutputOracle::new(d.l1.output_oracle, bed.l1_as(&accounts.challenger));
    let oracle = IOutputOracle::new(d.l1.output_oracle, &bed.l1);
    // Two outputs (no L1 message consumed: count 0, root 0).
    bed.propose_made_up_outputs(&[(1, 0x11), (2, 0x22)], d.params.proposer_bond)
        .await;
    let challenge = |index: u64| {
        let challenger = challenger.clone();
        async move {
            challenger
                .challenge(U256::from(index))
                .value(d.params.challenger_bond)
                .mined()
                .await
                .status()
        }
    };
    let is_final = |index: u64| {
        let oracle = oracle.clone();
        async move { oracle.isFinal(U256::from(index)).call().await.unwrap() }
    };

    // Output 1 challenged and upheld at once: the dispute is over, but its window is not.
    assert!(challenge(1).await);
    bed.devnet.council_resolve_dispute(1, true).await.unwrap();
    assert_eq!(
        oracle.getOutput(U256::from(1)).call().await.unwrap().status,
        3
    );
    assert!(
        !is_final(1).await,
        "upheld is not final before the window ends"
    );
    assert!(oracle.latestFinalIndex().call().await.is_err());

    // A later challenge of the lower output 0 (still in its window) holds both back.
    assert!(challenge(0).await);
    let proposed_at = oracle
        .getOutput(U256::from(1))
        .call()
        .await
        .unwrap()
        .proposedAt;
    wait_until("output 1's window passed", WAIT, || async {
        drawbridge_testkit::latest_timestamp(&bed.l1).await >= proposed_at + 20
    })
    .await;
    assert!(
        !is_final(0).await && !is_final(1).await,
        "a dispute at 0 is open"
    );
    bed.devnet.council_resolve_dispute(0, true).await.unwrap();
    assert!(is_final(0).await && is_final(1).await);
    assert_eq!(
        oracle.latestFinalIndex().call().await.unwrap(),
        U256::from(1)
    );
    // Final for good: nothing at or below can be challenged any more.
    assert!(!challenge_succeeds(&challenger, 0, d.params.challenger_bond).await);
    assert!(is_final(0).await && is_final(1).await);
}

async fn challenge_succeeds(
    challenger: &IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
    index: u64,
    bond: U256,
) -> bool {
    challenger
        .challenge(U256::from(index))
        .value(bond)
        .call()
        .await
        .is_ok()
}
