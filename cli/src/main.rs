//! `drawbridge`: the Drawbridge user CLI. All logic lives in the `drawbridge_cli` library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use drawbridge_cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = format!("{error:#}");
            if json {
                let details = error
                    .downcast_ref::<drawbridge_cli::CliError>()
                    .map(|e| e.json_details());
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
    let report = runtime.block_on(run(&cli))?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
