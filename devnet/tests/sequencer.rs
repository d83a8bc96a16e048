//! The devnet's censorship switch on real anvil chains.
//!
//! - `a_censored_senders_transactions_never_land`: through the public L2 endpoint (the sequencer
//!   gate) a censored user's signed transaction is answered with its hash and never mined, while
//!   another user's lands; the relayer's key cannot be censored; censorship set at start, by the
//!   library and by hand with `devnet_censor` applies at once, also inside a JSON-RPC batch, and
//!   uncensoring lets the very same nonce through; a browser's CORS preflight is answered.
//! - `stopped_l1_messages_are_not_delivered_while_outputs_continue`: the devnet's relayer process
//!   delivers a deposit; after `stop_l1_messages` a second deposit stays unprocessed on L2 while
//!   new outputs keep being proposed (with the old `l1MessagesProcessed`); after
//!   `resume_l1_messages` it is delivered.

use std::time::Duration;

use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge, IOutputOracle};
use drawbridge_devnet::sequencer::{RelayerOptions, RelayerState};
use drawbridge_devnet::{Devnet, DevnetOptions};
use drawbridge_testkit::{Mined, binary, provider, wait_until};
use serde_json::{Value, json};

/// A plain transfer of 1 wei to `to` at `nonce`, sent through `l2`; returns its hash.
async fn send(l2: &DynProvider, to: Address, nonce: u64) -> alloy::primitives::B256 {
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(1))
        .with_nonce(nonce);
    *l2.send_transaction(tx).await.expect("sent").tx_hash()
}

async fn rpc(url: &str, body: Value) -> Value {
    alloy::transports::http::reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_censored_senders_transactions_never_land() {
    let early = PrivateKeySigner::random().address();
    let devnet = Devnet::start(DevnetOptions {
        censor: vec![early],
        ..DevnetOptions::default()
    })
    .await
    .unwrap();
    let gate = devnet.l2_rpc_url().to_string();
    assert_ne!(gate, devnet.l2_anvil_url(), "users talk to the gate");
    assert_eq!(devnet.sequencer.censored(), vec![early]);
    let (alice, bob) = (&devnet.accounts.users[0], &devnet.accounts.users[1]);
    let sink = Address::repeat_byte(0x5e);
    let (alice_l2, bob_l2) = (provider(&gate, alice), provider(&gate, bob));

    // The relayer's key cannot be censored.
    let err = devnet
        .censor(devnet.accounts.relayer.address())
        .unwrap_err();
    assert!(err.to_string().contains("relayer"), "{err}");

    devnet.censor(alice.address()).unwrap();
    let censored = send(&alice_l2, sink, 0).await;
    let landed = send(&bob_l2, sink, 0).await;
    wait_until("Bob's transaction", Duration::from_secs(30), || async {
        bob_l2
            .get_transaction_receipt(landed)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    // A few more blocks: Alice's transaction is nowhere, on the gate nor on anvil itself.
    let anvil = ProviderBuilder::new()
        .connect_http(devnet.l2_anvil_url().parse().unwrap())
        .erased();
    let block = anvil.get_block_number().await.unwrap();
    wait_until("three more L2 blocks", Duration::from_secs(30), || async {
        anvil.get_block_number().await.unwrap() >= block + 3
    })
    .await;
    for p in [&alice_l2, &anvil] {
        assert!(p.get_transaction_receipt(censored).await.unwrap().is_none());
        assert!(p.get_transaction_by_hash(censored).await.unwrap().is_none());
        assert_eq!(p.get_transaction_count(alice.address()).await.unwrap(), 0);
    }
    assert_eq!(
        anvil.get_balance(sink).await.unwrap(),
        U256::from(1),
        "only Bob's wei arrived"
    );
    assert_eq!(devnet.sequencer.dropped(), 1);

    // By hand: `devnet_censor` on the gate, then a batch with a censored transaction in it gets
    // the hash for that one and real answers for the rest.
    let carol = &devnet.accounts.users[2];
    let status = rpc(
        &gate,
        json!({"jsonrpc": "2.0", "id": 1, "method": "devnet_censor", "params": [carol.address()]}),
    )
    .await;
    assert!(
        status["result"]["censored"]
            .as_array()
            .unwrap()
            .contains(&json!(carol.address().to_string())),
        "{status}"
    );
    let wallet = EthereumWallet::from(carol.clone());
    let signed = TransactionRequest::default()
        .with_to(sink)
        .with_value(U256::from(1))
        .with_nonce(0)
        .with_chain_id(devnet.deployment.l2.chain_id)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(10_000_000_000)
        .with_max_priority_fee_per_gas(1)
        .build(&wallet)
        .await
        .unwrap();
    let raw = alloy::primitives::hex::encode_prefixed(
        alloy::eips::eip2718::Encodable2718::encoded_2718(&signed),
    );
    let answers = rpc(
        &gate,
        json!([
            {"jsonrpc": "2.0", "id": 7, "method": "eth_sendRawTransaction", "params": [raw]},
            {"jsonrpc": "2.0", "id": 8, "method": "eth_chainId", "params": []},
        ]),
    )
    .await;
    let answers = answers.as_array().unwrap();
    let by_id = |id: u64| answers.iter().find(|a| a["id"] == json!(id)).unwrap();
    assert_eq!(by_id(7)["result"], json!(signed.tx_hash().to_string()));
    assert_eq!(by_id(8)["result"], json!(format!("{:#x}", 901)));
    assert_eq!(devnet.sequencer.dropped(), 2);
    let status = rpc(
        &gate,
        json!({"jsonrpc": "2.0", "id": 2, "method": "devnet_sequencerStatus", "params": []}),
    )
    .await;
    assert_eq!(status["result"]["dropped"], json!(2), "{status}");
    assert_eq!(status["result"]["l1Messages"], json!(true));
    // A malformed control call is an error, not a change.
    let bad = rpc(
        &gate,
        json!({"jsonrpc": "2.0", "id": 3, "method": "devnet_censor", "params": ["0x12"]}),
    )
    .await;
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("address"),
        "{bad}"
    );
    assert_eq!(devnet.sequencer.censored().len(), 3);

    // A web page on another origin may use the endpoint, as it may use anvil.
    let client = alloy::transports::http::reqwest::Client::new();
    let preflight = client
        .request(alloy::transports::http::reqwest::Method::OPTIONS, &gate)
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let answer = client
        .post(&gate)
        .header("Origin", "http://localhost:5173")
        .json(&json!({"jsonrpc": "2.0", "id": 4, "method": "eth_chainId", "params": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");

    // Uncensored, the same nonce goes through at once.
    devnet.uncensor(alice.address());
    let after = send(&alice_l2, sink, 0).await;
    wait_until("Alice's transaction", Duration::from_secs(30), || async {
        alice_l2
            .get_transaction_receipt(after)
            .await
            .unwrap()
            .is_some()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_l1_messages_are_not_delivered_while_outputs_continue() {
    let devnet = Devnet::start(DevnetOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Without a relayer of its own the switch only records the setting.
    devnet.stop_l1_messages().await.unwrap();
    assert!(!devnet.sequencer.l1_messages());
    devnet.resume_l1_messages().await.unwrap();
    devnet
        .start_relayer(RelayerOptions {
            binary: binary("drawbridge-relayer"),
            deployment_file: dir.path().join("deployment.json"),
            database_url: format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("relayer.sqlite").display()
            ),
            log: dir.path().join("relayer.log"),
            extra_args: vec!["--poll-interval".into(), "300ms".into()],
        })
        .unwrap();
    let log = || std::fs::read_to_string(dir.path().join("relayer.log")).unwrap_or_default();
    let d = &devnet.deployment;
    let user = &devnet.accounts.users[0];
    let l1 = provider(&d.l1.rpc_url, user);
    let l2 = provider(d.l2.rpc_url.as_str(), user);
    let bridge = IL1Bridge::new(d.l1.l1_bridge, l1.clone());
    let l2_bridge = IL2Bridge::new(d.l2.l2_bridge, l2.clone());
    let oracle = IOutputOracle::new(d.l1.output_oracle, l1.clone());
    let deposit = || async {
        bridge
            .depositETH(user.address())
            .value(U256::from(10u64).pow(U256::from(17u64)))
            .mined()
            .await
    };

    deposit().await;
    wait_until(
        "the first deposit on L2",
        Duration::from_secs(60),
        || async { l2_bridge.l1MessagesProcessed().call().await.unwrap() == 1 },
    )
    .await;

    devnet.stop_l1_messages().await.unwrap();
    assert!(matches!(
        devnet.sequencer.relayer_state(),
        RelayerState::Running { deliver: false, .. }
    ));
    deposit().await;
    assert_eq!(bridge.messageCount().call().await.unwrap(), 2);
    let outputs = oracle.outputCount().call().await.unwrap();
    wait_until("two more outputs", Duration::from_secs(60), || async {
        oracle.outputCount().call().await.unwrap() >= outputs + U256::from(2)
    })
    .await;
    let newest = oracle.outputCount().call().await.unwrap() - U256::from(1);
    let output = oracle.getOutput(newest).call().await.unwrap();
    assert_eq!(
        output.l1MessagesProcessed, 1,
        "outputs go on, the deposit does not"
    );
    assert_eq!(l2_bridge.l1MessagesProcessed().call().await.unwrap(), 1);
    assert!(log().contains("relayer stopping"), "{}", log());

    devnet.resume_l1_messages().await.unwrap();
    wait_until(
        "the second deposit on L2",
        Duration::from_secs(60),
        || async { l2_bridge.l1MessagesProcessed().call().await.unwrap() == 2 },
    )
    .await;
}
