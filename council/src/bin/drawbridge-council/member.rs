//! `member ...`: a member's part of a coordinator ceremony (DKG or signing).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use drawbridge_council::Result;
use drawbridge_council::identity::{AddressBook, MemberSecret};
use drawbridge_council::member::{self, Client};
use drawbridge_council::nonces::NonceStore;
use rand_core::OsRng;

use crate::common::{Confirm, CoordinatorUrl, Pass, ask, emit, secrets};

/// The coordinator, the session and the member taking part.
#[derive(Args, Clone, Debug)]
pub struct MemberSession {
    #[command(flatten)]
    url: CoordinatorUrl,
    #[arg(long)]
    session: String,
    #[arg(long)]
    identity: PathBuf,
    #[arg(long)]
    book: PathBuf,
}

/// A member's session opened: its passphrase, identity, address book and coordinator client.
struct Opened {
    passphrase: String,
    me: MemberSecret,
    book: AddressBook,
    client: Client,
    session: String,
}

impl MemberSession {
    /// Reads the passphrase of `pass`, the member's identity and the address book.
    fn open(self, pass: &Pass) -> Result<Opened> {
        let passphrase = pass.get()?;
        Ok(Opened {
            me: secrets(&passphrase).identity(&self.identity)?,
            book: AddressBook::load(&self.book)?,
            client: Client::new(&self.url.coordinator)?,
            session: self.session,
            passphrase,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Take part in a DKG session; writes the encrypted key package and the public file.
    Dkg {
        #[command(flatten)]
        member: MemberSession,
        #[arg(long)]
        key_out: PathBuf,
        #[arg(long)]
        public_out: PathBuf,
        /// Seconds to wait for the other members at each step.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
    /// Sign an action of a signing session: show it, confirm, commit, check the package, share.
    Sign {
        #[command(flatten)]
        member: MemberSession,
        /// This member's encrypted key package.
        #[arg(long)]
        key_package: PathBuf,
        /// This member's nonce store (single-use nonces, encrypted at rest).
        #[arg(long)]
        nonce_dir: PathBuf,
        /// Seconds to wait for the other signers.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[command(flatten)]
        confirm: Confirm,
        #[command(flatten)]
        pass: Pass,
    },
}

impl MemberCommand {
    pub async fn run(self, json: bool) -> Result<()> {
        match self {
            MemberCommand::Dkg {
                member: s,
                key_out,
                public_out,
                timeout,
                confirm,
                pass,
            } => {
                let o = s.open(&pass)?;
                let sec = secrets(&o.passphrase);
                let t = Duration::from_secs(timeout);
                let (key, public) = member::dkg(
                    &o.client,
                    &o.me,
                    &o.book,
                    &o.session,
                    |prompt| ask(&prompt.to_text(), "take part in this DKG?", confirm.yes),
                    t,
                    &mut OsRng,
                )
                .await?;
                let public = member::save_dkg(
                    &o.client,
                    &o.session,
                    (&key, &public),
                    &o.passphrase,
                    sec.params,
                    &key_out,
                    &public_out,
                    t,
                    &mut OsRng,
                )
                .await?;
                emit(json, &public.group_key, || {
                    format!(
                        "group key {} (x {}, y {})\nkey package {}, public file {}",
                        public.group_key.compressed,
                        public.group_key.x,
                        public.group_key.y,
                        key_out.display(),
                        public_out.display()
                    )
                })
            }
            MemberCommand::Sign {
                member: s,
                key_package,
                nonce_dir,
                timeout,
                confirm,
                pass,
            } => {
                let o = s.open(&pass)?;
                let sec = secrets(&o.passphrase);
                let key = sec.key_package(&key_package)?;
                let nonces = NonceStore::open_encrypted(&nonce_dir, &o.passphrase, sec.params)?;
                let out = member::sign(
                    &o.client,
                    &o.me,
                    &o.book,
                    &key,
                    &nonces,
                    &o.session,
                    |prompt| ask(&prompt.to_text(), "sign this action?", confirm.yes),
                    Duration::from_secs(timeout),
                    &mut OsRng,
                )
                .await?;
                emit(json, &out, || {
                    format!(
                        "share sent for session {} (digest {})",
                        out.session, out.digest
                    )
                })
            }
        }
    }
}
