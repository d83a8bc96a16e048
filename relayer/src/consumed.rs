//! What L2 consumed of L1's messages (`l1MessagesProcessed`, `l1MessageRoot`, the leaves of
//! `MessageProcessed`), and whether L1 committed it: shared by the propose and finalize roles.

use alloy::eips::BlockId;
use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::IL2Bridge;

use crate::context::Context;
use crate::error::Result;

/// What L2's bridge says about the L1 messages it consumed at one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Consumed {
    /// `L2Bridge.l1MessagesProcessed()`.
    pub processed: u64,
    /// `L2Bridge.l1MessageRoot()`: root of the processed leaves, zero while none was processed.
    pub root: B256,
}

/// The first processed message (in nonce order) whose leaf is not L1's: `processed` are
/// `(nonce, leaf)` pairs from `MessageProcessed` logs, `l1_leaf(nonce)` L1's leaf (`None` when the
/// relayer does not know it), `l1_count` the number of messages L1 has sent. A nonce at or beyond
/// `l1_count` was never sent by L1. Returns `(nonce, L2's leaf, L1's leaf)`.
pub(crate) fn first_forged(
    processed: &[(u64, B256)],
    l1_leaf: impl Fn(u64) -> Option<B256>,
    l1_count: u64,
) -> Option<(u64, B256, Option<B256>)> {
    let mut sorted = processed.to_vec();
    sorted.sort_by_key(|(nonce, _)| *nonce);
    sorted.into_iter().find_map(|(nonce, leaf)| {
        if nonce >= l1_count {
            return Some((nonce, leaf, None));
        }
        match l1_leaf(nonce) {
            Some(l1) if l1 != leaf => Some((nonce, leaf, Some(l1))),
            _ => None,
        }
    })
}

impl Context {
    /// What L2's bridge consumed at block `at` (a hash, or a number inside the followed range).
    pub(crate) async fn consumed_at(&self, at: BlockId) -> Result<Consumed> {
        let bridge = self.l2_bridge();
        let l2 = |e: alloy::contract::Error| self.l2.rpc(format!("L2Bridge at {at}: {e}"));
        let processed = bridge
            .l1MessagesProcessed()
            .block(at)
            .call()
            .await
            .map_err(l2)?;
        let root = bridge.l1MessageRoot().block(at).call().await.map_err(l2)?;
        Ok(Consumed { processed, root })
    }

    /// Whether L1 committed `consumed.root` for exactly `consumed.processed` messages, read at
    /// the confirmed L1 block `l1_hash` (both zero: nothing consumed, always fine). What
    /// `OutputOracle.propose` requires.
    pub(crate) async fn l1_committed(&self, consumed: Consumed, l1_hash: B256) -> Result<bool> {
        if consumed.processed == 0 {
            return Ok(consumed.root == B256::ZERO);
        }
        let count = self
            .l1_bridge()
            .messageRootCount(consumed.root)
            .block(BlockId::hash(l1_hash))
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("messageRootCount: {e}")))?;
        Ok(count == consumed.processed)
    }

    /// `(nonce, leaf)` of every `MessageProcessed` log of the L2 bridge in blocks `from..=to`.
    pub(crate) async fn processed_leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, B256)>> {
        let mut out = Vec::new();
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(self.config.max_log_range - 1));
            let filter = Filter::new()
                .address(self.config.deployment.l2.l2_bridge)
                .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH)
                .from_block(start)
                .to_block(end);
            let logs = self
                .l2
                .provider
                .get_logs(&filter)
                .await
                .map_err(|e| self.l2.rpc(format!("eth_getLogs({start}..={end}): {e}")))?;
            for log in &logs {
                let e = log
                    .log_decode::<IL2Bridge::MessageProcessed>()
                    .map_err(|e| self.l2.rpc(format!("undecodable MessageProcessed: {e}")))?
                    .inner
                    .data;
                out.push((e.nonce, e.leaf));
            }
            start = end + 1;
        }
        Ok(out)
    }
}
