//! `drawbridge-relayer`: the relayer as a process. Configuration from a TOML file
//! (`--config`), `DRAWBRIDGE_*` environment variables and flags (`--print-config [--json]` shows
//! the result with secrets redacted); stops gracefully on SIGINT or SIGTERM, giving its role
//! leases back.

use std::process::ExitCode;

use anyhow::Context;
use drawbridge_relayer::{ConfigArgs, Relayer, Secrets};
use drawbridge_service::output::{parse_args, print_stdout, report_error};
use drawbridge_service::{init_logging, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    let args: ConfigArgs = parse_args();
    let json = args.json;
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report_error(&format!("{error:#}"), None, json),
    }
}

async fn run(args: ConfigArgs) -> anyhow::Result<()> {
    let (print_config, json) = (args.print_config, args.json);
    let loaded = args.resolve(Secrets::from_env()).context("configuration")?;
    if print_config {
        let settings = loaded.relayer.printable();
        let text = if json {
            serde_json::to_string_pretty(&settings)?
        } else {
            settings
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| format!("{name} = {value}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        print_stdout(&text).context("writing the configuration")?;
        return Ok(());
    }
    init_logging(loaded.log_format, "info");
    tracing::info!(config = ?loaded.relayer, "starting");
    let relayer = Relayer::new(loaded.relayer)
        .await
        .context("starting the relayer")?;
    let stop = async {
        let signal = shutdown_signal().await;
        tracing::info!("{signal} received");
    };
    relayer.run(stop).await.context("relayer")?;
    Ok(())
}
