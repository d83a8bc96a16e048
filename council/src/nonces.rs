//! Single-use signing nonces persisted on disk.
//!
//! Round 1 ([`NonceStore::commit`]) writes the fresh nonces to a file (fsync'd) before the
//! commitments are returned. Round 2 ([`NonceStore::sign`]) first claims the nonces by creating a
//! `<id>.used` marker with `O_CREAT|O_EXCL` (fsync of marker and directory; of two concurrent
//! signers exactly one wins), then replaces the nonce file with a "used" tombstone (wiping the
//! secret nonces), and only then computes the signature share. A
//! second share with the same nonces is therefore refused, also after a crash or restart between
//! the two: at worst a crash loses one share (round 1 is run again), it never reuses a nonce.
//! Nonce files are named after the Keccak-256 of the commitments, so the signing package selects
//! them; nothing else identifies them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use frost::SigningPackage;
use frost::keys::KeyPackage;
use frost::round1::{SigningCommitments, SigningNonces};
use frost::round2::SignatureShare;
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::contract::keccak256;
use crate::disk::write_durable;
use crate::error::{CouncilError, Result};
use crate::group::member_id;
use crate::keystore::{self, KdfParams, Sealed};

#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum NonceFile {
    Fresh { member: u16, nonces: String },
    Sealed { member: u16, nonces: Sealed },
    Used { member: u16 },
}

/// What a [`NonceStore`] holds for a set of commitments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceState {
    /// Nonces stored and not used yet.
    Fresh,
    /// The nonces were claimed for a share (or the claim marker exists): they never sign again.
    Used,
    /// No nonces for these commitments in this store.
    Unknown,
}

/// A directory of single-use nonces of one member.
#[derive(Clone)]
pub struct NonceStore {
    dir: PathBuf,
    seal: Option<(String, KdfParams)>,
}

impl std::fmt::Debug for NonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceStore")
            .field("dir", &self.dir)
            .field("encrypted", &self.seal.is_some())
            .finish()
    }
}

/// Identifier of a set of commitments: hex of the first 16 bytes of their Keccak-256.
pub fn commitment_id(c: &SigningCommitments) -> Result<String> {
    Ok(hex::encode(&keccak256(&c.serialize()?)[..16]))
}

impl NonceStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(CouncilError::io(&dir))?;
        Ok(NonceStore { dir, seal: None })
    }

    /// Opens the store with nonces encrypted at rest under `passphrase` ([`crate::keystore`]):
    /// fresh nonces plus a published share would reveal the signing share.
    pub fn open_encrypted(
        dir: impl Into<PathBuf>,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<Self> {
        let mut store = Self::open(dir)?;
        store.seal = Some((passphrase.to_string(), params));
        Ok(store)
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.nonce.json"))
    }

    /// What the store holds for `commitments` (a claim marker means used, whatever the nonce
    /// file says: the claim comes first).
    pub fn state(&self, commitments: &SigningCommitments) -> Result<NonceState> {
        let id = commitment_id(commitments)?;
        if self.dir.join(format!("{id}.used")).exists() {
            return Ok(NonceState::Used);
        }
        let path = self.path(&id);
        match fs::read(&path) {
            Ok(bytes) => Ok(match serde_json::from_slice::<NonceFile>(&bytes)? {
                NonceFile::Used { .. } => NonceState::Used,
                NonceFile::Fresh { .. } | NonceFile::Sealed { .. } => NonceState::Fresh,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(NonceState::Unknown),
            Err(e) => Err(CouncilError::io(&path)(e)),
        }
    }

    /// Commitment ids whose nonces have been claimed for a share, sorted: a member's record of
    /// every share that may have left it.
    pub fn claimed(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(CouncilError::io(&self.dir))? {
            let entry = entry.map_err(CouncilError::io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".used") {
                out.push(id.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Round 1: draws fresh nonces, persists them durably, returns the commitments to publish.
    pub fn commit<R: RngCore + CryptoRng>(
        &self,
        key_package: &KeyPackage,
        rng: &mut R,
    ) -> Result<SigningCommitments> {
        let member = member_id(key_package.identifier()).unwrap_or(0);
        let (nonces, commitments) = frost::round1::commit(key_package.signing_share(), rng);
        let id = commitment_id(&commitments)?;
        let plain = zeroize::Zeroizing::new(hex::encode(nonces.serialize()?));
        let file = match &self.seal {
            None => NonceFile::Fresh {
                member,
                nonces: plain.to_string(),
            },
            Some((pass, params)) => NonceFile::Sealed {
                member,
                nonces: keystore::seal(plain.as_bytes(), pass, *params, rng)?,
            },
        };
        write_durable(&self.path(&id), &serde_json::to_vec(&file)?)?;
        Ok(commitments)
    }

    /// Round 2: finds this member's nonces for the package, marks them used on disk, then
    /// computes the signature share. Refuses nonces already used ([`CouncilError::NonceReused`]).
    pub fn sign(
        &self,
        package: &SigningPackage,
        key_package: &KeyPackage,
    ) -> Result<SignatureShare> {
        let me = key_package.identifier();
        let member = member_id(me).unwrap_or(0);
        let commitments =
            package
                .signing_commitment(me)
                .ok_or_else(|| CouncilError::Misaddressed {
                    sender: 0,
                    what: format!("a signing package without member {member}"),
                })?;
        let id = commitment_id(&commitments)?;
        let path = self.path(&id);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CouncilError::UnknownNonce(id));
            }
            Err(e) => return Err(CouncilError::io(&path)(e)),
        };
        // Decrypt before claiming, so a wrong passphrase does not burn the nonces.
        let hex_nonces = match serde_json::from_slice::<NonceFile>(&bytes)? {
            NonceFile::Used { .. } => return Err(CouncilError::NonceReused(id)),
            NonceFile::Fresh { nonces, .. } => zeroize::Zeroizing::new(nonces.into_bytes()),
            NonceFile::Sealed { nonces, .. } => {
                let (pass, _) = self.seal.as_ref().ok_or_else(|| {
                    CouncilError::Parameters(
                        "encrypted nonces: open the store with a passphrase".into(),
                    )
                })?;
                keystore::open(&nonces, pass, &path)?
            }
        };
        let raw = zeroize::Zeroizing::new(
            hex::decode(&*hex_nonces).map_err(|e| CouncilError::Encoding(e.to_string()))?,
        );
        let nonces = SigningNonces::deserialize(&raw)?;
        if nonces.commitments() != &commitments {
            return Err(CouncilError::UnknownNonce(id));
        }
        // Claim the nonces: creating the marker is atomic (O_CREAT|O_EXCL), so of two
        // concurrent signers (threads or processes) exactly one gets them.
        let marker = self.dir.join(format!("{id}.used"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
        {
            Ok(mut f) => {
                f.write_all(member.to_string().as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(CouncilError::io(&marker))?;
                File::open(&self.dir)
                    .and_then(|d| d.sync_all())
                    .map_err(CouncilError::io(&self.dir))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CouncilError::NonceReused(id));
            }
            Err(e) => return Err(CouncilError::io(&marker)(e)),
        }
        // Wipe the secret nonces from disk (the marker already forbids their reuse).
        write_durable(&path, &serde_json::to_vec(&NonceFile::Used { member })?)?;
        Ok(frost::round2::sign(package, &nonces, key_package)?)
    }
}
