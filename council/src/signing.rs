//! Trusted-dealer key generation and signing ceremonies (round 1, round 2, aggregate).

use std::collections::BTreeMap;

use frost::keys::{IdentifierList, KeyPackage, PublicKeyPackage};
use frost::round1::SigningCommitments;
use frost::round2::SignatureShare;
use frost::{Identifier, Signature, SigningPackage};
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};

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

/// Trusted-dealer key generation for devnets: `threshold`-of-`members`, member ids `1..=members`.
///
/// The dealer sees the group secret: use DKG ([`crate::dkg`]) for anything but devnets and
/// tests. A key whose x coordinate is `>= n` (which the contract refuses) is discarded and drawn
/// again from the same RNG.
pub fn trusted_dealer<R: RngCore + CryptoRng>(
    threshold: u16,
    members: u16,
    rng: &mut R,
) -> Result<GroupKeys> {
    check_threshold(threshold, members)?;
    loop {
        let (shares, public) = frost::keys::generate_with_dealer(
            members,
            threshold,
            IdentifierList::Default,
            &mut *rng,
        )?;
        if matches!(
            GroupKeyExport::from_verifying_key(public.verifying_key()),
            Err(CouncilError::GroupKeyXNotBelowOrder)
        ) {
            continue;
        }
        let mut key_packages = BTreeMap::new();
        for (id, share) in shares {
            let kp = KeyPackage::try_from(share)?;
            key_packages.insert(culprit(&id), kp);
        }
        return Ok(GroupKeys {
            key_packages,
            public,
        });
    }
}

/// Coordinator: builds the signing package from the signers' commitments.
pub fn signing_package(
    commitments: &BTreeMap<u16, SigningCommitments>,
    digest: &[u8],
) -> Result<SigningPackage> {
    let mut map = BTreeMap::new();
    for (id, c) in commitments {
        map.insert(identifier(*id)?, *c);
    }
    Ok(SigningPackage::new(map, digest))
}

/// Coordinator: verifies every share and aggregates; a bad share names its signer(s).
pub fn aggregate(
    package: &SigningPackage,
    shares: &BTreeMap<u16, SignatureShare>,
    public: &PublicKeyPackage,
) -> Result<Signature> {
    let mut map = BTreeMap::new();
    for (id, s) in shares {
        map.insert(identifier(*id)?, *s);
    }
    frost::aggregate(package, &map, public).map_err(|e| match e {
        frost::Error::InvalidSignatureShare { culprits } => {
            CouncilError::InvalidSignatureShare(culprits.iter().map(culprit).collect())
        }
        e => e.into(),
    })
}

/// A whole signing ceremony in one process with nonces that never leave memory (devnets, test
/// vectors, benchmarks). Members with real keys use [`crate::nonces::NonceStore`] instead.
pub fn sign_in_memory<R: RngCore + CryptoRng>(
    keys: &GroupKeys,
    signers: &[u16],
    digest: &[u8],
    rng: &mut R,
) -> Result<Signature> {
    let mut nonces = BTreeMap::new();
    let mut commitments = BTreeMap::new();
    for id in signers {
        let kp = keys
            .key_packages
            .get(id)
            .ok_or(CouncilError::UnknownMember(*id))?;
        if nonces.contains_key(id) {
            return Err(CouncilError::DuplicateIdentifier(*id));
        }
        let (n, c) = frost::round1::commit(kp.signing_share(), &mut *rng);
        nonces.insert(*id, n);
        commitments.insert(*id, c);
    }
    let package = signing_package(&commitments, digest)?;
    let mut shares = BTreeMap::new();
    for (id, n) in nonces {
        let share = frost::round2::sign(&package, &n, &keys.key_packages[&id])?;
        shares.insert(id, share);
    }
    aggregate(&package, &shares, &keys.public)
}
