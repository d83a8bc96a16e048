//! Secrets encrypted at rest under a passphrase: Argon2id derives a 32-byte key from the
//! passphrase and a random salt, ChaCha20-Poly1305 encrypts. A wrong passphrase (or a modified
//! file) is reported as [`CouncilError::WrongPassphrase`].

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{CouncilError, Result};

const AAD: &[u8] = b"drawbridge-council-keystore-v1";

/// Argon2id cost parameters, stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// An encrypted file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sealed {
    /// Format version (1).
    pub version: u32,
    /// Always `argon2id`.
    pub kdf: String,
    /// Argon2id parameters.
    pub params: KdfParams,
    /// Salt, hex (16 bytes).
    pub salt: String,
    /// ChaCha20-Poly1305 nonce, hex (12 bytes).
    pub nonce: String,
    /// Ciphertext with tag, hex.
    pub ciphertext: String,
}

fn derive(pass: &[u8], salt: &[u8], p: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
        .map_err(|e| CouncilError::Parameters(format!("argon2: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pass, salt, key.as_mut())
        .map_err(|e| CouncilError::Parameters(format!("argon2: {e}")))?;
    Ok(key)
}

/// Encrypts `plaintext` under `passphrase`.
pub fn seal<R: RngCore + CryptoRng>(
    plaintext: &[u8],
    passphrase: &str,
    params: KdfParams,
    rng: &mut R,
) -> Result<Sealed> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    let key = derive(passphrase.as_bytes(), &salt, params)?;
    let ct = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: AAD,
            },
        )
        .map_err(|_| CouncilError::Encoding("encryption failed".into()))?;
    Ok(Sealed {
        version: 1,
        kdf: "argon2id".into(),
        params,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
    })
}

/// Decrypts; `path` only names the file in the error.
pub fn open(sealed: &Sealed, passphrase: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let wrong = || CouncilError::WrongPassphrase(path.to_path_buf());
    if sealed.version != 1 || sealed.kdf != "argon2id" {
        return Err(CouncilError::Encoding(format!(
            "{}: unsupported keystore format",
            path.display()
        )));
    }
    let salt = hex::decode(&sealed.salt).map_err(|_| wrong())?;
    let nonce: [u8; 12] = hex::decode(&sealed.nonce)
        .map_err(|_| wrong())?
        .try_into()
        .map_err(|_| wrong())?;
    let ct = hex::decode(&sealed.ciphertext).map_err(|_| wrong())?;
    let key = derive(passphrase.as_bytes(), &salt, sealed.params)?;
    ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: AAD })
        .map(Zeroizing::new)
        .map_err(|_| wrong())
}

/// Encrypts `plaintext` into the JSON file `path` (written durably).
pub fn save<R: RngCore + CryptoRng>(
    path: &Path,
    plaintext: &[u8],
    passphrase: &str,
    params: KdfParams,
    rng: &mut R,
) -> Result<()> {
    let sealed = seal(plaintext, passphrase, params, rng)?;
    crate::disk::write_durable(path, &serde_json::to_vec_pretty(&sealed)?)
}

/// Reads and decrypts the JSON file `path`.
pub fn load(path: &Path, passphrase: &str) -> Result<Zeroizing<Vec<u8>>> {
    let bytes = std::fs::read(path).map_err(CouncilError::io(path))?;
    let sealed: Sealed = serde_json::from_slice(&bytes)?;
    open(&sealed, passphrase, path)
}

/// Environment variable holding the passphrase when no passphrase file is given.
pub const PASSPHRASE_ENV: &str = "DRAWBRIDGE_COUNCIL_PASSPHRASE";

/// The passphrase of a member's secret files: the first line of `file`, else
/// `$DRAWBRIDGE_COUNCIL_PASSPHRASE`.
pub fn read_passphrase(file: Option<&Path>) -> Result<String> {
    match file {
        Some(p) => Ok(std::fs::read_to_string(p)
            .map_err(CouncilError::io(p))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()),
        None => std::env::var(PASSPHRASE_ENV).map_err(|_| {
            CouncilError::Parameters(
                "no passphrase: use --passphrase-file or DRAWBRIDGE_COUNCIL_PASSPHRASE".into(),
            )
        }),
    }
}
