//! [`TestBed`]: a running devnet (both anvil chains, the contracts, the council) with its
//! deployment file in a scratch directory, providers for any key, and reads of balances and
//! bridge state; [`Chains`]: the two chains before anything is deployed.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::TestToken;
use drawbridge_devnet::{Devnet, DevnetOptions};

use crate::binaries::{RelayerProcess, Run, binary, free_listen_address, key_hex};
use crate::chain::provider;
use crate::reads;

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
        provider(&self.devnet.l1.endpoint(), signer)
    }

    /// An L2 provider that signs as `signer`.
    pub fn l2_as(&self, signer: &PrivateKeySigner) -> DynProvider {
        provider(&self.devnet.l2.endpoint(), signer)
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

    /// Runs the workspace binary `name` on this devnet's deployment file (`DRAWBRIDGE_DEPLOYMENT`),
    /// signing as `signer` (if any), with nothing else inherited but `PATH`.
    pub fn run_binary(
        &self,
        name: &str,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
    ) -> Output {
        let mut cmd = Command::new(binary(name));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DRAWBRIDGE_DEPLOYMENT", &self.deployment_path)
            .env("NO_COLOR", "1")
            .args(args)
            .stdin(Stdio::null());
        if let Some(signer) = signer {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(signer));
        }
        cmd.output().unwrap_or_else(|e| panic!("{name} runs: {e}"))
    }

    /// [`TestBed::run_binary`] with `--json`: asserts success and parses standard output.
    pub fn binary_json(
        &self,
        name: &str,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
    ) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        Run::of(name, self.run_binary(name, signer, &all), &all)
            .success()
            .json()
    }

    /// Runs the `drawbridge` CLI signing as `signer` (if any).
    pub fn cli(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> Output {
        self.run_binary("drawbridge", signer, args)
    }

    /// Runs the CLI with `--json`, asserts success and parses the output.
    pub fn cli_json(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> serde_json::Value {
        self.binary_json("drawbridge", signer, args)
    }

    /// `drawbridge withdraw --token <token> --amount <amount> --to <to>` as `signer` (see
    /// [`TestBed::cli_json`]).
    pub fn cli_withdraw(
        &self,
        signer: &PrivateKeySigner,
        token: &str,
        amount: &str,
        to: &str,
    ) -> serde_json::Value {
        let args = ["withdraw", "--token", token, "--amount", amount, "--to", to];
        self.cli_json(Some(signer), &args)
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
        RelayerProcess::spawn(
            &self.deployment_path,
            self.dir.path(),
            signer,
            db_name,
            extra_args,
        )
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
        reads::l2_balance(&self.devnet, l1_token, account).await
    }

    /// L1 balance: ETH for `Address::ZERO`, otherwise the ERC-20.
    pub async fn l1_balance(&self, token: Address, account: Address) -> U256 {
        reads::l1_balance(&self.devnet, token, account).await
    }

    /// L1 messages processed on L2.
    pub async fn processed(&self) -> u64 {
        reads::processed(&self.devnet).await
    }

    /// Whether the withdrawal `nonce` is paid on L1.
    pub async fn is_finalized(&self, nonce: u64) -> bool {
        reads::is_finalized(&self.devnet, nonce).await
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
    /// Starts L1 and L2 (automine, free ports; see [`crate::chain::spawn_anvil`]).
    pub fn start() -> Self {
        let l1 = crate::chain::spawn_anvil(drawbridge_devnet::L1_CHAIN_ID);
        let l2 = crate::chain::spawn_anvil(drawbridge_devnet::L2_CHAIN_ID);
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
