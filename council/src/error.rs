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
    /// An action that does not decode for its kind or is inconsistent with itself.
    #[error("invalid action: {0}")]
    InvalidAction(String),
    /// The coordinator claims a digest that is not the digest of the action it sent.
    #[error(
        "the coordinator's digest {claimed} is not the digest of the action it sent ({computed}): refusing"
    )]
    DigestMismatch {
        /// What the coordinator claimed.
        claimed: String,
        /// What this member computed from the action's fields.
        computed: String,
    },
    /// A commitment in the signing package was made for another message.
    #[error(
        "commitment of member {sender} is for digest {digest}, not for the action confirmed here ({expected}): refusing"
    )]
    CommitmentForOtherMessage {
        /// The member whose commitment it is.
        sender: u16,
        /// The digest that commitment is bound to.
        digest: String,
        /// The digest of the confirmed action.
        expected: String,
    },
    /// A set of packages relayed back does not carry this member's own package as it was sent
    /// (signing commitments, DKG round 1).
    #[error("the coordinator replaced (or dropped) the package member {0} sent: refusing")]
    OwnCommitmentChanged(u16),
    /// The signing package's signers are not the session's signer set.
    #[error("signing package signers {got:?} are not the session's signers {expected:?}")]
    SignerSet {
        /// Signers in the package.
        got: Vec<u16>,
        /// Signers of the session.
        expected: Vec<u16>,
    },
    /// Fewer signers than the threshold.
    #[error("{got} signers, fewer than the threshold {threshold}")]
    NotEnoughSigners {
        /// Number of signers.
        got: usize,
        /// Threshold.
        threshold: u16,
    },
    /// This member is not in the session's signer set.
    #[error("member {0} is not a signer of this session")]
    NotASigner(u16),
    /// The session is for another group key than this member's key package.
    #[error("session is for group key {session}, this key package is for {mine}")]
    WrongGroupKey {
        /// Group key of the session.
        session: String,
        /// Group key of the member's key package.
        mine: String,
    },
    /// A member gave different DKG round-1 packages to different members (its packages are signed,
    /// so this is its doing, or its identity key leaked).
    #[error(
        "member {member} sent different DKG round-1 packages: member {witness} saw another one than this member did"
    )]
    Round1Equivocation {
        /// The member whose round-1 package differs between views.
        member: u16,
        /// The member whose round-2 package reported the other view.
        witness: u16,
    },
    /// A DKG round-2 package carries a view of the round-1 set of another size or members.
    #[error("member {witness} saw a different set of DKG round-1 senders")]
    Round1SetMismatch {
        /// The member whose round-2 package reported the other view.
        witness: u16,
    },
    /// The member declined at the confirmation prompt.
    #[error("declined: nothing was signed")]
    Declined,
    /// The coordinator answered with an error.
    #[error("coordinator: {message} (HTTP {status})")]
    Coordinator {
        /// HTTP status.
        status: u16,
        /// The coordinator's error message.
        message: String,
    },
    /// Talking to the coordinator failed.
    #[error("coordinator unreachable: {0}")]
    Http(String),
    /// Waiting took longer than allowed.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// A session, message or state the request needs does not exist or is not in that state.
    #[error("{0}")]
    Session(String),
    /// Database error (coordinator).
    #[error("database: {0}")]
    Database(String),
    /// Chain access or a transaction failed.
    #[error("chain: {0}")]
    Chain(String),
    /// The chain would refuse the action now: nobody should sign it.
    #[error("the chain refuses this action now ({0}); nothing was signed")]
    Refused(String),
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

impl From<sqlx::Error> for CouncilError {
    fn from(e: sqlx::Error) -> Self {
        CouncilError::Database(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for CouncilError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        CouncilError::Database(format!("migration: {e}"))
    }
}

impl From<reqwest::Error> for CouncilError {
    fn from(e: reqwest::Error) -> Self {
        CouncilError::Http(e.to_string())
    }
}

impl CouncilError {
    /// Maps an I/O error on `path` to [`CouncilError::Io`].
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CouncilError::Io { path, source }
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, CouncilError>;
