//! The relayer's database: cursors, ingested L1 messages, committed roots, withdrawals and its own
//! submissions.
//!
//! It goes through sqlx's `Any` driver with portable SQL (`TEXT` and `BIGINT` columns, `$n`
//! parameters, `ON CONFLICT`), so that PostgreSQL can be added without rewriting the queries; today
//! only `sqlite:` URLs are accepted by the configuration.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, B256, Bytes, U256};
use drawbridge_merkle::{L1Message, MerkleTree, MessageKind, Withdrawal};
use futures::TryStreamExt;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Handle on the relayer's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

/// A scan position: the next block to scan and the hash of the block before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// First block not scanned yet.
    pub next_block: u64,
    /// Hash of block `next_block - 1` when it was scanned.
    pub last_block_hash: Option<B256>,
}

/// A confirmed L1 message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// The message.
    pub message: L1Message,
    /// Its leaf (checked against the event at ingestion).
    pub leaf: B256,
    /// L1 block of the `MessageSent` event.
    pub l1_block: u64,
    /// L1 transaction of the event.
    pub l1_tx: B256,
    /// Log index of the event in its block.
    pub log_index: u64,
}

/// A confirmed L2 withdrawal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRow {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// Its leaf (checked against the event at ingestion).
    pub leaf: B256,
    /// L2 block of the `WithdrawalInitiated` event.
    pub l2_block: u64,
    /// L2 transaction of the event.
    pub l2_tx: B256,
    /// Log index of the event in its block.
    pub log_index: u64,
    /// Whether the relayer has seen it finalized on L1.
    pub finalized: bool,
}

/// A confirmed `MessageRootCommitted` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootRow {
    /// The committed root.
    pub root: B256,
    /// Number of messages it covers.
    pub count: u64,
    /// L1 block of the event.
    pub l1_block: u64,
}

/// Where a submission is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    /// Signed and recorded; maybe not broadcast yet.
    Queued,
    /// Broadcast; no receipt seen yet.
    InFlight,
    /// Mined successfully, or reverted because the work had already been done.
    Confirmed,
    /// Reverted, dropped or rejected; the work is re-evaluated from chain state.
    Failed,
}

impl SubmissionState {
    /// Name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InFlight => "in-flight",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for SubmissionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "queued" => Ok(Self::Queued),
            "in-flight" => Ok(Self::InFlight),
            "confirmed" => Ok(Self::Confirmed),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown submission state {other:?}")),
        }
    }
}

/// A transaction the relayer signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Transaction hash (known before broadcast: the relayer signs locally).
    pub tx_hash: B256,
    /// `l1` or `l2`.
    pub chain: String,
    /// `deliver`, `propose` or `finalize`.
    pub role: String,
    /// What the transaction does: `commit_root`, `publish_root`, `relay_messages`, `propose`,
    /// `release_bond`, `withdraw_bond`, `finalize_withdrawals`.
    pub kind: String,
    /// The work item as JSON (nonce ranges, output index, block number).
    pub work: String,
    /// The signing account.
    pub sender: Address,
    /// The account nonce the transaction uses.
    pub tx_nonce: u64,
    /// The signed transaction (EIP-2718 bytes), so it can be re-broadcast after a crash.
    pub raw_tx: Bytes,
    /// Where it is.
    pub state: SubmissionState,
    /// How it ended: `ok`, `already-done`, `reverted`, `dropped`, `rejected`.
    pub outcome: Option<String>,
    /// Block it was mined in.
    pub block_number: Option<u64>,
    /// Unix milliseconds when recorded.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
}

/// A summary of what the relayer knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Next L1 block to scan, when L1 is followed.
    pub l1_next_block: Option<u64>,
    /// Next L2 block to scan, when L2 is followed.
    pub l2_next_block: Option<u64>,
    /// Confirmed L1 messages ingested.
    pub l1_messages: u64,
    /// Largest message count covered by a confirmed committed root.
    pub committed_messages: u64,
    /// Confirmed withdrawals ingested.
    pub withdrawals: u64,
    /// Withdrawals seen finalized on L1.
    pub finalized_withdrawals: u64,
    /// Submissions queued or in flight.
    pub pending_submissions: u64,
    /// Submissions confirmed.
    pub confirmed_submissions: u64,
    /// Submissions failed.
    pub failed_submissions: u64,
}

/// A submission about to be broadcast.
#[derive(Debug, Clone)]
pub(crate) struct NewSubmission<'a> {
    pub tx_hash: B256,
    pub chain: &'a str,
    pub role: &'a str,
    pub kind: &'a str,
    pub work: &'a str,
    pub sender: Address,
    pub tx_nonce: u64,
    pub raw_tx: &'a [u8],
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// u64 -> BIGINT; every value the relayer stores (block numbers, nonces, counts) is far below 2^63.
pub(crate) fn int(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::BadRow {
        what: "integer".into(),
        reason: format!("{value} does not fit a BIGINT"),
    })
}

fn hex_str(bytes: &[u8]) -> String {
    alloy::hex::encode_prefixed(bytes)
}

fn bad(what: impl Into<String>, reason: impl std::fmt::Display) -> Error {
    Error::BadRow {
        what: what.into(),
        reason: reason.to_string(),
    }
}

fn get_u64(row: &AnyRow, column: &str) -> Result<u64> {
    let v: i64 = row.try_get(column)?;
    u64::try_from(v).map_err(|_| bad(column, format!("negative value {v}")))
}

fn get_opt_u64(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    let v: Option<i64> = row.try_get(column)?;
    v.map(|v| u64::try_from(v).map_err(|_| bad(column, format!("negative value {v}"))))
        .transpose()
}

fn get_parsed<T: FromStr>(row: &AnyRow, column: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let v: String = row.try_get(column)?;
    v.parse()
        .map_err(|e: T::Err| bad(column, format!("{v:?}: {e}")))
}

fn get_amount(row: &AnyRow, column: &str) -> Result<U256> {
    let v: String = row.try_get(column)?;
    U256::from_str_radix(&v, 10).map_err(|e| bad(column, format!("{v:?}: {e}")))
}

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

fn submission_from_row(row: &AnyRow) -> Result<Submission> {
    let raw: String = row.try_get("raw_tx")?;
    Ok(Submission {
        tx_hash: get_parsed(row, "tx_hash")?,
        chain: row.try_get("chain")?,
        role: row.try_get("role")?,
        kind: row.try_get("kind")?,
        work: row.try_get("work")?,
        sender: get_parsed(row, "sender")?,
        tx_nonce: get_u64(row, "tx_nonce")?,
        raw_tx: alloy::hex::decode(&raw)
            .map_err(|e| bad("raw_tx", e))?
            .into(),
        state: get_parsed(row, "state")?,
        outcome: row.try_get("outcome")?,
        block_number: get_opt_u64(row, "block_number")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Opens (creating a SQLite file when the URL says `mode=rwc`) and migrates the database.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(if url.starts_with("sqlite:") { 1 } else { 4 })
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes every connection (waits for them to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A value of the `meta` table.
    pub async fn meta(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    pub(crate) async fn set_meta(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name.to_string())
        .bind(value.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records `name = value` the first time and afterwards requires the same value: a database is
    /// bound to one deployment.
    pub(crate) async fn bind_meta(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name.to_string())
            .bind(value.to_string())
            .execute(&self.pool)
            .await?;
        let stored = self.meta(name).await?.unwrap_or_default();
        if stored != value {
            return Err(Error::ForeignDatabase(format!(
                "{name} is {stored} in the database but {value} in this deployment; use a fresh database"
            )));
        }
        Ok(())
    }

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

    async fn set_cursor(
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
        messages: &[MessageRow],
        roots: &[RootRow],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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

    /// Stores a scanned L2 range atomically: its withdrawals and the cursor.
    pub(crate) async fn ingest_l2(
        &self,
        withdrawals: &[WithdrawalRow],
        cursor: Cursor,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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

    async fn load_tree(&self, sql: &'static str, what: &str) -> Result<MerkleTree> {
        let mut tree = MerkleTree::new();
        let mut rows = sqlx::query(sql).fetch(&self.pool);
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
        Ok(tree)
    }

    /// Rebuilds the L1 message tree from the stored leaves, streamed in nonce order.
    pub async fn load_message_tree(&self) -> Result<MerkleTree> {
        self.load_tree(
            "SELECT nonce, leaf FROM l1_messages ORDER BY nonce",
            "l1_messages",
        )
        .await
    }

    /// Rebuilds the withdrawal tree from the stored leaves, streamed in nonce order.
    pub async fn load_withdrawal_tree(&self) -> Result<MerkleTree> {
        self.load_tree(
            "SELECT nonce, leaf FROM withdrawals ORDER BY nonce",
            "withdrawals",
        )
        .await
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

    /// Marks withdrawals as seen finalized on L1.
    pub(crate) async fn mark_finalized(&self, nonces: &[u64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for nonce in nonces {
            sqlx::query("UPDATE withdrawals SET finalized = 1 WHERE nonce = $1")
                .bind(int(*nonce)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a signed transaction as `queued`, before it is broadcast.
    pub(crate) async fn insert_submission(&self, s: &NewSubmission<'_>) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO submissions (tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $10)",
        )
        .bind(s.tx_hash.to_string())
        .bind(s.chain.to_string())
        .bind(s.role.to_string())
        .bind(s.kind.to_string())
        .bind(s.work.to_string())
        .bind(s.sender.to_string().to_lowercase())
        .bind(int(s.tx_nonce)?)
        .bind(hex_str(s.raw_tx))
        .bind(SubmissionState::Queued.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Moves a submission to `state`.
    pub(crate) async fn update_submission(
        &self,
        tx_hash: B256,
        state: SubmissionState,
        outcome: Option<&str>,
        block_number: Option<u64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE submissions SET state = $1, outcome = $2, block_number = $3, updated_at = $4 WHERE tx_hash = $5",
        )
        .bind(state.as_str())
        .bind(outcome.map(str::to_string))
        .bind(block_number.map(int).transpose()?)
        .bind(now_ms())
        .bind(tx_hash.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Submissions on `chain` that are queued or in flight, by account nonce.
    pub async fn pending_submissions(&self, chain: &str) -> Result<Vec<Submission>> {
        let sql = const_format_pending();
        let rows = sqlx::query(sql)
            .bind(chain.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(submission_from_row).collect()
    }

    /// Every submission, oldest first.
    pub async fn submissions(&self) -> Result<Vec<Submission>> {
        let rows = sqlx::query(const_format_all())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(submission_from_row).collect()
    }

    /// A summary of the stored state.
    pub async fn status(&self) -> Result<Status> {
        let count = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_one(&self.pool).await?;
            get_u64(&row, "n")
        };
        let state_count = |state: SubmissionState| async move {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM submissions WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(&self.pool)
                .await?;
            get_u64(&row, "n")
        };
        Ok(Status {
            l1_next_block: self.cursor("l1").await?.map(|c| c.next_block),
            l2_next_block: self.cursor("l2").await?.map(|c| c.next_block),
            l1_messages: count("SELECT COUNT(*) AS n FROM l1_messages").await?,
            committed_messages: self.latest_root().await?.map_or(0, |r| r.count),
            withdrawals: count("SELECT COUNT(*) AS n FROM withdrawals").await?,
            finalized_withdrawals: count(
                "SELECT COUNT(*) AS n FROM withdrawals WHERE finalized = 1",
            )
            .await?,
            pending_submissions: state_count(SubmissionState::Queued).await?
                + state_count(SubmissionState::InFlight).await?,
            confirmed_submissions: state_count(SubmissionState::Confirmed).await?,
            failed_submissions: state_count(SubmissionState::Failed).await?,
        })
    }
}

// sqlx 0.9 takes only `'static` (or explicitly asserted) SQL text: the two submission queries are
// spelled out in full here rather than formatted at run time.
fn const_format_pending() -> &'static str {
    "SELECT tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at \
     FROM submissions WHERE chain = $1 AND (state = 'queued' OR state = 'in-flight') ORDER BY tx_nonce, created_at"
}

fn const_format_all() -> &'static str {
    "SELECT tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at \
     FROM submissions ORDER BY created_at, tx_nonce"
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    async fn store() -> (tempfile::TempDir, Store, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("r.sqlite").display()
        );
        let store = Store::open(&url).await.unwrap();
        (dir, store, url)
    }

    fn message(nonce: u64) -> MessageRow {
        let message = L1Message {
            kind: MessageKind::Deposit,
            nonce,
            sender: Address::repeat_byte(0xaa),
            recipient: Address::repeat_byte(0xbb),
            token: Address::ZERO,
            amount: U256::from(10u64).pow(U256::from(20u64)) + U256::from(nonce),
            data: if nonce == 0 {
                Bytes::from(vec![1, 2, 3])
            } else {
                Bytes::new()
            },
        };
        MessageRow {
            leaf: message.leaf(900, Address::repeat_byte(1)),
            message,
            l1_block: 10 + nonce,
            l1_tx: keccak256(nonce.to_be_bytes()),
            log_index: nonce,
        }
    }

    fn withdrawal(nonce: u64, l2_block: u64) -> WithdrawalRow {
        let withdrawal = Withdrawal {
            nonce,
            sender: Address::repeat_byte(0xcc),
            recipient: Address::repeat_byte(0xdd),
            l1_token: Address::ZERO,
            amount: U256::MAX - U256::from(nonce),
        };
        WithdrawalRow {
            leaf: withdrawal.leaf(901, Address::repeat_byte(3)),
            withdrawal,
            l2_block,
            l2_tx: keccak256((nonce + 100).to_be_bytes()),
            log_index: 0,
            finalized: false,
        }
    }

    fn cursor(next_block: u64) -> Cursor {
        Cursor {
            next_block,
            last_block_hash: Some(keccak256(next_block.to_be_bytes())),
        }
    }

    #[tokio::test]
    async fn migrations_are_idempotent_and_meta_binds_the_database() {
        let (_dir, store, url) = store().await;
        store.bind_meta("l1_chain_id", "900").await.unwrap();
        store.bind_meta("l1_chain_id", "900").await.unwrap();
        store.close().await;
        let again = Store::open(&url).await.unwrap();
        let err = again.bind_meta("l1_chain_id", "1").await.unwrap_err();
        assert!(matches!(err, Error::ForeignDatabase(_)), "{err}");
        assert!(err.is_fatal());
        again.set_meta("bond_cursor", "3").await.unwrap();
        again.set_meta("bond_cursor", "4").await.unwrap();
        assert_eq!(
            again.meta("bond_cursor").await.unwrap().as_deref(),
            Some("4")
        );
    }

    #[tokio::test]
    async fn l1_ingestion_round_trips_and_rebuilds_the_tree() {
        let (_dir, store, url) = store().await;
        assert_eq!(store.cursor("l1").await.unwrap(), None);
        let first: Vec<_> = (0..3).map(message).collect();
        let root = RootRow {
            root: keccak256("root"),
            count: 3,
            l1_block: 12,
        };
        store.ingest_l1(&first, &[root], cursor(20)).await.unwrap();
        let second: Vec<_> = (3..7).map(message).collect();
        store.ingest_l1(&second, &[], cursor(30)).await.unwrap();
        assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(30)));
        assert_eq!(store.messages(0, 100).await.unwrap().len(), 7);
        let some = store.messages(2, 5).await.unwrap();
        assert_eq!(some, (2..5).map(message).collect::<Vec<_>>());
        assert_eq!(store.latest_root().await.unwrap(), Some(root));
        store.close().await;

        let store = Store::open(&url).await.unwrap();
        let tree = store.load_message_tree().await.unwrap();
        let expected = MerkleTree::from_leaves((0..7).map(|n| message(n).leaf)).unwrap();
        assert_eq!(tree, expected);
        let status = store.status().await.unwrap();
        assert_eq!(status.l1_messages, 7);
        assert_eq!(status.committed_messages, 3);
        assert_eq!(status.l1_next_block, Some(30));
        assert_eq!(status.l2_next_block, None);
    }

    #[tokio::test]
    async fn a_failed_range_leaves_nothing_behind() {
        let (_dir, store, _url) = store().await;
        store
            .ingest_l1(&[message(0)], &[], cursor(5))
            .await
            .unwrap();
        // Nonce 0 again: the primary key refuses it and the whole range, cursor included, rolls back.
        let err = store
            .ingest_l1(&[message(1), message(0)], &[], cursor(9))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Database(_)));
        assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(5)));
        assert_eq!(store.messages(0, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_gap_in_the_table_is_reported() {
        let (_dir, store, _url) = store().await;
        store
            .ingest_l1(&[message(0), message(2)], &[], cursor(5))
            .await
            .unwrap();
        let err = store.load_message_tree().await.unwrap_err();
        assert!(err.to_string().contains("gap"), "{err}");
    }

    #[tokio::test]
    async fn withdrawals_by_block_and_finalization() {
        let (_dir, store, _url) = store().await;
        let rows = vec![
            withdrawal(0, 5),
            withdrawal(1, 5),
            withdrawal(2, 8),
            withdrawal(3, 12),
        ];
        store.ingest_l2(&rows, cursor(13)).await.unwrap();
        assert_eq!(store.withdrawals_up_to_block(4).await.unwrap(), 0);
        assert_eq!(store.withdrawals_up_to_block(5).await.unwrap(), 2);
        assert_eq!(store.withdrawals_up_to_block(11).await.unwrap(), 3);
        assert_eq!(store.withdrawals_up_to_block(100).await.unwrap(), 4);
        store.mark_finalized(&[1]).await.unwrap();
        let open = store.unfinalized_withdrawals(0, 3, 10).await.unwrap();
        assert_eq!(
            open.iter().map(|w| w.withdrawal.nonce).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!(
            store.unfinalized_withdrawals(1, 4, 1).await.unwrap()[0]
                .withdrawal
                .nonce,
            2
        );
        assert_eq!(
            store.withdrawals().await.unwrap()[3].withdrawal,
            rows[3].withdrawal
        );
        assert!(store.withdrawals().await.unwrap()[1].finalized);
        let tree = store.load_withdrawal_tree().await.unwrap();
        assert_eq!(tree.len(), 4);
        assert_eq!(tree.leaf(3), Some(rows[3].leaf));
        assert_eq!(store.status().await.unwrap().finalized_withdrawals, 1);
    }

    #[tokio::test]
    async fn submissions_life_cycle() {
        let (_dir, store, url) = store().await;
        let hash = keccak256("tx");
        store
            .insert_submission(&NewSubmission {
                tx_hash: hash,
                chain: "l2",
                role: "deliver",
                kind: "relay_messages",
                work: r#"{"first":0,"last":49}"#,
                sender: Address::repeat_byte(7),
                tx_nonce: 4,
                raw_tx: &[0x02, 0xf8, 0x01],
            })
            .await
            .unwrap();
        let pending = store.pending_submissions("l2").await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].state, SubmissionState::Queued);
        assert_eq!(pending[0].raw_tx, Bytes::from(vec![0x02, 0xf8, 0x01]));
        assert_eq!(pending[0].sender, Address::repeat_byte(7));
        assert!(store.pending_submissions("l1").await.unwrap().is_empty());
        store
            .update_submission(hash, SubmissionState::InFlight, None, None)
            .await
            .unwrap();
        store.close().await;
        // A restart still sees it in flight.
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store.pending_submissions("l2").await.unwrap()[0].state,
            SubmissionState::InFlight
        );
        store
            .update_submission(hash, SubmissionState::Confirmed, Some("ok"), Some(77))
            .await
            .unwrap();
        assert!(store.pending_submissions("l2").await.unwrap().is_empty());
        let all = store.submissions().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, SubmissionState::Confirmed);
        assert_eq!(all[0].outcome.as_deref(), Some("ok"));
        assert_eq!(all[0].block_number, Some(77));
        assert_eq!(all[0].tx_nonce, 4);
        let status = store.status().await.unwrap();
        assert_eq!(status.confirmed_submissions, 1);
        assert_eq!(status.pending_submissions, 0);
    }
}
