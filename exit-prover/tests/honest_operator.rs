//! An honest operator is never frozen: a forced withdrawal that the real relayer delivers and a
//! final output covers shows as `processed` in `status`, and `freeze` refuses it before sending,
//! also after its freeze time; the contract itself refuses it too (`NotOverdue`). Called through the
//! library functions the binary uses.

mod common;

use alloy::primitives::{Address, U256};
use common::{ExitProverBed, units, wait_until_time};
use drawbridge_bindings::IL1Bridge;
use drawbridge_client::TokenArg;
use drawbridge_client::amount::AmountArg;
use drawbridge_exit_prover::ExitError;
use drawbridge_exit_prover::commands;
use drawbridge_exit_prover::report::ForcedStage;
use drawbridge_relayer::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processed_forced_withdrawal_cannot_freeze() {
    let bed = ExitProverBed::start().await;
    let relayer = bed
        .relayer(&[Role::Deliver, Role::Propose], "relayer.sqlite")
        .await;
    let alice = bed.user(0);
    bed.deposit_eth(&alice, units(2)).await;
    bed.final_output_with(1).await;

    let ctx = bed.context();
    // Bad input changes nothing: zero and malformed amounts are refused when parsed, before any
    // transaction can be built.
    for bad in ["0", "-1", "1e18", ""] {
        let err = bad.parse::<AmountArg>().unwrap_err();
        assert!(err.to_string().contains("invalid amount"), "{bad}: {err}");
    }
    let half: AmountArg = "0.5".parse().unwrap();
    let forced = commands::force(&ctx, &alice, TokenArg::Eth, &half)
        .await
        .unwrap();
    assert_eq!(forced.nonce, 1);
    assert_eq!(
        forced.l2_balance.as_deref(),
        Some(units(2).to_string().as_str())
    );

    // The relayer delivers it (kind 2 burns on L2) and a final output covers it.
    bed.final_output_with(forced.nonce + 1).await;
    let status = commands::status(&ctx, Some(forced.nonce), None)
        .await
        .unwrap();
    assert_eq!(status.forced[0].stage, ForcedStage::Processed, "{status}");
    assert!(!status.forced[0].can_freeze);
    relayer.stop().await;

    // Past its freeze time it is still not freezable.
    wait_until_time(&bed.l1(&alice), forced.freeze_at).await;
    let err = commands::freeze(&ctx, &bed.user(1), forced.nonce)
        .await
        .unwrap_err();
    match &err {
        ExitError::CannotFreeze { reason, .. } => {
            assert!(reason.contains("processed it"), "{reason}")
        }
        other => panic!("{other}"),
    }
    let bridge = IL1Bridge::new(bed.devnet.deployment.l1.l1_bridge, bed.l1(&alice));
    // Not only the client: the bridge refuses the freeze itself.
    let err = bridge.freeze(forced.nonce).call().await.unwrap_err();
    assert!(
        matches!(
            err.as_decoded_interface_error::<IL1Bridge::IL1BridgeErrors>(),
            Some(IL1Bridge::IL1BridgeErrors::NotOverdue(_))
        ),
        "{err}"
    );
    assert!(!bridge.frozen().call().await.unwrap());
    // The L2 balance went down by the forced amount.
    assert_eq!(
        bed.l2_balance(Address::ZERO, alice.address()).await,
        units(2) - units(1) / U256::from(2u8)
    );
}
