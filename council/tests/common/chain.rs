//! A real anvil chain with a real SecurityCouncil behind an ERC1967Proxy (and optionally a real
//! L1Bridge proxy whose pauser is the council), deployed from the committed bindings.

#![allow(dead_code)]

use std::path::PathBuf;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolConstructor};
use drawbridge_bindings::{ERC1967Proxy, L1Bridge, SecurityCouncil, implementations};
use drawbridge_council::contract::GroupKeyExport;

pub const CHAIN_ID: u64 = 900;
pub const MAX_PAUSE: u64 = 86_400;
pub const PAUSE_COOLDOWN: u64 = 2 * 86_400;

/// `tools/bin/anvil` of the repository (or `$DRAWBRIDGE_ANVIL`).
pub fn anvil_path() -> PathBuf {
    if let Some(p) = std::env::var_os("DRAWBRIDGE_ANVIL") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/bin/anvil")
}

pub struct CouncilChain {
    pub anvil: AnvilInstance,
    pub deployer: PrivateKeySigner,
    pub provider: DynProvider,
}

impl CouncilChain {
    pub fn start() -> Self {
        let path = anvil_path();
        assert!(
            path.exists(),
            "{} missing: run bash tools/bootstrap.sh",
            path.display()
        );
        let anvil = Anvil::at(path).chain_id(CHAIN_ID).spawn();
        let deployer = PrivateKeySigner::from(anvil.keys()[0].clone());
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(deployer.clone()))
            .connect_http(anvil.endpoint_url())
            .erased();
        CouncilChain {
            anvil,
            deployer,
            provider,
        }
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    async fn create(&self, code: Vec<u8>) -> Address {
        // The L1Bridge implementation (which deploys its EscapeHatch) needs more than 8M gas.
        let tx = TransactionRequest::default()
            .with_deploy_code(code)
            .with_gas_limit(12_000_000);
        let receipt = self
            .provider
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status(), "creation reverted");
        receipt.contract_address.unwrap()
    }

    async fn next_address(&self, ahead: u64) -> Address {
        let nonce = self
            .provider
            .get_transaction_count(self.deployer.address())
            .await
            .unwrap();
        self.deployer.address().create(nonce + ahead)
    }

    async fn proxy(&self, implementation: Address, init: Vec<u8>) -> Address {
        let mut code = ERC1967Proxy::BYTECODE.to_vec();
        code.extend(
            ERC1967Proxy::constructorCall {
                implementation,
                _data: Bytes::from(init),
            }
            .abi_encode(),
        );
        self.create(code).await
    }

    /// Deploys a SecurityCouncil proxy with `key`, targets `l1_bridge` and `oracle` (no code
    /// needed) and the parameters of contracts/test (9-of-12 bookkeeping, 9-day delay).
    pub async fn deploy_council(
        &self,
        key: &GroupKeyExport,
        l1_bridge: Address,
        oracle: Address,
    ) -> Address {
        let implementation = self.create(SecurityCouncil::BYTECODE.to_vec()).await;
        self.proxy(implementation, council_init(key, l1_bridge, oracle))
            .await
    }

    /// Deploys an L1Bridge proxy whose pauser (and governance) is the council, then the council
    /// pointing at it. Returns (council, bridge).
    pub async fn deploy_council_with_bridge(&self, key: &GroupKeyExport) -> (Address, Address) {
        let bridge_impl = self.create(L1Bridge::BYTECODE.to_vec()).await;
        let council_impl = self.create(SecurityCouncil::BYTECODE.to_vec()).await;
        // Next creations: bridge proxy (+0), council proxy (+1).
        let council = self.next_address(1).await;
        let init = L1Bridge::initializeCall {
            p: implementations::l1_bridge::IL1Bridge::InitParams {
                governance: council,
                pauser: council,
                outputOracle: Address::repeat_byte(0x0a),
                l2ChainId: U256::from(CHAIN_ID + 1),
                l2Bridge: Address::repeat_byte(0x0b),
                maxPause: MAX_PAUSE,
                pauseCooldown: PAUSE_COOLDOWN,
                forcedInclusionWindow: 86_400,
            },
        }
        .abi_encode();
        let bridge = self.proxy(bridge_impl, init).await;
        let deployed = self
            .proxy(
                council_impl,
                council_init(key, bridge, Address::repeat_byte(0x0c)),
            )
            .await;
        assert_eq!(deployed, council, "council address prediction");
        (council, bridge)
    }

    pub fn council(
        &self,
        address: Address,
    ) -> SecurityCouncil::SecurityCouncilInstance<DynProvider> {
        SecurityCouncil::new(address, self.provider.clone())
    }

    pub fn bridge(&self, address: Address) -> L1Bridge::L1BridgeInstance<DynProvider> {
        L1Bridge::new(address, self.provider.clone())
    }

    pub async fn timestamp(&self) -> u64 {
        self.provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }
}

fn council_init(key: &GroupKeyExport, l1_bridge: Address, oracle: Address) -> Vec<u8> {
    SecurityCouncil::initializeCall {
        p: SecurityCouncil::InitParams {
            groupKeyX: U256::from_be_bytes(key.0.x),
            groupKeyY: U256::from_be_bytes(key.0.y),
            l1Bridge: l1_bridge,
            outputOracle: oracle,
            params: SecurityCouncil::Params {
                upgradeDelay: 9 * 86_400,
                challengePeriod: 3_600,
                forcedInclusionWindow: 86_400,
                exitWindow: 7 * 86_400,
                maxPause: MAX_PAUSE,
                pauseCooldown: PAUSE_COOLDOWN,
                threshold: 3,
                members: 4,
                mainnet: false,
            },
        },
    }
    .abi_encode()
}
