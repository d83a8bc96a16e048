//! The relayer's database: cursors, ingested L1 messages, committed roots, withdrawals, its own
//! submissions and the role leases.
//!
//! It goes through sqlx's `Any` driver with portable SQL (`TEXT` and `BIGINT` columns, `$n`
//! parameters, `ON CONFLICT`, `RETURNING`, partial indexes), so SQLite and PostgreSQL run the same
//! queries and the same migration files. The only backend-specific text is the database clock used
//! by the leases (`Backend::now_sql`), spelled once per backend.
//!
//! Several relayers may share one PostgreSQL database. Each role (deliver, propose, finalize) is
//! held by one relayer at a time through a row of `leases` (holder, fencing token, expiry on the
//! database clock). Every write a role makes runs in a transaction that first touches its lease row
//! with the token it acquired (`UPDATE ... WHERE token = $n`): a relayer whose lease was taken over
//! writes nothing more, and the row lock orders its last write before the new holder's takeover.
//!
//! One file per table group: `leases`, `messages` (cursors, L1 messages, committed roots and the
//! trees rebuilt from them), `withdrawals`, `submissions` and their fee-bump `attempts`,
//! `headers` (reorg detection), and the watchdog's own tables (`watch_outputs`,
//! `watch_chains`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, B256, Bytes, U256};
use drawbridge_protocol::{L1Message, Withdrawal};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::error::{Error, Result};
use crate::role::Role;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database server behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:` URLs: one relayer per database file.
    Sqlite,
    /// `postgres:` / `postgresql:` URLs: several relayers may share the database.
    Postgres,
}

impl Backend {
    /// The backend a URL names, if supported.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Handle on the relayer's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The right to act in one role, as acquired: every write of the role carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The role.
    pub role: Role,
    /// This relayer's id (`relayer_id`).
    pub holder: Arc<str>,
    /// The fencing token: incremented by every takeover.
    pub token: i64,
}

/// A row of the `leases` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `deliver`, `propose` or `finalize`.
    pub role: String,
    /// The relayer id holding (or last holding) it.
    pub holder: String,
    /// The fencing token of the current holder.
    pub token: i64,
    /// Unix milliseconds (database clock) when it expires unless renewed.
    pub expires_at: i64,
    /// Unix milliseconds (database clock) when the holder acquired it.
    pub acquired_at: i64,
    /// The database clock when the row was read.
    pub db_now: i64,
}

impl Lease {
    /// Whether it is still in force (not expired and not released).
    pub fn is_live(&self) -> bool {
        self.expires_at >= self.db_now
    }
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
    /// The relayer (`relayer_id`) that recorded it.
    pub holder: Option<String>,
    /// The fencing token of that relayer's lease when it recorded it.
    pub lease_token: Option<i64>,
    /// Gas used, once mined.
    pub gas_used: Option<u64>,
    /// Fee paid in wei (gas used times effective gas price), once mined.
    pub fee_wei: Option<U256>,
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

/// What a receipt says a submission cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cost {
    pub gas_used: u64,
    pub fee_wei: U256,
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

pub(crate) fn get_u64(row: &AnyRow, column: &str) -> Result<u64> {
    let v: i64 = row.try_get(column)?;
    u64::try_from(v).map_err(|_| bad(column, format!("negative value {v}")))
}

pub(crate) fn get_opt_u64(row: &AnyRow, column: &str) -> Result<Option<u64>> {
    let v: Option<i64> = row.try_get(column)?;
    v.map(|v| u64::try_from(v).map_err(|_| bad(column, format!("negative value {v}"))))
        .transpose()
}

pub(crate) fn get_parsed<T: FromStr>(row: &AnyRow, column: &str) -> Result<T>
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

impl Store {
    /// Opens (creating a SQLite file when the URL says `mode=rwc`) and migrates the database. On
    /// PostgreSQL, concurrent relayers starting at once migrate one after the other (sqlx takes an
    /// advisory lock around migrations).
    pub async fn open(url: &str) -> Result<Self> {
        let backend = Backend::of_url(url).ok_or_else(|| {
            Error::config(
                "database_url",
                "not a sqlite:, postgres: or postgresql: URL",
            )
        })?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            // SQLite has one writer anyway; one connection avoids SQLITE_BUSY between our own tasks.
            .max_connections(match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => 5,
            })
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    /// The connection pool, for the queries of other modules (the watchdog's tables).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which server this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (waits for them to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A value of the `meta` table.
    pub async fn meta(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Sets `name = value` in `meta` while `fence` still holds its role.
    pub(crate) async fn set_meta(&self, fence: &Fence, name: &str, value: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "INSERT INTO meta (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name.to_string())
        .bind(value.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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

    /// A summary of the stored state.
    pub async fn status(&self) -> Result<Status> {
        let count = |sql: &'static str| async move {
            let row = sqlx::query(sql).fetch_one(&self.pool).await?;
            get_u64(&row, "n")
        };
        let states = self.submission_counts().await?;
        let of = |state: SubmissionState| {
            states
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n)
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
            pending_submissions: of(SubmissionState::Queued) + of(SubmissionState::InFlight),
            confirmed_submissions: of(SubmissionState::Confirmed),
            failed_submissions: of(SubmissionState::Failed),
        })
    }
}

pub(crate) mod attempts;
pub(crate) mod headers;
mod leases;
mod messages;
mod submissions;
pub(crate) mod watch_chains;
pub(crate) mod watch_outputs;
mod withdrawals;

#[cfg(test)]
mod tests;
