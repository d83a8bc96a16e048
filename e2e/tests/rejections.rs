//! Bad input is rejected on both chains and changes nothing: an unknown or zero root on L2, a
//! forged proof, a withdrawal whose fields were altered, a replayed withdrawal, and a withdrawal
//! against an output that is not final yet. Every balance and counter is checked unchanged after
//! each attempt. No relayer runs: the test plays relayer and proposer itself.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{L1Message, MerkleTree, Withdrawal};
use drawbridge_testkit::{Mined, TestBed, l2_message, message_from_event, milli_units, wait_until};
use std::time::Duration;

/// The name of the custom error an L1Bridge call reverted with.
fn l1_error<E: std::fmt::Debug>(result: Result<E, alloy::contract::Error>) -> String {
    let err = result.expect_err("the call must revert");
    match err.as_decoded_interface_error::<IL1Bridge::IL1BridgeErrors>() {
        Some(decoded) => format!("{decoded:?}"),
        None => panic!("not an L1Bridge error: {err}"),
    }
}

fn l2_error<E: std::fmt::Debug>(result: Result<E, alloy::contract::Error>) -> String {
    let err = result.expect_err("the call must revert");
    match err.as_decoded_interface_error::<IL2Bridge::IL2BridgeErrors>() {
        Some(decoded) => format!("{decoded:?}"),
        None => panic!("not an L2Bridge error: {err}"),
    }
}

fn message_from(receipt: &TransactionReceipt) -> L1Message {
    let event = receipt
        .decoded_log::<IL1Bridge::MessageSent>()
        .expect("MessageSent")
        .data;
    message_from_event(&event)
}

fn claim(w: &Withdrawal) -> IL1Bridge::Withdrawal {
    IL1Bridge::Withdrawal {
        nonce: w.nonce,
        sender: w.sender,
        recipient: w.recipient,
        l1Token: w.l1_token,
        amount: w.amount,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_replayed_and_unknown_inputs_are_rejected_and_change_nothing() {
    let bed = TestBed::start().await;
    let d = bed.devnet.deployment.clone();
    let user = bed.user(0).clone();
    let relayer = bed.devnet.accounts.relayer.clone();
    let l1_user = bed.l1_as(&user);
    let l2_user = bed.l2_as(&user);
    let l1_relayer = bed.l1_as(&relayer);
    let l2_relayer = bed.l2_as(&relayer);
    let l1_bridge = IL1Bridge::new(d.l1.l1_bridge, &l1_user);
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2_relayer);

    // Two ETH deposits on L1, committed.
    let mut messages = Vec::new();
    for amount in [milli_units(700), milli_units(300)] {
        let receipt = l1_bridge
            .depositETH(user.address())
            .value(amount)
            .mined()
            .await;
        messages.push(message_from(&receipt));
    }
    IL1Bridge::new(d.l1.l1_bridge, &l1_relayer)
        .commitMessageRoot()
        .mined()
        .await;
    let tree = MerkleTree::from_leaves(
        messages
            .iter()
            .map(|m| m.leaf(d.l1.chain_id, d.l1.l1_bridge)),
    )
    .unwrap();
    let root = tree.root();
    assert_eq!(
        IL1Bridge::new(d.l1.l1_bridge, &bed.l1)
            .messageRootCount(root)
            .call()
            .await
            .unwrap(),
        2
    );
    let batch: Vec<_> = messages.iter().map(l2_message).collect();
    let proofs: Vec<Vec<B256>> = (0..2).map(|i| tree.proof(i, 2).unwrap()).collect();

    // L2 refuses a root the oracle does not know (a genuine L1 root not yet published), and zero.
    let err = l2_error(
        l2_bridge
            .relayMessages(batch.clone(), root, proofs.clone())
            .call()
            .await,
    );
    assert!(err.contains("UnknownRoot"), "{err}");
    let err = l2_error(
        l2_bridge
            .relayMessages(batch.clone(), B256::ZERO, proofs.clone())
            .call()
            .await,
    );
    assert!(err.contains("UnknownRoot"), "{err}");
    assert_eq!(bed.processed().await, 0);

    IL1RootOracle::new(d.l2.root_oracle, &l2_relayer)
        .publishRoot(root, 2)
        .mined()
        .await;
    // A message altered after the fact does not verify against the published root.
    let mut inflated = batch.clone();
    inflated[0].amount = milli_units(7000);
    let err = l2_error(
        l2_bridge
            .relayMessages(inflated, root, proofs.clone())
            .call()
            .await,
    );
    assert!(err.contains("InvalidProof"), "{err}");
    // Out of order is refused too.
    let err = l2_error(
        l2_bridge
            .relayMessages(vec![batch[1].clone()], root, vec![proofs[1].clone()])
            .call()
            .await,
    );
    assert!(err.contains("OutOfOrder"), "{err}");
    assert_eq!(bed.processed().await, 0);
    assert_eq!(
        bed.l2_balance(Address::ZERO, user.address()).await,
        U256::ZERO
    );

    l2_bridge
        .relayMessages(batch.clone(), root, proofs.clone())
        .mined()
        .await;
    assert_eq!(bed.processed().await, 2);
    assert_eq!(
        bed.l2_balance(Address::ZERO, user.address()).await,
        milli_units(1000)
    );
    // Delivering the same messages again is refused: each is processed exactly once.
    let err = l2_error(l2_bridge.relayMessages(batch, root, proofs).call().await);
    assert!(err.contains("OutOfOrder"), "{err}");

    // Two withdrawals on L2 to fresh L1 recipients.
    let recipients = [Address::repeat_byte(0xa1), Address::repeat_byte(0xa2)];
    let mut withdrawals = Vec::new();
    let l2_bridge_user = IL2Bridge::new(d.l2.l2_bridge, &l2_user);
    let mut last_block = 0;
    for (i, amount) in [milli_units(400), milli_units(250)].into_iter().enumerate() {
        let receipt = l2_bridge_user
            .withdraw(Address::ZERO, recipients[i], amount)
            .mined()
            .await;
        let event = receipt
            .decoded_log::<IL2Bridge::WithdrawalInitiated>()
            .expect("WithdrawalInitiated")
            .data;
        withdrawals.push(Withdrawal {
            nonce: event.nonce,
            sender: event.sender,
            recipient: event.recipient,
            l1_token: event.l1Token,
            amount: event.amount,
        });
        last_block = receipt.block_number.unwrap();
    }
    let wtree = MerkleTree::from_leaves(
        withdrawals
            .iter()
            .map(|w| w.leaf(d.l2.chain_id, d.l2.l2_bridge)),
    )
    .unwrap();

    // The proposer posts an output at the block of the last withdrawal.
    let block = bed
        .l2
        .get_block_by_number(last_block.into())
        .await
        .unwrap()
        .expect("block");
    let at = l2_bridge
        .withdrawalRoot()
        .call()
        .block(last_block.into())
        .await
        .unwrap();
    assert_eq!(
        at,
        wtree.root(),
        "the contract's withdrawal root equals the Rust tree's"
    );
    // L2 consumed exactly L1's two messages: its consumed-message root is the one L1 committed.
    let consumed = l2_bridge
        .l1MessageRoot()
        .call()
        .block(last_block.into())
        .await
        .unwrap();
    let oracle = IOutputOracle::new(d.l1.output_oracle, &l1_relayer);
    oracle
        .propose(
            last_block,
            block.header.hash,
            block.header.state_root,
            at,
            2,
            consumed,
        )
        .value(d.params.proposer_bond)
        .mined()
        .await;

    let bridge_balance = || async { bed.l1.get_balance(d.l1.l1_bridge).await.unwrap() };
    let before = bridge_balance().await;
    assert_eq!(before, milli_units(1000));
    let l1_bridge_r = IL1Bridge::new(d.l1.l1_bridge, &l1_relayer);
    let w0 = claim(&withdrawals[0]);
    let p0 = wtree.proof(0, 2).unwrap();

    // Not final yet: refused.
    let err = l1_error(
        l1_bridge_r
            .finalizeWithdrawal(w0.clone(), U256::ZERO, p0.clone())
            .call()
            .await,
    );
    assert!(err.contains("OutputNotFinal"), "{err}");

    wait_until("output 0 final", Duration::from_secs(60), || async {
        IOutputOracle::new(d.l1.output_oracle, &bed.l1)
            .isFinal(U256::ZERO)
            .call()
            .await
            .unwrap()
    })
    .await;

    // A forged proof: one sibling flipped.
    let mut forged = p0.clone();
    forged[0] = B256::repeat_byte(0x42);
    let err = l1_error(
        l1_bridge_r
            .finalizeWithdrawal(w0.clone(), U256::ZERO, forged)
            .call()
            .await,
    );
    assert!(err.contains("InvalidProof"), "{err}");
    // The real proof with an altered amount, recipient, or the other withdrawal's index.
    for altered in [
        IL1Bridge::Withdrawal {
            amount: milli_units(4000),
            ..w0.clone()
        },
        IL1Bridge::Withdrawal {
            recipient: Address::repeat_byte(0xee),
            ..w0.clone()
        },
        IL1Bridge::Withdrawal {
            nonce: 1,
            ..w0.clone()
        },
    ] {
        let err = l1_error(
            l1_bridge_r
                .finalizeWithdrawal(altered, U256::ZERO, p0.clone())
                .call()
                .await,
        );
        assert!(err.contains("InvalidProof"), "{err}");
    }
    // A proof against an output index that does not exist.
    let err = l1_error(
        l1_bridge_r
            .finalizeWithdrawal(w0.clone(), U256::from(7), p0.clone())
            .call()
            .await,
    );
    assert!(err.contains("OutputNotFinal"), "{err}");
    assert_eq!(bridge_balance().await, before);
    assert_eq!(
        bed.l1_balance(Address::ZERO, recipients[0]).await,
        U256::ZERO
    );
    assert!(!bed.is_finalized(0).await);

    // The genuine claim pays exactly once.
    l1_bridge_r
        .finalizeWithdrawal(w0.clone(), U256::ZERO, p0.clone())
        .mined()
        .await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, recipients[0]).await,
        milli_units(400)
    );
    assert_eq!(bridge_balance().await, milli_units(600));
    let err = l1_error(
        l1_bridge_r
            .finalizeWithdrawal(w0.clone(), U256::ZERO, p0.clone())
            .call()
            .await,
    );
    assert!(err.contains("AlreadyFinalized"), "{err}");
    // A replay inside a batch pays nothing again; the new claim in the batch is paid.
    let batch = vec![
        IL1Bridge::WithdrawalClaim {
            withdrawal: w0,
            proof: p0,
        },
        IL1Bridge::WithdrawalClaim {
            withdrawal: claim(&withdrawals[1]),
            proof: wtree.proof(1, 2).unwrap(),
        },
    ];
    // Sent twice: the second time pays nothing at all.
    for batch in [batch.clone(), batch] {
        l1_bridge_r
            .finalizeWithdrawals(batch, U256::ZERO)
            .mined()
            .await;
        assert_eq!(
            bed.l1_balance(Address::ZERO, recipients[0]).await,
            milli_units(400)
        );
        assert_eq!(
            bed.l1_balance(Address::ZERO, recipients[1]).await,
            milli_units(250)
        );
        assert_eq!(bridge_balance().await, milli_units(350));
    }
}
