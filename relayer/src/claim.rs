//! What an output claims about an L2 block ([`Claim`]), its identity and the differences between
//! two claims. The one place a claim is read from the L2 node is `Context::read_claim` (in
//! `context.rs`: the propose role to post it, the watchdog and the finalize role to check one).

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::sol_types::SolValue;
use drawbridge_bindings::IOutputOracle;

/// What an output claims about one L2 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    pub l2_block: u64,
    pub block_hash: B256,
    pub state_root: B256,
    pub withdrawal_root: B256,
    pub l1_messages_processed: u64,
    /// `L2Bridge.l1MessageRoot()` at the block: the root of the L1 messages L2 consumed. Outputs
    /// carry it in `OutputProposed` only (it is not stored on chain): `None` when unknown.
    pub l1_message_root: Option<B256>,
}

impl Claim {
    /// The claim of a stored output; its `l1MessageRoot` is not stored on chain (`None`).
    pub(crate) fn of(output: &IOutputOracle::Output) -> Self {
        Self {
            l2_block: output.l2BlockNumber,
            block_hash: output.l2BlockHash,
            state_root: output.l2StateRoot,
            withdrawal_root: output.withdrawalRoot,
            l1_messages_processed: output.l1MessagesProcessed,
            l1_message_root: None,
        }
    }
}

/// Identity of an output: its index, proposer and claim hashed together. An index is reused after
/// a deletion; this is not (unless the same proposer posts the very same claim at the same index,
/// which is then the same verdict). The `l1MessageRoot` is left out: the chain does not store it,
/// and the contract accepts only the one root L1 committed for the claimed count.
pub(crate) fn output_id(index: u64, proposer: Address, claim: &Claim) -> B256 {
    keccak256(
        (
            U256::from(index),
            proposer,
            U256::from(claim.l2_block),
            claim.block_hash,
            claim.state_root,
            claim.withdrawal_root,
            U256::from(claim.l1_messages_processed),
        )
            .abi_encode(),
    )
}

/// What differs between an output's claim and the L2 node's view of the same block; empty when
/// the output is right.
pub(crate) fn differences(claimed: &Claim, actual: &Claim) -> Vec<String> {
    let mut out = Vec::new();
    if claimed.l2_block != actual.l2_block {
        out.push(format!(
            "L2 block {} recomputed for a claim about block {}",
            actual.l2_block, claimed.l2_block
        ));
    }
    for (name, c, a) in [
        ("l2BlockHash", claimed.block_hash, actual.block_hash),
        ("l2StateRoot", claimed.state_root, actual.state_root),
        (
            "withdrawalRoot",
            claimed.withdrawal_root,
            actual.withdrawal_root,
        ),
    ] {
        if c != a {
            out.push(format!("{name} is {c}, the L2 node has {a}"));
        }
    }
    if claimed.l1_messages_processed != actual.l1_messages_processed {
        out.push(format!(
            "l1MessagesProcessed is {}, the L2 node has {}",
            claimed.l1_messages_processed, actual.l1_messages_processed
        ));
    }
    if let (Some(c), Some(a)) = (claimed.l1_message_root, actual.l1_message_root)
        && c != a
    {
        out.push(format!(
            "l1MessageRoot is {c}, the L2 node has {a} (L2 did not consume exactly L1's messages)"
        ));
    }
    out
}
