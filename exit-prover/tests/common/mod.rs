//! Shared helpers of the exit prover's tests: a devnet with its deployment file, the real relayer
//! (in this process, on SQLite in a temporary folder) to deliver deposits and post outputs, users
//! depositing with the bindings, and the real `drawbridge-exit-prover` binary.
#![allow(dead_code, missing_docs)]

use std::future::Future;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge, IOutputOracle};
use drawbridge_devnet::{Devnet, DevnetOptions};
use drawbridge_relayer::{Error, Relayer, RelayerConfig, Role};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a wait loop waits before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(120);

pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

/// A devnet and its deployment file.
pub struct Bed {
    pub devnet: Devnet,
    pub dir: TempDir,
    pub deployment_path: PathBuf,
}

impl Bed {
    pub async fn start() -> Self {
        let devnet = Devnet::start(DevnetOptions::default())
            .await
            .expect("devnet starts");
        let dir = tempfile::tempdir().unwrap();
        let deployment_path = dir.path().join("deployment.json");
        devnet.deployment.save(&deployment_path).unwrap();
        Self {
            devnet,
            dir,
            deployment_path,
        }
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
    pub fn context(&self) -> drawbridge_cli::Context {
        drawbridge_cli::Context::new(self.devnet.deployment.clone(), None, None).unwrap()
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
        let relayer = Relayer::new(config).await.expect("relayer starts");
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(relayer.run(async move {
            let _ = stopped.await;
        }));
        Running { handle, stop }
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

    /// L1 messages processed on L2.
    pub async fn processed(&self) -> u64 {
        IL2Bridge::new(
            self.devnet.deployment.l2.l2_bridge,
            self.l2(&self.devnet.accounts.challenger),
        )
        .l1MessagesProcessed()
        .call()
        .await
        .unwrap()
    }

    /// L2 balance of the bridged token of `l1_token`.
    pub async fn l2_balance(&self, l1_token: Address, account: Address) -> U256 {
        let p = self.l2(&self.devnet.accounts.challenger);
        let token = IL2Bridge::new(self.devnet.deployment.l2.l2_bridge, p.clone())
            .bridgedToken(l1_token)
            .call()
            .await
            .unwrap();
        if token.is_zero() {
            return U256::ZERO;
        }
        drawbridge_cli::revert::erc20::IERC20::new(token, p)
            .balanceOf(account)
            .call()
            .await
            .unwrap()
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
            .env_remove("DRAWBRIDGE_L2_RPC")
            .env_remove("DRAWBRIDGE_L1_RPC")
            .env("DRAWBRIDGE_DEPLOYMENT", &self.deployment_path)
            .env("NO_COLOR", "1");
        if let Some(k) = key {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(k));
        }
        Run::of(cmd.args(args).output().expect("the binary runs"), args)
    }
}

/// A relayer running in a task of this process.
pub struct Running {
    handle: JoinHandle<Result<(), Error>>,
    stop: oneshot::Sender<()>,
}

impl Running {
    /// Graceful stop; the run must end without error.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .expect("the relayer stops within a minute")
            .expect("the relayer task did not panic")
            .expect("the relayer ran without a fatal error");
    }
}

pub fn provider(url: &str, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url.parse().unwrap())
        .erased()
}

pub fn key_hex(key: &PrivateKeySigner) -> String {
    format!("0x{}", alloy::primitives::hex::encode(key.to_bytes()))
}

/// What one run of the binary printed.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
    pub args: String,
}

impl Run {
    fn of(out: Output, args: &[&str]) -> Self {
        Self {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    pub fn success(self) -> Self {
        assert!(
            self.ok,
            "`drawbridge-exit-prover {}` failed:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    pub fn failure(self) -> Self {
        assert!(
            !self.ok,
            "`drawbridge-exit-prover {}` should fail:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`drawbridge-exit-prover {}` printed no JSON ({e}):\n{}\nstderr: {}",
                self.args, self.stdout, self.stderr
            )
        })
    }
}

/// Polls `check` every 500 ms until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Keeps `provider`'s latest block timestamp moving past `unix_time` (anvil mines every second).
pub async fn wait_until_l1_time(provider: &DynProvider, unix_time: u64) {
    wait_for("L1 time to pass", || async {
        let block = provider
            .get_block_by_number(alloy::rpc::types::BlockNumberOrTag::Latest)
            .await
            .ok()??;
        (block.header.timestamp >= unix_time).then_some(())
    })
    .await
}
