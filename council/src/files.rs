//! File mode: every ceremony step reads and writes JSON files, so an air-gapped member can take
//! part by carrying files. Secrets (identity keys, DKG state, key packages) are only ever written
//! encrypted under the member's passphrase ([`crate::keystore`]); nonces live in a
//! [`NonceStore`] directory.
//!
//! Signing: one member writes the signed request for an action ([`sign_request`]); each signer
//! checks it and publishes signed commitments ([`sign_commit`], as a [`Signer`]); anyone collects
//! them into the signing package ([`sign_package`]); each signer checks every commitment envelope
//! and returns a signed share ([`sign_share`]); anyone checks the share envelopes and aggregates
//! ([`aggregate`]). DKG: the three parts of each member ([`dkg_part1`] .. [`dkg_part3`], as a
//! [`DkgMember`]).

use std::path::{Path, PathBuf};

use alloy::primitives::B256;
use frost::keys::KeyPackage;
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};

pub use crate::contract::{PublicFile, SignatureFile};
pub use crate::disk::{read_json, write_json};
pub use crate::protocol::SignedAction;

use crate::action::Action;
use crate::contract::GroupKeyJson;
use crate::dkg::{self, Round1State, Round2State};
use crate::error::{CouncilError, Result};
use crate::identity::{AddressBook, Envelope, MemberSecret};
use crate::keystore::{self, KdfParams};
use crate::member::{self, SignPrompt};
use crate::nonces::NonceStore;
use crate::protocol::{self, Expected, SignRequest, SigningPackageView};
use crate::signing;

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

impl<'a> Secrets<'a> {
    /// Secrets under `passphrase`, new files with the default Argon2id parameters.
    pub fn new(passphrase: &'a str) -> Self {
        Secrets {
            passphrase,
            params: KdfParams::default(),
        }
    }
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

/// A member's part in a DKG in file mode: its identity file, its secrets, the address book file
/// and the session, the same in every part.
#[derive(Clone, Copy)]
pub struct DkgMember<'a> {
    /// The member's encrypted identity.
    pub identity: &'a Path,
    /// Passphrase and parameters of the member's secret files.
    pub secrets: &'a Secrets<'a>,
    /// The address book.
    pub book: &'a Path,
    /// The DKG session id.
    pub session: &'a str,
}

impl DkgMember<'_> {
    fn open(&self) -> Result<(MemberSecret, AddressBook)> {
        Ok((
            self.secrets.identity(self.identity)?,
            AddressBook::load(self.book)?,
        ))
    }
}

/// DKG part 1 in file mode: writes the encrypted state and the signed round-1 envelope.
pub fn dkg_part1<R: RngCore + CryptoRng>(
    m: &DkgMember,
    threshold: u16,
    state_out: &Path,
    package_out: &Path,
    rng: &mut R,
) -> Result<()> {
    let (me, book) = m.open()?;
    let (state, env) = dkg::part1(&me, &book, m.session, threshold, rng)?;
    m.secrets.save(state_out, &state.to_bytes()?, rng)?;
    write_json(package_out, &env)
}

/// DKG part 2 in file mode: reads round-1 envelopes from `round1_dir`, writes the encrypted state
/// and `round2-<me>-to-<recipient>.json` envelopes into `out_dir`.
pub fn dkg_part2<R: RngCore + CryptoRng>(
    m: &DkgMember,
    state_in: &Path,
    round1_dir: &Path,
    state_out: &Path,
    out_dir: &Path,
    rng: &mut R,
) -> Result<()> {
    let (me, book) = m.open()?;
    let state = Round1State::from_bytes(&m.secrets.load(state_in)?)?;
    let round1 = read_envelopes(round1_dir)?;
    let (state2, envs) = dkg::part2(&me, &book, m.session, state, &round1, rng)?;
    m.secrets.save(state_out, &state2.to_bytes()?, rng)?;
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
pub fn dkg_part3<R: RngCore + CryptoRng>(
    m: &DkgMember,
    state_in: &Path,
    (round1_dir, round2_dir): (&Path, &Path),
    key_out: &Path,
    public_out: &Path,
    rng: &mut R,
) -> Result<()> {
    let (me, book) = m.open()?;
    let state = Round2State::from_bytes(&m.secrets.load(state_in)?)?;
    let mine: Vec<Envelope> = read_envelopes(round2_dir)?
        .into_iter()
        .filter(|e| e.recipient == me.id)
        .collect();
    let round1 = read_envelopes(round1_dir)?;
    let (kp, public) = dkg::part3(&me, &book, m.session, &state, &round1, &mine)?;
    m.secrets.save(key_out, &kp.serialize()?, rng)?;
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

/// A signer's files in file mode: identity, key package, their secrets, the nonce store and the
/// address book.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    /// The member's encrypted identity.
    pub identity: &'a Path,
    /// The member's encrypted key package.
    pub key: &'a Path,
    /// Passphrase and parameters of the member's secret files (nonces included).
    pub secrets: &'a Secrets<'a>,
    /// The member's nonce store.
    pub nonce_dir: &'a Path,
    /// The address book.
    pub book: &'a Path,
}

/// A signing request a signer opened, checked and confirmed.
struct Confirmed {
    me: MemberSecret,
    key: KeyPackage,
    book: AddressBook,
    session: String,
    req: SignRequest,
    digest: B256,
    prompt: SignPrompt,
}

impl Signer<'_> {
    /// Opens the request, recomputes the digest, checks this member signs it with this key, and
    /// shows it to `confirm`.
    fn confirm(
        &self,
        request: &Path,
        confirm: impl FnOnce(&SignPrompt) -> Result<bool>,
    ) -> Result<Confirmed> {
        let me = self.secrets.identity(self.identity)?;
        let key = self.secrets.key_package(self.key)?;
        let book = AddressBook::load(self.book)?;
        let request: Envelope = read_json(request)?;
        let (req, digest, prompt) = member::open_sign_request(&book, &request.session, &request)?;
        member::check_signer(&me, &key, &req, &prompt)?;
        if !confirm(&prompt)? {
            return Err(CouncilError::Declined);
        }
        Ok(Confirmed {
            me,
            key,
            book,
            session: request.session,
            req,
            digest,
            prompt,
        })
    }

    fn nonces(&self) -> Result<NonceStore> {
        let (passphrase, params) = (self.secrets.passphrase, self.secrets.params);
        NonceStore::open_encrypted(self.nonce_dir, passphrase, params)
    }
}

/// Signing, step 2 (each signer): opens the request, recomputes the digest, shows the action to
/// `confirm`, draws nonces into the nonce store and writes commitments bound to the session and
/// the digest.
pub fn sign_commit<R: RngCore + CryptoRng>(
    signer: &Signer,
    request: &Path,
    confirm: impl FnOnce(&SignPrompt) -> Result<bool>,
    out: &Path,
    rng: &mut R,
) -> Result<SignPrompt> {
    let c = signer.confirm(request, confirm)?;
    let commitments = signer.nonces()?.commit(&c.key, rng)?;
    let env = protocol::seal_commitment(&c.me, &c.session, c.digest, &commitments)?;
    write_json(out, &env)?;
    Ok(c.prompt)
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
        protocol::check_bound(&req, env.sender, d, digest)?;
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
pub fn sign_share(
    signer: &Signer,
    request: &Path,
    (own, package): (&Path, &Path),
    confirm: impl FnOnce(&SignPrompt) -> Result<bool>,
    out: &Path,
) -> Result<()> {
    let c = signer.confirm(request, confirm)?;
    let own: Envelope = read_json(own)?;
    let view: SigningPackageView = read_json(package)?;
    let package = protocol::verify_signing_package(
        &c.book,
        &Expected {
            session: &c.session,
            digest: c.digest,
            me: c.me.id,
            own: &own,
            signers: &c.req.signers,
            threshold: *c.key.min_signers(),
        },
        &view,
    )?;
    let share = signer.nonces()?.sign(&package, &c.key)?;
    write_json(
        out,
        &protocol::seal_share(&c.me, &c.session, c.digest, &share)?,
    )
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
