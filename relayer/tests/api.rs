//! The HTTP API and `/metrics` of an in-process relayer on a real devnet: every documented path
//! answers, a withdrawal's proof verifies against its output's root, bad input gets 400 and
//! unknown items 404, the metrics are well-formed Prometheus text with the values the chains and
//! the database hold, and a balance below the threshold raises the alert.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use drawbridge_bindings::IL2Bridge;
use drawbridge_relayer::Relayer;

use common::*;

/// Parses Prometheus text: every sample line is `name{labels} value` with a declared family.
fn parse_metrics(text: &str) -> Vec<(String, String, f64)> {
    let mut typed = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            let kind = parts.next().unwrap();
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(
                typed.insert(name.to_string()),
                "family {name} declared twice"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(
            !line.is_empty() && !line.starts_with('#'),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                assert!(labels.ends_with('}'), "{line}");
                (name, labels.trim_end_matches('}'))
            }
            None => (series, ""),
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        assert!(typed.contains(name), "{name} has no # TYPE line");
        samples.push((name.to_string(), labels.to_string(), value));
    }
    samples
}

fn metric(samples: &[(String, String, f64)], name: &str, labels: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l == labels)
        .map(|(_, _, v)| *v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_status_proofs_outputs_council_and_metrics() {
    let mut env = test_env().await;
    env.config.api_listen = Some("127.0.0.1:0".parse().unwrap());
    // Far above the devnet account's balance on L1: the low-balance alert must fire there only.
    env.config.l1_min_balance = units(1_000_000_000);
    let devnet = &env.devnet;
    let relayer = Relayer::new(env.config.clone()).await.unwrap();
    let api: SocketAddr = relayer.api_address().expect("the API is bound");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(relayer.run(async move {
        let _ = stopped.await;
    }));

    let user = &devnet.accounts.users[1];
    deposit_eth(
        devnet,
        user,
        &[(user.address(), units(3)), (fresh_address("x"), units(1))],
    )
    .await;
    wait_delivered(devnet, &env.config.database_url, 2).await;

    // Health and status.
    let (code, health, _) = http_get(api, "/health").await;
    assert_eq!(code, 200, "{health}");
    assert_eq!(health["status"], "ok");
    let (code, status, _) = http_get(api, "/status").await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["relayer_id"], "test");
    assert_eq!(
        status["roles_held"].as_array().unwrap().len(),
        3,
        "{status}"
    );
    assert_eq!(status["messages"]["ingested"], 2);
    assert_eq!(status["database"], "sqlite");
    assert!(
        status["chains"]["l1"]["head"].as_u64().unwrap() > 0,
        "{status}"
    );
    assert_eq!(status["chains"]["l1"]["balance_low"], true);
    assert_eq!(status["chains"]["l2"]["balance_low"], false);
    assert!(
        status["submissions"]["confirmed"].as_u64().unwrap() >= 3,
        "{status}"
    );

    // Messages.
    let (code, m, _) = http_get(api, "/messages/0").await;
    assert_eq!(code, 200, "{m}");
    assert_eq!(m["kind"], "deposit");
    assert_eq!(m["state"], "delivered");
    assert_eq!(m["recipient"], user.address().to_string());
    assert_eq!(m["amount"], units(3).to_string());
    assert_eq!(http_get(api, "/messages/2").await.0, 404);
    assert_eq!(http_get(api, "/messages/minus-one").await.0, 400);

    // A withdrawal: initiated, in its challenge window with seconds left, then finalized.
    let l2_bridge = IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2(devnet, user));
    let receipt = l2_bridge
        .withdraw(Address::ZERO, fresh_address("api withdrawal"), units(1))
        .mined()
        .await;
    assert!(receipt.status());
    let by_tx = format!("/withdrawals/{}", receipt.transaction_hash);
    let final_view = wait_for("the withdrawal finalized", || async {
        let (code, w, _) = http_get(api, &by_tx).await;
        if code == 404 {
            return None; // not ingested yet
        }
        assert_eq!(code, 200, "{w}");
        let state = w["state"].as_str().unwrap().to_string();
        if state == "in_challenge_window" {
            assert!(w["seconds_left"].as_u64().is_some(), "{w}");
        }
        if !w["proof"].is_null() {
            // The proof verifies against the root of the output that covers the withdrawal.
            let proof = &w["proof"];
            assert_eq!(proof["root_matches_output"], true, "{w}");
            let siblings: Vec<B256> = proof["siblings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().parse().unwrap())
                .collect();
            let leaf: B256 = w["leaf"].as_str().unwrap().parse().unwrap();
            let root: B256 = w["output"]["withdrawal_root"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(drawbridge_protocol::verify(
                leaf,
                w["nonce"].as_u64().unwrap(),
                &siblings,
                root
            ));
        }
        (state == "finalized").then_some(w)
    })
    .await;
    assert_eq!(final_view["amount"], units(1).to_string());
    // Finalized, it still shows the output that paid it and the proof against it.
    assert_eq!(final_view["seconds_left"], 0, "{final_view}");
    assert!(final_view["output"]["index"].is_u64(), "{final_view}");
    assert_eq!(
        final_view["proof"]["root_matches_output"], true,
        "{final_view}"
    );
    // By nonce, as the CLI names it.
    let nonce = final_view["nonce"].as_u64().unwrap();
    let (code, by_nonce, _) = http_get(api, &format!("/withdrawals/{nonce}")).await;
    assert_eq!(code, 200, "{by_nonce}");
    assert_eq!(by_nonce["leaf"], final_view["leaf"]);
    assert_eq!(
        http_get(api, &format!("/withdrawals/{}", nonce + 99))
            .await
            .0,
        404
    );
    // The user's history: both deposits and the withdrawal, newest first.
    let (code, history, _) = http_get(api, &format!("/history/{}", user.address())).await;
    assert_eq!(code, 200, "{history}");
    let deposits: Vec<u64> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["nonce"].as_u64().unwrap())
        .collect();
    assert_eq!(deposits, [1, 0], "{history}");
    let withdrawals = history["withdrawals"].as_array().unwrap();
    assert_eq!(withdrawals.len(), 1, "{history}");
    assert_eq!(withdrawals[0]["leaf"], final_view["leaf"]);
    let (code, nobody, _) = http_get(api, &format!("/history/{}", Address::repeat_byte(7))).await;
    assert_eq!(code, 200);
    assert!(
        nobody["messages"].as_array().unwrap().is_empty(),
        "{nobody}"
    );
    assert_eq!(http_get(api, "/history/0x12").await.0, 400);
    // By leaf as well; malformed and unknown hashes.
    let (code, by_leaf, _) = http_get(
        api,
        &format!("/withdrawals/{}", final_view["leaf"].as_str().unwrap()),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(by_leaf["nonce"], final_view["nonce"]);
    assert_eq!(http_get(api, "/withdrawals/0x1234").await.0, 400);
    assert_eq!(
        http_get(api, &format!("/withdrawals/{}", B256::repeat_byte(9)))
            .await
            .0,
        404
    );

    // Outputs with their windows.
    let (code, outputs, _) = http_get(api, "/outputs?limit=5").await;
    assert_eq!(code, 200, "{outputs}");
    let list = outputs["outputs"].as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 5, "{outputs}");
    let period = outputs["challenge_period"].as_u64().unwrap();
    for o in list {
        assert_eq!(
            o["challenge_window_ends_at"].as_u64().unwrap(),
            o["proposed_at"].as_u64().unwrap() + period
        );
        assert_eq!(o["l2_block_number"].as_u64().unwrap() % 5, 0);
    }
    assert!(list.iter().any(|o| o["final"] == true), "{outputs}");
    assert_eq!(http_get(api, "/outputs?limit=0").await.0, 400);
    assert_eq!(http_get(api, "/outputs?limit=ten").await.0, 400);

    // Council: the bridge is neither paused nor frozen; scheduled calls are listed (or a note
    // says why none can be).
    let (code, council, _) = http_get(api, "/council").await;
    assert_eq!(code, 200, "{council}");
    assert_eq!(council["l1_bridge"]["paused"], false);
    assert_eq!(council["l1_bridge"]["frozen"], false);
    assert!(
        council["scheduled"].as_array().unwrap().is_empty(),
        "{council}"
    );
    assert!(
        council["council"].is_string() || council["note"].is_string(),
        "{council}"
    );

    // Metrics: well-formed, with what the chains and the database hold.
    // (The API reads finalization from L1; the database flag follows once the receipt is in.)
    // The balance monitor may have read the balance before the relayer's latest transaction:
    // wait until it has caught up (within 0.1 ETH) with the queue empty.
    let (text, samples) = wait_for(
        "the withdrawal queue empty and the balance caught up",
        || async {
            let (code, _, text) = http_get(api, "/metrics").await;
            assert_eq!(code, 200);
            let samples = parse_metrics(&text);
            let queue_empty = metric(
                &samples,
                "drawbridge_relayer_queue_depth",
                "queue=\"unfinalized_withdrawals\"",
            ) == Some(0.0);
            let l1_balance = l1(devnet, user)
                .get_balance(devnet.accounts.relayer.address())
                .await
                .unwrap();
            let actual: f64 = l1_balance.to_string().parse().unwrap();
            let reported = metric(&samples, "drawbridge_relayer_balance_wei", "chain=\"l1\"")?;
            (queue_empty && (reported - actual).abs() < 1e17).then_some((text, samples))
        },
    )
    .await;
    assert_eq!(
        metric(&samples, "drawbridge_relayer_balance_low", "chain=\"l1\""),
        Some(1.0)
    );
    assert_eq!(
        metric(&samples, "drawbridge_relayer_balance_low", "chain=\"l2\""),
        Some(0.0)
    );
    assert!(
        metric(
            &samples,
            "drawbridge_relayer_alerts_total",
            "kind=\"low_balance\""
        )
        .unwrap()
            >= 1.0
    );
    for chain in ["l1", "l2"] {
        let lag = metric(
            &samples,
            "drawbridge_relayer_head_lag_blocks",
            &format!("chain=\"{chain}\""),
        )
        .unwrap_or_else(|| panic!("no head lag for {chain}:\n{text}"));
        assert!(lag < 50.0, "{chain} lag {lag}");
        assert!(
            metric(
                &samples,
                "drawbridge_relayer_gas_used_total",
                &format!("chain=\"{chain}\"")
            )
            .unwrap()
                > 0.0
        );
    }
    assert!(
        metric(
            &samples,
            "drawbridge_relayer_submissions",
            "state=\"confirmed\""
        )
        .unwrap()
            >= 4.0
    );
    assert_eq!(
        metric(
            &samples,
            "drawbridge_relayer_submissions",
            "state=\"failed\""
        ),
        Some(0.0)
    );
    assert_eq!(
        metric(
            &samples,
            "drawbridge_relayer_queue_depth",
            "queue=\"undelivered_messages\""
        ),
        Some(0.0)
    );
    assert_eq!(
        metric(
            &samples,
            "drawbridge_relayer_queue_depth",
            "queue=\"unfinalized_withdrawals\""
        ),
        Some(0.0)
    );
    assert_eq!(
        metric(
            &samples,
            "drawbridge_relayer_lease_held",
            "role=\"deliver\""
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&samples, "drawbridge_relayer_halted", "role=\"deliver\""),
        Some(0.0)
    );

    // The OpenAPI description matches the routes: every documented path answers with one of
    // the statuses it documents (path parameters from their examples).
    let (code, doc, _) = http_get(api, "/openapi.json").await;
    assert_eq!(code, 200);
    for (path, item) in doc["paths"].as_object().unwrap() {
        let get = &item["get"];
        let mut concrete = path.clone();
        for p in get["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let example = match &p["example"] {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                concrete =
                    concrete.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), &example);
            }
        }
        let (code, _, body) = http_get(api, &concrete).await;
        assert!(
            get["responses"].get(code.to_string()).is_some(),
            "{concrete} answered {code}, not documented: {body}"
        );
        // An unrouted path is axum's bare 404; the API's own 404s explain themselves.
        assert!(
            code != 404 || body.contains("\"error\""),
            "{concrete} is documented but not routed"
        );
    }

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}
