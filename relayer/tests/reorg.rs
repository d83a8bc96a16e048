//! Reorgs on real anvil chains (`anvil_reorg`, `evm_snapshot` / `evm_revert`) under a running
//! relayer: a deposit reorged out before its confirmation is never delivered and is delivered
//! exactly once after it is included again; a reorg deeper than the confirmation depth halts the
//! roles that followed the chain, and `/health` and `/metrics` say so, also after a restart.

mod common;

use std::time::Duration;

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use drawbridge_bindings::IL1Bridge;
use drawbridge_bindings::IL2Bridge::IL2BridgeInstance;
use drawbridge_relayer::{Role, Store};

use common::*;

async fn rpc(url: &str, method: &'static str, params: serde_json::Value) -> serde_json::Value {
    let provider = alloy::providers::ProviderBuilder::new().connect_http(url.parse().unwrap());
    provider
        .raw_request::<_, serde_json::Value>(method.into(), params)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

async fn head(url: &str) -> u64 {
    alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().unwrap())
        .get_block_number()
        .await
        .unwrap()
}

/// Stops (`0`) or restarts interval mining.
async fn interval_mining(url: &str, seconds: u64) {
    rpc(url, "evm_setIntervalMining", serde_json::json!([seconds])).await;
}

/// A signed `depositETH` of `amount` to `recipient` from `user` (raw bytes and hash), so that
/// the very same transaction can be included again after a reorg dropped it.
async fn signed_deposit(
    url: &str,
    chain_id: u64,
    bridge: Address,
    user: &PrivateKeySigner,
    recipient: Address,
    amount: U256,
) -> (Vec<u8>, B256) {
    let input = IL1Bridge::depositETHCall {
        l2Recipient: recipient,
    }
    .abi_encode();
    signed_tx(url, chain_id, user, bridge, amount, input).await
}

/// A signed transaction from `user` to `to` of `value` and `input` (raw bytes and hash), at the
/// user's next account nonce on the chain at `url`.
async fn signed_tx(
    url: &str,
    chain_id: u64,
    user: &PrivateKeySigner,
    to: Address,
    value: U256,
    input: Vec<u8>,
) -> (Vec<u8>, B256) {
    let provider = alloy::providers::ProviderBuilder::new().connect_http(url.parse().unwrap());
    let nonce = next_nonce(&provider, user).await;
    let request = TransactionRequest::default()
        .with_from(user.address())
        .with_to(to)
        .with_value(value)
        .with_input(input)
        .with_nonce(nonce)
        .with_chain_id(chain_id)
        .with_gas_limit(300_000)
        .with_max_fee_per_gas(20_000_000_000)
        .with_max_priority_fee_per_gas(1_000_000_000);
    let envelope = request
        .build(&EthereumWallet::from(user.clone()))
        .await
        .unwrap();
    (envelope.encoded_2718(), *envelope.tx_hash())
}

async fn send_raw(url: &str, raw: &[u8]) {
    rpc(
        url,
        "eth_sendRawTransaction",
        serde_json::json!([alloy::hex::encode_prefixed(raw)]),
    )
    .await;
}

async fn receipt_block(url: &str, hash: B256) -> Option<u64> {
    alloy::providers::ProviderBuilder::new()
        .connect_http(url.parse().unwrap())
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .map(|r| r.block_number.unwrap())
}

/// Waits until the relayer's `role` has followed `chain` up to block `number`.
async fn followed_to(url: &str, role: &str, chain: &str, number: u64) {
    let store = Store::open(url).await.unwrap();
    wait_for(
        &format!("{role} following {chain} to block {number}"),
        || async {
            let followed = store.followed_headers().await.unwrap();
            followed
                .iter()
                .any(|(r, c, _, high)| r == role && c == chain && *high >= number)
                .then_some(())
        },
    )
    .await;
    store.close().await;
}

async fn metric(api: std::net::SocketAddr, line_prefix: &str) -> Option<u64> {
    let (_, _, text) = http_get(api, "/metrics").await;
    text.lines()
        .find(|l| l.starts_with(line_prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// Has the relayer of `env` serve its API on a free local port; returns the port's address.
fn serve_api(env: &mut RelayerBed) -> std::net::SocketAddr {
    let api: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
    env.config.api_listen = Some(api);
    api
}

/// Waits until the relayer at `api` raised the `kind` reorg alert `at_least` times.
async fn reorgs_detected(api: std::net::SocketAddr, kind: &str, at_least: u64, what: &str) {
    let series = format!("drawbridge_relayer_alerts_total{{kind=\"{kind}\"}}");
    wait_for(what, || async {
        metric(api, &series).await.filter(|n| *n >= at_least)
    })
    .await;
}

/// Restarts interval mining (a block a second) and waits until `blocks` more are mined.
async fn resume_mining_past(url: &str, blocks: u64, what: &str) {
    interval_mining(url, 1).await;
    let resumed = head(url).await;
    wait_for(what, || async {
        (head(url).await >= resumed + blocks).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_reorged_out_before_confirmation_is_not_delivered_and_delivered_once_when_included_again()
 {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver].into_iter().collect();
    env.config.l1_confirmations = 4;
    let api = serve_api(&mut env);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let l1_url = devnet.deployment.l1.rpc_url.clone();
    let bridge = devnet.deployment.l1.l1_bridge;
    let l1_chain = devnet.deployment.l1.chain_id;
    let (alice, bob) = (&devnet.accounts.users[0], &devnet.accounts.users[1]);
    let (carol, dave, erin, frank) = (
        fresh_address("reorg carol"),
        fresh_address("reorg dave"),
        fresh_address("reorg erin"),
        fresh_address("reorg frank"),
    );
    let running = start(env.config.clone()).await;

    // A first deposit, delivered normally.
    deposit_eth(devnet, alice, &[(carol, units(1))]).await;
    wait_delivered(devnet, &url, 1).await;

    // 1. anvil_reorg. Mining stops; Bob's deposit of 7 ETH to Dave is mined alone in block B.
    interval_mining(&l1_url, 0).await;
    let (raw_dave, hash_dave) =
        signed_deposit(&l1_url, l1_chain, bridge, bob, dave, units(7)).await;
    send_raw(&l1_url, &raw_dave).await;
    rpc(&l1_url, "evm_mine", serde_json::json!([])).await;
    let b = receipt_block(&l1_url, hash_dave)
        .await
        .expect("deposit mined");
    assert_eq!(b, head(&l1_url).await);
    // The relayer sees block B (its header is followed) but B is not confirmed: nothing ingested.
    followed_to(&url, "deliver", "l1", b).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.message_count().await.unwrap(), 1);
    // Block B is replaced by an empty block: the deposit is gone from L1.
    rpc(&l1_url, "anvil_reorg", serde_json::json!([1, []])).await;
    assert_eq!(receipt_block(&l1_url, hash_dave).await, None);
    assert_eq!(message_count(devnet).await, 1);
    reorgs_detected(api, "reorg_l1", 1, "the shallow L1 reorg detected").await;

    // 2. evm_snapshot / evm_revert: a 3 ETH deposit to Frank is mined, seen, and reverted away
    // (the chain gets shorter).
    let snapshot = rpc(&l1_url, "evm_snapshot", serde_json::json!([])).await;
    let (raw_frank, hash_frank) =
        signed_deposit(&l1_url, l1_chain, bridge, alice, frank, units(3)).await;
    send_raw(&l1_url, &raw_frank).await;
    rpc(&l1_url, "evm_mine", serde_json::json!([])).await;
    rpc(&l1_url, "evm_mine", serde_json::json!([])).await;
    let reverted_tip = head(&l1_url).await;
    assert!(receipt_block(&l1_url, hash_frank).await.is_some());
    followed_to(&url, "deliver", "l1", reverted_tip).await;
    assert_eq!(
        rpc(&l1_url, "evm_revert", serde_json::json!([snapshot])).await,
        serde_json::json!(true)
    );
    assert!(head(&l1_url).await < reverted_tip);
    assert_eq!(receipt_block(&l1_url, hash_frank).await, None);
    reorgs_detected(api, "reorg_l1", 2, "the reverted L1 blocks detected").await;

    // Mining resumes well past the confirmation depth: neither removed deposit is delivered,
    // nor stored, and the deliver role is not halted.
    resume_mining_past(&l1_url, 8, "L1 past the confirmation depth").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(store.message_count().await.unwrap(), 1);
    assert_eq!(processed(devnet).await, 1);
    assert_eq!(l2_balance(devnet, Address::ZERO, dave).await, U256::ZERO);
    assert_eq!(l2_balance(devnet, Address::ZERO, frank).await, U256::ZERO);
    let (status, health, _) = http_get(api, "/health").await;
    assert_eq!(status, 200, "{health}");

    // Another deposit takes the message nonce the removed one had: Erin gets exactly it.
    deposit_eth(devnet, alice, &[(erin, units(2))]).await;
    wait_delivered(devnet, &url, 2).await;
    assert_eq!(l2_balance(devnet, Address::ZERO, erin).await, units(2));
    assert_eq!(l2_balance(devnet, Address::ZERO, dave).await, U256::ZERO);

    // The very same signed deposit to Dave is included again (its account nonce is still free):
    // it is delivered exactly once.
    send_raw(&l1_url, &raw_dave).await;
    wait_for("the re-included deposit mined", || async {
        receipt_block(&l1_url, hash_dave).await
    })
    .await;
    wait_delivered(devnet, &url, 3).await;
    assert_eq!(l2_balance(devnet, Address::ZERO, dave).await, units(7));
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(processed(devnet).await, 3);
    assert_eq!(l2_balance(devnet, Address::ZERO, dave).await, units(7));
    assert_eq!(l2_balance(devnet, Address::ZERO, carol).await, units(1));
    assert_eq!(l2_balance(devnet, Address::ZERO, frank).await, U256::ZERO);
    running.stop().await;

    let messages = store.messages(0, 10).await.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].message.recipient, erin);
    assert_eq!(messages[2].message.recipient, dave);
    assert_eq!(messages[2].l1_tx, hash_dave);
    let all = store.submissions().await.unwrap();
    assert_relayed_exactly_once(&all, 3);
    assert_no_failed_submissions(&all);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_deeper_than_the_confirmation_depth_halts_the_roles_and_health_shows_it() {
    let mut env = test_env().await;
    env.config.roles = [Role::Deliver, Role::Propose, Role::Finalize]
        .into_iter()
        .collect();
    env.config.l1_confirmations = 2;
    env.config.l2_confirmations = 2;
    let api = serve_api(&mut env);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let l1_url = devnet.deployment.l1.rpc_url.clone();
    let l2_url = devnet.deployment.l2.rpc_url.clone();
    let user = &devnet.accounts.users[2];
    let carol = fresh_address("deep carol");
    let running = start(env.config.clone()).await;

    deposit_eth(devnet, user, &[(carol, units(1))]).await;
    wait_delivered(devnet, &url, 1).await;
    let store = Store::open(&url).await.unwrap();
    let ingested = store.messages(0, 1).await.unwrap()[0].l1_block;
    let (status, _, _) = http_get(api, "/health").await;
    assert_eq!(status, 200);

    // L1: every block from the deposit's on is replaced, more than the 2 confirmations.
    let depth = head(&l1_url).await - ingested + 1;
    assert!(depth > 2);
    rpc(&l1_url, "anvil_reorg", serde_json::json!([depth, []])).await;
    let (_, health) = wait_for("deliver halted on /health", || async {
        let (status, health, _) = http_get(api, "/health").await;
        (status == 503 && health.to_string().contains("deliver halted")).then_some((status, health))
    })
    .await;
    let text = health.to_string();
    assert!(
        text.contains("reorg deeper than the confirmation depth"),
        "{text}"
    );
    assert_eq!(
        metric(api, "drawbridge_relayer_halted{role=\"deliver\"}").await,
        Some(1)
    );
    assert!(
        metric(api, "drawbridge_relayer_alerts_total{kind=\"deep_reorg\"}")
            .await
            .unwrap_or(0)
            >= 1
    );

    // L2: a snapshot, blocks past the depth, and a revert to the snapshot.
    let snapshot = rpc(&l2_url, "evm_snapshot", serde_json::json!([])).await;
    let l2_tip = head(&l2_url).await + 4;
    wait_for("L2 blocks after the snapshot", || async {
        (head(&l2_url).await >= l2_tip).then_some(())
    })
    .await;
    followed_to(&url, "finalize", "l2", l2_tip).await;
    followed_to(&url, "propose", "l2", l2_tip).await;
    rpc(&l2_url, "evm_revert", serde_json::json!([snapshot])).await;
    wait_for("propose and finalize halted on /health", || async {
        let (status, health, _) = http_get(api, "/health").await;
        let text = health.to_string();
        (status == 503 && text.contains("propose halted") && text.contains("finalize halted"))
            .then_some(())
    })
    .await;

    // Halted means halted: a new deposit is not delivered.
    let before = processed(devnet).await;
    deposit_eth(devnet, user, &[(carol, units(2))]).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(processed(devnet).await, before);
    running.stop().await;

    // A restart does not forget: the roles halt again.
    let running = start(env.config.clone()).await;
    wait_for("the roles halted again after a restart", || async {
        let (status, health, _) = http_get(api, "/health").await;
        let text = health.to_string();
        (status == 503
            && text.contains("deliver halted")
            && text.contains("propose halted")
            && text.contains("finalize halted"))
        .then_some(())
    })
    .await;
    assert_eq!(processed(devnet).await, before);
    running.stop().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l2_withdrawal_reorged_out_is_not_paid_and_outputs_only_name_blocks_that_stayed() {
    let mut env = test_env().await;
    env.config.l2_confirmations = 4;
    let api = serve_api(&mut env);
    let url = env.config.database_url.clone();
    let devnet = &env.devnet;
    let l2_url = devnet.deployment.l2.rpc_url.clone();
    let user = &devnet.accounts.users[3];
    let (gone, kept) = (
        fresh_address("l2 reorg gone"),
        fresh_address("l2 reorg kept"),
    );
    let running = start(env.config.clone()).await;
    deposit_eth(devnet, user, &[(user.address(), units(5))]).await;
    wait_delivered(devnet, &url, 1).await;

    // L2 stops; a withdrawal of 2 ETH is mined alone, followed by the propose and finalize
    // roles, and replaced by an empty block (1 < 4 confirmations).
    interval_mining(&l2_url, 0).await;
    let l2_bridge = devnet.deployment.l2.l2_bridge;
    let input = drawbridge_bindings::IL2Bridge::withdrawCall {
        l1Token: Address::ZERO,
        l1Recipient: gone,
        amount: units(2),
    }
    .abi_encode();
    let (raw, hash) = signed_tx(
        &l2_url,
        devnet.deployment.l2.chain_id,
        user,
        l2_bridge,
        U256::ZERO,
        input,
    )
    .await;
    send_raw(&l2_url, &raw).await;
    rpc(&l2_url, "evm_mine", serde_json::json!([])).await;
    let b = receipt_block(&l2_url, hash)
        .await
        .expect("withdrawal mined");
    followed_to(&url, "finalize", "l2", b).await;
    followed_to(&url, "propose", "l2", b).await;
    rpc(&l2_url, "anvil_reorg", serde_json::json!([1, []])).await;
    assert_eq!(receipt_block(&l2_url, hash).await, None);
    reorgs_detected(
        api,
        "reorg_l2",
        2,
        "the shallow L2 reorg detected by both roles",
    )
    .await;
    resume_mining_past(&l2_url, 7, "L2 past the confirmation depth").await;
    let store = Store::open(&url).await.unwrap();
    assert!(store.withdrawals().await.unwrap().is_empty());

    // The very same withdrawal included again, then another one behind it: each paid once.
    send_raw(&l2_url, &raw).await;
    let l2_user = IL2BridgeInstance::new(l2_bridge, l2(devnet, user));
    let receipt = l2_user
        .withdraw(Address::ZERO, kept, units(1))
        .mined()
        .await;
    assert!(receipt.status());
    assert!(receipt_block(&l2_url, hash).await.is_some());
    let l1 = l1(devnet, &devnet.accounts.challenger);
    wait_for("both withdrawals paid", || async {
        (l1.get_balance(kept).await.unwrap() == units(1)
            && l1.get_balance(gone).await.unwrap() == units(2))
        .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(l1.get_balance(gone).await.unwrap(), units(2));
    assert_eq!(l1.get_balance(kept).await.unwrap(), units(1));
    let stored = store.withdrawals().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].withdrawal.recipient, gone);
    assert_eq!(stored[0].l2_tx, hash);
    assert_eq!(stored[1].withdrawal.recipient, kept);
    let (status, health, _) = http_get(api, "/health").await;
    assert_eq!(status, 200, "{health}");
    running.stop().await;

    // Every output names an L2 block hash, state root and withdrawal root of the chain as it is.
    let oracle = oracle(devnet);
    let count: u64 = oracle.outputCount().call().await.unwrap().saturating_to();
    assert!(count >= 2);
    let reader = l2(devnet, &devnet.accounts.challenger);
    let l2_read = IL2BridgeInstance::new(l2_bridge, &reader);
    for index in 0..count {
        let output = oracle.getOutput(U256::from(index)).call().await.unwrap();
        let header = header_at(&reader, output.l2BlockNumber).await;
        assert_eq!(output.l2BlockHash, header.hash, "output {index}");
        assert_eq!(output.l2StateRoot, header.state_root, "output {index}");
        assert_eq!(
            output.withdrawalRoot,
            l2_read
                .withdrawalRoot()
                .block(output.l2BlockNumber.into())
                .call()
                .await
                .unwrap(),
            "output {index}"
        );
    }
    let all = store.submissions().await.unwrap();
    assert_no_failed_submissions(&all);
    store.close().await;
}
