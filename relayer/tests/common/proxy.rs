//! A JSON-RPC proxy in front of an anvil that can be switched to fail: down (not listening),
//! answering an HTTP status (429 rate limit, 503), hanging, answering garbage, forging the
//! `amount` of every `MessageSent` log it passes on, or adding to every `eth_getLogs` answer a
//! made-up but self-consistent `MessageSent` (the next nonce, its leaf right for its fields) and a
//! `MessageRootCommitted` of the tree that includes it (a node lying only in its logs), or
//! refusing `eth_call` at any block but the latest (a full node whose old state is pruned).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::SolEvent;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use drawbridge_bindings::IL1Bridge;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    /// Every request is answered with this HTTP status.
    Status(u16),
    /// Requests are never answered (the client times out).
    Hang,
    /// A JSON-RPC answer whose result is not what was asked for.
    Garbage,
    /// Forwarded, but every `MessageSent` log's amount is changed (a lying node).
    ForgeMessages,
    /// Forwarded, but every `eth_getLogs` answer about `MessageSent` gets a made-up deposit at the
    /// next nonce (in the range's last block, with that block's real hash) and a
    /// `MessageRootCommitted` of the tree with it: only `eth_call` tells the truth.
    InjectMessage,
    /// Forwarded, but an `eth_call` at a block number or hash (not a tag such as `latest`) is
    /// answered with geth's "missing trie node" error: a full node without old state.
    PrunedState,
}

/// What an injected message is made for.
#[derive(Debug, Clone, Copy)]
pub struct Injection {
    pub l1_chain_id: u64,
    pub l1_bridge: Address,
    /// Who the made-up deposit credits.
    pub recipient: Address,
    pub amount: U256,
}

struct Shared {
    upstream: String,
    mode: Mutex<Mode>,
    requests: AtomicU64,
    client: alloy::transports::http::reqwest::Client,
    injection: Mutex<Option<Injection>>,
    /// How many made-up messages were handed out.
    injected: AtomicU64,
    /// How many `eth_call`s at an old block were refused ([`Mode::PrunedState`]).
    pruned: AtomicU64,
}

pub struct RpcProxy {
    pub url: String,
    port: u16,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl RpcProxy {
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            mode: Mutex::new(Mode::Forward),
            requests: AtomicU64::new(0),
            client: alloy::transports::http::reqwest::Client::new(),
            injection: Mutex::new(None),
            injected: AtomicU64::new(0),
            pruned: AtomicU64::new(0),
        });
        let proxy = Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            shared,
            task: Mutex::new(None),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = axum::Router::new()
            .route("/", axum::routing::post(handle))
            .with_state(self.shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *self.task.lock().unwrap() = Some(task);
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// Switches to [`Mode::InjectMessage`] with this made-up deposit.
    pub fn inject(&self, injection: Injection) {
        *self.shared.injection.lock().unwrap() = Some(injection);
        self.set_mode(Mode::InjectMessage);
    }

    /// Made-up messages handed out so far.
    pub fn injected(&self) -> u64 {
        self.shared.injected.load(Ordering::SeqCst)
    }

    /// `eth_call`s at an old block refused so far ([`Mode::PrunedState`]).
    pub fn pruned(&self) -> u64 {
        self.shared.pruned.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Stops listening (connections are refused); requests on kept-alive connections get 502.
    pub fn stop(&self) {
        self.set_mode(Mode::Status(502));
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Listens again on the same port, forwarding.
    pub async fn restart(&self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        self.set_mode(Mode::Forward);
        self.serve(listener);
    }
}

async fn handle(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let mode = *shared.mode.lock().unwrap();
    match mode {
        Mode::Status(code) => (
            StatusCode::from_u16(code).unwrap(),
            "the proxy says no".to_string(),
        )
            .into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Mode::Garbage => {
            let id = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("id").cloned())
                .unwrap_or(serde_json::Value::Null);
            let answer =
                serde_json::json!({"jsonrpc": "2.0", "id": id, "result": {"garbage": [1, 2, 3]}});
            (StatusCode::OK, answer.to_string()).into_response()
        }
        Mode::PrunedState if at_old_state(&body) => {
            shared.pruned.fetch_add(1, Ordering::SeqCst);
            let id = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("id").cloned())
                .unwrap_or(serde_json::Value::Null);
            let answer = serde_json::json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": {"code": -32000, "message": "missing trie node 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421 (path ) state is not available"},
            });
            (StatusCode::OK, answer.to_string()).into_response()
        }
        Mode::Forward | Mode::ForgeMessages | Mode::InjectMessage | Mode::PrunedState => {
            let response = match shared
                .client
                .post(&shared.upstream)
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .await
            {
                Ok(r) => r,
                Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
            };
            let status = response.status().as_u16();
            let mut text = response.text().await.unwrap_or_default();
            if mode == Mode::ForgeMessages {
                text = forge_message_logs(&text);
            }
            let injection = *shared.injection.lock().unwrap();
            if let (Mode::InjectMessage, Some(injection)) = (mode, injection) {
                text = inject_message(&shared, injection, &body, text).await;
            }
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                text,
            )
                .into_response()
        }
    }
}

/// Whether a request is an `eth_call` at a block named by number or hash rather than by a tag.
fn at_old_state(body: &[u8]) -> bool {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    if request["method"] != "eth_call" {
        return false;
    }
    match &request["params"][1] {
        serde_json::Value::Null => false,
        serde_json::Value::String(tag) => {
            !matches!(tag.as_str(), "latest" | "pending" | "safe" | "finalized")
        }
        _ => true,
    }
}

/// Adds one to the `amount` of every `MessageSent` log in an `eth_getLogs` answer.
fn forge_message_logs(text: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_string();
    };
    let Some(logs) = value.get_mut("result").and_then(|r| r.as_array_mut()) else {
        return text.to_string();
    };
    let topic = IL1Bridge::MessageSent::SIGNATURE_HASH.to_string();
    for log in logs {
        let is_message = log["topics"]
            .as_array()
            .and_then(|t| t.first())
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.eq_ignore_ascii_case(&topic));
        if !is_message {
            continue;
        }
        let Some(data) = log["data"].as_str() else {
            continue;
        };
        // Words: recipient, token, amount, data offset, leaf, ... The amount's last hex digit
        // changes; everything still decodes, only the leaf no longer matches.
        let mut chars: Vec<char> = data.chars().collect();
        let at = 2 + 64 * 3 - 1;
        chars[at] = if chars[at] == '0' { '1' } else { '0' };
        log["data"] = serde_json::Value::String(chars.into_iter().collect());
    }
    value.to_string()
}

/// One upstream JSON-RPC call.
async fn upstream(shared: &Shared, method: &str, params: serde_json::Value) -> serde_json::Value {
    let request =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: serde_json::Value = shared
        .client
        .post(&shared.upstream)
        .json(&request)
        .send()
        .await
        .expect("upstream answers")
        .json()
        .await
        .expect("upstream answers JSON");
    answer["result"].clone()
}

/// Adds a made-up deposit at the next nonce and a `MessageRootCommitted` of the tree with it to an
/// `eth_getLogs` answer that asks for `MessageSent` logs; other answers pass unchanged.
async fn inject_message(
    shared: &Shared,
    injection: Injection,
    request: &[u8],
    text: String,
) -> String {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(request) else {
        return text;
    };
    if request["method"] != "eth_getLogs" {
        return text;
    }
    let filter = &request["params"][0];
    let sent = IL1Bridge::MessageSent::SIGNATURE_HASH.to_string();
    if !filter["topics"].to_string().to_lowercase().contains(&sent) {
        return text;
    }
    let Ok(mut answer) = serde_json::from_str::<serde_json::Value>(&text) else {
        return text;
    };
    if !answer["result"].is_array() {
        return text;
    }
    let Some(to) = filter["toBlock"]
        .as_str()
        .and_then(|t| u64::from_str_radix(t.trim_start_matches("0x"), 16).ok())
    else {
        return text;
    };
    // Every real message up to the range's end: the made-up one comes next.
    let real = upstream(
        shared,
        "eth_getLogs",
        serde_json::json!([{
            "address": injection.l1_bridge,
            "topics": [sent],
            "fromBlock": "0x0",
            "toBlock": format!("{to:#x}"),
        }]),
    )
    .await;
    let mut leaves = Vec::new();
    for log in real.as_array().into_iter().flatten() {
        let log: alloy::rpc::types::Log = serde_json::from_value(log.clone()).unwrap();
        leaves.push(
            log.log_decode::<IL1Bridge::MessageSent>()
                .unwrap()
                .inner
                .data
                .leaf,
        );
    }
    let message = drawbridge_protocol::L1Message {
        kind: drawbridge_protocol::MessageKind::Deposit,
        nonce: leaves.len() as u64,
        sender: injection.recipient,
        recipient: injection.recipient,
        token: Address::ZERO,
        amount: injection.amount,
        data: Default::default(),
    };
    let leaf = message.leaf(injection.l1_chain_id, injection.l1_bridge);
    leaves.push(leaf);
    let tree = drawbridge_protocol::MerkleTree::from_leaves(leaves).unwrap();
    let block = upstream(
        shared,
        "eth_getBlockByNumber",
        serde_json::json!([format!("{to:#x}"), false]),
    )
    .await;
    let sent_event = IL1Bridge::MessageSent {
        nonce: message.nonce,
        kind: message.kind.as_u8(),
        sender: message.sender,
        recipient: message.recipient,
        token: message.token,
        amount: message.amount,
        data: message.data.clone(),
        leaf,
    };
    let committed = IL1Bridge::MessageRootCommitted {
        root: tree.root(),
        count: tree.len(),
    };
    let log_json = |data: alloy::primitives::LogData, index: u64| {
        serde_json::json!({
            "address": injection.l1_bridge,
            "topics": data.topics(),
            "data": data.data,
            "blockNumber": format!("{to:#x}"),
            "blockHash": block["hash"],
            "transactionHash": B256::repeat_byte(0xfe),
            "transactionIndex": "0x0",
            "logIndex": format!("{index:#x}"),
            "removed": false,
        })
    };
    let result = answer["result"].as_array_mut().unwrap();
    result.push(log_json(sent_event.encode_log_data(), 1_000));
    result.push(log_json(committed.encode_log_data(), 1_001));
    shared.injected.fetch_add(1, Ordering::SeqCst);
    answer.to_string()
}
