//! The watchdog role: re-check every output proposed on the OutputOracle against this relayer's own
//! L2 node, challenge a wrong one with the challenger bond inside its window, and check that every
//! L1 root published on L2 was committed on L1.
//!
//! Each round it
//! 1. follows the OutputOracle's events (`OutputProposed`, `OutputChallenged`, `DisputeResolved`,
//!    `OutputsDeleted`) up to `l1 head - l1_confirmations`, storing one row per proposal with its
//!    status (a range and the cursor in one transaction, like the other roles' ingestion);
//! 2. recomputes each unchecked output once its L2 block is confirmed on the L2 node: the block
//!    hash and state root of that block, and `L2Bridge.withdrawalRoot()`,
//!    `L2Bridge.l1MessagesProcessed()` and `L2Bridge.l1MessageRoot()` called at that block
//!    (compared with the `l1MessageRoot` of `OutputProposed`). Any difference makes it `wrong`
//!    (the finalize role runs the same recomputation before paying against a final output);
//! 3. challenges every wrong output that is still `Proposed` and inside its window, through the
//!    exactly-once submission path ([`Work::Challenge`] names the output by index and by the hash
//!    of its fields, so a reused index is never challenged by mistake); chain state (the output's
//!    status) is re-read before every send, so a restart or a second watchdog never challenges
//!    twice, and the contract refuses a second challenge anyway;
//! 4. follows `RootPublished` of the L2 `L1RootOracle` up to the confirmed L2 head and looks each
//!    root up with `L1Bridge.messageRootCount(root)`: a root L1 never committed (or committed
//!    for another count) raises the `unknown_l1_root` alert until L1 shows it;
//! 5. follows L1's messages (each range checked against `messageRoot()`/`messageCount()` at the
//!    confirmed block, [`crate::watch_chains`]) and the L2 bridge's `MessageProcessed`,
//!    `WithdrawalInitiated` and `BridgedTokenDeployed` events, compares every leaf L2 consumed
//!    with L1's leaf at that nonce (the first difference raises `forged_l1_message`; every output
//!    past it claims an `l1MessageRoot` that differs from L2's and is challenged by step 3), and
//!    runs the conservation monitor ([`crate::conservation`], `unbacked_supply`).
//!
//! Findings that need an operator (a wrong output not challenged, a window missed, a wrong output
//! the council upheld, an unknown L1 root, a forged L1 message, an unbacked token, L1 logs that
//! contradict L1 state) make `/health` unhealthy and count in
//! `drawbridge_relayer_watchdog_problems`; `/watchdog` and `/outputs` show the verdicts.

use std::collections::BTreeMap;

use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use drawbridge_bindings::{IL1RootOracle, IOutputOracle};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::config::Role;
use crate::error::{Error, Result};
use crate::relayer::{Outcome, Relayer, Side, describe_revert};
use crate::store::{Cursor, Fence, Store, get_opt_u64, get_parsed, get_u64, int, now_ms};

/// Cursor (in `cursors`) of the OutputOracle events on L1.
const OUTPUTS_CURSOR: &str = "watchdog_l1";
/// Cursor of the `RootPublished` events on L2.
const ROOTS_CURSOR: &str = "watchdog_l2";

/// `IOutputOracle.OutputStatus.Proposed`.
const STATUS_PROPOSED: u8 = 1;

/// What an output claims about one L2 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    pub l2_block: u64,
    pub block_hash: B256,
    pub state_root: B256,
    pub withdrawal_root: B256,
    pub l1_messages_processed: u64,
    /// `L2Bridge.l1MessageRoot()` at the block: the root of the L1 messages L2 consumed. Outputs
    /// carry it in `OutputProposed` only (it is not stored on chain): `None` when unknown.
    pub l1_message_root: Option<B256>,
}

impl Claim {
    /// The claim of a stored output; its `l1MessageRoot` is not stored on chain (`None`).
    pub(crate) fn of(output: &IOutputOracle::Output) -> Self {
        Self {
            l2_block: output.l2BlockNumber,
            block_hash: output.l2BlockHash,
            state_root: output.l2StateRoot,
            withdrawal_root: output.withdrawalRoot,
            l1_messages_processed: output.l1MessagesProcessed,
            l1_message_root: None,
        }
    }
}

/// Identity of an output: its index, proposer and claim hashed together. An index is reused after
/// a deletion; this is not (unless the same proposer posts the very same claim at the same index,
/// which is then the same verdict). The `l1MessageRoot` is left out: the chain does not store it,
/// and the contract accepts only the one root L1 committed for the claimed count.
pub(crate) fn output_id(index: u64, proposer: Address, claim: &Claim) -> B256 {
    keccak256(
        (
            U256::from(index),
            proposer,
            U256::from(claim.l2_block),
            claim.block_hash,
            claim.state_root,
            claim.withdrawal_root,
            U256::from(claim.l1_messages_processed),
        )
            .abi_encode(),
    )
}

/// What differs between an output's claim and the L2 node's view of the same block; empty when
/// the output is right.
pub(crate) fn differences(claimed: &Claim, actual: &Claim) -> Vec<String> {
    let mut out = Vec::new();
    if claimed.l2_block != actual.l2_block {
        out.push(format!(
            "L2 block {} recomputed for a claim about block {}",
            actual.l2_block, claimed.l2_block
        ));
    }
    for (name, c, a) in [
        ("l2BlockHash", claimed.block_hash, actual.block_hash),
        ("l2StateRoot", claimed.state_root, actual.state_root),
        (
            "withdrawalRoot",
            claimed.withdrawal_root,
            actual.withdrawal_root,
        ),
    ] {
        if c != a {
            out.push(format!("{name} is {c}, the L2 node has {a}"));
        }
    }
    if claimed.l1_messages_processed != actual.l1_messages_processed {
        out.push(format!(
            "l1MessagesProcessed is {}, the L2 node has {}",
            claimed.l1_messages_processed, actual.l1_messages_processed
        ));
    }
    if let (Some(c), Some(a)) = (claimed.l1_message_root, actual.l1_message_root)
        && c != a
    {
        out.push(format!(
            "l1MessageRoot is {c}, the L2 node has {a} (L2 did not consume exactly L1's messages)"
        ));
    }
    out
}

/// One OutputOracle event, in chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputEvent {
    Proposed {
        l1_block: u64,
        log_index: u64,
        index: u64,
        proposer: Address,
        claim: Claim,
    },
    Challenged {
        index: u64,
        challenger: Address,
    },
    Resolved {
        index: u64,
        valid: bool,
    },
    Deleted {
        from_index: u64,
    },
}

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

/// The problems a set of findings raises, by key (see [`crate::metrics::Metrics`]).
/// `window_open(index)` tells whether a proposed output can still be challenged.
pub(crate) fn problems(
    wrong_live: &[WatchedOutput],
    missed: &[u64],
    unconfirmed_roots: &[WatchedRoot],
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for o in wrong_live {
        let what = format!(
            "output {} (L2 block {}) is wrong: {}",
            o.index,
            o.claim.l2_block,
            o.reason.as_deref().unwrap_or("?")
        );
        let problem = match o.status.as_str() {
            "proposed" if missed.contains(&o.index) => Some(format!(
                "{what}; its challenge window closed before it was challenged"
            )),
            "proposed" => Some(format!("{what}; not challenged yet")),
            "upheld" => Some(format!("{what}; the council upheld it")),
            // Challenged: the dispute is with the council; nothing for the operator to do.
            _ => None,
        };
        if let Some(problem) = problem {
            out.insert(format!("output:{}", o.id), problem);
        }
    }
    for r in unconfirmed_roots {
        let problem = match r.l1_count {
            None => continue, // not looked up yet
            Some(0) => format!(
                "L1 root {} (count {}) published on L2 in block {} was never committed on L1",
                r.root, r.count, r.l2_block
            ),
            Some(n) => format!(
                "L1 root {} published on L2 in block {} for {} messages was committed on L1 for {n}",
                r.root, r.l2_block, r.count
            ),
        };
        out.insert(format!("root:{}", r.root), problem);
    }
    out
}

fn position(chain: &str, log: &Log) -> Result<(u64, u64)> {
    match (log.block_number, log.log_index) {
        (Some(block), Some(index)) => Ok((block, index)),
        _ => Err(Error::rpc(
            if chain == "l1" { "L1" } else { "L2" },
            "a log without block number or index",
        )),
    }
}

/// Decodes the OutputOracle events the watchdog follows; other logs are skipped.
pub(crate) fn decode_output_event(log: &Log) -> Result<Option<OutputEvent>> {
    let bad = |e: alloy::sol_types::Error| {
        Error::rpc("L1", format!("undecodable OutputOracle event: {e}"))
    };
    let u64_of = |v: U256, what: &str| -> Result<u64> {
        u64::try_from(v).map_err(|_| Error::rpc("L1", format!("{what} {v} does not fit 64 bits")))
    };
    Ok(Some(match log.topic0() {
        Some(&IOutputOracle::OutputProposed::SIGNATURE_HASH) => {
            let (l1_block, log_index) = position("l1", log)?;
            let e = log
                .log_decode::<IOutputOracle::OutputProposed>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Proposed {
                l1_block,
                log_index,
                index: u64_of(e.index, "output index")?,
                proposer: e.proposer,
                claim: Claim {
                    l2_block: e.l2BlockNumber,
                    block_hash: e.l2BlockHash,
                    state_root: e.l2StateRoot,
                    withdrawal_root: e.withdrawalRoot,
                    l1_messages_processed: e.l1MessagesProcessed,
                    l1_message_root: Some(e.l1MessageRoot),
                },
            }
        }
        Some(&IOutputOracle::OutputChallenged::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::OutputChallenged>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Challenged {
                index: u64_of(e.index, "output index")?,
                challenger: e.challenger,
            }
        }
        Some(&IOutputOracle::DisputeResolved::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::DisputeResolved>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Resolved {
                index: u64_of(e.index, "output index")?,
                valid: e.valid,
            }
        }
        Some(&IOutputOracle::OutputsDeleted::SIGNATURE_HASH) => {
            let e = log
                .log_decode::<IOutputOracle::OutputsDeleted>()
                .map_err(bad)?
                .inner
                .data;
            OutputEvent::Deleted {
                from_index: u64_of(e.fromIndex, "output index")?,
            }
        }
        _ => return Ok(None),
    }))
}

impl Relayer {
    /// One watchdog round: follow outputs, judge them, challenge the wrong ones, check L1 roots.
    pub(crate) async fn watchdog_round(&mut self) -> Result<()> {
        let fence = self.fence(Role::Watchdog)?;
        self.watch_follow_outputs(&fence).await?;
        // An output the L2 node cannot recompute (an RPC error, state pruned) must not keep later
        // outputs from being judged and challenged: the error is returned after the challenges.
        let check = self.watch_check_outputs(&fence).await;
        let missed = self.watch_challenge().await?;
        self.watch_roots(&fence).await?;
        let wrong = self.store.watch_wrong_live().await?;
        let roots = self.store.watch_roots_unconfirmed().await?;
        let mut found = problems(&wrong, &missed, &roots);
        // What L2 consumed against what L1 sent, and what L2 holds against what L1 escrows. A
        // node whose L1 logs contradict L1 state is a finding here, not a halt: the watchdog
        // keeps judging and challenging outputs.
        // Their RPC errors are returned at the end of the round, after the findings are set.
        let consumed = self.watch_consumed_and_backing(&fence, &mut found).await;
        let known = self.metrics.watchdog_problem_keys();
        for (key, problem) in &found {
            // Alert once when a window is missed (the other findings alert where they are made).
            if key.starts_with("output:")
                && problem.contains("window closed")
                && !known.contains(key)
            {
                error!(%problem, "ALERT: watchdog: the challenge window of a wrong output closed before it was challenged");
                self.metrics.alert("challenge_missed");
            }
        }
        self.metrics.set_watchdog_problems(found);
        check.and(consumed)
    }

    /// The leaf comparison and the conservation monitor, adding their findings to `found`; a
    /// failing step keeps the findings it had (the monitor's last ones included).
    async fn watch_consumed_and_backing(
        &mut self,
        fence: &Fence,
        found: &mut BTreeMap<String, String>,
    ) -> Result<()> {
        let mut first_error = None;
        match self.watch_follow_l1_messages(fence).await {
            Ok(()) => {}
            Err(Error::L1LogsInconsistent(reason)) => {
                let key = "l1_logs".to_string();
                if !self.metrics.watchdog_problem_keys().contains(&key) {
                    self.metrics.alert("l1_logs_inconsistent");
                }
                found.insert(
                    key,
                    format!(
                        "the L1 node's logs contradict L1 state, nothing stored from them: {reason}"
                    ),
                );
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
        let l2_at = match self.watch_follow_l2_bridge(fence).await {
            Ok(at) => at,
            Err(error) => {
                first_error.get_or_insert(error);
                None
            }
        };
        match self.watch_check_forged().await {
            Ok(Some((key, problem))) => {
                found.insert(key, problem);
            }
            Ok(None) => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
        match self.watch_conservation(fence, l2_at).await {
            Ok(problems) => found.extend(problems),
            Err(error) => {
                warn!(%error, "watchdog: conservation check failed; keeping its last findings");
                found.extend(self.conservation.problems.clone());
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Where a watchdog scan of `chain` resumes, checking the block before it kept its hash.
    pub(crate) async fn watch_cursor(&self, side: Side, key: &str) -> Result<Cursor> {
        let chain = self.chain(side);
        let deploy_block = match side {
            Side::L1 => self.config.deployment.l1.deploy_block,
            Side::L2 => self.config.deployment.l2.deploy_block,
        };
        let cursor = self.store.cursor(key).await?.unwrap_or(Cursor {
            next_block: deploy_block,
            last_block_hash: None,
        });
        if let Some(expected) = cursor.last_block_hash {
            let number = cursor.next_block.saturating_sub(1);
            let (hash, _) = chain.block(number).await?;
            if hash != expected {
                error!(chain = chain.name, block = number, %expected, actual = %hash, "ALERT: watchdog: reorg deeper than the confirmation depth");
                return Err(Error::Inconsistent(format!(
                    "{} block {number} was {expected} when the watchdog scanned it and is {hash} now: \
                     a reorg deeper than {} confirmations",
                    chain.name, chain.confirmations
                )));
            }
        }
        Ok(cursor)
    }

    /// Ingests the OutputOracle's events up to the confirmed L1 head.
    async fn watch_follow_outputs(&self, fence: &Fence) -> Result<()> {
        let target = self.l1.confirmed_head().await?;
        let mut cursor = self.watch_cursor(Side::L1, OUTPUTS_CURSOR).await?;
        let oracle = self.config.deployment.l1.output_oracle;
        while cursor.next_block <= target {
            let from = cursor.next_block;
            let to = target.min(from.saturating_add(self.config.max_log_range - 1));
            let filter = Filter::new()
                .address(oracle)
                .event_signature(vec![
                    IOutputOracle::OutputProposed::SIGNATURE_HASH,
                    IOutputOracle::OutputChallenged::SIGNATURE_HASH,
                    IOutputOracle::DisputeResolved::SIGNATURE_HASH,
                    IOutputOracle::OutputsDeleted::SIGNATURE_HASH,
                ])
                .from_block(from)
                .to_block(to);
            let mut logs = self
                .l1
                .provider
                .get_logs(&filter)
                .await
                .map_err(|e| self.l1.rpc(format!("eth_getLogs({from}..={to}): {e}")))?;
            logs.sort_by_key(|log| (log.block_number, log.log_index));
            let mut events = Vec::new();
            for log in &logs {
                if let Some(event) = decode_output_event(log)? {
                    events.push(event);
                }
            }
            let (to_hash, _) = self.l1.block(to).await?;
            let next = Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            };
            self.store
                .watch_ingest_outputs(fence, &events, next)
                .await?;
            if !events.is_empty() {
                debug!(
                    from,
                    to,
                    events = events.len(),
                    "watchdog: OutputOracle events ingested"
                );
            }
            cursor = next;
        }
        Ok(())
    }

    /// What the L2 node says about block `l2_block`, or `None` while that block is not confirmed
    /// on it yet. The finalize role checks final outputs with it too (`finalize.rs`).
    pub(crate) async fn recompute(&self, l2_block: u64) -> Result<Option<Claim>> {
        if l2_block > self.l2.confirmed_head().await? {
            return Ok(None);
        }
        let (block_hash, state_root) = self.l2.block(l2_block).await?;
        if l2_block < self.config.deployment.l2.deploy_block {
            // No bridge yet: no withdrawal tree and nothing processed; any claim of a root is wrong.
            return Ok(Some(Claim {
                l2_block,
                block_hash,
                state_root,
                withdrawal_root: B256::ZERO,
                l1_messages_processed: 0,
                l1_message_root: Some(B256::ZERO),
            }));
        }
        let at = BlockId::number(l2_block);
        let bridge = self.l2_bridge();
        let l2 =
            |e: alloy::contract::Error| self.l2.rpc(format!("L2Bridge at block {l2_block}: {e}"));
        let withdrawal_root = bridge.withdrawalRoot().block(at).call().await.map_err(l2)?;
        let l1_messages_processed = bridge
            .l1MessagesProcessed()
            .block(at)
            .call()
            .await
            .map_err(l2)?;
        let l1_message_root = bridge.l1MessageRoot().block(at).call().await.map_err(l2)?;
        Ok(Some(Claim {
            l2_block,
            block_hash,
            state_root,
            withdrawal_root,
            l1_messages_processed,
            l1_message_root: Some(l1_message_root),
        }))
    }

    /// Judges every unchecked output whose block the L2 node has confirmed.
    async fn watch_check_outputs(&self, fence: &Fence) -> Result<()> {
        let mut first_error = None;
        for output in self.store.watch_unchecked().await? {
            let actual = match self.recompute(output.claim.l2_block).await {
                Ok(actual) => actual,
                Err(error) => {
                    warn!(output = output.index, l2_block = output.claim.l2_block, %error, "watchdog: cannot recompute this output yet");
                    first_error.get_or_insert(error);
                    continue;
                }
            };
            let Some(actual) = actual else {
                debug!(
                    output = output.index,
                    l2_block = output.claim.l2_block,
                    "watchdog: the L2 node has not confirmed this block yet"
                );
                continue;
            };
            let diffs = differences(&output.claim, &actual);
            if diffs.is_empty() {
                self.store.watch_set_verdict(fence, &output, None).await?;
                self.metrics.output_checked(false);
                info!(
                    output = output.index,
                    l2_block = output.claim.l2_block,
                    "watchdog: output checked, correct"
                );
            } else {
                let reason = diffs.join("; ");
                self.store
                    .watch_set_verdict(fence, &output, Some(&reason))
                    .await?;
                self.metrics.output_checked(true);
                self.metrics.alert("wrong_output");
                error!(output = output.index, l2_block = output.claim.l2_block, proposer = %output.proposer, %reason, "ALERT: watchdog: wrong output");
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Whether the challenge of output `index` (identity `id`) needs doing no more: the output is
    /// no longer `Proposed` (someone challenged it, or the council ruled) or no longer exists.
    pub(crate) async fn challenge_done(&self, index: u64, id: B256) -> Result<bool> {
        match self
            .output_oracle()
            .getOutput(U256::from(index))
            .call()
            .await
        {
            Ok(o) => {
                Ok(o.status != STATUS_PROPOSED
                    || output_id(index, o.proposer, &Claim::of(&o)) != id)
            }
            Err(e) if e.as_revert_data().is_some() => Ok(true),
            Err(e) => Err(self.l1.rpc(format!("getOutput({index}): {e}"))),
        }
    }

    /// Challenges every live wrong output that is still `Proposed` on chain. Returns the indexes
    /// whose window closed before a challenge.
    async fn watch_challenge(&self) -> Result<Vec<u64>> {
        let wrong: Vec<WatchedOutput> = self
            .store
            .watch_wrong_live()
            .await?
            .into_iter()
            .filter(|o| o.status == "proposed")
            .collect();
        if wrong.is_empty() {
            return Ok(Vec::new());
        }
        let oracle = self.output_oracle();
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let period = oracle.challengePeriod().call().await.map_err(l1)?;
        let bond = oracle.challengerBond().call().await.map_err(l1)?;
        let mut missed = Vec::new();
        for output in wrong {
            // Chain state decides, right before the send.
            if self.challenge_done(output.index, output.id).await? {
                continue;
            }
            let on_chain = oracle
                .getOutput(U256::from(output.index))
                .call()
                .await
                .map_err(l1)?;
            let now = self.l1_time().await?;
            let closes = on_chain.proposedAt.saturating_add(period);
            if now >= closes {
                // Reported (and alerted once per output) by the round, from `missed`.
                debug!(
                    output = output.index,
                    closed_at = closes,
                    "watchdog: the challenge window of a wrong output is closed"
                );
                missed.push(output.index);
                continue;
            }
            let (work, call) = self.challenge_work(&output, bond);
            info!(output = output.index, seconds_left = closes - now, %bond, "watchdog: challenging a wrong output");
            match self.submit(Side::L1, work, call).await? {
                Outcome::Done => {
                    let after = oracle
                        .getOutput(U256::from(output.index))
                        .call()
                        .await
                        .map_err(l1)?;
                    if after.challenger == self.l1.from {
                        self.metrics.challenge_sent();
                        info!(output = output.index, "watchdog: challenge landed");
                    } else {
                        info!(output = output.index, challenger = %after.challenger, "watchdog: output challenged by another account");
                    }
                }
                Outcome::WouldRevert(data) => {
                    warn!(output = output.index, reason = %describe_revert::<IOutputOracle::IOutputOracleErrors>(&data), "watchdog: challenge would revert");
                }
                Outcome::Reverted | Outcome::Pending | Outcome::Blocked => {}
            }
        }
        Ok(missed)
    }

    /// The challenge of `output` with `bond`, as recorded and sent.
    pub(crate) fn challenge_work(&self, output: &WatchedOutput, bond: U256) -> (Work, Call) {
        let call = Call::new(
            self.config.deployment.l1.output_oracle,
            IOutputOracle::challengeCall {
                index: U256::from(output.index),
            }
            .abi_encode(),
        )
        .with_value(bond);
        let work = Work::Challenge {
            output_index: output.index,
            output: output.id,
        };
        (work, call)
    }

    /// Latest L1 block timestamp (the contracts' clock).
    async fn l1_time(&self) -> Result<u64> {
        Ok(self
            .l1
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| self.l1.rpc(format!("eth_getBlockByNumber(latest): {e}")))?
            .ok_or_else(|| self.l1.rpc("no latest block"))?
            .header
            .timestamp)
    }

    /// Ingests `RootPublished` events up to the confirmed L2 head and looks every root L1 has not
    /// confirmed yet up on L1.
    async fn watch_roots(&self, fence: &Fence) -> Result<()> {
        let target = self.l2.confirmed_head().await?;
        let mut cursor = self.watch_cursor(Side::L2, ROOTS_CURSOR).await?;
        let oracle = self.config.deployment.l2.root_oracle;
        while cursor.next_block <= target {
            let from = cursor.next_block;
            let to = target.min(from.saturating_add(self.config.max_log_range - 1));
            let filter = Filter::new()
                .address(oracle)
                .event_signature(IL1RootOracle::RootPublished::SIGNATURE_HASH)
                .from_block(from)
                .to_block(to);
            let logs = self
                .l2
                .provider
                .get_logs(&filter)
                .await
                .map_err(|e| self.l2.rpc(format!("eth_getLogs({from}..={to}): {e}")))?;
            let mut roots = Vec::new();
            for log in &logs {
                let (block, _) = position("l2", log)?;
                let e = log
                    .log_decode::<IL1RootOracle::RootPublished>()
                    .map_err(|e| self.l2.rpc(format!("undecodable RootPublished: {e}")))?
                    .inner
                    .data;
                roots.push((e.root, e.count, block));
            }
            let (to_hash, _) = self.l2.block(to).await?;
            let next = Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            };
            self.store.watch_ingest_roots(fence, &roots, next).await?;
            cursor = next;
        }
        let bridge = self.l1_bridge();
        let mut checked = 0;
        for root in self.store.watch_roots_unconfirmed().await? {
            let l1_count = bridge
                .messageRootCount(root.root)
                .call()
                .await
                .map_err(|e| self.l1.rpc(format!("messageRootCount: {e}")))?;
            checked += 1;
            let first_look = root.l1_count.is_none();
            let was_bad = root.l1_count.is_some();
            self.store
                .watch_set_root_check(fence, root.root, l1_count)
                .await?;
            if l1_count == root.count {
                if was_bad {
                    info!(root = %root.root, "watchdog: L1 root now confirmed on L1");
                }
            } else if first_look || root.l1_count != Some(l1_count) {
                self.metrics.alert("unknown_l1_root");
                error!(root = %root.root, count = root.count, l1_count, l2_block = root.l2_block, "ALERT: watchdog: an L1 root published on L2 is not committed on L1 for that count");
            }
        }
        self.metrics.roots_checked(checked);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> Claim {
        Claim {
            l2_block: 10,
            block_hash: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            withdrawal_root: B256::repeat_byte(3),
            l1_messages_processed: 4,
            l1_message_root: Some(B256::repeat_byte(4)),
        }
    }

    #[test]
    fn every_field_of_an_output_is_compared() {
        let actual = claim();
        assert!(differences(&actual, &actual).is_empty());
        type Lie = fn(&mut Claim);
        let cases: [(&str, Lie); 5] = [
            ("l2BlockHash", |c| c.block_hash = B256::repeat_byte(9)),
            ("l2StateRoot", |c| c.state_root = B256::repeat_byte(9)),
            ("withdrawalRoot", |c| {
                c.withdrawal_root = B256::repeat_byte(9)
            }),
            ("l1MessagesProcessed", |c| c.l1_messages_processed = 5),
            ("l1MessageRoot", |c| {
                c.l1_message_root = Some(B256::repeat_byte(9))
            }),
        ];
        for (name, change) in cases {
            let mut lie = actual;
            change(&mut lie);
            let diffs = differences(&lie, &actual);
            assert_eq!(diffs.len(), 1, "{name}: {diffs:?}");
            assert!(diffs[0].starts_with(name), "{name}: {diffs:?}");
        }
        let mut all = actual;
        all.block_hash = B256::ZERO;
        all.withdrawal_root = B256::ZERO;
        assert_eq!(differences(&all, &actual).len(), 2);
        // A claim whose root is unknown (a row from before the column) is judged on the rest.
        let mut unknown = actual;
        unknown.l1_message_root = None;
        assert!(differences(&unknown, &actual).is_empty());
    }

    #[test]
    fn output_identity_covers_index_proposer_and_every_field() {
        let base = output_id(3, Address::repeat_byte(7), &claim());
        assert_eq!(base, output_id(3, Address::repeat_byte(7), &claim()));
        assert_ne!(base, output_id(4, Address::repeat_byte(7), &claim()));
        assert_ne!(base, output_id(3, Address::repeat_byte(8), &claim()));
        let mut other = claim();
        other.l1_messages_processed += 1;
        assert_ne!(base, output_id(3, Address::repeat_byte(7), &other));
        other = claim();
        other.l2_block += 1;
        assert_ne!(base, output_id(3, Address::repeat_byte(7), &other));
    }

    fn watched(index: u64, status: &str, verdict: Option<&str>) -> WatchedOutput {
        WatchedOutput {
            l1_block: 100 + index,
            log_index: 0,
            index,
            id: output_id(index, Address::repeat_byte(7), &claim()),
            proposer: Address::repeat_byte(7),
            claim: claim(),
            status: status.into(),
            challenger: None,
            council_verdict: None,
            verdict: verdict.map(str::to_string),
            reason: verdict.map(|_| "withdrawalRoot differs".to_string()),
        }
    }

    #[test]
    fn problems_name_what_needs_an_operator() {
        let wrong = [
            watched(0, "proposed", Some("wrong")),
            watched(1, "challenged", Some("wrong")),
            watched(2, "upheld", Some("wrong")),
            watched(3, "proposed", Some("wrong")),
        ];
        let roots = [
            WatchedRoot {
                root: B256::repeat_byte(0xaa),
                count: 3,
                l2_block: 9,
                l1_count: Some(0),
            },
            WatchedRoot {
                root: B256::repeat_byte(0xbb),
                count: 3,
                l2_block: 9,
                l1_count: None,
            },
            WatchedRoot {
                root: B256::repeat_byte(0xcc),
                count: 3,
                l2_block: 9,
                l1_count: Some(2),
            },
        ];
        let p = problems(&wrong, &[3], &roots);
        let texts: Vec<&String> = p.values().collect();
        assert_eq!(p.len(), 5, "{texts:#?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("output 0") && t.contains("not challenged yet"))
        );
        assert!(!texts.iter().any(|t| t.contains("output 1")));
        assert!(
            texts
                .iter()
                .any(|t| t.contains("output 2") && t.contains("upheld"))
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("output 3") && t.contains("window closed"))
        );
        assert!(texts.iter().any(|t| t.contains("never committed")));
        assert!(texts.iter().any(|t| t.contains("committed on L1 for 2")));
        assert!(problems(&[], &[], &[]).is_empty());
    }

    fn proposed_log(index: u64, block: u64) -> Log {
        let c = claim();
        let event = IOutputOracle::OutputProposed {
            index: U256::from(index),
            l2BlockNumber: c.l2_block,
            proposer: Address::repeat_byte(7),
            l2BlockHash: c.block_hash,
            l2StateRoot: c.state_root,
            withdrawalRoot: c.withdrawal_root,
            l1MessagesProcessed: c.l1_messages_processed,
            l1MessageRoot: c.l1_message_root.unwrap(),
        };
        Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(1),
                data: event.encode_log_data(),
            },
            block_number: Some(block),
            log_index: Some(2),
            ..Default::default()
        }
    }

    #[test]
    fn oracle_events_decode() {
        let event = decode_output_event(&proposed_log(5, 77)).unwrap().unwrap();
        assert_eq!(
            event,
            OutputEvent::Proposed {
                l1_block: 77,
                log_index: 2,
                index: 5,
                proposer: Address::repeat_byte(7),
                claim: claim(),
            }
        );
        let deleted = IOutputOracle::OutputsDeleted {
            fromIndex: U256::from(4),
            count: U256::from(2),
        };
        let log = Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(1),
                data: deleted.encode_log_data(),
            },
            ..Default::default()
        };
        assert_eq!(
            decode_output_event(&log).unwrap(),
            Some(OutputEvent::Deleted { from_index: 4 })
        );
        // An index beyond 64 bits is refused, not truncated.
        let huge = IOutputOracle::OutputChallenged {
            index: U256::MAX,
            challenger: Address::ZERO,
        };
        let log = Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(1),
                data: huge.encode_log_data(),
            },
            ..Default::default()
        };
        assert!(decode_output_event(&log).is_err());
        // A proposal without a position is refused.
        let mut no_block = proposed_log(1, 1);
        no_block.block_number = None;
        assert!(decode_output_event(&no_block).is_err());
    }

    /// The tables on a real SQLite file: proposals, a challenge, a council deletion and a
    /// re-proposal at a reused index; verdicts; roots.
    #[tokio::test]
    async fn the_watchdog_tables_track_reused_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("w.sqlite").display()
        );
        let store = Store::open(&url).await.unwrap();
        let fence = store
            .try_acquire(
                Role::Watchdog,
                &std::sync::Arc::from("w"),
                std::time::Duration::from_secs(60),
                true,
            )
            .await
            .unwrap()
            .unwrap();
        let at = |n| Cursor {
            next_block: n,
            last_block_hash: Some(B256::repeat_byte(n as u8)),
        };
        let proposed = |index: u64, l1_block: u64, claim: Claim| OutputEvent::Proposed {
            l1_block,
            log_index: 0,
            index,
            proposer: Address::repeat_byte(7),
            claim,
        };
        let mut lie = claim();
        lie.withdrawal_root = B256::repeat_byte(0xee);
        let mut next = claim();
        next.l2_block = 15;
        store
            .watch_ingest_outputs(
                &fence,
                &[proposed(0, 10, lie), proposed(1, 11, next)],
                at(12),
            )
            .await
            .unwrap();
        assert_eq!(store.cursor(OUTPUTS_CURSOR).await.unwrap(), Some(at(12)));
        let unchecked = store.watch_unchecked().await.unwrap();
        assert_eq!(unchecked.len(), 2);
        store
            .watch_set_verdict(&fence, &unchecked[0], Some("withdrawalRoot differs"))
            .await
            .unwrap();
        store
            .watch_set_verdict(&fence, &unchecked[1], None)
            .await
            .unwrap();
        assert!(store.watch_unchecked().await.unwrap().is_empty());
        let wrong = store.watch_wrong_live().await.unwrap();
        assert_eq!(wrong.len(), 1);
        assert_eq!(wrong[0].index, 0);
        assert_eq!(wrong[0].status, "proposed");

        // Challenged, then ruled invalid: both outputs deleted; index 0 reused by an honest one.
        store
            .watch_ingest_outputs(
                &fence,
                &[
                    OutputEvent::Challenged {
                        index: 0,
                        challenger: Address::repeat_byte(9),
                    },
                    OutputEvent::Resolved {
                        index: 0,
                        valid: false,
                    },
                    OutputEvent::Deleted { from_index: 0 },
                    proposed(0, 20, claim()),
                ],
                at(21),
            )
            .await
            .unwrap();
        assert!(store.watch_wrong_live().await.unwrap().is_empty());
        let all = store.watched_outputs(10).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!((all[0].index, all[0].status.as_str()), (0, "proposed"));
        assert_eq!(all[0].verdict, None);
        assert_eq!((all[1].index, all[1].status.as_str()), (1, "deleted"));
        assert_eq!(all[2].status, "deleted");
        assert_eq!(all[2].council_verdict.as_deref(), Some("invalid"));
        assert_eq!(all[2].challenger, Some(Address::repeat_byte(9)));
        assert_eq!(all[2].verdict.as_deref(), Some("wrong"));
        let id = output_id(0, Address::repeat_byte(7), &claim());
        assert_eq!(
            store.watched_output(id).await.unwrap().unwrap().l1_block,
            20
        );

        // Roots: unchecked, missing, then confirmed.
        let root = B256::repeat_byte(0x11);
        store
            .watch_ingest_roots(&fence, &[(root, 3, 40)], at(41))
            .await
            .unwrap();
        assert_eq!(
            store.watch_roots_unconfirmed().await.unwrap()[0].l1_count,
            None
        );
        store.watch_set_root_check(&fence, root, 0).await.unwrap();
        assert_eq!(
            store.watch_roots_unconfirmed().await.unwrap()[0].l1_count,
            Some(0)
        );
        assert_eq!(store.watch_root_counts().await.unwrap(), (1, 0));
        store.watch_set_root_check(&fence, root, 3).await.unwrap();
        assert!(store.watch_roots_unconfirmed().await.unwrap().is_empty());
        assert_eq!(store.watch_root_counts().await.unwrap(), (1, 1));

        // Writes are fenced: after a takeover this holder writes nothing.
        let mut stale = fence.clone();
        stale.token -= 1;
        assert!(matches!(
            store.watch_set_root_check(&stale, root, 0).await,
            Err(Error::LeaseLost {
                role: Role::Watchdog
            })
        ));
        store.close().await;
    }

    /// The fields of confirmed L2 block `block` with a made-up withdrawal root.
    async fn lie_about(devnet: &drawbridge_devnet::Devnet, block: u64) -> Claim {
        use alloy::providers::ProviderBuilder;
        let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
        let header = l2
            .get_block_by_number(block.into())
            .await
            .unwrap()
            .unwrap()
            .header;
        let bridge = drawbridge_bindings::IL2Bridge::new(devnet.deployment.l2.l2_bridge, &l2);
        let processed = bridge
            .l1MessagesProcessed()
            .block(BlockId::number(block))
            .call()
            .await
            .unwrap();
        let l1_message_root = bridge
            .l1MessageRoot()
            .block(BlockId::number(block))
            .call()
            .await
            .unwrap();
        Claim {
            l2_block: block,
            block_hash: header.hash,
            state_root: header.state_root,
            withdrawal_root: B256::repeat_byte(0x66),
            l1_messages_processed: processed,
            l1_message_root: Some(l1_message_root),
        }
    }

    /// Two crash windows of a challenge, reproduced exactly: the watchdog is dropped after the
    /// challenge was recorded but before it was broadcast, and after it was broadcast but before
    /// its outcome was recorded. A fresh watchdog on the same database sends the recorded
    /// transaction (or only settles it) and never a second challenge.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_challenge_interrupted_by_a_crash_is_sent_exactly_once() {
        use crate::chain::Simulation;
        use crate::config::RelayerConfig;
        use crate::store::{NewSubmission, SubmissionState};
        use alloy::network::EthereumWallet;
        use alloy::providers::ProviderBuilder;
        use drawbridge_devnet::{Devnet, DevnetOptions};

        let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = RelayerConfig::new(
            devnet.deployment.clone(),
            devnet.accounts.challenger.clone(),
        );
        config.database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("w.sqlite").display()
        );
        config.roles = [Role::Watchdog].into_iter().collect();
        // The devnet's window is 6 s: act on the latest L1 block.
        config.l1_confirmations = 0;
        config.poll_interval = std::time::Duration::from_millis(200);
        let liar = ProviderBuilder::new()
            .wallet(EthereumWallet::from(devnet.accounts.relayer.clone()))
            .connect_http(devnet.deployment.l1.rpc_url.parse().unwrap());
        let oracle = IOutputOracle::new(devnet.deployment.l1.output_oracle, &liar);
        let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
        let mut recorded = Vec::new();
        let mut last_block = 0;
        for (index, broadcast) in [(0u64, false), (1u64, true)] {
            let block = loop {
                let b = l2.get_block_number().await.unwrap().saturating_sub(2);
                if b > last_block {
                    break b;
                }
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            };
            last_block = block;
            let lie = lie_about(&devnet, block).await;
            let bond = oracle.proposerBond().call().await.unwrap();
            let receipt = oracle
                .propose(
                    lie.l2_block,
                    lie.block_hash,
                    lie.state_root,
                    lie.withdrawal_root,
                    lie.l1_messages_processed,
                    lie.l1_message_root.unwrap(),
                )
                .value(bond)
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
            assert!(receipt.status());

            // The watchdog judges the output, records its challenge and "crashes".
            let relayer = Relayer::new(config.clone()).await.unwrap();
            relayer.acquire_leases().await.unwrap();
            let fence = relayer.fence(Role::Watchdog).unwrap();
            relayer.watch_follow_outputs(&fence).await.unwrap();
            relayer.watch_check_outputs(&fence).await.unwrap();
            let wrong = relayer.store.watch_wrong_live().await.unwrap();
            let output = wrong
                .iter()
                .find(|o| o.index == index && o.status == "proposed")
                .unwrap_or_else(|| panic!("output {index} judged wrong: {wrong:?}"))
                .clone();
            assert!(
                output
                    .reason
                    .as_deref()
                    .unwrap()
                    .starts_with("withdrawalRoot")
            );
            let challenger_bond = oracle.challengerBond().call().await.unwrap();
            let (work, call) = relayer.challenge_work(&output, challenger_bond);
            let Simulation::Ok(gas) = relayer.l1.simulate(&call).await.unwrap() else {
                panic!("the challenge would revert");
            };
            let signed = relayer.l1.sign(&call, gas).await.unwrap();
            relayer
                .store
                .insert_submission(
                    &fence,
                    &NewSubmission {
                        tx_hash: signed.hash,
                        chain: "l1",
                        role: "watchdog",
                        kind: work.kind(),
                        work: &work.to_json(),
                        sender: relayer.l1.from,
                        tx_nonce: signed.nonce,
                        raw_tx: &signed.raw,
                    },
                )
                .await
                .unwrap();
            if broadcast {
                assert!(
                    relayer
                        .l1
                        .broadcast(signed.hash, &signed.raw)
                        .await
                        .unwrap()
                );
            }
            recorded.push(signed.hash);
            relayer.store.close().await;
            drop(relayer);

            // A fresh watchdog on the same database finishes the job.
            let mut relayer = Relayer::new(config.clone()).await.unwrap();
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                relayer.acquire_leases().await.unwrap();
                relayer.watchdog_round().await.unwrap();
                let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
                if o.status == 2 {
                    assert_eq!(o.challenger, devnet.accounts.challenger.address());
                    break;
                }
                assert!(tokio::time::Instant::now() < deadline, "never challenged");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            // More rounds send nothing more.
            for _ in 0..3 {
                relayer.watchdog_round().await.unwrap();
            }
            relayer.store.close().await;
        }
        let store = Store::open(&config.database_url).await.unwrap();
        let challenges: Vec<_> = store
            .submissions()
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.kind == "challenge")
            .collect();
        assert_eq!(challenges.len(), 2, "{challenges:?}");
        for (s, hash) in challenges.iter().zip(&recorded) {
            assert_eq!(s.tx_hash, *hash);
            assert_eq!(s.state, SubmissionState::Confirmed, "{s:?}");
            assert_eq!(s.outcome.as_deref(), Some("ok"), "{s:?}");
        }
        store.close().await;
    }

    /// A watchdog that comes too late: the wrong output's window closed before its first round.
    /// It sends nothing, raises `challenge_missed` once and keeps the problem open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_output_past_its_window_is_reported_and_not_challenged() {
        use crate::config::RelayerConfig;
        use alloy::network::EthereumWallet;
        use alloy::providers::ProviderBuilder;
        use drawbridge_devnet::{Devnet, DevnetOptions};

        let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = RelayerConfig::new(
            devnet.deployment.clone(),
            devnet.accounts.challenger.clone(),
        );
        config.database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("w.sqlite").display()
        );
        config.roles = [Role::Watchdog].into_iter().collect();
        let liar = ProviderBuilder::new()
            .wallet(EthereumWallet::from(devnet.accounts.relayer.clone()))
            .connect_http(devnet.deployment.l1.rpc_url.parse().unwrap());
        let oracle = IOutputOracle::new(devnet.deployment.l1.output_oracle, &liar);
        let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
        let block = loop {
            let b = l2.get_block_number().await.unwrap().saturating_sub(2);
            if b > 0 {
                break b;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        };
        let lie = lie_about(&devnet, block).await;
        let bond = oracle.proposerBond().call().await.unwrap();
        oracle
            .propose(
                lie.l2_block,
                lie.block_hash,
                lie.state_root,
                lie.withdrawal_root,
                lie.l1_messages_processed,
                lie.l1_message_root.unwrap(),
            )
            .value(bond)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        // Past the 6 s window (L1 mines a block a second).
        tokio::time::sleep(std::time::Duration::from_secs(8)).await;
        assert!(oracle.isFinal(U256::ZERO).call().await.unwrap());

        let mut relayer = Relayer::new(config.clone()).await.unwrap();
        relayer.acquire_leases().await.unwrap();
        for _ in 0..3 {
            relayer.watchdog_round().await.unwrap();
        }
        let problems = relayer.metrics.watchdog_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("output 0"), "{problems:?}");
        assert!(problems[0].contains("window closed"), "{problems:?}");
        let mut text = crate::metrics::Exposition::default();
        relayer.metrics.write(&mut text);
        let text = text.finish();
        for line in [
            "drawbridge_relayer_alerts_total{kind=\"challenge_missed\"} 1",
            "drawbridge_relayer_alerts_total{kind=\"wrong_output\"} 1",
            "drawbridge_relayer_watchdog_challenges_total 0",
            "drawbridge_relayer_watchdog_problems 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(relayer.store.submissions().await.unwrap().is_empty());
        assert_eq!(
            oracle.getOutput(U256::ZERO).call().await.unwrap().status,
            STATUS_PROPOSED
        );
        relayer.store.close().await;
    }
}
