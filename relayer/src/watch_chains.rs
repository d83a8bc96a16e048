//! What the watchdog follows besides the OutputOracle: L1's messages (from `MessageSent` logs,
//! each range checked against L1 state before it is stored, like the deliver role's), and the L2
//! bridge's `MessageProcessed`, `WithdrawalInitiated` and `BridgedTokenDeployed` events. With them
//! it compares every leaf L2 consumed with L1's leaf at the same nonce (`forged_l1_message`) and
//! the conservation monitor ([`crate::conservation`]) knows the tokens and the withdrawals.

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::IL2Bridge;
use drawbridge_merkle::{MerkleTree, MessageKind};
use sqlx::Row;
use tracing::{debug, error};

use crate::error::{Error, Result};
use crate::relayer::{Relayer, Side};
use crate::store::{Cursor, Fence, MessageRow, Store, get_parsed, get_u64, int};

/// Cursor of the watchdog's `MessageSent` scan on L1.
const L1_MESSAGES_CURSOR: &str = "watchdog_l1_messages";
/// Cursor of the watchdog's L2 bridge scan.
pub(crate) const L2_BRIDGE_CURSOR: &str = "watchdog_l2_bridge";

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

/// The watchdog's chain tables.
impl Store {
    /// Stores checked L1 messages and moves the watchdog's L1 message cursor, atomically.
    pub(crate) async fn watch_ingest_l1_messages(
        &self,
        fence: &Fence,
        messages: &[MessageRow],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for m in messages {
            sqlx::query(
                "INSERT INTO watched_l1_messages (nonce, kind, token, leaf, l1_block) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(int(m.message.nonce)?)
            .bind(i64::from(m.message.kind.as_u8()))
            .bind(m.message.token.to_string().to_lowercase())
            .bind(m.leaf.to_string())
            .bind(int(m.l1_block)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::set_cursor(&mut tx, L1_MESSAGES_CURSOR, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends to `tree` the watchdog's stored L1 leaves it lacks, in nonce order.
    pub(crate) async fn watch_extend_l1_tree(&self, tree: &mut MerkleTree) -> Result<()> {
        let rows = sqlx::query(
            "SELECT nonce, leaf FROM watched_l1_messages WHERE nonce >= $1 ORDER BY nonce",
        )
        .bind(int(tree.len())?)
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            let nonce = get_u64(row, "nonce")?;
            if nonce != tree.len() {
                return Err(Error::BadRow {
                    what: "watched_l1_messages".into(),
                    reason: format!("nonce {nonce} follows {} rows: a gap", tree.len()),
                });
            }
            tree.push(get_parsed(row, "leaf")?)?;
        }
        Ok(())
    }

    /// Stores a scanned L2 bridge range and moves its cursor, atomically.
    pub(crate) async fn watch_ingest_l2_bridge(
        &self,
        fence: &Fence,
        events: &L2BridgeEvents,
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for (nonce, leaf, block) in &events.processed {
            sqlx::query(
                "INSERT INTO watched_processed (nonce, leaf, l2_block) VALUES ($1, $2, $3) \
                 ON CONFLICT (nonce) DO NOTHING",
            )
            .bind(int(*nonce)?)
            .bind(leaf.to_string())
            .bind(int(*block)?)
            .execute(&mut *tx)
            .await?;
        }
        for w in &events.withdrawals {
            sqlx::query(
                "INSERT INTO watched_withdrawals (nonce, l1_token, amount, l2_block, paid) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (nonce) DO NOTHING",
            )
            .bind(int(w.nonce)?)
            .bind(w.l1_token.to_string().to_lowercase())
            .bind(w.amount.to_string())
            .bind(int(w.l2_block)?)
            .execute(&mut *tx)
            .await?;
        }
        for (l1_token, l2_token, block) in &events.tokens {
            sqlx::query(
                "INSERT INTO watched_tokens (l1_token, l2_token, l2_block) VALUES ($1, $2, $3) \
                 ON CONFLICT (l1_token) DO NOTHING",
            )
            .bind(l1_token.to_string().to_lowercase())
            .bind(l2_token.to_string().to_lowercase())
            .bind(int(*block)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::set_cursor(&mut tx, L2_BRIDGE_CURSOR, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Processed leaves from nonce `from` on, in nonce order, with L1's leaf at the same nonce
    /// when the watchdog has it: `(nonce, l2 leaf, l2 block, l1 leaf)`, at most `limit`.
    pub(crate) async fn watch_processed_against_l1(
        &self,
        from: u64,
        limit: u64,
    ) -> Result<Vec<(u64, B256, u64, Option<B256>)>> {
        let rows = sqlx::query(
            "SELECT p.nonce AS nonce, p.leaf AS leaf, p.l2_block AS l2_block, m.leaf AS l1_leaf \
             FROM watched_processed p LEFT JOIN watched_l1_messages m ON m.nonce = p.nonce \
             WHERE p.nonce >= $1 ORDER BY p.nonce LIMIT $2",
        )
        .bind(int(from)?)
        .bind(int(limit)?)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let l1: Option<String> = row.try_get("l1_leaf")?;
                Ok((
                    get_u64(row, "nonce")?,
                    get_parsed(row, "leaf")?,
                    get_u64(row, "l2_block")?,
                    l1.map(|l| {
                        l.parse().map_err(|e| Error::BadRow {
                            what: "watched_l1_messages.leaf".into(),
                            reason: format!("{l:?}: {e}"),
                        })
                    })
                    .transpose()?,
                ))
            })
            .collect()
    }

    /// Every L1 token the watchdog knows of: deposited on L1 or with a BridgedToken on L2.
    pub(crate) async fn watch_tokens(&self) -> Result<Vec<Address>> {
        let rows = sqlx::query(
            "SELECT DISTINCT token AS t FROM watched_l1_messages WHERE kind = $1 \
             UNION SELECT l1_token AS t FROM watched_tokens ORDER BY t",
        )
        .bind(i64::from(MessageKind::Deposit.as_u8()))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| get_parsed(row, "t")).collect()
    }

    /// Withdrawals initiated in L2 blocks `<= l2_block` not yet seen paid.
    pub(crate) async fn watch_unpaid(&self, l2_block: u64) -> Result<Vec<WatchedWithdrawal>> {
        let rows = sqlx::query(
            "SELECT nonce, l1_token, amount, l2_block FROM watched_withdrawals \
             WHERE paid = 0 AND l2_block <= $1 ORDER BY nonce",
        )
        .bind(int(l2_block)?)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WatchedWithdrawal {
                    nonce: get_u64(row, "nonce")?,
                    l1_token: get_parsed(row, "l1_token")?,
                    amount: get_parsed(row, "amount")?,
                    l2_block: get_u64(row, "l2_block")?,
                })
            })
            .collect()
    }

    /// Records withdrawals L1 paid (read at a confirmed L1 block).
    pub(crate) async fn watch_mark_paid(&self, fence: &Fence, nonces: &[u64]) -> Result<()> {
        if nonces.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for nonce in nonces {
            sqlx::query("UPDATE watched_withdrawals SET paid = 1 WHERE nonce = $1")
                .bind(int(*nonce)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Decodes one L2 bridge log the watchdog follows into `events`.
fn decode_l2_bridge_log(
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

impl Relayer {
    /// Ingests L1's messages up to the confirmed L1 head into the watchdog's table, each scan
    /// checked against `messageRoot()`/`messageCount()` at the confirmed block before it is stored
    /// (a lying node stores nothing and fails the round with [`Error::L1LogsInconsistent`]).
    pub(crate) async fn watch_follow_l1_messages(&mut self, fence: &Fence) -> Result<()> {
        self.store
            .watch_extend_l1_tree(&mut self.watched_messages)
            .await?;
        let target = self.l1.confirmed_head().await?;
        let cursor = self.watch_cursor(Side::L1, L1_MESSAGES_CURSOR).await?;
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
        let mut cursor = self.watch_cursor(Side::L2, L2_BRIDGE_CURSOR).await?;
        let bridge = self.config.deployment.l2.l2_bridge;
        while cursor.next_block <= target {
            let from = cursor.next_block;
            let to = target.min(from.saturating_add(self.config.max_log_range - 1));
            let filter = Filter::new()
                .address(bridge)
                .event_signature(vec![
                    IL2Bridge::MessageProcessed::SIGNATURE_HASH,
                    IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH,
                    IL2Bridge::BridgedTokenDeployed::SIGNATURE_HASH,
                ])
                .from_block(from)
                .to_block(to);
            let mut logs = self
                .l2
                .provider
                .get_logs(&filter)
                .await
                .map_err(|e| self.l2.rpc(format!("eth_getLogs({from}..={to}): {e}")))?;
            logs.sort_by_key(|log| (log.block_number, log.log_index));
            let mut events = L2BridgeEvents::default();
            for log in &logs {
                decode_l2_bridge_log(log, &mut events).map_err(|e| self.l2.rpc(e))?;
            }
            let (to_hash, _) = self.l2.block(to).await?;
            let next = Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            };
            self.store
                .watch_ingest_l2_bridge(fence, &events, next)
                .await?;
            cursor = next;
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
    use crate::config::Role;
    use drawbridge_merkle::L1Message;

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
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("w.sqlite").display()
        );
        let store = Store::open(&url).await.unwrap();
        let fence = store
            .try_acquire(
                Role::Watchdog,
                &std::sync::Arc::from("w"),
                std::time::Duration::from_secs(60),
                true,
            )
            .await
            .unwrap()
            .unwrap();
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
