//! The `cursors`, `l1_messages` and `roots` tables: scan positions, the L1 messages and committed
//! roots the deliver role ingested, and the Merkle trees rebuilt from them.

use drawbridge_protocol::{L1Message, MerkleTree, MessageKind};
use futures::TryStreamExt;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Cursor, Fence, MessageRow, RootRow, Store, bad, get_amount, get_parsed, get_u64, hex_str, int,
};
use crate::error::Result;

fn message_from_row(row: &AnyRow) -> Result<MessageRow> {
    let nonce = get_u64(row, "nonce")?;
    let kind = get_u64(row, "kind")?;
    let kind = u8::try_from(kind)
        .ok()
        .and_then(|k| MessageKind::try_from(k).ok())
        .ok_or_else(|| bad(format!("l1_messages nonce {nonce}"), format!("kind {kind}")))?;
    let data: String = row.try_get("data")?;
    let data = alloy::hex::decode(&data).map_err(|e| bad("data", e))?;
    Ok(MessageRow {
        message: L1Message {
            kind,
            nonce,
            sender: get_parsed(row, "sender")?,
            recipient: get_parsed(row, "recipient")?,
            token: get_parsed(row, "token")?,
            amount: get_amount(row, "amount")?,
            data: data.into(),
        },
        leaf: get_parsed(row, "leaf")?,
        l1_block: get_u64(row, "l1_block")?,
        l1_tx: get_parsed(row, "l1_tx")?,
        log_index: get_u64(row, "log_index")?,
    })
}

impl Store {
    /// The scan position of `chain` (`l1` or `l2`), if it has been scanned.
    pub async fn cursor(&self, chain: &str) -> Result<Option<Cursor>> {
        let row = sqlx::query("SELECT next_block, last_block_hash FROM cursors WHERE chain = $1")
            .bind(chain.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let hash: Option<String> = row.try_get("last_block_hash")?;
            Ok(Cursor {
                next_block: get_u64(&row, "next_block")?,
                last_block_hash: hash
                    .map(|h| h.parse().map_err(|e| bad("last_block_hash", e)))
                    .transpose()?,
            })
        })
        .transpose()
    }

    pub(crate) async fn set_cursor(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        chain: &str,
        cursor: Cursor,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO cursors (chain, next_block, last_block_hash) VALUES ($1, $2, $3) \
             ON CONFLICT (chain) DO UPDATE SET next_block = excluded.next_block, \
             last_block_hash = excluded.last_block_hash",
        )
        .bind(chain.to_string())
        .bind(int(cursor.next_block)?)
        .bind(cursor.last_block_hash.map(|h| h.to_string()))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Stores a scanned L1 range atomically: its messages, its committed roots and the cursor.
    pub(crate) async fn ingest_l1(
        &self,
        fence: &Fence,
        messages: &[MessageRow],
        roots: &[RootRow],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for m in messages {
            let msg = &m.message;
            sqlx::query(
                "INSERT INTO l1_messages (nonce, kind, sender, recipient, token, amount, data, leaf, l1_block, l1_tx, log_index) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(int(msg.nonce)?)
            .bind(i64::from(msg.kind.as_u8()))
            .bind(msg.sender.to_string().to_lowercase())
            .bind(msg.recipient.to_string().to_lowercase())
            .bind(msg.token.to_string().to_lowercase())
            .bind(msg.amount.to_string())
            .bind(hex_str(&msg.data))
            .bind(m.leaf.to_string())
            .bind(int(m.l1_block)?)
            .bind(m.l1_tx.to_string())
            .bind(int(m.log_index)?)
            .execute(&mut *tx)
            .await?;
        }
        for r in roots {
            sqlx::query(
                "INSERT INTO message_roots (root, message_count, l1_block) VALUES ($1, $2, $3) \
                 ON CONFLICT (root) DO NOTHING",
            )
            .bind(r.root.to_string())
            .bind(int(r.count)?)
            .bind(int(r.l1_block)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::set_cursor(&mut tx, "l1", cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends to `tree` the stored leaves from nonce `tree.len()` on, streamed in nonce order:
    /// how a relayer that takes a role over catches up with what the previous holder ingested.
    pub(super) async fn extend_tree(
        &self,
        tree: &mut MerkleTree,
        sql: &'static str,
        what: &str,
    ) -> Result<()> {
        let mut rows = sqlx::query(sql).bind(int(tree.len())?).fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let nonce = get_u64(&row, "nonce")?;
            if nonce != tree.len() {
                return Err(bad(
                    what,
                    format!(
                        "nonce {nonce} follows {} rows: the table has a gap",
                        tree.len()
                    ),
                ));
            }
            tree.push(get_parsed(&row, "leaf")?)?;
        }
        Ok(())
    }

    /// Extends the L1 message tree with the stored messages it lacks.
    pub async fn extend_message_tree(&self, tree: &mut MerkleTree) -> Result<()> {
        self.extend_tree(
            tree,
            "SELECT nonce, leaf FROM l1_messages WHERE nonce >= $1 ORDER BY nonce",
            "l1_messages",
        )
        .await
    }

    /// Rebuilds the L1 message tree from the stored leaves, streamed in nonce order.
    pub async fn load_message_tree(&self) -> Result<MerkleTree> {
        let mut tree = MerkleTree::new();
        self.extend_message_tree(&mut tree).await?;
        Ok(tree)
    }

    /// Messages with `from <= nonce < to`, in nonce order.
    pub async fn messages(&self, from: u64, to: u64) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(
            "SELECT nonce, kind, sender, recipient, token, amount, data, leaf, l1_block, l1_tx, log_index \
             FROM l1_messages WHERE nonce >= $1 AND nonce < $2 ORDER BY nonce",
        )
        .bind(int(from)?)
        .bind(int(to)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// The L1 messages `address` sent or receives, newest first, at most `limit`.
    pub async fn messages_of(
        &self,
        address: alloy::primitives::Address,
        limit: u64,
    ) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(
            "SELECT nonce, kind, sender, recipient, token, amount, data, leaf, l1_block, l1_tx, log_index \
             FROM l1_messages WHERE sender = $1 OR recipient = $1 ORDER BY nonce DESC LIMIT $2",
        )
        .bind(address.to_string().to_lowercase())
        .bind(int(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// The message with `nonce`, if ingested.
    pub async fn message(&self, nonce: u64) -> Result<Option<MessageRow>> {
        Ok(self
            .messages(nonce, nonce.saturating_add(1))
            .await?
            .into_iter()
            .next())
    }

    /// Number of confirmed L1 messages ingested.
    pub async fn message_count(&self) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM l1_messages")
            .fetch_one(&self.pool)
            .await?;
        get_u64(&row, "n")
    }

    /// The confirmed committed root covering the most messages.
    pub async fn latest_root(&self) -> Result<Option<RootRow>> {
        let row = sqlx::query(
            "SELECT root, message_count, l1_block FROM message_roots ORDER BY message_count DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(RootRow {
                root: get_parsed(&row, "root")?,
                count: get_u64(&row, "message_count")?,
                l1_block: get_u64(&row, "l1_block")?,
            })
        })
        .transpose()
    }

    /// The confirmed committed roots covering at most `count` messages, most messages first, at
    /// most `limit` of them.
    pub async fn roots_up_to(&self, count: u64, limit: u64) -> Result<Vec<RootRow>> {
        let rows = sqlx::query(
            "SELECT root, message_count, l1_block FROM message_roots WHERE message_count <= $1 \
             ORDER BY message_count DESC LIMIT $2",
        )
        .bind(int(count)?)
        .bind(int(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RootRow {
                    root: get_parsed(row, "root")?,
                    count: get_u64(row, "message_count")?,
                    l1_block: get_u64(row, "l1_block")?,
                })
            })
            .collect()
    }
}
