//! The relayer process ([`Relayer`]): start-up checks, the main loop that takes role leases and
//! runs each held role's round with backoff and halts, and the tasks beside it (lease heartbeat,
//! balance monitor, HTTP API).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::Address;
use drawbridge_protocol::MerkleTree;
use tracing::{debug, error, info, warn};

use crate::chain::SigningChain;
use crate::config::RelayerConfig;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::lease;
use crate::monitor::Monitor;
use crate::role::Role;
use crate::store::{Status, Store};

/// A running relayer: the `Context` its roles work on, and the schedule of their rounds.
pub struct Relayer {
    /// Configuration, database, chains and the roles' state.
    pub(crate) ctx: Context,
    chains_checked: bool,
    /// Halted roles and when to re-check them (every `max_backoff`, without slowing the others).
    recheck_halted: std::collections::BTreeMap<Role, tokio::time::Instant>,
    /// The HTTP API's socket, bound by `new` so that a busy port is a start-up error.
    api: Option<tokio::net::TcpListener>,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayer")
            .field("config", &self.ctx.config)
            .field("messages", &self.ctx.messages.len())
            .field("withdrawals", &self.ctx.withdrawals.len())
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
        let l1 = SigningChain::new(
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
        let l2 = SigningChain::new(
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
        let ctx = Context {
            l1_range: config.max_log_range,
            l2_range: config.max_log_range,
            holder: config.relayer_id.as_str().into(),
            leases: Arc::default(),
            metrics: Arc::default(),
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
        };
        Ok(Self {
            ctx,
            api,
            chains_checked: false,
            recheck_halted: std::collections::BTreeMap::new(),
        })
    }

    /// The database handle (clone it to query state while the relayer runs).
    pub fn store(&self) -> Store {
        self.ctx.store.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> &RelayerConfig {
        &self.ctx.config
    }

    /// The relayer's account.
    pub fn address(&self) -> Address {
        self.ctx.config.address()
    }

    /// Where the HTTP API listens (with the port chosen when `api_listen` asked for port 0).
    pub fn api_address(&self) -> Option<std::net::SocketAddr> {
        self.api.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// A summary of the stored state.
    pub async fn status(&self) -> Result<Status> {
        self.ctx.store.status().await
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
        let store = self.ctx.store.clone();
        let leases = self.ctx.leases.clone();
        let heartbeat = lease::heartbeat(store.clone(), leases.clone(), self.ctx.config.lease_ttl);
        let monitor = Monitor {
            l1: self.ctx.l1.clone(),
            l2: self.ctx.l2.clone(),
            l2_bridge: self.ctx.config.deployment.l2.l2_bridge,
            l1_min_balance: self.ctx.config.l1_min_balance,
            l2_min_balance: self.ctx.config.l2_min_balance,
            interval: self.ctx.config.poll_interval.max(Duration::from_secs(1)),
            metrics: self.ctx.metrics.clone(),
        }
        .run();
        let api_server = self.api.take().map(|listener| {
            let state = crate::api::ApiState::new(
                store.clone(),
                self.ctx.config.clone(),
                self.ctx.l1.clone(),
                self.ctx.l2.clone(),
                leases.clone(),
                self.ctx.metrics.clone(),
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
        let poll = self.ctx.config.poll_interval;
        let max_backoff = self.ctx.config.max_backoff.max(poll);
        let mut backoff = poll;
        info!(account = %self.address(), relayer_id = %self.ctx.holder, "relayer running");
        loop {
            let result = tokio::select! {
                _ = &mut shutdown => break,
                result = self.round() => result,
            };
            let delay = match result {
                Ok(()) => {
                    self.ctx.metrics.round_ok(crate::store::now_ms());
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
            if !self.ctx.config.has_role(role) || self.ctx.leases.get(role).is_some() {
                continue;
            }
            match self
                .ctx
                .store
                .try_acquire(
                    role,
                    &self.ctx.holder,
                    self.ctx.config.lease_ttl,
                    self.ctx.leases.may_reclaim_own(role),
                )
                .await
            {
                Ok(Some(fence)) => {
                    info!(%role, token = fence.token, relayer_id = %self.ctx.holder, "lease acquired: active in this role");
                    self.ctx.leases.insert(fence);
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
            if !self.ctx.config.has_role(role) || self.ctx.leases.get(role).is_none() {
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
                Role::Deliver => self.ctx.deliver_round().await,
                Role::Propose => self.ctx.propose_round().await,
                Role::Finalize => self.ctx.finalize_round().await,
                Role::Watchdog => self.ctx.watchdog_round().await,
            };
            let Err(error) = result else {
                self.recheck_halted.remove(&role);
                self.ctx.metrics.set_halted(role.as_str(), None);
                continue;
            };
            if error.is_fatal() {
                return Err(error);
            }
            self.ctx.metrics.round_error(role.as_str());
            match &error {
                Error::LeaseLost { role: lost } => {
                    self.ctx.metrics.alert("lease_lost");
                    self.ctx.leases.lose(*lost);
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
                    if !self.ctx.metrics.halted().contains_key(role.as_str()) {
                        error!(%role, %error, "ALERT: role halted; refusing to act on this (see docs/operators.md, \"Halts\")");
                        self.ctx.metrics.alert(match &error {
                            Error::LeafMismatch { .. } => "leaf_mismatch",
                            Error::L1LogsInconsistent(_) => "l1_logs_inconsistent",
                            Error::ForgedL1Message { .. } => "forged_l1_message",
                            Error::DeepReorg { .. } => "deep_reorg",
                            _ => "inconsistency",
                        });
                    }
                    self.ctx
                        .metrics
                        .set_halted(role.as_str(), Some(error.to_string()));
                    self.recheck_halted.insert(
                        role,
                        tokio::time::Instant::now() + self.ctx.config.max_backoff,
                    );
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
        let d = &self.ctx.config.deployment;
        for (chain, deploy_block, name) in [
            (&self.ctx.l1, d.l1.deploy_block, "l1_deploy_block_hash"),
            (&self.ctx.l2, d.l2.deploy_block, "l2_deploy_block_hash"),
        ] {
            chain.check_chain_id().await?;
            let (hash, _) = chain.block(deploy_block).await?;
            self.ctx
                .store
                .bind_meta(name, &format!("{deploy_block}:{hash}"))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The crash windows of a submission, reproduced exactly: the relayer is dropped after a
    //! transaction was recorded (and maybe broadcast) but before its outcome was recorded.

    use super::*;
    use crate::context::Layer;
    use alloy::network::EthereumWallet;
    use alloy::primitives::B256;
    use alloy::primitives::U256;
    use alloy::providers::{Provider, ProviderBuilder};
    use drawbridge_bindings::IL1Bridge;
    use drawbridge_devnet::{Devnet, DevnetOptions};

    async fn deposit(devnet: &Devnet, count: u64) {
        let user = &devnet.accounts.users[0];
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(user.clone()))
            .connect_http(devnet.deployment.l1.rpc_url.parse().unwrap());
        let bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, provider);
        for _ in 0..count {
            crate::test_support::landed(
                bridge
                    .depositETH(user.address())
                    .value(U256::from(1_000u64)),
            )
            .await;
        }
    }

    /// Follows L1, commits and publishes until L2 knows a root of `count` messages.
    async fn publish(relayer: &mut Relayer, count: u64) -> B256 {
        let oracle = relayer.ctx.root_oracle();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            relayer.ctx.follow_l1().await.unwrap();
            relayer.ctx.commit_root().await.unwrap();
            relayer.ctx.publish_root().await.unwrap();
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
        let (work, call) = relayer
            .ctx
            .relay_batch(root, count, first, end)
            .await
            .unwrap();
        crate::test_support::record_and_crash(&relayer.ctx, Layer::L2, &work, &call, broadcast)
            .await
    }

    async fn processed(relayer: &Relayer) -> u64 {
        relayer
            .ctx
            .l2_bridge()
            .l1MessagesProcessed()
            .call()
            .await
            .unwrap()
    }

    /// Runs a fresh relayer on the same database until `count` messages are processed.
    async fn resume(config: &RelayerConfig, count: u64) {
        let relayer = Relayer::new(config.clone()).await.unwrap();
        let bridge = relayer.ctx.l2_bridge();
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
        relayer.ctx.store.close().await;
        drop(relayer);
        resume(&config, 3).await;

        // Crash 2: recorded and broadcast, outcome never recorded.
        deposit(&devnet, 2).await;
        let mut relayer = Relayer::new(config.clone()).await.unwrap();
        relayer.acquire_leases().await.unwrap();
        let root = publish(&mut relayer, 5).await;
        let sent = record_and_crash(&relayer, root, 5, 3, 5, true).await;
        relayer.ctx.store.close().await;
        drop(relayer);
        resume(&config, 5).await;

        // Exactly the two recorded transactions carried the messages; nothing else was sent.
        crate::test_support::assert_sent_exactly(
            &config.database_url,
            "relay_messages",
            &[never_sent, sent],
        )
        .await;
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
    }
}
