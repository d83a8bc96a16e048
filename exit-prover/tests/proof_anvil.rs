//! Escape proofs from a real anvil L2: a real `BridgedToken` balance proven under a real output's
//! state root is accepted with exactly the balance the token reports at that block; a wrong root,
//! a tampered node, another account's proof, an empty account and a missing token are refused
//! with the error that names the failed check.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use common::{ExitProverBed, units};
use drawbridge_bindings::IL2Bridge;
use drawbridge_exit_prover::{EscapeTarget, ExitError, fetch_escape_proof};
use drawbridge_relayer::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_proofs_are_accepted_and_forgeries_refused() {
    let bed = ExitProverBed::start().await;
    let relayer = bed
        .relayer(&[Role::Deliver, Role::Propose], "relayer.sqlite")
        .await;
    let alice = bed.user(0);
    let bob = bed.user(1);
    bed.deposit_eth(&alice, units(2)).await;
    bed.deposit_eth(&bob, units(3)).await;
    let (index, output) = bed.final_output_with(2).await;
    relayer.stop().await;

    let ctx = bed.context();
    let l2 = bed.l2(&bed.devnet.accounts.challenger);
    let l2_token = IL2Bridge::new(bed.devnet.deployment.l2.l2_bridge, l2.clone())
        .bridgedToken(Address::ZERO)
        .call()
        .await
        .unwrap();
    assert!(!l2_token.is_zero(), "the ETH bridged token exists");
    let target = |account: Address| EscapeTarget {
        l1_token: Address::ZERO,
        l2_token,
        account,
        output_index: index,
        l2_block_number: output.l2BlockNumber,
        l2_state_root: output.l2StateRoot,
    };

    // Accepted, with the balance balanceOf reports at the output's block.
    let proof = fetch_escape_proof(&ctx.l2, &target(alice.address()))
        .await
        .expect("a real proof verifies");
    let at_block = drawbridge_client::revert::erc20::IERC20::new(l2_token, l2.clone())
        .balanceOf(alice.address())
        .block(output.l2BlockNumber.into())
        .call()
        .await
        .unwrap();
    assert_eq!(proof.balance, at_block);
    assert_eq!(proof.balance, units(2));
    assert_eq!(
        proof.verify_against(&target(alice.address())).unwrap(),
        units(2)
    );
    let bob_proof = fetch_escape_proof(&ctx.l2, &target(bob.address()))
        .await
        .unwrap();
    assert_eq!(bob_proof.balance, units(3));

    // Another root: the node's block does not carry it.
    let other_block = l2
        .get_block_by_number((output.l2BlockNumber - 1).into())
        .await
        .unwrap()
        .unwrap();
    let mut wrong = target(alice.address());
    wrong.l2_state_root = other_block.header.state_root;
    assert_ne!(wrong.l2_state_root, output.l2StateRoot);
    let err = fetch_escape_proof(&ctx.l2, &wrong).await.unwrap_err();
    assert!(matches!(err, ExitError::StateRootMismatch { .. }), "{err}");
    // The same real proof checked against that root fails the account proof.
    let err = proof.verify_against(&wrong).unwrap_err();
    assert!(matches!(err, ExitError::ProofMismatch(_)), "{err}");
    let mut relabelled = proof.clone();
    relabelled.target.l2_state_root = other_block.header.state_root;
    let err = relabelled.verify().unwrap_err();
    assert!(matches!(err, ExitError::AccountProof { .. }), "{err}");

    // A tampered node of the real storage proof.
    let mut tampered = proof.clone();
    let last = tampered.storage_proof.len() - 1;
    let mut node = tampered.storage_proof[last].to_vec();
    let n = node.len();
    node[n - 1] ^= 0x01;
    tampered.storage_proof[last] = node.into();
    let err = tampered.verify().unwrap_err();
    assert!(matches!(err, ExitError::StorageProof { .. }), "{err}");

    // Bob's real proof presented for Alice, and Alice's claiming Bob's balance.
    let mut swapped = bob_proof.clone();
    swapped.target.account = alice.address();
    swapped.slot = drawbridge_exit_prover::balance_slot(alice.address());
    let err = swapped.verify().unwrap_err();
    assert!(matches!(err, ExitError::StorageProof { .. }), "{err}");
    let mut inflated = proof.clone();
    inflated.balance = bob_proof.balance;
    assert!(matches!(
        inflated.verify(),
        Err(ExitError::StorageProof { .. })
    ));

    // An account that never held the token: a verified zero.
    let err = fetch_escape_proof(&ctx.l2, &target(bed.user(5).address()))
        .await
        .unwrap_err();
    assert!(matches!(err, ExitError::ZeroBalance { .. }), "{err}");

    // A token that was never deployed on L2: its absence is proven.
    let never = Address::repeat_byte(0x77);
    let predicted = IL2Bridge::new(bed.devnet.deployment.l2.l2_bridge, l2.clone())
        .predictBridgedToken(never)
        .call()
        .await
        .unwrap();
    let mut missing = target(alice.address());
    missing.l1_token = never;
    missing.l2_token = predicted;
    let err = fetch_escape_proof(&ctx.l2, &missing).await.unwrap_err();
    assert!(matches!(err, ExitError::TokenNotDeployed { .. }), "{err}");
    assert_eq!(
        proof.balance,
        U256::from(2u64) * U256::from(10u64).pow(U256::from(18u64))
    );
}
