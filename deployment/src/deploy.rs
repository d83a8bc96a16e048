//! The deployer: implementations and ERC-1967 proxies on both chains, each proxy initialized in its
//! own constructor call so that no proxy is ever left uninitialized. The two sides need each
//! other's addresses, so the proxies' addresses are predicted from the deployers' nonces first and
//! checked after.
//!
//! Governance is either plain accounts ([`Roles`]) or, given a council key, a `SecurityCouncil`
//! on each chain: the L1 one is the upgrade admin of `L1Bridge` and `OutputOracle`, the bridge's
//! pauser and the oracle's council; the L2 one (same key, own EIP-712 domain and nonce, no
//! targets) is the upgrade admin of `L2Bridge` and `L1RootOracle`. Each council upgrades only
//! itself, through its own timelock. The councils are created last on their chain so that their
//! initializers check the targets' live parameters against theirs.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolConstructor};
use drawbridge_bindings::{
    ERC1967Proxy, L1Bridge, L1RootOracle, L2Bridge, OutputOracle, SecurityCouncil, TestToken,
    implementations,
};
use tracing::info;

use crate::{
    CouncilDeployment, CouncilKey, Deployment, DeploymentError, L1Side, L2Side, Params, Preset,
    Roles,
};

/// What to deploy where.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// L1 JSON-RPC endpoint.
    pub l1_rpc_url: String,
    /// L2 JSON-RPC endpoint.
    pub l2_rpc_url: String,
    /// Pays for the deployment on both chains; must not send anything else meanwhile.
    pub deployer: PrivateKeySigner,
    /// Role holders. With a `council_key`, `governance` and `council` are ignored: the councils
    /// take those roles (and the returned deployment's roles name the L1 council).
    pub roles: Roles,
    /// Deploy a `SecurityCouncil` on each chain with this group key and let them govern; `None`:
    /// plain accounts from `roles`.
    pub council_key: Option<CouncilKey>,
    /// Protocol parameters; refused unless they pass [`Params::validate`].
    pub params: Params,
    /// Also deploy a mintable test token on L1 (devnet).
    pub with_test_token: bool,
}

fn chain_err(step: impl Into<String>) -> impl FnOnce(String) -> DeploymentError {
    let step = step.into();
    move |message| DeploymentError::Chain { step, message }
}

fn connect(url: &str, signer: &PrivateKeySigner) -> Result<DynProvider, DeploymentError> {
    let url = url.parse().map_err(|e| DeploymentError::InvalidParameter {
        name: "rpcUrl",
        reason: format!("{url:?}: {e}"),
    })?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url)
        .erased())
}

/// Gas limit of a proxy's creation: set explicitly because its initializer calls an implementation
/// that is still pending in the same batch, which gas estimation cannot see.
const CREATE_GAS: u64 = 8_000_000;

/// Gas limit of a creation that depends on nothing pending (an implementation): its estimate plus a
/// margin (the L1Bridge implementation, which deploys its EscapeHatch, needs more than
/// [`CREATE_GAS`]).
fn estimated_gas(estimate: u64) -> u64 {
    estimate.saturating_mul(6) / 5 + 100_000
}

/// One chain's contract creations, sent back to back with consecutive nonces (so they can share a
/// block) and then awaited in order.
struct Batch<'a> {
    provider: &'a DynProvider,
    next_nonce: u64,
    pending: Vec<(
        &'static str,
        alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
    )>,
}

impl<'a> Batch<'a> {
    fn new(provider: &'a DynProvider, nonce: u64) -> Self {
        Self {
            provider,
            next_nonce: nonce,
            pending: Vec::new(),
        }
    }

    async fn create(&mut self, what: &'static str, code: Bytes) -> Result<(), DeploymentError> {
        self.create_with_gas(what, code, CREATE_GAS).await
    }

    /// A creation that depends on nothing pending, with its gas estimated.
    async fn create_estimated(
        &mut self,
        what: &'static str,
        code: Bytes,
    ) -> Result<(), DeploymentError> {
        let estimate = self
            .provider
            .estimate_gas(TransactionRequest::default().with_deploy_code(code.clone()))
            .await
            .map_err(|e| chain_err(format!("estimating the gas of {what}"))(e.to_string()))?;
        self.create_with_gas(what, code, estimated_gas(estimate))
            .await
    }

    async fn create_with_gas(
        &mut self,
        what: &'static str,
        code: Bytes,
        gas: u64,
    ) -> Result<(), DeploymentError> {
        let tx = TransactionRequest::default()
            .with_deploy_code(code)
            .with_nonce(self.next_nonce)
            .with_gas_limit(gas);
        let pending = self
            .provider
            .send_transaction(tx)
            .await
            .map_err(|e| chain_err(format!("sending {what}"))(e.to_string()))?;
        self.next_nonce += 1;
        self.pending.push((what, pending));
        Ok(())
    }

    /// Waits for every creation; returns the created addresses and the block of the last one.
    async fn finish(self) -> Result<(Vec<Address>, u64), DeploymentError> {
        let mut addresses = Vec::new();
        let mut block = 0;
        for (what, pending) in self.pending {
            let receipt = pending
                .get_receipt()
                .await
                .map_err(|e| chain_err(format!("waiting for {what}"))(e.to_string()))?;
            if !receipt.status() {
                return Err(chain_err(format!("deploying {what}"))(
                    "transaction reverted".into(),
                ));
            }
            let address = receipt.contract_address.ok_or_else(|| {
                chain_err(format!("deploying {what}"))("receipt has no contract address".into())
            })?;
            info!(%address, what, "deployed");
            addresses.push(address);
            block = receipt.block_number.unwrap_or_default();
        }
        Ok((addresses, block))
    }
}

fn with_args(bytecode: &Bytes, args: Vec<u8>) -> Bytes {
    let mut code = bytecode.to_vec();
    code.extend(args);
    code.into()
}

/// The councils' parameters: those of docs/design.md "Parameters and their invariants", as
/// `SecurityCouncil.checkParams` checks them.
fn council_params(params: &Params) -> implementations::security_council::SecurityCouncil::Params {
    implementations::security_council::SecurityCouncil::Params {
        upgradeDelay: params.upgrade_delay,
        challengePeriod: params.challenge_period,
        forcedInclusionWindow: params.forced_inclusion_window,
        exitWindow: params.exit_window,
        maxPause: params.max_pause,
        pauseCooldown: params.pause_cooldown,
        threshold: params.council_threshold,
        members: params.council_size,
        mainnet: params.preset == Preset::Mainnet,
    }
}

fn council_init(
    key: &CouncilKey,
    l1_bridge: Address,
    output_oracle: Address,
    params: &Params,
) -> Vec<u8> {
    SecurityCouncil::initializeCall {
        p: implementations::security_council::SecurityCouncil::InitParams {
            groupKeyX: key.x,
            groupKeyY: key.y,
            l1Bridge: l1_bridge,
            outputOracle: output_oracle,
            params: council_params(params),
        },
    }
    .abi_encode()
}

fn proxy_code(implementation: Address, init: Vec<u8>) -> Bytes {
    let args = ERC1967Proxy::constructorCall {
        implementation,
        _data: init.into(),
    }
    .abi_encode();
    with_args(&ERC1967Proxy::BYTECODE, args)
}

/// Runs the L1 council's `checkTargets()` (a view) now that its targets have code: the live
/// windows of `L1Bridge` and `OutputOracle` must fit the council's copies and `upgradeDelay` must
/// cover `challengePeriod + forcedInclusionWindow + councilResponseWindow + exitWindow`. A revert
/// refuses the deployment.
async fn check_council_targets(l1: &DynProvider, council: Address) -> Result<(), DeploymentError> {
    match SecurityCouncil::new(council, l1)
        .checkTargets()
        .call()
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => {
            let reason = match error
                .as_decoded_interface_error::<SecurityCouncil::SecurityCouncilErrors>()
            {
                Some(decoded) => format!("{decoded:?}"),
                None => error.to_string(),
            };
            Err(chain_err("checking the L1 SecurityCouncil's targets")(
                format!(
                    "SecurityCouncil.checkTargets() reverted: {reason}; the deployed contracts' live parameters break the council's invariants"
                ),
            ))
        }
    }
}

/// Deploys Drawbridge on both chains and returns the deployment description (not yet saved).
pub async fn deploy(request: &DeployRequest) -> Result<Deployment, DeploymentError> {
    let params = &request.params;
    params.validate()?;
    if let Some(key) = &request.council_key {
        key.validate()?;
    }
    let l1 = connect(&request.l1_rpc_url, &request.deployer)?;
    let l2 = connect(&request.l2_rpc_url, &request.deployer)?;
    let deployer = request.deployer.address();
    let l1_chain_id = l1
        .get_chain_id()
        .await
        .map_err(|e| chain_err("reading L1 chain id")(e.to_string()))?;
    let l2_chain_id = l2
        .get_chain_id()
        .await
        .map_err(|e| chain_err("reading L2 chain id")(e.to_string()))?;
    if l1_chain_id == l2_chain_id {
        return Err(DeploymentError::InvalidParameter {
            name: "chainId",
            reason: format!("L1 and L2 share chain id {l1_chain_id}"),
        });
    }
    let l1_nonce = l1
        .get_transaction_count(deployer)
        .await
        .map_err(|e| chain_err("reading L1 deployer nonce")(e.to_string()))?;
    let l2_nonce = l2
        .get_transaction_count(deployer)
        .await
        .map_err(|e| chain_err("reading L2 deployer nonce")(e.to_string()))?;

    // L1: bridge impl, oracle impl, bridge proxy, oracle proxy. L2: root oracle impl, L2 bridge
    // impl, root oracle proxy, L2 bridge proxy.
    let l1_bridge = deployer.create(l1_nonce + 2);
    let output_oracle = deployer.create(l1_nonce + 3);
    let root_oracle = deployer.create(l2_nonce + 2);
    let l2_bridge = deployer.create(l2_nonce + 3);

    let l1_bridge_impl = deployer.create(l1_nonce);
    let oracle_impl = deployer.create(l1_nonce + 1);
    let root_oracle_impl = deployer.create(l2_nonce);
    let l2_bridge_impl = deployer.create(l2_nonce + 1);
    // With a council: its implementation and proxy come next on each chain.
    let councils = request.council_key.map(|_| {
        (
            deployer.create(l1_nonce + 4),
            deployer.create(l1_nonce + 5),
            deployer.create(l2_nonce + 4),
            deployer.create(l2_nonce + 5),
        )
    });
    let (l1_governance, l1_council, l2_governance) = match councils {
        Some((_, l1_council, _, l2_council)) => (l1_council, l1_council, l2_council),
        None => (
            request.roles.governance,
            request.roles.council,
            request.roles.governance,
        ),
    };

    let l1_init = L1Bridge::initializeCall {
        p: implementations::l1_bridge::IL1Bridge::InitParams {
            governance: l1_governance,
            pauser: l1_council,
            outputOracle: output_oracle,
            l2ChainId: U256::from(l2_chain_id),
            l2Bridge: l2_bridge,
            maxPause: params.max_pause,
            pauseCooldown: params.pause_cooldown,
            forcedInclusionWindow: params.forced_inclusion_window,
        },
    }
    .abi_encode();
    let oracle_init = OutputOracle::initializeCall {
        p: implementations::output_oracle::IOutputOracle::InitParams {
            governance: l1_governance,
            council: l1_council,
            proposer: request.roles.proposer,
            l1Bridge: l1_bridge,
            challengePeriod: params.challenge_period,
            proposerTimeout: params.proposer_timeout,
            proposerBond: params.proposer_bond,
            challengerBond: params.challenger_bond,
            councilResponseWindow: params.council_response_window,
        },
    }
    .abi_encode();
    let root_init = L1RootOracle::initializeCall {
        governance_: l2_governance,
        publisher_: request.roles.root_publisher,
    }
    .abi_encode();
    let l2_init = L2Bridge::initializeCall {
        p: implementations::l2_bridge::IL2Bridge::InitParams {
            governance: l2_governance,
            rootOracle: root_oracle,
            l1ChainId: U256::from(l1_chain_id),
            l1Bridge: l1_bridge,
        },
    }
    .abi_encode();

    let deploy_l1 = async {
        let mut batch = Batch::new(&l1, l1_nonce);
        batch
            .create_estimated("L1Bridge implementation", L1Bridge::BYTECODE.clone())
            .await?;
        batch
            .create_estimated(
                "OutputOracle implementation",
                OutputOracle::BYTECODE.clone(),
            )
            .await?;
        batch
            .create("L1Bridge proxy", proxy_code(l1_bridge_impl, l1_init))
            .await?;
        batch
            .create("OutputOracle proxy", proxy_code(oracle_impl, oracle_init))
            .await?;
        if let (Some(key), Some((impl_, ..))) = (&request.council_key, councils) {
            batch
                .create_estimated(
                    "L1 SecurityCouncil implementation",
                    SecurityCouncil::BYTECODE.clone(),
                )
                .await?;
            let init = council_init(key, l1_bridge, output_oracle, params);
            batch
                .create("L1 SecurityCouncil proxy", proxy_code(impl_, init))
                .await?;
        }
        if request.with_test_token {
            let args = TestToken::constructorCall {
                name_: "Drawbridge Test Token".into(),
                symbol_: "DBT".into(),
            };
            batch
                .create(
                    "TestToken",
                    with_args(&TestToken::BYTECODE, args.abi_encode()),
                )
                .await?;
        }
        batch.finish().await
    };
    let deploy_l2 = async {
        let mut batch = Batch::new(&l2, l2_nonce);
        batch
            .create_estimated(
                "L1RootOracle implementation",
                L1RootOracle::BYTECODE.clone(),
            )
            .await?;
        batch
            .create_estimated("L2Bridge implementation", L2Bridge::BYTECODE.clone())
            .await?;
        batch
            .create(
                "L1RootOracle proxy",
                proxy_code(root_oracle_impl, root_init),
            )
            .await?;
        batch
            .create("L2Bridge proxy", proxy_code(l2_bridge_impl, l2_init))
            .await?;
        if let (Some(key), Some((_, _, impl_, _))) = (&request.council_key, councils) {
            batch
                .create_estimated(
                    "L2 SecurityCouncil implementation",
                    SecurityCouncil::BYTECODE.clone(),
                )
                .await?;
            // No targets on L2: nothing to pause, no OutputOracle.
            let init = council_init(key, Address::ZERO, Address::ZERO, params);
            batch
                .create("L2 SecurityCouncil proxy", proxy_code(impl_, init))
                .await?;
        }
        batch.finish().await
    };
    let ((l1_created, l1_deploy_block), (l2_created, l2_deploy_block)) =
        tokio::try_join!(deploy_l1, deploy_l2)?;
    let council_creations = if councils.is_some() { 2 } else { 0 };
    let test_token = l1_created.get(4 + council_creations).copied();

    let mut predictions = vec![
        ("L1Bridge", l1_bridge, l1_created[2]),
        ("OutputOracle", output_oracle, l1_created[3]),
        ("L1RootOracle", root_oracle, l2_created[2]),
        ("L2Bridge", l2_bridge, l2_created[3]),
    ];
    if let Some((_, l1_council, _, l2_council)) = councils {
        predictions.push(("L1 SecurityCouncil", l1_council, l1_created[5]));
        predictions.push(("L2 SecurityCouncil", l2_council, l2_created[5]));
    }
    for (what, predicted, actual) in predictions {
        if predicted != actual {
            return Err(chain_err(format!("deploying {what}"))(format!(
                "landed at {actual}, predicted {predicted}: the deployer sent another transaction meanwhile"
            )));
        }
    }

    if let Some((_, l1_council, _, _)) = councils {
        check_council_targets(&l1, l1_council).await?;
    }

    Ok(Deployment {
        l1: L1Side {
            chain_id: l1_chain_id,
            rpc_url: request.l1_rpc_url.clone(),
            l1_bridge,
            output_oracle,
            test_token,
            deploy_block: l1_deploy_block,
        },
        l2: L2Side {
            chain_id: l2_chain_id,
            rpc_url: request.l2_rpc_url.clone(),
            l2_bridge,
            root_oracle,
            deploy_block: l2_deploy_block,
        },
        roles: Roles {
            governance: l1_governance,
            council: l1_council,
            ..request.roles.clone()
        },
        params: params.clone(),
        council: request
            .council_key
            .zip(councils)
            .map(|(group_key, (_, l1, _, l2))| CouncilDeployment { l1, l2, group_key }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::node_bindings::Anvil;
    use alloy::primitives::{B256, uint};

    fn anvil_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/bin/anvil")
    }

    /// ERC-1967 implementation slot.
    const IMPLEMENTATION_SLOT: B256 = alloy::primitives::b256!(
        "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
    );

    async fn create(l1: &DynProvider, code: Bytes) -> Address {
        let receipt = l1
            .send_transaction(
                TransactionRequest::default()
                    .with_deploy_code(code)
                    .with_gas_limit(CREATE_GAS),
            )
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status(), "creation reverted");
        receipt.contract_address.unwrap()
    }

    async fn implementation_of(l1: &DynProvider, proxy: Address) -> Address {
        let word = l1
            .get_storage_at(proxy, IMPLEMENTATION_SLOT.into())
            .await
            .unwrap();
        Address::from_word(word.into())
    }

    /// A council proxy targeting `l1_bridge` and `output_oracle` with the copies of `p`. Its
    /// initializer checks the targets that already have code, so targets deployed later are
    /// checked only by `checkTargets()`, as a deployer must.
    async fn council_with(
        l1: &DynProvider,
        l1_bridge: Address,
        output_oracle: Address,
        p: &Params,
    ) -> Address {
        let key = CouncilKey {
            x: uint!(0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798_U256),
            y: uint!(0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8_U256),
        };
        let implementation = create(l1, SecurityCouncil::BYTECODE.clone()).await;
        create(
            l1,
            proxy_code(
                implementation,
                council_init(&key, l1_bridge, output_oracle, p),
            ),
        )
        .await
    }

    /// The deployer's last step: `checkTargets()` of the L1 council against the live contracts. A
    /// council whose copy of a window is below the live one, or whose `upgradeDelay` does not
    /// cover the live windows with the oracle's council-response window, refuses the deployment.
    #[tokio::test]
    async fn a_council_that_does_not_fit_the_live_windows_refuses_the_deployment() {
        let path = anvil_path();
        assert!(path.exists(), "{} missing", path.display());
        let l1_node = Anvil::at(&path).chain_id(900).spawn();
        let l2_node = Anvil::at(&path).chain_id(901).spawn();
        let deployer = PrivateKeySigner::from(l1_node.keys()[0].clone());
        let me = deployer.address();
        let params = Params::preset(Preset::Devnet);
        let request = DeployRequest {
            l1_rpc_url: l1_node.endpoint(),
            l2_rpc_url: l2_node.endpoint(),
            deployer: deployer.clone(),
            roles: Roles {
                governance: me,
                council: me,
                proposer: me,
                root_publisher: me,
            },
            council_key: None,
            params: params.clone(),
            with_test_token: false,
        };
        let d = deploy(&request).await.unwrap();
        let l1 = connect(&l1_node.endpoint(), &deployer).unwrap();

        // Copies equal to the live values: accepted.
        let fits = council_with(&l1, d.l1.l1_bridge, d.l1.output_oracle, &params).await;
        check_council_targets(&l1, fits).await.unwrap();

        // A bridge whose forced-inclusion window is longer than the council's copy, deployed after
        // the council (at the address the council was given).
        let nonce = l1.get_transaction_count(me).await.unwrap();
        let late_bridge = me.create(nonce + 2);
        let council = council_with(&l1, late_bridge, Address::ZERO, &params).await;
        let init = L1Bridge::initializeCall {
            p: implementations::l1_bridge::IL1Bridge::InitParams {
                governance: me,
                pauser: council,
                outputOracle: d.l1.output_oracle,
                l2ChainId: U256::from(901),
                l2Bridge: d.l2.l2_bridge,
                maxPause: params.max_pause,
                pauseCooldown: params.pause_cooldown,
                forcedInclusionWindow: params.forced_inclusion_window + 1,
            },
        }
        .abi_encode();
        let bridge_impl = implementation_of(&l1, d.l1.l1_bridge).await;
        assert_eq!(
            create(&l1, proxy_code(bridge_impl, init)).await,
            late_bridge
        );
        let error = check_council_targets(&l1, council)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("checkTargets") && error.contains("bridge forcedInclusionWindow"),
            "{error}"
        );

        // An oracle whose council-response window the council's upgrade delay does not cover.
        let nonce = l1.get_transaction_count(me).await.unwrap();
        let late_oracle = me.create(nonce + 2);
        let council = council_with(&l1, Address::ZERO, late_oracle, &params).await;
        let slack = params.upgrade_delay
            - (params.challenge_period + params.forced_inclusion_window + params.exit_window);
        let init = OutputOracle::initializeCall {
            p: implementations::output_oracle::IOutputOracle::InitParams {
                governance: me,
                council,
                proposer: me,
                l1Bridge: d.l1.l1_bridge,
                challengePeriod: params.challenge_period,
                proposerTimeout: params.proposer_timeout,
                proposerBond: params.proposer_bond,
                challengerBond: params.challenger_bond,
                councilResponseWindow: slack + 1,
            },
        }
        .abi_encode();
        let oracle_impl = implementation_of(&l1, d.l1.output_oracle).await;
        assert_eq!(
            create(&l1, proxy_code(oracle_impl, init)).await,
            late_oracle
        );
        let error = check_council_targets(&l1, council)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("upgradeDelay below live windows"), "{error}");
    }
}
