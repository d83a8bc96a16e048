//! Typed bindings for the Drawbridge contracts.
//!
//! Generated with alloy's `sol!` from the Foundry artifacts committed under `bindings/artifacts`,
//! so every Rust component calls, decodes and deploys exactly what `contracts/` compiles to;
//! `bindings/export-artifacts.sh --check` (run in CI) fails when they drift from a fresh compile.
//!
//! Calls and events go through the interface bindings (`IL1Bridge`, `IOutputOracle`, `IL2Bridge`,
//! `IL1RootOracle`): they are the stable surface. The implementation bindings are for deployment
//! (creation bytecode, initializer encoding) and for tests.
//!
//! It holds no logic and depends on no other workspace crate: conversions between these types
//! and the protocol's own live in `drawbridge-client` (`convert`).
//!
//! It holds no logic and depends on no other workspace crate: conversions between these types
//! and the protocol's own live in `drawbridge-client` (`convert`).
#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IL1Bridge,
    "artifacts/IL1Bridge.json"
);
sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IOutputOracle,
    "artifacts/IOutputOracle.json"
);
sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IL2Bridge,
    "artifacts/IL2Bridge.json"
);
sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IL1RootOracle,
    "artifacts/IL1RootOracle.json"
);

/// Implementation contracts: creation bytecode, initializers and the functions beyond the
/// interfaces. Each sits in its own module because its ABI re-declares the interface's structs.
pub mod implementations {
    pub mod l1_bridge {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            L1Bridge,
            "artifacts/L1Bridge.json"
        );
    }
    pub mod output_oracle {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            OutputOracle,
            "artifacts/OutputOracle.json"
        );
    }
    pub mod l2_bridge {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            L2Bridge,
            "artifacts/L2Bridge.json"
        );
    }
    pub mod l1_root_oracle {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            L1RootOracle,
            "artifacts/L1RootOracle.json"
        );
    }
    pub mod bridged_token {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            BridgedToken,
            "artifacts/BridgedToken.json"
        );
    }
    pub mod test_token {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            TestToken,
            "artifacts/TestToken.json"
        );
    }
    pub mod fee_on_transfer_token {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            FeeOnTransferToken,
            "artifacts/FeeOnTransferToken.json"
        );
    }
    pub mod erc1967_proxy {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            ERC1967Proxy,
            "artifacts/ERC1967Proxy.json"
        );
    }
    pub mod security_council {
        alloy::sol!(
            #[sol(rpc)]
            #[derive(Debug, PartialEq, Eq)]
            SecurityCouncil,
            "artifacts/SecurityCouncil.json"
        );
    }
}

pub use implementations::{
    bridged_token::BridgedToken, erc1967_proxy::ERC1967Proxy,
    fee_on_transfer_token::FeeOnTransferToken, l1_bridge::L1Bridge, l1_root_oracle::L1RootOracle,
    l2_bridge::L2Bridge, output_oracle::OutputOracle, security_council::SecurityCouncil,
    test_token::TestToken,
};
