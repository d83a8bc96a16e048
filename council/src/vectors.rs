//! The shared test vectors `contracts/test/vectors/frost-vectors.json` (format in
//! docs/council.md), generated deterministically from a fixed seed so the file never drifts.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::contract::{GroupKeyJson, SignatureExport, hex0x, keccak256, verify_contract};
use crate::error::{CouncilError, Result};
use crate::signing::{sign_in_memory, trusted_dealer};

/// Threshold of the vector group key.
pub const THRESHOLD: u16 = 9;
/// Members of the vector group key.
pub const MEMBERS: u16 = 12;
/// Seed material of the deterministic RNG (hashed with Keccak-256 into the ChaCha20 seed).
pub const SEED: &[u8] = b"drawbridge council frost vectors v1";

/// Signer subsets of the vectors, one signature each.
pub const SIGNER_SETS: [&[u16]; 4] = [
    &[1, 2, 3, 4, 5, 6, 7, 8, 9],
    &[4, 5, 6, 7, 8, 9, 10, 11, 12],
    &[1, 2, 3, 5, 7, 8, 10, 11, 12],
    &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
];

/// One signature vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureVector {
    /// The signed 32-byte digest.
    pub digest: String,
    /// `R.x`.
    pub rx: String,
    /// `R.y`.
    pub ry: String,
    /// `z`.
    pub z: String,
    /// Member ids that signed.
    pub signers: Vec<u16>,
}

/// The vectors file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vectors {
    /// Format version (1).
    pub version: u32,
    /// Group key.
    pub group_key: GroupKeyJson,
    /// Threshold `t`.
    pub threshold: u16,
    /// Members `n`.
    pub members: u16,
    /// Signatures.
    pub signatures: Vec<SignatureVector>,
}

impl Vectors {
    /// Pretty JSON with a trailing newline, as committed.
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

/// Generates the vectors: 9-of-12 trusted-dealer key from the fixed seed, one signature per
/// entry of [`SIGNER_SETS`] over `keccak256("drawbridge council vector <i>")`. Every signature is
/// checked with both frost's verifier and [`verify_contract`].
pub fn generate() -> Result<Vectors> {
    let mut rng = ChaCha20Rng::from_seed(keccak256(SEED));
    let keys = trusted_dealer(THRESHOLD, MEMBERS, &mut rng)?;
    let pk = keys.export()?;
    let mut signatures = Vec::new();
    for (i, signers) in SIGNER_SETS.iter().enumerate() {
        let digest = keccak256(format!("drawbridge council vector {i}").as_bytes());
        let sig = sign_in_memory(&keys, signers, &digest, &mut rng)?;
        keys.public.verifying_key().verify(&digest, &sig)?;
        let e = SignatureExport::from_signature(&sig)?;
        if !verify_contract(&pk, &e, &digest) {
            return Err(CouncilError::Encoding(
                "contract-style verification failed".into(),
            ));
        }
        signatures.push(SignatureVector {
            digest: hex0x(&digest),
            rx: hex0x(&e.r.x),
            ry: hex0x(&e.r.y),
            z: hex0x(&e.z),
            signers: signers.to_vec(),
        });
    }
    Ok(Vectors {
        version: 1,
        group_key: pk.to_json(),
        threshold: THRESHOLD,
        members: MEMBERS,
        signatures,
    })
}

/// Generates the vectors and writes them to `out` (its directory created).
pub fn write(out: &std::path::Path) -> Result<()> {
    let text = generate()?.to_json()?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CouncilError::io(dir))?;
    }
    std::fs::write(out, text).map_err(CouncilError::io(out))
}
