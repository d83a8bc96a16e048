//! The relayer's steps done by hand on a [`TestBed`], for tests of tools that must work without a
//! relayer: commit and publish the L1 message root, relay every message, propose an output (true
//! or lying).

use alloy::eips::BlockId;
use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::BlockNumberOrTag;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{L1Message, MerkleTree, MessageKind};

use crate::bed::TestBed;
use crate::chain::Mined;

/// An L1 message as `L2Bridge.relayMessages` takes it.
pub fn l2_message(m: &L1Message) -> IL2Bridge::L1Message {
    let fields = (
        m.kind.as_u8(),
        m.nonce,
        m.sender,
        m.recipient,
        m.token,
        m.amount,
        m.data.clone(),
    );
    fields.into()
}

/// The L1 message a `MessageSent` event reports (its kind must be known).
pub fn message_from_event(event: &IL1Bridge::MessageSent) -> L1Message {
    let IL1Bridge::MessageSent {
        nonce,
        kind,
        sender,
        recipient,
        token,
        amount,
        data,
        leaf: _,
    } = event.clone();
    L1Message {
        kind: MessageKind::try_from(kind).expect("a known message kind"),
        nonce,
        sender,
        recipient,
        token,
        amount,
        data,
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
        bridge.commitMessageRoot().mined().await;
        let committed = bridge.lastCommittedRoot().call().await.unwrap();
        let oracle = IL1RootOracle::new(d.l2.root_oracle, &l2);
        if oracle.rootCount(committed.root).call().await.unwrap() == 0 {
            oracle
                .publishRoot(committed.root, committed.count)
                .mined()
                .await;
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
            .mined()
            .await;
        assert!(receipt.status());
    }

    /// Proposes, as the devnet's proposer with `bond`, an output of made-up fields at each L2
    /// block of `outputs` `(block, seed)`: block hash, state root and withdrawal root are the
    /// bytes `seed`, `seed + 1` and `seed + 2` repeated, and no L1 message is consumed (count 0,
    /// root 0). Asserts each one is accepted.
    pub async fn propose_made_up_outputs(&self, outputs: &[(u64, u8)], bond: U256) {
        let d = &self.devnet.deployment;
        let proposer = self.l1_as(&self.devnet.accounts.relayer);
        let oracle = IOutputOracle::new(d.l1.output_oracle, &proposer);
        for &(block, seed) in outputs {
            let r = oracle
                .propose(
                    block,
                    B256::repeat_byte(seed),
                    B256::repeat_byte(seed + 1),
                    B256::repeat_byte(seed + 2),
                    0,
                    B256::ZERO,
                )
                .value(bond)
                .mined()
                .await;
            assert!(r.status());
        }
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
        let at = BlockId::number(number);
        let root = l2_bridge.withdrawalRoot().block(at).call().await.unwrap();
        let processed = l2_bridge
            .l1MessagesProcessed()
            .block(at)
            .call()
            .await
            .unwrap();
        let message_root = l2_bridge.l1MessageRoot().block(at).call().await.unwrap();
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
            .mined()
            .await;
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
