//! The watchdog's chain tables: its checked copy of L1's messages, the leaves L2 consumed, the
//! tokens it knows and the withdrawals L1 has not paid.

use alloy::primitives::{Address, B256};
use drawbridge_protocol::{MerkleTree, MessageKind};
use sqlx::Row;

use super::{Cursor, Fence, MessageRow, Store, get_parsed, get_u64, int};
use crate::error::{Error, Result};
use crate::events::{L2BridgeEvents, WatchedWithdrawal};

/// Cursor of the watchdog's `MessageSent` scan on L1.
pub(crate) const L1_MESSAGES_CURSOR: &str = "watchdog_l1_messages";
/// Cursor of the watchdog's L2 bridge scan.
pub(crate) const L2_BRIDGE_CURSOR: &str = "watchdog_l2_bridge";

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
