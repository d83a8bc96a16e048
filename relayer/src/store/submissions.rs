//! The `submissions` table: every transaction, recorded before it is broadcast, and its outcome.

use sqlx::Row;
use sqlx::any::AnyRow;

use alloy::primitives::{B256, U256};

use super::{
    Cost, Fence, NewSubmission, Store, Submission, SubmissionState, bad, get_opt_u64, get_parsed,
    get_u64, hex_str, int, now_ms,
};
use crate::error::Result;

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
}
