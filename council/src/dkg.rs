//! Distributed key generation (FROST DKG parts 1-3) between members of an [`AddressBook`].
//!
//! Every package travels in an [`Envelope`] signed by its sender's Ed25519 identity key; round-2
//! packages (secret shares) are additionally encrypted to their recipient's X25519 key with an
//! ephemeral X25519 key and ChaCha20-Poly1305. Whoever relays the packages (a coordinator, files
//! carried by hand) can drop them but forge or read nothing. Each rejection names its culprit:
//! unknown member, bad package signature, missing or forged proof of knowledge, commitment of the
//! wrong length, duplicate or zero identifier, undecryptable or invalid secret share.
//!
//! Every member must hold the same round-1 set, or members would end up with different group
//! keys (a member could equivocate, sending different signed round-1 packages to different
//! members through a colluding relay). Each round-2 package therefore carries its sender's view of
//! the round-1 set ([`Round1View`]: the Keccak-256 of every member's round-1 payload), signed with
//! the package; in part 3 each recipient compares every sender's view with its own before using
//! any share, and names the member whose round-1 package differs
//! ([`CouncilError::Round1Equivocation`]).

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use frost::keys::dkg::{round1, round2};
use frost::keys::{KeyPackage, PublicKeyPackage, VerifiableSecretSharingCommitment};
use frost::{Identifier, Signature};
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};

use crate::contract::hex32;
use crate::contract::{GroupKeyExport, keccak256};
use crate::error::{CouncilError, Result};
use crate::group::{GroupKeys, check_threshold, culprit, identifier};
use crate::identity::{AddressBook, Envelope, MemberSecret};

/// Envelope kind of round-1 packages (broadcast).
pub const KIND_ROUND1: &str = "dkg-round1";
/// Envelope kind of round-2 packages (one per recipient, encrypted).
pub const KIND_ROUND2: &str = "dkg-round2";

/// Round-1 payload: the commitment vector and the proof of knowledge, hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Round1Payload {
    /// Threshold the sender uses.
    pub threshold: u16,
    /// Coefficient commitments (33-byte compressed points), hex; length must be the threshold.
    pub commitment: Vec<String>,
    /// Proof of knowledge of the constant term (65-byte FROST signature), hex.
    pub proof_of_knowledge: Option<String>,
}

/// A member's view of the round-1 set: Keccak-256 (0x-hex) of every member's round-1 payload,
/// by sender.
pub type Round1View = BTreeMap<u16, String>;

/// The [`Round1View`] of a set of round-1 envelopes (verify them first: [`verify_round1`]).
pub fn round1_view(envelopes: &[Envelope]) -> Result<Round1View> {
    let mut view = Round1View::new();
    for env in envelopes {
        let payload =
            hex::decode(&env.payload).map_err(|e| CouncilError::Encoding(e.to_string()))?;
        if view
            .insert(env.sender, crate::contract::hex0x(&keccak256(&payload)))
            .is_some()
        {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
    }
    Ok(view)
}

/// Compares `sender`'s round-1 view with ours; names the member whose package differs.
fn compare_views(mine: &Round1View, theirs: &Round1View, witness: u16) -> Result<()> {
    if mine.len() != theirs.len() || mine.keys().ne(theirs.keys()) {
        return Err(CouncilError::Round1SetMismatch { witness });
    }
    for (member, hash) in mine {
        if theirs.get(member) != Some(hash) {
            return Err(CouncilError::Round1Equivocation {
                member: *member,
                witness,
            });
        }
    }
    Ok(())
}

/// Round-2 payload: a frost round-2 package encrypted to its recipient, and the sender's view of
/// the round-1 set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round2Payload {
    /// The sender's view of the round-1 set; every recipient compares it with its own.
    pub round1: Round1View,
    /// Sender's ephemeral X25519 public key, hex.
    pub ephemeral: String,
    /// ChaCha20-Poly1305 nonce, hex.
    pub nonce: String,
    /// Ciphertext, hex.
    pub ciphertext: String,
}

/// A member's secret state between part 1 and part 2.
pub struct Round1State {
    /// Member id.
    pub me: u16,
    /// Threshold.
    pub threshold: u16,
    secret: round1::SecretPackage,
}

/// A member's secret state between part 2 and part 3.
pub struct Round2State {
    /// Member id.
    pub me: u16,
    /// Threshold.
    pub threshold: u16,
    secret: round2::SecretPackage,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    me: u16,
    threshold: u16,
    round: u8,
    secret: String,
}

macro_rules! state_bytes {
    ($t:ident, $round:expr, $pkg:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("me", &self.me)
                    .field("threshold", &self.threshold)
                    .finish_non_exhaustive()
            }
        }

        impl $t {
            /// Serialized state (secret: encrypt at rest with [`crate::keystore`]).
            pub fn to_bytes(&self) -> Result<Vec<u8>> {
                Ok(serde_json::to_vec(&StateFile {
                    me: self.me,
                    threshold: self.threshold,
                    round: $round,
                    secret: hex::encode(self.secret.serialize()?),
                })?)
            }

            /// Inverse of `to_bytes`.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                let f: StateFile = serde_json::from_slice(bytes)?;
                if f.round != $round {
                    return Err(CouncilError::Encoding(format!(
                        "DKG state of round {}, expected {}",
                        f.round, $round
                    )));
                }
                let raw =
                    hex::decode(&f.secret).map_err(|e| CouncilError::Encoding(e.to_string()))?;
                Ok($t {
                    me: f.me,
                    threshold: f.threshold,
                    secret: <$pkg>::deserialize(&raw)?,
                })
            }
        }
    };
}
state_bytes!(Round1State, 1, round1::SecretPackage);
state_bytes!(Round2State, 2, round2::SecretPackage);

/// Part 1: commitment and proof of knowledge, broadcast in one signed envelope.
pub fn part1<R: RngCore + CryptoRng>(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    threshold: u16,
    rng: &mut R,
) -> Result<(Round1State, Envelope)> {
    book.member(me.id)?;
    check_threshold(threshold, book.len())?;
    let (secret, package) =
        frost::keys::dkg::part1(identifier(me.id)?, book.len(), threshold, rng)?;
    let payload = Round1Payload {
        threshold,
        commitment: package
            .commitment()
            .serialize()?
            .iter()
            .map(hex::encode)
            .collect(),
        proof_of_knowledge: Some(hex::encode(package.proof_of_knowledge().serialize()?)),
    };
    let env = me.seal(KIND_ROUND1, session, 0, &serde_json::to_vec(&payload)?);
    Ok((
        Round1State {
            me: me.id,
            threshold,
            secret,
        },
        env,
    ))
}

/// Checks one round-1 envelope: nonzero known sender, valid signature, this session, a proof of
/// knowledge, a commitment of `threshold` coefficients that decodes. (The proof itself is verified
/// by frost in part 2, which names its sender.)
pub fn open_round1(
    book: &AddressBook,
    session: &str,
    threshold: u16,
    env: &Envelope,
) -> Result<round1::Package> {
    if env.sender == 0 {
        return Err(CouncilError::ZeroIdentifier);
    }
    let bytes = book.open(env, KIND_ROUND1, session, 0)?;
    let sender = env.sender;
    let p: Round1Payload = serde_json::from_slice(&bytes)?;
    let pok = p
        .proof_of_knowledge
        .ok_or(CouncilError::MissingProofOfKnowledge(sender))?;
    if p.commitment.len() != threshold as usize || p.threshold != threshold {
        return Err(CouncilError::CommitmentLength {
            sender,
            got: p.commitment.len(),
            expected: threshold as usize,
        });
    }
    let coeffs = p
        .commitment
        .iter()
        .map(|c| hex::decode(c).map_err(|e| CouncilError::Encoding(e.to_string())))
        .collect::<Result<Vec<_>>>()?;
    let commitment = VerifiableSecretSharingCommitment::deserialize(coeffs)
        .map_err(|e| CouncilError::Encoding(format!("commitment of member {sender}: {e}")))?;
    let pok = hex::decode(pok)
        .ok()
        .and_then(|b| Signature::deserialize(&b).ok())
        .ok_or(CouncilError::InvalidProofOfKnowledge(sender))?;
    Ok(round1::Package::new(commitment, pok))
}

/// Checks every round-1 envelope and returns the packages of the other members by identifier.
/// The proof of knowledge itself is verified by frost in part 2 (and mapped to its sender).
pub fn verify_round1(
    book: &AddressBook,
    session: &str,
    threshold: u16,
    me: u16,
    envelopes: &[Envelope],
) -> Result<BTreeMap<Identifier, round1::Package>> {
    let mut out = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for env in envelopes {
        let package = open_round1(book, session, threshold, env)?;
        if seen.insert(env.sender, ()).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
        if env.sender != me {
            out.insert(identifier(env.sender)?, package);
        }
    }
    for m in book.members() {
        if m.id != me && !seen.contains_key(&m.id) {
            return Err(CouncilError::MissingPackage(m.id));
        }
    }
    Ok(out)
}

fn r2_context(
    session: &str,
    sender: u16,
    recipient: u16,
    eph: &[u8; 32],
    to: &[u8; 32],
) -> Vec<u8> {
    let mut c = b"drawbridge-council-dkg-round2-v1".to_vec();
    c.extend_from_slice(&(session.len() as u32).to_be_bytes());
    c.extend_from_slice(session.as_bytes());
    c.extend_from_slice(&sender.to_be_bytes());
    c.extend_from_slice(&recipient.to_be_bytes());
    c.extend_from_slice(eph);
    c.extend_from_slice(to);
    c
}

fn r2_key(shared: &[u8; 32], context: &[u8]) -> [u8; 32] {
    let mut m = shared.to_vec();
    m.extend_from_slice(context);
    keccak256(&m)
}

fn map_frost(e: frost::Error) -> CouncilError {
    match e {
        frost::Error::InvalidProofOfKnowledge { culprit: c } => {
            CouncilError::InvalidProofOfKnowledge(culprit(&c))
        }
        frost::Error::InvalidSecretShare { culprit: Some(c) } => {
            CouncilError::InvalidSecretShare(culprit(&c))
        }
        e => e.into(),
    }
}

/// Encrypts a round-2 package to `recipient` (ephemeral X25519 + ChaCha20-Poly1305) and signs
/// the envelope, with the sender's view of the round-1 set, with `me`'s identity key.
pub fn seal_round2<R: RngCore + CryptoRng>(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    recipient: u16,
    pkg: &round2::Package,
    round1: &Round1View,
    rng: &mut R,
) -> Result<Envelope> {
    let to = book.member(recipient)?.encryption()?;
    let eph = StaticSecret::random_from_rng(&mut *rng);
    let eph_pub = XPublic::from(&eph);
    let shared = eph.diffie_hellman(&to);
    let ctx = r2_context(session, me.id, recipient, eph_pub.as_bytes(), to.as_bytes());
    let key = r2_key(shared.as_bytes(), &ctx);
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let plain = zeroize::Zeroizing::new(pkg.serialize()?);
    let ct = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &ctx,
            },
        )
        .map_err(|_| CouncilError::Encoding("encryption failed".into()))?;
    let payload = Round2Payload {
        round1: round1.clone(),
        ephemeral: hex::encode(eph_pub.as_bytes()),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
    };
    Ok(me.seal(
        KIND_ROUND2,
        session,
        recipient,
        &serde_json::to_vec(&payload)?,
    ))
}

/// Part 2: verifies all round-1 envelopes (including proofs of knowledge), then produces one
/// encrypted, signed round-2 envelope per other member.
pub fn part2<R: RngCore + CryptoRng>(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    state: Round1State,
    round1_envelopes: &[Envelope],
    rng: &mut R,
) -> Result<(Round2State, Vec<Envelope>)> {
    let packages = verify_round1(book, session, state.threshold, me.id, round1_envelopes)?;
    let view = round1_view(round1_envelopes)?;
    let (secret, out) = frost::keys::dkg::part2(state.secret, &packages).map_err(map_frost)?;
    let mut envelopes = Vec::new();
    for (id, pkg) in out {
        let recipient = culprit(&id);
        envelopes.push(seal_round2(me, book, session, recipient, &pkg, &view, rng)?);
    }
    Ok((
        Round2State {
            me: me.id,
            threshold: state.threshold,
            secret,
        },
        envelopes,
    ))
}

/// Part 3: verifies the round-2 envelopes addressed to this member, compares every sender's view
/// of the round-1 set with this member's own (before using any share), decrypts them, verifies
/// every share against its sender's commitment, and returns the key package and public key
/// package.
/// Refuses a group key with `x >= n` ([`CouncilError::GroupKeyXNotBelowOrder`]): run the DKG
/// again with a new session.
pub fn part3(
    me: &MemberSecret,
    book: &AddressBook,
    session: &str,
    state: &Round2State,
    round1_envelopes: &[Envelope],
    round2_envelopes: &[Envelope],
) -> Result<(KeyPackage, PublicKeyPackage)> {
    let r1 = verify_round1(book, session, state.threshold, me.id, round1_envelopes)?;
    let my_view = round1_view(round1_envelopes)?;
    let my_key = me.encryption_secret();
    let my_pub = XPublic::from(my_key);
    let mut r2 = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for env in round2_envelopes {
        if env.sender == 0 {
            return Err(CouncilError::ZeroIdentifier);
        }
        let bytes = book.open(env, KIND_ROUND2, session, me.id)?;
        if seen.insert(env.sender, ()).is_some() {
            return Err(CouncilError::DuplicateIdentifier(env.sender));
        }
        let sender = env.sender;
        let fail = || CouncilError::Decryption {
            sender,
            recipient: me.id,
        };
        let p: Round2Payload = serde_json::from_slice(&bytes)?;
        compare_views(&my_view, &p.round1, sender)?;
        let eph = XPublic::from(hex32(&p.ephemeral).map_err(|_| fail())?);
        let nonce: [u8; 12] = hex::decode(&p.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(fail)?;
        let ct = hex::decode(&p.ciphertext).map_err(|_| fail())?;
        let shared = my_key.diffie_hellman(&eph);
        if !shared.was_contributory() {
            return Err(fail());
        }
        let ctx = r2_context(session, sender, me.id, eph.as_bytes(), my_pub.as_bytes());
        let key = r2_key(shared.as_bytes(), &ctx);
        let plain = zeroize::Zeroizing::new(
            ChaCha20Poly1305::new(Key::from_slice(&key))
                .decrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: &ct,
                        aad: &ctx,
                    },
                )
                .map_err(|_| fail())?,
        );
        let pkg = round2::Package::deserialize(&plain)
            .map_err(|_| CouncilError::InvalidSecretShare(sender))?;
        r2.insert(identifier(sender)?, pkg);
    }
    for m in book.members() {
        if m.id != me.id && !seen.contains_key(&m.id) {
            return Err(CouncilError::MissingPackage(m.id));
        }
    }
    let (kp, public) = frost::keys::dkg::part3(&state.secret, &r1, &r2).map_err(map_frost)?;
    GroupKeyExport::from_verifying_key(public.verifying_key())?;
    Ok((kp, public))
}

/// Runs the whole DKG in one process for `members` (tests, benchmarks, devnets): every package
/// still goes through signing, encryption and verification.
pub fn run_in_process<R: RngCore + CryptoRng>(
    members: &[MemberSecret],
    book: &AddressBook,
    session: &str,
    threshold: u16,
    rng: &mut R,
) -> Result<GroupKeys> {
    let mut states1 = Vec::new();
    let mut r1 = Vec::new();
    for m in members {
        let (s, e) = part1(m, book, session, threshold, rng)?;
        states1.push(s);
        r1.push(e);
    }
    let mut states2 = Vec::new();
    let mut r2 = Vec::new();
    for (m, s) in members.iter().zip(states1) {
        let (s2, envs) = part2(m, book, session, s, &r1, rng)?;
        states2.push(s2);
        r2.extend(envs);
    }
    let mut key_packages = BTreeMap::new();
    let mut public = None;
    for (m, s) in members.iter().zip(&states2) {
        let mine: Vec<Envelope> = r2.iter().filter(|e| e.recipient == m.id).cloned().collect();
        let (kp, pk) = part3(m, book, session, s, &r1, &mine)?;
        if let Some(p) = &public
            && p != &pk
        {
            return Err(CouncilError::Parameters(format!(
                "member {} computed a different public key package",
                m.id
            )));
        }
        public = Some(pk);
        key_packages.insert(m.id, kp);
    }
    Ok(GroupKeys {
        key_packages,
        public: public.ok_or_else(|| CouncilError::Parameters("no members".into()))?,
    })
}
