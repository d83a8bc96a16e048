//! `drawbridge-council`: key generation and signing ceremonies of the Drawbridge security
//! council in file mode (every step reads and writes JSON files), and the shared test vectors.
//!
//! Secret files are encrypted under the passphrase read from `--passphrase-file` or the
//! environment variable `DRAWBRIDGE_COUNCIL_PASSPHRASE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use drawbridge_council::files::{self, PublicFile, Secrets};
use drawbridge_council::keystore::KdfParams;
use drawbridge_council::{CouncilError, Result, vectors};
use rand_core::OsRng;

#[derive(Parser)]
#[command(
    name = "drawbridge-council",
    about = "Drawbridge security council (FROST secp256k1/Keccak256)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Pass {
    /// File holding the passphrase (first line); default: $DRAWBRIDGE_COUNCIL_PASSPHRASE.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

impl Pass {
    fn get(&self) -> Result<String> {
        match &self.passphrase_file {
            Some(p) => Ok(std::fs::read_to_string(p)
                .map_err(|source| CouncilError::Io {
                    path: p.clone(),
                    source,
                })?
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()),
            None => std::env::var("DRAWBRIDGE_COUNCIL_PASSPHRASE").map_err(|_| {
                CouncilError::Parameters(
                    "no passphrase: use --passphrase-file or DRAWBRIDGE_COUNCIL_PASSPHRASE".into(),
                )
            }),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Write the deterministic shared test vectors (docs/council.md).
    Vectors {
        /// Output file.
        #[arg(long, default_value = "contracts/test/vectors/frost-vectors.json")]
        out: PathBuf,
    },
    /// Create a member: encrypted identity (Ed25519 + X25519) and public address-book entry.
    Identity {
        #[arg(long)]
        id: u16,
        #[arg(long)]
        name: String,
        #[arg(long)]
        identity_out: PathBuf,
        #[arg(long)]
        member_out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Build the address book from members' public entries.
    AddressBook {
        #[arg(long)]
        out: PathBuf,
        /// Public entries written by `identity`.
        members: Vec<PathBuf>,
    },
    /// Trusted-dealer key generation (devnets only: the dealer sees the group secret).
    Dealer {
        #[arg(long)]
        threshold: u16,
        #[arg(long)]
        members: u16,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// DKG part 1: signed commitment and proof of knowledge.
    DkgPart1 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        threshold: u16,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// DKG part 2: verify round 1, write encrypted signed round-2 packages.
    DkgPart2 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        round1_dir: PathBuf,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// DKG part 3: verify round 2, write the encrypted key package and the public file.
    DkgPart3 {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        round1_dir: PathBuf,
        #[arg(long)]
        round2_dir: PathBuf,
        #[arg(long)]
        key_out: PathBuf,
        #[arg(long)]
        public_out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Print the group key in contract form (x, y, compressed).
    ExportKey {
        #[arg(long)]
        public: PathBuf,
    },
    /// Signing round 1: store nonces, write signed commitments.
    SignCommit {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        nonce_dir: PathBuf,
        #[arg(long)]
        session: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Coordinator: signing request from the digest and the commitment files.
    SignRequest {
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        /// 32-byte digest, 0x-hex.
        #[arg(long)]
        digest: String,
        #[arg(long)]
        commitment_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Signing round 2: mark nonces used, write the signed share.
    SignShare {
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        nonce_dir: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        request: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// Coordinator: verify shares, aggregate, write the contract-form signature.
    Aggregate {
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        public: PathBuf,
        #[arg(long)]
        request: PathBuf,
        #[arg(long)]
        share_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

fn secrets(pass: &str) -> Secrets<'_> {
    Secrets {
        passphrase: pass,
        params: KdfParams::default(),
    }
}

fn run(cli: Cli) -> Result<()> {
    let rng = &mut OsRng;
    match cli.command {
        Command::Vectors { out } => {
            let json = vectors::generate()?.to_json()?;
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| CouncilError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&out, json).map_err(|source| CouncilError::Io {
                path: out.clone(),
                source,
            })?;
            println!("wrote {}", out.display());
        }
        Command::Identity {
            id,
            name,
            identity_out,
            member_out,
            pass,
        } => {
            let p = pass.get()?;
            files::new_identity(id, &name, &secrets(&p), &identity_out, &member_out, rng)?;
        }
        Command::AddressBook { out, members } => {
            let book = files::address_book(&members, &out)?;
            println!("{} members", book.len());
        }
        Command::Dealer {
            threshold,
            members,
            out_dir,
            pass,
        } => {
            let p = pass.get()?;
            let gk = files::dealer(threshold, members, &secrets(&p), &out_dir, rng)?;
            println!("{}", serde_json::to_string_pretty(&gk)?);
        }
        Command::DkgPart1 {
            identity,
            book,
            session,
            threshold,
            state_out,
            out,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part1(
                &identity,
                &secrets(&p),
                &book,
                &session,
                threshold,
                &state_out,
                &out,
                rng,
            )?;
        }
        Command::DkgPart2 {
            identity,
            book,
            session,
            state,
            round1_dir,
            state_out,
            out_dir,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part2(
                &identity,
                &secrets(&p),
                &book,
                &session,
                &state,
                &round1_dir,
                &state_out,
                &out_dir,
                rng,
            )?;
        }
        Command::DkgPart3 {
            identity,
            book,
            session,
            state,
            round1_dir,
            round2_dir,
            key_out,
            public_out,
            pass,
        } => {
            let p = pass.get()?;
            files::dkg_part3(
                &identity,
                &secrets(&p),
                &book,
                &session,
                &state,
                &round1_dir,
                &round2_dir,
                &key_out,
                &public_out,
                rng,
            )?;
        }
        Command::ExportKey { public } => {
            let f: PublicFile = files::read_json(&public)?;
            println!("{}", serde_json::to_string_pretty(&f.group_key)?);
        }
        Command::SignCommit {
            identity,
            key,
            nonce_dir,
            session,
            out,
            pass,
        } => {
            let p = pass.get()?;
            files::sign_commit(
                &identity,
                &key,
                &secrets(&p),
                &nonce_dir,
                &session,
                &out,
                rng,
            )?;
        }
        Command::SignRequest {
            book,
            session,
            digest,
            commitment_dir,
            out,
        } => {
            let d = hex::decode(digest.trim_start_matches("0x"))
                .map_err(|e| CouncilError::Encoding(format!("digest: {e}")))?;
            files::signing_request(&book, &session, &d, &commitment_dir, &out)?;
        }
        Command::SignShare {
            identity,
            key,
            nonce_dir,
            book,
            request,
            out,
            pass,
        } => {
            let p = pass.get()?;
            files::sign_share(
                &identity,
                &key,
                &secrets(&p),
                &nonce_dir,
                &book,
                &request,
                &out,
            )?;
        }
        Command::Aggregate {
            book,
            public,
            request,
            share_dir,
            out,
        } => {
            let s = files::aggregate_shares(&book, &public, &request, &share_dir, &out)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
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
