//! DKG in file mode (the three parts, each reading and writing files) and the group key export.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use drawbridge_council::Result;
use drawbridge_council::files::{self, PublicFile};
use rand_core::OsRng;

use crate::common::{Pass, emit, secrets};

/// The member taking part and the session, the same in every part.
#[derive(Args, Clone, Debug)]
pub struct DkgMember {
    #[arg(long)]
    identity: PathBuf,
    #[arg(long)]
    book: PathBuf,
    #[arg(long)]
    session: String,
}

/// Parts 2 and 3 start from the member's state and everyone's round-1 packages.
#[derive(Args, Clone, Debug)]
pub struct Round1Done {
    #[command(flatten)]
    member: DkgMember,
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    round1_dir: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum DkgCommand {
    /// File mode, DKG part 1: signed commitment and proof of knowledge.
    DkgPart1 {
        #[command(flatten)]
        member: DkgMember,
        #[arg(long)]
        threshold: u16,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, DKG part 2: verify round 1, write encrypted signed round-2 packages.
    DkgPart2 {
        #[command(flatten)]
        round1: Round1Done,
        #[arg(long)]
        state_out: PathBuf,
        #[arg(long)]
        out_dir: PathBuf,
        #[command(flatten)]
        pass: Pass,
    },
    /// File mode, DKG part 3: verify round 2, write the encrypted key package and the public file.
    DkgPart3 {
        #[command(flatten)]
        round1: Round1Done,
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
}

impl DkgMember {
    /// Runs `part` as this member, its secrets under the passphrase of `pass`.
    fn run(&self, pass: &Pass, part: impl FnOnce(&files::DkgMember) -> Result<()>) -> Result<()> {
        let p = pass.get()?;
        part(&files::DkgMember {
            identity: &self.identity,
            secrets: &secrets(&p),
            book: &self.book,
            session: &self.session,
        })
    }
}

impl DkgCommand {
    pub fn run(self, json: bool) -> Result<()> {
        match self {
            DkgCommand::DkgPart1 {
                member,
                threshold,
                state_out,
                out,
                pass,
            } => member.run(&pass, |m| {
                files::dkg_part1(m, threshold, &state_out, &out, &mut OsRng)
            }),
            DkgCommand::DkgPart2 {
                round1: r,
                state_out,
                out_dir,
                pass,
            } => r.member.run(&pass, |m| {
                files::dkg_part2(m, &r.state, &r.round1_dir, &state_out, &out_dir, &mut OsRng)
            }),
            DkgCommand::DkgPart3 {
                round1: r,
                round2_dir,
                key_out,
                public_out,
                pass,
            } => {
                r.member.run(&pass, |m| {
                    let dirs = (r.round1_dir.as_path(), round2_dir.as_path());
                    files::dkg_part3(m, &r.state, dirs, &key_out, &public_out, &mut OsRng)
                })?;
                let public: PublicFile = files::read_json(&public_out)?;
                emit(json, &public.group_key, || {
                    format!("group key {}", public.group_key.compressed)
                })
            }
            DkgCommand::ExportKey { public } => {
                let f: PublicFile = files::read_json(&public)?;
                emit(true, &f.group_key, String::new)
            }
        }
    }
}
