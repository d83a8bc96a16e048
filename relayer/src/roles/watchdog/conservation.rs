//! The conservation monitor, run by the watchdog role every `conservation_interval`: per token,
//! what L2 holds must be backed by what L1 escrows.
//!
//! For every L1 token the watchdog knows (deposited on L1, or with a `BridgedToken` on L2):
//!
//! - `l2_supply`: `BridgedToken.totalSupply()` of `L2Bridge.bridgedToken(l1Token)` at the last L2
//!   block the watchdog scanned (confirmed);
//! - `unpaid`: the withdrawals initiated on L2 at or before that block that L1 has not paid
//!   (`L1Bridge.isWithdrawalFinalized`); the tokens they burnt on L2 are still owed by L1;
//! - `escrow`: `L1Bridge.escrowed(l1Token)`.
//!
//! `unbacked = max(0, l2_supply + unpaid - escrow)`. L1 is read at one pinned block, its latest:
//! a deposit L2 has processed is always in L1's escrow there (at an older confirmed L1 block a
//! deposit just delivered would look unbacked), and the escrow and the paid flags come from the
//! same block, so a payment is never counted twice or not at all. A paid flag is stored only when
//! it is already true at the confirmed L1 block. Honest operation keeps every token at 0; a forged
//! mint (a message L1 never sent) shows up as exactly the forged amount. After a freeze escapes and
//! refunds pay from escrow without burning on L2, so the monitor stops (the gauges are dropped).

use std::collections::BTreeMap;

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use drawbridge_bindings::BridgedToken;
use futures::StreamExt;
use tracing::{debug, error, info};

use crate::context::Context;
use crate::error::Result;
use crate::metrics::Backing;
use crate::store::{Cursor, Fence};

/// How many `isWithdrawalFinalized` calls run at once.
const PARALLEL_CALLS: usize = 16;

/// What a run of the monitor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conservation {
    /// Checked at L2 block `l2_block` and L1 block `l1_block`.
    Checked {
        l2_block: u64,
        l1_block: u64,
        tokens: Vec<Backing>,
    },
    /// The bridge is frozen: not checked.
    Frozen,
}

impl Context {
    /// Runs the monitor when due and returns its findings (the last run's otherwise). `l2_at` is
    /// the watchdog's L2 bridge cursor: the last block it scanned and that block's hash.
    pub(crate) async fn watch_conservation(
        &mut self,
        fence: &Fence,
        l2_at: Option<Cursor>,
    ) -> Result<BTreeMap<String, String>> {
        let now = tokio::time::Instant::now();
        if self.conservation.next_run.is_some_and(|at| now < at) {
            return Ok(self.conservation.problems.clone());
        }
        let Some(Cursor {
            next_block,
            last_block_hash: Some(l2_hash),
        }) = l2_at
        else {
            // Nothing scanned on L2 yet (or its scan failed this round): the last findings stand.
            return Ok(self.conservation.problems.clone());
        };
        let result = self
            .check_conservation(fence, next_block - 1, l2_hash)
            .await?;
        self.conservation.next_run = Some(now + self.config.conservation_interval);
        let mut problems = BTreeMap::new();
        match &result {
            Conservation::Frozen => {
                debug!(
                    "conservation: the bridge is frozen; escapes and refunds pay from escrow, not checked"
                );
                self.metrics.set_backing(Vec::new());
            }
            Conservation::Checked {
                l2_block,
                l1_block,
                tokens,
            } => {
                for backing in tokens {
                    let Some((key, text)) = backing.problem() else {
                        continue;
                    };
                    if !self.conservation.problems.contains_key(&key) {
                        error!(l1_token = %backing.l1_token, unbacked = %backing.unbacked(), l2_supply = %backing.l2_supply, unpaid = %backing.unpaid, escrow = %backing.escrow, l2_block, l1_block, "ALERT: conservation: L2 holds more than L1 backs");
                        self.metrics.alert("unbacked_supply");
                    }
                    problems.insert(key, text);
                }
                for key in self.conservation.problems.keys() {
                    if !problems.contains_key(key) {
                        info!(%key, "conservation: the token is backed again");
                    }
                }
                self.metrics.set_backing(tokens.clone());
            }
        }
        self.conservation.problems = problems.clone();
        Ok(problems)
    }

    /// One check: L2 at block `l2_block` (hash `l2_hash`), L1 at its latest block.
    pub(crate) async fn check_conservation(
        &self,
        fence: &Fence,
        l2_block: u64,
        l2_hash: B256,
    ) -> Result<Conservation> {
        let latest = self.l1.latest_header().await?;
        let l1_at = BlockId::hash(latest.hash);
        let l1_bridge = self.l1_bridge();
        let l1 = |e: alloy::contract::Error| self.l1.rpc(format!("L1Bridge: {e}"));
        if l1_bridge.frozen().block(l1_at).call().await.map_err(l1)? {
            return Ok(Conservation::Frozen);
        }
        // Withdrawals still owed by L1: paid ones at the confirmed block are remembered.
        let (_, confirmed_hash) = self.l1_confirmed_block().await?;
        let unpaid = self.store.watch_unpaid(l2_block).await?;
        let finalized_at = |at: BlockId, nonces: Vec<u64>| {
            let bridge = l1_bridge.clone();
            async move {
                let results: Vec<_> = futures::stream::iter(nonces)
                    .map(|nonce| {
                        let bridge = bridge.clone();
                        async move {
                            let paid = bridge.isWithdrawalFinalized(nonce).block(at).call().await;
                            (nonce, paid)
                        }
                    })
                    .buffer_unordered(PARALLEL_CALLS)
                    .collect()
                    .await;
                let mut paid = Vec::new();
                for (nonce, result) in results {
                    if result.map_err(l1)? {
                        paid.push(nonce);
                    }
                }
                Ok::<_, crate::Error>(paid)
            }
        };
        let paid_confirmed = finalized_at(
            BlockId::hash(confirmed_hash),
            unpaid.iter().map(|w| w.nonce).collect(),
        )
        .await?;
        self.store.watch_mark_paid(fence, &paid_confirmed).await?;
        let rest: Vec<u64> = unpaid
            .iter()
            .map(|w| w.nonce)
            .filter(|n| !paid_confirmed.contains(n))
            .collect();
        let paid_latest = finalized_at(l1_at, rest).await?;
        let mut owed: BTreeMap<Address, U256> = BTreeMap::new();
        for w in &unpaid {
            if !paid_confirmed.contains(&w.nonce) && !paid_latest.contains(&w.nonce) {
                let sum = owed.entry(w.l1_token).or_default();
                *sum = sum.saturating_add(w.amount);
            }
        }
        let mut tokens = self.store.watch_tokens().await?;
        for token in owed.keys() {
            if !tokens.contains(token) {
                tokens.push(*token);
            }
        }
        let l2_at = BlockId::hash(l2_hash);
        let l2_bridge = self.l2_bridge();
        let l2 = |e: alloy::contract::Error| self.l2.rpc(format!("L2 at block {l2_block}: {e}"));
        let mut out = Vec::new();
        for l1_token in tokens {
            let l2_token = l2_bridge
                .bridgedToken(l1_token)
                .block(l2_at)
                .call()
                .await
                .map_err(l2)?;
            let l2_supply = if l2_token.is_zero() {
                U256::ZERO
            } else {
                BridgedToken::new(l2_token, self.l2.provider.clone())
                    .totalSupply()
                    .block(l2_at)
                    .call()
                    .await
                    .map_err(l2)?
            };
            let escrow = l1_bridge
                .escrowed(l1_token)
                .block(l1_at)
                .call()
                .await
                .map_err(l1)?;
            out.push(Backing {
                l1_token,
                l2_token: (!l2_token.is_zero()).then_some(l2_token),
                l2_supply,
                unpaid: owed.get(&l1_token).copied().unwrap_or_default(),
                escrow,
            });
        }
        Ok(Conservation::Checked {
            l2_block,
            l1_block: latest.number,
            tokens: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backing(l2_supply: u64, unpaid: u64, escrow: u64) -> Backing {
        Backing {
            l1_token: Address::ZERO,
            l2_token: Some(Address::repeat_byte(2)),
            l2_supply: U256::from(l2_supply),
            unpaid: U256::from(unpaid),
            escrow: U256::from(escrow),
        }
    }

    #[test]
    fn unbacked_is_what_l2_holds_and_is_owed_beyond_the_escrow() {
        // Honest: everything L2 holds or is owed is escrowed; deposits not yet processed on L2
        // make the escrow larger, never the other way round.
        assert_eq!(backing(5, 0, 5).unbacked(), U256::ZERO);
        assert_eq!(backing(3, 2, 5).unbacked(), U256::ZERO);
        assert_eq!(backing(3, 0, 10).unbacked(), U256::ZERO);
        assert!(backing(3, 2, 5).problem().is_none());
        // A forged mint of 4 on top of 5 honest ones.
        let forged = backing(9, 0, 5);
        assert_eq!(forged.unbacked(), U256::from(4));
        let (key, text) = forged.problem().unwrap();
        assert_eq!(key, format!("unbacked:{}", Address::ZERO));
        assert!(text.contains("unbacked by 4"), "{text}");
        // The forged amount withdrawn on L2 and not yet paid still counts.
        assert_eq!(backing(5, 4, 5).unbacked(), U256::from(4));
        // Saturating, never overflowing.
        let huge = Backing {
            l2_supply: U256::MAX,
            unpaid: U256::MAX,
            ..backing(0, 0, 1)
        };
        assert_eq!(huge.unbacked(), U256::MAX - U256::from(1));
    }
}
