//! A JSON-RPC proxy in front of an anvil that can be switched to fail: down (not listening),
//! answering an HTTP status (429 rate limit, 503), hanging, answering garbage, or forging the
//! `amount` of every `MessageSent` log it passes on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

struct Shared {
    upstream: String,
    mode: Mutex<Mode>,
    requests: AtomicU64,
    client: alloy::transports::http::reqwest::Client,
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
        Mode::Forward | Mode::ForgeMessages => {
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
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/json")],
                text,
            )
                .into_response()
        }
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
