//! The `headers` table: the block headers each role followed, for reorg detection.

use alloy::primitives::B256;
use sqlx::Row;

use super::{Fence, Store, get_parsed, get_u64, int};
use crate::error::Result;
use crate::role::Role;

/// One block header as followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub number: u64,
    pub hash: B256,
    pub parent: B256,
}

impl Store {
    /// The headers `role` followed on `chain`, ascending.
    pub(crate) async fn headers(&self, role: Role, chain: &str) -> Result<Vec<Header>> {
        let rows = sqlx::query(
            "SELECT number, hash, parent_hash FROM headers WHERE role = $1 AND chain = $2 ORDER BY number",
        )
        .bind(role.as_str())
        .bind(chain.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Header {
                    number: get_u64(row, "number")?,
                    hash: get_parsed(row, "hash")?,
                    parent: get_parsed(row, "parent_hash")?,
                })
            })
            .collect()
    }

    /// In one fenced transaction: drops the headers above `drop_above`, adds `new` and prunes
    /// the ones below `keep_from`.
    pub(crate) async fn record_headers(
        &self,
        fence: &Fence,
        chain: &str,
        drop_above: Option<u64>,
        new: &[Header],
        keep_from: u64,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Store::check_fence(&mut tx, fence).await?;
        let role = fence.role.as_str();
        if let Some(above) = drop_above {
            sqlx::query("DELETE FROM headers WHERE role = $1 AND chain = $2 AND number > $3")
                .bind(role)
                .bind(chain.to_string())
                .bind(int(above)?)
                .execute(&mut *tx)
                .await?;
        }
        for h in new {
            sqlx::query(
                "INSERT INTO headers (role, chain, number, hash, parent_hash) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (role, chain, number) DO UPDATE SET hash = excluded.hash, parent_hash = excluded.parent_hash",
            )
            .bind(role)
            .bind(chain.to_string())
            .bind(int(h.number)?)
            .bind(h.hash.to_string())
            .bind(h.parent.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM headers WHERE role = $1 AND chain = $2 AND number < $3")
            .bind(role)
            .bind(chain.to_string())
            .bind(int(keep_from)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Number of stored headers per (role, chain), for tests and the status page.
    pub async fn followed_headers(&self) -> Result<Vec<(String, String, u64, u64)>> {
        let rows = sqlx::query(
            "SELECT role, chain, MIN(number) AS low, MAX(number) AS high FROM headers GROUP BY role, chain ORDER BY role, chain",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("role")?,
                    row.try_get("chain")?,
                    get_u64(row, "low")?,
                    get_u64(row, "high")?,
                ))
            })
            .collect()
    }
}
