//! Chain events the watchdog follows, decoded: the OutputOracle's on L1 and the L2 bridge's.

use alloy::primitives::{Address, B256, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL2Bridge, IOutputOracle};

use crate::claim::Claim;
use crate::error::{Error, Result};

/// One OutputOracle event, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputEvent {
    Proposed {
        l1_block: u64,
        log_index: u64,
        index: u64,
        proposer: Address,
        claim: Claim,
    },
    Challenged {
        index: u64,
        challenger: Address,
    },
    Resolved {
        index: u64,
        valid: bool,
    },
    Deleted {
        from_index: u64,
    },
}

/// A withdrawal as the conservation monitor needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchedWithdrawal {
    pub nonce: u64,
    pub l1_token: Address,
    pub amount: U256,
    pub l2_block: u64,
}

/// What one L2 bridge range held.
#[derive(Debug, Default)]
pub(crate) struct L2BridgeEvents {
    /// `(nonce, leaf, l2_block)` of `MessageProcessed`.
    pub processed: Vec<(u64, B256, u64)>,
    pub withdrawals: Vec<WatchedWithdrawal>,
    /// `(l1_token, l2_token, l2_block)` of `BridgedTokenDeployed`.
    pub tokens: Vec<(Address, Address, u64)>,
}

pub(crate) fn position(chain: &str, log: &Log) -> Result<(u64, u64)> {
    match (log.block_number, log.log_index) {
        (Some(block), Some(index)) => Ok((block, index)),
        _ => Err(Error::rpc(
            if chain == "l1" { "L1" } else { "L2" },
            "a log without block number or index",
        )),
    }
}

/// Decodes the OutputOracle events the watchdog follows; other logs are skipped.
pub(crate) fn decode_output_event(log: &Log) -> Result<Option<OutputEvent>> {
    let bad = |e: alloy::sol_types::Error| {
        Error::rpc("L1", format!("undecodable OutputOracle event: {e}"))
    };
    let u64_of = |v: U256, what: &str| -> Result<u64> {
        u64::try_from(v).map_err(|_| Error::rpc("L1", format!("{what} {v} does not fit 64 bits")))
    };
    Ok(Some(match log.topic0() {
        Some(&IOutputOracle::OutputProposed::SIGNATURE_HASH) => {
            let (l1_block, log_index) = position("l1", log)?;
            let e = log
                .log_decode::<IOutputOracle::OutputProposed>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Proposed {
                l1_block,
                log_index,
                index: u64_of(e.index, "output index")?,
                proposer: e.proposer,
                claim: Claim {
                    l2_block: e.l2BlockNumber,
                    block_hash: e.l2BlockHash,
                    state_root: e.l2StateRoot,
                    withdrawal_root: e.withdrawalRoot,
                    l1_messages_processed: e.l1MessagesProcessed,
                    l1_message_root: Some(e.l1MessageRoot),
                },
            }
        }
        Some(&IOutputOracle::OutputChallenged::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::OutputChallenged>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Challenged {
                index: u64_of(e.index, "output index")?,
                challenger: e.challenger,
            }
        }
        Some(&IOutputOracle::DisputeResolved::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::DisputeResolved>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Resolved {
                index: u64_of(e.index, "output index")?,
                valid: e.valid,
            }
        }
        Some(&IOutputOracle::OutputsDeleted::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::OutputsDeleted>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Deleted {
                from_index: u64_of(e.fromIndex, "output index")?,
            }
        }
        _ => return Ok(None),
    }))
}

/// Decodes one L2 bridge log the watchdog follows into `events`.
pub(crate) fn decode_l2_bridge_log(
    log: &alloy::rpc::types::Log,
    events: &mut L2BridgeEvents,
) -> std::result::Result<(), String> {
    let block = log.block_number.ok_or("a log without block number")?;
    match log.topic0() {
        Some(&IL2Bridge::MessageProcessed::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IL2Bridge::MessageProcessed>()
                .map_err(|e| format!("undecodable MessageProcessed: {e}"))?
                .inner
                .data;
            events.processed.push((e.nonce, e.leaf, block));
        }
        Some(&IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IL2Bridge::WithdrawalInitiated>()
                .map_err(|e| format!("undecodable WithdrawalInitiated: {e}"))?
                .inner
                .data;
            events.withdrawals.push(WatchedWithdrawal {
                nonce: e.nonce,
                l1_token: e.l1Token,
                amount: e.amount,
                l2_block: block,
            });
        }
        Some(&IL2Bridge::BridgedTokenDeployed::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IL2Bridge::BridgedTokenDeployed>()
                .map_err(|e| format!("undecodable BridgedTokenDeployed: {e}"))?
                .inner
                .data;
            events.tokens.push((e.l1Token, e.l2Token, block));
        }
        _ => {}
    }
    Ok(())
}
