//! Shared helpers of the CLI's end-to-end tests: a devnet with its deployment file, the real
//! `drawbridge` binary, and the relayer's steps done by hand (the CLI must work without a relayer).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{BlockNumberOrTag, Filter};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_devnet::{Devnet, DevnetOptions};
use drawbridge_merkle::{L1Message, MerkleTree, MessageKind};

alloy::sol! {
    #[sol(rpc)]
    interface ITestToken {
        function mint(address to, uint256 amount) external;
        function decimals() external view returns (uint8);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
    }
}

/// A devnet plus the deployment file the CLI reads.
pub struct Env {
    pub devnet: Devnet,
    pub dir: tempfile::TempDir,
    pub deployment: PathBuf,
}

impl Env {
    pub async fn start() -> Self {
        let devnet = Devnet::start(DevnetOptions::default())
            .await
            .expect("devnet starts");
        let dir = tempfile::tempdir().unwrap();
        let deployment = dir.path().join("deployment.json");
        devnet.deployment.save(&deployment).unwrap();
        Self {
            devnet,
            dir,
            deployment,
        }
    }

    pub fn user(&self, i: usize) -> PrivateKeySigner {
        self.devnet.accounts.users[i].clone()
    }

    pub fn l1(&self, key: &PrivateKeySigner) -> DynProvider {
        provider(&self.devnet.deployment.l1.rpc_url, key)
    }

    pub fn l2(&self, key: &PrivateKeySigner) -> DynProvider {
        provider(&self.devnet.deployment.l2.rpc_url, key)
    }

    /// The binary with the deployment file and no key in its environment.
    pub fn cli(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawbridge"));
        cmd.env_remove("DRAWBRIDGE_PRIVATE_KEY")
            .env_remove("DRAWBRIDGE_KEYSTORE_PASSWORD")
            .env_remove("DRAWBRIDGE_DEPLOYMENT")
            .arg("--deployment")
            .arg(&self.deployment);
        cmd
    }

    /// Runs the binary as `key` (None: no key).
    pub fn run(&self, key: Option<&PrivateKeySigner>, args: &[&str]) -> Run {
        let mut cmd = self.cli();
        if let Some(k) = key {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(k));
        }
        Run::of(cmd.args(args).output().expect("the binary runs"), args)
    }

    pub async fn escrow(&self, token: Address) -> U256 {
        let p = self.l1(&self.user(0));
        IL1Bridge::new(self.devnet.deployment.l1.l1_bridge, &p)
            .escrowed(token)
            .call()
            .await
            .unwrap()
    }

    pub async fn l1_nonce(&self, who: Address) -> u64 {
        self.l1(&self.user(0))
            .get_transaction_count(who)
            .await
            .unwrap()
    }

    pub async fn l2_nonce(&self, who: Address) -> u64 {
        self.l2(&self.user(0))
            .get_transaction_count(who)
            .await
            .unwrap()
    }

    /// Mints test tokens to `to` on L1.
    pub async fn mint(&self, to: Address, amount: U256) {
        let p = self.l1(&self.user(5));
        ITestToken::new(self.devnet.test_token(), &p)
            .mint(to, amount)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
    }

    pub async fn token_decimals(&self) -> u8 {
        let p = self.l1(&self.user(0));
        ITestToken::new(self.devnet.test_token(), &p)
            .decimals()
            .call()
            .await
            .unwrap()
    }

    /// The relayer's job, by hand: commit the L1 message root, publish it to L2, relay every
    /// message not yet processed.
    pub async fn relay_all(&self) {
        let relayer = self.devnet.accounts.relayer.clone();
        let d = &self.devnet.deployment;
        let l1 = self.l1(&relayer);
        let l2 = self.l2(&relayer);
        let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1);
        bridge
            .commitMessageRoot()
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        let committed = bridge.lastCommittedRoot().call().await.unwrap();
        let oracle = IL1RootOracle::new(d.l2.root_oracle, &l2);
        if oracle.rootCount(committed.root).call().await.unwrap() == 0 {
            oracle
                .publishRoot(committed.root, committed.count)
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
        }
        // Rebuild the message tree from L1 events.
        let head = l1.get_block_number().await.unwrap();
        let filter = Filter::new()
            .address(d.l1.l1_bridge)
            .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
            .from_block(d.l1.deploy_block)
            .to_block(head);
        let mut messages = Vec::new();
        for log in l1.get_logs(&filter).await.unwrap() {
            let e = log
                .log_decode::<IL1Bridge::MessageSent>()
                .unwrap()
                .inner
                .data;
            let m = L1Message {
                kind: MessageKind::try_from(e.kind).unwrap(),
                nonce: e.nonce,
                sender: e.sender,
                recipient: e.recipient,
                token: e.token,
                amount: e.amount,
                data: e.data.clone(),
            };
            assert_eq!(m.leaf(d.l1.chain_id, d.l1.l1_bridge), e.leaf);
            messages.push(m);
        }
        let count = committed.count;
        let tree = MerkleTree::from_leaves(
            messages[..count as usize]
                .iter()
                .map(|m| m.leaf(d.l1.chain_id, d.l1.l1_bridge)),
        )
        .unwrap();
        assert_eq!(tree.root_at(count).unwrap(), committed.root);
        let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
        let processed = l2_bridge.l1MessagesProcessed().call().await.unwrap();
        if processed >= count {
            return;
        }
        let batch: Vec<IL2Bridge::L1Message> = messages[processed as usize..count as usize]
            .iter()
            .map(|m| IL2Bridge::L1Message {
                kind: m.kind.as_u8(),
                nonce: m.nonce,
                sender: m.sender,
                recipient: m.recipient,
                token: m.token,
                amount: m.amount,
                data: m.data.clone(),
            })
            .collect();
        let proofs: Vec<Vec<B256>> = (processed..count)
            .map(|i| tree.proof(i, count).unwrap())
            .collect();
        let receipt = l2_bridge
            .relayMessages(batch, committed.root, proofs)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
    }

    /// Proposes an output at the current L2 head as the devnet's proposer; returns its index.
    pub async fn propose_output(&self) -> u64 {
        self.propose_output_with_root(None).await
    }

    /// Like [`Env::propose_output`], with a withdrawal root of the test's choosing (a lie).
    pub async fn propose_output_with_root(&self, fake_root: Option<B256>) -> u64 {
        let relayer = self.devnet.accounts.relayer.clone();
        let d = &self.devnet.deployment;
        let l1 = self.l1(&relayer);
        let l2 = self.l2(&relayer);
        let block = l2
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap();
        let number = block.header.number;
        let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
        let root = l2_bridge
            .withdrawalRoot()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let processed = l2_bridge
            .l1MessagesProcessed()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let message_root = l2_bridge
            .l1MessageRoot()
            .call()
            .block(number.into())
            .await
            .unwrap();
        let root = fake_root.unwrap_or(root);
        let oracle = IOutputOracle::new(d.l1.output_oracle, &l1);
        let bond = oracle.proposerBond().call().await.unwrap();
        let receipt = oracle
            .propose(
                number,
                block.header.hash,
                block.header.state_root,
                root,
                processed,
                message_root,
            )
            .value(bond)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        let log = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<IOutputOracle::OutputProposed>().ok())
            .unwrap();
        log.inner.data.index.to::<u64>()
    }
}

pub fn provider(url: &str, key: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
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
            "`drawbridge {}` failed:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    pub fn failure(self) -> Self {
        assert!(
            !self.ok,
            "`drawbridge {}` should fail:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`drawbridge {}` printed no JSON ({e}):\n{}\nstderr: {}",
                self.args, self.stdout, self.stderr
            )
        })
    }
}

/// Polls `check` until it returns Some, failing after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub fn ether(s: &str) -> U256 {
    alloy::primitives::utils::parse_ether(s).unwrap()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
