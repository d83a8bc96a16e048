//! A real anvil chain with a real SecurityCouncil behind an ERC1967Proxy (and optionally a real
//! L1Bridge proxy whose pauser is the council), deployed from the committed bindings on the
//! testkit's anvil.

#![allow(dead_code)]

use alloy::node_bindings::AnvilInstance;
use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use drawbridge_bindings::{L1Bridge, SecurityCouncil, implementations};
use drawbridge_council::contract::GroupKeyExport;
use drawbridge_testkit::{create, create_proxy, latest_timestamp, provider, spawn_anvil};

pub const CHAIN_ID: u64 = 900;
pub const MAX_PAUSE: u64 = 86_400;
pub const PAUSE_COOLDOWN: u64 = 2 * 86_400;
/// The L1Bridge implementation (which deploys its EscapeHatch) needs more than 8M gas.
const CREATE_GAS: u64 = 12_000_000;

/// One anvil chain (the testkit's) with the council's contracts on it.
pub struct CouncilChain {
    pub anvil: AnvilInstance,
    pub deployer: PrivateKeySigner,
    pub provider: DynProvider,
}

impl CouncilChain {
    pub fn start() -> Self {
        let anvil = spawn_anvil(CHAIN_ID);
        let deployer = PrivateKeySigner::from(anvil.keys()[0].clone());
        let provider = provider(&anvil.endpoint(), &deployer);
        CouncilChain {
            anvil,
            deployer,
            provider,
        }
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    async fn next_address(&self, ahead: u64) -> Address {
        use alloy::providers::Provider;
        let nonce = self
            .provider
            .get_transaction_count(self.deployer.address())
            .await
            .unwrap();
        self.deployer.address().create(nonce + ahead)
    }

    /// Deploys a SecurityCouncil proxy with `key`, targets `l1_bridge` and `oracle` (no code
    /// needed) and the parameters of contracts/test (9-of-12 bookkeeping, 9-day delay).
    pub async fn deploy_council(
        &self,
        key: &GroupKeyExport,
        l1_bridge: Address,
        oracle: Address,
    ) -> Address {
        let implementation = create(
            &self.provider,
            SecurityCouncil::BYTECODE.clone(),
            CREATE_GAS,
        )
        .await;
        create_proxy(
            &self.provider,
            implementation,
            council_init(key, l1_bridge, oracle),
        )
        .await
    }

    /// Deploys an L1Bridge proxy whose pauser (and governance) is the council, then the council
    /// pointing at it. Returns (council, bridge).
    pub async fn deploy_council_with_bridge(&self, key: &GroupKeyExport) -> (Address, Address) {
        let bridge_impl = create(&self.provider, L1Bridge::BYTECODE.clone(), CREATE_GAS).await;
        let council_impl = create(
            &self.provider,
            SecurityCouncil::BYTECODE.clone(),
            CREATE_GAS,
        )
        .await;
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
        let bridge = create_proxy(&self.provider, bridge_impl, init).await;
        let deployed = create_proxy(
            &self.provider,
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
        latest_timestamp(&self.provider).await
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
