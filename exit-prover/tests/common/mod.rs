//! Shared helpers of the exit prover's tests: a devnet with its deployment file, the real relayer
//! (in this process, on SQLite in a temporary folder) to deliver deposits and post outputs, users
//! depositing with the bindings, and the real `drawbridge-exit-prover` binary.
#![allow(dead_code, missing_docs, unused_imports)]

use std::ops::Deref;
use std::process::Command;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use drawbridge_relayer::{RelayerConfig, Role};
pub use drawbridge_testkit::{
    DEADLINE, Mined, Run, Running, TestBed, key_hex, provider, start_relayer, units,
    wait_until_time,
};

/// The workspace's [`TestBed`] (a devnet and its deployment file) with what the exit prover's
/// tests add: an in-process relayer, deposits and the binary.
pub struct ExitProverBed(TestBed);

impl Deref for ExitProverBed {
    type Target = TestBed;

    fn deref(&self) -> &TestBed {
        &self.0
    }
}

impl ExitProverBed {
    pub async fn start() -> Self {
        Self(TestBed::start().await)
    }

    pub fn user(&self, i: usize) -> PrivateKeySigner {
        self.devnet.accounts.users[i].clone()
    }

    pub fn l1(&self, signer: &PrivateKeySigner) -> DynProvider {
        provider(&self.devnet.deployment.l1.rpc_url, signer)
    }

    pub fn l2(&self, signer: &PrivateKeySigner) -> DynProvider {
        provider(&self.devnet.deployment.l2.rpc_url, signer)
    }

    /// The exit prover library's context for this devnet.
    pub fn context(&self) -> drawbridge_client::Context {
        drawbridge_client::Context::new(self.devnet.deployment.clone(), None, None).unwrap()
    }

    /// A relayer running in this process with `roles`.
    pub async fn relayer(&self, roles: &[Role], db: &str) -> Running {
        let mut config = RelayerConfig::new(
            self.devnet.deployment.clone(),
            self.devnet.accounts.relayer.clone(),
        );
        config.database_url = format!("sqlite://{}?mode=rwc", self.dir.path().join(db).display());
        config.poll_interval = Duration::from_millis(500);
        config.tx_timeout = Duration::from_secs(30);
        config.roles = roles.iter().copied().collect();
        start_relayer(config).await
    }

    /// Deposits `amount` ETH from `user` to the same address on L2; returns the message nonce.
    pub async fn deposit_eth(&self, user: &PrivateKeySigner, amount: U256) -> u64 {
        let bridge = IL1Bridge::new(self.devnet.deployment.l1.l1_bridge, self.l1(user));
        let receipt = bridge
            .depositETH(user.address())
            .value(amount)
            .send()
            .await
            .expect("deposit sent")
            .get_receipt()
            .await
            .expect("deposit mined");
        assert!(receipt.status(), "deposit reverted");
        receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<IL1Bridge::MessageSent>().ok())
            .expect("MessageSent")
            .inner
            .data
            .nonce
    }

    pub fn oracle(&self) -> IOutputOracle::IOutputOracleInstance<DynProvider> {
        IOutputOracle::new(
            self.devnet.deployment.l1.output_oracle,
            self.l1(&self.devnet.accounts.challenger),
        )
    }

    /// Waits for a final output whose L1 messages processed is at least `processed`; returns its
    /// index and the output.
    pub async fn final_output_with(&self, processed: u64) -> (u64, IOutputOracle::Output) {
        let oracle = self.oracle();
        wait_for("a final output covering the deposits", || {
            let oracle = oracle.clone();
            async move {
                let count = oracle.outputCount().call().await.ok()?;
                if count.is_zero() {
                    return None;
                }
                let index = oracle.latestFinalIndex().call().await.ok()?;
                if !oracle.isFinal(index).call().await.ok()? {
                    return None;
                }
                let output = oracle.getOutput(index).call().await.ok()?;
                (output.l1MessagesProcessed >= processed).then(|| (index.to::<u64>(), output))
            }
        })
        .await
    }

    /// Runs the binary with the deployment file, signing as `key` (None: no key).
    pub fn run(&self, key: Option<&PrivateKeySigner>, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawbridge-exit-prover"));
        cmd.env_remove("DRAWBRIDGE_PRIVATE_KEY")
            .env_remove("DRAWBRIDGE_KEYSTORE_PASSWORD")
            .env_remove("DRAWBRIDGE_L2_RPC_URL")
            .env_remove("DRAWBRIDGE_L1_RPC_URL")
            .env("DRAWBRIDGE_DEPLOYMENT", &self.deployment_path)
            .env("NO_COLOR", "1");
        if let Some(k) = key {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(k));
        }
        let output = cmd.args(args).output().expect("the binary runs");
        Run::of("drawbridge-exit-prover", output, args)
    }
}

/// Polls `check` every 500 ms until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    drawbridge_testkit::wait_for(what, DEADLINE, check).await
}
