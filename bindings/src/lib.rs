//! Typed bindings for the Drawbridge contracts.
//!
//! Generated with alloy's `sol!` from the Foundry artifacts committed under `bindings/artifacts`,
//! so every Rust component calls, decodes and deploys exactly what `contracts/` compiles to;
//! `bindings/export-artifacts.sh --check` (run in CI) fails when they drift from a fresh compile.
//!
//! Calls and events go through the interface bindings (`IL1Bridge`, `IOutputOracle`, `IL2Bridge`,
//! `IL1RootOracle`): they are the stable surface. The implementation bindings are for deployment
//! (creation bytecode, initializer encoding) and for tests.
#![allow(missing_docs)]

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
