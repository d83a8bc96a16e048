//! Issue 9, part 1, end to end through the real binaries (`drawbridge` CLI,
//! `drawbridge-exit-prover`, the devnet's supervised `drawbridge-relayer`): a forged L1 message
//! minted on L2 with the root publisher's key is never paid on L1, and every honest coin comes
//! back.
//!
//! 1. Alice deposits 5 ETH; the devnet relayer delivers it; an output covering it is final.
//! 2. The attacker holds the L2 root publisher's key (the relayer's key in the devnet). He
//!    publishes a root L1 never committed: L1's tree with a made-up 4 ETH deposit to himself
//!    appended at the next nonce (leaf built with the `protocol` crate, checked against
//!    `L2Bridge.l1MessageLeaf`), relays it with `relayMessages` from his own account and
//!    withdraws the 4 ETH on L2.
//! 3. Bob deposits 1 wei on L1 at that nonce: L2 can never process it (the nonce is taken).
//! 4. Refused: proposing the forged state reverts `MessageRootMismatch` with the root L2 consumed
//!    and, while L1 has not committed that count, with L1's root too; the devnet relayer's
//!    proposer halts with the `forged_l1_message` alert; the attacker's withdrawal is never paid.
//! 5. The watchdog: once L1 committed a root for two messages (anyone can), the attacker, who
//!    holds the proposer key too, proposes the forged L2 state claiming L1's root; the contract
//!    accepts it (it cannot see L2 state). A separate watchdog process (role `watchdog`, the
//!    devnet's challenger key, its own database and API) recomputes `l1MessageRoot` from L2,
//!    challenges the output inside its window (`OutputChallenged` by the watchdog's address), the
//!    output never becomes final, the council (9 of 12 FROST signatures) resolves it invalid, it
//!    is deleted and the challenger is credited both bonds, which it withdraws. It is the only
//!    output ever proposed over the forged nonce.
//! 6. Recovery: Alice forces a withdrawal no output can cover, freezes once it is overdue (the
//!    escape state is the last good output, before the forgery), escapes exactly 5 ETH with her
//!    own key; Bob's deposit is refunded once; the attacker's escapes pay nothing; the L1 bridge's
//!    ETH escrow and balance end at exactly zero and the attacker's L1 balance never moved.

use std::time::{Duration, Instant};

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_deployment::{Params, Preset};
use drawbridge_devnet::DevnetOptions;
use drawbridge_testkit::{
    ForgedDeposit, Mined, TestBed, http_get, l2_message, revert_name, tx_fee, units, wait_until,
};

const WAIT: Duration = Duration::from_secs(60);

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_l1_message_is_never_paid_and_every_honest_coin_comes_back() {
    let started = Instant::now();
    // Short windows: a forced withdrawal is freezable 10 + 6 s after its request (no covering
    // output exists, so the 6 s council-response extension never applies).
    let mut params = Params::preset(Preset::Devnet);
    params.forced_inclusion_window = 10;
    let bed = TestBed::start_with(DevnetOptions {
        params,
        ..DevnetOptions::default()
    })
    .await;
    let d = bed.devnet.deployment.clone();
    let [alice, bob, mallory, dave] = [0, 1, 2, 3].map(|i| bed.devnet.accounts.users[i].clone());
    // The attacker's second key: the L2 root publisher's (the relayer's key in the devnet, also
    // the proposer's).
    let publisher_key = bed.devnet.accounts.relayer.clone();
    let alice_arg = alice.address().to_string();
    let mallory_arg = mallory.address().to_string();
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &bed.l1);
    let oracle = IOutputOracle::new(d.l1.output_oracle, &bed.l1);
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, &bed.l2);
    let mallory_l1_start = bed.l1_balance(Address::ZERO, mallory.address()).await;
    let api = bed.start_devnet_relayer_with_api();
    let challenger = bed.devnet.accounts.challenger.address();
    assert_ne!(challenger, publisher_key.address());
    let (watchdog, watchdog_api) = bed.spawn_watchdog("watchdog.sqlite");

    // 1. Alice's 5 ETH, delivered on L2 and covered by a final output.
    let deposit = bed.cli_json(
        Some(&alice),
        &["deposit", "--token", "eth", "--amount", "5"],
    );
    assert_eq!(u(&deposit["nonce"]), 0, "{deposit}");
    wait_until("Alice's deposit minted on L2", WAIT, || async {
        bed.l2_balance(Address::ZERO, alice.address()).await == units(5)
    })
    .await;
    wait_until("a final output covering Alice's deposit", WAIT, || async {
        let Ok(index) = oracle.latestFinalIndex().call().await else {
            return false;
        };
        oracle
            .getOutput(index)
            .call()
            .await
            .is_ok_and(|o| o.l1MessagesProcessed >= 1)
    })
    .await;
    assert_eq!(bed.processed().await, 1);

    // 2. The forgery: L1's one-message tree with a made-up 4 ETH deposit to the attacker
    // appended at nonce 1, a root L1 never committed.
    let root_oracle = IL1RootOracle::new(d.l2.root_oracle, bed.l2_as(&publisher_key));
    assert_eq!(
        root_oracle.publisher().call().await.unwrap(),
        publisher_key.address(),
        "the devnet's L2 root publisher is the relayer's key"
    );
    assert_eq!(d.roles.root_publisher, publisher_key.address());
    let honest = bed.l1_messages().await;
    assert_eq!(honest.len(), 1);
    let forged = ForgedDeposit::new(
        &d,
        &[honest[0].leaf(d.l1.chain_id, d.l1.l1_bridge)],
        mallory.address(),
        units(4),
    );
    // At nonce 1, after L1's one message.
    let (forged_nonce, forged_leaf, tree) = (forged.message.nonce, forged.leaf, &forged.tree);
    assert_eq!(
        l2_bridge
            .l1MessageLeaf(l2_message(&forged.message))
            .call()
            .await
            .unwrap(),
        forged_leaf,
        "the forged leaf is hashed exactly as L2 hashes L1 messages"
    );
    let forged_root = tree.root();
    assert_eq!(
        tree.root_at(1).unwrap(),
        bridge.messageRoot().call().await.unwrap(),
        "the forged tree extends L1's"
    );
    assert_eq!(
        bridge.messageRootCount(forged_root).call().await.unwrap(),
        0
    );
    // The publisher's key publishes any root, and relayMessages is open to anyone.
    let published = forged.publish(&d, &bed.l2_as(&publisher_key)).await;
    assert!(published.status());
    let relayed = forged.relay(&d, &bed.l2_as(&mallory)).await;
    assert!(relayed.status());
    let forged_block = relayed.block_number.unwrap();
    let processed = relayed
        .decoded_log::<IL2Bridge::MessageProcessed>()
        .expect("MessageProcessed")
        .data;
    assert_eq!(
        (processed.nonce, processed.leaf),
        (forged_nonce, forged_leaf)
    );
    assert_eq!(bed.processed().await, 2);
    assert_eq!(
        bed.l2_balance(Address::ZERO, mallory.address()).await,
        units(4)
    );
    assert_eq!(
        l2_bridge.l1MessageRoot().call().await.unwrap(),
        forged_root,
        "L2 consumed the forged tree"
    );
    let withdrawal = bed.cli_withdraw(&mallory, "eth", "4", &mallory_arg);
    let forged_withdrawal = u(&withdrawal["nonce"]);
    assert_eq!(
        bed.l2_balance(Address::ZERO, mallory.address()).await,
        U256::ZERO
    );

    // The attacker is also the proposer (same key): he proposes the L2 state `behind` blocks below
    // the latest (which consumed the forgery), with the root L2 consumed (`None`) or another root.
    // The output's index, or the name of the contract's refusal.
    let bond = oracle.proposerBond().call().await.unwrap();
    let attacker_propose = |root: Option<B256>, behind: u64| {
        let (bed, d, publisher_key) = (&bed, &d, &publisher_key);
        let l2_bridge = l2_bridge.clone();
        let l2 = bed.l2.clone();
        async move {
            let number = l2.get_block_number().await.unwrap() - behind;
            let block = l2
                .get_block_by_number(number.into())
                .await
                .unwrap()
                .expect("the latest L2 block");
            let at = BlockId::number(number);
            let withdrawal_root = l2_bridge.withdrawalRoot().block(at).call().await.unwrap();
            let count = l2_bridge
                .l1MessagesProcessed()
                .block(at)
                .call()
                .await
                .unwrap();
            assert!(
                count > forged_nonce,
                "the proposed state consumed the forgery"
            );
            let root = match root {
                Some(root) => root,
                None => l2_bridge.l1MessageRoot().block(at).call().await.unwrap(),
            };
            // The devnet relayer sends L1 transactions with the same key: each attempt takes the
            // key's pending nonce afresh (a new provider: alloy's nonce cache would not see the
            // relayer's transactions, and a nonce above them waits for a gap to fill), and a send
            // that loses the race for a nonce is sent again.
            let mut attempts = 0;
            loop {
                let result = IOutputOracle::new(d.l1.output_oracle, bed.l1_as(publisher_key))
                    .propose(
                        number,
                        block.header.hash,
                        block.header.state_root,
                        withdrawal_root,
                        count,
                        root,
                    )
                    .value(bond)
                    .send()
                    .await;
                match result {
                    Ok(pending) => {
                        let receipt = pending.get_receipt().await.unwrap();
                        assert!(receipt.status(), "{receipt:?}");
                        return Ok(receipt
                            .decoded_log::<IOutputOracle::OutputProposed>()
                            .expect("OutputProposed")
                            .data
                            .index);
                    }
                    Err(e) if e.as_revert_data().is_some() => {
                        return Err(revert_name::<IOutputOracle::IOutputOracleErrors>(&e));
                    }
                    Err(e) => {
                        attempts += 1;
                        assert!(attempts < 5, "propose not sent: {e}");
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
            }
        }
    };
    let refused = |result: Result<U256, String>| match result {
        Ok(index) => panic!("an output over the forged state was accepted: {index}"),
        Err(name) => name,
    };
    let with_l2_root = refused(attacker_propose(None, 0).await);
    assert!(
        with_l2_root.starts_with("MessageRootMismatch")
            && with_l2_root.contains(&forged_root.to_string()),
        "{with_l2_root}"
    );
    // L1 has committed no root for two messages (it has sent one): its root is refused too.
    let l1_root = bridge.messageRoot().call().await.unwrap();
    let with_l1_root = refused(attacker_propose(Some(l1_root), 0).await);
    assert!(
        with_l1_root.starts_with("MessageRootMismatch"),
        "{with_l1_root}"
    );

    // 3. Bob deposits 1 wei at the nonce the forgery took; anyone commits L1's root.
    let bob_deposit = bed.cli_json(
        Some(&bob),
        &[
            "deposit",
            "--token",
            "eth",
            "--amount",
            "0.000000000000000001",
        ],
    );
    assert_eq!(u(&bob_deposit["nonce"]), forged_nonce, "{bob_deposit}");
    let messages = bed.l1_messages().await;
    let bob_leaf = messages[1].leaf(d.l1.chain_id, d.l1.l1_bridge);
    assert_ne!(
        bob_leaf, forged_leaf,
        "L2 consumed another leaf at Bob's nonce"
    );
    IL1Bridge::new(d.l1.l1_bridge, bed.l1_as(&dave))
        .commitMessageRoot()
        .mined()
        .await;
    let (l1_root_2, committed) = {
        let r = bridge.lastCommittedRoot().call().await.unwrap();
        (r.root, r.count)
    };
    assert_eq!(committed, 2);
    assert_ne!(l1_root_2, forged_root);
    assert_eq!(
        bridge.messageRootCount(forged_root).call().await.unwrap(),
        0
    );
    let again = refused(attacker_propose(None, 0).await);
    assert!(again.starts_with("MessageRootMismatch"), "{again}");
    // The CLI compares the leaf L2 processed with L1's: Bob's deposit is not "delivered".
    let status = bed.cli_json(None, &["status", "--deposit", "1"]);
    assert_eq!(status["stage"], "forged", "{status}");
    assert_eq!(
        status["l2ProcessedLeaf"],
        forged_leaf.to_string(),
        "{status}"
    );

    // 4. The honest proposer refuses the forged state: it halts with the `forged_l1_message`
    // alert, naming nonce 1, and the relayer reports itself unhealthy.
    let sample = |body: &str, series: &str| {
        body.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let alert = "drawbridge_relayer_alerts_total{kind=\"forged_l1_message\"} ";
    wait_until(
        "the devnet relayer's forged_l1_message alert",
        WAIT,
        || async {
            http_get(&api, "/metrics")
                .await
                .is_some_and(|(code, body)| code == 200 && sample(&body, alert) >= 1)
        },
    )
    .await;
    let (_, metrics) = http_get(&api, "/metrics").await.unwrap();
    assert_eq!(
        sample(&metrics, "drawbridge_relayer_halted{role=\"propose\"} "),
        1,
        "{metrics}"
    );
    let (code, health) = http_get(&api, "/health").await.unwrap();
    assert_eq!(code, 503, "{health}");
    assert!(
        health.contains("propose halted: L2 processed a message L1 never sent at nonce 1"),
        "{health}"
    );
    let log = bed.devnet_relayer_log();
    assert!(
        log.lines().any(|l| l.contains("ALERT: role halted")
            && l.contains("role=propose")
            && l.contains("never sent at nonce 1")),
        "{log}"
    );

    // 5. The attacker proposes the forged state with L1's root for two messages, at a block the
    // watchdog's L2 node has confirmed: the contract accepts it.
    let lie = attacker_propose(Some(l1_root_2), 3)
        .await
        .expect("L1 committed this root for two messages: the oracle accepts the lie");
    let lie_output = oracle.getOutput(lie).call().await.unwrap();
    assert_eq!(lie_output.l1MessagesProcessed, 2);
    assert!(lie_output.l2BlockNumber > forged_block);
    // The watchdog challenges it inside its window.
    wait_until(
        "the watchdog's challenge of the lying output",
        WAIT,
        || async { oracle.getOutput(lie).call().await.unwrap().status == 2 },
    )
    .await;
    let challenged = oracle.getOutput(lie).call().await.unwrap();
    assert_eq!(challenged.challenger, challenger, "{}", watchdog.log());
    let challenge_logs = bed
        .l1
        .get_logs(
            &Filter::new()
                .address(d.l1.output_oracle)
                .event_signature(IOutputOracle::OutputChallenged::SIGNATURE_HASH)
                .from_block(d.l1.deploy_block),
        )
        .await
        .unwrap();
    let challenges: Vec<_> = challenge_logs
        .iter()
        .map(|log| {
            let e = log
                .log_decode::<IOutputOracle::OutputChallenged>()
                .unwrap()
                .inner
                .data;
            (e.index, e.challenger)
        })
        .collect();
    assert_eq!(challenges, vec![(lie, challenger)], "{}", watchdog.log());
    let challenged_at = bed
        .l1
        .get_block_by_number(challenge_logs[0].block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let period = oracle.challengePeriod().call().await.unwrap();
    println!(
        "forged_message: challenged {} s after the proposal (window {period} s)",
        challenged_at - challenged.proposedAt,
    );
    let log = watchdog.log();
    assert!(
        log.lines()
            .any(|l| l.contains("ALERT: watchdog: wrong output") && l.contains("l1MessageRoot")),
        "{log}"
    );
    let challenges_total = "drawbridge_relayer_watchdog_challenges_total ";
    wait_until("the watchdog's receipt of its challenge", WAIT, || async {
        http_get(&watchdog_api, "/metrics")
            .await
            .is_some_and(|(_, body)| sample(&body, challenges_total) >= 1)
    })
    .await;
    // Its window passes: disputed, it is not final, nor is anything above the last good output.
    wait_until("the lying output's window passed", WAIT, || async {
        bed.l1_time().await > challenged.proposedAt + period
    })
    .await;
    assert!(!oracle.isFinal(lie).call().await.unwrap());
    assert!(oracle.latestFinalIndex().call().await.unwrap() < lie);
    // The council rules it invalid: deleted, both bonds credited to the challenger, who takes them.
    let challenger_bond = oracle.challengerBond().call().await.unwrap();
    let credit_before = oracle.bondCredit(challenger).call().await.unwrap();
    bed.devnet
        .council_resolve_dispute(lie.to::<u64>(), false)
        .await
        .unwrap();
    assert_eq!(oracle.outputCount().call().await.unwrap(), lie, "deleted");
    assert!(!oracle.isFinal(lie).call().await.unwrap());
    let credit = oracle.bondCredit(challenger).call().await.unwrap();
    assert_eq!(credit - credit_before, bond + challenger_bond);
    let before = bed.l1_balance(Address::ZERO, challenger).await;
    let withdrawn = IOutputOracle::new(
        d.l1.output_oracle,
        bed.l1_as(&bed.devnet.accounts.challenger),
    )
    .withdrawBond()
    .mined()
    .await;
    assert!(withdrawn.status());
    let fee = tx_fee(&bed.l1, withdrawn.transaction_hash).await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, challenger).await + fee - before,
        credit
    );
    // It challenged once and nothing else.
    let (_, metrics) = http_get(&watchdog_api, "/metrics").await.unwrap();
    assert_eq!(sample(&metrics, challenges_total), 1, "{metrics}");
    watchdog.kill();

    // 6. Recovery. Alice forces a withdrawal of her 5 ETH: no output can ever cover it.
    let forced = bed.exit_prover_json(Some(&alice), &["force", "--token", "eth", "--amount", "5"]);
    let forced_nonce = u(&forced["nonce"]);
    assert_eq!(forced_nonce, 2, "{forced}");
    let freeze_at = u(&forced["freezeAt"]);
    let nonce_arg = forced_nonce.to_string();
    let status = bed.exit_prover_json(None, &["status", "--nonce", &nonce_arg]);
    assert_eq!(status["forced"][0]["stage"], "waiting", "{status}");
    bed.exit_prover_fails(
        Some(&dave),
        &["freeze", "--nonce", &nonce_arg],
        "NotOverdue",
    );
    wait_until("the forced withdrawal overdue", WAIT, || async {
        bridge.canFreeze(forced_nonce).call().await.unwrap_or(false)
    })
    .await;
    assert!(bed.l1_time().await >= freeze_at);
    let status = bed.exit_prover_json(None, &["status", "--nonce", &nonce_arg]);
    assert_eq!(status["forced"][0]["stage"], "overdue", "{status}");
    assert_eq!(status["forced"][0]["canFreeze"], true, "{status}");
    assert!(
        !oracle
            .firstCovering(forced_nonce)
            .call()
            .await
            .unwrap()
            .found,
        "no output covers the forced withdrawal"
    );
    // The attacker's, deleted, is the only output ever proposed over the forged nonce.
    let proposed = bed.proposed_outputs().await;
    assert!(!proposed.is_empty());
    let over: Vec<_> = proposed
        .iter()
        .filter(|o| o.l1MessagesProcessed > forged_nonce)
        .collect();
    assert_eq!(over.len(), 1, "{over:?}\n{}", bed.devnet_relayer_log());
    assert_eq!(
        (over[0].index, over[0].l1MessageRoot),
        (lie, l1_root_2),
        "{over:?}"
    );

    let frozen = bed.exit_prover_json(Some(&dave), &["freeze", "--nonce", &nonce_arg]);
    let escape = &frozen["escapeOutput"];
    assert_eq!(u(&escape["l1MessagesProcessed"]), 1, "{frozen}");
    assert!(u(&escape["l2BlockNumber"]) < forged_block, "{frozen}");
    let escape_block = u(&escape["l2BlockNumber"]);
    assert!(bridge.frozen().call().await.unwrap());

    // Alice escapes exactly 5 ETH, sent with her own key (she pays the gas); nobody else's key
    // may claim her L2 balance.
    bed.exit_prover_fails(
        Some(&dave),
        &["escape", "--address", &alice_arg, "--token", "eth"],
        "SenderNotEOA",
    );
    let before = bed.l1_balance(Address::ZERO, alice.address()).await;
    let paid = bed.exit_prover_json(
        Some(&alice),
        &["escape", "--address", &alice_arg, "--token", "eth"],
    );
    assert_eq!(paid["amount"]["raw"], units(5).to_string(), "{paid}");
    let fee = tx_fee(&bed.l1, paid["txHash"].as_str().unwrap().parse().unwrap()).await;
    assert_eq!(
        bed.l1_balance(Address::ZERO, alice.address()).await + fee - before,
        units(5)
    );
    bed.exit_prover_fails(
        Some(&alice),
        &["escape", "--address", &alice_arg, "--token", "eth"],
        "AlreadyEscaped",
    );

    // The attacker's forged balance is in no escape state: the exit prover finds nothing to
    // escape (NothingToEscape, before sending), and the contract refuses a proof of his 4 ETH at
    // the forged block (with or without the account proof) and a proof of his empty balance slot
    // at the escape block.
    bed.exit_prover_fails(
        Some(&mallory),
        &["escape", "--address", &mallory_arg, "--token", "eth"],
        "NothingToEscape",
    );
    let mallory_bridge = IL1Bridge::new(d.l1.l1_bridge, bed.l1_as(&mallory));
    let (account_proof, storage_proof, balance) = bed
        .l2_balance_proof(Address::ZERO, mallory.address(), forged_block)
        .await;
    assert_eq!(
        balance,
        units(4),
        "the proof at the forged block shows the 4 ETH"
    );
    for account_proof in [account_proof, Vec::new()] {
        let err = mallory_bridge
            .escape(
                Address::ZERO,
                mallory.address(),
                account_proof,
                storage_proof.clone(),
            )
            .send()
            .await
            .expect_err("a proof of the forged balance is refused");
        let name = revert_name::<IL1Bridge::IL1BridgeErrors>(&err);
        assert!(name.starts_with("InvalidStateProof"), "{name}");
    }
    let (account_proof, storage_proof, balance) = bed
        .l2_balance_proof(Address::ZERO, mallory.address(), escape_block)
        .await;
    assert_eq!(balance, U256::ZERO);
    let err = mallory_bridge
        .escape(
            Address::ZERO,
            mallory.address(),
            account_proof,
            storage_proof,
        )
        .send()
        .await
        .expect_err("nothing to escape");
    // His balance slot is empty at the escape block, absent from the trie: the contract refuses
    // exclusion proofs (EscapeHatch.balanceUnder), so this is InvalidStateProof too.
    let name = revert_name::<IL1Bridge::IL1BridgeErrors>(&err);
    assert!(name.starts_with("InvalidStateProof"), "{name}");
    assert!(
        !bridge
            .hasEscaped(Address::ZERO, mallory.address())
            .call()
            .await
            .unwrap()
    );

    // Bob's deposit, which L2 never processed, is refunded exactly once (sent by Dave).
    let before = bed.l1_balance(Address::ZERO, bob.address()).await;
    let refund = bed.exit_prover_json(Some(&dave), &["reclaim", "--nonce", "1"]);
    assert_eq!(refund["amount"]["raw"], "1", "{refund}");
    assert_eq!(
        bed.l1_balance(Address::ZERO, bob.address()).await - before,
        U256::from(1)
    );
    bed.exit_prover_fails(
        Some(&dave),
        &["reclaim", "--nonce", "1"],
        "AlreadyRefunded(1)",
    );
    assert_eq!(
        bed.l2_balance(Address::ZERO, bob.address()).await,
        U256::ZERO
    );

    // Nothing was paid for the forgery: no L2 withdrawal (the attacker's included) was ever
    // finalized, the attacker's L1 balance never moved, and the 5 ETH + 1 wei deposited went
    // back exactly once: the ETH escrow and the bridge's balance are zero.
    assert!(!bed.is_finalized(forged_withdrawal).await);
    let withdrawals = l2_bridge.withdrawalCount().call().await.unwrap();
    for nonce in 0..withdrawals {
        assert!(
            !bed.is_finalized(nonce).await,
            "withdrawal {nonce} was paid"
        );
    }
    assert_eq!(
        bed.l1_balance(Address::ZERO, mallory.address()).await,
        mallory_l1_start
    );
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        bed.l1_balance(Address::ZERO, d.l1.l1_bridge).await,
        U256::ZERO
    );
    let count: u64 = oracle.outputCount().call().await.unwrap().to();
    for index in 0..count {
        let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
        assert!(o.l1MessagesProcessed <= forged_nonce, "{o:?}");
    }
    println!("forged_message: {:?}", started.elapsed());
}
