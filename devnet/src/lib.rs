//! A Drawbridge devnet: two `anvil` chains with distinct chain ids and the whole bridge deployed
//! on them with devnet parameters. The `drawbridge-devnet` binary runs one for people; the
//! end-to-end tests start one per test on free ports.

use std::path::{Path, PathBuf};

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use drawbridge_deployment::{
    DeployRequest, Deployment, DeploymentError, Params, Preset, Roles, deploy,
};

/// Devnet L1 chain id.
pub const L1_CHAIN_ID: u64 = 900;
/// Devnet L2 chain id.
pub const L2_CHAIN_ID: u64 = 901;

/// What can fail while starting a devnet.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// `tools/bin/anvil` is missing: the toolchain was not bootstrapped.
    #[error("anvil not found at {0}: run `bash tools/bootstrap.sh` first")]
    AnvilMissing(PathBuf),
    /// anvil did not start.
    #[error("starting anvil for {chain}: {message}")]
    Anvil {
        /// Which chain.
        chain: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Deployment failed.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
}

/// How to start a devnet.
#[derive(Debug, Clone)]
pub struct DevnetOptions {
    /// L1 port; `None` lets anvil pick a free one.
    pub l1_port: Option<u16>,
    /// L2 port; `None` lets anvil pick a free one.
    pub l2_port: Option<u16>,
    /// Seconds between blocks on both chains.
    pub block_time: u64,
    /// Protocol parameters.
    pub params: Params,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        Self {
            l1_port: None,
            l2_port: None,
            block_time: 1,
            params: Params::preset(Preset::Devnet),
        }
    }
}

/// The funded accounts of a devnet and the role each plays. They come from anvil's well-known
/// test mnemonic, identical on both chains: never use them anywhere else.
#[derive(Debug, Clone)]
pub struct DevnetAccounts {
    /// Deploys and holds `governance` (the upgrade admin) until a council timelock takes over.
    pub deployer: PrivateKeySigner,
    /// Plays the security council: pauses and resolves disputes.
    pub council: PrivateKeySigner,
    /// The relayer's key: designated proposer and L1 root publisher (sequencer).
    pub relayer: PrivateKeySigner,
    /// A spare funded key for a watchdog or challenger.
    pub challenger: PrivateKeySigner,
    /// Ordinary users.
    pub users: Vec<PrivateKeySigner>,
}

/// A running devnet; dropping it stops both chains.
#[derive(Debug)]
pub struct Devnet {
    /// The L1 chain.
    pub l1: AnvilInstance,
    /// The L2 chain.
    pub l2: AnvilInstance,
    /// What was deployed where.
    pub deployment: Deployment,
    /// Funded keys and their roles.
    pub accounts: DevnetAccounts,
}

/// The repository root (where `tools/` lives).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("devnet/ sits in the repository root")
        .to_path_buf()
}

/// The anvil binary the bootstrap installs: `$DRAWBRIDGE_ANVIL`, else `tools/bin/anvil` in the
/// first ancestor of the running executable that has one (binaries and tests live under
/// `target/`), else the one beside this crate's sources.
pub fn anvil_path() -> PathBuf {
    if let Some(path) = std::env::var_os("DRAWBRIDGE_ANVIL") {
        return PathBuf::from(path);
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .map(|dir| dir.join("tools/bin/anvil"))
            .find(|candidate| candidate.exists())
    });
    from_exe.unwrap_or_else(|| repo_root().join("tools/bin/anvil"))
}

fn start_anvil(
    chain: &'static str,
    chain_id: u64,
    port: Option<u16>,
    block_time: u64,
) -> Result<AnvilInstance, DevnetError> {
    let path = anvil_path();
    if !path.exists() {
        return Err(DevnetError::AnvilMissing(path));
    }
    let mut anvil = Anvil::at(path).chain_id(chain_id).block_time(block_time);
    if let Some(port) = port {
        anvil = anvil.port(port);
    }
    anvil.try_spawn().map_err(|e| DevnetError::Anvil {
        chain,
        message: e.to_string(),
    })
}

fn key(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from(
        anvil
            .nth_key(index)
            .expect("anvil starts with ten funded keys")
            .clone(),
    )
}

impl Devnet {
    /// Starts both chains and deploys the bridge on them.
    pub async fn start(options: DevnetOptions) -> Result<Self, DevnetError> {
        let l1 = start_anvil("L1", L1_CHAIN_ID, options.l1_port, options.block_time)?;
        let l2 = start_anvil("L2", L2_CHAIN_ID, options.l2_port, options.block_time)?;
        let accounts = DevnetAccounts {
            deployer: key(&l1, 0),
            council: key(&l1, 1),
            relayer: key(&l1, 2),
            challenger: key(&l1, 3),
            users: (4..10).map(|i| key(&l1, i)).collect(),
        };
        let roles = Roles {
            governance: accounts.deployer.address(),
            council: accounts.council.address(),
            proposer: accounts.relayer.address(),
            root_publisher: accounts.relayer.address(),
        };
        let deployment = deploy(&DeployRequest {
            l1_rpc_url: l1.endpoint(),
            l2_rpc_url: l2.endpoint(),
            deployer: accounts.deployer.clone(),
            roles,
            params: options.params,
            with_test_token: true,
        })
        .await?;
        Ok(Self {
            l1,
            l2,
            deployment,
            accounts,
        })
    }

    /// The devnet's test token on L1.
    pub fn test_token(&self) -> Address {
        self.deployment
            .l1
            .test_token
            .expect("the devnet always deploys a test token")
    }
}
