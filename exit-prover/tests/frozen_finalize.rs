//! After a freeze the bridge pays withdrawals only against outputs up to the escape output; an
//! output proposed before the freeze that becomes final after it has a larger index, and
//! finalizing against it reverts `OutputAfterEscape`. The relayer's finalize role must pay an
//! in-flight withdrawal against the escape output instead (relayer 27e2182; before it, the role
//! kept sending against the newest final output and the withdrawal was never paid).

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use common::{ExitProverBed, Mined, units, wait_for, wait_until_time};
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_relayer::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relayer_pays_against_the_escape_output_not_a_newer_final_one() {
    let bed = ExitProverBed::start().await;
    let alice = bed.user(0);
    let l1 = bed.l1(&bed.devnet.accounts.challenger);
    let bridge = IL1Bridge::new(bed.devnet.deployment.l1.l1_bridge, l1.clone());
    let oracle = bed.oracle();

    // Honest phase: the deposit is delivered; alice withdraws 1 ETH to a fresh L1 address.
    let relayer = bed
        .relayer(&[Role::Deliver, Role::Propose], "relayer.sqlite")
        .await;
    bed.deposit_eth(&alice, units(2)).await;
    bed.final_output_with(1).await;
    let recipient = Address::repeat_byte(0x77);
    let l2_bridge = IL2Bridge::new(bed.devnet.deployment.l2.l2_bridge, bed.l2(&alice));
    let receipt = l2_bridge
        .withdraw(Address::ZERO, recipient, units(1))
        .mined()
        .await;
    assert!(receipt.status());
    let withdrawal_block = receipt.block_number.unwrap();
    let nonce = l2_bridge.withdrawalCount().call().await.unwrap() - 1;

    // The operator stops processing L1 messages (outputs keep coming); alice forces a withdrawal.
    relayer.stop().await;
    let proposer = bed.relayer(&[Role::Propose], "relayer.sqlite").await;
    let alice_l1 = IL1Bridge::new(bed.devnet.deployment.l1.l1_bridge, bed.l1(&alice));
    let forced = alice_l1
        .requestForcedWithdrawal(Address::ZERO, units(1))
        .mined()
        .await;
    assert!(forced.status());
    let forced_nonce = bridge.messageCount().call().await.unwrap() - 1;
    let freeze_at = bridge
        .forcedWithdrawalFreezeAt(forced_nonce)
        .call()
        .await
        .unwrap();
    wait_until_time(&l1, freeze_at).await;
    // Freeze while an output covering the withdrawal is final and a newer one is still in its
    // window: that one becomes final after the freeze, with a larger index than the escape output.
    wait_for("a proposed output newer than the newest final one", || {
        let oracle = oracle.clone();
        async move {
            let count: u64 = oracle.outputCount().call().await.ok()?.to();
            let newest_final: u64 = oracle.latestFinalIndex().call().await.ok()?.to();
            let output = oracle
                .getOutput(U256::from(newest_final))
                .call()
                .await
                .ok()?;
            (count > newest_final + 1 && output.l2BlockNumber >= withdrawal_block).then_some(())
        }
    })
    .await;
    proposer.stop().await;
    let receipt = bridge.freeze(forced_nonce).mined().await;
    assert!(receipt.status(), "freeze");
    let escape = bridge.escapeOutput().call().await.unwrap();
    assert!(escape.hasEscapeOutput);
    let escape_index: u64 = escape.outputIndex.to();
    wait_for(
        "an output newer than the escape output to become final",
        || {
            let oracle = oracle.clone();
            async move {
                let newest_final: u64 = oracle.latestFinalIndex().call().await.ok()?.to();
                (newest_final > escape_index).then_some(())
            }
        },
    )
    .await;
    assert!(!bridge.isWithdrawalFinalized(nonce).call().await.unwrap());
    let escrow = bridge.escrowed(Address::ZERO).call().await.unwrap();

    // The finalize role pays the withdrawal once, against the escape output.
    let finalizer = bed.relayer(&[Role::Finalize], "relayer.sqlite").await;
    wait_for("the withdrawal paid after the freeze", || {
        let bridge = bridge.clone();
        async move {
            bridge
                .isWithdrawalFinalized(nonce)
                .call()
                .await
                .ok()?
                .then_some(())
        }
    })
    .await;
    finalizer.stop().await;
    assert_eq!(
        l1.get_balance(recipient).await.unwrap(),
        units(1),
        "paid once"
    );
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        escrow - units(1)
    );
    let paid = bridge
        .WithdrawalFinalized_filter()
        .from_block(0)
        .query()
        .await
        .unwrap();
    assert_eq!(paid.len(), 1, "one finalization");
    assert_eq!(
        paid[0].0.outputIndex, escape.outputIndex,
        "against the escape output"
    );
}
