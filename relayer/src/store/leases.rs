//! The `leases` table: which relayer holds each role, with a fencing token every write checks.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use super::{Backend, Fence, Lease, Store};
use crate::error::{Error, Result};
use crate::role::Role;

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

impl Store {
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
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4)
}
