//! The one error type of the crate. Every rejection of a ceremony message names its culprit.

use std::path::PathBuf;

/// Everything that can go wrong in key generation, signing, storage and export.
#[derive(Debug, thiserror::Error)]
pub enum CouncilError {
    /// A message or address-book entry refers to a member the address book does not list.
    #[error("unknown member {0}: not in the address book")]
    UnknownMember(u16),
    /// Two members (or two packages of one ceremony step) carry the same identifier.
    #[error("duplicate member identifier {0}")]
    DuplicateIdentifier(u16),
    /// FROST identifiers are nonzero scalars; 0 is refused.
    #[error("member identifier 0 is not allowed (FROST identifiers are nonzero)")]
    ZeroIdentifier,
    /// The Ed25519 signature of a ceremony package does not verify under its sender's identity key.
    #[error("bad signature on {kind} package from member {sender}")]
    BadPackageSignature {
        /// Claimed sender.
        sender: u16,
        /// Package kind (e.g. `dkg-round1`).
        kind: String,
    },
    /// A DKG round-1 package without a proof of knowledge of its secret.
    #[error("DKG round-1 package from member {0} has no proof of knowledge")]
    MissingProofOfKnowledge(u16),
    /// A DKG round-1 package whose proof of knowledge does not verify.
    #[error("forged proof of knowledge in DKG round-1 package from member {0}")]
    InvalidProofOfKnowledge(u16),
    /// A DKG commitment vector whose length is not the threshold.
    #[error("commitment from member {sender} has {got} coefficients, expected {expected}")]
    CommitmentLength {
        /// Sender of the commitment.
        sender: u16,
        /// Number of coefficient commitments received.
        got: usize,
        /// The threshold `t`.
        expected: usize,
    },
    /// A round-2 secret share that does not match its sender's commitment.
    #[error("invalid secret share from member {0}")]
    InvalidSecretShare(u16),
    /// A signature share that does not verify against its signer's verifying share.
    #[error("invalid signature share from member(s) {0:?}")]
    InvalidSignatureShare(Vec<u16>),
    /// An encrypted round-2 package that does not decrypt (tampered, or not for us).
    #[error("cannot decrypt round-2 package from member {sender} to member {recipient}")]
    Decryption {
        /// Sender.
        sender: u16,
        /// Recipient.
        recipient: u16,
    },
    /// A package was addressed to somebody else, or belongs to another ceremony.
    #[error("package from member {sender} is for {what}, not for this step")]
    Misaddressed {
        /// Sender.
        sender: u16,
        /// What the package was for.
        what: String,
    },
    /// A package that the step needs is missing.
    #[error("missing package from member {0}")]
    MissingPackage(u16),
    /// The nonces for these commitments were already used once; run round 1 again.
    #[error("nonces {0} were already used for a signature share; run round 1 again")]
    NonceReused(String),
    /// No stored nonces match the commitments in the signing package.
    #[error("no stored nonces for commitments {0}")]
    UnknownNonce(String),
    /// Decryption of a file encrypted at rest failed.
    #[error("wrong passphrase, or {0} is corrupted")]
    WrongPassphrase(PathBuf),
    /// The group key's x coordinate is not below the curve order n; the contract refuses it.
    #[error("group key x coordinate is >= n; the contract refuses it: generate a new key")]
    GroupKeyXNotBelowOrder,
    /// Invalid parameters (threshold, member count, KDF parameters...).
    #[error("invalid parameters: {0}")]
    Parameters(String),
    /// Malformed bytes, hex or points.
    #[error("invalid encoding: {0}")]
    Encoding(String),
    /// An error reported by `frost-secp256k1-evm` without a culprit we could attribute.
    #[error("frost: {0}")]
    Frost(#[from] frost_secp256k1_evm::Error),
    /// JSON (de)serialization.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// File system error, with the path involved.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
}

impl CouncilError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CouncilError::Io { path, source }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, CouncilError>;
