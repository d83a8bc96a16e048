//! What the watchdog follows besides the OutputOracle: L1's messages (from `MessageSent` logs,
//! each range checked against L1 state before it is stored, like the deliver role's), and the L2
//! bridge's `MessageProcessed`, `WithdrawalInitiated` and `BridgedTokenDeployed` events. With them
//! it compares every leaf L2 consumed with L1's leaf at the same nonce (`forged_l1_message`) and
//! the conservation monitor ([`super::conservation`]) knows the tokens and the withdrawals.

use alloy::eips::BlockId;
use alloy::primitives::B256;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::IL2Bridge;
use tracing::{debug, error};

use crate::context::{Context, Layer};
use crate::error::Result;
use crate::events::{L2BridgeEvents, decode_l2_bridge_log};
use crate::store::watch_chains::{L1_MESSAGES_CURSOR, L2_BRIDGE_CURSOR};
use crate::store::{Cursor, Fence};

/// A leaf L2 consumed that L1 never sent at that nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Forged {
    pub nonce: u64,
    pub l2_leaf: B256,
    /// L1's leaf at the nonce; `None`: L1 has sent no message with that nonce.
    pub l1_leaf: Option<B256>,
    pub l2_block: u64,
}

impl Forged {
    /// The watchdog finding (key, text).
    pub fn problem(&self) -> (String, String) {
        let l1 = self.l1_leaf.map_or_else(
            || "L1 never sent a message with that nonce".to_string(),
            |l| format!("L1's leaf is {l}"),
        );
        (
            format!("forged:{}", self.nonce),
            format!(
                "L2 processed a message L1 never sent: nonce {} in L2 block {} has leaf {} but {l1}; outputs past it cannot be proposed honestly (forced withdrawal, freeze, escape)",
                self.nonce, self.l2_block, self.l2_leaf
            ),
        )
    }
}

impl Context {
    /// Ingests L1's messages up to the confirmed L1 head into the watchdog's table, each scan
    /// checked against `messageRoot()`/`messageCount()` at the confirmed block before it is stored
    /// (a lying node stores nothing and fails the round with [`Error::L1LogsInconsistent`]).
    pub(crate) async fn watch_follow_l1_messages(&mut self, fence: &Fence) -> Result<()> {
        self.store
            .watch_extend_l1_tree(&mut self.watched_messages)
            .await?;
        let target = self.l1.confirmed_head().await?;
        let cursor = self.watch_cursor(Layer::L1, L1_MESSAGES_CURSOR).await?;
        let frontier = self.watched_messages.frontier();
        let Some(scan) = self
            .scan_l1_messages(&cursor, target, None, frontier)
            .await?
        else {
            return Ok(());
        };
        self.store
            .watch_ingest_l1_messages(fence, &scan.messages, scan.next)
            .await?;
        for m in &scan.messages {
            self.watched_messages.push(m.leaf)?;
        }
        if !scan.messages.is_empty() {
            debug!(
                messages = scan.messages.len(),
                total = self.watched_messages.len(),
                "watchdog: L1 messages ingested"
            );
        }
        Ok(())
    }

    /// Ingests the L2 bridge's `MessageProcessed`, `WithdrawalInitiated` and
    /// `BridgedTokenDeployed` events up to the confirmed L2 head; returns the last block scanned
    /// and its hash (what the conservation monitor reads L2 at).
    pub(crate) async fn watch_follow_l2_bridge(&self, fence: &Fence) -> Result<Option<Cursor>> {
        let target = self.l2.confirmed_head().await?;
        let mut cursor = self.watch_cursor(Layer::L2, L2_BRIDGE_CURSOR).await?;
        let filter = Filter::new()
            .address(self.config.deployment.l2.l2_bridge)
            .event_signature(vec![
                IL2Bridge::MessageProcessed::SIGNATURE_HASH,
                IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH,
                IL2Bridge::BridgedTokenDeployed::SIGNATURE_HASH,
            ]);
        while let Some(range) = self.next_logs(Layer::L2, &cursor, target, &filter).await? {
            let mut events = L2BridgeEvents::default();
            for log in &range.logs {
                decode_l2_bridge_log(log, &mut events).map_err(|e| self.l2.rpc(e))?;
            }
            self.store
                .watch_ingest_l2_bridge(fence, &events, range.next)
                .await?;
            cursor = range.next;
        }
        Ok(cursor.last_block_hash.map(|_| cursor))
    }

    /// The first leaf L2 consumed that is not L1's leaf at its nonce, if any, compared in nonce
    /// order from `from` with the watchdog's checked L1 leaves; a nonce beyond them counts as
    /// forged only once L1 (at its latest block) has sent fewer messages than that nonce. Also
    /// returns the nonce up to which every processed leaf matched L1's.
    pub(crate) async fn watch_forged(&self, from: u64) -> Result<(Option<Forged>, u64)> {
        const PAGE: u64 = 1_000;
        let mut matched = from;
        let mut l1_sent: Option<u64> = None;
        loop {
            let page = self.store.watch_processed_against_l1(matched, PAGE).await?;
            if page.is_empty() {
                return Ok((None, matched));
            }
            for (nonce, l2_leaf, l2_block, l1_leaf) in page {
                let l1_leaf = match l1_leaf {
                    Some(l1) if l1 == l2_leaf => {
                        matched = nonce + 1;
                        continue;
                    }
                    Some(l1) => Some(l1),
                    None => {
                        let sent = match l1_sent {
                            Some(sent) => sent,
                            None => {
                                let sent = self
                                    .l1_bridge()
                                    .messageCount()
                                    .block(BlockId::latest())
                                    .call()
                                    .await
                                    .map_err(|e| self.l1.rpc(format!("messageCount: {e}")))?;
                                *l1_sent.insert(sent)
                            }
                        };
                        if nonce < sent {
                            // L1 sent it but the watchdog has not confirmed it yet: judged later.
                            return Ok((None, matched));
                        }
                        None
                    }
                };
                let forged = Forged {
                    nonce,
                    l2_leaf,
                    l1_leaf,
                    l2_block,
                };
                return Ok((Some(forged), matched));
            }
        }
    }

    /// Runs the leaf comparison, remembers how far L2's leaves matched L1's and raises
    /// `forged_l1_message` once per forged nonce. Returns the finding (key, text), if any.
    pub(crate) async fn watch_check_forged(&mut self) -> Result<Option<(String, String)>> {
        let (found, matched) = self.watch_forged(self.watch_leaves_checked).await?;
        self.watch_leaves_checked = matched;
        let Some(forged) = found else {
            return Ok(None);
        };
        let problem = forged.problem();
        if !self.metrics.watchdog_problem_keys().contains(&problem.0) {
            error!(nonce = forged.nonce, l2_leaf = %forged.l2_leaf, l1_leaf = ?forged.l1_leaf, l2_block = forged.l2_block, "ALERT: watchdog: L2 processed a message L1 never sent; every output past it is wrong and is challenged");
            self.metrics.alert("forged_l1_message");
        }
        Ok(Some(problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::WatchedWithdrawal;
    use crate::store::MessageRow;
    use alloy::primitives::{Address, B256, U256};
    use drawbridge_protocol::L1Message;
    use drawbridge_protocol::{MerkleTree, MessageKind};

    fn row(nonce: u64, kind: MessageKind, token: Address) -> MessageRow {
        let message = L1Message {
            kind,
            nonce,
            sender: Address::repeat_byte(0xaa),
            recipient: Address::repeat_byte(0xaa),
            token,
            amount: U256::from(10u64 + nonce),
            data: Default::default(),
        };
        MessageRow {
            leaf: message.leaf(900, Address::repeat_byte(1)),
            message,
            l1_block: 5 + nonce,
            l1_tx: B256::repeat_byte(nonce as u8),
            log_index: 0,
        }
    }

    #[tokio::test]
    async fn the_watchdog_compares_processed_leaves_and_tracks_tokens_and_payments() {
        let (_dir, store, fence) = crate::test_support::watchdog_store("w.sqlite").await;
        let at = |n: u64| Cursor {
            next_block: n,
            last_block_hash: Some(B256::repeat_byte(n as u8)),
        };
        let token = Address::repeat_byte(0x70);
        let l1 = [
            row(0, MessageKind::Deposit, Address::ZERO),
            row(1, MessageKind::Deposit, token),
            row(2, MessageKind::ForcedWithdrawal, token),
        ];
        store
            .watch_ingest_l1_messages(&fence, &l1, at(9))
            .await
            .unwrap();
        let mut tree = MerkleTree::new();
        store.watch_extend_l1_tree(&mut tree).await.unwrap();
        assert_eq!(tree.len(), 3);
        assert_eq!(tree.leaf(1), Some(l1[1].leaf));

        // L2 processed 0 and 1 as L1 sent them, a made-up leaf at 2 and a nonce L1 never sent.
        let forged = B256::repeat_byte(0xf0);
        let events = L2BridgeEvents {
            processed: vec![
                (0, l1[0].leaf, 20),
                (1, l1[1].leaf, 20),
                (2, forged, 21),
                (3, B256::repeat_byte(0xf1), 22),
            ],
            withdrawals: vec![
                WatchedWithdrawal {
                    nonce: 0,
                    l1_token: Address::ZERO,
                    amount: U256::from(3u64),
                    l2_block: 20,
                },
                WatchedWithdrawal {
                    nonce: 1,
                    l1_token: token,
                    amount: U256::from(4u64),
                    l2_block: 30,
                },
            ],
            tokens: vec![(Address::repeat_byte(0x99), Address::repeat_byte(0x98), 21)],
        };
        store
            .watch_ingest_l2_bridge(&fence, &events, at(31))
            .await
            .unwrap();
        let compared = store.watch_processed_against_l1(0, 10).await.unwrap();
        assert_eq!(compared.len(), 4);
        assert_eq!(compared[1], (1, l1[1].leaf, 20, Some(l1[1].leaf)));
        assert_eq!(compared[2], (2, forged, 21, Some(l1[2].leaf)));
        assert_eq!(compared[3].3, None, "L1 never sent nonce 3");
        assert_eq!(
            store.watch_processed_against_l1(3, 10).await.unwrap().len(),
            1
        );
        // The same range again (a retry) changes nothing.
        store
            .watch_ingest_l2_bridge(&fence, &events, at(31))
            .await
            .unwrap();
        assert_eq!(
            store.watch_processed_against_l1(0, 10).await.unwrap().len(),
            4
        );

        // Tokens: deposited on L1 (kind 1 only) or deployed on L2.
        let tokens = store.watch_tokens().await.unwrap();
        assert_eq!(
            tokens,
            vec![Address::ZERO, token, Address::repeat_byte(0x99)]
        );

        // Withdrawals owed up to an L2 block, until paid.
        let unpaid = store.watch_unpaid(25).await.unwrap();
        assert_eq!(unpaid.len(), 1);
        assert_eq!(unpaid[0].amount, U256::from(3u64));
        assert_eq!(store.watch_unpaid(30).await.unwrap().len(), 2);
        store.watch_mark_paid(&fence, &[0]).await.unwrap();
        let unpaid = store.watch_unpaid(30).await.unwrap();
        assert_eq!(unpaid.len(), 1);
        assert_eq!(unpaid[0].nonce, 1);
        store.close().await;
    }

    #[test]
    fn a_forged_finding_names_the_nonce_and_both_leaves() {
        let f = Forged {
            nonce: 7,
            l2_leaf: B256::repeat_byte(1),
            l1_leaf: Some(B256::repeat_byte(2)),
            l2_block: 40,
        };
        let (key, text) = f.problem();
        assert_eq!(key, "forged:7");
        assert!(
            text.contains("nonce 7") && text.contains(&B256::repeat_byte(2).to_string()),
            "{text}"
        );
        let f = Forged { l1_leaf: None, ..f };
        assert!(
            f.problem()
                .1
                .contains("never sent a message with that nonce")
        );
    }
}
