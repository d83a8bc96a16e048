//! `drawbridge-council`: key generation and signing ceremonies of the Drawbridge security council.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use drawbridge_council::vectors;

#[derive(Parser)]
#[command(
    name = "drawbridge-council",
    about = "Drawbridge security council (FROST secp256k1/Keccak256)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the deterministic shared test vectors (docs/council.md).
    Vectors {
        /// Output file.
        #[arg(long, default_value = "contracts/test/vectors/frost-vectors.json")]
        out: PathBuf,
    },
}

fn run(cli: Cli) -> drawbridge_council::Result<()> {
    match cli.command {
        Command::Vectors { out } => {
            let json = vectors::generate()?.to_json()?;
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| {
                    drawbridge_council::CouncilError::Io {
                        path: dir.to_path_buf(),
                        source,
                    }
                })?;
            }
            std::fs::write(&out, json).map_err(|source| drawbridge_council::CouncilError::Io {
                path: out.clone(),
                source,
            })?;
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
