//! Signing in file mode: request, commit, package, share, aggregate; each step reads and writes
//! files, so air-gapped members can take part.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use drawbridge_council::Result;
use drawbridge_council::files;
use rand_core::OsRng;

use crate::common::{Confirm, Pass, ask, emit, emit_wrote, secrets};

/// A signer's files: identity, key package, nonce store and address book.
#[derive(Args, Clone, Debug)]
pub struct Signer {
    #[arg(long)]
    identity: PathBuf,
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    nonce_dir: PathBuf,
    #[arg(long)]
    book: PathBuf,
}

/// What anyone checks a step against: the address book and the signed request.
#[derive(Args, Clone, Debug)]
pub struct Request {
    #[arg(long)]
    book: PathBuf,
    #[arg(long)]
    request: PathBuf,
}

/// Where a signer's step writes, and how the signer confirms and unlocks its key.
#[derive(Args, Clone, Debug)]
pub struct SignerOut {
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    confirm: Confirm,
    #[command(flatten)]
    pass: Pass,
}

#[derive(Subcommand, Debug)]
pub enum SignCommand {
    /// File mode, signing step 1 (requester): the signed request for an action.
    SignRequest {
        /// The requester's identity.
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        book: PathBuf,
        #[arg(long)]
        session: String,
        /// Action file (from `action ...`).
        #[arg(long)]
        action: PathBuf,
        /// The group's public file.
        #[arg(long)]
        public: PathBuf,
        /// Signers, comma-separated member ids.
        #[arg(long, value_delimiter = ',', required = true)]
        signers: Vec<u16>,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, signing step 2 (signer): show the action, confirm, write signed commitments.
    SignCommit {
        #[command(flatten)]
        signer: Signer,
        /// The signed request (from `sign-request`).
        #[arg(long)]
        request: PathBuf,
        #[command(flatten)]
        to: SignerOut,
    },
    /// File mode, signing step 3 (anyone): the signing package from the commitment files.
    SignPackage {
        #[command(flatten)]
        request: Request,
        #[arg(long)]
        commitment_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// File mode, signing step 4 (signer): check the package, claim the nonces, write the share.
    SignShare {
        #[command(flatten)]
        signer: Signer,
        #[arg(long)]
        request: PathBuf,
        /// This member's commitment file (written by `sign-commit`).
        #[arg(long)]
        own: PathBuf,
        /// The signing package (from `sign-package`).
        #[arg(long)]
        package: PathBuf,
        #[command(flatten)]
        to: SignerOut,
    },
    /// File mode, signing step 5 (anyone): verify shares, aggregate, write the signed action.
    Aggregate {
        #[command(flatten)]
        request: Request,
        #[arg(long)]
        package: PathBuf,
        #[arg(long)]
        share_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

impl Signer {
    /// Runs `step` as this signer, its secrets under the passphrase of `pass`.
    fn run<T>(&self, pass: &Pass, step: impl FnOnce(&files::Signer) -> Result<T>) -> Result<T> {
        let p = pass.get()?;
        step(&files::Signer {
            identity: &self.identity,
            key: &self.key,
            secrets: &secrets(&p),
            nonce_dir: &self.nonce_dir,
            book: &self.book,
        })
    }
}

impl SignCommand {
    pub fn run(self, json: bool) -> Result<()> {
        match self {
            SignCommand::SignRequest {
                identity,
                book,
                session,
                action,
                public,
                signers,
                out,
                pass,
            } => {
                let env = files::sign_request(
                    &identity,
                    &secrets(&pass.get()?),
                    &book,
                    &session,
                    &action,
                    &public,
                    &signers,
                    &out,
                )?;
                emit(json, &env, || format!("wrote {}", out.display()))
            }
            SignCommand::SignCommit {
                signer,
                request,
                to: SignerOut { out, confirm, pass },
            } => {
                let prompt = signer.run(&pass, |s| {
                    files::sign_commit(
                        s,
                        &request,
                        |prompt| {
                            ask(
                                &prompt.to_text(),
                                "commit to signing this action?",
                                confirm.yes,
                            )
                        },
                        &out,
                        &mut OsRng,
                    )
                })?;
                emit(json, &prompt, || format!("wrote {}", out.display()))
            }
            SignCommand::SignPackage {
                request: r,
                commitment_dir,
                out,
            } => {
                let v = files::sign_package(&r.book, &r.request, &commitment_dir, &out)?;
                emit(json, &v, || {
                    format!(
                        "{} commitments; wrote {}",
                        v.commitments.len(),
                        out.display()
                    )
                })
            }
            SignCommand::SignShare {
                signer,
                request,
                own,
                package,
                to: SignerOut { out, confirm, pass },
            } => {
                signer.run(&pass, |s| {
                    files::sign_share(
                        s,
                        &request,
                        (&own, &package),
                        |prompt| ask(&prompt.to_text(), "sign this action?", confirm.yes),
                        &out,
                    )
                })?;
                emit_wrote(json, &out)
            }
            SignCommand::Aggregate {
                request: r,
                package,
                share_dir,
                out,
            } => {
                let s = files::aggregate(&r.book, &r.request, &package, &share_dir, &out)?;
                emit(json, &s, || {
                    format!(
                        "signed by {:?}; wrote {}\ncalldata {}",
                        s.signature.signers,
                        out.display(),
                        s.calldata
                    )
                })
            }
        }
    }
}
