//! File mode: a whole 2-of-3 DKG and a signing ceremony of an action through JSON files in a
//! temp dir.

use std::path::PathBuf;

use alloy::primitives::Address;
use drawbridge_council::CouncilError;
use drawbridge_council::action::{Action, Domain, unix_now};
use drawbridge_council::contract::{GroupKeyExport, verify_contract};
use drawbridge_council::files::{self, PublicFile, Secrets};
use drawbridge_council::keystore::KdfParams;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const PASS: &str = "tr0ub4dor";

fn secrets() -> Secrets<'static> {
    Secrets {
        passphrase: PASS,
        params: KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
    }
}

#[test]
fn dkg_and_signing_through_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let s = secrets();
    let member = |i: u16| d.join(format!("member-{i}"));
    let mut publics: Vec<PathBuf> = Vec::new();
    for i in 1..=3u16 {
        files::new_identity(
            i,
            &format!("m{i}"),
            &s,
            &member(i).join("identity.json"),
            &member(i).join("public-entry.json"),
            &mut rng,
        )
        .unwrap();
        publics.push(member(i).join("public-entry.json"));
    }
    let book = d.join("book.json");
    files::address_book(&publics, &book).unwrap();
    let session = "dkg-2026-11";
    let each = |name: &str| -> Vec<PathBuf> { (1..=3).map(|i| member(i).join(name)).collect() };
    let (identities, keys, nonce_dirs) = (each("identity.json"), each("key.json"), each("nonces"));
    let at = |i: u16| usize::from(i) - 1;
    let dkg_member = |i: u16| files::DkgMember {
        identity: &identities[at(i)],
        secrets: &s,
        book: &book,
        session,
    };
    let signer = |i: u16| files::Signer {
        identity: &identities[at(i)],
        key: &keys[at(i)],
        secrets: &s,
        nonce_dir: &nonce_dirs[at(i)],
        book: &book,
    };
    for i in 1..=3u16 {
        let round1 = d.join("round1").join(format!("{i}.json"));
        let state1 = member(i).join("state1.json");
        files::dkg_part1(&dkg_member(i), 2, &state1, &round1, &mut rng).unwrap();
    }
    for i in 1..=3u16 {
        let (state1, state2) = (member(i).join("state1.json"), member(i).join("state2.json"));
        let (round1, round2) = (d.join("round1"), d.join("round2"));
        files::dkg_part2(&dkg_member(i), &state1, &round1, &state2, &round2, &mut rng).unwrap();
    }
    // Round-2 files carry no plaintext share and the state files are encrypted.
    let state = std::fs::read_to_string(member(1).join("state2.json")).unwrap();
    assert!(state.contains("argon2id") && state.contains("ciphertext"));
    for i in 1..=3u16 {
        files::dkg_part3(
            &dkg_member(i),
            &member(i).join("state2.json"),
            (&d.join("round1"), &d.join("round2")),
            &keys[at(i)],
            &member(i).join("public.json"),
            &mut rng,
        )
        .unwrap();
    }
    let p1: PublicFile = files::read_json(&member(1).join("public.json")).unwrap();
    let p3: PublicFile = files::read_json(&member(3).join("public.json")).unwrap();
    assert_eq!(p1.group_key, p3.group_key);

    // Wrong passphrase on the key package: clear error naming the file.
    let wrong = Secrets {
        passphrase: "nope",
        params: s.params,
    };
    match wrong.key_package(&member(1).join("key.json")) {
        Err(e @ CouncilError::WrongPassphrase(_)) => {
            assert!(e.to_string().contains("key.json"), "{e}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }

    // Signing a pause by members 1 and 3, requested by member 2.
    let action = Action::pause(
        Domain {
            chain_id: 900,
            council: Address::repeat_byte(0xc0),
        },
        Address::repeat_byte(0xb1),
        3_600,
        0,
        unix_now() + 3_600,
    );
    files::write_json(&d.join("action.json"), &action).unwrap();
    let request = d.join("request.json");
    files::sign_request(
        &member(2).join("identity.json"),
        &s,
        &book,
        "sign-1",
        &d.join("action.json"),
        &member(2).join("public.json"),
        &[1, 3],
        &request,
    )
    .unwrap();
    // Declining at the prompt draws no nonces and writes nothing.
    let err = files::sign_commit(
        &signer(1),
        &request,
        |_| Ok(false),
        &d.join("declined.json"),
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, CouncilError::Declined), "{err}");
    assert!(!d.join("declined.json").exists());
    for i in [1u16, 3] {
        let prompt = files::sign_commit(
            &signer(i),
            &request,
            |p| {
                assert!(p.to_text().contains("3600 s (1h)"));
                Ok(true)
            },
            &d.join("commitments").join(format!("{i}.json")),
            &mut rng,
        )
        .unwrap();
        assert_eq!(prompt.action.digest, action.digest());
    }
    let package = d.join("package.json");
    files::sign_package(&book, &request, &d.join("commitments"), &package).unwrap();
    for i in [1u16, 3] {
        files::sign_share(
            &signer(i),
            &request,
            (&d.join("commitments").join(format!("{i}.json")), &package),
            |_| Ok(true),
            &d.join("shares").join(format!("{i}.json")),
        )
        .unwrap();
    }
    let signed = files::aggregate(
        &book,
        &request,
        &package,
        &d.join("shares"),
        &d.join("signed.json"),
    )
    .unwrap();
    assert_eq!(signed.signature.signers, vec![1, 3]);
    let pk = p1.package().unwrap();
    let pk = GroupKeyExport::from_verifying_key(pk.verifying_key()).unwrap();
    assert!(verify_contract(
        &pk,
        &signed.signature.export().unwrap(),
        action.digest().as_slice()
    ));
    assert_eq!(
        signed.calldata,
        action
            .calldata(&signed.signature.export().unwrap())
            .unwrap()
    );

    // Signing the same package again: the nonces are used.
    let err = files::sign_share(
        &signer(3),
        &request,
        (&d.join("commitments").join("3.json"), &package),
        |_| Ok(true),
        &d.join("again.json"),
    )
    .unwrap_err();
    assert!(matches!(err, CouncilError::NonceReused(_)), "{err}");

    // A share file with a bad signature names its sender.
    let mut env: drawbridge_council::identity::Envelope =
        files::read_json(&d.join("shares").join("1.json")).unwrap();
    env.payload = env.payload.replace('a', "b");
    files::write_json(&d.join("shares").join("1.json"), &env).unwrap();
    let err = files::aggregate(
        &book,
        &request,
        &package,
        &d.join("shares"),
        &d.join("signed2.json"),
    )
    .unwrap_err();
    assert!(
        matches!(err, CouncilError::BadPackageSignature { sender: 1, .. }),
        "{err}"
    );
}

#[test]
fn dealer_files_export_the_group_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::from_seed([43; 32]);
    let gk = files::dealer(2, 3, &secrets(), tmp.path(), &mut rng).unwrap();
    let p: PublicFile = files::read_json(&tmp.path().join("public.json")).unwrap();
    assert_eq!(p.group_key, gk);
    assert_eq!(p.package().unwrap().verifying_key().serialize().unwrap(), {
        hex::decode(gk.compressed.trim_start_matches("0x")).unwrap()
    });
    let kp = secrets()
        .key_package(&tmp.path().join("key-2.json"))
        .unwrap();
    assert_eq!(kp.min_signers(), &2);
}
