//! `drawbridge-relayer`: the relayer as a process. Configuration from a TOML file
//! (`--config`), `DRAWBRIDGE_*` environment variables and flags (`--print-config [--json]` shows
//! the result with secrets redacted); stops gracefully on SIGINT or SIGTERM, giving its role
//! leases back.

use anyhow::Context;
use clap::Parser;
use drawbridge_relayer::{ConfigArgs, Relayer, Secrets};
use drawbridge_service::{init_logging, shutdown_signal};

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
    init_logging(loaded.log_format, "info");
    tracing::info!(config = ?loaded.relayer, "starting");
    let relayer = Relayer::new(loaded.relayer)
        .await
        .context("starting the relayer")?;
    relayer.run(shutdown_signal()).await.context("relayer")?;
    Ok(())
}
