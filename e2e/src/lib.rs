//! Harness for the end-to-end tests: a fresh devnet per test, the real `drawbridge` CLI and
//! `drawbridge-relayer` binaries run as processes (so a relayer can be killed with SIGKILL and
//! restarted on its database), and helpers that read balances and wait for conditions with a
//! deadline.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge, TestToken};
use drawbridge_devnet::{Devnet, DevnetOptions};

/// One wei-denominated unit of 18-decimal tokens.
pub fn units(whole: u64) -> U256 {
    U256::from(whole) * U256::from(10).pow(U256::from(18))
}

/// `milli / 1000` of an 18-decimal token.
pub fn milli_units(milli: u64) -> U256 {
    U256::from(milli) * U256::from(10).pow(U256::from(15))
}

/// The directory cargo puts binaries in (`target/debug`), found from the test executable.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("executable directory");
    if deps.ends_with("deps") {
        deps.parent().expect("target profile dir").to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

/// Path of a workspace binary; the test suite builds every binary (`cargo nextest run --workspace`).
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace binaries first (cargo build --workspace)",
        path.display()
    );
    path
}

/// Private key of a signer as 0x-hex, for the processes' environment.
pub fn key_hex(signer: &PrivateKeySigner) -> String {
    format!("0x{}", hex::encode(signer.to_bytes()))
}

/// A running devnet plus a scratch directory holding its deployment file and relayer databases.
pub struct TestBed {
    /// The chains, contracts and keys.
    pub devnet: Devnet,
    /// Scratch directory, removed on drop.
    pub dir: tempfile::TempDir,
    /// The deployment file the processes read.
    pub deployment_path: PathBuf,
    /// Read-only L1 provider.
    pub l1: DynProvider,
    /// Read-only L2 provider.
    pub l2: DynProvider,
}

impl TestBed {
    /// Starts a devnet with default devnet parameters.
    pub async fn start() -> Self {
        Self::start_with(DevnetOptions::default()).await
    }

    /// Starts a devnet with the given options.
    pub async fn start_with(options: DevnetOptions) -> Self {
        Self::from_devnet(Devnet::start(options).await.expect("devnet starts"))
    }

    /// An L1 provider that signs as `signer`.
    pub fn l1_as(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(self.devnet.l1.endpoint_url())
            .erased()
    }

    /// An L2 provider that signs as `signer`.
    pub fn l2_as(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(self.devnet.l2.endpoint_url())
            .erased()
    }

    /// `n`-th demo user.
    pub fn user(&self, n: usize) -> &PrivateKeySigner {
        &self.devnet.accounts.users[n]
    }

    /// Mints devnet test tokens on L1.
    pub async fn mint_test_tokens(&self, to: Address, amount: U256) {
        let l1 = self.l1_as(&self.devnet.accounts.deployer);
        TestToken::new(self.devnet.test_token(), &l1)
            .mint(to, amount)
            .send()
            .await
            .expect("mint sent")
            .get_receipt()
            .await
            .expect("mint mined");
    }

    /// Runs the `drawbridge` CLI signing as `signer` (if any).
    pub fn cli(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> Output {
        let mut cmd = Command::new(binary("drawbridge"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DRAWBRIDGE_DEPLOYMENT", &self.deployment_path)
            .args(args)
            .stdin(Stdio::null());
        if let Some(signer) = signer {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(signer));
        }
        cmd.output().expect("drawbridge runs")
    }

    /// Runs the CLI with `--json`, asserts success and parses the output.
    pub fn cli_json(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.cli(signer, &all);
        assert!(
            out.status.success(),
            "drawbridge {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "drawbridge {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Starts a relayer process with its database in the scratch directory under `db_name`.
    pub fn spawn_relayer(&self, db_name: &str, extra_args: &[&str]) -> RelayerProcess {
        self.spawn_relayer_as(&self.devnet.accounts.relayer, db_name, extra_args)
    }

    /// [`TestBed::spawn_relayer`] signing with `signer` instead of the devnet relayer's key.
    pub fn spawn_relayer_as(
        &self,
        signer: &PrivateKeySigner,
        db_name: &str,
        extra_args: &[&str],
    ) -> RelayerProcess {
        RelayerProcess::spawn(self, signer, db_name, extra_args)
    }

    /// A watchdog as docs/operators.md asks for one: its own process, key (the devnet's
    /// challenger account, funded for bonds), database (`db_name`) and HTTP API; it acts on the
    /// latest L1 block (`--l1-confirmations 0`) so that its challenge lands well inside the
    /// devnet's 6 s window. Returns the process and the API's base URL.
    pub fn spawn_watchdog(&self, db_name: &str) -> (RelayerProcess, String) {
        let listen = free_listen_address();
        let watchdog = self.spawn_relayer_as(
            &self.devnet.accounts.challenger,
            db_name,
            &[
                "--roles",
                "watchdog",
                "--l1-confirmations",
                "0",
                "--relayer-id",
                "watchdog",
                "--api-listen",
                &listen,
            ],
        );
        (watchdog, format!("http://{listen}"))
    }

    /// L2 balance of the bridged token for `l1_token` (zero before its first deposit).
    pub async fn l2_balance(&self, l1_token: Address, account: Address) -> U256 {
        let bridge = IL2Bridge::new(self.devnet.deployment.l2.l2_bridge, &self.l2);
        let token = bridge
            .bridgedToken(l1_token)
            .call()
            .await
            .expect("bridgedToken");
        if self.l2.get_code_at(token).await.expect("code").is_empty() {
            return U256::ZERO;
        }
        TestToken::new(token, &self.l2)
            .balanceOf(account)
            .call()
            .await
            .expect("balanceOf")
    }

    /// L1 balance: ETH for `Address::ZERO`, otherwise the ERC-20.
    pub async fn l1_balance(&self, token: Address, account: Address) -> U256 {
        if token == Address::ZERO {
            self.l1.get_balance(account).await.expect("balance")
        } else {
            TestToken::new(token, &self.l1)
                .balanceOf(account)
                .call()
                .await
                .expect("balanceOf")
        }
    }

    /// L1 messages processed on L2.
    pub async fn processed(&self) -> u64 {
        IL2Bridge::new(self.devnet.deployment.l2.l2_bridge, &self.l2)
            .l1MessagesProcessed()
            .call()
            .await
            .expect("processed")
    }

    /// Whether the withdrawal `nonce` is paid on L1.
    pub async fn is_finalized(&self, nonce: u64) -> bool {
        IL1Bridge::new(self.devnet.deployment.l1.l1_bridge, &self.l1)
            .isWithdrawalFinalized(nonce)
            .call()
            .await
            .expect("isWithdrawalFinalized")
    }
}

/// Polls `condition` every 500 ms until it holds; panics with `what` after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A relayer running as its own process, killable with SIGKILL.
pub struct RelayerProcess {
    child: Child,
    log: PathBuf,
}

impl RelayerProcess {
    fn spawn(bed: &TestBed, signer: &PrivateKeySigner, db_name: &str, extra_args: &[&str]) -> Self {
        let db = bed.dir.path().join(db_name);
        let log = bed.dir.path().join(format!("{db_name}.log"));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("relayer log");
        let child = Command::new(binary("drawbridge-relayer"))
            .arg("--deployment")
            .arg(&bed.deployment_path)
            .arg("--database-url")
            .arg(format!("sqlite://{}?mode=rwc", db.display()))
            .arg("--poll-interval")
            .arg("300ms")
            .args(extra_args)
            .env("DRAWBRIDGE_RELAYER_KEY", key_hex(signer))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("relayer starts");
        Self { child, log }
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    pub fn kill(mut self) {
        self.child.kill().expect("kill relayer");
        self.child.wait().expect("reap relayer");
    }

    /// The relayer's log so far (for assertion messages).
    pub fn log(&self) -> String {
        read_log(&self.log)
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two automining anvil chains (a block per transaction, so a test can place a transaction at an
/// exact timestamp with `evm_setNextBlockTimestamp`) with the devnet's chain ids and accounts,
/// nothing deployed yet: for tests that need the chains before the deployment, e.g. to run a
/// council's DKG through a coordinator that submits to L1 and then deploy with its group key.
pub struct Chains {
    /// L1.
    pub l1: alloy::node_bindings::AnvilInstance,
    /// L2.
    pub l2: alloy::node_bindings::AnvilInstance,
    /// The devnet's roles on anvil's well-known keys (same mapping as `Devnet::start`).
    pub accounts: drawbridge_devnet::DevnetAccounts,
}

impl Chains {
    /// Starts L1 and L2 (automine, free ports) with `anvil_path()` of the devnet.
    pub fn start() -> Self {
        let anvil = |chain_id: u64| {
            alloy::node_bindings::Anvil::at(drawbridge_devnet::anvil_path())
                .chain_id(chain_id)
                .try_spawn()
                .expect("anvil starts")
        };
        let l1 = anvil(drawbridge_devnet::L1_CHAIN_ID);
        let l2 = anvil(drawbridge_devnet::L2_CHAIN_ID);
        let key = |i: usize| PrivateKeySigner::from(l1.keys()[i].clone());
        let accounts = drawbridge_devnet::DevnetAccounts {
            deployer: key(0),
            council: key(1),
            relayer: key(2),
            challenger: key(3),
            users: (4..10).map(key).collect(),
        };
        Self { l1, l2, accounts }
    }

    /// Deploys the bridge governed by a council with `council_key` (its `SecurityCouncil` on
    /// each chain becomes the only admin; no member keys are known to the harness, so
    /// `devnet.council` is `None`).
    pub async fn deploy(
        self,
        params: drawbridge_deployment::Params,
        council_key: drawbridge_deployment::CouncilKey,
    ) -> TestBed {
        let a = &self.accounts;
        let deployment = drawbridge_deployment::deploy(&drawbridge_deployment::DeployRequest {
            l1_rpc_url: self.l1.endpoint(),
            l2_rpc_url: self.l2.endpoint(),
            deployer: a.deployer.clone(),
            roles: drawbridge_deployment::Roles {
                governance: a.deployer.address(),
                council: a.council.address(),
                proposer: a.relayer.address(),
                root_publisher: a.relayer.address(),
            },
            council_key: Some(council_key),
            params,
            with_test_token: true,
        })
        .await
        .expect("deployment with the council key");
        TestBed::from_devnet(
            Devnet::assemble(
                self.l1,
                self.l2,
                deployment,
                self.accounts,
                None,
                drawbridge_devnet::SequencerOptions::default(),
            )
            .expect("the sequencer gate starts"),
        )
    }
}

impl TestBed {
    /// Wraps a devnet started some other way (see [`Chains::deploy`]).
    pub fn from_devnet(devnet: Devnet) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let deployment_path = dir.path().join("deployment.json");
        devnet
            .deployment
            .save(&deployment_path)
            .expect("deployment file");
        let l1 = ProviderBuilder::new()
            .connect_http(devnet.l1.endpoint_url())
            .erased();
        let l2 = ProviderBuilder::new()
            .connect_http(devnet.l2.endpoint_url())
            .erased();
        Self {
            devnet,
            dir,
            deployment_path,
            l1,
            l2,
        }
    }
}

/// Advances an anvil chain's clock by `seconds` and mines a block.
pub async fn increase_time(provider: &DynProvider, seconds: u64) {
    provider
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .expect("evm_increaseTime");
    mine(provider).await;
}

/// Makes the next block of an anvil chain carry `timestamp` (it must be later than the latest).
pub async fn set_next_block_timestamp(provider: &DynProvider, timestamp: u64) {
    provider
        .raw_request::<_, serde_json::Value>("evm_setNextBlockTimestamp".into(), (timestamp,))
        .await
        .expect("evm_setNextBlockTimestamp");
}

/// Mines one block.
pub async fn mine(provider: &DynProvider) {
    provider
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");
}

/// The timestamp of the latest block.
pub async fn latest_timestamp(provider: &DynProvider) -> u64 {
    provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("latest block")
        .expect("a latest block")
        .header
        .timestamp
}

/// The `drawbridge-council` binary run in one working directory that holds the members' files,
/// with their passphrase in the environment and nothing else inherited but `PATH`.
pub struct CouncilCli {
    /// Working directory (every relative path of the arguments is inside it).
    pub dir: PathBuf,
    /// Passphrase of every member's secret files (`DRAWBRIDGE_COUNCIL_PASSPHRASE`).
    pub passphrase: String,
}

impl CouncilCli {
    /// A command for the binary; `extra_env` adds variables (e.g. `DRAWBRIDGE_PRIVATE_KEY`).
    pub fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(binary("drawbridge-council"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DRAWBRIDGE_COUNCIL_PASSPHRASE", &self.passphrase)
            .current_dir(&self.dir)
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion.
    pub fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        self.command(args, extra_env)
            .output()
            .expect("drawbridge-council runs")
    }

    /// Runs with `--json`, asserts success and parses standard output.
    pub fn json(&self, args: &[&str], extra_env: &[(&str, &str)]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all, extra_env);
        assert!(
            out.status.success(),
            "drawbridge-council {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "drawbridge-council {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Starts a process with standard output and error captured (`wait_with_output`).
    pub fn spawn(&self, args: &[String]) -> Child {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.command(&args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("drawbridge-council starts")
    }
}

/// A `drawbridge-council coordinator` process (SQLite in the council directory), killed on drop.
pub struct CoordinatorProcess {
    child: Child,
    /// Its base URL.
    pub url: String,
    log: PathBuf,
}

impl CoordinatorProcess {
    /// Starts the coordinator on a free port with the council's `book` and, with `submit`
    /// (`(rpc_url, key)`), submission of every signed action to that chain.
    pub fn spawn(cli: &CouncilCli, book: &str, submit: Option<(&str, &PrivateKeySigner)>) -> Self {
        use std::io::BufRead;
        let log = cli.dir.join("coordinator.log");
        let db = format!(
            "sqlite://{}?mode=rwc",
            cli.dir.join("coordinator.sqlite").display()
        );
        let mut args = vec![
            "coordinator",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--address-book",
            book,
        ];
        let key;
        let mut env = vec![("RUST_LOG", "info"), ("NO_COLOR", "1")];
        if let Some((rpc, signer)) = submit {
            args.extend(["--rpc-url", rpc]);
            key = key_hex(signer);
            env.push(("DRAWBRIDGE_PRIVATE_KEY", &key));
        }
        let log_file = std::fs::File::create(&log).expect("coordinator log");
        let mut child = cli
            .command(&args, &env)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("coordinator starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("coordinator prints its address");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("coordinator start line {line:?}: {}", read_log(&log)));
        let url = format!("http://{addr}");
        Self { child, url, log }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Censorship and escape (issue 4): the devnet's own relayer, whose L1 message delivery
/// `Devnet::stop_l1_messages` switches off; providers through the sequencer gate, where
/// `Devnet::censor` applies; and the `drawbridge-exit-prover` binary.
impl TestBed {
    /// Starts the devnet's supervised relayer process (`Devnet::start_relayer`, the real binary)
    /// on `devnet-relayer.sqlite` in the scratch directory, polling every 300 ms.
    pub fn start_devnet_relayer(&self) {
        self.devnet
            .start_relayer(drawbridge_devnet::sequencer::RelayerOptions {
                binary: binary("drawbridge-relayer"),
                deployment_file: self.dir.path().join("devnet-relayer-deployment.json"),
                database_url: format!(
                    "sqlite://{}?mode=rwc",
                    self.dir.path().join("devnet-relayer.sqlite").display()
                ),
                log: self.dir.path().join("devnet-relayer.log"),
                extra_args: vec!["--poll-interval".into(), "300ms".into()],
            })
            .expect("the devnet relayer starts");
    }

    /// The devnet relayer's log so far (for assertion messages).
    pub fn devnet_relayer_log(&self) -> String {
        read_log(&self.dir.path().join("devnet-relayer.log"))
    }

    /// An L2 provider that signs as `signer` and talks to the public L2 endpoint (the sequencer
    /// gate, where censorship applies), as users and the CLI do.
    pub fn l2_via_sequencer(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(
                self.devnet
                    .l2_rpc_url()
                    .parse()
                    .expect("the gate's URL parses"),
            )
            .erased()
    }

    /// Runs the `drawbridge-exit-prover` binary on this devnet's deployment file, signing as
    /// `signer` (if any).
    pub fn exit_prover(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> Output {
        let mut cmd = Command::new(binary("drawbridge-exit-prover"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DRAWBRIDGE_DEPLOYMENT", &self.deployment_path)
            .env("NO_COLOR", "1")
            .args(args)
            .stdin(Stdio::null());
        if let Some(signer) = signer {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(signer));
        }
        cmd.output().expect("drawbridge-exit-prover runs")
    }

    /// Runs the exit prover with `--json`, asserts success and parses the output.
    pub fn exit_prover_json(
        &self,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
    ) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.exit_prover(signer, &all);
        assert!(
            out.status.success(),
            "drawbridge-exit-prover {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "drawbridge-exit-prover {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs the exit prover, asserts it fails with `expected` in its error; returns the error.
    pub fn exit_prover_fails(
        &self,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
        expected: &str,
    ) -> String {
        let out = self.exit_prover(signer, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "drawbridge-exit-prover {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.contains(expected),
            "drawbridge-exit-prover {args:?}: expected {expected:?} in {stderr}"
        );
        stderr
    }

    /// Timestamp of the latest L1 block (the clock freeze deadlines run on).
    pub async fn l1_time(&self) -> u64 {
        self.l1
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("latest L1 block")
            .expect("a latest L1 block")
            .header
            .timestamp
    }
}

/// The custom error a contract call reverted with, decoded with the contract's error interface `E`
/// (e.g. `IOutputOracle::IOutputOracleErrors`) and printed with `Debug`
/// (`MessageRootMismatch(MessageRootMismatch { .. })`); the raw error when it does not decode.
pub fn revert_name<E: alloy::sol_types::SolInterface + std::fmt::Debug>(
    error: &alloy::contract::Error,
) -> String {
    match error.as_decoded_interface_error::<E>() {
        Some(decoded) => format!("{decoded:?}"),
        None => format!("undecoded revert: {error}"),
    }
}

/// What a mined transaction cost its sender (`gasUsed * effectiveGasPrice`), so that a test can
/// account for every wei an account's balance moved by.
pub async fn tx_fee(provider: &DynProvider, tx: alloy::primitives::B256) -> U256 {
    let receipt = provider
        .get_transaction_receipt(tx)
        .await
        .expect("receipt")
        .expect("a mined transaction");
    U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
}

/// Forged L1 messages (issue 9): the L1 message tree as L1 hashes it, every output ever proposed,
/// and raw balance proofs at any L2 block.
impl TestBed {
    /// Every L1 message so far, rebuilt from `MessageSent` logs in nonce order; each one's leaf
    /// (computed with the `merkle` crate) is checked against the leaf L1 emitted.
    pub async fn l1_messages(&self) -> Vec<drawbridge_merkle::L1Message> {
        use alloy::sol_types::SolEvent;
        let d = &self.devnet.deployment;
        let filter = alloy::rpc::types::Filter::new()
            .address(d.l1.l1_bridge)
            .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
            .from_block(d.l1.deploy_block)
            .to_block(alloy::eips::BlockNumberOrTag::Latest);
        let logs = self.l1.get_logs(&filter).await.expect("MessageSent logs");
        let mut messages = Vec::with_capacity(logs.len());
        for log in logs {
            let e = log
                .log_decode::<IL1Bridge::MessageSent>()
                .expect("a MessageSent log")
                .inner
                .data;
            assert_eq!(e.nonce, messages.len() as u64, "MessageSent logs in order");
            let message = drawbridge_merkle::L1Message {
                kind: drawbridge_merkle::MessageKind::try_from(e.kind).expect("a known kind"),
                nonce: e.nonce,
                sender: e.sender,
                recipient: e.recipient,
                token: e.token,
                amount: e.amount,
                data: e.data,
            };
            assert_eq!(
                message.leaf(d.l1.chain_id, d.l1.l1_bridge),
                e.leaf,
                "the merkle crate hashes message {} as L1 did",
                e.nonce
            );
            messages.push(message);
        }
        messages
    }

    /// Every `OutputProposed` event of the `OutputOracle` since its deployment, deleted outputs
    /// included.
    pub async fn proposed_outputs(
        &self,
    ) -> Vec<drawbridge_bindings::IOutputOracle::OutputProposed> {
        use alloy::sol_types::SolEvent;
        use drawbridge_bindings::IOutputOracle;
        let d = &self.devnet.deployment;
        let filter = alloy::rpc::types::Filter::new()
            .address(d.l1.output_oracle)
            .event_signature(IOutputOracle::OutputProposed::SIGNATURE_HASH)
            .from_block(d.l1.deploy_block)
            .to_block(alloy::eips::BlockNumberOrTag::Latest);
        self.l1
            .get_logs(&filter)
            .await
            .expect("OutputProposed logs")
            .iter()
            .map(|log| {
                log.log_decode::<IOutputOracle::OutputProposed>()
                    .expect("an OutputProposed log")
                    .inner
                    .data
            })
            .collect()
    }

    /// `eth_getProof` of `account`'s balance of the bridged `l1_token` at L2 block `block` (the
    /// slot `keccak256(abi.encode(account, 0))` of OpenZeppelin's `_balances`): the account proof
    /// of the token contract, the storage proof of the slot, and the balance the node answered.
    pub async fn l2_balance_proof(
        &self,
        l1_token: Address,
        account: Address,
        block: u64,
    ) -> (
        Vec<alloy::primitives::Bytes>,
        Vec<alloy::primitives::Bytes>,
        U256,
    ) {
        use alloy::sol_types::SolValue;
        let token = IL2Bridge::new(self.devnet.deployment.l2.l2_bridge, &self.l2)
            .bridgedToken(l1_token)
            .call()
            .await
            .expect("bridgedToken");
        let slot = alloy::primitives::keccak256((account, U256::ZERO).abi_encode());
        let response = self
            .l2
            .get_proof(token, vec![slot])
            .block_id(block.into())
            .await
            .expect("eth_getProof");
        let storage = response
            .storage_proof
            .into_iter()
            .next()
            .expect("a storage proof");
        (response.account_proof, storage.proof, storage.value)
    }
}

impl TestBed {
    /// [`TestBed::start_devnet_relayer`] with the relayer's HTTP API (`/health`, `/metrics`, ...)
    /// on a free local port; returns the API's base URL (`http://127.0.0.1:PORT`).
    pub fn start_devnet_relayer_with_api(&self) -> String {
        let listen = free_listen_address();
        self.devnet
            .start_relayer(drawbridge_devnet::sequencer::RelayerOptions {
                binary: binary("drawbridge-relayer"),
                deployment_file: self.dir.path().join("devnet-relayer-deployment.json"),
                database_url: format!(
                    "sqlite://{}?mode=rwc",
                    self.dir.path().join("devnet-relayer.sqlite").display()
                ),
                log: self.dir.path().join("devnet-relayer.log"),
                extra_args: vec![
                    "--poll-interval".into(),
                    "300ms".into(),
                    "--api-listen".into(),
                    listen.clone(),
                ],
            })
            .expect("the devnet relayer starts");
        format!("http://{listen}")
    }
}

/// `127.0.0.1:PORT` with a port that was free a moment ago (bound and released), for a process's
/// `--api-listen`.
pub fn free_listen_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port();
    format!("127.0.0.1:{port}")
}

/// A plain HTTP/1.0 GET of `path` on `base` (`http://HOST:PORT`, no TLS): the status code and the
/// body, or `None` while nothing answers there (e.g. a relayer API still starting).
pub async fn http_get(base: &str, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.strip_prefix("http://").expect("an http:// URL");
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .ok()?
        .ok()?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}
