//! A Drawbridge devnet: two `anvil` chains with distinct chain ids and the whole bridge deployed
//! on them with devnet parameters, governed by a security council: a FROST group of
//! `council_threshold` of `council_size` members (9 of 12 in the devnet preset) from the council
//! crate's trusted dealer, with a `SecurityCouncil` on each chain. The `drawbridge-devnet` binary
//! runs one for people and writes the members' files for the council CLI; the end-to-end tests
//! start one per test on free ports and sign council actions in process
//! ([`DevnetCouncil::sign`], [`Devnet::council_pause`]).
//!
//! The devnet knows no action kind or encoding of its own: its council actions are built,
//! signed over their digest and submitted with the council crate's types
//! ([`drawbridge_council::action::ActionSpec`], [`drawbridge_council::chain::submit`]), exactly
//! as the `drawbridge-council action`, `member sign` and `submit` commands do.
//!
//! The L2 endpoint users talk to is a sequencer gate ([`sequencer`]) in front of the L2 anvil, so
//! censorship can be switched on: [`Devnet::censor`] makes the sequencer ignore an address's L2
//! transactions, [`Devnet::stop_l1_messages`] restarts the devnet's relayer
//! ([`Devnet::start_relayer`]) without its `deliver` role.
//!
//! It is for local runs and tests only: its keys are anvil's well-known keys, so nothing here may
//! be pointed at a real network.
//!
//! It is for local runs and tests only: its keys are anvil's well-known keys, so nothing here may
//! be pointed at a real network.

pub mod sequencer;

use std::path::{Path, PathBuf};

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::SecurityCouncil;
use drawbridge_council::action::{ActionSettings, ActionSpec};
use drawbridge_council::contract::SignatureExport;
use drawbridge_council::files::{self, PublicFile, Secrets};
use drawbridge_council::keystore::KdfParams;
use drawbridge_council::signing::{self, GroupKeys};
use drawbridge_council::{CouncilError, chain};
use drawbridge_deployment::{
    CouncilKey, DeployRequest, Deployment, DeploymentError, Params, Preset, Roles, deploy,
};
use rand_core::OsRng;

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
    /// Generating, writing, reading or signing with the council's keys failed.
    #[error("council: {0}")]
    Council(#[from] CouncilError),
    /// A call or transaction of a council action failed.
    #[error("{step}: {message}")]
    Chain {
        /// What was being done.
        step: &'static str,
        /// What the node answered.
        message: String,
    },
    /// The devnet was started with plain accounts as governance: there is no council.
    #[error("this devnet has no council (started with Governance::Accounts)")]
    NoCouncil,
    /// The sequencer gate or the devnet's relayer process failed, or a switch was refused.
    #[error("sequencer: {0}")]
    Sequencer(String),
}

/// Who governs the devnet's contracts ([`DevnetOptions::default`]: a council, no files).
#[derive(Debug, Clone)]
pub enum Governance {
    /// A FROST council from the trusted dealer (`council_threshold` of `council_size` members of
    /// the parameters): a `SecurityCouncil` on each chain with its group key is the upgrade admin of
    /// every proxy, the L1 one also the bridge's pauser and the OutputOracle's council. The keys
    /// stay in memory ([`Devnet::council`]) and, with `files`, are also written for the council CLI.
    Council {
        /// Where to write the members' files, if anywhere.
        files: Option<CouncilFiles>,
    },
    /// Plain accounts: [`DevnetAccounts::deployer`] upgrades, [`DevnetAccounts::council`] pauses
    /// and resolves disputes.
    Accounts,
}

/// Where and under which passphrase the devnet writes its council's files.
#[derive(Debug, Clone)]
pub struct CouncilFiles {
    /// Directory (created): see [`write_council_files`] for its layout.
    pub dir: PathBuf,
    /// Passphrase every secret file is encrypted under (a devnet's keys are not secret: it is
    /// printed and written to `dir/passphrase`).
    pub passphrase: String,
}

/// Argon2id cost of the devnet's key files: cheap (8 MiB, one pass), since the passphrase is
/// printed anyway; members' real keys use the council crate's default.
pub const DEVNET_KDF: KdfParams = KdfParams {
    memory_kib: 8 * 1024,
    iterations: 1,
    parallelism: 1,
};

/// The devnet's security council: its keys and its two contracts.
#[derive(Debug, Clone)]
pub struct DevnetCouncil {
    /// Every member's key package (ids `1..=n`) and the public key package.
    pub keys: GroupKeys,
    /// The L1 `SecurityCouncil` proxy.
    pub l1: Address,
    /// The L2 `SecurityCouncil` proxy.
    pub l2: Address,
    /// Where the members' files were written, if they were.
    pub dir: Option<PathBuf>,
}

impl DevnetCouncil {
    /// The group key as the contracts store it.
    pub fn key(&self) -> Result<CouncilKey, DevnetError> {
        council_key(&self.keys)
    }

    /// The threshold `t`.
    pub fn threshold(&self) -> u16 {
        *self
            .keys
            .key_packages
            .values()
            .next()
            .expect("a council has members")
            .min_signers()
    }

    /// A signing ceremony in this process by the members `signers` over `digest` (an action's
    /// EIP-712 digest), with the council crate's signing functions. Fewer than `t` signers are
    /// refused by FROST.
    pub fn sign(&self, signers: &[u16], digest: B256) -> Result<SignatureExport, DevnetError> {
        let signature =
            signing::sign_in_memory(&self.keys, signers, digest.as_slice(), &mut OsRng)?;
        Ok(SignatureExport::from_signature(&signature)?)
    }
}

/// Maps a contract call's error to [`DevnetError::Chain`] at `step`.
fn contract_step(step: &'static str) -> impl Fn(alloy::contract::Error) -> DevnetError {
    move |e| DevnetError::Chain {
        step,
        message: e.to_string(),
    }
}

/// A signature in the contract's ABI form (the council crate's encoding).
pub use drawbridge_council::action::encode::contract_signature;

fn council_key(keys: &GroupKeys) -> Result<CouncilKey, DevnetError> {
    let export = keys.export()?;
    Ok(CouncilKey {
        x: U256::from_be_bytes(export.0.x),
        y: U256::from_be_bytes(export.0.y),
    })
}

/// Generates a `threshold`-of-`members` council with the council crate's trusted dealer and writes
/// it in the council crate's file formats, so that the `drawbridge-council` CLI works on it as is
/// (`--passphrase-file <dir>/passphrase`):
///
/// | file | written by | what |
/// |---|---|---|
/// | `passphrase` | here | the passphrase of every secret file below |
/// | `identity-<id>.json` | `files::new_identity` | member `<id>`'s Ed25519/X25519 identity, encrypted |
/// | `members/<id>.json` | `files::new_identity` | its public address-book entry |
/// | `book.json` | `files::address_book` | the address book of all members |
/// | `key-<id>.json` | `files::dealer` | member `<id>`'s FROST key package, encrypted |
/// | `public.json` | `files::dealer` | group key (`groupKey.x`, `.y`, `.compressed`), threshold, public key package |
///
/// Returns the keys read back from those files (so what the devnet deploys with is what was
/// written).
pub fn write_council_files(
    threshold: u16,
    members: u16,
    files: &CouncilFiles,
) -> Result<GroupKeys, DevnetError> {
    let dir = &files.dir;
    let io = CouncilError::io;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let passphrase_path = dir.join("passphrase");
    std::fs::write(&passphrase_path, format!("{}\n", files.passphrase))
        .map_err(io(&passphrase_path))?;
    let secrets = Secrets {
        passphrase: &files.passphrase,
        params: DEVNET_KDF,
    };
    let mut entries = Vec::new();
    for id in 1..=members {
        let entry = dir.join("members").join(format!("{id}.json"));
        files::new_identity(
            id,
            &format!("member-{id}"),
            &secrets,
            &dir.join(format!("identity-{id}.json")),
            &entry,
            &mut OsRng,
        )?;
        entries.push(entry);
    }
    files::address_book(&entries, &dir.join("book.json"))?;
    files::dealer(threshold, members, &secrets, dir, &mut OsRng)?;
    read_council_files(dir, &files.passphrase)
}

/// Reads the key packages and the public key package [`write_council_files`] wrote.
pub fn read_council_files(dir: &Path, passphrase: &str) -> Result<GroupKeys, DevnetError> {
    let public: PublicFile = files::read_json(&dir.join("public.json"))?;
    let public = public.package()?;
    let secrets = Secrets {
        passphrase,
        params: DEVNET_KDF,
    };
    let mut key_packages = std::collections::BTreeMap::new();
    for identifier in public.verifying_shares().keys() {
        let id = signing::member_id(identifier).ok_or_else(|| {
            CouncilError::Encoding("public.json has a member id that is not a u16".into())
        })?;
        let key_package = secrets.key_package(&dir.join(format!("key-{id}.json")))?;
        if key_package.verifying_key() != public.verifying_key() {
            return Err(CouncilError::Encoding(format!(
                "key-{id}.json is for another group key than public.json"
            ))
            .into());
        }
        key_packages.insert(id, key_package);
    }
    Ok(GroupKeys {
        key_packages,
        public,
    })
}

/// How to start a devnet.
#[derive(Debug, Clone)]
pub struct DevnetOptions {
    /// L1 port; `None` lets anvil pick a free one.
    pub l1_port: Option<u16>,
    /// Port of the public L2 endpoint (the sequencer gate; the L2 anvil itself listens on a free
    /// port); `None` picks a free one.
    pub l2_port: Option<u16>,
    /// Seconds between blocks on both chains.
    pub block_time: u64,
    /// Protocol parameters (the council's size and threshold included).
    pub params: Params,
    /// Who governs: a generated council (the default) or plain accounts.
    pub governance: Governance,
    /// Addresses the sequencer censors from the start (see [`Devnet::censor`]).
    pub censor: Vec<Address>,
    /// Start with L1 messages stopped: the devnet's relayer runs without `deliver` (see
    /// [`Devnet::stop_l1_messages`]).
    pub stop_l1_messages: bool,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        Self {
            l1_port: None,
            l2_port: None,
            block_time: 1,
            params: Params::preset(Preset::Devnet),
            governance: Governance::Council { files: None },
            censor: Vec::new(),
            stop_l1_messages: false,
        }
    }
}

/// The sequencer's settings for [`Devnet::assemble`] (the same fields as in [`DevnetOptions`]).
#[derive(Debug, Clone, Default)]
pub struct SequencerOptions {
    /// Port of the gate, the public L2 endpoint (`None`: a free one).
    pub l2_port: Option<u16>,
    /// Addresses censored from the start.
    pub censor: Vec<Address>,
    /// Start with L1 messages stopped.
    pub stop_l1_messages: bool,
}

/// The funded accounts of a devnet and the role each plays. They come from anvil's well-known
/// test mnemonic, identical on both chains: never use them anywhere else.
#[derive(Debug, Clone)]
pub struct DevnetAccounts {
    /// Deploys; holds `governance` (the upgrade admin) with [`Governance::Accounts`].
    pub deployer: PrivateKeySigner,
    /// Plays the security council (pauses, resolves disputes) with [`Governance::Accounts`];
    /// with a council it holds no role and is a funded account that submits council actions.
    pub council: PrivateKeySigner,
    /// The relayer's key: designated proposer and L1 root publisher (sequencer).
    pub relayer: PrivateKeySigner,
    /// A spare funded key for a watchdog or challenger.
    pub challenger: PrivateKeySigner,
    /// Ordinary users.
    pub users: Vec<PrivateKeySigner>,
}

/// A running devnet; dropping it stops the relayer, the sequencer gate and both chains.
#[derive(Debug)]
pub struct Devnet {
    /// The sequencer gate (the public L2 endpoint) and the relayer process, if started. First so
    /// that it is dropped first: the relayer stops before the chains it works on.
    pub sequencer: sequencer::Sequencer,
    /// The L1 chain.
    pub l1: AnvilInstance,
    /// The L2 chain.
    pub l2: AnvilInstance,
    /// What was deployed where.
    pub deployment: Deployment,
    /// Funded keys and their roles.
    pub accounts: DevnetAccounts,
    /// The security council, unless started with [`Governance::Accounts`].
    pub council: Option<DevnetCouncil>,
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
        let l2 = start_anvil("L2", L2_CHAIN_ID, None, options.block_time)?;
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
        let params = options.params;
        let council = match &options.governance {
            Governance::Accounts => None,
            Governance::Council { files } => {
                // Refuse bad parameters before generating keys for them.
                params.validate()?;
                let (t, n) = (params.council_threshold, params.council_size);
                Some(match files {
                    Some(files) => (write_council_files(t, n, files)?, Some(files.dir.clone())),
                    None => (signing::trusted_dealer(t, n, &mut OsRng)?, None),
                })
            }
        };
        let council_key = council
            .as_ref()
            .map(|(keys, _)| council_key(keys))
            .transpose()?;
        let deployment = deploy(&DeployRequest {
            l1_rpc_url: l1.endpoint(),
            l2_rpc_url: l2.endpoint(),
            deployer: accounts.deployer.clone(),
            roles,
            council_key,
            params,
            with_test_token: true,
        })
        .await?;
        let council = match (council, deployment.council) {
            (Some((keys, dir)), Some(contracts)) => Some(DevnetCouncil {
                keys,
                l1: contracts.l1,
                l2: contracts.l2,
                dir,
            }),
            _ => None,
        };
        Self::assemble(
            l1,
            l2,
            deployment,
            accounts,
            council,
            SequencerOptions {
                l2_port: options.l2_port,
                censor: options.censor,
                stop_l1_messages: options.stop_l1_messages,
            },
        )
    }

    /// A devnet from chains and a deployment made some other way: starts the sequencer gate in
    /// front of `l2` and makes it the deployment's L2 endpoint.
    pub fn assemble(
        l1: AnvilInstance,
        l2: AnvilInstance,
        mut deployment: Deployment,
        accounts: DevnetAccounts,
        council: Option<DevnetCouncil>,
        options: SequencerOptions,
    ) -> Result<Self, DevnetError> {
        let sequencer = sequencer::Sequencer::start(
            l2.endpoint(),
            options.l2_port,
            accounts.relayer.address(),
            &options.censor,
            options.stop_l1_messages,
        )?;
        deployment.l2.rpc_url = sequencer.url().to_string();
        Ok(Self {
            sequencer,
            l1,
            l2,
            deployment,
            accounts,
            council,
        })
    }

    /// The public L2 endpoint (the sequencer gate), as in the deployment.
    pub fn l2_rpc_url(&self) -> &str {
        &self.deployment.l2.rpc_url
    }

    /// The L2 anvil itself, bypassing the sequencer gate (what the devnet's relayer uses).
    pub fn l2_anvil_url(&self) -> String {
        self.l2.endpoint()
    }

    /// The sequencer ignores `address` from now on: its signed L2 transactions sent to the
    /// public L2 endpoint are answered with their hash and never mined. The relayer's key is
    /// refused. Takes effect at once.
    pub fn censor(&self, address: Address) -> Result<(), DevnetError> {
        self.sequencer.censor(address)
    }

    /// Stops censoring `address`.
    pub fn uncensor(&self, address: Address) {
        self.sequencer.uncensor(address)
    }

    /// Starts the devnet's relayer process ([`sequencer::RelayerOptions`]): writes the deployment
    /// file it reads, runs it on the L2 anvil directly with the default roles (without `deliver`
    /// while L1 messages are stopped), and restarts it on the same database when the switch
    /// changes. It stops (SIGTERM) with the devnet.
    pub fn start_relayer(&self, options: sequencer::RelayerOptions) -> Result<(), DevnetError> {
        self.deployment.save(&options.deployment_file)?;
        self.sequencer.start_relayer(
            options,
            format!(
                "0x{}",
                hex::encode(self.accounts.relayer.to_bytes().as_slice())
            ),
            self.l2.endpoint(),
        )
    }

    /// Stops processing L1 messages: the relayer is restarted without `deliver`, so deposits
    /// and forced withdrawals are neither published nor processed on L2, while outputs keep
    /// being proposed. Returns once the old process has stopped and the new one runs. Without a
    /// relayer started by [`Devnet::start_relayer`] it only records the setting.
    pub async fn stop_l1_messages(&self) -> Result<(), DevnetError> {
        self.sequencer.set_l1_messages(false).await
    }

    /// Processes L1 messages again (the relayer restarted with `deliver`).
    pub async fn resume_l1_messages(&self) -> Result<(), DevnetError> {
        self.sequencer.set_l1_messages(true).await
    }

    /// The council, or [`DevnetError::NoCouncil`].
    pub fn council(&self) -> Result<&DevnetCouncil, DevnetError> {
        self.council.as_ref().ok_or(DevnetError::NoCouncil)
    }

    /// Signs `spec` by the first `t` members and submits it to the L1 `SecurityCouncil` as
    /// [`DevnetAccounts::council`]. The action is built, signed and encoded by the council crate
    /// exactly as `drawbridge-council action ...`, `member sign` and `submit` do: at the
    /// council's current nonce, deadline an hour after the latest L1 block.
    async fn council_act(&self, spec: ActionSpec) -> Result<(), DevnetError> {
        let council = self.council()?;
        let url = self.l1.endpoint();
        let state = chain::council_state(&url, council.l1).await?;
        let now = self
            .l1_provider()
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| DevnetError::Chain {
                step: "reading the latest L1 block",
                message: e.to_string(),
            })?
            .map(|b| b.header.timestamp)
            .unwrap_or_default();
        let settings = ActionSettings {
            council: council.l1,
            rpc_url: Some(url.clone()),
            chain_id: None,
            nonce: None,
            deadline: Some(now + 3600),
            valid_for: 3600,
        };
        let action = spec.build_with(&settings, Some(&state))?;
        let signers: Vec<u16> = (1..=council.threshold()).collect();
        let sig = council.sign(&signers, action.digest())?;
        chain::submit(&url, &self.accounts.council, &action, &sig).await?;
        Ok(())
    }

    fn l1_provider(&self) -> alloy::providers::DynProvider {
        ProviderBuilder::new()
            .connect_http(self.l1.endpoint_url())
            .erased()
    }

    /// Pauses the L1 bridge for `duration` seconds through the L1 `SecurityCouncil`: the first `t`
    /// members sign the pause action ([`ActionSpec::Pause`], current nonce, deadline an hour
    /// ahead) and [`DevnetAccounts::council`] submits it. Returns the pause's end.
    pub async fn council_pause(&self, duration: u64) -> Result<u64, DevnetError> {
        self.council_act(ActionSpec::Pause {
            duration,
            l1_bridge: Some(self.deployment.l1.l1_bridge),
        })
        .await?;
        SecurityCouncil::new(self.council()?.l1, self.l1_provider())
            .pausedUntil()
            .call()
            .await
            .map_err(contract_step("reading pausedUntil"))
    }

    /// The devnet's test token on L1.
    pub fn test_token(&self) -> Address {
        self.deployment
            .l1
            .test_token
            .expect("the devnet always deploys a test token")
    }
}

impl Devnet {
    /// Resolves the dispute over output `output_index` through the L1 `SecurityCouncil`: the first
    /// `t` members sign `resolveDispute(output_index, valid)` ([`ActionSpec::Resolve`], target the
    /// OutputOracle, current nonce, deadline an hour ahead) and [`DevnetAccounts::council`]
    /// submits it. `valid = false` deletes the output and every later one and credits both bonds
    /// to the challenger; `true` upholds it.
    pub async fn council_resolve_dispute(
        &self,
        output_index: u64,
        valid: bool,
    ) -> Result<(), DevnetError> {
        self.council_act(ActionSpec::Resolve {
            output_index: U256::from(output_index),
            valid,
            output_oracle: Some(self.deployment.l1.output_oracle),
        })
        .await
    }
}
