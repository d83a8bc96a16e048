//! `drawbridge-council`: key generation and signing ceremonies of the Drawbridge security
//! council, through a coordinator server (`coordinator`, `session`, `member`) or in file mode
//! (every step reads and writes JSON files, for air-gapped members); action builders, calldata
//! and on-chain submission; the shared test vectors.
//!
//! Secret files are encrypted under the passphrase read from `--passphrase-file` or the
//! environment variable `DRAWBRIDGE_COUNCIL_PASSPHRASE`. `--json` prints results as JSON; the
//! decoded action a member is asked to confirm always goes to standard error.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes, U256};
use clap::{ArgAction, Args, Parser, Subcommand};
use drawbridge_council::action::{self, Action, Domain, calls};
use drawbridge_council::chain;
use drawbridge_council::config::{CoordinatorArgs, LogFormat};
use drawbridge_council::contract::{GroupKeyExport, verify_contract};
use drawbridge_council::coordinator::{Coordinator, CoordinatorConfig, Submission};
use drawbridge_council::files::{self, PublicFile, Secrets, SignedAction};
use drawbridge_council::identity::AddressBook;
use drawbridge_council::keystore::{self, KdfParams};
use drawbridge_council::member::{self, Client};
use drawbridge_council::nonces::NonceStore;
use drawbridge_council::protocol::{self, SessionStatus, SignRequest};
use drawbridge_council::{CouncilError, Result, vectors};
use rand_core::OsRng;
use serde::Serialize;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "drawbridge-council",
    version,
    about = "Drawbridge security council: FROST(secp256k1, Keccak256) key generation and signing \
             through a coordinator or files"
)]
struct Cli {
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Pass {
    /// File holding the passphrase (first line); default: $DRAWBRIDGE_COUNCIL_PASSPHRASE.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

impl Pass {
    fn get(&self) -> Result<String> {
        match &self.passphrase_file {
            Some(p) => Ok(std::fs::read_to_string(p)
                .map_err(|source| CouncilError::Io {
                    path: p.clone(),
                    source,
                })?
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()),
            None => std::env::var("DRAWBRIDGE_COUNCIL_PASSPHRASE").map_err(|_| {
                CouncilError::Parameters(
                    "no passphrase: use --passphrase-file or DRAWBRIDGE_COUNCIL_PASSPHRASE".into(),
                )
            }),
        }
    }
}

#[derive(Args, Clone)]
struct Confirm {
    /// Sign without asking (scripts); the decoded action is still printed to standard error.
    #[arg(long)]
    yes: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Write the deterministic shared test vectors (docs/council.md).
    Vectors {
        /// Output file.
        #[arg(long, default_value = "contracts/test/vectors/frost-vectors.json")]
        out: PathBuf,
    },
    /// Create a member: encrypted identity (Ed25519 + X25519) and public address-book entry.
    Identity {
        #[arg(long)]
        id: u16,
        #[arg(long)]
        name: String,
        #[arg(long)]
        identity_out: PathBuf,
        #[arg(long)]
        member_out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Build the address book from members' public entries.
    AddressBook {
        #[arg(long)]
        out: PathBuf,
        /// Public entries written by `identity`.
        members: Vec<PathBuf>,
    },
    /// Trusted-dealer key generation (devnets only: the dealer sees the group secret).
    Dealer {
        #[arg(long)]
        threshold: u16,
        #[arg(long)]
        members: u16,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, DKG part 1: signed commitment and proof of knowledge.
    DkgPart1 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        threshold: u16,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, DKG part 2: verify round 1, write encrypted signed round-2 packages.
    DkgPart2 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        round1_dir: PathBuf,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, DKG part 3: verify round 2, write the encrypted key package and the public file.
    DkgPart3 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        round1_dir: PathBuf,
        #[arg(long)]
        round2_dir: PathBuf,
        #[arg(long)]
        key_out: PathBuf,
        #[arg(long)]
        public_out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Print the group key in contract form (x, y, compressed).
    ExportKey {
        #[arg(long)]
        public: PathBuf,
    },
    /// File mode, signing step 1 (requester): the signed request for an action.
    SignRequest {
        /// The requester's identity.
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        /// Action file (from `action ...`).
        #[arg(long)]
        action: PathBuf,
        /// The group's public file.
        #[arg(long)]
        public: PathBuf,
        /// Signers, comma-separated member ids.
        #[arg(long, value_delimiter = ',', required = true)]
        signers: Vec<u16>,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, signing step 2 (signer): show the action, confirm, write signed commitments.
    SignCommit {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        nonce_dir: PathBuf,
        #[arg(long)]
        book: PathBuf,
        /// The signed request (from `sign-request`).
        #[arg(long)]
        request: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, signing step 3 (anyone): the signing package from the commitment files.
    SignPackage {
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        request: PathBuf,
        #[arg(long)]
        commitment_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// File mode, signing step 4 (signer): check the package, claim the nonces, write the share.
    SignShare {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        nonce_dir: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        request: PathBuf,
        /// This member's commitment file (written by `sign-commit`).
        #[arg(long)]
        own: PathBuf,
        /// The signing package (from `sign-package`).
        #[arg(long)]
        package: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, signing step 5 (anyone): verify shares, aggregate, write the signed action.
    Aggregate {
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        request: PathBuf,
        #[arg(long)]
        package: PathBuf,
        #[arg(long)]
        share_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Build an action file (what the members sign), or show one.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Run the coordinator server.
    Coordinator(CoordinatorArgs),
    /// Create and inspect coordinator sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// A member's part of a coordinator ceremony.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Print the calldata of a signed action (checked here against the group key).
    Calldata(SignedSource),
    /// Send a signed action to the council.
    Submit {
        #[command(flatten)]
        source: SignedSource,
        /// JSON-RPC endpoint of the council's chain.
        #[arg(long, env = "DRAWBRIDGE_COUNCIL_RPC_URL")]
        rpc_url: String,
        /// Encrypted keystore of the paying key (password in DRAWBRIDGE_KEYSTORE_PASSWORD);
        /// default: DRAWBRIDGE_PRIVATE_KEY.
        #[arg(long)]
        keystore: Option<PathBuf>,
    },
    /// Execute a scheduled call once its delay has passed (anyone may; a plain transaction).
    Execute {
        /// The council proxy.
        #[arg(long)]
        council: Address,
        /// The scheduled id (shown by `action show` and in the session of the `schedule`).
        #[arg(long)]
        id: B256,
        /// JSON-RPC endpoint of the council's chain.
        #[arg(long, env = "DRAWBRIDGE_COUNCIL_RPC_URL")]
        rpc_url: String,
        /// Encrypted keystore of the paying key (password in DRAWBRIDGE_KEYSTORE_PASSWORD);
        /// default: DRAWBRIDGE_PRIVATE_KEY.
        #[arg(long)]
        keystore: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct ActionCommon {
    /// The council proxy (EIP-712 verifying contract).
    #[arg(long)]
    council: Address,
    /// Read chain id, nonce and targets from the council on this chain.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_RPC_URL")]
    rpc_url: Option<String>,
    /// Chain id [default: from --rpc-url].
    #[arg(long)]
    chain_id: Option<u64>,
    /// Action nonce [default: the council's nonce() from --rpc-url].
    #[arg(long)]
    nonce: Option<u64>,
    /// Deadline, unix seconds [default: now + --valid-for].
    #[arg(long)]
    deadline: Option<u64>,
    /// Seconds the action stays valid when --deadline is not given.
    #[arg(long, default_value_t = 3600)]
    valid_for: u64,
    /// Write the action here (else print it).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ActionCommand {
    /// Kind 1: pause the L1 bridge for --duration seconds.
    Pause {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        duration: u64,
        /// The council's l1Bridge() [default: read with --rpc-url].
        #[arg(long)]
        l1_bridge: Option<Address>,
    },
    /// Kind 2: end the current pause.
    Unpause {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        l1_bridge: Option<Address>,
    },
    /// Kind 3: resolve the dispute over an output (valid: uphold; invalid: delete it and later ones).
    Resolve {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        output_index: U256,
        #[arg(long, action = ArgAction::Set)]
        valid: bool,
        /// The council's outputOracle() [default: read with --rpc-url].
        #[arg(long)]
        output_oracle: Option<Address>,
    },
    /// Kind 4: schedule a raw call behind the timelock.
    Schedule {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        target: Address,
        /// Calldata, 0x-hex.
        #[arg(long)]
        call: Bytes,
    },
    /// Kind 5: cancel a scheduled call.
    Cancel {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        id: B256,
    },
    /// Schedule a key rotation to the group key of a public file (e.g. from a new DKG).
    RotateKey {
        #[command(flatten)]
        common: ActionCommon,
        /// Public file of the new group.
        #[arg(long)]
        public: PathBuf,
    },
    /// Schedule `upgradeToAndCall(implementation, data)` on a proxy (the council's own or a bridge's).
    Upgrade {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        proxy: Address,
        #[arg(long)]
        implementation: Address,
        /// Call run on the new implementation, 0x-hex.
        #[arg(long, default_value = "0x")]
        data: Bytes,
    },
    /// Decode and show an action file.
    Show {
        #[arg(long)]
        action: PathBuf,
    },
}

#[derive(Args, Clone)]
struct CoordinatorUrl {
    /// Coordinator URL, e.g. http://127.0.0.1:8717.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_COORDINATOR")]
    coordinator: String,
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Request a DKG among every member of the address book.
    CreateDkg {
        #[command(flatten)]
        url: CoordinatorUrl,
        /// The requester's identity.
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        threshold: u16,
        #[command(flatten)]
        pass: Pass,
    },
    /// Request signatures on an action.
    CreateSign {
        #[command(flatten)]
        url: CoordinatorUrl,
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        action: PathBuf,
        #[arg(long)]
        public: PathBuf,
        #[arg(long, value_delimiter = ',', required = true)]
        signers: Vec<u16>,
        #[command(flatten)]
        pass: Pass,
    },
    /// Show a session.
    Show {
        #[command(flatten)]
        url: CoordinatorUrl,
        #[arg(long)]
        session: String,
        /// A DKG session (default: signing).
        #[arg(long)]
        dkg: bool,
    },
    /// Wait until a session ends: signed (and submitted) or failed; DKG done or failed.
    Wait {
        #[command(flatten)]
        url: CoordinatorUrl,
        #[arg(long)]
        session: String,
        #[arg(long)]
        dkg: bool,
        /// Seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Take part in a DKG session; writes the encrypted key package and the public file.
    Dkg {
        #[command(flatten)]
        url: CoordinatorUrl,
        #[arg(long)]
        session: String,
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        key_out: PathBuf,
        #[arg(long)]
        public_out: PathBuf,
        /// Seconds to wait for the other members at each step.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
    /// Sign an action of a signing session: show it, confirm, commit, check the package, share.
    Sign {
        #[command(flatten)]
        url: CoordinatorUrl,
        #[arg(long)]
        session: String,
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        /// This member's encrypted key package.
        #[arg(long)]
        key_package: PathBuf,
        /// This member's nonce store (single-use nonces, encrypted at rest).
        #[arg(long)]
        nonce_dir: PathBuf,
        /// Seconds to wait for the other signers.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
}

#[derive(Args, Clone)]
struct SignedSource {
    /// Coordinator URL (with --session).
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_COORDINATOR", requires = "session")]
    coordinator: Option<String>,
    /// A signed session of the coordinator.
    #[arg(long)]
    session: Option<String>,
    /// Address book: also check the session request's signature.
    #[arg(long)]
    book: Option<PathBuf>,
    /// A signed action file written by `aggregate` (file mode).
    #[arg(long, conflicts_with_all = ["coordinator", "session"])]
    signed: Option<PathBuf>,
}

fn secrets(pass: &str) -> Secrets<'_> {
    Secrets {
        passphrase: pass,
        params: KdfParams::default(),
    }
}

/// Prints `value` as JSON with `--json`, else `text`.
fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let s = if json {
        serde_json::to_string_pretty(value)?
    } else {
        text()
    };
    writeln!(out, "{}", s.trim_end()).map_err(io_err(Path::new("stdout")))?;
    Ok(())
}

/// Shows `text` on standard error and asks; `--yes` confirms without asking.
fn ask(text: &str, question: &str, yes: bool) -> Result<bool> {
    eprint!("{text}");
    if yes {
        eprintln!("{question} yes (--yes)");
        return Ok(true);
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(io_err(Path::new("stdin")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CouncilError + '_ {
    move |source| CouncilError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Builds an action from its domain, nonce, deadline and (with `--rpc-url`) the council's state.
type BuildAction = Box<dyn FnOnce(Domain, u64, u64, Option<chain::CouncilState>) -> Result<Action>>;

async fn build_action(cmd: ActionCommand, json: bool) -> Result<()> {
    let (common, build): (ActionCommon, BuildAction) = match cmd {
        ActionCommand::Show { action } => {
            let a: Action = files::read_json(&action)?;
            let view = a.describe()?;
            return emit(json, &view, || view.to_text());
        }
        ActionCommand::Pause {
            common,
            duration,
            l1_bridge,
        } => (
            common,
            Box::new(move |d, n, dl, st| {
                let bridge = target(l1_bridge, st.map(|s| s.l1_bridge), "--l1-bridge")?;
                Ok(Action::pause(d, bridge, duration, n, dl))
            }),
        ),
        ActionCommand::Unpause { common, l1_bridge } => (
            common,
            Box::new(move |d, n, dl, st| {
                let bridge = target(l1_bridge, st.map(|s| s.l1_bridge), "--l1-bridge")?;
                Ok(Action::unpause(d, bridge, n, dl))
            }),
        ),
        ActionCommand::Resolve {
            common,
            output_index,
            valid,
            output_oracle,
        } => (
            common,
            Box::new(move |d, n, dl, st| {
                let oracle = target(
                    output_oracle,
                    st.map(|s| s.output_oracle),
                    "--output-oracle",
                )?;
                Ok(Action::resolve_dispute(
                    d,
                    oracle,
                    output_index,
                    valid,
                    n,
                    dl,
                ))
            }),
        ),
        ActionCommand::Schedule {
            common,
            target,
            call,
        } => (
            common,
            Box::new(move |d, n, dl, _| Ok(Action::schedule(d, target, call, n, dl))),
        ),
        ActionCommand::Cancel { common, id } => (
            common,
            Box::new(move |d, n, dl, _| Ok(Action::cancel(d, id, n, dl))),
        ),
        ActionCommand::RotateKey { common, public } => {
            let p: PublicFile = files::read_json(&public)?;
            let key = GroupKeyExport::from_verifying_key(p.package()?.verifying_key())?;
            (
                common,
                Box::new(move |d, n, dl, _| {
                    Ok(Action::schedule(
                        d,
                        d.council,
                        calls::rotate_key(&key),
                        n,
                        dl,
                    ))
                }),
            )
        }
        ActionCommand::Upgrade {
            common,
            proxy,
            implementation,
            data,
        } => (
            common,
            Box::new(move |d, n, dl, _| {
                Ok(Action::schedule(
                    d,
                    proxy,
                    calls::upgrade_to_and_call(implementation, data),
                    n,
                    dl,
                ))
            }),
        ),
    };
    let state = match &common.rpc_url {
        Some(url) => Some(chain::council_state(url, common.council).await?),
        None => None,
    };
    let chain_id = match (common.chain_id, &state) {
        (Some(c), Some(s)) if c != s.chain_id => {
            return Err(CouncilError::Parameters(format!(
                "--chain-id {c} but {} is chain {}",
                common.rpc_url.as_deref().unwrap_or_default(),
                s.chain_id
            )));
        }
        (Some(c), _) => c,
        (None, Some(s)) => s.chain_id,
        (None, None) => {
            return Err(CouncilError::Parameters(
                "--chain-id (or --rpc-url) is required".into(),
            ));
        }
    };
    let nonce = common
        .nonce
        .or(state.as_ref().map(|s| s.nonce))
        .ok_or_else(|| CouncilError::Parameters("--nonce (or --rpc-url) is required".into()))?;
    let deadline = common
        .deadline
        .unwrap_or_else(|| action::unix_now() + common.valid_for);
    let domain = Domain {
        chain_id,
        council: common.council,
    };
    let a = build(domain, nonce, deadline, state)?;
    let view = a.describe()?;
    match &common.out {
        Some(out) => {
            files::write_json(out, &a)?;
            emit(
                json,
                &json!({ "action": a, "view": view, "out": out }),
                || format!("{}wrote {}", view.to_text(), out.display()),
            )
        }
        None => {
            eprint!("{}", view.to_text());
            emit(true, &a, String::new)
        }
    }
}

fn target(given: Option<Address>, read: Option<Address>, flag: &str) -> Result<Address> {
    given
        .or(read)
        .filter(|a| *a != Address::ZERO)
        .ok_or_else(|| {
            CouncilError::Parameters(format!("{flag} (or --rpc-url to read it) is required"))
        })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = terminate => tracing::info!("SIGTERM received"),
    }
}

fn init_logging(format: LogFormat, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn run_coordinator(args: CoordinatorArgs, json: bool) -> Result<()> {
    let s = args.resolve()?;
    init_logging(s.log_format, "info");
    let book = AddressBook::load(&s.address_book)?;
    let submission = match &s.rpc_url {
        Some(url) => Some(Submission {
            rpc_url: url.clone(),
            signer: chain::load_signer(s.keystore.as_deref())?,
        }),
        None => None,
    };
    let coordinator = Coordinator::open(CoordinatorConfig {
        book,
        database_url: s.database_url.clone(),
        submission: submission.clone(),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(s.listen)
        .await
        .map_err(|e| CouncilError::Parameters(format!("listen {}: {e}", s.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CouncilError::Parameters(format!("listen: {e}")))?;
    tracing::info!(%addr, submits = submission.is_some(), "coordinator listening");
    emit(json, &json!({ "listen": addr.to_string() }), || {
        format!("listening on {addr}")
    })?;
    coordinator.serve(listener, shutdown_signal()).await
}

/// The signed action of a source, checked here: the request's digest recomputed, the signature
/// verified against the request's group key as the contract will, the calldata rebuilt.
async fn signed_action(src: &SignedSource) -> Result<SignedAction> {
    if let Some(path) = &src.signed {
        let s: SignedAction = files::read_json(path)?;
        let export = s.signature.export()?;
        if s.action.calldata(&export)? != s.calldata {
            return Err(CouncilError::Encoding(format!(
                "{}: calldata does not match the action and signature",
                path.display()
            )));
        }
        return Ok(s);
    }
    let (Some(url), Some(session)) = (&src.coordinator, &src.session) else {
        return Err(CouncilError::Parameters(
            "give --coordinator and --session, or --signed".into(),
        ));
    };
    let view = Client::new(url)?.sign_session(session, None).await?;
    let req: SignRequest = match &src.book {
        Some(b) => member::open_sign_request(&AddressBook::load(b)?, session, &view.request)?.0,
        None => serde_json::from_slice(
            &hex::decode(&view.request.payload)
                .map_err(|e| CouncilError::Encoding(e.to_string()))?,
        )?,
    };
    let signature = match (view.status, view.signature) {
        (SessionStatus::Signed, Some(s)) => s,
        (status, _) => {
            return Err(CouncilError::Session(format!(
                "session {session} is not signed (status {status:?}{})",
                view.error.map(|e| format!(": {e}")).unwrap_or_default()
            )));
        }
    };
    let export = signature.export()?;
    let digest = req.action.digest();
    let pk = GroupKeyExport::from_verifying_key(req.public.package()?.verifying_key())?;
    if !verify_contract(&pk, &export, digest.as_slice()) {
        return Err(CouncilError::Session(format!(
            "the coordinator's signature for session {session} does not verify for its action"
        )));
    }
    Ok(SignedAction {
        calldata: req.action.calldata(&export)?,
        action: req.action,
        signature,
    })
}

async fn run(cli: Cli) -> Result<()> {
    let rng = &mut OsRng;
    let json = cli.json;
    match cli.command {
        Command::Vectors { out } => {
            let text = vectors::generate()?.to_json()?;
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            }
            std::fs::write(&out, text).map_err(io_err(&out))?;
            emit(json, &json!({ "out": out }), || {
                format!("wrote {}", out.display())
            })?;
        }
        Command::Identity {
            id,
            name,
            identity_out,
            member_out,
            pass,
        } => {
            let p = pass.get()?;
            files::new_identity(id, &name, &secrets(&p), &identity_out, &member_out, rng)?;
            emit(
                json,
                &json!({ "id": id, "identity": identity_out, "member": member_out }),
                || {
                    format!(
                        "member {id} ({name}): identity {}, entry {}",
                        identity_out.display(),
                        member_out.display()
                    )
                },
            )?;
        }
        Command::AddressBook { out, members } => {
            let book = files::address_book(&members, &out)?;
            emit(json, &book, || format!("{} members", book.len()))?;
        }
        Command::Dealer {
            threshold,
            members,
            out_dir,
            pass,
        } => {
            let p = pass.get()?;
            let gk = files::dealer(threshold, members, &secrets(&p), &out_dir, rng)?;
            emit(true, &gk, String::new)?;
        }
        Command::DkgPart1 {
            identity,
            book,
            session,
            threshold,
            state_out,
            out,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part1(
                &identity,
                &secrets(&p),
                &book,
                &session,
                threshold,
                &state_out,
                &out,
                rng,
            )?;
        }
        Command::DkgPart2 {
            identity,
            book,
            session,
            state,
            round1_dir,
            state_out,
            out_dir,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part2(
                &identity,
                &secrets(&p),
                &book,
                &session,
                &state,
                &round1_dir,
                &state_out,
                &out_dir,
                rng,
            )?;
        }
        Command::DkgPart3 {
            identity,
            book,
            session,
            state,
            round1_dir,
            round2_dir,
            key_out,
            public_out,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part3(
                &identity,
                &secrets(&p),
                &book,
                &session,
                &state,
                &round1_dir,
                &round2_dir,
                &key_out,
                &public_out,
                rng,
            )?;
            let public: PublicFile = files::read_json(&public_out)?;
            emit(json, &public.group_key, || {
                format!("group key {}", public.group_key.compressed)
            })?;
        }
        Command::ExportKey { public } => {
            let f: PublicFile = files::read_json(&public)?;
            emit(true, &f.group_key, String::new)?;
        }
        Command::SignRequest {
            identity,
            book,
            session,
            action,
            public,
            signers,
            out,
            pass,
        } => {
            let p = pass.get()?;
            let env = files::sign_request(
                &identity,
                &secrets(&p),
                &book,
                &session,
                &action,
                &public,
                &signers,
                &out,
            )?;
            emit(json, &env, || format!("wrote {}", out.display()))?;
        }
        Command::SignCommit {
            identity,
            key,
            nonce_dir,
            book,
            request,
            out,
            confirm,
            pass,
        } => {
            let p = pass.get()?;
            let prompt = files::sign_commit(
                &identity,
                &key,
                &secrets(&p),
                &nonce_dir,
                &book,
                &request,
                |prompt| {
                    ask(
                        &prompt.to_text(),
                        "commit to signing this action?",
                        confirm.yes,
                    )
                },
                &out,
                rng,
            )?;
            emit(json, &prompt, || format!("wrote {}", out.display()))?;
        }
        Command::SignPackage {
            book,
            request,
            commitment_dir,
            out,
        } => {
            let v = files::sign_package(&book, &request, &commitment_dir, &out)?;
            emit(json, &v, || {
                format!(
                    "{} commitments; wrote {}",
                    v.commitments.len(),
                    out.display()
                )
            })?;
        }
        Command::SignShare {
            identity,
            key,
            nonce_dir,
            book,
            request,
            own,
            package,
            out,
            confirm,
            pass,
        } => {
            let p = pass.get()?;
            files::sign_share(
                &identity,
                &key,
                &secrets(&p),
                &nonce_dir,
                &book,
                &request,
                &own,
                &package,
                |prompt| ask(&prompt.to_text(), "sign this action?", confirm.yes),
                &out,
            )?;
            emit(json, &json!({ "out": out }), || {
                format!("wrote {}", out.display())
            })?;
        }
        Command::Aggregate {
            book,
            request,
            package,
            share_dir,
            out,
        } => {
            let s = files::aggregate(&book, &request, &package, &share_dir, &out)?;
            emit(json, &s, || {
                format!(
                    "signed by {:?}; wrote {}\ncalldata {}",
                    s.signature.signers,
                    out.display(),
                    s.calldata
                )
            })?;
        }
        Command::Action(cmd) => build_action(cmd, json).await?,
        Command::Coordinator(args) => run_coordinator(args, json).await?,
        Command::Session(cmd) => run_session(cmd, json).await?,
        Command::Member(cmd) => run_member(cmd, json).await?,
        Command::Calldata(src) => {
            let s = signed_action(&src).await?;
            emit(
                json,
                &json!({ "to": s.action.domain.council, "chainId": s.action.domain.chain_id, "calldata": s.calldata, "action": s.action, "signature": s.signature }),
                || {
                    format!(
                        "to {} on chain {}\n{}",
                        s.action.domain.council, s.action.domain.chain_id, s.calldata
                    )
                },
            )?;
        }
        Command::Submit {
            source,
            rpc_url,
            keystore,
        } => {
            let s = signed_action(&source).await?;
            let signer = chain::load_signer(keystore.as_deref())?;
            let tx = chain::submit(&rpc_url, &signer, &s.action, &s.signature.export()?).await?;
            emit(
                json,
                &json!({ "txHash": tx, "kind": s.action.kind.name() }),
                || format!("{} submitted: {tx}", s.action.kind.name()),
            )?;
        }
        Command::Execute {
            council,
            id,
            rpc_url,
            keystore,
        } => {
            let signer = chain::load_signer(keystore.as_deref())?;
            let tx = chain::execute(&rpc_url, &signer, council, id).await?;
            emit(json, &json!({ "txHash": tx, "id": id }), || {
                format!("executed {id}: {tx}")
            })?;
        }
    }
    Ok(())
}

async fn run_session(cmd: SessionCommand, json: bool) -> Result<()> {
    match cmd {
        SessionCommand::CreateDkg {
            url,
            identity,
            book,
            session,
            threshold,
            pass,
        } => {
            let p = pass.get()?;
            let me = secrets(&p).identity(&identity)?;
            let book = AddressBook::load(&book)?;
            let req = member::dkg_request(&me, &book, &session, threshold)?;
            let view = Client::new(&url.coordinator)?.create_dkg(&req).await?;
            emit(json, &view, || {
                format!("DKG session {session}: {threshold} of {}", book.len())
            })
        }
        SessionCommand::CreateSign {
            url,
            identity,
            book,
            session,
            action,
            public,
            signers,
            pass,
        } => {
            let p = pass.get()?;
            let me = secrets(&p).identity(&identity)?;
            let book = AddressBook::load(&book)?;
            let action: Action = files::read_json(&action)?;
            let public: PublicFile = files::read_json(&public)?;
            let req = member::sign_request(&me, &book, &session, &action, &signers, &public)?;
            let view = Client::new(&url.coordinator)?.create_sign(&req).await?;
            let shown = action.describe()?;
            emit(json, &view, || {
                format!(
                    "signing session {session}, signers {signers:?}\n{}",
                    shown.to_text()
                )
            })
        }
        SessionCommand::Show { url, session, dkg } => {
            let client = Client::new(&url.coordinator)?;
            if dkg {
                let v = client.dkg_session(&session).await?;
                emit(json, &v, || dkg_text(&v))
            } else {
                let v = client.sign_session(&session, None).await?;
                emit(json, &v, || sign_text(&v))
            }
        }
        SessionCommand::Wait {
            url,
            session,
            dkg,
            timeout,
        } => {
            let client = Client::new(&url.coordinator)?;
            let t = Duration::from_secs(timeout);
            if dkg {
                let v = client.dkg_result(&session, t).await?;
                emit(json, &v, || dkg_text(&v))?;
                if v.status == SessionStatus::Failed {
                    return Err(CouncilError::Session(v.error.unwrap_or_default()));
                }
            } else {
                let v = client.signature(&session, t).await?;
                emit(json, &v, || sign_text(&v))?;
                if v.status == SessionStatus::Failed {
                    return Err(CouncilError::Session(v.error.unwrap_or_default()));
                }
            }
            Ok(())
        }
    }
}

fn dkg_text(v: &protocol::DkgSessionView) -> String {
    let mut s = format!(
        "DKG session {}: {:?}\nround 1 from {:?}\nround 2 from {:?}\nresults from {:?}\n",
        v.session, v.status, v.round1_from, v.round2_from, v.results_from
    );
    if let Some(p) = &v.public {
        s.push_str(&format!(
            "group key {} (x {}, y {})\n",
            p.group_key.compressed, p.group_key.x, p.group_key.y
        ));
    }
    if let Some(e) = &v.error {
        s.push_str(&format!("error: {e}\n"));
    }
    s
}

fn sign_text(v: &protocol::SignSessionView) -> String {
    let mut s = format!(
        "signing session {}: {:?}\ndigest {}\n",
        v.session, v.status, v.digest
    );
    if let Ok(bytes) = hex::decode(&v.request.payload)
        && let Ok(req) = serde_json::from_slice::<SignRequest>(&bytes)
        && let Ok(view) = req.action.describe()
    {
        s.push_str(&view.to_text());
        s.push_str(&format!("signers {:?}\n", req.signers));
    }
    let committed: Vec<u16> = v.commitments.iter().map(|e| e.sender).collect();
    s.push_str(&format!(
        "commitments from {committed:?}\nshares from {:?}\n",
        v.shares_from
    ));
    if let Some(c) = &v.calldata {
        s.push_str(&format!("calldata {c}\n"));
    }
    if let Some(t) = &v.tx_hash {
        s.push_str(&format!("submitted in {t}\n"));
    }
    if let Some(e) = &v.error {
        s.push_str(&format!("error: {e}\n"));
    }
    s
}

async fn run_member(cmd: MemberCommand, json: bool) -> Result<()> {
    match cmd {
        MemberCommand::Dkg {
            url,
            session,
            identity,
            book,
            key_out,
            public_out,
            timeout,
            confirm,
            pass,
        } => {
            let p = pass.get()?;
            let sec = secrets(&p);
            let me = sec.identity(&identity)?;
            let book = AddressBook::load(&book)?;
            let client = Client::new(&url.coordinator)?;
            let t = Duration::from_secs(timeout);
            let (key, public) = member::dkg(
                &client,
                &me,
                &book,
                &session,
                |prompt| ask(&prompt.to_text(), "take part in this DKG?", confirm.yes),
                t,
                &mut OsRng,
            )
            .await?;
            keystore::save(&key_out, &key.serialize()?, &p, sec.params, &mut OsRng)?;
            let public = PublicFile::new(&public, *key.min_signers())?;
            files::write_json(&public_out, &public)?;
            let done = client.dkg_result(&session, t).await?;
            if done.status != SessionStatus::Done || done.public.as_ref() != Some(&public) {
                return Err(CouncilError::Session(format!(
                    "DKG {session}: the members did not all compute this public key package{}",
                    done.error.map(|e| format!(": {e}")).unwrap_or_default()
                )));
            }
            emit(json, &public.group_key, || {
                format!(
                    "group key {} (x {}, y {})\nkey package {}, public file {}",
                    public.group_key.compressed,
                    public.group_key.x,
                    public.group_key.y,
                    key_out.display(),
                    public_out.display()
                )
            })
        }
        MemberCommand::Sign {
            url,
            session,
            identity,
            book,
            key_package,
            nonce_dir,
            timeout,
            confirm,
            pass,
        } => {
            let p = pass.get()?;
            let sec = secrets(&p);
            let me = sec.identity(&identity)?;
            let key = sec.key_package(&key_package)?;
            let book = AddressBook::load(&book)?;
            let nonces = NonceStore::open_encrypted(&nonce_dir, &p, sec.params)?;
            let client = Client::new(&url.coordinator)?;
            let out = member::sign(
                &client,
                &me,
                &book,
                &key,
                &nonces,
                &session,
                |prompt| ask(&prompt.to_text(), "sign this action?", confirm.yes),
                Duration::from_secs(timeout),
                &mut OsRng,
            )
            .await?;
            emit(json, &out, || {
                format!(
                    "share sent for session {} (digest {})",
                    out.session, out.digest
                )
            })
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Coordinator(_)) {
        init_logging(LogFormat::Text, "warn");
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
