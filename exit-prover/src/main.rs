//! `drawbridge-exit-prover`: force, status, freeze, prove, escape, reclaim, kit. All logic lives in
//! the `drawbridge_exit_prover` library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use drawbridge_exit_prover::{Cli, ExitError, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("drawbridge_exit_prover=info")
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .init();
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = format!("{error:#}");
            if json {
                let details = error.downcast_ref::<ExitError>().map(|e| e.json_details());
                println!("{}", drawbridge_client::json_error_body(&message, details));
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(run(&cli, drawbridge_service::shutdown_signal()))?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
