//! A forged L1 message (issue 9): a made-up ETH deposit appended to L1's real message leaves, the
//! tree a rogue holder of the L2 root publisher's key publishes, and the relay of the forged
//! deposit against that root (`relayMessages` is open to anyone).

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::TransactionReceipt;
use drawbridge_bindings::{IL1RootOracle, IL2Bridge};
use drawbridge_deployment::Deployment;
use drawbridge_protocol::{L1Message, MerkleTree, MessageKind};

use crate::chain::Mined;
use crate::manual::l2_message;

/// A made-up deposit and the tree of L1's real leaves with its leaf appended.
pub struct ForgedDeposit {
    /// The deposit L1 never sent, at the nonce after L1's real leaves.
    pub message: L1Message,
    /// Its leaf, hashed as L1 and L2 hash messages.
    pub leaf: B256,
    /// L1's real leaves, then the forged one.
    pub tree: MerkleTree,
}

impl ForgedDeposit {
    /// A deposit of `amount` ETH from and to `to` at nonce `real_leaves.len()`, appended to
    /// `real_leaves` (L1's leaves, in nonce order).
    pub fn new(deployment: &Deployment, real_leaves: &[B256], to: Address, amount: U256) -> Self {
        let message = L1Message {
            kind: MessageKind::Deposit,
            nonce: real_leaves.len() as u64,
            sender: to,
            recipient: to,
            token: Address::ZERO,
            amount,
            data: Default::default(),
        };
        let leaf = message.leaf(deployment.l1.chain_id, deployment.l1.l1_bridge);
        let leaves = real_leaves.iter().copied().chain([leaf]);
        let tree = MerkleTree::from_leaves(leaves).expect("a tree of the leaves");
        ForgedDeposit {
            message,
            leaf,
            tree,
        }
    }

    /// How many leaves the forged tree holds.
    pub fn count(&self) -> u64 {
        self.message.nonce + 1
    }

    /// Publishes the forged root on L2's `L1RootOracle` through `publisher` (an L2 provider that
    /// signs with the root publisher's key); the receipt, whatever its status.
    pub async fn publish(
        &self,
        deployment: &Deployment,
        publisher: &DynProvider,
    ) -> TransactionReceipt {
        let oracle = IL1RootOracle::new(deployment.l2.root_oracle, publisher);
        oracle
            .publishRoot(self.tree.root(), self.count())
            .mined()
            .await
    }

    /// Relays the forged deposit alone against the forged root through `sender` (any L2
    /// provider); the receipt, whatever its status.
    pub async fn relay(&self, deployment: &Deployment, sender: &DynProvider) -> TransactionReceipt {
        let proof = self
            .tree
            .proof(self.message.nonce, self.count())
            .expect("a proof of the forged leaf");
        let bridge = IL2Bridge::new(deployment.l2.l2_bridge, sender);
        bridge
            .relayMessages(
                vec![l2_message(&self.message)],
                self.tree.root(),
                vec![proof],
            )
            .mined()
            .await
    }
}
