//! Member identities (Ed25519 for signatures, X25519 for encryption), the address book, and
//! signed envelopes carrying every ceremony package.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::{Signature as EdSignature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey as XPublic, StaticSecret};
use zeroize::Zeroize;

use crate::contract::hex32;
use crate::error::{CouncilError, Result};

/// Domain separator of every signed ceremony message.
pub const ENVELOPE_DOMAIN: &[u8] = b"drawbridge-council-envelope-v1";

/// A member's secret keys: Ed25519 identity and X25519 encryption.
pub struct MemberSecret {
    /// Member id (nonzero; the FROST identifier).
    pub id: u16,
    /// Display name.
    pub name: String,
    identity: SigningKey,
    encryption: StaticSecret,
}

impl std::fmt::Debug for MemberSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberSecret")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Serialized secret keys (kept encrypted at rest with [`crate::keystore`]).
#[derive(Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
struct MemberSecretFile {
    id: u16,
    name: String,
    identity: String,
    encryption: String,
}

impl MemberSecret {
    /// Generates fresh keys for member `id`.
    pub fn generate<R: RngCore + CryptoRng>(id: u16, name: &str, rng: &mut R) -> Result<Self> {
        if id == 0 {
            return Err(CouncilError::ZeroIdentifier);
        }
        Ok(MemberSecret {
            id,
            name: name.to_string(),
            identity: SigningKey::generate(rng),
            encryption: StaticSecret::random_from_rng(rng),
        })
    }

    /// Public part, as listed in the address book.
    pub fn public(&self) -> Member {
        Member {
            id: self.id,
            name: self.name.clone(),
            identity_key: hex::encode(self.identity.verifying_key().to_bytes()),
            encryption_key: hex::encode(XPublic::from(&self.encryption).to_bytes()),
        }
    }

    /// Secret keys as JSON bytes (encrypt before writing: [`crate::keystore::seal`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let f = MemberSecretFile {
            id: self.id,
            name: self.name.clone(),
            identity: hex::encode(self.identity.to_bytes()),
            encryption: hex::encode(self.encryption.to_bytes()),
        };
        Ok(serde_json::to_vec(&f)?)
    }

    /// Inverse of [`MemberSecret::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let f: MemberSecretFile = serde_json::from_slice(bytes)?;
        Ok(MemberSecret {
            id: f.id,
            name: f.name.clone(),
            identity: SigningKey::from_bytes(&hex32(&f.identity)?),
            encryption: StaticSecret::from(hex32(&f.encryption)?),
        })
    }

    /// Signs a ceremony payload into an envelope.
    pub fn seal(&self, kind: &str, session: &str, recipient: u16, payload: &[u8]) -> Envelope {
        let mut env = Envelope {
            kind: kind.to_string(),
            session: session.to_string(),
            sender: self.id,
            recipient,
            payload: hex::encode(payload),
            signature: String::new(),
        };
        let sig = self.identity.sign(&env.signed_bytes());
        env.signature = hex::encode(sig.to_bytes());
        env
    }

    pub(crate) fn encryption_secret(&self) -> &StaticSecret {
        &self.encryption
    }
}

/// A member as listed in the address book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Member id, the FROST identifier (nonzero, unique).
    pub id: u16,
    /// Display name.
    pub name: String,
    /// Ed25519 identity public key, hex.
    pub identity_key: String,
    /// X25519 encryption public key, hex.
    pub encryption_key: String,
}

impl Member {
    /// Ed25519 identity key.
    pub fn identity(&self) -> Result<VerifyingKey> {
        VerifyingKey::from_bytes(&hex32(&self.identity_key)?)
            .map_err(|e| CouncilError::Encoding(format!("identity key of member {}: {e}", self.id)))
    }

    /// X25519 encryption key.
    pub fn encryption(&self) -> Result<XPublic> {
        Ok(XPublic::from(hex32(&self.encryption_key)?))
    }
}

/// The members of a council: ids, names and public keys. Ids are nonzero and unique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressBook {
    /// Members, by id.
    members: Vec<Member>,
}

impl AddressBook {
    /// Builds an address book, refusing zero or duplicate identifiers and malformed keys.
    pub fn new(members: Vec<Member>) -> Result<Self> {
        let mut seen = BTreeMap::new();
        for m in &members {
            if m.id == 0 {
                return Err(CouncilError::ZeroIdentifier);
            }
            if seen.insert(m.id, ()).is_some() {
                return Err(CouncilError::DuplicateIdentifier(m.id));
            }
            m.identity()?;
            m.encryption()?;
        }
        let mut members = members;
        members.sort_by_key(|m| m.id);
        Ok(AddressBook { members })
    }

    /// Reads and validates an address book JSON file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(CouncilError::io(path))?;
        let book: AddressBook = serde_json::from_slice(&bytes)?;
        AddressBook::new(book.members)
    }

    /// Writes the address book as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?).map_err(CouncilError::io(path))
    }

    /// The member with this id, or [`CouncilError::UnknownMember`].
    pub fn member(&self, id: u16) -> Result<&Member> {
        self.members
            .iter()
            .find(|m| m.id == id)
            .ok_or(CouncilError::UnknownMember(id))
    }

    /// All members, sorted by id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> u16 {
        self.members.len() as u16
    }

    /// `true` if there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Checks an envelope: known sender, valid Ed25519 signature, expected kind, session and
    /// recipient (`0` for broadcast). Returns the payload bytes.
    pub fn open(
        &self,
        env: &Envelope,
        kind: &str,
        session: &str,
        recipient: u16,
    ) -> Result<Vec<u8>> {
        let key = self.member(env.sender)?.identity()?;
        let bad = || CouncilError::BadPackageSignature {
            sender: env.sender,
            kind: env.kind.clone(),
        };
        let sig: [u8; 64] = hex::decode(&env.signature)
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        key.verify_strict(&env.signed_bytes(), &EdSignature::from_bytes(&sig))
            .map_err(|_| bad())?;
        if env.kind != kind || env.session != session || env.recipient != recipient {
            return Err(CouncilError::Misaddressed {
                sender: env.sender,
                what: format!(
                    "{} of session {} to member {}",
                    env.kind, env.session, env.recipient
                ),
            });
        }
        hex::decode(&env.payload).map_err(|e| CouncilError::Encoding(e.to_string()))
    }
}

/// A ceremony message signed by its sender's identity key. The signature covers the kind, the
/// session, sender, recipient and payload, so a package cannot be replayed into another step,
/// ceremony or recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Package kind, e.g. `dkg-round1`.
    pub kind: String,
    /// Ceremony session id chosen by the coordinator.
    pub session: String,
    /// Sender member id.
    pub sender: u16,
    /// Recipient member id, `0` for a broadcast.
    pub recipient: u16,
    /// Payload, hex.
    pub payload: String,
    /// Ed25519 signature over [`Envelope::signed_bytes`], hex.
    pub signature: String,
}

impl Envelope {
    /// The bytes the sender signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut m = ENVELOPE_DOMAIN.to_vec();
        for part in [self.kind.as_bytes(), self.session.as_bytes()] {
            m.extend_from_slice(&(part.len() as u32).to_be_bytes());
            m.extend_from_slice(part);
        }
        m.extend_from_slice(&self.sender.to_be_bytes());
        m.extend_from_slice(&self.recipient.to_be_bytes());
        m.extend_from_slice(self.payload.as_bytes());
        m
    }
}
