//! The deployer wires both sides to each other, with the roles and parameters asked for, and the
//! deployment file round-trips.

use alloy::primitives::U256;
use alloy::providers::ProviderBuilder;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_deployment::Deployment;
use drawbridge_devnet::{Devnet, DevnetOptions, L1_CHAIN_ID, L2_CHAIN_ID};

#[tokio::test]
async fn devnet_deploys_both_sides_wired_to_each_other() {
    let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
    let d = &devnet.deployment;
    assert_eq!((d.l1.chain_id, d.l2.chain_id), (L1_CHAIN_ID, L2_CHAIN_ID));

    let l1 = ProviderBuilder::new().connect_http(devnet.l1.endpoint_url());
    let l2 = ProviderBuilder::new().connect_http(devnet.l2.endpoint_url());
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1);
    assert_eq!(bridge.l2Bridge().call().await.unwrap(), d.l2.l2_bridge);
    assert_eq!(
        bridge.l2ChainId().call().await.unwrap(),
        U256::from(L2_CHAIN_ID)
    );
    assert_eq!(
        bridge.outputOracle().call().await.unwrap(),
        d.l1.output_oracle
    );
    assert_eq!(
        bridge.pauser().call().await.unwrap(),
        devnet.accounts.council.address()
    );
    assert_eq!(
        bridge.governance().call().await.unwrap(),
        devnet.accounts.deployer.address()
    );
    assert_eq!(bridge.messageCount().call().await.unwrap(), 0);

    let oracle = IOutputOracle::new(d.l1.output_oracle, &l1);
    assert_eq!(
        oracle.council().call().await.unwrap(),
        devnet.accounts.council.address()
    );
    assert_eq!(
        oracle.proposer().call().await.unwrap(),
        devnet.accounts.relayer.address()
    );
    assert_eq!(
        oracle.challengePeriod().call().await.unwrap(),
        d.params.challenge_period
    );
    assert_eq!(
        oracle.proposerBond().call().await.unwrap(),
        d.params.proposer_bond
    );

    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
    assert_eq!(l2_bridge.l1Bridge().call().await.unwrap(), d.l1.l1_bridge);
    assert_eq!(
        l2_bridge.l1ChainId().call().await.unwrap(),
        U256::from(L1_CHAIN_ID)
    );
    assert_eq!(
        l2_bridge.rootOracle().call().await.unwrap(),
        d.l2.root_oracle
    );
    let roots = IL1RootOracle::new(d.l2.root_oracle, &l2);
    assert_eq!(
        roots.publisher().call().await.unwrap(),
        devnet.accounts.relayer.address()
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deployment.json");
    d.save(&path).unwrap();
    assert_eq!(&Deployment::load(&path).unwrap(), d);
}

#[tokio::test]
async fn deployment_refuses_parameters_that_break_an_invariant() {
    let mut options = DevnetOptions::default();
    options.params.upgrade_delay = 1;
    let err = Devnet::start(options).await.unwrap_err().to_string();
    assert!(err.contains("upgradeDelay"), "{err}");
}

#[test]
fn malformed_deployment_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deployment.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err = Deployment::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("deployment.json") && err.contains("malformed"),
        "{err}"
    );
}
