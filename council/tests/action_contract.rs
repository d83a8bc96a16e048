//! The Rust action digest against the real SecurityCouncil on anvil: `domainSeparator()` and
//! `actionDigest(...)` for every kind, and a trusted-dealer signature over the Rust digest accepted
//! by the contract through the calldata the crate builds (and refused for another action).

#[path = "common/chain.rs"]
mod chain;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use drawbridge_council::CouncilError;
use drawbridge_council::action::{Action, Domain, calls};
use drawbridge_council::chain::{council_state, submit};
use drawbridge_council::contract::SignatureExport;
use drawbridge_council::signing::{sign_in_memory, trusted_dealer};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[tokio::test]
async fn digest_and_domain_match_the_contract() {
    let chain = chain::CouncilChain::start();
    let mut rng = ChaCha20Rng::from_seed([21; 32]);
    let keys = trusted_dealer(3, 4, &mut rng).unwrap();
    let bridge = Address::repeat_byte(0x11);
    let oracle = Address::repeat_byte(0x22);
    let council = chain
        .deploy_council(&keys.export().unwrap(), bridge, oracle)
        .await;
    let sc = chain.council(council);
    let domain = Domain {
        chain_id: chain::CHAIN_ID,
        council,
    };
    assert_eq!(
        sc.domainSeparator().call().await.unwrap(),
        domain.separator()
    );

    let other_key = trusted_dealer(3, 4, &mut rng).unwrap().export().unwrap();
    let actions = [
        Action::pause(domain, bridge, 3_600, 0, 1_900_000_000),
        Action::unpause(domain, bridge, 1, 2_000_000_000),
        Action::resolve_dispute(domain, oracle, U256::from(7), true, 2, 5),
        Action::resolve_dispute(domain, oracle, U256::MAX, false, 3, u64::MAX),
        Action::schedule(domain, council, calls::rotate_key(&other_key), 4, 6),
        Action::schedule(
            domain,
            bridge,
            calls::upgrade_to_and_call(Address::repeat_byte(0x33), Default::default()),
            5,
            7,
        ),
        Action::cancel(domain, B256::repeat_byte(0x44), 6, 8),
    ];
    for a in &actions {
        let on_chain = sc
            .actionDigest(
                a.kind.code(),
                a.target,
                a.data.clone(),
                U256::from(a.nonce),
                U256::from(a.deadline),
            )
            .call()
            .await
            .unwrap();
        assert_eq!(on_chain, a.digest(), "{:?}", a.kind);
    }
}

#[tokio::test]
async fn pause_signed_over_the_rust_digest_is_accepted_once() {
    let chain = chain::CouncilChain::start();
    let mut rng = ChaCha20Rng::from_seed([22; 32]);
    let keys = trusted_dealer(3, 4, &mut rng).unwrap();
    let (council, bridge) = chain
        .deploy_council_with_bridge(&keys.export().unwrap())
        .await;
    let state = council_state(&chain.anvil.endpoint(), council)
        .await
        .unwrap();
    assert_eq!(state.l1_bridge, bridge);
    assert_eq!(state.nonce, 0);
    let domain = Domain {
        chain_id: state.chain_id,
        council,
    };
    let deadline = chain.timestamp().await + 3_600;
    let action = Action::pause(domain, state.l1_bridge, 600, state.nonce, deadline);
    let sig = sign_in_memory(&keys, &[1, 2, 4], action.digest().as_slice(), &mut rng).unwrap();
    let sig = SignatureExport::from_signature(&sig).unwrap();

    // A signature for another duration is refused by the contract (simulated, nothing sent).
    let other = Action::pause(domain, state.l1_bridge, 601, state.nonce, deadline);
    let err = submit(&chain.anvil.endpoint(), &chain.key(3), &other, &sig)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CouncilError::Chain(m) if m.contains("InvalidSignature")),
        "{err}"
    );

    let submitter = chain.key(3);
    let tx = submit(&chain.anvil.endpoint(), &submitter, &action, &sig)
        .await
        .unwrap();
    let receipt = chain
        .provider
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.status());
    let until = chain.bridge(bridge).pausedUntil().call().await.unwrap();
    let block = chain
        .provider
        .get_block_by_number(receipt.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(until, block.header.timestamp + 600);
    assert_eq!(
        chain.council(council).nonce().call().await.unwrap(),
        U256::from(1)
    );

    // The same signature again: the nonce moved on.
    let err = submit(&chain.anvil.endpoint(), &submitter, &action, &sig)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CouncilError::Chain(m) if m.contains("InvalidNonce")),
        "{err}"
    );
    // Another chain id in the domain: refused before anything is sent.
    let mut wrong = action.clone();
    wrong.domain.chain_id = 1;
    let err = submit(&chain.anvil.endpoint(), &submitter, &wrong, &sig)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CouncilError::Chain(m) if m.contains("chain 900")),
        "{err}"
    );
}
