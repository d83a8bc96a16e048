//! Trusted-dealer key generation and signing ceremonies (round 1, round 2, aggregate).

use std::collections::BTreeMap;

use frost::keys::{IdentifierList, KeyPackage, PublicKeyPackage};
use frost::round1::SigningCommitments;
use frost::round2::SignatureShare;
use frost::{Signature, SigningPackage};
use frost_secp256k1_evm as frost;
use rand_core::{CryptoRng, RngCore};

use crate::contract::GroupKeyExport;
use crate::error::{CouncilError, Result};

pub(crate) use crate::group::culprit;
pub use crate::group::{GroupKeys, check_threshold, identifier, member_id};

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
