//! Contract-form exports, the challenge, trusted-dealer signing with on-disk nonces, vectors.

use std::collections::BTreeMap;

use drawbridge_council::contract::{
    CHALLENGE_DST, GroupKeyExport, SignatureExport, challenge, keccak256, verify_contract,
};
use drawbridge_council::frost::{self, VerifyingKey};
use drawbridge_council::nonces::NonceStore;
use drawbridge_council::signing::{aggregate, sign_in_memory, signing_package, trusted_dealer};
use drawbridge_council::{CouncilError, vectors};
use k256::elliptic_curve::hash2curve::{ExpandMsgXmd, hash_to_field};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha3::Keccak256;

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

#[test]
fn challenge_matches_frost_and_k256() {
    let mut rng = rng(1);
    let keys = trusted_dealer(2, 3, &mut rng).unwrap();
    let pk = keys.export().unwrap();
    for i in 0..8u8 {
        let digest = keccak256(&[i]);
        let sig = sign_in_memory(&keys, &[1, 3], &digest, &mut rng).unwrap();
        // frost's own verification (its internal challenge) accepts...
        keys.public.verifying_key().verify(&digest, &sig).unwrap();
        let e = SignatureExport::from_signature(&sig).unwrap();
        // ...and so does R == z*G - c*PK with our independently computed challenge.
        assert!(verify_contract(&pk, &e, &digest));
        // The challenge equals k256's hash_to_field with the same DST.
        let mut msg = e.r.compressed.to_vec();
        msg.extend_from_slice(&pk.0.compressed);
        msg.extend_from_slice(&digest);
        let mut u = [k256::Scalar::ZERO];
        hash_to_field::<ExpandMsgXmd<Keccak256>, k256::Scalar>(&[&msg], &[CHALLENGE_DST], &mut u)
            .unwrap();
        let ours = challenge(&e.r.compressed, &pk.0.compressed, &digest);
        assert_eq!(ours, <[u8; 32]>::from(u[0].to_bytes()));
        // Wrong digest, wrong z, z >= n: refused.
        assert!(!verify_contract(&pk, &e, &keccak256(b"other")));
        let mut bad = e.clone();
        bad.z[31] ^= 1;
        assert!(!verify_contract(&pk, &bad, &digest));
        bad.z = drawbridge_council::contract::CURVE_ORDER;
        assert!(!verify_contract(&pk, &bad, &digest));
    }
}

#[test]
fn group_key_with_x_not_below_n_is_refused() {
    // Find a curve point with n <= x < p.
    let mut x = drawbridge_council::contract::CURVE_ORDER;
    loop {
        let mut c = vec![0x02];
        c.extend_from_slice(&x);
        if let Ok(vk) = VerifyingKey::deserialize(&c) {
            assert!(matches!(
                GroupKeyExport::from_verifying_key(&vk),
                Err(CouncilError::GroupKeyXNotBelowOrder)
            ));
            return;
        }
        x[31] += 1;
    }
}

#[test]
fn export_shapes() {
    let keys = trusted_dealer(2, 2, &mut rng(2)).unwrap();
    let pk = keys.export().unwrap();
    assert_eq!(pk.0.compressed[0], 0x02 | (pk.0.y[31] & 1));
    assert_eq!(&pk.0.compressed[1..], &pk.0.x);
    assert_eq!(
        pk.0.compressed.to_vec(),
        keys.public.verifying_key().serialize().unwrap()
    );
    let j = pk.to_json();
    assert_eq!(j.x.len(), 66);
    assert_eq!(j.compressed.len(), 68);
}

#[test]
fn ceremony_with_nonce_store_refuses_reuse_also_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(3);
    let keys = trusted_dealer(3, 5, &mut rng).unwrap();
    let signers = [1u16, 2, 4];
    let digest = keccak256(b"pause");
    let stores: BTreeMap<u16, NonceStore> = signers
        .iter()
        .map(|id| {
            (
                *id,
                NonceStore::open(dir.path().join(id.to_string())).unwrap(),
            )
        })
        .collect();
    let mut commitments = BTreeMap::new();
    for id in signers {
        let c = stores[&id]
            .commit(&keys.key_packages[&id], &mut rng)
            .unwrap();
        commitments.insert(id, c);
    }
    let package = signing_package(&commitments, &digest).unwrap();
    let mut shares = BTreeMap::new();
    for id in signers {
        shares.insert(
            id,
            stores[&id].sign(&package, &keys.key_packages[&id]).unwrap(),
        );
    }
    let sig = aggregate(&package, &shares, &keys.public).unwrap();
    keys.public.verifying_key().verify(&digest, &sig).unwrap();
    let e = SignatureExport::from_signature(&sig).unwrap();
    assert!(verify_contract(&keys.export().unwrap(), &e, &digest));

    // Same nonces again, same store: refused.
    assert!(matches!(
        stores[&1].sign(&package, &keys.key_packages[&1]),
        Err(CouncilError::NonceReused(_))
    ));
    // Another message with the same commitments: still refused.
    let other = signing_package(&commitments, &keccak256(b"other")).unwrap();
    assert!(matches!(
        stores[&2].sign(&other, &keys.key_packages[&2]),
        Err(CouncilError::NonceReused(_))
    ));
    // "Restart": drop and reopen the store from disk.
    drop(stores);
    let reopened = NonceStore::open(dir.path().join("4")).unwrap();
    assert!(matches!(
        reopened.sign(&other, &keys.key_packages[&4]),
        Err(CouncilError::NonceReused(_))
    ));
    // Commitments nobody stored: refused.
    let fresh = NonceStore::open(dir.path().join("5")).unwrap();
    let mut c2 = commitments.clone();
    c2.insert(
        5,
        frost::round1::commit(keys.key_packages[&5].signing_share(), &mut rng).1,
    );
    let p2 = signing_package(&c2, &digest).unwrap();
    assert!(matches!(
        fresh.sign(&p2, &keys.key_packages[&5]),
        Err(CouncilError::UnknownNonce(_))
    ));
    // No secret material is left in used nonce files.
    for entry in std::fs::read_dir(dir.path().join("1")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("nonces"), "{}", path.display());
    }
}

#[test]
fn bad_share_names_its_signer() {
    let mut rng = rng(4);
    let keys = trusted_dealer(2, 3, &mut rng).unwrap();
    let digest = keccak256(b"x");
    let mut nonces = BTreeMap::new();
    let mut commitments = BTreeMap::new();
    for id in [1u16, 3] {
        let (n, c) = frost::round1::commit(keys.key_packages[&id].signing_share(), &mut rng);
        nonces.insert(id, n);
        commitments.insert(id, c);
    }
    let package = signing_package(&commitments, &digest).unwrap();
    let good = frost::round2::sign(&package, &nonces[&1], &keys.key_packages[&1]).unwrap();
    let other = signing_package(&commitments, &keccak256(b"y")).unwrap();
    let bad = frost::round2::sign(&other, &nonces[&3], &keys.key_packages[&3]).unwrap();
    let shares = BTreeMap::from([(1, good), (3, bad)]);
    match aggregate(&package, &shares, &keys.public) {
        Err(CouncilError::InvalidSignatureShare(c)) => assert_eq!(c, vec![3]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn committed_vectors_are_regenerated_exactly() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/test/vectors/frost-vectors.json"
    );
    let committed = std::fs::read_to_string(path).unwrap();
    let generated = vectors::generate().unwrap().to_json().unwrap();
    assert_eq!(
        committed, generated,
        "regenerate with: cargo run -p drawbridge-council -- vectors --out contracts/test/vectors/frost-vectors.json"
    );
    let v: vectors::Vectors = serde_json::from_str(&committed).unwrap();
    assert_eq!((v.threshold, v.members, v.version), (9, 12, 1));
}

#[test]
fn concurrent_signers_with_the_same_nonces_get_one_share() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(5);
    let keys = trusted_dealer(2, 2, &mut rng).unwrap();
    let store = NonceStore::open(dir.path()).unwrap();
    let mut commitments = BTreeMap::new();
    commitments.insert(1, store.commit(&keys.key_packages[&1], &mut rng).unwrap());
    commitments.insert(
        2,
        frost::round1::commit(keys.key_packages[&2].signing_share(), &mut rng).1,
    );
    let package = signing_package(&commitments, &keccak256(b"race")).unwrap();
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = NonceStore::open(dir.path()).unwrap();
                let (package, kp) = (&package, &keys.key_packages[&1]);
                s.spawn(move || store.sign(package, kp).is_ok())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1);
}

#[test]
fn crash_after_claiming_nonces_never_reuses_them() {
    // Simulates a crash after the claim marker was made durable but before the nonce file was
    // wiped and before the share left the process: the nonce file is still "fresh" on disk.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(6);
    let keys = trusted_dealer(2, 2, &mut rng).unwrap();
    let store = NonceStore::open(dir.path()).unwrap();
    let mut commitments = BTreeMap::new();
    for id in [1u16, 2] {
        commitments.insert(id, store.commit(&keys.key_packages[&id], &mut rng).unwrap());
    }
    let package = signing_package(&commitments, &keccak256(b"crash")).unwrap();
    let id1 = drawbridge_council::nonces::commitment_id(&commitments[&1]).unwrap();
    let fresh = std::fs::read(dir.path().join(format!("{id1}.nonce.json"))).unwrap();
    store.sign(&package, &keys.key_packages[&1]).unwrap();
    // Put the fresh nonce file back, as if the wipe had not happened before the crash.
    std::fs::write(dir.path().join(format!("{id1}.nonce.json")), fresh).unwrap();
    drop(store);
    let reopened = NonceStore::open(dir.path()).unwrap();
    assert!(matches!(
        reopened.sign(&package, &keys.key_packages[&1]),
        Err(CouncilError::NonceReused(_))
    ));
    // Member 2's nonces are untouched and still sign once.
    reopened.sign(&package, &keys.key_packages[&2]).unwrap();
}

#[test]
fn encrypted_nonces_need_the_passphrase_and_a_typo_does_not_burn_them() {
    use drawbridge_council::keystore::KdfParams;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rng(7);
    let keys = trusted_dealer(2, 2, &mut rng).unwrap();
    let params = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let store = NonceStore::open_encrypted(dir.path(), "right", params).unwrap();
    let mut commitments = BTreeMap::new();
    for id in [1u16, 2] {
        commitments.insert(id, store.commit(&keys.key_packages[&id], &mut rng).unwrap());
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            text.contains("sealed") && text.contains("argon2id"),
            "{text}"
        );
    }
    let package = signing_package(&commitments, &keccak256(b"enc")).unwrap();
    let wrong = NonceStore::open_encrypted(dir.path(), "wrong", params).unwrap();
    assert!(matches!(
        wrong.sign(&package, &keys.key_packages[&1]),
        Err(CouncilError::WrongPassphrase(_))
    ));
    let plain = NonceStore::open(dir.path()).unwrap();
    assert!(matches!(
        plain.sign(&package, &keys.key_packages[&1]),
        Err(CouncilError::Parameters(_))
    ));
    let mut shares = BTreeMap::new();
    for id in [1u16, 2] {
        shares.insert(id, store.sign(&package, &keys.key_packages[&id]).unwrap());
    }
    aggregate(&package, &shares, &keys.public).unwrap();
    assert!(matches!(
        store.sign(&package, &keys.key_packages[&1]),
        Err(CouncilError::NonceReused(_))
    ));
}
