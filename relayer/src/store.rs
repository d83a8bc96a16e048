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

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, B256, Bytes, U256};
use drawbridge_merkle::{L1Message, MerkleTree, MessageKind, Withdrawal};
use futures::TryStreamExt;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::config::Role;
use crate::error::{Error, Result};

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

/// The database clock in unix milliseconds, per backend, as SQL text. Leases expire on the
/// database's clock so that relayers on machines with skewed clocks agree.
macro_rules! sqlite_now {
    () => {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    };
}
macro_rules! postgres_now {
    () => {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    };
}

/// Takes the lease when nobody holds it, when it expired, or when it is this holder's own from an
/// earlier run (`$4` = 1); returns the new fencing token.
macro_rules! acquire_sql {
    ($now:expr) => {
        concat!(
            "INSERT INTO leases (role, holder, token, expires_at, acquired_at) VALUES ($1, $2, 1, ",
            $now,
            " + $3, ",
            $now,
            ") ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, token = leases.token + 1, \
             expires_at = excluded.expires_at, acquired_at = excluded.acquired_at \
             WHERE leases.expires_at < ",
            $now,
            " OR ($4 = 1 AND leases.holder = excluded.holder) RETURNING token"
        )
    };
}
macro_rules! renew_sql {
    ($now:expr) => {
        concat!(
            "UPDATE leases SET expires_at = ",
            $now,
            " + $4 WHERE role = $1 AND holder = $2 AND token = $3"
        )
    };
}
macro_rules! leases_sql {
    ($now:expr) => {
        concat!(
            "SELECT role, holder, token, expires_at, acquired_at, ",
            $now,
            " AS db_now FROM leases ORDER BY role"
        )
    };
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
        holder: row.try_get("holder")?,
        lease_token: row.try_get("lease_token")?,
        gas_used: get_opt_u64(row, "gas_used")?,
        fee_wei: {
            let fee: Option<String> = row.try_get("fee_wei")?;
            fee.map(|v| {
                U256::from_str_radix(&v, 10).map_err(|e| bad("fee_wei", format!("{v:?}: {e}")))
            })
            .transpose()?
        },
    })
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

    // ---------------------------------------------------------------------------------------------
    // Leases
    // ---------------------------------------------------------------------------------------------

    /// Tries to take `role` for `holder` for `ttl`: succeeds when nobody holds it, when the
    /// holder's lease expired (or was released), or — with `reclaim_own` — when it is `holder`'s
    /// own lease from an earlier run of the same relayer id. Every success increments the fencing
    /// token, which fences out any earlier holder still running.
    pub(crate) async fn try_acquire(
        &self,
        role: Role,
        holder: &Arc<str>,
        ttl: Duration,
        reclaim_own: bool,
    ) -> Result<Option<Fence>> {
        let sql = match self.backend {
            Backend::Sqlite => acquire_sql!(sqlite_now!()),
            Backend::Postgres => acquire_sql!(postgres_now!()),
        };
        let row = sqlx::query(sql)
            .bind(role.as_str())
            .bind(holder.to_string())
            .bind(ttl_ms(ttl))
            .bind(i64::from(reclaim_own))
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some(Fence {
                role,
                holder: holder.clone(),
                token: row.try_get("token")?,
            }),
            None => None,
        })
    }

    /// Extends a held lease by `ttl` from now. `false`: another relayer took it over.
    pub(crate) async fn renew(&self, fence: &Fence, ttl: Duration) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => renew_sql!(sqlite_now!()),
            Backend::Postgres => renew_sql!(postgres_now!()),
        };
        let done = sqlx::query(sql)
            .bind(fence.role.as_str())
            .bind(fence.holder.to_string())
            .bind(fence.token)
            .bind(ttl_ms(ttl))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a held lease up (graceful shutdown): another relayer may take it at once.
    pub(crate) async fn release(&self, fence: &Fence) -> Result<()> {
        sqlx::query(
            "UPDATE leases SET expires_at = 0 WHERE role = $1 AND holder = $2 AND token = $3",
        )
        .bind(fence.role.as_str())
        .bind(fence.holder.to_string())
        .bind(fence.token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every lease row, with the database clock.
    pub async fn leases(&self) -> Result<Vec<Lease>> {
        let sql = match self.backend {
            Backend::Sqlite => leases_sql!(sqlite_now!()),
            Backend::Postgres => leases_sql!(postgres_now!()),
        };
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(Lease {
                    role: row.try_get("role")?,
                    holder: row.try_get("holder")?,
                    token: row.try_get("token")?,
                    expires_at: row.try_get("expires_at")?,
                    acquired_at: row.try_get("acquired_at")?,
                    db_now: row.try_get("db_now")?,
                })
            })
            .collect()
    }

    /// First statement of every fenced transaction: touches the lease row with the token, which
    /// fails when another relayer took the role over and otherwise locks the row until commit, so
    /// a takeover waits for this transaction.
    pub(crate) async fn check_fence(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        fence: &Fence,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE leases SET token = token WHERE role = $1 AND holder = $2 AND token = $3",
        )
        .bind(fence.role.as_str())
        .bind(fence.holder.to_string())
        .bind(fence.token)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(Error::LeaseLost { role: fence.role });
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Chain data
    // ---------------------------------------------------------------------------------------------

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

    /// Appends to `tree` the stored leaves from nonce `tree.len()` on, streamed in nonce order:
    /// how a relayer that takes a role over catches up with what the previous holder ingested.
    async fn extend_tree(
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

    /// Extends the withdrawal tree with the stored withdrawals it lacks.
    pub async fn extend_withdrawal_tree(&self, tree: &mut MerkleTree) -> Result<()> {
        self.extend_tree(
            tree,
            "SELECT nonce, leaf FROM withdrawals WHERE nonce >= $1 ORDER BY nonce",
            "withdrawals",
        )
        .await
    }

    /// Rebuilds the L1 message tree from the stored leaves, streamed in nonce order.
    pub async fn load_message_tree(&self) -> Result<MerkleTree> {
        let mut tree = MerkleTree::new();
        self.extend_message_tree(&mut tree).await?;
        Ok(tree)
    }

    /// Rebuilds the withdrawal tree from the stored leaves, streamed in nonce order.
    pub async fn load_withdrawal_tree(&self) -> Result<MerkleTree> {
        let mut tree = MerkleTree::new();
        self.extend_withdrawal_tree(&mut tree).await?;
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

    // ---------------------------------------------------------------------------------------------
    // Submissions
    // ---------------------------------------------------------------------------------------------

    /// Records a signed transaction as `queued`, before it is broadcast, with the fencing token
    /// of the lease it is sent under. Refused when the lease was taken over, and (unique index)
    /// when another live submission already uses the same account nonce on the chain.
    pub(crate) async fn insert_submission(
        &self,
        fence: &Fence,
        s: &NewSubmission<'_>,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "INSERT INTO submissions (tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at, holder, lease_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $10, $11, $12)",
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
        .bind(fence.holder.to_string())
        .bind(fence.token)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a submission to `state` (with what its receipt cost, once mined).
    pub(crate) async fn update_submission(
        &self,
        fence: &Fence,
        tx_hash: B256,
        state: SubmissionState,
        outcome: Option<&str>,
        block_number: Option<u64>,
        cost: Option<Cost>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        Self::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "UPDATE submissions SET state = $1, outcome = $2, block_number = $3, updated_at = $4, \
             gas_used = $5, fee_wei = $6 WHERE tx_hash = $7",
        )
        .bind(state.as_str())
        .bind(outcome.map(str::to_string))
        .bind(block_number.map(int).transpose()?)
        .bind(now_ms())
        .bind(cost.map(|c| int(c.gas_used)).transpose()?)
        .bind(cost.map(|c| c.fee_wei.to_string()))
        .bind(tx_hash.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Submissions on `chain` that are queued or in flight, by account nonce.
    pub async fn pending_submissions(&self, chain: &str) -> Result<Vec<Submission>> {
        let rows = sqlx::query(
            "SELECT tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at, holder, lease_token, gas_used, fee_wei \
             FROM submissions WHERE chain = $1 AND (state = 'queued' OR state = 'in-flight') ORDER BY tx_nonce, created_at",
        )
        .bind(chain.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from_row).collect()
    }

    /// Every submission, oldest first.
    pub async fn submissions(&self) -> Result<Vec<Submission>> {
        let rows = sqlx::query(
            "SELECT tx_hash, chain, role, kind, work, sender, tx_nonce, raw_tx, state, outcome, block_number, created_at, updated_at, holder, lease_token, gas_used, fee_wei \
             FROM submissions ORDER BY created_at, tx_nonce",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from_row).collect()
    }

    /// Number of submissions per state.
    pub async fn submission_counts(&self) -> Result<Vec<(SubmissionState, u64)>> {
        let mut counts = Vec::new();
        for state in [
            SubmissionState::Queued,
            SubmissionState::InFlight,
            SubmissionState::Confirmed,
            SubmissionState::Failed,
        ] {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM submissions WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(&self.pool)
                .await?;
            counts.push((state, get_u64(&row, "n")?));
        }
        Ok(counts)
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

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    //! Every test runs on SQLite and on PostgreSQL (see [`crate::testing`]).

    use super::*;
    use alloy::primitives::keccak256;

    /// A fresh database of one backend for one test.
    struct TestDb {
        url: String,
        backend: Backend,
        _dir: Option<tempfile::TempDir>,
    }

    impl TestDb {
        async fn new(backend: Backend, label: &str) -> Option<Self> {
            match backend {
                Backend::Sqlite => {
                    let dir = tempfile::tempdir().unwrap();
                    let url = format!(
                        "sqlite://{}?mode=rwc",
                        dir.path().join("r.sqlite").display()
                    );
                    Some(Self {
                        url,
                        backend,
                        _dir: Some(dir),
                    })
                }
                Backend::Postgres => {
                    let url = crate::testing::fresh_postgres_database(label).await?;
                    Some(Self {
                        url,
                        backend,
                        _dir: None,
                    })
                }
            }
        }

        async fn open(&self) -> Store {
            let store = Store::open(&self.url).await.unwrap();
            assert_eq!(store.backend(), self.backend);
            store
        }

        async fn finish(self) {
            if self.backend == Backend::Postgres {
                crate::testing::drop_postgres_database(&self.url).await;
            }
        }
    }

    /// Runs each listed `async fn(&TestDb)` once on SQLite and once on PostgreSQL.
    macro_rules! on_both_backends {
        ($($name:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test]
                    async fn $name() {
                        let db = super::TestDb::new(super::Backend::Sqlite, stringify!($name))
                            .await
                            .unwrap();
                        super::$name(&db).await;
                        db.finish().await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test]
                    async fn $name() {
                        let Some(db) =
                            super::TestDb::new(super::Backend::Postgres, stringify!($name)).await
                        else {
                            return;
                        };
                        super::$name(&db).await;
                        db.finish().await;
                    }
                )*
            }
        };
    }

    on_both_backends!(
        migrations_are_idempotent_and_meta_binds_the_database,
        l1_ingestion_round_trips_and_rebuilds_the_tree,
        a_failed_range_leaves_nothing_behind,
        a_gap_in_the_table_is_reported,
        withdrawals_by_block_and_finalization,
        submissions_life_cycle,
        one_live_submission_per_account_nonce,
        leases_are_exclusive_until_they_expire,
        a_fenced_out_holder_writes_nothing,
        a_restarted_holder_reclaims_its_own_lease,
    );

    const TTL: Duration = Duration::from_secs(60);

    fn holder(name: &str) -> Arc<str> {
        name.into()
    }

    async fn fence(store: &Store, role: Role) -> Fence {
        store
            .try_acquire(role, &holder("test"), TTL, true)
            .await
            .unwrap()
            .expect("a free lease is acquired")
    }

    fn message(nonce: u64) -> MessageRow {
        let message = L1Message {
            // Every third message is a forced withdrawal (kind 2), stored and read back alike.
            kind: if nonce % 3 == 2 {
                MessageKind::ForcedWithdrawal
            } else {
                MessageKind::Deposit
            },
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

    fn new_submission<'a>(hash: B256, nonce: u64, raw: &'a [u8]) -> NewSubmission<'a> {
        NewSubmission {
            tx_hash: hash,
            chain: "l2",
            role: "deliver",
            kind: "relay_messages",
            work: r#"{"first":0,"last":49}"#,
            sender: Address::repeat_byte(7),
            tx_nonce: nonce,
            raw_tx: raw,
        }
    }

    async fn migrations_are_idempotent_and_meta_binds_the_database(db: &TestDb) {
        let store = db.open().await;
        store.bind_meta("l1_chain_id", "900").await.unwrap();
        store.bind_meta("l1_chain_id", "900").await.unwrap();
        store.close().await;
        let again = db.open().await;
        let err = again.bind_meta("l1_chain_id", "1").await.unwrap_err();
        assert!(matches!(err, Error::ForeignDatabase(_)), "{err}");
        assert!(err.is_fatal());
        let f = fence(&again, Role::Propose).await;
        again.set_meta(&f, "bond_cursor", "3").await.unwrap();
        again.set_meta(&f, "bond_cursor", "4").await.unwrap();
        assert_eq!(
            again.meta("bond_cursor").await.unwrap().as_deref(),
            Some("4")
        );
        again.close().await;
    }

    async fn l1_ingestion_round_trips_and_rebuilds_the_tree(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Deliver).await;
        assert_eq!(store.cursor("l1").await.unwrap(), None);
        let first: Vec<_> = (0..3).map(message).collect();
        let root = RootRow {
            root: keccak256("root"),
            count: 3,
            l1_block: 12,
        };
        store
            .ingest_l1(&f, &first, &[root], cursor(20))
            .await
            .unwrap();
        // A tree loaded now is extended with exactly what is ingested later.
        let mut early = store.load_message_tree().await.unwrap();
        assert_eq!(early.len(), 3);
        let second: Vec<_> = (3..7).map(message).collect();
        store.ingest_l1(&f, &second, &[], cursor(30)).await.unwrap();
        assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(30)));
        assert_eq!(store.messages(0, 100).await.unwrap().len(), 7);
        assert_eq!(store.message_count().await.unwrap(), 7);
        let some = store.messages(2, 5).await.unwrap();
        assert_eq!(some, (2..5).map(message).collect::<Vec<_>>());
        assert_eq!(
            store.message(2).await.unwrap().unwrap().message.kind,
            MessageKind::ForcedWithdrawal
        );
        assert_eq!(store.message(7).await.unwrap(), None);
        assert_eq!(store.latest_root().await.unwrap(), Some(root));
        store.extend_message_tree(&mut early).await.unwrap();
        store.close().await;

        let store = db.open().await;
        let tree = store.load_message_tree().await.unwrap();
        let expected = MerkleTree::from_leaves((0..7).map(|n| message(n).leaf)).unwrap();
        assert_eq!(tree, expected);
        assert_eq!(early, expected);
        let status = store.status().await.unwrap();
        assert_eq!(status.l1_messages, 7);
        assert_eq!(status.committed_messages, 3);
        assert_eq!(status.l1_next_block, Some(30));
        assert_eq!(status.l2_next_block, None);
        store.close().await;
    }

    async fn a_failed_range_leaves_nothing_behind(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Deliver).await;
        store
            .ingest_l1(&f, &[message(0)], &[], cursor(5))
            .await
            .unwrap();
        // Nonce 0 again: the primary key refuses it and the whole range, cursor included, rolls back.
        let err = store
            .ingest_l1(&f, &[message(1), message(0)], &[], cursor(9))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Database(_)));
        assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(5)));
        assert_eq!(store.messages(0, 10).await.unwrap().len(), 1);
        store.close().await;
    }

    async fn a_gap_in_the_table_is_reported(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Deliver).await;
        store
            .ingest_l1(&f, &[message(0), message(2)], &[], cursor(5))
            .await
            .unwrap();
        let err = store.load_message_tree().await.unwrap_err();
        assert!(err.to_string().contains("gap"), "{err}");
        store.close().await;
    }

    async fn withdrawals_by_block_and_finalization(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Finalize).await;
        let rows = vec![
            withdrawal(0, 5),
            withdrawal(1, 5),
            withdrawal(2, 8),
            withdrawal(3, 12),
        ];
        store.ingest_l2(&f, &rows, cursor(13)).await.unwrap();
        assert_eq!(store.withdrawals_up_to_block(4).await.unwrap(), 0);
        assert_eq!(store.withdrawals_up_to_block(5).await.unwrap(), 2);
        assert_eq!(store.withdrawals_up_to_block(11).await.unwrap(), 3);
        assert_eq!(store.withdrawals_up_to_block(100).await.unwrap(), 4);
        store.mark_finalized(&f, &[1]).await.unwrap();
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
        // By leaf, by L2 transaction, unknown.
        let by_leaf = store.withdrawals_by_hash(rows[2].leaf).await.unwrap();
        assert_eq!(by_leaf.len(), 1);
        assert_eq!(by_leaf[0].withdrawal, rows[2].withdrawal);
        let by_tx = store.withdrawals_by_hash(rows[3].l2_tx).await.unwrap();
        assert_eq!(by_tx[0].withdrawal.nonce, 3);
        assert!(
            store
                .withdrawals_by_hash(keccak256("nothing"))
                .await
                .unwrap()
                .is_empty()
        );
        let tree = store.load_withdrawal_tree().await.unwrap();
        assert_eq!(tree.len(), 4);
        assert_eq!(tree.leaf(3), Some(rows[3].leaf));
        assert_eq!(store.status().await.unwrap().finalized_withdrawals, 1);
        store.close().await;
    }

    async fn submissions_life_cycle(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Deliver).await;
        let hash = keccak256("tx");
        let raw = [0x02, 0xf8, 0x01];
        store
            .insert_submission(&f, &new_submission(hash, 4, &raw))
            .await
            .unwrap();
        let pending = store.pending_submissions("l2").await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].state, SubmissionState::Queued);
        assert_eq!(pending[0].raw_tx, Bytes::from(vec![0x02, 0xf8, 0x01]));
        assert_eq!(pending[0].sender, Address::repeat_byte(7));
        // The fencing token and the holder are stored with the submission.
        assert_eq!(pending[0].holder.as_deref(), Some("test"));
        assert_eq!(pending[0].lease_token, Some(f.token));
        assert!(store.pending_submissions("l1").await.unwrap().is_empty());
        store
            .update_submission(&f, hash, SubmissionState::InFlight, None, None, None)
            .await
            .unwrap();
        store.close().await;
        // A restart still sees it in flight.
        let store = db.open().await;
        assert_eq!(
            store.pending_submissions("l2").await.unwrap()[0].state,
            SubmissionState::InFlight
        );
        let cost = Cost {
            gas_used: 123_456,
            fee_wei: U256::from(123_456u64) * U256::from(7_000_000_007u64),
        };
        store
            .update_submission(
                &f,
                hash,
                SubmissionState::Confirmed,
                Some("ok"),
                Some(77),
                Some(cost),
            )
            .await
            .unwrap();
        assert!(store.pending_submissions("l2").await.unwrap().is_empty());
        let all = store.submissions().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, SubmissionState::Confirmed);
        assert_eq!(all[0].outcome.as_deref(), Some("ok"));
        assert_eq!(all[0].block_number, Some(77));
        assert_eq!(all[0].tx_nonce, 4);
        assert_eq!(all[0].gas_used, Some(cost.gas_used));
        assert_eq!(all[0].fee_wei, Some(cost.fee_wei));
        let status = store.status().await.unwrap();
        assert_eq!(status.confirmed_submissions, 1);
        assert_eq!(status.pending_submissions, 0);
        store.close().await;
    }

    async fn one_live_submission_per_account_nonce(db: &TestDb) {
        let store = db.open().await;
        let f = fence(&store, Role::Deliver).await;
        let raw = [0x02];
        store
            .insert_submission(&f, &new_submission(keccak256("a"), 9, &raw))
            .await
            .unwrap();
        // A second transaction with the same account nonce while the first is live: refused.
        let err = store
            .insert_submission(&f, &new_submission(keccak256("b"), 9, &raw))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Database(_)), "{err}");
        // Once the first failed (the node refused it), the nonce may be used again.
        store
            .update_submission(
                &f,
                keccak256("a"),
                SubmissionState::Failed,
                Some("rejected"),
                None,
                None,
            )
            .await
            .unwrap();
        store
            .insert_submission(&f, &new_submission(keccak256("b"), 9, &raw))
            .await
            .unwrap();
        assert_eq!(store.submissions().await.unwrap().len(), 2);
        store.close().await;
    }

    async fn leases_are_exclusive_until_they_expire(db: &TestDb) {
        let store = db.open().await;
        let (a, b) = (holder("a"), holder("b"));
        let short = Duration::from_millis(300);
        let fa = store
            .try_acquire(Role::Deliver, &a, short, true)
            .await
            .unwrap()
            .unwrap();
        // Held: b is refused; another role is independent.
        assert_eq!(
            store
                .try_acquire(Role::Deliver, &b, short, true)
                .await
                .unwrap(),
            None
        );
        let fb_propose = store
            .try_acquire(Role::Propose, &b, TTL, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fb_propose.token, 1);
        // Renewal keeps it: even after the first ttl has passed, a renewed lease is not free.
        assert!(store.renew(&fa, TTL).await.unwrap());
        tokio::time::sleep(short * 2).await;
        assert_eq!(
            store
                .try_acquire(Role::Deliver, &b, short, true)
                .await
                .unwrap(),
            None
        );
        // Expired: b takes it over with a new token; a's renewal now fails.
        assert!(store.renew(&fa, short).await.unwrap());
        tokio::time::sleep(short * 2).await;
        let fb = store
            .try_acquire(Role::Deliver, &b, TTL, true)
            .await
            .unwrap()
            .expect("an expired lease is taken over");
        assert_eq!(fb.token, fa.token + 1);
        assert!(!store.renew(&fa, TTL).await.unwrap());
        let leases = store.leases().await.unwrap();
        let deliver = leases.iter().find(|l| l.role == "deliver").unwrap();
        assert_eq!(deliver.holder, "b");
        assert_eq!(deliver.token, fb.token);
        assert!(deliver.is_live());
        // Released: a may take it at once, without waiting for the ttl.
        store.release(&fb).await.unwrap();
        let fa2 = store
            .try_acquire(Role::Deliver, &a, TTL, true)
            .await
            .unwrap()
            .expect("a released lease is free");
        assert_eq!(fa2.token, fb.token + 1);
        store.close().await;
    }

    async fn a_fenced_out_holder_writes_nothing(db: &TestDb) {
        let store = db.open().await;
        let (a, b) = (holder("a"), holder("b"));
        let fa = store
            .try_acquire(Role::Deliver, &a, Duration::from_millis(200), true)
            .await
            .unwrap()
            .unwrap();
        store
            .ingest_l1(&fa, &[message(0)], &[], cursor(5))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let fb = store
            .try_acquire(Role::Deliver, &b, TTL, true)
            .await
            .unwrap()
            .unwrap();
        // Every write under a's old token is refused and leaves nothing behind.
        let err = store
            .ingest_l1(&fa, &[message(1)], &[], cursor(9))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::LeaseLost {
                    role: Role::Deliver
                }
            ),
            "{err}"
        );
        let err = store
            .insert_submission(&fa, &new_submission(keccak256("late"), 1, &[1]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::LeaseLost { .. }), "{err}");
        assert!(store.submissions().await.unwrap().is_empty());
        assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(5)));
        assert_eq!(store.message_count().await.unwrap(), 1);
        // The new holder writes.
        store
            .ingest_l1(&fb, &[message(1)], &[], cursor(9))
            .await
            .unwrap();
        store
            .insert_submission(&fb, &new_submission(keccak256("new"), 1, &[1]))
            .await
            .unwrap();
        let all = store.submissions().await.unwrap();
        assert_eq!(all[0].holder.as_deref(), Some("b"));
        assert_eq!(all[0].lease_token, Some(fb.token));
        store.close().await;
    }

    async fn a_restarted_holder_reclaims_its_own_lease(db: &TestDb) {
        let store = db.open().await;
        let a = holder("a");
        let first = store
            .try_acquire(Role::Finalize, &a, TTL, true)
            .await
            .unwrap()
            .unwrap();
        // Same id after a crash: taken back at once, with a new token that fences the old run.
        let second = store
            .try_acquire(Role::Finalize, &a, TTL, true)
            .await
            .unwrap()
            .expect("own lease reclaimed");
        assert_eq!(second.token, first.token + 1);
        assert!(!store.renew(&first, TTL).await.unwrap());
        // Without reclaim (a process that lost the role once), only expiry frees it.
        assert_eq!(
            store
                .try_acquire(Role::Finalize, &a, TTL, false)
                .await
                .unwrap(),
            None
        );
        store.close().await;
    }

    /// The same migration files give the same tables and columns on both backends.
    #[tokio::test]
    async fn both_backends_have_the_same_schema() {
        let Some(pg) = TestDb::new(Backend::Postgres, "schema").await else {
            return;
        };
        let lite = TestDb::new(Backend::Sqlite, "schema").await.unwrap();
        let pg_store = pg.open().await;
        let lite_store = lite.open().await;
        let pg_rows = sqlx::query(
            r#"SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c,
                      CAST(data_type AS TEXT) AS ty FROM information_schema.columns
               WHERE table_schema = 'public' AND table_name NOT LIKE '\_sqlx%'
               ORDER BY table_name COLLATE "C", ordinal_position"#,
        )
        .fetch_all(&pg_store.pool)
        .await
        .unwrap();
        let pg_columns: Vec<(String, String, String)> = pg_rows
            .iter()
            .map(|r| {
                let ty: String = r.try_get("ty").unwrap();
                let ty = match ty.as_str() {
                    "bigint" => "BIGINT",
                    "text" => "TEXT",
                    other => panic!("unexpected PostgreSQL type {other}"),
                };
                (r.try_get("t").unwrap(), r.try_get("c").unwrap(), ty.into())
            })
            .collect();
        let lite_rows = sqlx::query(
            r#"SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p
               WHERE m.type = 'table' AND m.name NOT LIKE '\_sqlx%' ESCAPE '\'
               ORDER BY m.name, p.cid"#,
        )
        .fetch_all(&lite_store.pool)
        .await
        .unwrap();
        let lite_columns: Vec<(String, String, String)> = lite_rows
            .iter()
            .map(|r| {
                (
                    r.try_get("t").unwrap(),
                    r.try_get("c").unwrap(),
                    r.try_get("ty").unwrap(),
                )
            })
            .collect();
        assert!(lite_columns.len() > 40, "{lite_columns:?}");
        assert_eq!(pg_columns, lite_columns);
        pg_store.close().await;
        lite_store.close().await;
        pg.finish().await;
    }
}
