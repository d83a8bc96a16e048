//! The `submission_attempts` table: every fee-bumped replacement of a submission, recorded before
//! it is broadcast, and which transaction of a submission was mined.

use alloy::primitives::{B256, Bytes};
use sqlx::Row;

use super::{Cost, Fence, Store, Submission, SubmissionState, get_parsed, get_u64, int, now_ms};
use crate::chain::Fees;
use crate::error::{Error, Result};

/// One signed transaction of a submission: the first (`attempt` 0, the `submissions` row) or a
/// fee-bumped replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// This transaction's hash.
    pub tx_hash: B256,
    /// The submission (hash of its first transaction).
    pub submission: B256,
    /// 0 for the first transaction, then 1, 2, ...
    pub attempt: u64,
    /// The signed transaction.
    pub raw_tx: Bytes,
    /// Its `maxFeePerGas` (wei).
    pub max_fee_per_gas: u128,
    /// Its `maxPriorityFeePerGas` (wei).
    pub max_priority_fee_per_gas: u128,
    /// Unix milliseconds when it was recorded (before its broadcast).
    pub created_at: i64,
}

impl Attempt {
    pub(crate) fn first(s: &Submission) -> Self {
        let fees = Fees::of_raw(&s.raw_tx).unwrap_or(Fees {
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
        });
        Self {
            tx_hash: s.tx_hash,
            submission: s.tx_hash,
            attempt: 0,
            raw_tx: s.raw_tx.clone(),
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            created_at: s.updated_at.max(s.created_at),
        }
    }

    pub(crate) fn fees(&self) -> Fees {
        Fees {
            max_fee_per_gas: self.max_fee_per_gas,
            max_priority_fee_per_gas: self.max_priority_fee_per_gas,
        }
    }
}

fn parse_u128(row: &sqlx::any::AnyRow, column: &str) -> Result<u128> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| Error::BadRow {
        what: column.into(),
        reason: format!("{text:?}: {e}"),
    })
}

fn attempt_from_row(row: &sqlx::any::AnyRow) -> Result<Attempt> {
    let raw: String = row.try_get("raw_tx")?;
    Ok(Attempt {
        tx_hash: get_parsed(row, "tx_hash")?,
        submission: get_parsed(row, "submission")?,
        attempt: get_u64(row, "attempt")?,
        raw_tx: alloy::hex::decode(&raw)
            .map_err(|e| Error::BadRow {
                what: "submission_attempts.raw_tx".into(),
                reason: e.to_string(),
            })?
            .into(),
        max_fee_per_gas: parse_u128(row, "max_fee_per_gas")?,
        max_priority_fee_per_gas: parse_u128(row, "max_priority_fee_per_gas")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Every transaction of submission `s`, first one first.
    pub async fn attempts(&self, s: &Submission) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(
            "SELECT tx_hash, submission, attempt, raw_tx, max_fee_per_gas, max_priority_fee_per_gas, created_at \
             FROM submission_attempts WHERE submission = $1 ORDER BY attempt",
        )
        .bind(s.tx_hash.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut all = vec![Attempt::first(s)];
        for row in &rows {
            all.push(attempt_from_row(row)?);
        }
        Ok(all)
    }

    /// Every replacement transaction (attempts 1 and up) of every submission.
    pub async fn replacements(&self) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(
            "SELECT tx_hash, submission, attempt, raw_tx, max_fee_per_gas, max_priority_fee_per_gas, created_at \
             FROM submission_attempts ORDER BY created_at, attempt",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_from_row).collect()
    }

    /// The transaction that was mined for submission `submission` (its first or a replacement),
    /// once settled by a receipt.
    pub async fn mined_tx_hash(&self, submission: B256) -> Result<Option<B256>> {
        let row = sqlx::query("SELECT mined_tx_hash FROM submissions WHERE tx_hash = $1")
            .bind(submission.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let hash: Option<String> = row.try_get("mined_tx_hash")?;
        hash.map(|h| {
            h.parse().map_err(|e| Error::BadRow {
                what: "submissions.mined_tx_hash".into(),
                reason: format!("{h:?}: {e}"),
            })
        })
        .transpose()
    }

    /// Records a replacement before it is broadcast.
    pub(crate) async fn insert_attempt(&self, fence: &Fence, a: &Attempt) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Store::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "INSERT INTO submission_attempts (tx_hash, submission, attempt, raw_tx, max_fee_per_gas, max_priority_fee_per_gas, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.tx_hash.to_string())
        .bind(a.submission.to_string())
        .bind(int(a.attempt)?)
        .bind(alloy::hex::encode_prefixed(&a.raw_tx))
        .bind(a.max_fee_per_gas.to_string())
        .bind(a.max_priority_fee_per_gas.to_string())
        .bind(a.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE submissions SET updated_at = $1 WHERE tx_hash = $2")
            .bind(a.created_at)
            .bind(a.submission.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Settles a submission: its final state, outcome, and (when mined) which transaction was
    /// mined, where and at what cost.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn finish_submission(
        &self,
        fence: &Fence,
        submission: B256,
        state: SubmissionState,
        outcome: &str,
        mined: Option<(B256, u64, Cost)>,
    ) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        Store::check_fence(&mut tx, fence).await?;
        sqlx::query(
            "UPDATE submissions SET state = $1, outcome = $2, block_number = $3, updated_at = $4, \
             gas_used = $5, fee_wei = $6, mined_tx_hash = $7 WHERE tx_hash = $8",
        )
        .bind(state.as_str())
        .bind(outcome.to_string())
        .bind(mined.map(|(_, block, _)| int(block)).transpose()?)
        .bind(now_ms())
        .bind(mined.map(|(_, _, c)| int(c.gas_used)).transpose()?)
        .bind(mined.map(|(_, _, c)| c.fee_wei.to_string()))
        .bind(mined.map(|(hash, _, _)| hash.to_string()))
        .bind(submission.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
