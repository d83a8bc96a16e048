//! End-to-end tests of the watchdog role on a real devnet (two anvil chains, the real contracts, a
//! 9-of-12 FROST council): a lying proposer is challenged inside the 6 s devnet window, the council
//! deletes its outputs, the challenger gets the bonds and the fake withdrawal is never paid; honest
//! outputs are never challenged; an L1 root that L1 never committed raises an alert.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolInterface;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{MerkleTree, Withdrawal};
use drawbridge_relayer::{RelayerConfig, Role};
use serde_json::Value;

use common::*;

/// A watchdog relayer: the challenger's key, its own database, its own API port.
fn watchdog_config(env: &RelayerBed) -> (RelayerConfig, SocketAddr) {
    let mut config = env.config.clone();
    config.signer = env.devnet.accounts.challenger.clone();
    config.roles = [Role::Watchdog].into_iter().collect();
    config.database_url = format!(
        "sqlite://{}?mode=rwc",
        env.dir.path().join("watchdog.sqlite").display()
    );
    config.relayer_id = "watchdog".into();
    // The devnet's challenge window is 6 s and the watchdog waits for 2 L1 confirmations.
    config.poll_interval = Duration::from_millis(200);
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    config.api_listen = Some(api);
    (config, api)
}

/// The fields of L2 block `block` as an honest proposer reads them.
async fn honest_claim(env: &RelayerBed, block: u64) -> (B256, B256, B256, u64, B256) {
    let l2 = l2(&env.devnet, &env.devnet.accounts.relayer);
    let header = header_at(&l2, block).await;
    let bridge = IL2Bridge::new(env.devnet.deployment.l2.l2_bridge, l2);
    let at = BlockId::number(block);
    let withdrawal_root = bridge.withdrawalRoot().block(at).call().await.unwrap();
    let processed = bridge.l1MessagesProcessed().block(at).call().await.unwrap();
    let root = bridge.l1MessageRoot().block(at).call().await.unwrap();
    (
        header.hash,
        header.state_root,
        withdrawal_root,
        processed,
        root,
    )
}

/// A block the watchdog's L2 node has confirmed (2 confirmations) and that is above `after`.
async fn confirmed_l2_block(env: &RelayerBed, after: u64) -> u64 {
    let l2 = l2(&env.devnet, &env.devnet.accounts.relayer);
    wait_for("a confirmed L2 block", || async {
        let head = l2.get_block_number().await.unwrap();
        let block = head.saturating_sub(3);
        (block > after).then_some(block)
    })
    .await
}

/// The devnet proposer (the relayer's key) posts an output directly.
async fn propose(env: &RelayerBed, block: u64, claim: (B256, B256, B256, u64, B256)) {
    let oracle = IOutputOracle::new(
        env.devnet.deployment.l1.output_oracle,
        l1(&env.devnet, &env.devnet.accounts.relayer),
    );
    let bond = oracle.proposerBond().call().await.unwrap();
    let receipt = oracle
        .propose(block, claim.0, claim.1, claim.2, claim.3, claim.4)
        .value(bond)
        .mined()
        .await;
    assert!(receipt.status(), "propose reverted");
}

fn output_named<'a>(outputs: &'a Value, index: u64, status: &str) -> Option<&'a Value> {
    outputs
        .as_array()?
        .iter()
        .find(|o| o["index"] == index && o["status"] == status)
}

/// Decodes an L1Bridge revert of a simulated call.
fn l1_bridge_error(error: alloy::contract::Error) -> IL1Bridge::IL1BridgeErrors {
    let data = error
        .as_revert_data()
        .unwrap_or_else(|| panic!("not a revert: {error}"));
    IL1Bridge::IL1BridgeErrors::abi_decode(&data).expect("an L1Bridge error")
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_proposer_is_challenged_and_the_council_deletes_its_outputs() {
    let env = test_env().await;
    let devnet = &env.devnet;
    let liar = devnet.accounts.relayer.clone();
    let challenger = devnet.accounts.challenger.address();
    let (watchdog_config, api) = watchdog_config(&env);
    let watchdog_url = watchdog_config.database_url.clone();
    let watchdog = start(watchdog_config).await;

    // Escrow holds a real deposit, which the liar will try to take.
    let alice = &devnet.accounts.users[0];
    deposit_eth(devnet, alice, &[(alice.address(), units(3))]).await;
    let l1_provider = l1(devnet, &liar);
    let escrow_before = l1_provider
        .get_balance(devnet.deployment.l1.l1_bridge)
        .await
        .unwrap();
    assert!(escrow_before >= units(3));

    // Output 0: the real block hash, state root and message count, but a withdrawal root holding a
    // fake 3 ETH withdrawal to the liar.
    let fake = Withdrawal {
        nonce: 0,
        sender: liar.address(),
        recipient: liar.address(),
        l1_token: Address::ZERO,
        amount: units(3),
    };
    let mut tree = MerkleTree::new();
    tree.push(fake.leaf(
        devnet.deployment.l2.chain_id,
        devnet.deployment.l2.l2_bridge,
    ))
    .unwrap();
    let fake_root = tree.root_at(1).unwrap();
    let block = confirmed_l2_block(&env, 0).await;
    let honest = honest_claim(&env, block).await;
    assert_ne!(honest.2, fake_root);
    propose(
        &env,
        block,
        (honest.0, honest.1, fake_root, honest.3, honest.4),
    )
    .await;

    // The watchdog challenges it inside the window (the contract refuses a late challenge).
    let oracle = oracle(devnet);
    wait_for("the watchdog's challenge of output 0", || async {
        let o = oracle.getOutput(U256::ZERO).call().await.unwrap();
        (o.status == 2).then_some(())
    })
    .await;
    let challenged = oracle.getOutput(U256::ZERO).call().await.unwrap();
    assert_eq!(challenged.challenger, challenger);
    assert!(!oracle.isFinal(U256::ZERO).call().await.unwrap());

    // The API shows the challenge and the watchdog's reason.
    let (code, outputs, _) = http_get(api, "/outputs").await;
    assert_eq!(code, 200, "{outputs}");
    let o = &outputs["outputs"][0];
    assert_eq!(o["status"], "challenged", "{outputs}");
    assert_eq!(o["challenger"], challenger.to_string());
    assert_eq!(o["watchdog"]["verdict"], "wrong", "{outputs}");
    assert!(
        o["watchdog"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("withdrawalRoot is"),
        "{outputs}"
    );

    // A successor with honest fields, proposed while the dispute is open: checked, not challenged.
    let block2 = confirmed_l2_block(&env, block).await;
    let honest2 = honest_claim(&env, block2).await;
    propose(&env, block2, honest2).await;
    let findings = wait_for("the watchdog's verdict on output 1", || async {
        let (_, body, _) = http_get(api, "/watchdog").await;
        output_named(&body["outputs"], 1, "proposed")
            .is_some_and(|o| o["verdict"] == "ok")
            .then_some(body)
    })
    .await;
    assert_eq!(findings["this_process"]["challenges_sent"], 1, "{findings}");
    assert_eq!(findings["this_process"]["wrong_outputs"], 1, "{findings}");
    // Still within its window long enough: nobody challenged it.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let o1 = oracle.getOutput(U256::from(1)).call().await.unwrap();
    assert_eq!(o1.status, 1);
    assert_eq!(o1.challenger, Address::ZERO);

    // The fake withdrawal cannot be finalized while output 0 is disputed.
    let l1_bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, l1_provider.clone());
    let claim = IL1Bridge::WithdrawalClaim {
        withdrawal: IL1Bridge::Withdrawal {
            nonce: fake.nonce,
            sender: fake.sender,
            recipient: fake.recipient,
            l1Token: fake.l1_token,
            amount: fake.amount,
        },
        proof: tree.proof(0, 1).unwrap(),
    };
    let err = l1_bridge
        .finalizeWithdrawals(vec![claim.clone()], U256::ZERO)
        .call()
        .await
        .unwrap_err();
    assert!(
        matches!(
            l1_bridge_error(err),
            IL1Bridge::IL1BridgeErrors::OutputNotFinal(_)
        ),
        "a disputed output must not pay"
    );

    // The council (9 of 12 FROST signers) rules output 0 invalid.
    let liar_credit_before = oracle.bondCredit(liar.address()).call().await.unwrap();
    devnet.council_resolve_dispute(0, false).await.unwrap();
    assert_eq!(oracle.outputCount().call().await.unwrap(), U256::ZERO);
    assert!(oracle.getOutput(U256::ZERO).call().await.is_err());
    assert!(oracle.getOutput(U256::from(1)).call().await.is_err());
    let proposer_bond = oracle.proposerBond().call().await.unwrap();
    let challenger_bond = oracle.challengerBond().call().await.unwrap();
    // The challenger gets both bonds of output 0; the honest successor's bond goes back, lazily:
    // the deleted range is pending until anyone refunds it (or a proposal reuses its index).
    assert_eq!(
        oracle.bondCredit(challenger).call().await.unwrap(),
        proposer_bond + challenger_bond
    );
    let pending = oracle.pendingRefunds().call().await.unwrap();
    assert_eq!((pending.from, pending.to), (1, 2));
    let receipt = IOutputOracle::new(
        devnet.deployment.l1.output_oracle,
        l1(devnet, &devnet.accounts.users[1]),
    )
    .refundDeletedBonds(U256::from(10))
    .mined()
    .await;
    assert!(receipt.status());
    assert_eq!(
        oracle.bondCredit(liar.address()).call().await.unwrap(),
        liar_credit_before + proposer_bond
    );
    let challenger_l1 = l1(devnet, &devnet.accounts.challenger);
    let before = challenger_l1.get_balance(challenger).await.unwrap();
    let receipt = IOutputOracle::new(devnet.deployment.l1.output_oracle, challenger_l1.clone())
        .withdrawBond()
        .mined()
        .await;
    assert!(receipt.status());
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(
        challenger_l1.get_balance(challenger).await.unwrap(),
        before + proposer_bond + challenger_bond - fee
    );

    // The fake withdrawal still cannot be finalized: there is no output 0 any more.
    let err = l1_bridge
        .finalizeWithdrawals(vec![claim.clone()], U256::ZERO)
        .call()
        .await
        .unwrap_err();
    assert!(matches!(
        l1_bridge_error(err),
        IL1Bridge::IL1BridgeErrors::OutputNotFinal(_)
    ));

    // Honest outputs resume: the relayer proposes again, the watchdog finds them right, and they
    // become final without a challenge.
    let mut honest_config = env.config.clone();
    honest_config.roles = [Role::Propose].into_iter().collect();
    let proposer = start(honest_config).await;
    wait_for("an honest output final after the dispute", || async {
        oracle
            .isFinal(U256::from(1))
            .call()
            .await
            .unwrap()
            .then_some(())
    })
    .await;
    proposer.stop().await;
    for index in 0..2u64 {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert_eq!(o.challenger, Address::ZERO);
        assert_eq!(o.status, 1);
    }
    // Against an honest final output the fake withdrawal's proof is refused.
    let err = l1_bridge
        .finalizeWithdrawals(vec![claim], U256::ZERO)
        .call()
        .await
        .unwrap_err();
    assert!(matches!(
        l1_bridge_error(err),
        IL1Bridge::IL1BridgeErrors::InvalidProof(_)
    ));
    assert!(!l1_bridge.isWithdrawalFinalized(0).call().await.unwrap());
    assert_eq!(
        l1_provider
            .get_balance(devnet.deployment.l1.l1_bridge)
            .await
            .unwrap(),
        escrow_before,
        "nothing left escrow"
    );

    let findings = wait_for("the verdicts on the new outputs", || async {
        let (_, body, _) = http_get(api, "/watchdog").await;
        let outputs = body["outputs"].as_array().unwrap();
        let new_ok = outputs
            .iter()
            .filter(|o| o["status"] != "deleted" && o["verdict"] == "ok")
            .count();
        (new_ok >= 2).then_some(body)
    })
    .await;
    let outputs = findings["outputs"].as_array().unwrap();
    let deleted: Vec<&Value> = outputs
        .iter()
        .filter(|o| o["status"] == "deleted")
        .collect();
    assert_eq!(deleted.len(), 2, "{findings}");
    let bad = deleted.iter().find(|o| o["verdict"] == "wrong").unwrap();
    assert_eq!(bad["council_verdict"], "invalid");
    assert_eq!(bad["challenger"], challenger.to_string());
    assert_eq!(findings["this_process"]["challenges_sent"], 1, "{findings}");
    assert!(
        findings["problems"].as_array().unwrap().is_empty(),
        "{findings}"
    );
    let (_, _, metrics) = http_get(api, "/metrics").await;
    assert_eq!(
        metric(&metrics, "drawbridge_relayer_watchdog_challenges_total"),
        1
    );
    assert_eq!(
        metric(&metrics, "drawbridge_relayer_watchdog_wrong_outputs_total"),
        1
    );
    assert!(
        metric(
            &metrics,
            "drawbridge_relayer_watchdog_outputs_checked_total"
        ) >= 4
    );
    watchdog.stop().await;

    // Exactly one challenge was ever sent, and it landed.
    let sent: Vec<_> = submissions(&watchdog_url)
        .await
        .into_iter()
        .filter(|s| s.kind == "challenge")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].outcome.as_deref(), Some("ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_outputs_are_never_challenged_and_an_unknown_l1_root_raises_an_alert() {
    let env = test_env().await;
    let devnet = &env.devnet;
    let (watchdog_config, api) = watchdog_config(&env);
    let watchdog_url = watchdog_config.database_url.clone();
    let watchdog = start(watchdog_config).await;
    // The honest relayer delivers, proposes and finalizes.
    let relayer = start(env.config.clone()).await;

    // Deposits and a withdrawal, so outputs carry a non-empty withdrawal tree and L2 gets roots.
    let user = &devnet.accounts.users[1];
    deposit_eth(
        devnet,
        user,
        &[(user.address(), units(4)), (user.address(), units(1))],
    )
    .await;
    wait_for("the deposits on L2", || async {
        (l2_balance(devnet, Address::ZERO, user.address()).await == units(5)).then_some(())
    })
    .await;
    let bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2(devnet, user));
    let receipt = bridge
        .withdraw(Address::ZERO, user.address(), units(2))
        .mined()
        .await;
    assert!(receipt.status());
    let withdrawal_block = receipt.block_number.unwrap();

    let oracle = oracle(devnet);
    let findings = wait_for(
        "four outputs checked, one covering the withdrawal",
        || async {
            let (_, body, _) = http_get(api, "/watchdog").await;
            let outputs = body["outputs"].as_array().unwrap();
            let ok: Vec<&Value> = outputs.iter().filter(|o| o["verdict"] == "ok").collect();
            let covers = ok
                .iter()
                .any(|o| o["l2_block_number"].as_u64().unwrap() >= withdrawal_block);
            (ok.len() >= 4 && covers).then_some(body)
        },
    )
    .await;
    relayer.stop().await;
    let outputs = findings["outputs"].as_array().unwrap();
    assert!(
        outputs.iter().all(|o| o["verdict"] != "wrong"),
        "{findings}"
    );
    // The outputs covering the withdrawal carry a non-empty withdrawal tree, and were found right.
    let empty = drawbridge_protocol::empty_root().to_string();
    assert!(
        outputs.iter().any(|o| o["verdict"] == "ok"
            && o["l2_block_number"].as_u64().unwrap() >= withdrawal_block
            && o["withdrawal_root"] != empty),
        "{findings}"
    );
    let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
    for index in 0..count {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert_eq!(o.challenger, Address::ZERO, "output {index} was challenged");
    }
    // Every root the sequencer published is confirmed on L1; the node is healthy.
    let roots = wait_for("the published roots checked on L1", || async {
        let (_, body, _) = http_get(api, "/watchdog").await;
        let roots = body["roots"].clone();
        (roots["seen"].as_u64().unwrap() >= 1 && roots["seen"] == roots["confirmed_on_l1"])
            .then_some(roots)
    })
    .await;
    assert!(
        roots["unconfirmed"].as_array().unwrap().is_empty(),
        "{roots}"
    );
    let (code, health, _) = http_get(api, "/health").await;
    assert_eq!(code, 200, "{health}");

    // The sequencer (the relayer's key) publishes a root L1 never committed.
    let forged = B256::repeat_byte(0x5a);
    let root_oracle = IL1RootOracle::new(
        devnet.deployment.l2.root_oracle,
        l2(devnet, &devnet.accounts.relayer),
    );
    let receipt = root_oracle.publishRoot(forged, 1_000).mined().await;
    assert!(receipt.status());
    let health = wait_for("the unknown root alert", || async {
        let (code, body, _) = http_get(api, "/health").await;
        (code == 503).then_some(body)
    })
    .await;
    let problems = health["problems"].to_string();
    assert!(problems.contains(&forged.to_string()), "{health}");
    assert!(problems.contains("never committed"), "{health}");
    let (_, body, _) = http_get(api, "/watchdog").await;
    assert_eq!(
        body["roots"]["unconfirmed"][0]["root"],
        forged.to_string(),
        "{body}"
    );
    assert_eq!(body["roots"]["unconfirmed"][0]["l1_count"], 0, "{body}");
    let (_, _, metrics) = http_get(api, "/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "drawbridge_relayer_alerts_total{kind=\"unknown_l1_root\"} 1"),
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "drawbridge_relayer_watchdog_problems"), 1);
    assert_eq!(
        metric(&metrics, "drawbridge_relayer_watchdog_challenges_total"),
        0
    );
    watchdog.stop().await;

    // The watchdog never sent anything.
    assert!(submissions(&watchdog_url).await.is_empty());
}
