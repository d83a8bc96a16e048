//! Shared helpers of the CLI's end-to-end tests: a devnet with its deployment file, the real
//! `drawbridge` binary, and the relayer's steps done by hand (the CLI must work without a relayer).
#![allow(dead_code, unused_imports)]

use std::ops::Deref;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, TestToken};
pub use drawbridge_testkit::{Mined, Run, TestBed, ether, key_hex, provider};

/// The workspace's [`TestBed`] (a devnet and the deployment file the CLI reads) with what the
/// CLI's tests add: the binary with a clean environment, nonces, escrow.
pub struct CliBed(TestBed);

impl Deref for CliBed {
    type Target = TestBed;

    fn deref(&self) -> &TestBed {
        &self.0
    }
}

impl CliBed {
    pub async fn start() -> Self {
        Self(TestBed::start().await)
    }

    pub fn user(&self, i: usize) -> PrivateKeySigner {
        self.devnet.accounts.users[i].clone()
    }

    pub fn l1(&self, key: &PrivateKeySigner) -> DynProvider {
        self.l1_as(key)
    }

    pub fn l2(&self, key: &PrivateKeySigner) -> DynProvider {
        self.l2_as(key)
    }

    /// The binary with the deployment file and no key in its environment.
    pub fn cli(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drawbridge"));
        cmd.env_remove("DRAWBRIDGE_PRIVATE_KEY")
            .env_remove("DRAWBRIDGE_KEYSTORE_PASSWORD")
            .env_remove("DRAWBRIDGE_DEPLOYMENT")
            .arg("--deployment")
            .arg(&self.deployment_path);
        cmd
    }

    /// Runs the binary as `key` (None: no key).
    pub fn run(&self, key: Option<&PrivateKeySigner>, args: &[&str]) -> Run {
        let mut cmd = self.cli();
        if let Some(k) = key {
            cmd.env("DRAWBRIDGE_PRIVATE_KEY", key_hex(k));
        }
        Run::of(
            "drawbridge",
            cmd.args(args).output().expect("the binary runs"),
            args,
        )
    }

    /// `drawbridge --json status <args>` (no key), which must succeed, as JSON.
    pub fn status_json(&self, args: &[&str]) -> serde_json::Value {
        let args: Vec<&str> = ["--json", "status"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        self.run(None, &args).success().json()
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

    pub async fn token_decimals(&self) -> u8 {
        let p = self.l1(&self.user(0));
        TestToken::new(self.devnet.test_token(), &p)
            .decimals()
            .call()
            .await
            .unwrap()
    }
}

/// Polls `check` until it returns Some, failing after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    drawbridge_testkit::wait_for(what, timeout, check).await
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts that `text` contains `needle`, printing `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "{text}");
}
