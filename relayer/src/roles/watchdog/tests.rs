use super::*;
use crate::claim::{Claim, output_id};
use crate::events::OutputEvent;
use crate::relayer::Relayer;
use crate::store::watch_outputs::WatchedRoot;
use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Log;
use drawbridge_protocol::OutputStatus;

fn claim() -> Claim {
    Claim {
        l2_block: 10,
        block_hash: B256::repeat_byte(1),
        state_root: B256::repeat_byte(2),
        withdrawal_root: B256::repeat_byte(3),
        l1_messages_processed: 4,
        l1_message_root: Some(B256::repeat_byte(4)),
    }
}

#[test]
fn every_field_of_an_output_is_compared() {
    let actual = claim();
    assert!(differences(&actual, &actual).is_empty());
    type Lie = fn(&mut Claim);
    let cases: [(&str, Lie); 5] = [
        ("l2BlockHash", |c| c.block_hash = B256::repeat_byte(9)),
        ("l2StateRoot", |c| c.state_root = B256::repeat_byte(9)),
        ("withdrawalRoot", |c| {
            c.withdrawal_root = B256::repeat_byte(9)
        }),
        ("l1MessagesProcessed", |c| c.l1_messages_processed = 5),
        ("l1MessageRoot", |c| {
            c.l1_message_root = Some(B256::repeat_byte(9))
        }),
    ];
    for (name, change) in cases {
        let mut lie = actual;
        change(&mut lie);
        let diffs = differences(&lie, &actual);
        assert_eq!(diffs.len(), 1, "{name}: {diffs:?}");
        assert!(diffs[0].starts_with(name), "{name}: {diffs:?}");
    }
    let mut all = actual;
    all.block_hash = B256::ZERO;
    all.withdrawal_root = B256::ZERO;
    assert_eq!(differences(&all, &actual).len(), 2);
    // A claim whose root is unknown (a row from before the column) is judged on the rest.
    let mut unknown = actual;
    unknown.l1_message_root = None;
    assert!(differences(&unknown, &actual).is_empty());
}

#[test]
fn output_identity_covers_index_proposer_and_every_field() {
    let base = output_id(3, Address::repeat_byte(7), &claim());
    assert_eq!(base, output_id(3, Address::repeat_byte(7), &claim()));
    assert_ne!(base, output_id(4, Address::repeat_byte(7), &claim()));
    assert_ne!(base, output_id(3, Address::repeat_byte(8), &claim()));
    let mut other = claim();
    other.l1_messages_processed += 1;
    assert_ne!(base, output_id(3, Address::repeat_byte(7), &other));
    other = claim();
    other.l2_block += 1;
    assert_ne!(base, output_id(3, Address::repeat_byte(7), &other));
}

fn watched(index: u64, status: &str, verdict: Option<&str>) -> WatchedOutput {
    WatchedOutput {
        l1_block: 100 + index,
        log_index: 0,
        index,
        id: output_id(index, Address::repeat_byte(7), &claim()),
        proposer: Address::repeat_byte(7),
        claim: claim(),
        status: status.into(),
        challenger: None,
        council_verdict: None,
        verdict: verdict.map(str::to_string),
        reason: verdict.map(|_| "withdrawalRoot differs".to_string()),
    }
}

#[test]
fn problems_name_what_needs_an_operator() {
    let wrong = [
        watched(0, "proposed", Some("wrong")),
        watched(1, "challenged", Some("wrong")),
        watched(2, "upheld", Some("wrong")),
        watched(3, "proposed", Some("wrong")),
    ];
    let roots = [
        WatchedRoot {
            root: B256::repeat_byte(0xaa),
            count: 3,
            l2_block: 9,
            l1_count: Some(0),
        },
        WatchedRoot {
            root: B256::repeat_byte(0xbb),
            count: 3,
            l2_block: 9,
            l1_count: None,
        },
        WatchedRoot {
            root: B256::repeat_byte(0xcc),
            count: 3,
            l2_block: 9,
            l1_count: Some(2),
        },
    ];
    let p = problems(&wrong, &[3], &roots);
    let texts: Vec<&String> = p.values().collect();
    assert_eq!(p.len(), 5, "{texts:#?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("output 0") && t.contains("not challenged yet"))
    );
    assert!(!texts.iter().any(|t| t.contains("output 1")));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("output 2") && t.contains("upheld"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("output 3") && t.contains("window closed"))
    );
    assert!(texts.iter().any(|t| t.contains("never committed")));
    assert!(texts.iter().any(|t| t.contains("committed on L1 for 2")));
    assert!(problems(&[], &[], &[]).is_empty());
}

fn proposed_log(index: u64, block: u64) -> Log {
    let c = claim();
    let event = IOutputOracle::OutputProposed {
        index: U256::from(index),
        l2BlockNumber: c.l2_block,
        proposer: Address::repeat_byte(7),
        l2BlockHash: c.block_hash,
        l2StateRoot: c.state_root,
        withdrawalRoot: c.withdrawal_root,
        l1MessagesProcessed: c.l1_messages_processed,
        l1MessageRoot: c.l1_message_root.unwrap(),
    };
    Log {
        inner: alloy::primitives::Log {
            address: Address::repeat_byte(1),
            data: event.encode_log_data(),
        },
        block_number: Some(block),
        log_index: Some(2),
        ..Default::default()
    }
}

#[test]
fn oracle_events_decode() {
    let event = decode_output_event(&proposed_log(5, 77)).unwrap().unwrap();
    assert_eq!(
        event,
        OutputEvent::Proposed {
            l1_block: 77,
            log_index: 2,
            index: 5,
            proposer: Address::repeat_byte(7),
            claim: claim(),
        }
    );
    let deleted = IOutputOracle::OutputsDeleted {
        fromIndex: U256::from(4),
        count: U256::from(2),
    };
    let log = Log {
        inner: alloy::primitives::Log {
            address: Address::repeat_byte(1),
            data: deleted.encode_log_data(),
        },
        ..Default::default()
    };
    assert_eq!(
        decode_output_event(&log).unwrap(),
        Some(OutputEvent::Deleted { from_index: 4 })
    );
    // An index beyond 64 bits is refused, not truncated.
    let huge = IOutputOracle::OutputChallenged {
        index: U256::MAX,
        challenger: Address::ZERO,
    };
    let log = Log {
        inner: alloy::primitives::Log {
            address: Address::repeat_byte(1),
            data: huge.encode_log_data(),
        },
        ..Default::default()
    };
    assert!(decode_output_event(&log).is_err());
    // A proposal without a position is refused.
    let mut no_block = proposed_log(1, 1);
    no_block.block_number = None;
    assert!(decode_output_event(&no_block).is_err());
}

/// The tables on a real SQLite file: proposals, a challenge, a council deletion and a
/// re-proposal at a reused index; verdicts; roots.
#[tokio::test]
async fn the_watchdog_tables_track_reused_indexes() {
    let (_dir, store, fence) = crate::test_support::watchdog_store("w.sqlite").await;
    let at = |n| Cursor {
        next_block: n,
        last_block_hash: Some(B256::repeat_byte(n as u8)),
    };
    let proposed = |index: u64, l1_block: u64, claim: Claim| OutputEvent::Proposed {
        l1_block,
        log_index: 0,
        index,
        proposer: Address::repeat_byte(7),
        claim,
    };
    let mut lie = claim();
    lie.withdrawal_root = B256::repeat_byte(0xee);
    let mut next = claim();
    next.l2_block = 15;
    store
        .watch_ingest_outputs(
            &fence,
            &[proposed(0, 10, lie), proposed(1, 11, next)],
            at(12),
        )
        .await
        .unwrap();
    assert_eq!(store.cursor(OUTPUTS_CURSOR).await.unwrap(), Some(at(12)));
    let unchecked = store.watch_unchecked().await.unwrap();
    assert_eq!(unchecked.len(), 2);
    store
        .watch_set_verdict(&fence, &unchecked[0], Some("withdrawalRoot differs"))
        .await
        .unwrap();
    store
        .watch_set_verdict(&fence, &unchecked[1], None)
        .await
        .unwrap();
    assert!(store.watch_unchecked().await.unwrap().is_empty());
    let wrong = store.watch_wrong_live().await.unwrap();
    assert_eq!(wrong.len(), 1);
    assert_eq!(wrong[0].index, 0);
    assert_eq!(wrong[0].status, "proposed");

    // Challenged, then ruled invalid: both outputs deleted; index 0 reused by an honest one.
    store
        .watch_ingest_outputs(
            &fence,
            &[
                OutputEvent::Challenged {
                    index: 0,
                    challenger: Address::repeat_byte(9),
                },
                OutputEvent::Resolved {
                    index: 0,
                    valid: false,
                },
                OutputEvent::Deleted { from_index: 0 },
                proposed(0, 20, claim()),
            ],
            at(21),
        )
        .await
        .unwrap();
    assert!(store.watch_wrong_live().await.unwrap().is_empty());
    let all = store.watched_outputs(10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!((all[0].index, all[0].status.as_str()), (0, "proposed"));
    assert_eq!(all[0].verdict, None);
    assert_eq!((all[1].index, all[1].status.as_str()), (1, "deleted"));
    assert_eq!(all[2].status, "deleted");
    assert_eq!(all[2].council_verdict.as_deref(), Some("invalid"));
    assert_eq!(all[2].challenger, Some(Address::repeat_byte(9)));
    assert_eq!(all[2].verdict.as_deref(), Some("wrong"));
    let id = output_id(0, Address::repeat_byte(7), &claim());
    assert_eq!(
        store.watched_output(id).await.unwrap().unwrap().l1_block,
        20
    );

    // Roots: unchecked, missing, then confirmed.
    let root = B256::repeat_byte(0x11);
    store
        .watch_ingest_roots(&fence, &[(root, 3, 40)], at(41))
        .await
        .unwrap();
    assert_eq!(
        store.watch_roots_unconfirmed().await.unwrap()[0].l1_count,
        None
    );
    store.watch_set_root_check(&fence, root, 0).await.unwrap();
    assert_eq!(
        store.watch_roots_unconfirmed().await.unwrap()[0].l1_count,
        Some(0)
    );
    assert_eq!(store.watch_root_counts().await.unwrap(), (1, 0));
    store.watch_set_root_check(&fence, root, 3).await.unwrap();
    assert!(store.watch_roots_unconfirmed().await.unwrap().is_empty());
    assert_eq!(store.watch_root_counts().await.unwrap(), (1, 1));

    // Writes are fenced: after a takeover this holder writes nothing.
    let mut stale = fence.clone();
    stale.token -= 1;
    assert!(matches!(
        store.watch_set_root_check(&stale, root, 0).await,
        Err(Error::LeaseLost {
            role: Role::Watchdog
        })
    ));
    store.close().await;
}

/// The fields of confirmed L2 block `block` with a made-up withdrawal root.
async fn lie_about(devnet: &drawbridge_devnet::Devnet, block: u64) -> Claim {
    use alloy::providers::ProviderBuilder;
    let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
    let header = l2
        .get_block_by_number(block.into())
        .await
        .unwrap()
        .unwrap()
        .header;
    let bridge = drawbridge_bindings::IL2Bridge::new(devnet.deployment.l2.l2_bridge, &l2);
    let processed = bridge
        .l1MessagesProcessed()
        .block(BlockId::number(block))
        .call()
        .await
        .unwrap();
    let l1_message_root = bridge
        .l1MessageRoot()
        .block(BlockId::number(block))
        .call()
        .await
        .unwrap();
    Claim {
        l2_block: block,
        block_hash: header.hash,
        state_root: header.state_root,
        withdrawal_root: B256::repeat_byte(0x66),
        l1_messages_processed: processed,
        l1_message_root: Some(l1_message_root),
    }
}

/// A watchdog configuration (the challenger's key) on a fresh SQLite file in the returned
/// directory, and the OutputOracle as a liar (the relayer's key, the proposer) sends to it.
fn watchdog_and_liar(
    devnet: &drawbridge_devnet::Devnet,
) -> (
    tempfile::TempDir,
    crate::config::RelayerConfig,
    IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
) {
    use alloy::network::EthereumWallet;
    use alloy::providers::{Provider, ProviderBuilder};
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::config::RelayerConfig::new(
        devnet.deployment.clone(),
        devnet.accounts.challenger.clone(),
    );
    config.database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("w.sqlite").display()
    );
    config.roles = [Role::Watchdog].into_iter().collect();
    let liar = ProviderBuilder::new()
        .wallet(EthereumWallet::from(devnet.accounts.relayer.clone()))
        .connect_http(devnet.deployment.l1.rpc_url.parse().unwrap())
        .erased();
    let oracle = IOutputOracle::new(devnet.deployment.l1.output_oracle, liar);
    (dir, config, oracle)
}

/// Proposes `lie` with the proposer bond and waits for it to land.
async fn propose(
    oracle: &IOutputOracle::IOutputOracleInstance<alloy::providers::DynProvider>,
    lie: &Claim,
) {
    let bond = oracle.proposerBond().call().await.unwrap();
    crate::test_support::landed(
        oracle
            .propose(
                lie.l2_block,
                lie.block_hash,
                lie.state_root,
                lie.withdrawal_root,
                lie.l1_messages_processed,
                lie.l1_message_root.unwrap(),
            )
            .value(bond),
    )
    .await;
}

/// Two crash windows of a challenge, reproduced exactly: the watchdog is dropped after the
/// challenge was recorded but before it was broadcast, and after it was broadcast but before
/// its outcome was recorded. A fresh watchdog on the same database sends the recorded
/// transaction (or only settles it) and never a second challenge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_interrupted_by_a_crash_is_sent_exactly_once() {
    use crate::context::Layer;
    use alloy::providers::ProviderBuilder;
    use drawbridge_devnet::{Devnet, DevnetOptions};

    let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
    let (_dir, mut config, oracle) = watchdog_and_liar(&devnet);
    // The devnet's window is 6 s: act on the latest L1 block.
    config.l1_confirmations = 0;
    config.poll_interval = std::time::Duration::from_millis(200);
    let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
    let mut recorded = Vec::new();
    let mut last_block = 0;
    for (index, broadcast) in [(0u64, false), (1u64, true)] {
        let block = loop {
            let b = l2.get_block_number().await.unwrap().saturating_sub(2);
            if b > last_block {
                break b;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        };
        last_block = block;
        let lie = lie_about(&devnet, block).await;
        propose(&oracle, &lie).await;

        // The watchdog judges the output, records its challenge and "crashes".
        let relayer = Relayer::new(config.clone()).await.unwrap();
        relayer.acquire_leases().await.unwrap();
        let fence = relayer.ctx.fence(Role::Watchdog).unwrap();
        relayer.ctx.watch_follow_outputs(&fence).await.unwrap();
        relayer.ctx.watch_check_outputs(&fence).await.unwrap();
        let wrong = relayer.ctx.store.watch_wrong_live().await.unwrap();
        let output = wrong
            .iter()
            .find(|o| o.index == index && o.status == "proposed")
            .unwrap_or_else(|| panic!("output {index} judged wrong: {wrong:?}"))
            .clone();
        assert!(
            output
                .reason
                .as_deref()
                .unwrap()
                .starts_with("withdrawalRoot")
        );
        let challenger_bond = oracle.challengerBond().call().await.unwrap();
        let (work, call) = relayer.ctx.challenge_work(&output, challenger_bond);
        recorded.push(
            crate::test_support::record_and_crash(&relayer.ctx, Layer::L1, &work, &call, broadcast)
                .await,
        );
        relayer.ctx.store.close().await;
        drop(relayer);

        // A fresh watchdog on the same database finishes the job.
        let mut relayer = Relayer::new(config.clone()).await.unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            relayer.acquire_leases().await.unwrap();
            relayer.ctx.watchdog_round().await.unwrap();
            let o = oracle.getOutput(U256::from(index)).call().await.unwrap();
            if OutputStatus::from_u8_lossy(o.status) == OutputStatus::Challenged {
                assert_eq!(o.challenger, devnet.accounts.challenger.address());
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "never challenged");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        // More rounds send nothing more.
        for _ in 0..3 {
            relayer.ctx.watchdog_round().await.unwrap();
        }
        relayer.ctx.store.close().await;
    }
    crate::test_support::assert_sent_exactly(&config.database_url, "challenge", &recorded).await;
}

/// A watchdog that comes too late: the wrong output's window closed before its first round.
/// It sends nothing, raises `challenge_missed` once and keeps the problem open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_output_past_its_window_is_reported_and_not_challenged() {
    use alloy::providers::ProviderBuilder;
    use drawbridge_devnet::{Devnet, DevnetOptions};

    let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
    let (_dir, config, oracle) = watchdog_and_liar(&devnet);
    let l2 = ProviderBuilder::new().connect_http(devnet.deployment.l2.rpc_url.parse().unwrap());
    let block = loop {
        let b = l2.get_block_number().await.unwrap().saturating_sub(2);
        if b > 0 {
            break b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    let lie = lie_about(&devnet, block).await;
    propose(&oracle, &lie).await;
    // Past the 6 s window (L1 mines a block a second).
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    assert!(oracle.isFinal(U256::ZERO).call().await.unwrap());

    let mut relayer = Relayer::new(config.clone()).await.unwrap();
    relayer.acquire_leases().await.unwrap();
    for _ in 0..3 {
        relayer.ctx.watchdog_round().await.unwrap();
    }
    let problems = relayer.ctx.metrics.watchdog_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("output 0"), "{problems:?}");
    assert!(problems[0].contains("window closed"), "{problems:?}");
    let mut text = crate::metrics::Exposition::default();
    relayer.ctx.metrics.write(&mut text);
    let text = text.finish();
    for line in [
        "drawbridge_relayer_alerts_total{kind=\"challenge_missed\"} 1",
        "drawbridge_relayer_alerts_total{kind=\"wrong_output\"} 1",
        "drawbridge_relayer_watchdog_challenges_total 0",
        "drawbridge_relayer_watchdog_problems 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    assert!(relayer.ctx.store.submissions().await.unwrap().is_empty());
    assert_eq!(
        OutputStatus::from_u8_lossy(oracle.getOutput(U256::ZERO).call().await.unwrap().status),
        OutputStatus::Proposed
    );
    relayer.ctx.store.close().await;
}
