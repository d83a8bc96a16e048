//! `drawbridge`: the Drawbridge user CLI. All logic lives in the `drawbridge_cli` library.

use std::process::ExitCode;

use anyhow::Context as _;
use drawbridge_cli::{Cli, TxLog, run};
use drawbridge_service::output::{
    INTERRUPTED_EXIT, parse_args, print_report, print_stdout, report_error,
};

fn main() -> ExitCode {
    let cli: Cli = parse_args();
    let json = cli.json;
    let txs = TxLog::shown();
    match real_main(cli, txs.clone()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => interrupted(&txs, json),
        Err(error) => {
            let details = error
                .downcast_ref::<drawbridge_cli::CliError>()
                .map(|e| e.json_details());
            report_error(&format!("{error:#}"), details, json)
        }
    }
}

/// Runs the command; `Ok(false)` when Ctrl-C stopped it first.
fn real_main(cli: Cli, txs: TxLog) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let finished = runtime.block_on(async {
        tokio::select! {
            report = run(&cli, txs) => Some(report),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(report) = finished else {
        return Ok(false);
    };
    print_report(&report?, cli.json).context("writing the result")?;
    Ok(true)
}

/// Says what an interrupted command already did: a sent transaction lands or not on its own.
fn interrupted(txs: &TxLog, json: bool) -> ExitCode {
    if json {
        let body = serde_json::json!({ "error": "interrupted", "sent": txs.sent() });
        let _ = print_stdout(&body.to_string());
    }
    eprintln!(
        "interrupted; transactions sent so far:\n{}\n\
         Nothing was cancelled: a sent transaction lands or not by itself. \
         `drawbridge status` shows your transfers; run the command again only for what did not \
         land (an approval that landed stays).",
        txs.interruption_summary()
    );
    ExitCode::from(INTERRUPTED_EXIT)
}
