//! The relayer's steps done by hand on a [`TestBed`], for tests of tools that must work without a
//! relayer: commit and publish the L1 message root, relay every message, propose an output (true
//! or lying).

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::BlockNumberOrTag;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{L1Message, MerkleTree};

use crate::bed::TestBed;

/// An L1 message as `L2Bridge.relayMessages` takes it.
pub fn l2_message(message: &L1Message) -> IL2Bridge::L1Message {
    IL2Bridge::L1Message {
        kind: message.kind.as_u8(),
        nonce: message.nonce,
        sender: message.sender,
        recipient: message.recipient,
        token: message.token,
        amount: message.amount,
        data: message.data.clone(),
    }
}

impl TestBed {
    /// The relayer's job, by hand: commit the L1 message root, publish it to L2, relay every
    /// message not yet processed.
    pub async fn relay_all(&self) {
        let relayer = self.devnet.accounts.relayer.clone();
        let d = &self.devnet.deployment;
        let l1 = self.l1_as(&relayer);
        let l2 = self.l2_as(&relayer);
        let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1);
        bridge
            .commitMessageRoot()
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        let committed = bridge.lastCommittedRoot().call().await.unwrap();
        let oracle = IL1RootOracle::new(d.l2.root_oracle, &l2);
        if oracle.rootCount(committed.root).call().await.unwrap() == 0 {
            oracle
                .publishRoot(committed.root, committed.count)
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
        }
        let messages = self.l1_messages().await;
        let count = committed.count;
        let tree = MerkleTree::from_leaves(
            messages[..count as usize]
                .iter()
                .map(|m| m.leaf(d.l1.chain_id, d.l1.l1_bridge)),
        )
        .unwrap();
        assert_eq!(tree.root_at(count).unwrap(), committed.root);
        let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
        let processed = l2_bridge.l1MessagesProcessed().call().await.unwrap();
        if processed >= count {
            return;
        }
        let batch: Vec<IL2Bridge::L1Message> = messages[processed as usize..count as usize]
            .iter()
            .map(l2_message)
            .collect();
        let proofs: Vec<Vec<B256>> = (processed..count)
            .map(|i| tree.proof(i, count).unwrap())
            .collect();
        let receipt = l2_bridge
            .relayMessages(batch, committed.root, proofs)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
    }

    /// Proposes an output at the current L2 head as the devnet's proposer; returns its index.
    pub async fn propose_output(&self) -> u64 {
        self.propose_output_with_root(None).await
    }

    /// Like [`TestBed::propose_output`], with a withdrawal root of the test's choosing (a lie).
    pub async fn propose_output_with_root(&self, fake_root: Option<B256>) -> u64 {
        let relayer = self.devnet.accounts.relayer.clone();
        let d = &self.devnet.deployment;
        let l1 = self.l1_as(&relayer);
        let l2 = self.l2_as(&relayer);
        let block = l2
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap();
        let number = block.header.number;
        let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
        let root = l2_bridge
            .withdrawalRoot()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let processed = l2_bridge
            .l1MessagesProcessed()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let message_root = l2_bridge
            .l1MessageRoot()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let root = fake_root.unwrap_or(root);
        let oracle = IOutputOracle::new(d.l1.output_oracle, &l1);
        let bond = oracle.proposerBond().call().await.unwrap();
        let receipt = oracle
            .propose(
                number,
                block.header.hash,
                block.header.state_root,
                root,
                processed,
                message_root,
            )
            .value(bond)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        let log = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<IOutputOracle::OutputProposed>().ok())
            .unwrap();
        log.inner.data.index.to::<u64>()
    }
}
