//! Members and keys: the shared test vectors, member identities, the address book and the
//! trusted dealer.

use std::path::PathBuf;

use clap::Subcommand;
use drawbridge_council::{Result, files, vectors};
use rand_core::OsRng;
use serde_json::json;

use crate::common::{Pass, emit, emit_wrote, secrets};

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
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
}

impl KeysCommand {
    pub fn run(self, json: bool) -> Result<()> {
        match self {
            KeysCommand::Vectors { out } => {
                vectors::write(&out)?;
                emit_wrote(json, &out)
            }
            KeysCommand::Identity {
                id,
                name,
                identity_out,
                member_out,
                pass,
            } => {
                let p = pass.get()?;
                files::new_identity(
                    id,
                    &name,
                    &secrets(&p),
                    &identity_out,
                    &member_out,
                    &mut OsRng,
                )?;
                emit(
                    json,
                    &json!({ "id": id, "identity": identity_out, "member": member_out }),
                    || {
                        format!(
                            "member {id} ({name}): identity {}, entry {}",
                            identity_out.display(),
                            member_out.display()
                        )
                    },
                )
            }
            KeysCommand::AddressBook { out, members } => {
                let book = files::address_book(&members, &out)?;
                emit(json, &book, || format!("{} members", book.len()))
            }
            KeysCommand::Dealer {
                threshold,
                members,
                out_dir,
                pass,
            } => {
                let p = pass.get()?;
                let gk = files::dealer(threshold, members, &secrets(&p), &out_dir, &mut OsRng)?;
                emit(true, &gk, String::new)
            }
        }
    }
}
