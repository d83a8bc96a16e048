//! The deployer wires both sides to each other, with the roles and parameters asked for, and the
//! deployment file round-trips. By default a generated 9-of-12 security council governs: a
//! `SecurityCouncil` on each chain with the council's group key.

use alloy::primitives::{Address, U256};
use alloy::providers::ProviderBuilder;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle, SecurityCouncil};
use drawbridge_deployment::Deployment;
use drawbridge_devnet::{Devnet, DevnetOptions, Governance, L1_CHAIN_ID, L2_CHAIN_ID};

#[tokio::test]
async fn devnet_deploys_both_sides_wired_to_each_other_and_governed_by_councils() {
    let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
    let d = &devnet.deployment;
    assert_eq!((d.l1.chain_id, d.l2.chain_id), (L1_CHAIN_ID, L2_CHAIN_ID));
    let council = d.council.expect("the default devnet has a council");
    let in_memory = devnet.council().unwrap();
    assert_eq!((in_memory.l1, in_memory.l2), (council.l1, council.l2));
    assert_eq!(in_memory.key().unwrap(), council.group_key);
    assert_eq!(in_memory.keys.key_packages.len(), 12);
    assert_eq!(in_memory.threshold(), 9);
    assert_eq!(
        (d.roles.governance, d.roles.council),
        (council.l1, council.l1)
    );

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
    assert_eq!(bridge.pauser().call().await.unwrap(), council.l1);
    assert_eq!(bridge.governance().call().await.unwrap(), council.l1);
    assert_eq!(bridge.messageCount().call().await.unwrap(), 0);

    let oracle = IOutputOracle::new(d.l1.output_oracle, &l1);
    assert_eq!(oracle.council().call().await.unwrap(), council.l1);
    assert_eq!(oracle.governance().call().await.unwrap(), council.l1);
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
    assert_eq!(
        oracle.councilResponseWindow().call().await.unwrap(),
        d.params.council_response_window
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
    assert_eq!(l2_bridge.governance().call().await.unwrap(), council.l2);
    let roots = IL1RootOracle::new(d.l2.root_oracle, &l2);
    assert_eq!(
        roots.publisher().call().await.unwrap(),
        devnet.accounts.relayer.address()
    );
    assert_eq!(roots.governance().call().await.unwrap(), council.l2);

    // The councils: same key, the L1 one with the bridge and the oracle as targets, the L2 one
    // with none, each with its own domain and nonce, the devnet's parameters.
    let l1_council = SecurityCouncil::new(council.l1, &l1);
    let l2_council = SecurityCouncil::new(council.l2, &l2);
    for c in [&l1_council, &l2_council] {
        let key = c.groupKey().call().await.unwrap();
        assert_eq!(key.x, council.group_key.x);
        assert_eq!(U256::from(key.parity), council.group_key.y & U256::from(1));
        assert_eq!(c.nonce().call().await.unwrap(), U256::ZERO);
        let p = c.params().call().await.unwrap();
        assert_eq!((p.threshold, p.members), (9, 12));
        assert_eq!(p.upgradeDelay, d.params.upgrade_delay);
        assert_eq!(p.exitWindow, d.params.exit_window);
        assert_eq!(
            (p.maxPause, p.pauseCooldown),
            (d.params.max_pause, d.params.pause_cooldown)
        );
        assert!(!p.mainnet);
        c.checkTargets().call().await.unwrap();
    }
    assert_eq!(l1_council.l1Bridge().call().await.unwrap(), d.l1.l1_bridge);
    assert_eq!(
        l1_council.outputOracle().call().await.unwrap(),
        d.l1.output_oracle
    );
    assert_eq!(l2_council.l1Bridge().call().await.unwrap(), Address::ZERO);
    assert_eq!(
        l2_council.outputOracle().call().await.unwrap(),
        Address::ZERO
    );
    assert_ne!(
        l1_council.domainSeparator().call().await.unwrap(),
        l2_council.domainSeparator().call().await.unwrap()
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deployment.json");
    d.save(&path).unwrap();
    assert_eq!(&Deployment::load(&path).unwrap(), d);
}

#[tokio::test]
async fn plain_accounts_still_govern_when_asked() {
    let devnet = Devnet::start(DevnetOptions {
        governance: Governance::Accounts,
        ..DevnetOptions::default()
    })
    .await
    .unwrap();
    let d = &devnet.deployment;
    assert!(d.council.is_none() && devnet.council.is_none());
    let (deployer, council) = (
        devnet.accounts.deployer.address(),
        devnet.accounts.council.address(),
    );
    assert_eq!((d.roles.governance, d.roles.council), (deployer, council));
    let l1 = ProviderBuilder::new().connect_http(devnet.l1.endpoint_url());
    let l2 = ProviderBuilder::new().connect_http(devnet.l2.endpoint_url());
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &l1);
    assert_eq!(bridge.pauser().call().await.unwrap(), council);
    assert_eq!(bridge.governance().call().await.unwrap(), deployer);
    let oracle = IOutputOracle::new(d.l1.output_oracle, &l1);
    assert_eq!(oracle.council().call().await.unwrap(), council);
    assert_eq!(oracle.governance().call().await.unwrap(), deployer);
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &l2);
    assert_eq!(l2_bridge.governance().call().await.unwrap(), deployer);
    assert!(
        devnet
            .council_pause(10)
            .await
            .unwrap_err()
            .to_string()
            .contains("no council")
    );
}

#[tokio::test]
async fn deployment_refuses_parameters_that_break_an_invariant() {
    let mut options = DevnetOptions::default();
    options.params.upgrade_delay = 1;
    let err = Devnet::start(options).await.unwrap_err().to_string();
    assert!(err.contains("upgradeDelay"), "{err}");
    // The council-response window counts towards what the upgrade delay must cover.
    let mut options = DevnetOptions::default();
    options.params.council_response_window += options.params.upgrade_delay;
    let err = Devnet::start(options).await.unwrap_err().to_string();
    assert!(
        err.contains("upgradeDelay") && err.contains("councilResponseWindow"),
        "{err}"
    );
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
