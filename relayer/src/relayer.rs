//! The relayer's main loop and its exactly-once transaction submission.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::SolInterface;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_merkle::MerkleTree;
use tracing::{debug, error, info, warn};

use crate::chain::{Chain, Work};
use crate::config::{RelayerConfig, Role};
use crate::error::{Error, Result};
use crate::lease::{self, Leases};
use crate::metrics::Metrics;
use crate::monitor::Monitor;
use crate::store::{Fence, Status, Store};

/// Which chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    L1,
    L2,
}

/// How a submission of work ended for the role that asked.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Mined successfully, or reverted because the work had been done meanwhile.
    Done,
    /// The simulation reverted: nothing was signed or sent.
    WouldRevert(Bytes),
    /// Mined, reverted, and the work is still not done.
    Reverted,
    /// Broadcast but not mined within `tx_timeout`; it stays in flight for the next round.
    Pending,
    /// An earlier transaction on this chain is still in flight: nothing was sent.
    Blocked,
}

/// Decodes revert data with an interface's custom errors, for logs.
pub(crate) fn describe_revert<E: SolInterface + std::fmt::Debug>(data: &[u8]) -> String {
    match E::abi_decode(data) {
        Ok(error) => format!("{error:?}"),
        Err(_) if data.is_empty() => "reverted without data".to_string(),
        Err(_) => format!("reverted with {}", alloy::hex::encode_prefixed(data)),
    }
}

/// A running relayer: configuration, database, both chains and the two Merkle trees it rebuilt
/// from the database.
pub struct Relayer {
    pub(crate) config: RelayerConfig,
    pub(crate) store: Store,
    pub(crate) l1: Chain,
    pub(crate) l2: Chain,
    /// Leaves of every confirmed L1 message, by nonce.
    pub(crate) messages: MerkleTree,
    /// Leaves of every confirmed withdrawal, by nonce.
    pub(crate) withdrawals: MerkleTree,
    /// Leaves of the L1 messages the watchdog ingested (its own checked copy), by nonce.
    pub(crate) watched_messages: MerkleTree,
    /// The watchdog's leaf comparison resumes at this nonce (every leaf below matched L1's).
    pub(crate) watch_leaves_checked: u64,
    /// The conservation monitor's schedule and last findings.
    pub(crate) conservation: crate::conservation::ConservationState,
    /// What the finalize role knows about the final outputs it checks before paying against them.
    pub(crate) final_checks: crate::finalize::FinalChecks,
    /// Current `eth_getLogs` range per chain (halved on errors, grown back on success).
    pub(crate) l1_range: u64,
    pub(crate) l2_range: u64,
    chains_checked: bool,
    /// Halted roles and when to re-check them (every `max_backoff`, without slowing the others).
    recheck_halted: std::collections::BTreeMap<Role, tokio::time::Instant>,
    /// This relayer's id in the leases table.
    pub(crate) holder: Arc<str>,
    /// The roles this process holds right now.
    pub(crate) leases: Arc<Leases>,
    /// What `/metrics` and `/status` report of this process.
    pub(crate) metrics: Arc<Metrics>,
    /// The HTTP API's socket, bound by `new` so that a busy port is a start-up error.
    api: Option<tokio::net::TcpListener>,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayer")
            .field("config", &self.config)
            .field("messages", &self.messages.len())
            .field("withdrawals", &self.withdrawals.len())
            .finish_non_exhaustive()
    }
}

impl Relayer {
    /// Validates the configuration, opens and migrates the database, checks it belongs to this
    /// deployment and rebuilds the Merkle trees from it. Does not contact the chains: an RPC that
    /// is down is retried by [`Relayer::run`].
    pub async fn new(config: RelayerConfig) -> Result<Self> {
        config.validate()?;
        let store = Store::open(&config.database_url).await?;
        let d = &config.deployment;
        for (name, value) in [
            ("l1_chain_id", d.l1.chain_id.to_string()),
            ("l1_bridge", d.l1.l1_bridge.to_string()),
            ("output_oracle", d.l1.output_oracle.to_string()),
            ("l2_chain_id", d.l2.chain_id.to_string()),
            ("l2_bridge", d.l2.l2_bridge.to_string()),
            ("root_oracle", d.l2.root_oracle.to_string()),
        ] {
            store.bind_meta(name, &value).await?;
        }
        let messages = store.load_message_tree().await?;
        let withdrawals = store.load_withdrawal_tree().await?;
        let mut watched_messages = MerkleTree::new();
        store.watch_extend_l1_tree(&mut watched_messages).await?;
        let receipt_poll = config.poll_interval.min(Duration::from_millis(500));
        let l1 = Chain::new(
            "L1",
            "l1",
            &config.l1_rpc_url,
            d.l1.chain_id,
            config.l1_confirmations,
            &config.signer,
            config.tx_timeout,
            receipt_poll,
            config.rpc_timeout,
        )?;
        let l2 = Chain::new(
            "L2",
            "l2",
            &config.l2_rpc_url,
            d.l2.chain_id,
            config.l2_confirmations,
            &config.signer,
            config.tx_timeout,
            receipt_poll,
            config.rpc_timeout,
        )?;
        let api = match config.api_listen {
            Some(address) => {
                let listener = crate::api::bind(address).await?;
                info!(address = %listener.local_addr().map_or(address, |a| a), "HTTP API listening");
                Some(listener)
            }
            None => None,
        };
        info!(
            account = %config.address(),
            roles = ?config.roles,
            l1_messages = messages.len(),
            withdrawals = withdrawals.len(),
            "relayer state loaded"
        );
        Ok(Self {
            l1_range: config.max_log_range,
            l2_range: config.max_log_range,
            holder: config.relayer_id.as_str().into(),
            leases: Arc::default(),
            metrics: Arc::default(),
            api,
            config,
            store,
            l1,
            l2,
            messages,
            withdrawals,
            watched_messages,
            watch_leaves_checked: 0,
            conservation: Default::default(),
            final_checks: Default::default(),
            chains_checked: false,
            recheck_halted: std::collections::BTreeMap::new(),
        })
    }

    /// The database handle (clone it to query state while the relayer runs).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> &RelayerConfig {
        &self.config
    }

    /// The relayer's account.
    pub fn address(&self) -> Address {
        self.config.address()
    }

    /// Where the HTTP API listens (with the port chosen when `api_listen` asked for port 0).
    pub fn api_address(&self) -> Option<std::net::SocketAddr> {
        self.api.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// A summary of the stored state.
    pub async fn status(&self) -> Result<Status> {
        self.store.status().await
    }

    /// Runs rounds of work every `poll_interval` until `shutdown` completes, then gives its role
    /// leases back and closes the database. Errors of a round are logged and retried with
    /// exponential backoff (doubling up to `max_backoff`); only a fatal error (wrong chain,
    /// foreign database) ends the run with an error.
    ///
    /// Each round first tries to take the roles it does not hold (see [`crate::store`]); roles
    /// held by another relayer are left alone until that relayer's lease expires. Stopping
    /// mid-round is safe: every transaction is recorded before broadcast and reconciled by its
    /// receipt on the next start (or by the relayer that takes the role over).
    pub async fn run<F>(mut self, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()>,
    {
        let store = self.store.clone();
        let leases = self.leases.clone();
        let heartbeat = lease::heartbeat(store.clone(), leases.clone(), self.config.lease_ttl);
        let monitor = Monitor {
            l1: self.l1.clone(),
            l2: self.l2.clone(),
            l2_bridge: self.config.deployment.l2.l2_bridge,
            l1_min_balance: self.config.l1_min_balance,
            l2_min_balance: self.config.l2_min_balance,
            interval: self.config.poll_interval.max(Duration::from_secs(1)),
            metrics: self.metrics.clone(),
        }
        .run();
        let api_server = self.api.take().map(|listener| {
            let state = crate::api::ApiState::new(
                store.clone(),
                self.config.clone(),
                self.l1.clone(),
                self.l2.clone(),
                leases.clone(),
                self.metrics.clone(),
            );
            (listener, Arc::new(state))
        });
        let api = async move {
            match api_server {
                Some((listener, state)) => crate::api::serve(listener, state).await,
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            result = self.main_loop(shutdown) => result,
            () = heartbeat => Ok(()),
            () = monitor => Ok(()),
            () = api => Ok(()),
        };
        lease::release_all(&store, &leases).await;
        store.close().await;
        result
    }

    async fn main_loop<F>(&mut self, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()>,
    {
        tokio::pin!(shutdown);
        let poll = self.config.poll_interval;
        let max_backoff = self.config.max_backoff.max(poll);
        let mut backoff = poll;
        info!(account = %self.address(), relayer_id = %self.holder, "relayer running");
        loop {
            let result = tokio::select! {
                _ = &mut shutdown => break,
                result = self.round() => result,
            };
            let delay = match result {
                Ok(()) => {
                    self.metrics.round_ok(crate::store::now_ms());
                    backoff = poll;
                    poll
                }
                Err(error) if error.is_fatal() => {
                    error!(%error, "relayer stopping on a fatal error");
                    return Err(error);
                }
                Err(_) => {
                    let delay = backoff;
                    backoff = (backoff * 2).min(max_backoff);
                    info!(retry_in = ?delay, "round failed; backing off");
                    delay
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        info!("relayer stopping");
        Ok(())
    }

    /// Tries to take every configured role this process does not hold. Returns the error of the
    /// first attempt that failed (the database is down), after trying them all.
    pub(crate) async fn acquire_leases(&self) -> Result<()> {
        let mut first_error = None;
        for role in Role::ALL {
            if !self.config.has_role(role) || self.leases.get(role).is_some() {
                continue;
            }
            match self
                .store
                .try_acquire(
                    role,
                    &self.holder,
                    self.config.lease_ttl,
                    self.leases.may_reclaim_own(role),
                )
                .await
            {
                Ok(Some(fence)) => {
                    info!(%role, token = fence.token, relayer_id = %self.holder, "lease acquired: active in this role");
                    self.leases.insert(fence);
                }
                Ok(None) => debug!(%role, "another relayer holds this role; standing by"),
                Err(error) => {
                    warn!(%role, %error, "cannot take the lease");
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The lease `role` acts under, or [`Error::LeaseLost`].
    pub(crate) fn fence(&self, role: Role) -> Result<Fence> {
        self.leases.get(role).ok_or(Error::LeaseLost { role })
    }

    /// One round: takes the roles it can, then each held role in turn. A role's error is logged
    /// and does not keep the other roles from working; the first error is returned (for backoff).
    pub(crate) async fn round(&mut self) -> Result<()> {
        if !self.chains_checked {
            if let Err(error) = self.check_chains().await {
                if !error.is_fatal() {
                    warn!(%error, "cannot check the chains yet; will retry");
                }
                return Err(error);
            }
            self.chains_checked = true;
        }
        let mut first_error = self.acquire_leases().await.err();
        for role in Role::ALL {
            if !self.config.has_role(role) || self.leases.get(role).is_none() {
                continue;
            }
            if self
                .recheck_halted
                .get(&role)
                .is_some_and(|at| tokio::time::Instant::now() < *at)
            {
                continue;
            }
            let result = match role {
                Role::Deliver => self.deliver_round().await,
                Role::Propose => self.propose_round().await,
                Role::Finalize => self.finalize_round().await,
                Role::Watchdog => self.watchdog_round().await,
            };
            let Err(error) = result else {
                self.recheck_halted.remove(&role);
                self.metrics.set_halted(role.as_str(), None);
                continue;
            };
            if error.is_fatal() {
                return Err(error);
            }
            self.metrics.round_error(role.as_str());
            match &error {
                Error::LeaseLost { role: lost } => {
                    self.metrics.alert("lease_lost");
                    self.leases.lose(*lost);
                    continue;
                }
                Error::Rpc { .. }
                | Error::Database(_)
                | Error::Transaction { .. }
                | Error::Reorg { .. } => {
                    warn!(%role, %error, "round failed; will retry")
                }
                _ => {
                    // Alerted once per halt; re-checked every `max_backoff` while the other roles
                    // go on at their pace.
                    if !self.metrics.halted().contains_key(role.as_str()) {
                        error!(%role, %error, "ALERT: role halted; refusing to act on this (see docs/operators.md, \"Halts\")");
                        self.metrics.alert(match &error {
                            Error::LeafMismatch { .. } => "leaf_mismatch",
                            Error::L1LogsInconsistent(_) => "l1_logs_inconsistent",
                            Error::ForgedL1Message { .. } => "forged_l1_message",
                            Error::DeepReorg { .. } => "deep_reorg",
                            _ => "inconsistency",
                        });
                    }
                    self.metrics
                        .set_halted(role.as_str(), Some(error.to_string()));
                    self.recheck_halted
                        .insert(role, tokio::time::Instant::now() + self.config.max_backoff);
                    continue;
                }
            }
            first_error.get_or_insert(error);
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Checks both endpoints serve the deployment's chains and binds the database to the blocks
    /// the bridge was deployed in (a database of an earlier devnet is refused).
    async fn check_chains(&self) -> Result<()> {
        let d = &self.config.deployment;
        for (chain, deploy_block, name) in [
            (&self.l1, d.l1.deploy_block, "l1_deploy_block_hash"),
            (&self.l2, d.l2.deploy_block, "l2_deploy_block_hash"),
        ] {
            chain.check_chain_id().await?;
            let (hash, _) = chain.block(deploy_block).await?;
            self.store
                .bind_meta(name, &format!("{deploy_block}:{hash}"))
                .await?;
        }
        Ok(())
    }

    pub(crate) fn chain(&self, side: Side) -> &Chain {
        match side {
            Side::L1 => &self.l1,
            Side::L2 => &self.l2,
        }
    }

    pub(crate) fn l1_bridge(&self) -> IL1Bridge::IL1BridgeInstance<DynProvider> {
        IL1Bridge::new(
            self.config.deployment.l1.l1_bridge,
            self.l1.provider.clone(),
        )
    }

    pub(crate) fn output_oracle(&self) -> IOutputOracle::IOutputOracleInstance<DynProvider> {
        IOutputOracle::new(
            self.config.deployment.l1.output_oracle,
            self.l1.provider.clone(),
        )
    }

    pub(crate) fn l2_bridge(&self) -> IL2Bridge::IL2BridgeInstance<DynProvider> {
        IL2Bridge::new(
            self.config.deployment.l2.l2_bridge,
            self.l2.provider.clone(),
        )
    }

    pub(crate) fn root_oracle(&self) -> IL1RootOracle::IL1RootOracleInstance<DynProvider> {
        IL1RootOracle::new(
            self.config.deployment.l2.root_oracle,
            self.l2.provider.clone(),
        )
    }

    /// Whether the chain shows `work` as done (so a revert of it counts as success).
    pub(crate) async fn already_done(&self, work: &Work) -> Result<bool> {
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let l2 = |e: alloy::contract::Error| self.l2.rpc(e);
        Ok(match work {
            Work::CommitRoot { messages } => {
                self.l1_bridge()
                    .lastCommittedRoot()
                    .call()
                    .await
                    .map_err(l1)?
                    .count
                    >= *messages
            }
            Work::PublishRoot { root, .. } => {
                self.root_oracle()
                    .rootCount(*root)
                    .call()
                    .await
                    .map_err(l2)?
                    != 0
            }
            Work::RelayMessages { last, .. } => {
                self.l2_bridge()
                    .l1MessagesProcessed()
                    .call()
                    .await
                    .map_err(l2)?
                    > *last
            }
            Work::Propose { l2_block } => self
                .last_output_block()
                .await?
                .is_some_and(|b| b >= *l2_block),
            Work::ReleaseBond { .. } => false,
            Work::WithdrawBond => self
                .output_oracle()
                .bondCredit(self.l1.from)
                .call()
                .await
                .map_err(l1)?
                .is_zero(),
            Work::FinalizeWithdrawals { nonces, .. } => {
                let bridge = self.l1_bridge();
                for nonce in nonces {
                    if !bridge
                        .isWithdrawalFinalized(*nonce)
                        .call()
                        .await
                        .map_err(l1)?
                    {
                        return Ok(false);
                    }
                }
                true
            }
            Work::Challenge {
                output_index,
                output,
            } => self.challenge_done(*output_index, *output).await?,
        })
    }

    /// L2 block number of the newest output on L1, if any.
    pub(crate) async fn last_output_block(&self) -> Result<Option<u64>> {
        let oracle = self.output_oracle();
        let count = oracle
            .outputCount()
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("outputCount: {e}")))?;
        if count.is_zero() {
            return Ok(None);
        }
        let output = oracle
            .getOutput(count - U256::from(1))
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("getOutput: {e}")))?;
        Ok(Some(output.l2BlockNumber))
    }
}

#[cfg(test)]
mod tests {
    //! The crash windows of a submission, reproduced exactly: the relayer is dropped after a
    //! transaction was recorded (and maybe broadcast) but before its outcome was recorded.

    use super::*;
    use crate::chain::Simulation;
    use crate::store::{NewSubmission, Submission, SubmissionState};
    use alloy::network::EthereumWallet;
    use alloy::primitives::B256;
    use alloy::providers::{Provider, ProviderBuilder};
    use drawbridge_devnet::{Devnet, DevnetOptions};

    async fn deposit(devnet: &Devnet, count: u64) {
        let user = &devnet.accounts.users[0];
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(user.clone()))
            .connect_http(devnet.deployment.l1.rpc_url.parse().unwrap());
        let bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, provider);
        for _ in 0..count {
            let receipt = bridge
                .depositETH(user.address())
                .value(U256::from(1_000u64))
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
            assert!(receipt.status());
        }
    }

    /// Follows L1, commits and publishes until L2 knows a root of `count` messages.
    async fn publish(relayer: &mut Relayer, count: u64) -> B256 {
        let oracle = relayer.root_oracle();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            relayer.follow_l1().await.unwrap();
            relayer.commit_root().await.unwrap();
            relayer.publish_root().await.unwrap();
            if oracle.latestCount().call().await.unwrap() >= count {
                return oracle.latestRoot().call().await.unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "root never published"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Signs and records the relay of `first..end` as `submit` does, optionally broadcasts it,
    /// and "crashes" (returns without recording anything more).
    async fn record_and_crash(
        relayer: &Relayer,
        root: B256,
        count: u64,
        first: u64,
        end: u64,
        broadcast: bool,
    ) -> B256 {
        let (work, call) = relayer.relay_batch(root, count, first, end).await.unwrap();
        let Simulation::Ok(gas) = relayer.l2.simulate(&call).await.unwrap() else {
            panic!("relay would revert");
        };
        let signed = relayer.l2.sign(&call, gas).await.unwrap();
        relayer
            .store
            .insert_submission(
                &relayer.fence(Role::Deliver).unwrap(),
                &NewSubmission {
                    tx_hash: signed.hash,
                    chain: "l2",
                    role: "deliver",
                    kind: work.kind(),
                    work: &work.to_json(),
                    sender: relayer.l2.from,
                    tx_nonce: signed.nonce,
                    raw_tx: &signed.raw,
                },
            )
            .await
            .unwrap();
        if broadcast {
            assert!(
                relayer
                    .l2
                    .broadcast(signed.hash, &signed.raw)
                    .await
                    .unwrap()
            );
        }
        signed.hash
    }

    async fn processed(relayer: &Relayer) -> u64 {
        relayer
            .l2_bridge()
            .l1MessagesProcessed()
            .call()
            .await
            .unwrap()
    }

    /// Runs a fresh relayer on the same database until `count` messages are processed.
    async fn resume(config: &RelayerConfig, count: u64) {
        let relayer = Relayer::new(config.clone()).await.unwrap();
        let bridge = relayer.l2_bridge();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(relayer.run(async move {
            let _ = stopped.await;
        }));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        while bridge.l1MessagesProcessed().call().await.unwrap() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "messages never delivered"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // Let the round that sent the last batch record its outcome.
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_submission_interrupted_before_or_after_broadcast_lands_exactly_once() {
        let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config =
            RelayerConfig::new(devnet.deployment.clone(), devnet.accounts.relayer.clone());
        config.database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("r.sqlite").display()
        );
        config.roles = [Role::Deliver].into_iter().collect();
        config.poll_interval = Duration::from_millis(500);

        // Crash 1: recorded, never broadcast (killed between the INSERT and eth_sendRawTransaction).
        deposit(&devnet, 3).await;
        let mut relayer = Relayer::new(config.clone()).await.unwrap();
        relayer.acquire_leases().await.unwrap();
        let root = publish(&mut relayer, 3).await;
        let never_sent = record_and_crash(&relayer, root, 3, 0, 3, false).await;
        assert_eq!(processed(&relayer).await, 0);
        relayer.store.close().await;
        drop(relayer);
        resume(&config, 3).await;

        // Crash 2: recorded and broadcast, outcome never recorded.
        deposit(&devnet, 2).await;
        let mut relayer = Relayer::new(config.clone()).await.unwrap();
        relayer.acquire_leases().await.unwrap();
        let root = publish(&mut relayer, 5).await;
        let sent = record_and_crash(&relayer, root, 5, 3, 5, true).await;
        relayer.store.close().await;
        drop(relayer);
        resume(&config, 5).await;

        let store = Store::open(&config.database_url).await.unwrap();
        let relays: Vec<Submission> = store
            .submissions()
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.kind == "relay_messages")
            .collect();
        // Exactly the two recorded transactions carried the messages; nothing else was sent.
        assert_eq!(relays.len(), 2, "{relays:?}");
        assert_eq!(relays[0].tx_hash, never_sent);
        assert_eq!(relays[1].tx_hash, sent);
        for s in &relays {
            assert_eq!(s.state, SubmissionState::Confirmed, "{s:?}");
            assert_eq!(s.outcome.as_deref(), Some("ok"), "{s:?}");
        }
        let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
        for hash in [never_sent, sent] {
            assert!(
                l2.get_transaction_receipt(hash)
                    .await
                    .unwrap()
                    .unwrap()
                    .status()
            );
        }
        store.close().await;
    }
}
