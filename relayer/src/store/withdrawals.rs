//! The `withdrawals` table: withdrawals initiated on L2 and which of them the relayer finalized.

use alloy::primitives::{Address, B256};
use drawbridge_protocol::{MerkleTree, Withdrawal};
use sqlx::any::AnyRow;

use super::{Cursor, Fence, Store, WithdrawalRow, get_amount, get_parsed, get_u64, int};
use crate::error::Result;

fn withdrawal_from_row(row: &AnyRow) -> Result<WithdrawalRow> {
    Ok(WithdrawalRow {
        withdrawal: Withdrawal {
            nonce: get_u64(row, "nonce")?,
            sender: get_parsed(row, "sender")?,
            recipient: get_parsed(row, "recipient")?,
            l1_token: get_parsed(row, "l1_token")?,
            amount: get_amount(row, "amount")?,
        },
        leaf: get_parsed(row, "leaf")?,
        l2_block: get_u64(row, "l2_block")?,
        l2_tx: get_parsed(row, "l2_tx")?,
        log_index: get_u64(row, "log_index")?,
        finalized: get_u64(row, "finalized")? != 0,
    })
}

impl Store {
    /// Stores a scanned L2 range atomically: its withdrawals and the cursor.
    pub(crate) async fn ingest_l2(
        &self,
        fence: &Fence,
        withdrawals: &[WithdrawalRow],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for w in withdrawals {
            let wd = &w.withdrawal;
            sqlx::query(
                "INSERT INTO withdrawals (nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
            )
            .bind(int(wd.nonce)?)
            .bind(wd.sender.to_string().to_lowercase())
            .bind(wd.recipient.to_string().to_lowercase())
            .bind(wd.l1_token.to_string().to_lowercase())
            .bind(wd.amount.to_string())
            .bind(w.leaf.to_string())
            .bind(int(w.l2_block)?)
            .bind(w.l2_tx.to_string())
            .bind(int(w.log_index)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::set_cursor(&mut tx, "l2", cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Extends the withdrawal tree with the stored withdrawals it lacks.
    pub async fn extend_withdrawal_tree(&self, tree: &mut MerkleTree) -> Result<()> {
        self.extend_tree(
            tree,
            "SELECT nonce, leaf FROM withdrawals WHERE nonce >= $1 ORDER BY nonce",
            "withdrawals",
        )
        .await
    }

    /// Rebuilds the withdrawal tree from the stored leaves, streamed in nonce order.
    pub async fn load_withdrawal_tree(&self) -> Result<MerkleTree> {
        let mut tree = MerkleTree::new();
        self.extend_withdrawal_tree(&mut tree).await?;
        Ok(tree)
    }

    /// Number of withdrawals initiated in L2 blocks `<= l2_block`.
    pub async fn withdrawals_up_to_block(&self, l2_block: u64) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM withdrawals WHERE l2_block <= $1")
            .bind(int(l2_block)?)
            .fetch_one(&self.pool)
            .await?;
        get_u64(&row, "n")
    }

    /// Withdrawals with `from <= nonce < below` not yet seen finalized, in nonce order.
    pub async fn unfinalized_withdrawals(
        &self,
        from: u64,
        below: u64,
        limit: usize,
    ) -> Result<Vec<WithdrawalRow>> {
        let rows = sqlx::query(
            "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
             FROM withdrawals WHERE nonce >= $1 AND nonce < $2 AND finalized = 0 ORDER BY nonce LIMIT $3",
        )
        .bind(int(from)?)
        .bind(int(below)?)
        .bind(int(limit as u64)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(withdrawal_from_row).collect()
    }

    /// Every stored withdrawal, in nonce order.
    pub async fn withdrawals(&self) -> Result<Vec<WithdrawalRow>> {
        let rows = sqlx::query(
            "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
             FROM withdrawals ORDER BY nonce",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(withdrawal_from_row).collect()
    }

    /// The withdrawal with `nonce`, if ingested.
    pub async fn withdrawal_by_nonce(&self, nonce: u64) -> Result<Option<WithdrawalRow>> {
        let row = sqlx::query(
            "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
             FROM withdrawals WHERE nonce = $1",
        )
        .bind(int(nonce)?)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(withdrawal_from_row).transpose()
    }

    /// The withdrawals `address` sent or receives, newest first, at most `limit`.
    pub async fn withdrawals_of(&self, address: Address, limit: u64) -> Result<Vec<WithdrawalRow>> {
        let address = address.to_string().to_lowercase();
        let rows = sqlx::query(
            "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
             FROM withdrawals WHERE sender = $1 OR recipient = $1 ORDER BY nonce DESC LIMIT $2",
        )
        .bind(address)
        .bind(int(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(withdrawal_from_row).collect()
    }

    /// The withdrawals whose leaf is `hash`, or else those initiated by the L2 transaction `hash`,
    /// in nonce order.
    pub async fn withdrawals_by_hash(&self, hash: B256) -> Result<Vec<WithdrawalRow>> {
        let text = hash.to_string();
        let by_leaf = sqlx::query(
            "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
             FROM withdrawals WHERE leaf = $1 ORDER BY nonce",
        )
        .bind(text.clone())
        .fetch_all(&self.pool)
        .await?;
        let rows = if by_leaf.is_empty() {
            sqlx::query(
                "SELECT nonce, sender, recipient, l1_token, amount, leaf, l2_block, l2_tx, log_index, finalized \
                 FROM withdrawals WHERE l2_tx = $1 ORDER BY nonce",
            )
            .bind(text)
            .fetch_all(&self.pool)
            .await?
        } else {
            by_leaf
        };
        rows.iter().map(withdrawal_from_row).collect()
    }

    /// Marks withdrawals as seen finalized on L1.
    pub(crate) async fn mark_finalized(&self, fence: &Fence, nonces: &[u64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for nonce in nonces {
            sqlx::query("UPDATE withdrawals SET finalized = 1 WHERE nonce = $1")
                .bind(int(*nonce)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
