//! The escape kit: a SQLite file of checked escape proofs for listed accounts and tokens, refreshed
//! at every new final output, so that `escape` works after the L2 node is gone.
//!
//! [`watch`] polls L1 every `interval` (sleeping in between, never in a tight loop) for the newest
//! final output — or, once the bridge is frozen, the escape output — and when the kit has no row
//! for it yet, fetches and checks the proof of every (account, token) pair from the L2 node and
//! stores it in one transaction per pair. A pair whose proof cannot be fetched this round (L2 node
//! down) is retried next round; a proven zero balance or a proven missing token is stored as such.
//! Rows of outputs older than the newest `keep` are pruned.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use alloy::primitives::{Address, B256, U256, hex};
use drawbridge_client::Context;
use drawbridge_deployment::Deployment;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, sqlite::SqliteRow};

use crate::ExitError;
use crate::outputs::{escape_output, l2_token_for, latest_final_output};
use crate::proof::{EscapeProof, EscapeTarget, fetch_escape_proof};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the kit knows about one (output, token, account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KitStatus {
    /// A checked proof of a non-zero balance.
    Proven,
    /// The trie proves a zero balance: nothing to escape with.
    Zero,
    /// The trie proves the bridged token did not exist at that block.
    NoToken,
}

impl KitStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Proven => "proven",
            Self::Zero => "zero",
            Self::NoToken => "noToken",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "proven" => Some(Self::Proven),
            "zero" => Some(Self::Zero),
            "noToken" => Some(Self::NoToken),
            _ => None,
        }
    }
}

/// One row of the kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KitEntry {
    /// The output.
    pub output_index: u64,
    /// The L1 token.
    pub l1_token: Address,
    /// The account.
    pub account: Address,
    /// The bridged token on L2.
    pub l2_token: Address,
    /// The output's L2 block.
    pub l2_block_number: u64,
    /// The output's state root.
    pub l2_state_root: B256,
    /// The proven balance (zero unless `Proven`).
    pub balance: U256,
    /// What was proven.
    pub status: KitStatus,
    /// The proof, for `Proven`.
    pub proof: Option<EscapeProof>,
    /// Unix time the row was stored.
    pub fetched_at: u64,
}

/// The kit database.
#[derive(Debug, Clone)]
pub struct Kit {
    pool: SqlitePool,
    path: String,
}

fn hex_addr(a: Address) -> String {
    hex::encode_prefixed(a)
}

impl Kit {
    /// Opens the kit at `path`, creating it (and running the migrations) when `create`; a missing
    /// file without `create` is an error.
    pub async fn open(path: &Path, create: bool) -> Result<Self, ExitError> {
        let shown = path.display().to_string();
        let err = |reason: String| ExitError::Kit {
            path: shown.clone(),
            reason,
        };
        if !create && !path.is_file() {
            return Err(err(
                "no such file (make one with `drawbridge-exit-prover kit --accounts ... --tokens ... --db FILE`)".into(),
            ));
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| err(e.to_string()))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| err(format!("migrating: {e}")))?;
        Ok(Self { pool, path: shown })
    }

    fn error(&self, e: impl std::fmt::Display) -> ExitError {
        ExitError::Kit {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Binds the kit to the deployment's L1 chain and bridge on first use; refuses a kit made
    /// for another deployment.
    pub async fn bind(&self, deployment: &Deployment) -> Result<(), ExitError> {
        self.bind_to(deployment.l1.chain_id, deployment.l1.l1_bridge)
            .await
    }

    /// [`Kit::bind`] by L1 chain id and L1 bridge address.
    pub async fn bind_to(&self, l1_chain_id: u64, l1_bridge: Address) -> Result<(), ExitError> {
        let want = format!("{l1_chain_id}:{}", hex_addr(l1_bridge));
        sqlx::query("INSERT INTO meta (name, value) VALUES ('deployment', $1) ON CONFLICT (name) DO NOTHING")
            .bind(&want)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(e))?;
        let have: String = sqlx::query_scalar("SELECT value FROM meta WHERE name = 'deployment'")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error(e))?;
        if have != want {
            return Err(self.error(format!(
                "it was made for deployment {have} (L1 chain:bridge), not {want}"
            )));
        }
        Ok(())
    }

    /// Stores `entry`, replacing an earlier row for the same (output, token, account).
    pub async fn record(&self, entry: &KitEntry) -> Result<(), ExitError> {
        let proof = entry
            .proof
            .as_ref()
            .map(|p| serde_json::to_string(p).expect("an escape proof always serializes"));
        sqlx::query(
            "INSERT INTO proofs (output_index, l1_token, account, l2_token, l2_block, l2_state_root, balance, status, proof, fetched_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (output_index, l1_token, account) DO UPDATE SET
               l2_token = excluded.l2_token, l2_block = excluded.l2_block, l2_state_root = excluded.l2_state_root,
               balance = excluded.balance, status = excluded.status, proof = excluded.proof, fetched_at = excluded.fetched_at",
        )
        .bind(entry.output_index as i64)
        .bind(hex_addr(entry.l1_token))
        .bind(hex_addr(entry.account))
        .bind(hex_addr(entry.l2_token))
        .bind(entry.l2_block_number as i64)
        .bind(entry.l2_state_root.to_string())
        .bind(entry.balance.to_string())
        .bind(entry.status.as_str())
        .bind(proof)
        .bind(entry.fetched_at as i64)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error(e))?;
        Ok(())
    }

    fn entry(&self, row: &SqliteRow) -> Result<KitEntry, ExitError> {
        let bad = |what: &str| self.error(format!("corrupt row: {what}"));
        let get = |name: &str| -> Result<String, ExitError> {
            row.try_get::<String, _>(name).map_err(|e| self.error(e))
        };
        let num = |name: &str| -> Result<u64, ExitError> {
            row.try_get::<i64, _>(name)
                .map_err(|e| self.error(e))
                .and_then(|v| u64::try_from(v).map_err(|_| bad(name)))
        };
        let addr = |name: &str| -> Result<Address, ExitError> {
            Address::from_str(&get(name)?).map_err(|_| bad(name))
        };
        let status = KitStatus::parse(&get("status")?).ok_or_else(|| bad("status"))?;
        let proof: Option<String> = row.try_get("proof").map_err(|e| self.error(e))?;
        let proof = proof
            .map(|p| serde_json::from_str::<EscapeProof>(&p).map_err(|_| bad("proof")))
            .transpose()?;
        Ok(KitEntry {
            output_index: num("output_index")?,
            l1_token: addr("l1_token")?,
            account: addr("account")?,
            l2_token: addr("l2_token")?,
            l2_block_number: num("l2_block")?,
            l2_state_root: B256::from_str(&get("l2_state_root")?)
                .map_err(|_| bad("l2_state_root"))?,
            balance: U256::from_str(&get("balance")?).map_err(|_| bad("balance"))?,
            status,
            proof,
            fetched_at: num("fetched_at")?,
        })
    }

    /// The row for (output, token, account), if stored.
    pub async fn get(
        &self,
        output_index: u64,
        l1_token: Address,
        account: Address,
    ) -> Result<Option<KitEntry>, ExitError> {
        let row = sqlx::query(
            "SELECT * FROM proofs WHERE output_index = $1 AND l1_token = $2 AND account = $3",
        )
        .bind(output_index as i64)
        .bind(hex_addr(l1_token))
        .bind(hex_addr(account))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error(e))?;
        row.map(|r| self.entry(&r)).transpose()
    }

    /// Rows, newest output first, optionally only of `account` and/or `l1_token`.
    pub async fn entries(
        &self,
        account: Option<Address>,
        l1_token: Option<Address>,
    ) -> Result<Vec<KitEntry>, ExitError> {
        let rows = sqlx::query(
            "SELECT * FROM proofs WHERE ($1 IS NULL OR account = $1) AND ($2 IS NULL OR l1_token = $2)
             ORDER BY output_index DESC, l1_token, account",
        )
        .bind(account.map(hex_addr))
        .bind(l1_token.map(hex_addr))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error(e))?;
        rows.iter().map(|r| self.entry(r)).collect()
    }

    /// Outputs the kit holds rows for, newest first.
    pub async fn outputs(&self) -> Result<Vec<u64>, ExitError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT output_index FROM proofs ORDER BY output_index DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error(e))?;
        Ok(rows.into_iter().map(|v| v as u64).collect())
    }

    /// Deletes the rows of every output but the newest `keep`.
    pub async fn prune(&self, keep: usize) -> Result<u64, ExitError> {
        let outputs = self.outputs().await?;
        let Some(&oldest_kept) = outputs.get(keep.saturating_sub(1)) else {
            return Ok(0);
        };
        let done = sqlx::query("DELETE FROM proofs WHERE output_index < $1")
            .bind(oldest_kept as i64)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(e))?;
        Ok(done.rows_affected())
    }

    /// The stored proof that `escape` needs: `account`'s balance of `l1_token` at output
    /// `output_index`, or [`ExitError::NotInKit`] saying what the kit has instead.
    pub async fn escape_proof(
        &self,
        output_index: u64,
        l1_token: Address,
        account: Address,
    ) -> Result<EscapeProof, ExitError> {
        let missing = |detail: String| ExitError::NotInKit {
            path: self.path.clone(),
            account,
            l1_token,
            detail,
        };
        match self.get(output_index, l1_token, account).await? {
            Some(KitEntry {
                proof: Some(proof),
                status: KitStatus::Proven,
                ..
            }) => Ok(proof),
            Some(KitEntry {
                status: KitStatus::Zero,
                ..
            }) => Err(missing(format!(
                ": it proved a zero balance at output {output_index}: nothing to escape with"
            ))),
            Some(_) => Err(missing(format!(
                ": the bridged token did not exist at output {output_index}"
            ))),
            None => {
                let outputs = self.outputs().await?;
                Err(missing(format!(
                    " at output {output_index} (the escape output); it has rows for outputs {outputs:?}"
                )))
            }
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// What one round of [`refresh`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshOutcome {
    /// The output the round targeted, if any output is final.
    pub output_index: Option<u64>,
    /// Pairs newly stored this round.
    pub stored: Vec<KitEntry>,
    /// Pairs that failed this round (retried next round), with the reason.
    pub failed: Vec<String>,
}

/// One round: targets the escape output when frozen, else the newest final output, and stores a
/// checked proof for every (account, token) pair the kit has no row for at that output.
pub async fn refresh(
    ctx: &Context,
    kit: &Kit,
    accounts: &[Address],
    l1_tokens: &[Address],
) -> Result<RefreshOutcome, ExitError> {
    let (index, l2_block, root) = match escape_output(ctx).await? {
        Some(Some(e)) => (e.output_index, e.l2_block_number, e.l2_state_root),
        Some(None) => return Ok(RefreshOutcome::default()),
        None => match latest_final_output(ctx).await? {
            Some(o) => (o.index, o.l2_block_number, o.l2_state_root),
            None => return Ok(RefreshOutcome::default()),
        },
    };
    let mut outcome = RefreshOutcome {
        output_index: Some(index),
        ..Default::default()
    };
    for &l1_token in l1_tokens {
        let mut l2_token = None;
        for &account in accounts {
            if kit.get(index, l1_token, account).await?.is_some() {
                continue;
            }
            let l2 = match l2_token {
                Some(t) => t,
                None => {
                    let t = l2_token_for(ctx, l1_token).await?;
                    l2_token = Some(t);
                    t
                }
            };
            let target = EscapeTarget {
                l1_token,
                l2_token: l2,
                account,
                output_index: index,
                l2_block_number: l2_block,
                l2_state_root: root,
            };
            let (status, balance, proof) = match fetch_escape_proof(&ctx.l2, &target).await {
                Ok(p) => (KitStatus::Proven, p.balance, Some(p)),
                Err(ExitError::ZeroBalance { .. }) => (KitStatus::Zero, U256::ZERO, None),
                Err(ExitError::TokenNotDeployed { .. }) => (KitStatus::NoToken, U256::ZERO, None),
                Err(error) => {
                    tracing::warn!(%error, %account, %l1_token, output = index, "no proof this round");
                    outcome
                        .failed
                        .push(format!("{account} / {l1_token}: {error}"));
                    continue;
                }
            };
            let entry = KitEntry {
                output_index: index,
                l1_token,
                account,
                l2_token: l2,
                l2_block_number: l2_block,
                l2_state_root: root,
                balance,
                status,
                proof,
                fetched_at: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default(),
            };
            kit.record(&entry).await?;
            tracing::info!(%account, %l1_token, output = index, status = entry.status.as_str(), balance = %balance, "stored");
            outcome.stored.push(entry);
        }
    }
    Ok(outcome)
}

/// Watch mode: [`refresh`] every `interval` until `shutdown` resolves, keeping the newest `keep`
/// outputs. RPC failures are logged and retried next round; a kit (database) failure ends it.
pub async fn watch<F: Future<Output = ()>>(
    ctx: &Context,
    kit: &Kit,
    accounts: &[Address],
    l1_tokens: &[Address],
    interval: Duration,
    keep: usize,
    shutdown: F,
) -> Result<u64, ExitError> {
    kit.bind(&ctx.deployment).await?;
    tokio::pin!(shutdown);
    let mut rounds = 0u64;
    loop {
        match refresh(ctx, kit, accounts, l1_tokens).await {
            Ok(outcome) => {
                if !outcome.stored.is_empty() {
                    let pruned = kit.prune(keep).await?;
                    if pruned > 0 {
                        tracing::info!(pruned, keep, "pruned rows of older outputs");
                    }
                }
            }
            Err(e @ ExitError::Kit { .. }) => return Err(e),
            Err(error) => tracing::warn!(%error, "round failed; retrying after the interval"),
        }
        rounds += 1;
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!(rounds, "stopping");
                return Ok(rounds);
            }
            () = tokio::time::sleep(interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(output: u64, account: Address, status: KitStatus) -> KitEntry {
        let proof = (status == KitStatus::Proven).then(|| EscapeProof {
            target: EscapeTarget {
                l1_token: Address::ZERO,
                l2_token: Address::repeat_byte(9),
                account,
                output_index: output,
                l2_block_number: output * 10,
                l2_state_root: B256::repeat_byte(output as u8),
            },
            balance: U256::from(5u8),
            slot: crate::proof::balance_slot(account),
            token_account: crate::proof::TokenAccount {
                nonce: 1,
                balance: U256::ZERO,
                storage_root: B256::repeat_byte(7),
                code_hash: B256::repeat_byte(8),
            },
            account_proof: vec![vec![1u8, 2, 3].into()],
            storage_proof: vec![vec![4u8].into()],
        });
        KitEntry {
            output_index: output,
            l1_token: Address::ZERO,
            account,
            l2_token: Address::repeat_byte(9),
            l2_block_number: output * 10,
            l2_state_root: B256::repeat_byte(output as u8),
            balance: if proof.is_some() {
                U256::from(5u8)
            } else {
                U256::ZERO
            },
            status,
            proof,
            fetched_at: 1,
        }
    }

    #[tokio::test]
    async fn rows_round_trip_prune_and_stay_with_their_deployment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kit.sqlite");
        let missing = Kit::open(&path, false).await.unwrap_err();
        assert!(missing.to_string().contains("no such file"), "{missing}");
        let kit = Kit::open(&path, true).await.unwrap();
        kit.bind_to(900, Address::repeat_byte(1)).await.unwrap();
        kit.bind_to(900, Address::repeat_byte(1)).await.unwrap();
        let other = kit.bind_to(900, Address::repeat_byte(5)).await.unwrap_err();
        assert!(other.to_string().contains("made for deployment"), "{other}");

        let (a, b) = (Address::repeat_byte(0xa), Address::repeat_byte(0xb));
        for output in 1..=4 {
            kit.record(&entry(output, a, KitStatus::Proven))
                .await
                .unwrap();
            kit.record(&entry(output, b, KitStatus::Zero))
                .await
                .unwrap();
        }
        // Replacing a row keeps one row per (output, token, account).
        kit.record(&entry(4, a, KitStatus::Proven)).await.unwrap();
        assert_eq!(kit.entries(Some(a), None).await.unwrap().len(), 4);
        let got = kit.get(4, Address::ZERO, a).await.unwrap().unwrap();
        assert_eq!(got, entry(4, a, KitStatus::Proven));
        assert_eq!(
            kit.escape_proof(4, Address::ZERO, a)
                .await
                .unwrap()
                .target
                .output_index,
            4
        );
        let zero = kit.escape_proof(4, Address::ZERO, b).await.unwrap_err();
        assert!(zero.to_string().contains("zero balance"), "{zero}");
        let absent = kit.escape_proof(9, Address::ZERO, a).await.unwrap_err();
        assert!(absent.to_string().contains("[4, 3, 2, 1]"), "{absent}");

        assert_eq!(kit.prune(2).await.unwrap(), 4);
        assert_eq!(kit.outputs().await.unwrap(), vec![4, 3]);
        kit.close().await;
        // Reopening keeps the rows and the binding.
        let kit = Kit::open(&path, false).await.unwrap();
        assert!(kit.bind_to(900, Address::repeat_byte(5)).await.is_err());
        assert_eq!(kit.outputs().await.unwrap(), vec![4, 3]);
    }
}
