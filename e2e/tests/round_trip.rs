//! ETH and ERC-20 round trips through the user CLI and a relayer process: deposit on L1, minted
//! on L2 once, withdraw on L2, paid on L1 exactly once after the output is final.

use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::Provider;
use drawbridge_bindings::IL1Bridge;
use drawbridge_testkit::{TestBed, milli_units, units, wait_until};

const WAIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread")]
async fn eth_and_erc20_round_trip_through_cli_and_relayer() {
    let bed = TestBed::start().await;
    let token = bed.devnet.test_token();
    let user = bed.user(0).clone();
    let token_arg = token.to_string();
    // Withdrawals go to a fresh L1 address so that its balance changes by exactly what is paid.
    let l1_recipient = Address::repeat_byte(0x5e);
    let l1_recipient_arg = l1_recipient.to_string();
    let bridge = IL1Bridge::new(bed.devnet.deployment.l1.l1_bridge, &bed.l1);
    bed.mint_test_tokens(user.address(), units(1000)).await;
    let relayer = bed.spawn_relayer("relayer.sqlite", &[]);

    let eth = bed.cli_json(
        Some(&user),
        &["deposit", "--token", "eth", "--amount", "1.5"],
    );
    assert_eq!(eth["nonce"], 0, "{eth}");
    let erc20 = bed.cli_json(
        Some(&user),
        &["deposit", "--token", &token_arg, "--amount", "250"],
    );
    assert_eq!(erc20["nonce"], 1, "{erc20}");
    assert_eq!(
        bed.l1
            .get_balance(bed.devnet.deployment.l1.l1_bridge)
            .await
            .unwrap(),
        milli_units(1500)
    );
    assert_eq!(bridge.escrowed(token).call().await.unwrap(), units(250));

    wait_until("both deposits minted on L2", WAIT, || async {
        bed.l2_balance(Address::ZERO, user.address()).await == milli_units(1500)
            && bed.l2_balance(token, user.address()).await == units(250)
    })
    .await;
    assert_eq!(bed.processed().await, 2);

    let w_eth = bed.cli_withdraw(&user, "eth", "0.4", &l1_recipient_arg);
    let w_erc20 = bed.cli_withdraw(&user, &token_arg, "100", &l1_recipient_arg);
    assert_eq!(
        (w_eth["nonce"].as_u64(), w_erc20["nonce"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        bed.l2_balance(Address::ZERO, user.address()).await,
        milli_units(1100)
    );
    assert_eq!(bed.l2_balance(token, user.address()).await, units(150));

    wait_until(
        "both withdrawals finalized by the relayer",
        WAIT,
        || async { bed.is_finalized(0).await && bed.is_finalized(1).await },
    )
    .await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, l1_recipient).await,
        milli_units(400)
    );
    assert_eq!(bed.l1_balance(token, l1_recipient).await, units(100));
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        milli_units(1100)
    );
    assert_eq!(bridge.escrowed(token).call().await.unwrap(), units(150));
    assert_eq!(
        bed.l1
            .get_balance(bed.devnet.deployment.l1.l1_bridge)
            .await
            .unwrap(),
        milli_units(1100)
    );

    let status = bed.cli_json(None, &["status", "--withdrawal", "0"]);
    let text = status.to_string().to_lowercase();
    assert!(text.contains("finalized"), "status after payment: {status}");
    let status = bed.cli_json(None, &["status", "--deposit", "1"]);
    assert!(
        status.to_string().to_lowercase().contains("delivered"),
        "deposit status: {status}"
    );

    // A few more blocks: nothing is paid twice.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, l1_recipient).await,
        milli_units(400)
    );
    assert_eq!(bed.l1_balance(token, l1_recipient).await, units(100));
    assert_eq!(bed.processed().await, 2);
    assert_eq!(
        bed.l2_balance(token, user.address()).await,
        units(150),
        "{}",
        relayer.log()
    );
}
