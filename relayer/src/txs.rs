//! Exactly-once transaction submission: the persisted state machine, account nonces, fee bumping,
//! dropped and replaced transactions.
//!
//! Every transaction is signed locally and recorded **before** it is broadcast:
//!
//! ```text
//! queued (signed, recorded) -> in-flight (broadcast) -> confirmed (ok | already-done)
//!                                                    \-> failed (reverted | nonce-taken | rejected)
//! ```
//!
//! - **Nonces.** One transaction at a time per chain and key: nothing new is signed while a
//!   submission on the chain is unresolved, and the new one takes the key's next nonce as the node
//!   counts it (pending included, so a transaction some other sender broadcast with the same key
//!   is queued behind, with a warning). The nonce is recorded with the transaction; a unique index
//!   keeps two live submissions from ever holding the same nonce.
//! - **Stuck.** A submission not mined `tx_timeout` after its last broadcast is re-signed with the
//!   same nonce and call and fees raised by [`BUMP_PERCENT`] (at least the current market fees),
//!   recorded in `submission_attempts` before broadcast. Whichever of its transactions is mined
//!   settles it (`mined_tx_hash`); the others can no longer be mined (same nonce).
//! - **Dropped.** A transaction the node no longer holds (evicted, node restarted) while its nonce
//!   is unused is broadcast again as recorded (same hash).
//! - **Nonce taken.** When the key's nonce was used and none of the submission's transactions has
//!   a receipt, another transaction took the nonce: the submission fails with `nonce-taken` and the
//!   role re-reads chain state and sends again if the work is still to do.
//! - **Already processed.** A transaction that reverted because the chain shows its work done
//!   (someone else relayed the batch, finalized the withdrawal...) is `confirmed` / `already-done`.

use std::time::Duration;

use alloy::primitives::B256;
use tracing::{info, warn};

use crate::chain::{Call, Mined, Signed, SigningChain, Simulation, Work, gas_limit};
use crate::context::{Context, Layer, Outcome};
use crate::error::{Error, Result};
use crate::role::Role;
use crate::store::attempts::Attempt;
use crate::store::{Fence, NewSubmission, Submission, SubmissionState, now_ms};

/// A replacement raises both fees by this percentage (nodes require 10 %).
pub const BUMP_PERCENT: u128 = 25;
/// Most replacements of one submission; afterwards it waits at the last fees (an alert is logged).
pub const MAX_BUMPS: u64 = 10;
/// While waiting for a receipt, every this many polls the relayer checks that the node still holds
/// the transaction and re-broadcasts it if not.
const PRESENCE_CHECK_EVERY: u32 = 4;
/// How waiting for a submission's receipt ended.
enum Waited {
    Mined(B256, Mined),
    NonceTaken,
    Rejected,
    TimedOut,
}

impl Context {
    /// Sends `call` for `work` exactly once: reconciles earlier submissions, simulates, signs with
    /// the key's next nonce, records the signed transaction, broadcasts it and waits for its
    /// receipt. Everything it writes is fenced by the lease of the work's role.
    pub(crate) async fn submit(&self, side: Layer, work: Work, call: Call) -> Result<Outcome> {
        let fence = self.fence(work.role())?;
        let Some(resolved) = self.reconcile(&fence, side).await? else {
            return Ok(Outcome::Blocked);
        };
        // The role decided to send before earlier transactions were resolved; one of them may
        // have done this work (a publication that is a no-op when repeated would not revert).
        if resolved > 0 && self.already_done(&work).await? {
            info!(
                kind = work.kind(),
                "the work was done by an earlier transaction; nothing sent"
            );
            return Ok(Outcome::Done);
        }
        let chain = self.chain(side);
        let gas = match chain.simulate(&call).await? {
            Simulation::Ok(gas) => gas,
            Simulation::Revert(data) => return Ok(Outcome::WouldRevert(data)),
        };
        let nonce = self.next_nonce(chain).await?;
        let fees = chain.fees().await?.capped(self.config.max_fee_per_gas);
        let signed = chain.sign_with(&call, gas_limit(gas), nonce, fees).await?;
        let work_json = work.to_json();
        self.store
            .insert_submission(
                &fence,
                &NewSubmission {
                    tx_hash: signed.hash,
                    chain: chain.key,
                    role: work.role().as_str(),
                    kind: work.kind(),
                    work: &work_json,
                    sender: chain.from,
                    tx_nonce: signed.nonce,
                    raw_tx: &signed.raw,
                },
            )
            .await?;
        info!(chain = chain.name, role = %work.role(), kind = work.kind(), tx = %signed.hash, nonce = signed.nonce, work = %work_json, "sending");
        if !chain.broadcast(signed.hash, &signed.raw).await? {
            self.rejected(&fence, signed.hash).await?;
            return Err(Error::Transaction {
                chain: chain.name,
                message: format!("the node refused {} ({})", signed.hash, work.kind()),
            });
        }
        self.store
            .update_submission(
                &fence,
                signed.hash,
                SubmissionState::InFlight,
                None,
                None,
                None,
            )
            .await?;
        let first = Attempt {
            tx_hash: signed.hash,
            submission: signed.hash,
            attempt: 0,
            raw_tx: signed.raw.clone().into(),
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            created_at: now_ms(),
        };
        match self
            .wait(chain, chain.from, signed.nonce, &[first], chain.tx_timeout)
            .await?
        {
            Waited::Mined(hash, mined) => {
                self.settle(&fence, signed.hash, hash, &work, chain, mined)
                    .await
            }
            Waited::NonceTaken => {
                self.nonce_taken(&fence, signed.hash, &work, chain).await?;
                Ok(Outcome::Reverted)
            }
            Waited::Rejected => {
                self.rejected(&fence, signed.hash).await?;
                Ok(Outcome::Reverted)
            }
            Waited::TimedOut => {
                warn!(chain = chain.name, tx = %signed.hash, timeout = ?chain.tx_timeout, "no receipt yet; leaving it in flight (replaced with higher fees if still stuck next round)");
                Ok(Outcome::Pending)
            }
        }
    }

    /// Records submission `hash` as failed: the node rejected it.
    async fn rejected(&self, fence: &Fence, hash: B256) -> Result<()> {
        self.store
            .finish_submission(fence, hash, SubmissionState::Failed, "rejected", None)
            .await
    }

    /// The account nonce for a new transaction: the node's count including pending transactions.
    /// Called only when no submission of this chain is unresolved, so every pending transaction
    /// of the key is someone else's: they are warned about and queued behind.
    async fn next_nonce(&self, chain: &SigningChain) -> Result<u64> {
        let mined = chain.mined_nonce_of(chain.from).await?;
        let pending = chain.pending_nonce_of(chain.from).await?;
        if pending > mined {
            warn!(
                chain = chain.name,
                account = %chain.from,
                mined,
                pending,
                "the relayer's key has pending transactions it did not send (another sender uses this key); queuing behind them"
            );
        }
        Ok(pending.max(mined))
    }

    /// Records the end of a mined submission and tells the role what happened.
    async fn settle(
        &self,
        fence: &Fence,
        submission: B256,
        mined_hash: B256,
        work: &Work,
        chain: &SigningChain,
        mined: Mined,
    ) -> Result<Outcome> {
        self.metrics
            .add_cost(chain.key, mined.cost.gas_used, mined.cost.fee_wei);
        let at = Some((mined_hash, mined.block, mined.cost));
        if mined.success {
            self.store
                .finish_submission(fence, submission, SubmissionState::Confirmed, "ok", at)
                .await?;
            info!(chain = chain.name, kind = work.kind(), tx = %mined_hash, submission = %submission, block = mined.block, "confirmed");
            return Ok(Outcome::Done);
        }
        if self.already_done(work).await? {
            self.store
                .finish_submission(
                    fence,
                    submission,
                    SubmissionState::Confirmed,
                    "already-done",
                    at,
                )
                .await?;
            info!(chain = chain.name, kind = work.kind(), tx = %mined_hash, "reverted, but the work was already done: counted as success");
            return Ok(Outcome::Done);
        }
        self.store
            .finish_submission(fence, submission, SubmissionState::Failed, "reverted", at)
            .await?;
        warn!(chain = chain.name, kind = work.kind(), tx = %mined_hash, block = mined.block, "transaction reverted");
        Ok(Outcome::Reverted)
    }

    async fn nonce_taken(
        &self,
        fence: &Fence,
        submission: B256,
        work: &Work,
        chain: &SigningChain,
    ) -> Result<()> {
        self.store
            .finish_submission(
                fence,
                submission,
                SubmissionState::Failed,
                "nonce-taken",
                None,
            )
            .await?;
        warn!(chain = chain.name, kind = work.kind(), tx = %submission, "another transaction used this submission's nonce; its work is re-evaluated from chain state");
        Ok(())
    }

    /// Resolves every queued or in-flight submission on `side`: settles the mined ones, fails
    /// the ones whose nonce another transaction took, re-broadcasts dropped ones and replaces
    /// stuck ones with higher fees. Returns how many it resolved when the chain is clear for a new
    /// transaction, `None` while one is still unresolved. Submissions of any role and any relayer
    /// sharing the database count: the key's nonces are shared.
    pub(crate) async fn reconcile(&self, fence: &Fence, side: Layer) -> Result<Option<usize>> {
        let chain = self.chain(side);
        let pending = self.store.pending_submissions(chain.key).await?;
        for submission in &pending {
            if !self.reconcile_one(fence, chain, submission).await? {
                return Ok(None);
            }
        }
        Ok(Some(pending.len()))
    }

    /// Resolves the unfinished submissions on the chains `role` sends on, at the start of each of
    /// its rounds: a transaction left in flight by a crash is settled even when no new work
    /// follows it. A submission still pending is left for the next round.
    pub(crate) async fn reconcile_role(&self, role: Role) -> Result<()> {
        let fence = self.fence(role)?;
        let sides: &[Layer] = match role {
            Role::Deliver => &[Layer::L1, Layer::L2],
            _ => &[Layer::L1],
        };
        for side in sides {
            self.reconcile(&fence, *side).await?;
        }
        Ok(())
    }

    async fn reconcile_one(
        &self,
        fence: &Fence,
        chain: &SigningChain,
        s: &Submission,
    ) -> Result<bool> {
        let work = Work::from_json(&s.work)?;
        let mut attempts = self.store.attempts(s).await?;
        // Nonce first, receipts second: a nonce used by the time no receipt is found means
        // another transaction took it, never "mined after we looked".
        let mined_nonce = chain.mined_nonce_of(s.sender).await?;
        for a in attempts.iter().rev() {
            if let Some(mined) = chain.receipt(a.tx_hash).await? {
                self.settle(fence, s.tx_hash, a.tx_hash, &work, chain, mined)
                    .await?;
                return Ok(true);
            }
        }
        if mined_nonce > s.tx_nonce {
            self.nonce_taken(fence, s.tx_hash, &work, chain).await?;
            return Ok(true);
        }
        let latest = attempts.last().expect("the first attempt").clone();
        let age = Duration::from_millis(u64::try_from(now_ms() - latest.created_at).unwrap_or(0));
        let current = if age >= chain.tx_timeout && mined_nonce == s.tx_nonce {
            match self.bump(fence, chain, &latest).await? {
                Some(next) => {
                    attempts.push(next.clone());
                    next
                }
                None => latest,
            }
        } else {
            info!(chain = chain.name, kind = work.kind(), tx = %latest.tx_hash, state = s.state.as_str(), "resuming an unfinished transaction");
            latest
        };
        if !chain.broadcast(current.tx_hash, &current.raw_tx).await? {
            match Self::refused(chain, s.sender, s.tx_nonce, &attempts).await? {
                None => {}
                Some(Waited::NonceTaken) => {
                    self.nonce_taken(fence, s.tx_hash, &work, chain).await?;
                    return Ok(true);
                }
                Some(_) => {
                    self.rejected(fence, s.tx_hash).await?;
                    return Ok(true);
                }
            }
        }
        if s.state == SubmissionState::Queued {
            self.store
                .update_submission(
                    fence,
                    s.tx_hash,
                    SubmissionState::InFlight,
                    None,
                    None,
                    None,
                )
                .await?;
        }
        let waited =
            Duration::from_millis(u64::try_from(now_ms() - current.created_at).unwrap_or(0));
        let left = chain
            .tx_timeout
            .saturating_sub(waited)
            .max(chain.receipt_poll);
        match self
            .wait(chain, s.sender, s.tx_nonce, &attempts, left)
            .await?
        {
            Waited::Mined(hash, mined) => {
                self.settle(fence, s.tx_hash, hash, &work, chain, mined)
                    .await?;
                Ok(true)
            }
            Waited::NonceTaken => {
                self.nonce_taken(fence, s.tx_hash, &work, chain).await?;
                Ok(true)
            }
            Waited::Rejected => {
                self.rejected(fence, s.tx_hash).await?;
                Ok(true)
            }
            Waited::TimedOut => {
                warn!(chain = chain.name, tx = %current.tx_hash, "still not mined; waiting for it before sending anything else on this chain");
                Ok(false)
            }
        }
    }

    /// Re-signs the latest transaction of a stuck submission with higher fees and records it
    /// before anything is broadcast. `None` after [`MAX_BUMPS`] replacements.
    async fn bump(
        &self,
        fence: &Fence,
        chain: &SigningChain,
        latest: &Attempt,
    ) -> Result<Option<Attempt>> {
        if latest.attempt >= MAX_BUMPS {
            tracing::error!(chain = chain.name, tx = %latest.tx_hash, bumps = latest.attempt, max_fee_per_gas = latest.max_fee_per_gas, "ALERT: transaction still stuck after the most fee bumps; waiting at these fees");
            self.metrics.alert("stuck_transaction");
            return Ok(None);
        }
        let fees = latest
            .fees()
            .bumped(BUMP_PERCENT, chain.fees().await?)
            .capped(self.config.max_fee_per_gas);
        // A replacement must raise both fees by 10 % to be taken; at the cap it cannot.
        if fees.max_fee_per_gas * 10 < latest.max_fee_per_gas * 11
            || fees.max_priority_fee_per_gas * 10 < latest.max_priority_fee_per_gas * 11
        {
            tracing::error!(chain = chain.name, tx = %latest.tx_hash, max_fee_per_gas = latest.max_fee_per_gas, cap = self.config.max_fee_per_gas, "ALERT: transaction stuck and its fees are at max_fee_per_gas; waiting (raise max_fee_per_gas to let it through)");
            self.metrics.alert("stuck_transaction");
            return Ok(None);
        }
        let Signed { hash, raw, .. } = chain.resign(&latest.raw_tx, fees).await?;
        let next = Attempt {
            tx_hash: hash,
            submission: latest.submission,
            attempt: latest.attempt + 1,
            raw_tx: raw.into(),
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            created_at: now_ms(),
        };
        self.store.insert_attempt(fence, &next).await?;
        warn!(
            chain = chain.name,
            submission = %latest.submission,
            replaced = %latest.tx_hash,
            replacement = %next.tx_hash,
            attempt = next.attempt,
            max_fee_per_gas = next.max_fee_per_gas,
            max_priority_fee_per_gas = next.max_priority_fee_per_gas,
            "transaction stuck past tx_timeout: replacing it with higher fees (same nonce)"
        );
        Ok(Some(next))
    }

    /// After the node refused to take a submission's newest transaction back: `None` while it
    /// still holds one of the submission's transactions (or the nonce got mined: the receipt
    /// check decides); [`Waited::NonceTaken`] when another transaction holds the nonce in the
    /// node's pool; [`Waited::Rejected`] otherwise (nothing of the submission can be mined).
    async fn refused(
        chain: &SigningChain,
        sender: alloy::primitives::Address,
        nonce: u64,
        attempts: &[Attempt],
    ) -> Result<Option<Waited>> {
        for a in attempts {
            if chain.knows(a.tx_hash).await? {
                return Ok(None);
            }
        }
        if chain.mined_nonce_of(sender).await? > nonce {
            return Ok(None);
        }
        if chain.pending_nonce_of(sender).await? > nonce {
            warn!(
                chain = chain.name,
                nonce, "another pending transaction of this key holds the nonce"
            );
            return Ok(Some(Waited::NonceTaken));
        }
        Ok(Some(Waited::Rejected))
    }

    /// Polls the receipts of every transaction of a submission until one is mined, the nonce is
    /// taken by another transaction, or `timeout` passes. The newest transaction is re-broadcast
    /// when the node drops it.
    async fn wait(
        &self,
        chain: &SigningChain,
        sender: alloy::primitives::Address,
        nonce: u64,
        attempts: &[Attempt],
        timeout: Duration,
    ) -> Result<Waited> {
        let deadline = tokio::time::Instant::now() + timeout;
        let current = attempts.last().expect("at least one transaction");
        let mut polls = 0u32;
        loop {
            let mined_nonce = chain.mined_nonce_of(sender).await?;
            for a in attempts.iter().rev() {
                if let Some(mined) = chain.receipt(a.tx_hash).await? {
                    return Ok(Waited::Mined(a.tx_hash, mined));
                }
            }
            if mined_nonce > nonce {
                return Ok(Waited::NonceTaken);
            }
            polls += 1;
            if polls.is_multiple_of(PRESENCE_CHECK_EVERY) && !chain.knows(current.tx_hash).await? {
                warn!(chain = chain.name, tx = %current.tx_hash, "the node dropped the transaction; broadcasting it again");
                if !chain.broadcast(current.tx_hash, &current.raw_tx).await?
                    && let Some(end) = Self::refused(chain, sender, nonce, attempts).await?
                {
                    return Ok(end);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Waited::TimedOut);
            }
            tokio::time::sleep(chain.receipt_poll).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Fees;
    use crate::store::headers::Header;
    use crate::store::{Cost, Store};

    /// Replacements, settlement and followed headers through the real migrations, on SQLite and
    /// (when a test server is configured) PostgreSQL.
    async fn attempts_and_headers_round_trip(url: &str) {
        let store = Store::open(url).await.unwrap();
        let holder: std::sync::Arc<str> = "t".into();
        let ttl = Duration::from_secs(60);
        let fence = store
            .try_acquire(Role::Deliver, &holder, ttl, true)
            .await
            .unwrap()
            .unwrap();
        let first = B256::repeat_byte(1);
        store
            .insert_submission(
                &fence,
                &NewSubmission {
                    tx_hash: first,
                    chain: "l2",
                    role: "deliver",
                    kind: "publish_root",
                    work: "{}",
                    sender: alloy::primitives::Address::repeat_byte(9),
                    tx_nonce: 4,
                    raw_tx: &[1, 2, 3],
                },
            )
            .await
            .unwrap();
        let submission = store.pending_submissions("l2").await.unwrap()[0].clone();
        let bump = Attempt {
            tx_hash: B256::repeat_byte(2),
            submission: first,
            attempt: 1,
            raw_tx: vec![4, 5].into(),
            max_fee_per_gas: u128::from(u64::MAX) * 3,
            max_priority_fee_per_gas: 7,
            created_at: now_ms(),
        };
        store.insert_attempt(&fence, &bump).await.unwrap();
        // The same attempt number twice is refused (unique index), and nothing changes.
        let mut twice = bump.clone();
        twice.tx_hash = B256::repeat_byte(3);
        assert!(store.insert_attempt(&fence, &twice).await.is_err());
        let attempts = store.attempts(&submission).await.unwrap();
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].tx_hash, first);
        assert_eq!(attempts[1], bump);
        assert_eq!(store.replacements().await.unwrap(), vec![bump.clone()]);
        assert_eq!(store.mined_tx_hash(first).await.unwrap(), None);
        let cost = Cost {
            gas_used: 21_000,
            fee_wei: alloy::primitives::U256::from(5u64),
        };
        store
            .finish_submission(
                &fence,
                first,
                SubmissionState::Confirmed,
                "ok",
                Some((bump.tx_hash, 12, cost)),
            )
            .await
            .unwrap();
        assert_eq!(
            store.mined_tx_hash(first).await.unwrap(),
            Some(bump.tx_hash)
        );
        let settled = store.submissions().await.unwrap()[0].clone();
        assert_eq!(settled.state, SubmissionState::Confirmed);
        assert_eq!(settled.block_number, Some(12));
        assert!(store.pending_submissions("l2").await.unwrap().is_empty());

        // Headers: recorded, a reorg drops the ones above the fork, old ones are pruned.
        let h = |n: u64, salt: u8| Header {
            number: n,
            hash: B256::repeat_byte(salt.wrapping_add(n as u8)),
            parent: B256::repeat_byte(salt.wrapping_add(n as u8).wrapping_sub(1)),
        };
        let old: Vec<Header> = (10..=14).map(|n| h(n, 0)).collect();
        store
            .record_headers(&fence, "l1", None, &old, 0)
            .await
            .unwrap();
        assert_eq!(store.headers(Role::Deliver, "l1").await.unwrap(), old);
        assert!(store.headers(Role::Propose, "l1").await.unwrap().is_empty());
        let new = vec![h(13, 100), h(14, 100)];
        store
            .record_headers(&fence, "l1", Some(12), &new, 11)
            .await
            .unwrap();
        let now = store.headers(Role::Deliver, "l1").await.unwrap();
        assert_eq!(now, vec![old[1], old[2], new[0], new[1]]);
        assert_eq!(
            store.followed_headers().await.unwrap(),
            vec![("deliver".to_string(), "l1".to_string(), 11, 14)]
        );
        // A relayer whose lease was taken over writes no header.
        let stale = Fence {
            token: fence.token - 1,
            ..fence.clone()
        };
        assert!(matches!(
            store.record_headers(&stale, "l1", Some(0), &[], 0).await,
            Err(Error::LeaseLost { .. })
        ));
        assert_eq!(store.headers(Role::Deliver, "l1").await.unwrap().len(), 4);
        store.close().await;
    }

    #[tokio::test]
    async fn attempts_and_headers_round_trip_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("r.sqlite").display()
        );
        attempts_and_headers_round_trip(&url).await;
    }

    #[tokio::test]
    async fn attempts_and_headers_round_trip_on_postgres() {
        let Some(url) = crate::testing::fresh_postgres_database("attempts_and_headers").await
        else {
            return;
        };
        attempts_and_headers_round_trip(&url).await;
        crate::testing::drop_postgres_database(&url).await;
    }

    #[test]
    fn a_bump_raises_both_fees_by_at_least_the_percentage_and_follows_the_market() {
        let old = Fees {
            max_fee_per_gas: 1_000,
            max_priority_fee_per_gas: 100,
        };
        let calm = Fees {
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
        };
        let b = old.bumped(25, calm);
        assert_eq!(b.max_fee_per_gas, 1_250);
        assert_eq!(b.max_priority_fee_per_gas, 125);
        // Tiny fees still strictly increase (a replacement must pay more).
        let tiny = Fees {
            max_fee_per_gas: 1,
            max_priority_fee_per_gas: 0,
        }
        .bumped(25, calm);
        assert!(tiny.max_fee_per_gas >= 10 && tiny.max_priority_fee_per_gas >= 1);
        // The market moved above the bump: follow it.
        let busy = Fees {
            max_fee_per_gas: 5_000,
            max_priority_fee_per_gas: 400,
        };
        assert_eq!(old.bumped(25, busy), busy);
        // The priority fee never exceeds the max fee.
        let odd = Fees {
            max_fee_per_gas: 100,
            max_priority_fee_per_gas: 100,
        }
        .bumped(
            25,
            Fees {
                max_fee_per_gas: 1,
                max_priority_fee_per_gas: 500,
            },
        );
        assert!(odd.max_priority_fee_per_gas <= odd.max_fee_per_gas);
        // The cap bounds both fees.
        let capped = old.bumped(25, busy).capped(1_000);
        assert_eq!(capped.max_fee_per_gas, 1_000);
        assert_eq!(capped.max_priority_fee_per_gas, 400);
        // Every bump of a chain of bumps is at least 10 % above the previous one.
        let mut fees = old;
        for _ in 0..MAX_BUMPS {
            let next = fees.bumped(BUMP_PERCENT, calm);
            assert!(next.max_fee_per_gas * 10 >= fees.max_fee_per_gas * 11);
            assert!(next.max_priority_fee_per_gas * 10 >= fees.max_priority_fee_per_gas * 11);
            fees = next;
        }
    }
}
