//! Property tests of leaves, trees and short proofs.

use alloy::primitives::{Address, B256, Bytes, ChainId, U256, keccak256};
use drawbridge_protocol::{
    Frontier, L1Message, MerkleTree, MessageKind, ProtocolError, TREE_DEPTH, Withdrawal,
    compute_root, proof_length, verify, zero_hashes,
};
use proptest::prelude::*;

/// Leaves as the bridges make them: keccak outputs (never the empty leaf).
fn leaves(max: usize) -> impl Strategy<Value = Vec<B256>> {
    prop::collection::vec(any::<[u8; 32]>().prop_map(keccak256), 1..=max)
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn kind() -> impl Strategy<Value = MessageKind> {
    prop_oneof![
        Just(MessageKind::Deposit),
        Just(MessageKind::ForcedWithdrawal)
    ]
}

fn message() -> impl Strategy<Value = L1Message> {
    (
        kind(),
        any::<u64>(),
        address(),
        address(),
        address(),
        u256(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(
            |(kind, nonce, sender, recipient, token, amount, data)| L1Message {
                kind,
                nonce,
                sender,
                recipient,
                token,
                amount,
                data: Bytes::from(data),
            },
        )
}

fn withdrawal() -> impl Strategy<Value = Withdrawal> {
    (any::<u64>(), address(), address(), address(), u256()).prop_map(
        |(nonce, sender, recipient, l1_token, amount)| Withdrawal {
            nonce,
            sender,
            recipient,
            l1_token,
            amount,
        },
    )
}

/// A tree of random leaves with a random `count <= n` and `index < count`.
fn tree_count_index(max: usize) -> impl Strategy<Value = (Vec<B256>, u64, u64)> {
    leaves(max)
        .prop_flat_map(|leaves| {
            let n = leaves.len() as u64;
            (Just(leaves), 1..=n)
        })
        .prop_flat_map(|(leaves, count)| (Just(leaves), Just(count), 0..count))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frontier_root_equals_tree_root(leaves in leaves(300)) {
        let mut frontier = Frontier::new();
        let mut tree = MerkleTree::new();
        for (i, leaf) in leaves.iter().enumerate() {
            prop_assert_eq!(frontier.push(*leaf).unwrap(), i as u64);
            prop_assert_eq!(tree.push(*leaf).unwrap(), i as u64);
        }
        prop_assert_eq!(frontier.root(), tree.root());
        prop_assert_eq!(tree.frontier().root(), tree.root());
        prop_assert_eq!(frontier.count(), tree.len());
    }

    #[test]
    fn every_proof_verifies_against_its_historical_root((leaves, count, index) in tree_count_index(300)) {
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        let root = tree.root_at(count).unwrap();
        let proof = tree.proof(index, count).unwrap();
        prop_assert_eq!(proof.len(), proof_length(count));
        prop_assert!(verify(leaves[index as usize], index, &proof, root));
        prop_assert_eq!(compute_root(leaves[index as usize], index, &proof), Ok(root));
        // The same proof padded with the zero subtrees above it is the full-length proof.
        let mut long = proof.clone();
        long.extend_from_slice(&zero_hashes()[proof.len()..TREE_DEPTH]);
        prop_assert!(verify(leaves[index as usize], index, &long, root));
    }

    #[test]
    fn tampered_proofs_fail(
        (leaves, count, index) in tree_count_index(300),
        position in any::<prop::sample::Index>(),
        bit in 0usize..256,
        other_index in any::<u64>(),
        extra in any::<[u8; 32]>(),
        other_leaf in any::<[u8; 32]>(),
    ) {
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        let root = tree.root_at(count).unwrap();
        let proof = tree.proof(index, count).unwrap();
        let leaf = leaves[index as usize];
        let k = proof.len();

        // Any sibling with one bit flipped.
        if k > 0 {
            let mut flipped = proof.clone();
            let at = position.index(k);
            flipped[at].0[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify(leaf, index, &flipped, root));
        }

        // A wrong index, inside or outside 2^k.
        let wrong = other_index % (1u64 << k.max(1));
        if wrong != index {
            prop_assert!(!verify(leaf, wrong, &proof, root));
        }
        let too_large = (1u64 << k) + (other_index % (1 << 20));
        prop_assert!(!verify(leaf, too_large, &proof, root));
        prop_assert_eq!(
            compute_root(leaf, too_large, &proof),
            Err(ProtocolError::IndexTooLargeForProof { index: too_large, proof_len: k })
        );

        // A longer proof (a sibling that is not the zero subtree) and a shorter one.
        if k < TREE_DEPTH {
            let mut longer = proof.clone();
            let extra = B256::from(extra);
            prop_assume!(extra != zero_hashes()[k]);
            longer.push(extra);
            prop_assert!(!verify(leaf, index, &longer, root));
        }
        if k > 0 {
            prop_assert!(!verify(leaf, index, &proof[..k - 1], root));
        }
        let too_long = vec![B256::ZERO; TREE_DEPTH + 1];
        prop_assert_eq!(compute_root(leaf, index, &too_long), Err(ProtocolError::ProofTooLong(TREE_DEPTH + 1)));

        // Another leaf in the same position.
        let other_leaf = B256::from(other_leaf);
        prop_assume!(other_leaf != leaf);
        prop_assert!(!verify(other_leaf, index, &proof, root));
    }

    #[test]
    fn proof_rejects_index_at_or_above_count((leaves, count, _index) in tree_count_index(100), over in 0u64..50) {
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        let index = count + over;
        prop_assert_eq!(tree.proof(index, count), Err(ProtocolError::IndexOutOfRange { index, count }));
        let beyond = tree.len() + 1 + over;
        prop_assert_eq!(tree.proof(0, beyond), Err(ProtocolError::CountOutOfRange { count: beyond, len: tree.len() }));
    }

    #[test]
    fn historical_root_equals_fresh_prefix_tree((leaves, count, _index) in tree_count_index(300)) {
        let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
        let prefix = &leaves[..count as usize];
        let fresh = MerkleTree::from_leaves(prefix.iter().copied()).unwrap();
        prop_assert_eq!(tree.root_at(count).unwrap(), fresh.root());
        prop_assert_eq!(Frontier::from_leaves(prefix.iter().copied()).unwrap().root(), fresh.root());
        // Proofs against the prefix are the same whether the tree knows more leaves or not.
        let index = count - 1;
        prop_assert_eq!(tree.proof(index, count).unwrap(), fresh.proof_latest(index).unwrap());
        // Truncating gives the prefix tree back.
        let mut truncated = tree.clone();
        truncated.truncate(count);
        prop_assert_eq!(truncated, fresh);
    }

    #[test]
    fn l1_message_leaf_binds_every_field(
        m in message(),
        other in message(),
        chain in any::<ChainId>(),
        other_chain in any::<ChainId>(),
        bridge in address(),
        other_bridge in address(),
    ) {
        let leaf = m.leaf(chain, bridge);
        prop_assert_eq!(leaf, keccak256(m.inner_hash(chain, bridge)));
        if other_chain != chain {
            prop_assert_ne!(m.leaf(other_chain, bridge), leaf);
        }
        if other_bridge != bridge {
            prop_assert_ne!(m.leaf(chain, other_bridge), leaf);
        }
        let variants: [(bool, L1Message); 7] = [
            (other.kind != m.kind, L1Message { kind: other.kind, ..m.clone() }),
            (other.nonce != m.nonce, L1Message { nonce: other.nonce, ..m.clone() }),
            (other.sender != m.sender, L1Message { sender: other.sender, ..m.clone() }),
            (other.recipient != m.recipient, L1Message { recipient: other.recipient, ..m.clone() }),
            (other.token != m.token, L1Message { token: other.token, ..m.clone() }),
            (other.amount != m.amount, L1Message { amount: other.amount, ..m.clone() }),
            (other.data != m.data, L1Message { data: other.data.clone(), ..m.clone() }),
        ];
        for (differs, variant) in variants {
            if differs {
                prop_assert_ne!(variant.leaf(chain, bridge), leaf, "{:?}", variant);
            }
        }
        // The kind always changes the leaf.
        let flipped = match m.kind {
            MessageKind::Deposit => MessageKind::ForcedWithdrawal,
            MessageKind::ForcedWithdrawal => MessageKind::Deposit,
        };
        prop_assert_ne!(L1Message { kind: flipped, ..m.clone() }.leaf(chain, bridge), leaf);
    }

    #[test]
    fn withdrawal_leaf_binds_every_field(
        w in withdrawal(),
        other in withdrawal(),
        chain in any::<ChainId>(),
        other_chain in any::<ChainId>(),
        bridge in address(),
        other_bridge in address(),
    ) {
        let leaf = w.leaf(chain, bridge);
        prop_assert_eq!(leaf, keccak256(w.inner_hash(chain, bridge)));
        if other_chain != chain {
            prop_assert_ne!(w.leaf(other_chain, bridge), leaf);
        }
        if other_bridge != bridge {
            prop_assert_ne!(w.leaf(chain, other_bridge), leaf);
        }
        let variants: [(bool, Withdrawal); 5] = [
            (other.nonce != w.nonce, Withdrawal { nonce: other.nonce, ..w }),
            (other.sender != w.sender, Withdrawal { sender: other.sender, ..w }),
            (other.recipient != w.recipient, Withdrawal { recipient: other.recipient, ..w }),
            (other.l1_token != w.l1_token, Withdrawal { l1_token: other.l1_token, ..w }),
            (other.amount != w.amount, Withdrawal { amount: other.amount, ..w }),
        ];
        for (differs, variant) in variants {
            if differs {
                prop_assert_ne!(variant.leaf(chain, bridge), leaf, "{:?}", variant);
            }
        }
    }

    #[test]
    fn withdrawal_leaf_never_equals_l1_message_leaf(w in withdrawal(), kind in kind(), chain in any::<ChainId>(), bridge in address()) {
        let m = L1Message {
            kind,
            nonce: w.nonce,
            sender: w.sender,
            recipient: w.recipient,
            token: w.l1_token,
            amount: w.amount,
            data: Bytes::new(),
        };
        prop_assert_ne!(m.leaf(chain, bridge), w.leaf(chain, bridge));
        prop_assert_ne!(m.inner_hash(chain, bridge), w.inner_hash(chain, bridge));
    }

    #[test]
    fn json_round_trips(m in message(), w in withdrawal()) {
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<L1Message>(&json).unwrap(), m);
        let json = serde_json::to_string(&w).unwrap();
        prop_assert_eq!(serde_json::from_str::<Withdrawal>(&json).unwrap(), w);
    }
}

/// Deeper trees than the property tests reach: proofs of 17 siblings, historical roots across a
/// power of two.
#[test]
fn large_tree_proofs() {
    let n = (1u64 << 16) + 5;
    let leaves: Vec<B256> = (0..n).map(|i| keccak256(i.to_be_bytes())).collect();
    let tree = MerkleTree::from_leaves(leaves.iter().copied()).unwrap();
    let frontier = Frontier::from_leaves(leaves.iter().copied()).unwrap();
    assert_eq!(tree.root(), frontier.root());
    for count in [
        1,
        2,
        1000,
        1 << 15,
        (1 << 16) - 1,
        1 << 16,
        (1 << 16) + 1,
        n,
    ] {
        let root = tree.root_at(count).unwrap();
        assert_eq!(
            root,
            Frontier::from_leaves(leaves[..count as usize].iter().copied())
                .unwrap()
                .root()
        );
        for index in [0, count / 3, count / 2, count - 1] {
            let proof = tree.proof(index, count).unwrap();
            assert_eq!(proof.len(), proof_length(count));
            assert!(verify(leaves[index as usize], index, &proof, root));
        }
    }
    assert_eq!(tree.proof(0, 1000).unwrap().len(), 10);
}
