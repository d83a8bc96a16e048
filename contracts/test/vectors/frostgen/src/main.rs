//! Throwaway FROST(secp256k1, KECCAK256) vector generator (trusted dealer, fixed seed).
//! Usage: frostgen [digest-hex ...]   (default: keccak256("drawbridge frost selfcheck <i>") for i in 0..4)
//! Council size: FROSTGEN_THRESHOLD and FROSTGEN_MEMBERS (default 9 of 12).
use frost_secp256k1_evm as frost;
use k256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use rand::SeedableRng;
use sha3::{Digest, Keccak256};
use std::collections::BTreeMap;

fn affine(compressed: &[u8]) -> (String, String) {
    let ep = k256::EncodedPoint::from_bytes(compressed).unwrap();
    let p = k256::AffinePoint::from_encoded_point(&ep).unwrap();
    let u = p.to_encoded_point(false);
    (format!("0x{}", hex::encode(u.x().unwrap())), format!("0x{}", hex::encode(u.y().unwrap())))
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xd7a3b1d9e);
    let size = |var: &str, default: u16| -> u16 {
        std::env::var(var).map(|v| v.parse().expect(var)).unwrap_or(default)
    };
    let (t, n) = (size("FROSTGEN_THRESHOLD", 9), size("FROSTGEN_MEMBERS", 12));
    let (shares, pubkeys) =
        frost::keys::generate_with_dealer(n, t, frost::keys::IdentifierList::Default, &mut rng).unwrap();
    let mut kps = BTreeMap::new();
    for (id, s) in shares {
        kps.insert(id, frost::keys::KeyPackage::try_from(s).unwrap());
    }
    let pk = pubkeys.verifying_key().serialize().unwrap();
    let (pkx, pky) = affine(&pk);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let digests: Vec<[u8; 32]> = if args.is_empty() {
        (0..4).map(|i| Keccak256::digest(format!("drawbridge frost selfcheck {i}").as_bytes()).into()).collect()
    } else {
        args.iter().map(|a| hex::decode(a.trim_start_matches("0x")).unwrap().try_into().unwrap()).collect()
    };
    let mut sigs = Vec::new();
    for (k, digest) in digests.iter().enumerate() {
        // rotate the signer set
        let ids: Vec<_> = kps.keys().cycle().skip(k).take(t as usize).cloned().collect();
        let mut nonces = BTreeMap::new();
        let mut comms = BTreeMap::new();
        for id in &ids {
            let (nn, cc) = frost::round1::commit(kps[id].signing_share(), &mut rng);
            nonces.insert(*id, nn);
            comms.insert(*id, cc);
        }
        let sp = frost::SigningPackage::new(comms, digest);
        let mut shares = BTreeMap::new();
        for id in &ids {
            shares.insert(*id, frost::round2::sign(&sp, &nonces[id], &kps[id]).unwrap());
        }
        let sig = frost::aggregate(&sp, &shares, &pubkeys).unwrap();
        pubkeys.verifying_key().verify(digest, &sig).unwrap();
        let bytes = sig.serialize().unwrap();
        let (rx, ry) = affine(&bytes[..33]);
        let mut signers: Vec<u16> = Vec::new();
        for id in &ids {
            let b = id.serialize();
            signers.push(u16::from_be_bytes([b[30], b[31]]));
        }
        sigs.push(format!(
            "    {{ \"digest\": \"0x{}\", \"rx\": \"{}\", \"ry\": \"{}\", \"z\": \"0x{}\", \"signers\": {:?} }}",
            hex::encode(digest), rx, ry, hex::encode(&bytes[33..]), signers
        ));
    }
    println!("{{\n  \"version\": 1,\n  \"groupKey\": {{ \"x\": \"{}\", \"y\": \"{}\", \"compressed\": \"0x{}\" }},\n  \"threshold\": {}, \"members\": {},\n  \"signatures\": [\n{}\n  ]\n}}", pkx, pky, hex::encode(pk), t, n, sigs.join(",\n"));
}
