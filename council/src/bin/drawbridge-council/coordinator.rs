//! `coordinator`: run the coordinator server until SIGINT or SIGTERM.

use drawbridge_council::config::CoordinatorArgs;
use drawbridge_council::coordinator::{Coordinator, CoordinatorConfig, Submission};
use drawbridge_council::identity::AddressBook;
use drawbridge_council::{CouncilError, Result, chain};
use drawbridge_service::shutdown_signal;
use serde_json::json;

use crate::common::{emit, init_logging};

pub async fn run(args: CoordinatorArgs, json: bool) -> Result<()> {
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
    let stop = async {
        let signal = shutdown_signal().await;
        tracing::info!("{signal} received");
    };
    coordinator.serve(listener, stop).await
}
