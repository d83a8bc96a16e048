//! `session ...`: create and inspect coordinator sessions.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use drawbridge_council::action::Action;
use drawbridge_council::files::{self, PublicFile};
use drawbridge_council::identity::AddressBook;
use drawbridge_council::member::{self, Client};
use drawbridge_council::protocol::SessionStatus;
use drawbridge_council::{CouncilError, Result};

use crate::common::{CoordinatorUrl, Pass, emit, secrets};

#[derive(Subcommand, Debug)]
pub enum SessionCommand {
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

/// Refuses a session that ended failed, or that was signed but whose submission the chain
/// refused (the coordinator records the refusal as the session's error), with that error.
fn ended(status: SessionStatus, error: Option<String>) -> Result<()> {
    match (status, error) {
        (SessionStatus::Failed, error) => Err(CouncilError::Session(error.unwrap_or_default())),
        (_, Some(refused)) => Err(CouncilError::Session(format!(
            "signed, but the submission failed: {refused}"
        ))),
        _ => Ok(()),
    }
}

impl SessionCommand {
    pub async fn run(self, json: bool) -> Result<()> {
        match self {
            SessionCommand::CreateDkg {
                url,
                identity,
                book,
                session,
                threshold,
                pass,
            } => {
                let me = secrets(&pass.get()?).identity(&identity)?;
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
                let me = secrets(&pass.get()?).identity(&identity)?;
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
                    emit(json, &v, || v.to_text())
                } else {
                    let v = client.sign_session(&session, None).await?;
                    emit(json, &v, || v.to_text())
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
                let (shown, outcome) = if dkg {
                    let v = client.dkg_result(&session, t).await?;
                    (emit(json, &v, || v.to_text()), ended(v.status, v.error))
                } else {
                    let v = client.signature(&session, t).await?;
                    (emit(json, &v, || v.to_text()), ended(v.status, v.error))
                };
                shown?;
                match outcome {
                    // Under --json the view printed above (with its `error`) is the one document
                    // on stdout: say the failure on stderr only and exit 1.
                    Err(e) if json => {
                        eprintln!("error: {e}");
                        std::process::exit(1);
                    }
                    other => other,
                }
            }
        }
    }
}
