//! The coordinator's database (sqlx, SQLite by default): sessions and the envelopes it relays.
//!
//! Queries go through sqlx's `Any` driver with portable SQL, like the relayer's store, so a
//! PostgreSQL URL works too. Callers serialize writes per coordinator (one process owns a
//! database), so "check, then insert" sequences are not raced.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::error::{CouncilError, Result};
use crate::identity::Envelope;
use crate::protocol::SessionStatus;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which kind of ceremony a session runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// Distributed key generation.
    Dkg,
    /// Signing an action.
    Sign,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Dkg => "dkg",
            SessionKind::Sign => "sign",
        }
    }
}

/// A stored session.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// Session id.
    pub id: String,
    /// DKG or signing.
    pub kind: SessionKind,
    /// The signed request.
    pub request: Envelope,
    /// Status.
    pub status: SessionStatus,
    /// Outcome JSON (DKG: public file; signing: signature file).
    pub result: Option<String>,
    /// Failure or submission error.
    pub error: Option<String>,
    /// Submission transaction hash.
    pub tx_hash: Option<String>,
}

/// Handle on the coordinator's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn status_str(s: SessionStatus) -> Result<String> {
    Ok(serde_json::to_value(s)?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn parse_status(s: &str) -> Result<SessionStatus> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| CouncilError::Database(format!("unknown session status {s:?}")))
}

impl Store {
    /// Opens (a `sqlite:` URL with `mode=rwc` creates the file) and migrates the database.
    pub async fn open(url: &str) -> Result<Self> {
        if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
            return Err(CouncilError::Parameters(format!(
                "database URL {url:?}: use sqlite:PATH?mode=rwc (or postgres://...)"
            )));
        }
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            // SQLite has one writer; one connection avoids SQLITE_BUSY between our own tasks.
            .max_connections(if url.starts_with("sqlite:") { 1 } else { 5 })
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool })
    }

    /// Creates a session; refuses an id that exists.
    pub async fn create_session(
        &self,
        id: &str,
        kind: SessionKind,
        request: &Envelope,
        status: SessionStatus,
    ) -> Result<()> {
        if self.session(id).await?.is_some() {
            return Err(CouncilError::Session(format!(
                "session {id} already exists"
            )));
        }
        sqlx::query(
            "INSERT INTO sessions (id, kind, request, status, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(serde_json::to_string(request)?)
        .bind(status_str(status)?)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session `id`, if any.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT id, kind, request, status, result, error, tx_hash FROM sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| session_row(&r)).transpose()
    }

    /// Sets status, result and error of a session.
    pub async fn set_status(
        &self,
        id: &str,
        status: SessionStatus,
        result: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET status = $1, result = $2, error = $3 WHERE id = $4")
            .bind(status_str(status)?)
            .bind(result)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the submission of a signed session: its transaction hash, or why it failed.
    pub async fn set_submission(
        &self,
        id: &str,
        tx_hash: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET tx_hash = $1, error = $2 WHERE id = $3")
            .bind(tx_hash)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores envelopes of one session and kind atomically; refuses the whole batch, naming the
    /// sender, if one of them duplicates a stored message (same sender and recipient).
    pub async fn insert_messages(
        &self,
        session: &str,
        kind: &str,
        envs: &[Envelope],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for env in envs {
            let exists = sqlx::query(
                "SELECT 1 FROM messages WHERE session = $1 AND kind = $2 AND sender = $3 AND recipient = $4",
            )
            .bind(session)
            .bind(kind)
            .bind(i64::from(env.sender))
            .bind(i64::from(env.recipient))
            .fetch_optional(&mut *tx)
            .await?;
            if exists.is_some() {
                return Err(CouncilError::DuplicateIdentifier(env.sender));
            }
            sqlx::query(
                "INSERT INTO messages (session, kind, sender, recipient, envelope, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(session)
            .bind(kind)
            .bind(i64::from(env.sender))
            .bind(i64::from(env.recipient))
            .bind(serde_json::to_string(env)?)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Envelopes of a session and kind, sorted by sender then recipient; only those addressed to
    /// `recipient` when given.
    pub async fn messages(
        &self,
        session: &str,
        kind: &str,
        recipient: Option<u16>,
    ) -> Result<Vec<Envelope>> {
        let mut rows = match recipient {
            Some(r) => sqlx::query(
                "SELECT envelope FROM messages WHERE session = $1 AND kind = $2 AND recipient = $3 \
                 ORDER BY sender, recipient",
            )
            .bind(session)
            .bind(kind)
            .bind(i64::from(r))
            .fetch(&self.pool),
            None => sqlx::query(
                "SELECT envelope FROM messages WHERE session = $1 AND kind = $2 ORDER BY sender, recipient",
            )
            .bind(session)
            .bind(kind)
            .fetch(&self.pool),
        };
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            let text: String = row.try_get("envelope")?;
            out.push(serde_json::from_str(&text)?);
        }
        Ok(out)
    }

    /// Distinct senders of a session's messages of one kind, sorted.
    pub async fn senders(&self, session: &str, kind: &str) -> Result<Vec<u16>> {
        let rows = sqlx::query(
            "SELECT DISTINCT sender FROM messages WHERE session = $1 AND kind = $2 ORDER BY sender",
        )
        .bind(session)
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let v: i64 = r.try_get("sender")?;
                u16::try_from(v).map_err(|_| CouncilError::Database(format!("sender {v}")))
            })
            .collect()
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn session_row(r: &AnyRow) -> Result<SessionRow> {
    let kind: String = r.try_get("kind")?;
    let request: String = r.try_get("request")?;
    let status: String = r.try_get("status")?;
    Ok(SessionRow {
        id: r.try_get("id")?,
        kind: match kind.as_str() {
            "dkg" => SessionKind::Dkg,
            "sign" => SessionKind::Sign,
            other => {
                return Err(CouncilError::Database(format!(
                    "unknown session kind {other:?}"
                )));
            }
        },
        request: serde_json::from_str(&request)?,
        status: parse_status(&status)?,
        result: r.try_get("result")?,
        error: r.try_get("error")?,
        tx_hash: r.try_get("tx_hash")?,
    })
}
