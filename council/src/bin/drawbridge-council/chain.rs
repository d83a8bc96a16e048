//! The chain: print the calldata of a signed action, submit it, execute a scheduled call.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};
use clap::{Args, Subcommand};
use drawbridge_council::files::SignedAction;
use drawbridge_council::identity::AddressBook;
use drawbridge_council::member::Client;
use drawbridge_council::{CouncilError, Result, chain};
use serde_json::json;

use crate::common::emit;

#[derive(Args, Clone, Debug)]
pub struct SignedSource {
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

impl SignedSource {
    /// The signed action of a file or a coordinator session, checked here (see
    /// [`SignedAction::from_file`] and [`Client::signed_action`]).
    async fn load(&self) -> Result<SignedAction> {
        if let Some(path) = &self.signed {
            return SignedAction::from_file(path);
        }
        let (Some(url), Some(session)) = (&self.coordinator, &self.session) else {
            return Err(CouncilError::Parameters(
                "give --coordinator and --session, or --signed".into(),
            ));
        };
        let client = Client::new(url)?;
        match &self.book {
            Some(b) => {
                client
                    .signed_action(session, Some(&AddressBook::load(b)?))
                    .await
            }
            None => client.signed_action(session, None).await,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ChainCommand {
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

impl ChainCommand {
    pub async fn run(self, json: bool) -> Result<()> {
        match self {
            ChainCommand::Calldata(src) => {
                let s = src.load().await?;
                emit(
                    json,
                    &json!({ "to": s.action.domain.council, "chainId": s.action.domain.chain_id, "calldata": s.calldata, "action": s.action, "signature": s.signature }),
                    || {
                        format!(
                            "to {} on chain {}\n{}",
                            s.action.domain.council, s.action.domain.chain_id, s.calldata
                        )
                    },
                )
            }
            ChainCommand::Submit {
                source,
                rpc_url,
                keystore,
            } => {
                let s = source.load().await?;
                let signer = chain::load_signer(keystore.as_deref())?;
                let tx =
                    chain::submit(&rpc_url, &signer, &s.action, &s.signature.export()?).await?;
                emit(
                    json,
                    &json!({ "txHash": tx, "kind": s.action.kind.name() }),
                    || format!("{} submitted: {tx}", s.action.kind.name()),
                )
            }
            ChainCommand::Execute {
                council,
                id,
                rpc_url,
                keystore,
            } => {
                let signer = chain::load_signer(keystore.as_deref())?;
                let tx = chain::execute(&rpc_url, &signer, council, id).await?;
                emit(json, &json!({ "txHash": tx, "id": id }), || {
                    format!("executed {id}: {tx}")
                })
            }
        }
    }
}
