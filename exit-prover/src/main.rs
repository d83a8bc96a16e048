//! `drawbridge-exit-prover`: force, status, freeze, prove, escape, reclaim, kit. All logic lives in
//! the `drawbridge_exit_prover` library.

use std::process::ExitCode;

use anyhow::Context as _;
use drawbridge_exit_prover::{Cli, ExitError, run};
use drawbridge_service::output::{parse_args, print_report, report_error};
use drawbridge_service::{LogFormat, init_logging};

fn main() -> ExitCode {
    let cli: Cli = parse_args();
    let json = cli.json;
    init_logging(LogFormat::Text, "drawbridge_exit_prover=info");
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let details = error.downcast_ref::<ExitError>().map(|e| e.json_details());
            report_error(&format!("{error:#}"), details, json)
        }
    }
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let txs = drawbridge_client::TxLog::shown();
    let stop = async {
        let signal = drawbridge_service::shutdown_signal().await;
        tracing::info!("{signal} received");
    };
    let report = runtime.block_on(run(&cli, txs, stop))?;
    print_report(&report, cli.json).context("writing the result")?;
    Ok(())
}
