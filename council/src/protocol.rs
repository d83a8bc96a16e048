//! The coordinator protocol: session requests, the signed messages members send, the views the
//! coordinator serves, and the checks a member runs on everything it receives.
//!
//! Every message is an [`Envelope`] signed by its sender's Ed25519 identity over a
//! domain-separated encoding of its kind, the session id, sender, recipient and payload; signing
//! payloads also carry the action's digest. The coordinator stores and relays envelopes and can
//! forge none of them. A member trusts nothing it did not check itself: it reads the action from
//! the session request signed by a member, recomputes the digest from the action's fields
//! ([`crate::action::Action::digest`]), and builds the signing package itself from commitment
//! envelopes that each bind the session and the digest ([`verify_signing_package`]).

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{B256, Bytes};
use frost::SigningPackage;
use frost::round1::SigningCommitments;
use frost::round2::SignatureShare;
use frost_secp256k1_evm as frost;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::contract::{
    GroupKeyExport, PublicFile, SignatureExport, SignatureFile, verify_contract,
};
use crate::error::{CouncilError, Result};
use crate::group::identifier;
use crate::identity::{AddressBook, Envelope, MemberSecret};

/// Envelope kind of a DKG session request (payload [`DkgRequest`]).
pub const KIND_CREATE_DKG: &str = "create-dkg";
/// Envelope kind of a signing session request (payload [`SignRequest`]).
pub const KIND_CREATE_SIGN: &str = "create-sign";
/// Envelope kind of signing commitments bound to a session and digest (payload
/// [`CommitmentPayload`]).
pub const KIND_SESSION_COMMITMENTS: &str = "session-commitments";
/// Envelope kind of a signature share bound to a session and digest (payload [`SharePayload`]).
pub const KIND_SESSION_SHARE: &str = "session-share";
/// Envelope kind of a member's DKG outcome (payload [`DkgResultPayload`]).
pub const KIND_DKG_RESULT: &str = "dkg-result";

/// Checks a session id: 1 to 64 characters from `[A-Za-z0-9._-]`.
pub fn check_session_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(CouncilError::Parameters(format!(
            "session id {id:?}: use 1 to 64 characters from A-Z a-z 0-9 . _ -"
        )));
    }
    Ok(())
}

/// Checks the council threshold of docs/design.md "Parameters and their invariants": `t >= ceil(0.75 n)` and `2 <= t <= n`.
pub fn check_council_threshold(threshold: u16, members: u16) -> Result<()> {
    crate::group::check_threshold(threshold, members)?;
    if u32::from(threshold) * 4 < u32::from(members) * 3 {
        return Err(CouncilError::Parameters(format!(
            "threshold {threshold} of {members} members is below ceil(0.75 n) (docs/design.md)"
        )));
    }
    Ok(())
}

/// Payload of a [`KIND_CREATE_DKG`] request: a DKG among every member of the address book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DkgRequest {
    /// Threshold `t`.
    pub threshold: u16,
    /// Number of members `n` (the address book's size; members refuse another).
    pub members: u16,
}

/// Payload of a [`KIND_CREATE_SIGN`] request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// The action to sign.
    pub action: Action,
    /// The signer set, sorted, without duplicates; at least the threshold.
    pub signers: Vec<u16>,
    /// The group's public key package (as written by the DKG or the dealer).
    pub public: PublicFile,
}

/// Payload of a [`KIND_SESSION_COMMITMENTS`] envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitmentPayload {
    /// The digest this member confirmed and will sign.
    pub digest: B256,
    /// Serialized frost `SigningCommitments`.
    pub commitments: Bytes,
}

/// Payload of a [`KIND_SESSION_SHARE`] envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharePayload {
    /// The digest the share signs.
    pub digest: B256,
    /// Serialized frost `SignatureShare`.
    pub share: Bytes,
}

/// Payload of a [`KIND_DKG_RESULT`] envelope: the public outcome a member computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DkgResultPayload {
    /// The public key package file.
    pub public: PublicFile,
}

/// Where a session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionStatus {
    /// DKG: waiting for round-1 packages.
    Round1,
    /// DKG: waiting for round-2 packages.
    Round2,
    /// DKG: waiting for every member's result.
    Results,
    /// DKG finished: every member reported the same public key package.
    Done,
    /// Signing: waiting for commitments.
    Commitments,
    /// Signing: the signing package is published; waiting for shares.
    Shares,
    /// Signing finished: the aggregate signature verified.
    Signed,
    /// The session failed (see its error).
    Failed,
}

/// A DKG session as the coordinator serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DkgSessionView {
    /// Session id.
    pub session: String,
    /// The signed request.
    pub request: Envelope,
    /// Status.
    pub status: SessionStatus,
    /// Members whose round-1 package arrived.
    pub round1_from: Vec<u16>,
    /// Members whose round-2 packages arrived.
    pub round2_from: Vec<u16>,
    /// Members whose result arrived.
    pub results_from: Vec<u16>,
    /// The agreed public key package, once every member reported the same.
    pub public: Option<PublicFile>,
    /// Why the session failed.
    pub error: Option<String>,
}

/// A signing session as the coordinator serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignSessionView {
    /// Session id.
    pub session: String,
    /// The signed request (payload [`SignRequest`]).
    pub request: Envelope,
    /// The digest as the coordinator computed it (members recompute and compare).
    pub digest: B256,
    /// Status.
    pub status: SessionStatus,
    /// Commitment envelopes received so far.
    pub commitments: Vec<Envelope>,
    /// Members whose share arrived.
    pub shares_from: Vec<u16>,
    /// The aggregate signature, once verified.
    pub signature: Option<SignatureFile>,
    /// Calldata of the council entry point carrying the signature.
    pub calldata: Option<Bytes>,
    /// Hash of the submission transaction, if the coordinator submitted it.
    pub tx_hash: Option<B256>,
    /// Why the session failed, or why the submission failed.
    pub error: Option<String>,
}

/// The signing package as the coordinator publishes it: every signer's commitment envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningPackageView {
    /// Session id.
    pub session: String,
    /// The digest (members compare it with their own).
    pub digest: B256,
    /// One commitment envelope per signer.
    pub commitments: Vec<Envelope>,
}

/// The answer of a long-poll that ended before the awaited state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// Always `true`.
    pub pending: bool,
    /// What is still missing.
    pub waiting_for: String,
}

/// Error body of every coordinator error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Readable message, naming the culprit where there is one.
    pub error: String,
}

/// Opens a session request envelope: signed by a known member, for this session.
pub fn open_request<T: serde::de::DeserializeOwned>(
    book: &AddressBook,
    env: &Envelope,
    kind: &str,
    session: &str,
) -> Result<T> {
    if env.sender == 0 {
        return Err(CouncilError::ZeroIdentifier);
    }
    let bytes = book.open(env, kind, session, 0)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CouncilError::Encoding(format!("{kind} request of session {session}: {e}")))
}

/// Checks a signing request: the action is well-formed, the signer set is sorted and unique,
/// nonzero, in the address book, and at least the public package's threshold; the public file is
/// consistent. Returns the public key package's threshold.
pub fn check_sign_request(book: &AddressBook, req: &SignRequest) -> Result<u16> {
    req.action.check()?;
    let mut seen = BTreeSet::new();
    for id in &req.signers {
        if *id == 0 {
            return Err(CouncilError::ZeroIdentifier);
        }
        book.member(*id)?;
        if !seen.insert(*id) {
            return Err(CouncilError::DuplicateIdentifier(*id));
        }
    }
    let package = req.public.package()?;
    let export =
        crate::contract::GroupKeyExport::from_verifying_key(package.verifying_key())?.to_json();
    if export != req.public.group_key {
        return Err(CouncilError::Encoding(
            "public file: group key does not match the package".into(),
        ));
    }
    let threshold = package.min_signers().unwrap_or(req.public.threshold);
    if threshold != req.public.threshold {
        return Err(CouncilError::Encoding(format!(
            "public file: threshold {} but the package says {threshold}",
            req.public.threshold
        )));
    }
    if req.signers.len() < threshold as usize {
        return Err(CouncilError::NotEnoughSigners {
            got: req.signers.len(),
            threshold,
        });
    }
    for id in &req.signers {
        if !package.verifying_shares().contains_key(&identifier(*id)?) {
            return Err(CouncilError::Parameters(format!(
                "member {id} holds no share of this group key"
            )));
        }
    }
    Ok(threshold)
}

/// Opens a commitment envelope of `session`: known sender, valid signature, right kind and
/// session; returns the digest it is bound to and the commitments.
pub fn open_commitment(
    book: &AddressBook,
    session: &str,
    env: &Envelope,
) -> Result<(B256, SigningCommitments)> {
    if env.sender == 0 {
        return Err(CouncilError::ZeroIdentifier);
    }
    let bytes = book.open(env, KIND_SESSION_COMMITMENTS, session, 0)?;
    let p: CommitmentPayload = serde_json::from_slice(&bytes).map_err(|e| {
        CouncilError::Encoding(format!("commitments of member {}: {e}", env.sender))
    })?;
    let c = SigningCommitments::deserialize(&p.commitments).map_err(|e| {
        CouncilError::Encoding(format!("commitments of member {}: {e}", env.sender))
    })?;
    Ok((p.digest, c))
}

/// Opens a share envelope of `session`; returns the digest it is bound to and the share.
pub fn open_share(
    book: &AddressBook,
    session: &str,
    env: &Envelope,
) -> Result<(B256, SignatureShare)> {
    if env.sender == 0 {
        return Err(CouncilError::ZeroIdentifier);
    }
    let bytes = book.open(env, KIND_SESSION_SHARE, session, 0)?;
    let p: SharePayload = serde_json::from_slice(&bytes)
        .map_err(|e| CouncilError::Encoding(format!("share of member {}: {e}", env.sender)))?;
    let s = SignatureShare::deserialize(&p.share)
        .map_err(|_| CouncilError::InvalidSignatureShare(vec![env.sender]))?;
    Ok((p.digest, s))
}

/// Signs this member's commitments for `session` and `digest`.
pub fn seal_commitment(
    me: &MemberSecret,
    session: &str,
    digest: B256,
    commitments: &SigningCommitments,
) -> Result<Envelope> {
    let payload = CommitmentPayload {
        digest,
        commitments: commitments.serialize()?.into(),
    };
    Ok(me.seal(
        KIND_SESSION_COMMITMENTS,
        session,
        0,
        &serde_json::to_vec(&payload)?,
    ))
}

/// Signs this member's share for `session` and `digest`.
pub fn seal_share(
    me: &MemberSecret,
    session: &str,
    digest: B256,
    share: &SignatureShare,
) -> Result<Envelope> {
    let payload = SharePayload {
        digest,
        share: share.serialize().into(),
    };
    Ok(me.seal(
        KIND_SESSION_SHARE,
        session,
        0,
        &serde_json::to_vec(&payload)?,
    ))
}

/// What a member expects of the signing package: its session, the digest it computed itself, its
/// own commitment envelope as sent, the session's signer set and the threshold of its key.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// Session id.
    pub session: &'a str,
    /// The digest this member computed from the action it confirmed.
    pub digest: B256,
    /// This member's id.
    pub me: u16,
    /// This member's commitment envelope, as sent.
    pub own: &'a Envelope,
    /// The session's signer set.
    pub signers: &'a [u16],
    /// The threshold of this member's key package.
    pub threshold: u16,
}

/// A member's check of the signing package before it releases a share: the package is for this
/// session and this member's own digest; every commitment is signed by a known member for this
/// session and bound to the same digest; exactly one per signer of the session, nonzero ids; this
/// member's own commitment unchanged; at least the threshold. Returns the frost signing package,
/// built here from the checked commitments and the member's own digest.
pub fn verify_signing_package(
    book: &AddressBook,
    expected: &Expected<'_>,
    view: &SigningPackageView,
) -> Result<SigningPackage> {
    if view.session != expected.session {
        return Err(CouncilError::Misaddressed {
            sender: 0,
            what: format!("a signing package of session {}", view.session),
        });
    }
    if view.digest != expected.digest {
        return Err(CouncilError::DigestMismatch {
            claimed: view.digest.to_string(),
            computed: expected.digest.to_string(),
        });
    }
    let mut map = BTreeMap::new();
    for env in &view.commitments {
        let (digest, c) = open_commitment(book, expected.session, env)?;
        if map.contains_key(&env.sender) {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
        if digest != expected.digest {
            return Err(CouncilError::CommitmentForOtherMessage {
                sender: env.sender,
                digest: digest.to_string(),
                expected: expected.digest.to_string(),
            });
        }
        if env.sender == expected.me && env != expected.own {
            return Err(CouncilError::OwnCommitmentChanged(expected.me));
        }
        map.insert(env.sender, c);
    }
    if !map.contains_key(&expected.me) {
        return Err(CouncilError::OwnCommitmentChanged(expected.me));
    }
    let got: Vec<u16> = map.keys().copied().collect();
    let mut want = expected.signers.to_vec();
    want.sort_unstable();
    if got != want {
        return Err(CouncilError::SignerSet {
            got,
            expected: want,
        });
    }
    if got.len() < expected.threshold as usize {
        return Err(CouncilError::NotEnoughSigners {
            got: got.len(),
            threshold: expected.threshold,
        });
    }
    crate::signing::signing_package(&map, expected.digest.as_slice())
}

/// Checks that a commitment or share from `sender` comes from a signer of `req` and is bound to
/// `digest`, the request's (`expected`).
pub fn check_bound(req: &SignRequest, sender: u16, digest: B256, expected: B256) -> Result<()> {
    if !req.signers.contains(&sender) {
        return Err(CouncilError::NotASigner(sender));
    }
    if digest != expected {
        return Err(CouncilError::CommitmentForOtherMessage {
            sender,
            digest: digest.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok(())
}

/// Aggregates a signing session: checks every commitment and share envelope (signed by a
/// signer of the request, for this session and the request's digest, one each), aggregates
/// (an invalid share names its signer) and checks the result the way the contract will.
pub fn aggregate_session(
    book: &AddressBook,
    session: &str,
    req: &SignRequest,
    commitments: &[Envelope],
    shares: &[Envelope],
) -> Result<(SignatureFile, SignatureExport)> {
    let digest = req.action.digest();
    let bound = |sender: u16, d: B256| check_bound(req, sender, d, digest);
    let mut cmap = BTreeMap::new();
    for env in commitments {
        let (d, c) = open_commitment(book, session, env)?;
        bound(env.sender, d)?;
        if cmap.insert(env.sender, c).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
    }
    let mut smap = BTreeMap::new();
    for env in shares {
        let (d, s) = open_share(book, session, env)?;
        bound(env.sender, d)?;
        if !cmap.contains_key(&env.sender) {
            return Err(CouncilError::MissingPackage(env.sender));
        }
        if smap.insert(env.sender, s).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
    }
    for id in cmap.keys() {
        if !smap.contains_key(id) {
            return Err(CouncilError::MissingPackage(*id));
        }
    }
    let package = crate::signing::signing_package(&cmap, digest.as_slice())?;
    let public = req.public.package()?;
    let sig = crate::signing::aggregate(&package, &smap, &public)?;
    let export = SignatureExport::from_signature(&sig)?;
    let pk = GroupKeyExport::from_verifying_key(public.verifying_key())?;
    if !verify_contract(&pk, &export, digest.as_slice()) {
        return Err(CouncilError::Encoding(
            "the aggregate signature fails the contract's check".into(),
        ));
    }
    Ok((
        SignatureFile::new(digest.as_slice(), &export, smap.keys().copied().collect()),
        export,
    ))
}

/// A signed action: what `submit` sends and `calldata` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedAction {
    /// The action.
    pub action: Action,
    /// Its signature in contract form.
    pub signature: SignatureFile,
    /// Calldata of the council entry point.
    pub calldata: alloy::primitives::Bytes,
}

impl SignedAction {
    /// Reads a signed action file (written by `files::aggregate`) and checks that its calldata
    /// is the action's with its signature.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let s: SignedAction = crate::disk::read_json(path)?;
        let export = s.signature.export()?;
        if s.action.calldata(&export)? != s.calldata {
            return Err(CouncilError::Encoding(format!(
                "{}: calldata does not match the action and signature",
                path.display()
            )));
        }
        Ok(s)
    }
}

impl DkgSessionView {
    /// The session for people: status, who sent what, the group key once agreed.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "DKG session {}: {:?}\nround 1 from {:?}\nround 2 from {:?}\nresults from {:?}\n",
            self.session, self.status, self.round1_from, self.round2_from, self.results_from
        );
        if let Some(p) = &self.public {
            s.push_str(&format!(
                "group key {} (x {}, y {})\n",
                p.group_key.compressed, p.group_key.x, p.group_key.y
            ));
        }
        push_error(&mut s, &self.error);
        s
    }
}

impl SignSessionView {
    /// The session for people: status, the decoded action and signers (when the request
    /// decodes), who committed and shared, the calldata and submission once there.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "signing session {}: {:?}\ndigest {}\n",
            self.session, self.status, self.digest
        );
        if let Ok(bytes) = hex::decode(&self.request.payload)
            && let Ok(req) = serde_json::from_slice::<SignRequest>(&bytes)
            && let Ok(view) = req.action.describe()
        {
            s.push_str(&view.to_text());
            s.push_str(&format!("signers {:?}\n", req.signers));
        }
        let committed: Vec<u16> = self.commitments.iter().map(|e| e.sender).collect();
        s.push_str(&format!(
            "commitments from {committed:?}\nshares from {:?}\n",
            self.shares_from
        ));
        if let Some(c) = &self.calldata {
            s.push_str(&format!("calldata {c}\n"));
        }
        if let Some(t) = &self.tx_hash {
            s.push_str(&format!("submitted in {t}\n"));
        }
        push_error(&mut s, &self.error);
        s
    }
}

fn push_error(s: &mut String, error: &Option<String>) {
    if let Some(e) = error {
        s.push_str(&format!("error: {e}\n"));
    }
}
