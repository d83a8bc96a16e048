//! A FROST group: member ids as FROST identifiers, the threshold rule and the group's key
//! packages. Shared by key generation (trusted dealer, DKG), nonces and the signing
//! ceremonies; it imports nothing of the crate but the contract form of the group key.

use std::collections::BTreeMap;

use frost::Identifier;
use frost::keys::{KeyPackage, PublicKeyPackage};
use frost_secp256k1_evm as frost;

use crate::contract::GroupKeyExport;
use crate::error::{CouncilError, Result};

/// FROST identifier of member `id` (`id` must be nonzero).
pub fn identifier(id: u16) -> Result<Identifier> {
    if id == 0 {
        return Err(CouncilError::ZeroIdentifier);
    }
    Ok(Identifier::try_from(id)?)
}

/// Member id of a FROST identifier derived from a `u16` (`None` for any other identifier).
pub fn member_id(id: &Identifier) -> Option<u16> {
    let b = id.serialize();
    if b.len() == 32 && b[..30].iter().all(|x| *x == 0) {
        Some(u16::from_be_bytes([b[30], b[31]]))
    } else {
        None
    }
}

pub(crate) fn culprit(id: &Identifier) -> u16 {
    member_id(id).unwrap_or(0)
}

/// Checks `1 <= t <= n`, `t >= 2`.
pub fn check_threshold(threshold: u16, members: u16) -> Result<()> {
    if threshold < 2 || threshold > members {
        return Err(CouncilError::Parameters(format!(
            "threshold {threshold} of {members} members: need 2 <= t <= n"
        )));
    }
    Ok(())
}

/// Output of key generation: every member's key package and the public key package.
#[derive(Clone, Debug)]
pub struct GroupKeys {
    /// Key package of each member, by member id (1..=n).
    pub key_packages: BTreeMap<u16, KeyPackage>,
    /// Public key package (group key and verifying shares).
    pub public: PublicKeyPackage,
}

impl GroupKeys {
    /// The group key in contract form.
    pub fn export(&self) -> Result<GroupKeyExport> {
        GroupKeyExport::from_verifying_key(self.public.verifying_key())
    }
}
