//! File mode: every ceremony step reads and writes JSON files, so an air-gapped member can take
//! part by carrying files. Secrets (identity keys, DKG state, key packages) are only ever written
//! encrypted under the member's passphrase ([`crate::keystore`]); nonces live in a
//! [`NonceStore`] directory.
//!
//! Signing: each signer publishes signed commitments ([`sign_commit`]); the coordinator collects
//! them with the digest into a request ([`signing_request`]); each signer checks every commitment
//! envelope, builds the signing package itself and returns a signed share ([`sign_share`]); the
//! coordinator checks the share envelopes and aggregates ([`aggregate_shares`]).

use std::path::{Path, PathBuf};

use frost::keys::{KeyPackage, PublicKeyPackage};
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::contract::{GroupKeyExport, GroupKeyJson, SignatureExport, hex0x};
use crate::dkg::{self, Round1State, Round2State};
use crate::error::{CouncilError, Result};
use crate::identity::{AddressBook, Envelope, MemberSecret};
use crate::keystore::{self, KdfParams};
use crate::member::{self, SignPrompt};
use crate::nonces::NonceStore;
use crate::protocol::{self, Expected, SigningPackageView};
use crate::signing;

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(CouncilError::io(path))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CouncilError::Encoding(format!("{}: {e}", path.display())))
}

/// Writes a JSON file (pretty, durably).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CouncilError::io(dir))?;
    }
    crate::nonces::write_durable(path, &serde_json::to_vec_pretty(value)?)
}

/// Reads every `*.json` envelope in `dir` (sorted by file name).
pub fn read_envelopes(dir: &Path) -> Result<Vec<Envelope>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(CouncilError::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_json(p)).collect()
}

/// A member's encrypted secret files and passphrase.
pub struct Secrets<'a> {
    /// Passphrase of every secret file of this member.
    pub passphrase: &'a str,
    /// Argon2id parameters for files written now.
    pub params: KdfParams,
}

impl Secrets<'_> {
    fn save<R: RngCore + CryptoRng>(&self, path: &Path, bytes: &[u8], rng: &mut R) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(CouncilError::io(dir))?;
        }
        keystore::save(path, bytes, self.passphrase, self.params, rng)
    }

    fn load(&self, path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        keystore::load(path, self.passphrase)
    }

    /// Loads a member's identity.
    pub fn identity(&self, path: &Path) -> Result<MemberSecret> {
        MemberSecret::from_bytes(&self.load(path)?)
    }

    /// Loads a key package.
    pub fn key_package(&self, path: &Path) -> Result<KeyPackage> {
        Ok(KeyPackage::deserialize(&self.load(path)?)?)
    }
}

/// Creates a member: encrypted identity at `identity_out`, public entry at `member_out`.
pub fn new_identity<R: RngCore + CryptoRng>(
    id: u16,
    name: &str,
    secrets: &Secrets,
    identity_out: &Path,
    member_out: &Path,
    rng: &mut R,
) -> Result<()> {
    let m = MemberSecret::generate(id, name, rng)?;
    secrets.save(identity_out, &m.to_bytes()?, rng)?;
    write_json(member_out, &m.public())
}

/// Builds the address book from members' public entries.
pub fn address_book(member_files: &[PathBuf], out: &Path) -> Result<AddressBook> {
    let members = member_files
        .iter()
        .map(|p| read_json(p))
        .collect::<Result<Vec<_>>>()?;
    let book = AddressBook::new(members)?;
    write_json(out, &book)?;
    Ok(book)
}

/// The public key package file: the group key in contract form and frost's public package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicFile {
    /// Group key in contract form.
    pub group_key: GroupKeyJson,
    /// Threshold.
    pub threshold: u16,
    /// frost `PublicKeyPackage`, hex.
    pub package: String,
}

impl PublicFile {
    /// From a public key package.
    pub fn new(public: &PublicKeyPackage, threshold: u16) -> Result<Self> {
        Ok(PublicFile {
            group_key: GroupKeyExport::from_verifying_key(public.verifying_key())?.to_json(),
            threshold,
            package: hex::encode(public.serialize()?),
        })
    }

    /// The frost public key package.
    pub fn package(&self) -> Result<PublicKeyPackage> {
        let raw = hex::decode(&self.package).map_err(|e| CouncilError::Encoding(e.to_string()))?;
        Ok(PublicKeyPackage::deserialize(&raw)?)
    }
}

/// DKG part 1 in file mode: writes the encrypted state and the signed round-1 envelope.
#[allow(clippy::too_many_arguments)]
pub fn dkg_part1<R: RngCore + CryptoRng>(
    identity: &Path,
    secrets: &Secrets,
    book: &Path,
    session: &str,
    threshold: u16,
    state_out: &Path,
    package_out: &Path,
    rng: &mut R,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let book = AddressBook::load(book)?;
    let (state, env) = dkg::part1(&me, &book, session, threshold, rng)?;
    secrets.save(state_out, &state.to_bytes()?, rng)?;
    write_json(package_out, &env)
}

/// DKG part 2 in file mode: reads round-1 envelopes from `round1_dir`, writes the encrypted state
/// and `round2-<me>-to-<recipient>.json` envelopes into `out_dir`.
#[allow(clippy::too_many_arguments)]
pub fn dkg_part2<R: RngCore + CryptoRng>(
    identity: &Path,
    secrets: &Secrets,
    book: &Path,
    session: &str,
    state_in: &Path,
    round1_dir: &Path,
    state_out: &Path,
    out_dir: &Path,
    rng: &mut R,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let book = AddressBook::load(book)?;
    let state = Round1State::from_bytes(&secrets.load(state_in)?)?;
    let (state2, envs) = dkg::part2(
        &me,
        &book,
        session,
        state,
        &read_envelopes(round1_dir)?,
        rng,
    )?;
    secrets.save(state_out, &state2.to_bytes()?, rng)?;
    for e in envs {
        write_json(
            &out_dir.join(format!("round2-{}-to-{}.json", e.sender, e.recipient)),
            &e,
        )?;
    }
    Ok(())
}

/// DKG part 3 in file mode: reads round-1 envelopes and the round-2 envelopes addressed to this
/// member (others in `round2_dir` are ignored), writes the encrypted key package and the public
/// file.
#[allow(clippy::too_many_arguments)]
pub fn dkg_part3<R: RngCore + CryptoRng>(
    identity: &Path,
    secrets: &Secrets,
    book: &Path,
    session: &str,
    state_in: &Path,
    round1_dir: &Path,
    round2_dir: &Path,
    key_out: &Path,
    public_out: &Path,
    rng: &mut R,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let book = AddressBook::load(book)?;
    let state = Round2State::from_bytes(&secrets.load(state_in)?)?;
    let mine: Vec<Envelope> = read_envelopes(round2_dir)?
        .into_iter()
        .filter(|e| e.recipient == me.id)
        .collect();
    let (kp, public) = dkg::part3(
        &me,
        &book,
        session,
        &state,
        &read_envelopes(round1_dir)?,
        &mine,
    )?;
    secrets.save(key_out, &kp.serialize()?, rng)?;
    write_json(public_out, &PublicFile::new(&public, state.threshold)?)
}

/// Trusted dealer in file mode (devnets): `key-<id>.json` (encrypted) for every member and
/// `public.json` in `out_dir`.
pub fn dealer<R: RngCore + CryptoRng>(
    threshold: u16,
    members: u16,
    secrets: &Secrets,
    out_dir: &Path,
    rng: &mut R,
) -> Result<GroupKeyJson> {
    let keys = signing::trusted_dealer(threshold, members, rng)?;
    for (id, kp) in &keys.key_packages {
        secrets.save(
            &out_dir.join(format!("key-{id}.json")),
            &kp.serialize()?,
            rng,
        )?;
    }
    let public = PublicFile::new(&keys.public, threshold)?;
    write_json(&out_dir.join("public.json"), &public)?;
    Ok(public.group_key)
}

/// Signing, step 1 (the requester): the signed request of signing session `session`: the action
/// (as written by `drawbridge-council action ...`), the signer set and the group's public file.
/// The same envelope a coordinator session starts from.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    identity: &Path,
    secrets: &Secrets,
    book: &Path,
    session: &str,
    action: &Path,
    public: &Path,
    signers: &[u16],
    out: &Path,
) -> Result<Envelope> {
    let me = secrets.identity(identity)?;
    let book = AddressBook::load(book)?;
    let action: Action = read_json(action)?;
    let public: PublicFile = read_json(public)?;
    let env = member::sign_request(&me, &book, session, &action, signers, &public)?;
    write_json(out, &env)?;
    Ok(env)
}

/// Signing, step 2 (each signer): opens the request, recomputes the digest, shows the action to
/// `confirm`, draws nonces into the nonce store and writes commitments bound to the session and
/// the digest.
#[allow(clippy::too_many_arguments)]
pub fn sign_commit<R: RngCore + CryptoRng>(
    identity: &Path,
    key: &Path,
    secrets: &Secrets,
    nonce_dir: &Path,
    book: &Path,
    request: &Path,
    confirm: impl FnOnce(&SignPrompt) -> Result<bool>,
    out: &Path,
    rng: &mut R,
) -> Result<SignPrompt> {
    let me = secrets.identity(identity)?;
    let kp = secrets.key_package(key)?;
    let book = AddressBook::load(book)?;
    let request: Envelope = read_json(request)?;
    let (req, digest, prompt) = member::open_sign_request(&book, &request.session, &request)?;
    member::check_signer(&me, &kp, &req, &prompt)?;
    if !confirm(&prompt)? {
        return Err(CouncilError::Declined);
    }
    let c = NonceStore::open_encrypted(nonce_dir, secrets.passphrase, secrets.params)?
        .commit(&kp, rng)?;
    write_json(
        out,
        &protocol::seal_commitment(&me, &request.session, digest, &c)?,
    )?;
    Ok(prompt)
}

/// Signing, step 3 (anyone, e.g. whoever carries the files): the signing package of the
/// commitment envelopes in `commitment_dir`, each checked against the request.
pub fn sign_package(
    book: &Path,
    request: &Path,
    commitment_dir: &Path,
    out: &Path,
) -> Result<SigningPackageView> {
    let book = AddressBook::load(book)?;
    let request: Envelope = read_json(request)?;
    let (req, digest, _) = member::open_sign_request(&book, &request.session, &request)?;
    let commitments = read_envelopes(commitment_dir)?;
    let mut seen = std::collections::BTreeSet::new();
    for env in &commitments {
        let (d, _) = protocol::open_commitment(&book, &request.session, env)?;
        if !req.signers.contains(&env.sender) {
            return Err(CouncilError::NotASigner(env.sender));
        }
        if d != digest {
            return Err(CouncilError::CommitmentForOtherMessage {
                sender: env.sender,
                digest: d.to_string(),
                expected: digest.to_string(),
            });
        }
        if !seen.insert(env.sender) {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
    }
    let view = SigningPackageView {
        session: request.session.clone(),
        digest,
        commitments,
    };
    write_json(out, &view)?;
    Ok(view)
}

/// Signing, step 4 (each signer): checks the request again (and shows it to `confirm`), checks
/// the signing package exactly as a member of a coordinator session does (own commitment
/// `own` unchanged, every commitment signed for this session and digest, one per signer, at
/// least the threshold), claims the nonces on disk, and writes the signed share.
#[allow(clippy::too_many_arguments)]
pub fn sign_share(
    identity: &Path,
    key: &Path,
    secrets: &Secrets,
    nonce_dir: &Path,
    book: &Path,
    request: &Path,
    own: &Path,
    package: &Path,
    confirm: impl FnOnce(&SignPrompt) -> Result<bool>,
    out: &Path,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let kp = secrets.key_package(key)?;
    let book = AddressBook::load(book)?;
    let request: Envelope = read_json(request)?;
    let session = request.session.clone();
    let (req, digest, prompt) = member::open_sign_request(&book, &session, &request)?;
    member::check_signer(&me, &kp, &req, &prompt)?;
    if !confirm(&prompt)? {
        return Err(CouncilError::Declined);
    }
    let own: Envelope = read_json(own)?;
    let view: SigningPackageView = read_json(package)?;
    let package = protocol::verify_signing_package(
        &book,
        &Expected {
            session: &session,
            digest,
            me: me.id,
            own: &own,
            signers: &req.signers,
            threshold: *kp.min_signers(),
        },
        &view,
    )?;
    let share = NonceStore::open_encrypted(nonce_dir, secrets.passphrase, secrets.params)?
        .sign(&package, &kp)?;
    write_json(out, &protocol::seal_share(&me, &session, digest, &share)?)
}

/// A signature in contract form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFile {
    /// Digest, 0x-hex.
    pub digest: String,
    /// `R.x`.
    pub rx: String,
    /// `R.y`.
    pub ry: String,
    /// `z`.
    pub z: String,
    /// Signers.
    pub signers: Vec<u16>,
}

impl SignatureFile {
    /// From a verified signature in contract form.
    pub fn new(digest: &[u8], sig: &SignatureExport, signers: Vec<u16>) -> Self {
        SignatureFile {
            digest: hex0x(digest),
            rx: hex0x(&sig.r.x),
            ry: hex0x(&sig.r.y),
            z: hex0x(&sig.z),
            signers,
        }
    }

    /// Back to contract form; refuses an `R` off the curve.
    pub fn export(&self) -> Result<SignatureExport> {
        let x = crate::identity::hex32(&self.rx)?;
        let y = crate::identity::hex32(&self.ry)?;
        let mut compressed = [0u8; 33];
        compressed[0] = 2 + (y[31] & 1);
        compressed[1..].copy_from_slice(&x);
        let r = crate::contract::ContractPoint::from_compressed(&compressed)?;
        if r.y != y {
            return Err(CouncilError::Encoding(
                "signature R is not on the curve".into(),
            ));
        }
        Ok(SignatureExport {
            r,
            z: crate::identity::hex32(&self.z)?,
        })
    }
}

/// Signing, step 5 (anyone): checks every commitment and share envelope against the request,
/// aggregates (a bad share names its signer), checks the signature as the contract will, and
/// writes it with the entry-point calldata.
pub fn aggregate(
    book: &Path,
    request: &Path,
    package: &Path,
    share_dir: &Path,
    out: &Path,
) -> Result<SignedAction> {
    let book = AddressBook::load(book)?;
    let request: Envelope = read_json(request)?;
    let (req, _, _) = member::open_sign_request(&book, &request.session, &request)?;
    let view: SigningPackageView = read_json(package)?;
    let (signature, export) = protocol::aggregate_session(
        &book,
        &request.session,
        &req,
        &view.commitments,
        &read_envelopes(share_dir)?,
    )?;
    let signed = SignedAction {
        calldata: req.action.calldata(&export)?,
        action: req.action,
        signature,
    };
    write_json(out, &signed)?;
    Ok(signed)
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
