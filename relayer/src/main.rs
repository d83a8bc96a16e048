//! `drawbridge-relayer`: the relayer as a process. Configuration from a TOML file
//! (`--config`), `DRAWBRIDGE_*` environment variables and flags (`--print-config [--json]` shows
//! the result with secrets redacted); stops gracefully on SIGINT or SIGTERM, giving its role
//! leases back.

use anyhow::Context;
use clap::Parser;
use drawbridge_relayer::config::LogFormat;
use drawbridge_relayer::{ConfigArgs, Relayer, Secrets};
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = terminate => tracing::info!("SIGTERM received"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = ConfigArgs::parse();
    let (print_config, json) = (args.print_config, args.json);
    let loaded = args.resolve(Secrets::from_env()).context("configuration")?;
    if print_config {
        let settings = loaded.relayer.printable();
        if json {
            println!("{}", serde_json::to_string_pretty(&settings)?);
        } else if let Some(map) = settings.as_object() {
            for (name, value) in map {
                println!("{name} = {value}");
            }
        }
        return Ok(());
    }
    init_logging(loaded.log_format);
    tracing::info!(config = ?loaded.relayer, "starting");
    let relayer = Relayer::new(loaded.relayer)
        .await
        .context("starting the relayer")?;
    relayer.run(shutdown_signal()).await.context("relayer")?;
    Ok(())
}
