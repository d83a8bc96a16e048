//! File mode: every ceremony step reads and writes JSON files, so an air-gapped member can take
//! part by carrying files. Secrets (identity keys, DKG state, key packages) are only ever written
//! encrypted under the member's passphrase ([`crate::keystore`]); nonces live in a
//! [`NonceStore`] directory.
//!
//! Signing: each signer publishes signed commitments ([`sign_commit`]); the coordinator collects
//! them with the digest into a request ([`signing_request`]); each signer checks every commitment
//! envelope, builds the signing package itself and returns a signed share ([`sign_share`]); the
//! coordinator checks the share envelopes and aggregates ([`aggregate_shares`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use frost::keys::{KeyPackage, PublicKeyPackage};
use frost::round1::SigningCommitments;
use frost::round2::SignatureShare;
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::contract::{GroupKeyExport, GroupKeyJson, SignatureExport, hex0x, verify_contract};
use crate::dkg::{self, Round1State, Round2State};
use crate::error::{CouncilError, Result};
use crate::identity::{AddressBook, Envelope, MemberSecret};
use crate::keystore::{self, KdfParams};
use crate::nonces::NonceStore;
use crate::signing::{self, member_id};

/// Envelope kind of signing commitments.
pub const KIND_COMMITMENTS: &str = "sign-commitments";
/// Envelope kind of signature shares.
pub const KIND_SHARE: &str = "sign-share";

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

/// Signing round 1: draws nonces into the nonce store, writes the signed commitments.
#[allow(clippy::too_many_arguments)]
pub fn sign_commit<R: RngCore + CryptoRng>(
    identity: &Path,
    key: &Path,
    secrets: &Secrets,
    nonce_dir: &Path,
    session: &str,
    out: &Path,
    rng: &mut R,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let kp = secrets.key_package(key)?;
    if member_id(kp.identifier()) != Some(me.id) {
        return Err(CouncilError::Parameters(format!(
            "key package does not belong to member {}",
            me.id
        )));
    }
    let c = NonceStore::open_encrypted(nonce_dir, secrets.passphrase, secrets.params)?
        .commit(&kp, rng)?;
    write_json(out, &me.seal(KIND_COMMITMENTS, session, 0, &c.serialize()?))
}

/// A signing request assembled by the coordinator.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningRequest {
    /// Signing session.
    pub session: String,
    /// The 32-byte digest to sign (EIP-712 hash of the action), 0x-hex.
    pub digest: String,
    /// Signed commitments of the signers.
    pub commitments: Vec<Envelope>,
}

impl SigningRequest {
    /// Verifies every commitment envelope against the address book.
    pub fn commitments(&self, book: &AddressBook) -> Result<BTreeMap<u16, SigningCommitments>> {
        let mut out = BTreeMap::new();
        for env in &self.commitments {
            if env.sender == 0 {
                return Err(CouncilError::ZeroIdentifier);
            }
            let bytes = book.open(env, KIND_COMMITMENTS, &self.session, 0)?;
            let c = SigningCommitments::deserialize(&bytes).map_err(|e| {
                CouncilError::Encoding(format!("commitments of member {}: {e}", env.sender))
            })?;
            if out.insert(env.sender, c).is_some() {
                return Err(CouncilError::DuplicateIdentifier(env.sender));
            }
        }
        Ok(out)
    }

    /// The digest bytes.
    pub fn digest(&self) -> Result<Vec<u8>> {
        hex::decode(self.digest.trim_start_matches("0x"))
            .map_err(|e| CouncilError::Encoding(e.to_string()))
    }
}

/// Coordinator: builds the request from commitment files.
pub fn signing_request(
    book: &Path,
    session: &str,
    digest: &[u8],
    commitment_dir: &Path,
    out: &Path,
) -> Result<SigningRequest> {
    let book = AddressBook::load(book)?;
    let req = SigningRequest {
        session: session.to_string(),
        digest: hex0x(digest),
        commitments: read_envelopes(commitment_dir)?,
    };
    req.commitments(&book)?;
    write_json(out, &req)?;
    Ok(req)
}

/// Signing round 2: checks the request, marks the nonces used, writes the signed share.
pub fn sign_share(
    identity: &Path,
    key: &Path,
    secrets: &Secrets,
    nonce_dir: &Path,
    book: &Path,
    request: &Path,
    out: &Path,
) -> Result<()> {
    let me = secrets.identity(identity)?;
    let kp = secrets.key_package(key)?;
    let book = AddressBook::load(book)?;
    let req: SigningRequest = read_json(request)?;
    let package = signing::signing_package(&req.commitments(&book)?, &req.digest()?)?;
    let share = NonceStore::open_encrypted(nonce_dir, secrets.passphrase, secrets.params)?
        .sign(&package, &kp)?;
    write_json(
        out,
        &me.seal(KIND_SHARE, &req.session, 0, &share.serialize()),
    )
}

/// A signature in contract form, as written by [`aggregate_shares`].
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

/// Coordinator: checks the share envelopes, aggregates (a bad share names its signer), checks
/// the result as the contract will, and writes it.
pub fn aggregate_shares(
    book: &Path,
    public: &Path,
    request: &Path,
    share_dir: &Path,
    out: &Path,
) -> Result<SignatureFile> {
    let book = AddressBook::load(book)?;
    let public: PublicFile = read_json(public)?;
    let pkp = public.package()?;
    let req: SigningRequest = read_json(request)?;
    let digest = req.digest()?;
    let package = signing::signing_package(&req.commitments(&book)?, &digest)?;
    let mut shares = BTreeMap::new();
    for env in read_envelopes(share_dir)? {
        let bytes = book.open(&env, KIND_SHARE, &req.session, 0)?;
        let s = SignatureShare::deserialize(&bytes)
            .map_err(|_| CouncilError::InvalidSignatureShare(vec![env.sender]))?;
        if shares.insert(env.sender, s).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
    }
    let sig = signing::aggregate(&package, &shares, &pkp)?;
    let e = SignatureExport::from_signature(&sig)?;
    let pk = GroupKeyExport::from_verifying_key(pkp.verifying_key())?;
    if !verify_contract(&pk, &e, &digest) {
        return Err(CouncilError::Encoding(
            "aggregate signature does not verify".into(),
        ));
    }
    let f = SignatureFile::new(&digest, &e, shares.keys().copied().collect());
    write_json(out, &f)?;
    Ok(f)
}
