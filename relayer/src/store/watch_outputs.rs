//! The watchdog's output tables: every output proposed on the OutputOracle with its status and
//! verdict, and every L1 root published on L2 with its L1 check.

use alloy::primitives::{Address, B256};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Cursor, Fence, Store, get_opt_u64, get_parsed, get_u64, int, now_ms};
use crate::claim::{Claim, output_id};
use crate::error::{Error, Result};
use crate::events::OutputEvent;

/// Cursor (in `cursors`) of the OutputOracle events on L1.
pub(crate) const OUTPUTS_CURSOR: &str = "watchdog_l1";
/// Cursor of the `RootPublished` events on L2.
pub(crate) const ROOTS_CURSOR: &str = "watchdog_l2";

/// An output as the watchdog stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchedOutput {
    pub l1_block: u64,
    pub log_index: u64,
    pub index: u64,
    pub id: B256,
    pub proposer: Address,
    pub claim: Claim,
    /// proposed, challenged, upheld or deleted.
    pub status: String,
    pub challenger: Option<Address>,
    /// valid / invalid once the council ruled.
    pub council_verdict: Option<String>,
    /// ok / wrong once checked.
    pub verdict: Option<String>,
    pub reason: Option<String>,
}

impl WatchedOutput {
    /// JSON for the API.
    pub fn to_json(&self) -> Value {
        json!({
            "index": self.index,
            "output_id": self.id.to_string(),
            "proposer": self.proposer.to_string(),
            "l1_block": self.l1_block,
            "l2_block_number": self.claim.l2_block,
            "l2_block_hash": self.claim.block_hash.to_string(),
            "l2_state_root": self.claim.state_root.to_string(),
            "withdrawal_root": self.claim.withdrawal_root.to_string(),
            "l1_messages_processed": self.claim.l1_messages_processed,
            "l1_message_root": self.claim.l1_message_root.map(|r| r.to_string()),
            "status": self.status,
            "challenger": self.challenger.map(|a| a.to_string()),
            "council_verdict": self.council_verdict,
            "verdict": self.verdict,
            "reason": self.reason,
        })
    }
}

/// An L1 root published on L2 as the watchdog stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchedRoot {
    pub root: B256,
    pub count: u64,
    pub l2_block: u64,
    /// `messageRootCount(root)` on L1 when last checked.
    pub l1_count: Option<u64>,
}

fn output_from_row(row: &AnyRow) -> Result<WatchedOutput> {
    let challenger: Option<String> = row.try_get("challenger")?;
    Ok(WatchedOutput {
        l1_block: get_u64(row, "l1_block")?,
        log_index: get_u64(row, "log_index")?,
        index: get_u64(row, "output_index")?,
        id: get_parsed(row, "output_id")?,
        proposer: get_parsed(row, "proposer")?,
        claim: Claim {
            l2_block: get_u64(row, "l2_block")?,
            block_hash: get_parsed(row, "l2_block_hash")?,
            state_root: get_parsed(row, "l2_state_root")?,
            withdrawal_root: get_parsed(row, "withdrawal_root")?,
            l1_messages_processed: get_u64(row, "l1_messages_processed")?,
            l1_message_root: {
                let root: Option<String> = row.try_get("l1_message_root")?;
                root.map(|r| {
                    r.parse().map_err(|e| Error::BadRow {
                        what: "watched_outputs.l1_message_root".into(),
                        reason: format!("{r:?}: {e}"),
                    })
                })
                .transpose()?
            },
        },
        status: row.try_get("status")?,
        challenger: challenger
            .map(|c| {
                c.parse().map_err(|e| Error::BadRow {
                    what: "watched_outputs.challenger".into(),
                    reason: format!("{c:?}: {e}"),
                })
            })
            .transpose()?,
        council_verdict: row.try_get("council_verdict")?,
        verdict: row.try_get("verdict")?,
        reason: row.try_get("reason")?,
    })
}

fn root_from_row(row: &AnyRow) -> Result<WatchedRoot> {
    Ok(WatchedRoot {
        root: get_parsed(row, "root")?,
        count: get_u64(row, "message_count")?,
        l2_block: get_u64(row, "l2_block")?,
        l1_count: get_opt_u64(row, "l1_count")?,
    })
}

/// `SELECT` of every column of `watched_outputs` followed by `$rest`.
macro_rules! select_outputs {
    ($rest:literal) => {
        concat!(
            "SELECT l1_block, log_index, output_index, output_id, proposer, l2_block, \
             l2_block_hash, l2_state_root, withdrawal_root, l1_messages_processed, status, \
             challenger, council_verdict, verdict, reason, l1_message_root FROM watched_outputs ",
            $rest
        )
    };
}

/// The watchdog's tables.
impl Store {
    /// Applies a scanned range of OutputOracle events and moves the cursor, atomically.
    pub(crate) async fn watch_ingest_outputs(
        &self,
        fence: &Fence,
        events: &[OutputEvent],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for event in events {
            match event {
                OutputEvent::Proposed {
                    l1_block,
                    log_index,
                    index,
                    proposer,
                    claim,
                } => {
                    // A proposal at `index` means everything from `index` on was deleted before.
                    sqlx::query(
                        "UPDATE watched_outputs SET status = 'deleted' \
                         WHERE output_index >= $1 AND status <> 'deleted'",
                    )
                    .bind(int(*index)?)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO watched_outputs (l1_block, log_index, output_index, output_id, \
                         proposer, l2_block, l2_block_hash, l2_state_root, withdrawal_root, \
                         l1_messages_processed, status, l1_message_root) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'proposed', $11) \
                         ON CONFLICT (l1_block, log_index) DO NOTHING",
                    )
                    .bind(int(*l1_block)?)
                    .bind(int(*log_index)?)
                    .bind(int(*index)?)
                    .bind(output_id(*index, *proposer, claim).to_string())
                    .bind(proposer.to_string())
                    .bind(int(claim.l2_block)?)
                    .bind(claim.block_hash.to_string())
                    .bind(claim.state_root.to_string())
                    .bind(claim.withdrawal_root.to_string())
                    .bind(int(claim.l1_messages_processed)?)
                    .bind(claim.l1_message_root.map(|r| r.to_string()))
                    .execute(&mut *tx)
                    .await?;
                }
                OutputEvent::Challenged { index, challenger } => {
                    sqlx::query(
                        "UPDATE watched_outputs SET status = 'challenged', challenger = $2 \
                         WHERE output_index = $1 AND status <> 'deleted'",
                    )
                    .bind(int(*index)?)
                    .bind(challenger.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                OutputEvent::Resolved { index, valid } => {
                    let sql = if *valid {
                        "UPDATE watched_outputs SET status = 'upheld', council_verdict = 'valid' \
                         WHERE output_index = $1 AND status <> 'deleted'"
                    } else {
                        "UPDATE watched_outputs SET council_verdict = 'invalid' \
                         WHERE output_index = $1 AND status <> 'deleted'"
                    };
                    sqlx::query(sql)
                        .bind(int(*index)?)
                        .execute(&mut *tx)
                        .await?;
                }
                OutputEvent::Deleted { from_index } => {
                    sqlx::query(
                        "UPDATE watched_outputs SET status = 'deleted' \
                         WHERE output_index >= $1 AND status <> 'deleted'",
                    )
                    .bind(int(*from_index)?)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        Self::set_cursor(&mut tx, OUTPUTS_CURSOR, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Live outputs the watchdog has not judged yet, in index order.
    pub(crate) async fn watch_unchecked(&self) -> Result<Vec<WatchedOutput>> {
        let sql =
            select_outputs!("WHERE verdict IS NULL AND status <> 'deleted' ORDER BY output_index");
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        rows.iter().map(output_from_row).collect()
    }

    /// Live outputs judged wrong, in index order.
    pub(crate) async fn watch_wrong_live(&self) -> Result<Vec<WatchedOutput>> {
        let sql = select_outputs!(
            "WHERE verdict = 'wrong' AND status <> 'deleted' ORDER BY output_index"
        );
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        rows.iter().map(output_from_row).collect()
    }

    /// Records the watchdog's verdict on the output proposed at `(l1_block, log_index)`.
    pub(crate) async fn watch_set_verdict(
        &self,
        fence: &Fence,
        output: &WatchedOutput,
        wrong: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "UPDATE watched_outputs SET verdict = $3, reason = $4, checked_at = $5 \
             WHERE l1_block = $1 AND log_index = $2",
        )
        .bind(int(output.l1_block)?)
        .bind(int(output.log_index)?)
        .bind(if wrong.is_some() { "wrong" } else { "ok" })
        .bind(wrong.map(str::to_string))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The stored outputs, newest proposal first (deleted ones included), at most `limit`.
    pub(crate) async fn watched_outputs(&self, limit: u64) -> Result<Vec<WatchedOutput>> {
        let sql = select_outputs!("ORDER BY l1_block DESC, log_index DESC LIMIT $1");
        let rows = sqlx::query(sql)
            .bind(int(limit)?)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(output_from_row).collect()
    }

    /// The stored live output with identity `id`, if the watchdog saw it.
    pub(crate) async fn watched_output(&self, id: B256) -> Result<Option<WatchedOutput>> {
        let sql =
            select_outputs!("WHERE output_id = $1 ORDER BY l1_block DESC, log_index DESC LIMIT 1");
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(output_from_row).transpose()
    }

    /// Stores newly published roots and moves the L2 cursor, atomically.
    pub(crate) async fn watch_ingest_roots(
        &self,
        fence: &Fence,
        roots: &[(B256, u64, u64)],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        for (root, count, l2_block) in roots {
            sqlx::query(
                "INSERT INTO watched_roots (root, message_count, l2_block) VALUES ($1, $2, $3) \
                 ON CONFLICT (root) DO NOTHING",
            )
            .bind(root.to_string())
            .bind(int(*count)?)
            .bind(int(*l2_block)?)
            .execute(&mut *tx)
            .await?;
        }
        Self::set_cursor(&mut tx, ROOTS_CURSOR, cursor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Roots not yet seen on L1 with their count (never checked, missing, or another count).
    pub(crate) async fn watch_roots_unconfirmed(&self) -> Result<Vec<WatchedRoot>> {
        let rows = sqlx::query(
            "SELECT root, message_count, l2_block, l1_count FROM watched_roots \
             WHERE l1_count IS NULL OR l1_count <> message_count ORDER BY l2_block",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(root_from_row).collect()
    }

    /// Records what L1 said about `root`.
    pub(crate) async fn watch_set_root_check(
        &self,
        fence: &Fence,
        root: B256,
        l1_count: u64,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        sqlx::query("UPDATE watched_roots SET l1_count = $2, checked_at = $3 WHERE root = $1")
            .bind(root.to_string())
            .bind(int(l1_count)?)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many published roots the watchdog stored, and how many of them L1 confirmed.
    pub(crate) async fn watch_root_counts(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN l1_count = message_count THEN 1 ELSE 0 END), 0) AS confirmed \
             FROM watched_roots",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((get_u64(&row, "total")?, get_u64(&row, "confirmed")?))
    }
}
