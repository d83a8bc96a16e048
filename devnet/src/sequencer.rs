//! The devnet's sequencer switch: a JSON-RPC gate in front of the L2 anvil and a supervised
//! relayer process.
//!
//! - **The gate** is the devnet's public L2 endpoint (`deployment.l2.rpc_url`): users, the CLI,
//!   the exit prover and the web page talk to it; it forwards every request to anvil unchanged,
//!   except `eth_sendRawTransaction` from a **censored** sender: it recovers the sender from the
//!   signed transaction and answers with the transaction's hash, as a sequencer that ignores a
//!   transaction does, and never passes it on, so it is never mined. It also answers the
//!   `devnet_*` control methods below, so censorship can be switched by hand with `cast rpc`.
//! - **The relayer** ([`RelayerOptions`]) runs as a child process that talks to anvil directly
//!   (never through the gate). "Stop L1 messages" restarts it on the same database without the
//!   `deliver` role: L1 messages (deposits and forced withdrawals) are no longer published or
//!   processed on L2 while outputs keep being proposed and withdrawals finalized.
//!
//! Both run on a thread of their own with its own tokio runtime, so a test that blocks its own
//! runtime (running a CLI process, say) never stalls the L2 endpoint.
//!
//! Control methods (JSON-RPC on the gate):
//!
//! | method | params | result |
//! |---|---|---|
//! | `devnet_censor` | `[address]` | the status below |
//! | `devnet_uncensor` | `[address]` | the status |
//! | `devnet_stopL1Messages` | `[]` | the status |
//! | `devnet_resumeL1Messages` | `[]` | the status |
//! | `devnet_sequencerStatus` | `[]` | `{"censored": [..], "l1Messages": bool, "dropped": n, "relayer": ".."}` |

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::Decodable2718;
use alloy::primitives::{Address, Bytes, keccak256};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::DevnetError;

/// How the devnet starts its relayer process ([`crate::Devnet::start_relayer`]).
#[derive(Debug, Clone)]
pub struct RelayerOptions {
    /// The `drawbridge-relayer` binary.
    pub binary: PathBuf,
    /// Where the deployment file the relayer reads is written.
    pub deployment_file: PathBuf,
    /// sqlx database URL (kept across the restarts that switch L1 messages off and on).
    pub database_url: String,
    /// The relayer's stderr (its log) is appended here.
    pub log: PathBuf,
    /// More command-line arguments (e.g. `--poll-interval 300ms`).
    pub extra_args: Vec<String>,
}

/// What the supervised relayer is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayerState {
    /// No relayer was started.
    NotStarted,
    /// Running the configuration of switch generation `generation`, with or without `deliver`.
    Running {
        /// The switch generation it runs.
        generation: u64,
        /// Whether it delivers L1 messages.
        deliver: bool,
        /// Process id.
        pid: u32,
    },
    /// The process exited by itself (or could not be started); not restarted.
    Exited(String),
    /// Stopped with the devnet.
    Stopped,
}

/// The L1 message switch: bumped generation on every change so waiting for it is exact.
#[derive(Debug, Clone, Copy)]
struct Switch {
    generation: u64,
    deliver: bool,
}

/// State shared by the gate, the supervisor and the [`Sequencer`] handle.
struct Shared {
    upstream: String,
    censored: RwLock<BTreeSet<Address>>,
    /// Never censored: the relayer's key (it talks to anvil directly anyway).
    exempt: Address,
    dropped: AtomicU64,
    switch: watch::Sender<Switch>,
    relayer: watch::Sender<RelayerState>,
    client: alloy::transports::http::reqwest::Client,
}

impl Shared {
    fn censor(&self, address: Address) -> Result<(), DevnetError> {
        if address == self.exempt {
            return Err(DevnetError::Sequencer(format!(
                "{address} is the relayer's key: it cannot be censored (stop L1 messages instead)"
            )));
        }
        let added = self
            .censored
            .write()
            .expect("censor list lock")
            .insert(address);
        if added {
            info!(%address, "sequencer gate: censoring");
        }
        Ok(())
    }

    fn uncensor(&self, address: Address) {
        if self
            .censored
            .write()
            .expect("censor list lock")
            .remove(&address)
        {
            info!(%address, "sequencer gate: no longer censoring");
        }
    }

    fn is_censored(&self, address: &Address) -> bool {
        self.censored
            .read()
            .expect("censor list lock")
            .contains(address)
    }

    /// Sets the L1 message switch; returns the generation that carries the change.
    fn set_l1_messages(&self, deliver: bool) -> u64 {
        let mut generation = 0;
        self.switch.send_modify(|s| {
            if s.deliver != deliver {
                s.generation += 1;
                s.deliver = deliver;
                info!(deliver, "sequencer: L1 messages switched");
            }
            generation = s.generation;
        });
        generation
    }

    fn status(&self) -> Value {
        let censored: Vec<String> = self
            .censored
            .read()
            .expect("censor list lock")
            .iter()
            .map(|a| a.to_string())
            .collect();
        let relayer = match &*self.relayer.borrow() {
            RelayerState::NotStarted => "not started".to_string(),
            RelayerState::Running { deliver, pid, .. } => format!(
                "running (pid {pid}, {})",
                if *deliver {
                    "delivering L1 messages"
                } else {
                    "not delivering L1 messages"
                }
            ),
            RelayerState::Exited(why) => format!("exited: {why}"),
            RelayerState::Stopped => "stopped".to_string(),
        };
        json!({
            "censored": censored,
            "l1Messages": self.switch.borrow().deliver,
            "dropped": self.dropped.load(Ordering::Relaxed),
            "relayer": relayer,
        })
    }
}

/// The running gate and relayer supervisor; dropping it stops the relayer (SIGTERM) and the gate.
pub struct Sequencer {
    shared: Arc<Shared>,
    url: String,
    runtime: tokio::runtime::Handle,
    shutdown: watch::Sender<bool>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("url", &self.url)
            .field("status", &self.shared.status())
            .finish_non_exhaustive()
    }
}

fn sequencer_error(message: impl std::fmt::Display) -> DevnetError {
    DevnetError::Sequencer(message.to_string())
}

impl Sequencer {
    /// Starts the gate on `port` (a free one when `None`) in front of `upstream` (the L2 anvil),
    /// never censoring `exempt`, with `censored` censored from the start and L1 messages off when
    /// `stop_l1_messages`.
    pub fn start(
        upstream: String,
        port: Option<u16>,
        exempt: Address,
        censored: &[Address],
        stop_l1_messages: bool,
    ) -> Result<Self, DevnetError> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .map_err(|e| sequencer_error(format!("binding the L2 gate's port: {e}")))?;
        listener.set_nonblocking(true).map_err(sequencer_error)?;
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().map_err(sequencer_error)?.port()
        );
        let shared = Arc::new(Shared {
            upstream,
            censored: RwLock::new(BTreeSet::new()),
            exempt,
            dropped: AtomicU64::new(0),
            switch: watch::Sender::new(Switch {
                generation: 0,
                deliver: !stop_l1_messages,
            }),
            relayer: watch::Sender::new(RelayerState::NotStarted),
            client: alloy::transports::http::reqwest::Client::new(),
        });
        for address in censored {
            shared.censor(*address)?;
        }
        let (shutdown, mut shutdown_rx) = watch::channel(false);
        let tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread_shared = shared.clone();
        let thread_tasks = tasks.clone();
        let thread = std::thread::Builder::new()
            .name("devnet-sequencer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = handle_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = handle_tx.send(Ok(tokio::runtime::Handle::current()));
                    let app = axum::Router::new()
                        .route("/", axum::routing::post(handle).options(preflight))
                        .layer(axum::middleware::map_response(allow_any_origin))
                        .with_state(thread_shared);
                    let mut stop = shutdown_rx.clone();
                    drawbridge_service::http::serve(
                        listener,
                        app,
                        drawbridge_service::http::HttpLimits::default(),
                        async move {
                            let _ = stop.wait_for(|s| *s).await;
                        },
                    )
                    .await;
                    let _ = shutdown_rx.wait_for(|s| *s).await;
                    let tasks: Vec<_> = std::mem::take(&mut *thread_tasks.lock().expect("tasks"));
                    for task in tasks {
                        let _ = task.await;
                    }
                });
            })
            .map_err(sequencer_error)?;
        let runtime = handle_rx
            .recv()
            .map_err(|_| sequencer_error("the sequencer thread died while starting"))?
            .map_err(sequencer_error)?;
        Ok(Self {
            shared,
            url,
            runtime,
            shutdown,
            tasks,
            thread: Some(thread),
        })
    }

    /// The gate's URL: the devnet's public L2 endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Censors `address`: its L2 transactions sent through the gate are answered and dropped.
    /// The relayer's key is refused.
    pub fn censor(&self, address: Address) -> Result<(), DevnetError> {
        self.shared.censor(address)
    }

    /// Stops censoring `address`.
    pub fn uncensor(&self, address: Address) {
        self.shared.uncensor(address)
    }

    /// The censored addresses.
    pub fn censored(&self) -> Vec<Address> {
        self.shared
            .censored
            .read()
            .expect("censor list lock")
            .iter()
            .copied()
            .collect()
    }

    /// How many transactions the gate has dropped.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Whether the relayer is (to be) run with the `deliver` role.
    pub fn l1_messages(&self) -> bool {
        self.shared.switch.borrow().deliver
    }

    /// What the supervised relayer is doing.
    pub fn relayer_state(&self) -> RelayerState {
        self.shared.relayer.borrow().clone()
    }

    /// Starts the relayer process under supervision: it runs every default role, without
    /// `deliver` while L1 messages are stopped, against `anvil_l2` directly.
    pub fn start_relayer(
        &self,
        options: RelayerOptions,
        relayer_key: String,
        anvil_l2: String,
    ) -> Result<(), DevnetError> {
        if !options.binary.exists() {
            return Err(sequencer_error(format!(
                "{} not found: build it with `cargo build -p drawbridge-relayer`",
                options.binary.display()
            )));
        }
        if !matches!(*self.shared.relayer.borrow(), RelayerState::NotStarted) {
            return Err(sequencer_error("the devnet's relayer was already started"));
        }
        let shared = self.shared.clone();
        let shutdown = self.shutdown.subscribe();
        let task = self
            .runtime
            .spawn(supervise(shared, options, relayer_key, anvil_l2, shutdown));
        self.tasks.lock().expect("tasks").push(task);
        Ok(())
    }

    /// Switches L1 message delivery off or on. With a relayer running, returns once it runs
    /// the new configuration (the old process has stopped); fails if the relayer exited.
    pub async fn set_l1_messages(&self, deliver: bool) -> Result<(), DevnetError> {
        let generation = self.shared.set_l1_messages(deliver);
        let mut state = self.shared.relayer.subscribe();
        if matches!(*state.borrow(), RelayerState::NotStarted) {
            return Ok(());
        }
        let reached = state
            .wait_for(|s| match s {
                RelayerState::Running { generation: g, .. } => *g >= generation,
                RelayerState::Exited(_) | RelayerState::Stopped => true,
                RelayerState::NotStarted => false,
            })
            .await
            .map_err(|_| sequencer_error("the sequencer stopped"))?
            .clone();
        match reached {
            RelayerState::Running { .. } => Ok(()),
            other => Err(sequencer_error(format!(
                "the relayer is not running: {other:?}"
            ))),
        }
    }

    /// Completes when the supervised relayer exits by itself (never, if none was started);
    /// returns why.
    pub async fn relayer_exited(&self) -> String {
        let mut state = self.shared.relayer.subscribe();
        match state
            .wait_for(|s| matches!(s, RelayerState::Exited(_)))
            .await
        {
            Ok(s) => match &*s {
                RelayerState::Exited(why) => why.clone(),
                _ => unreachable!("waited for Exited"),
            },
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Sequencer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the relayer process, restarting it whenever the L1 message switch changes, until the
/// devnet stops (SIGTERM, then SIGKILL after 15 s) or the process exits by itself.
async fn supervise(
    shared: Arc<Shared>,
    options: RelayerOptions,
    relayer_key: String,
    anvil_l2: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut switch = shared.switch.subscribe();
    loop {
        let current = *switch.borrow_and_update();
        let roles = if current.deliver {
            "deliver,propose,finalize"
        } else {
            "propose,finalize"
        };
        let log = match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&options.log)
        {
            Ok(f) => f,
            Err(e) => {
                shared.relayer.send_replace(RelayerState::Exited(format!(
                    "opening {}: {e}",
                    options.log.display()
                )));
                return;
            }
        };
        let child = tokio::process::Command::new(&options.binary)
            .arg("--deployment")
            .arg(&options.deployment_file)
            .arg("--database-url")
            .arg(&options.database_url)
            .arg("--l2-rpc-url")
            .arg(&anvil_l2)
            .arg("--roles")
            .arg(roles)
            .args(&options.extra_args)
            .env("DRAWBRIDGE_RELAYER_KEY", &relayer_key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                shared
                    .relayer
                    .send_replace(RelayerState::Exited(format!("starting the relayer: {e}")));
                return;
            }
        };
        let pid = child.id().unwrap_or_default();
        info!(pid, roles, "devnet relayer started");
        shared.relayer.send_replace(RelayerState::Running {
            generation: current.generation,
            deliver: current.deliver,
            pid,
        });
        tokio::select! {
            changed = switch.changed() => {
                stop_child(&mut child).await;
                if changed.is_err() {
                    shared.relayer.send_replace(RelayerState::Stopped);
                    return;
                }
            }
            () = async { let _ = shutdown.wait_for(|s| *s).await; } => {
                stop_child(&mut child).await;
                shared.relayer.send_replace(RelayerState::Stopped);
                return;
            }
            status = child.wait() => {
                let why = match status {
                    Ok(s) => format!("exit {s}"),
                    Err(e) => e.to_string(),
                };
                warn!(why, "the devnet relayer exited");
                shared.relayer.send_replace(RelayerState::Exited(why));
                return;
            }
        }
    }
}

/// SIGTERM lets the relayer finish the transaction it is recording and give its leases back.
async fn stop_child(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// Browsers (the web page) may call the endpoint from any origin, as they may call anvil.
async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

/// The CORS preflight anvil would answer.
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "*"),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

/// The sender and hash of a raw signed transaction, or `None` if it does not decode (anvil then
/// answers with its own error).
fn sender_of_raw(raw: &str) -> Option<(Address, alloy::primitives::B256)> {
    let bytes: Bytes = raw.parse().ok()?;
    let envelope = TxEnvelope::decode_2718(&mut bytes.as_ref()).ok()?;
    let sender = envelope
        .signature()
        .recover_address_from_prehash(&envelope.signature_hash())
        .ok()?;
    Some((sender, keccak256(&bytes)))
}

fn address_param(call: &Value) -> Result<Address, String> {
    call.get("params")
        .and_then(|p| p.get(0))
        .and_then(Value::as_str)
        .ok_or_else(|| "expected params [address]".to_string())?
        .parse()
        .map_err(|e| format!("not an address: {e}"))
}

/// The gate's own answer to `call`, or `None` to forward it.
fn intercept(shared: &Shared, call: &Value) -> Option<Value> {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call.get("method")?.as_str()?;
    match method {
        "eth_sendRawTransaction" | "eth_sendRawTransactionSync" => {
            let raw = call.get("params")?.get(0)?.as_str()?;
            let (sender, hash) = sender_of_raw(raw)?;
            if !shared.is_censored(&sender) {
                return None;
            }
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            info!(%sender, %hash, "sequencer gate: ignored a censored sender's transaction");
            Some(if method == "eth_sendRawTransaction" {
                rpc_result(&id, json!(hash))
            } else {
                // EIP-7966: code 4 is "not included within the timeout".
                rpc_error(
                    &id,
                    4,
                    format!("transaction {hash} was not included in time"),
                )
            })
        }
        "eth_sendTransaction" => {
            let from: Address = call
                .get("params")?
                .get(0)?
                .get("from")?
                .as_str()?
                .parse()
                .ok()?;
            if !shared.is_censored(&from) {
                return None;
            }
            // The node would sign for `from`; without its signature there is no hash to hand
            // back, so an unsigned send from a censored account gets an error rather than a
            // made-up hash.
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            Some(rpc_error(
                &id,
                -32003,
                "transaction rejected by the devnet sequencer",
            ))
        }
        "devnet_censor" => Some(match address_param(call) {
            Ok(a) => match shared.censor(a) {
                Ok(()) => rpc_result(&id, shared.status()),
                Err(e) => rpc_error(&id, -32602, e.to_string()),
            },
            Err(e) => rpc_error(&id, -32602, e),
        }),
        "devnet_uncensor" => Some(match address_param(call) {
            Ok(a) => {
                shared.uncensor(a);
                rpc_result(&id, shared.status())
            }
            Err(e) => rpc_error(&id, -32602, e),
        }),
        "devnet_stopL1Messages" | "devnet_resumeL1Messages" => {
            shared.set_l1_messages(method == "devnet_resumeL1Messages");
            Some(rpc_result(&id, shared.status()))
        }
        "devnet_sequencerStatus" => Some(rpc_result(&id, shared.status())),
        _ => None,
    }
}

async fn forward(shared: &Shared, body: Vec<u8>) -> Result<(StatusCode, Vec<u8>), Response> {
    let response = shared
        .client
        .post(&shared.upstream)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("L2 node: {e}")).into_response())?;
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = response
        .bytes()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("L2 node: {e}")).into_response())?;
    Ok((status, body.to_vec()))
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        // Not JSON: anvil gives the error.
        return match forward(&shared, body.to_vec()).await {
            Ok((status, body)) => json_response(status, body),
            Err(r) => r,
        };
    };
    match request {
        Value::Array(calls) => {
            let mut answers = Vec::new();
            let mut passed = Vec::new();
            for call in calls {
                match intercept(&shared, &call) {
                    Some(answer) => answers.push(answer),
                    None => passed.push(call),
                }
            }
            if !passed.is_empty() {
                let body = serde_json::to_vec(&Value::Array(passed)).expect("JSON");
                let (status, body) = match forward(&shared, body).await {
                    Ok(x) => x,
                    Err(r) => return r,
                };
                match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Array(upstream)) => answers.extend(upstream),
                    _ => return json_response(status, body),
                }
            }
            json_response(
                StatusCode::OK,
                serde_json::to_vec(&Value::Array(answers)).expect("JSON"),
            )
        }
        call => match intercept(&shared, &call) {
            Some(answer) => json_response(StatusCode::OK, answer.to_string().into_bytes()),
            None => match forward(&shared, body.to_vec()).await {
                Ok((status, body)) => json_response(status, body),
                Err(r) => r,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
    use alloy::rpc::types::TransactionRequest;
    use alloy::signers::local::PrivateKeySigner;

    #[tokio::test]
    async fn the_sender_of_a_signed_transaction_is_recovered() {
        let signer = PrivateKeySigner::random();
        let wallet = EthereumWallet::from(signer.clone());
        let tx = TransactionRequest::default()
            .with_to(Address::repeat_byte(7))
            .with_nonce(0)
            .with_chain_id(901)
            .with_gas_limit(21_000)
            .with_max_fee_per_gas(1_000_000_000)
            .with_max_priority_fee_per_gas(1)
            .build(&wallet)
            .await
            .unwrap();
        let mut raw = Vec::new();
        alloy::eips::eip2718::Encodable2718::encode_2718(&tx, &mut raw);
        let (sender, hash) = sender_of_raw(&alloy::primitives::hex::encode_prefixed(&raw)).unwrap();
        assert_eq!(sender, signer.address());
        assert_eq!(hash, *tx.tx_hash());
        assert!(sender_of_raw("0x1234").is_none());
        assert!(sender_of_raw("not hex").is_none());
    }
}
