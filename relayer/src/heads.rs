//! Reorg detection: every role that acts on a chain's data follows that chain's headers.
//!
//! Each round, before the role reads anything, [`Relayer::track_head`] checks that the newest
//! header it stored is still the chain's (and walks down to the fork point when it is not), then
//! appends the new headers up to the head, each of which must name the stored header below it as
//! its parent. The role acts only on blocks at or below `tip - confirmations` of the headers it
//! followed, and checks the blocks it reads (logs, output blocks) against the followed hashes.
//!
//! - A reorg that replaced at most `confirmations` blocks only touched blocks the role has not
//!   acted on: the replaced headers are dropped and re-read, and nothing else happens.
//! - A reorg that replaced more (a block at or below the confirmed boundary changed) means the
//!   role may have acted on blocks that are gone: it halts with [`Error::DeepReorg`] (an `ALERT`
//!   log line, `drawbridge_relayer_halted{role}` = 1, `/health` unhealthy) on every round until an
//!   operator resolves it (docs/operators.md, "Halts"). The stored headers keep the old hashes,
//!   so a restart halts again instead of forgetting.

use std::collections::BTreeMap;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::B256;
use alloy::providers::Provider;
use tracing::{debug, error, warn};

use crate::chain::SigningChain;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::role::Role;
use crate::store::headers::Header;

/// Headers kept below the confirmed boundary (the fork point of a reorg of exactly
/// `confirmations` blocks must still be stored to be found).
const KEEP_BELOW_CONFIRMED: u64 = 16;

/// What a role may act on after following a chain's head.
#[derive(Debug, Clone, Default)]
pub(crate) struct Followed {
    /// `tip - confirmations`: the newest block the role may act on.
    pub confirmed: u64,
    /// Hashes of the followed headers, by number.
    pub hashes: BTreeMap<u64, B256>,
}

impl Followed {
    /// Errors with [`Error::Reorg`] when `number` was followed with another hash than `hash`
    /// (the chain changed between following it and reading it: re-read next round).
    pub fn check(&self, chain: &SigningChain, number: u64, hash: B256) -> Result<()> {
        match self.hashes.get(&number) {
            Some(followed) if *followed != hash => Err(Error::Reorg {
                chain: chain.name,
                message: format!(
                    "block {number} is {hash} now but was {followed} when its header was followed; re-reading"
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// The header of block `number`, or `None` when the chain has no such block (it got shorter).
pub(crate) async fn header(chain: &SigningChain, number: u64) -> Result<Option<Header>> {
    let block = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map_err(|e| chain.rpc(format!("eth_getBlockByNumber({number}): {e}")))?;
    let Some(block) = block else {
        return Ok(None);
    };
    if block.header.number != number {
        return Err(chain.rpc(format!(
            "asked for block {number}, got block {}",
            block.header.number
        )));
    }
    Ok(Some(Header {
        number,
        hash: block.header.hash,
        parent: block.header.parent_hash,
    }))
}

/// Where a reorg left the stored headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fork {
    /// The stored tip is still the chain's.
    None,
    /// The headers above `at` were replaced (`depth` of them).
    At { at: u64, depth: u64 },
    /// No stored header is the chain's any more: the fork is below everything stored.
    BelowStored { lowest: u64, depth: u64 },
}

/// Finds the fork point of `stored` (ascending) given the chain's hash of each number
/// (`None`: the chain has no such block).
pub(crate) fn fork_point(stored: &[Header], canonical: &BTreeMap<u64, Option<B256>>) -> Fork {
    let Some(tip) = stored.last() else {
        return Fork::None;
    };
    for h in stored.iter().rev() {
        match canonical.get(&h.number) {
            Some(Some(hash)) if *hash == h.hash => {
                return if h.number == tip.number {
                    Fork::None
                } else {
                    Fork::At {
                        at: h.number,
                        depth: tip.number - h.number,
                    }
                };
            }
            Some(_) => {}
            // Not looked up: the search stopped above it.
            None => break,
        }
    }
    let lowest = stored[0].number;
    Fork::BelowStored {
        lowest,
        depth: tip.number + 1 - lowest,
    }
}

impl Context {
    /// Follows `chain`'s head for `role`: detects reorgs against the stored headers (dropping a
    /// shallow one, halting on a deep one) and appends the new headers, checking parent hashes.
    /// `start` is the lowest block the role may still need (its scan cursor).
    pub(crate) async fn track_head(
        &self,
        role: Role,
        chain: &SigningChain,
        start: u64,
    ) -> Result<Followed> {
        let fence = self.fence(role)?;
        let mut stored = self.store.headers(role, chain.key).await?;
        let head = chain.head().await?;
        let mut drop_above = None;
        if !stored.is_empty() {
            // Walk down from the tip until a stored hash is still the chain's.
            let mut canonical = BTreeMap::new();
            for h in stored.iter().rev() {
                let now = if h.number > head {
                    None
                } else {
                    header(chain, h.number).await?.map(|c| c.hash)
                };
                canonical.insert(h.number, now);
                if now == Some(h.hash) {
                    break;
                }
            }
            match fork_point(&stored, &canonical) {
                Fork::None => {}
                Fork::At { at, depth } if depth <= chain.confirmations => {
                    warn!(
                        chain = chain.name,
                        %role,
                        depth,
                        fork_block = at,
                        replaced_from = at + 1,
                        confirmations = chain.confirmations,
                        "reorg inside the unconfirmed window: dropping the replaced headers and re-reading (nothing was acted on)"
                    );
                    self.metrics.alert(if chain.key == "l1" {
                        "reorg_l1"
                    } else {
                        "reorg_l2"
                    });
                    stored.retain(|h| h.number <= at);
                    drop_above = Some(at);
                }
                fork => {
                    let (block, depth) = match fork {
                        Fork::At { at, depth } => (at + 1, depth),
                        Fork::BelowStored { lowest, depth } => (lowest, depth),
                        Fork::None => unreachable!(),
                    };
                    let expected = stored
                        .iter()
                        .find(|h| h.number == block)
                        .map_or(B256::ZERO, |h| h.hash);
                    let actual = canonical.get(&block).copied().flatten();
                    error!(
                        chain = chain.name,
                        %role,
                        block,
                        %expected,
                        actual = ?actual,
                        depth,
                        confirmations = chain.confirmations,
                        "ALERT: reorg deeper than the confirmation depth: a block this role treated as confirmed changed; halting the role"
                    );
                    return Err(Error::DeepReorg {
                        chain: chain.name,
                        role,
                        block,
                        expected,
                        actual,
                        depth,
                        confirmations: chain.confirmations,
                    });
                }
            }
        }
        // Append the new headers. Far behind (first start, long downtime), start a little below
        // the confirmed boundary: the blocks skipped are linked to the stored tip by the check
        // above and to the scan cursor by its block hash.
        let window_start = head.saturating_sub(chain.confirmations + KEEP_BELOW_CONFIRMED);
        let from = match stored.last() {
            Some(tip) => (tip.number + 1).max(window_start),
            None => start.max(window_start),
        };
        let mut new = Vec::new();
        let mut last = stored.last().copied();
        for number in from..=head {
            let Some(h) = header(chain, number).await? else {
                break;
            };
            if let Some(prev) = last
                && prev.number + 1 == number
                && h.parent != prev.hash
            {
                // The chain moved to another branch while we walked: stop; the next round finds
                // the fork point from the stored tip.
                debug!(
                    chain = chain.name,
                    block = number,
                    "parent hash changed while following; resuming next round"
                );
                break;
            }
            new.push(h);
            last = Some(h);
        }
        let tip = last.map_or(head, |h| h.number);
        let keep_from = tip.saturating_sub(chain.confirmations + KEEP_BELOW_CONFIRMED);
        if drop_above.is_some() || !new.is_empty() {
            self.store
                .record_headers(&fence, chain.key, drop_above, &new, keep_from)
                .await?;
        }
        let hashes = stored
            .iter()
            .chain(new.iter())
            .filter(|h| h.number >= keep_from)
            .map(|h| (h.number, h.hash))
            .collect();
        Ok(Followed {
            confirmed: tip.saturating_sub(chain.confirmations),
            hashes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(numbers: std::ops::RangeInclusive<u64>, salt: u8) -> Vec<Header> {
        numbers
            .map(|n| Header {
                number: n,
                hash: B256::with_last_byte(salt ^ n as u8),
                parent: B256::with_last_byte(salt ^ (n as u8).wrapping_sub(1)),
            })
            .collect()
    }

    #[test]
    fn the_fork_point_is_the_highest_stored_header_still_canonical() {
        let stored = chain_of(10..=20, 0);
        // Nothing changed.
        let same: BTreeMap<_, _> = [(20, Some(stored[10].hash))].into_iter().collect();
        assert_eq!(fork_point(&stored, &same), Fork::None);
        // Blocks 18..=20 replaced: the walk stops at 17.
        let mut canonical = BTreeMap::new();
        for n in (18..=20).rev() {
            canonical.insert(n, Some(B256::repeat_byte(0xee)));
        }
        canonical.insert(17, Some(stored[7].hash));
        assert_eq!(
            fork_point(&stored, &canonical),
            Fork::At { at: 17, depth: 3 }
        );
        // The chain got shorter (evm_revert): blocks above 15 gone, 15 unchanged.
        let mut shorter = BTreeMap::new();
        for n in 16..=20 {
            shorter.insert(n, None);
        }
        shorter.insert(15, Some(stored[5].hash));
        assert_eq!(fork_point(&stored, &shorter), Fork::At { at: 15, depth: 5 });
        // Every stored header replaced.
        let all: BTreeMap<_, _> = (10..=20).map(|n| (n, Some(B256::repeat_byte(1)))).collect();
        assert_eq!(
            fork_point(&stored, &all),
            Fork::BelowStored {
                lowest: 10,
                depth: 11
            }
        );
        assert_eq!(fork_point(&[], &BTreeMap::new()), Fork::None);
    }
}
