//! DKG with signed and encrypted packages; every rejection names its culprit.

use drawbridge_council::CouncilError;
use drawbridge_council::contract::{SignatureExport, keccak256, verify_contract};
use drawbridge_council::dkg::{self, KIND_ROUND1, Round1Payload};
use drawbridge_council::identity::{AddressBook, Envelope, MemberSecret};
use drawbridge_council::keystore::{self, KdfParams};
use drawbridge_council::signing::sign_in_memory;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const S: &str = "session-1";

fn council(n: u16, seed: u8) -> (Vec<MemberSecret>, AddressBook, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    let members: Vec<MemberSecret> = (1..=n)
        .map(|i| MemberSecret::generate(i, &format!("member-{i}"), &mut rng).unwrap())
        .collect();
    let book = AddressBook::new(members.iter().map(|m| m.public()).collect()).unwrap();
    (members, book, rng)
}

/// Round 1 of every member of a 2-of-3 council.
fn round1(
    members: &[MemberSecret],
    book: &AddressBook,
    rng: &mut ChaCha20Rng,
) -> (Vec<dkg::Round1State>, Vec<Envelope>) {
    members
        .iter()
        .map(|m| dkg::part1(m, book, S, 2, rng).unwrap())
        .unzip()
}

fn payload(env: &Envelope) -> Round1Payload {
    serde_json::from_slice(&hex::decode(&env.payload).unwrap()).unwrap()
}

/// Rounds 1 and 2 of every member: the round-1 envelopes, the round-2 states and every round-2
/// envelope.
fn rounds_1_and_2(
    members: &[MemberSecret],
    book: &AddressBook,
    rng: &mut ChaCha20Rng,
) -> (Vec<Envelope>, Vec<dkg::Round2State>, Vec<Envelope>) {
    let (states, r1) = round1(members, book, rng);
    let mut states2 = Vec::new();
    let mut r2 = Vec::new();
    for (m, s) in members.iter().zip(states) {
        let (s2, e) = dkg::part2(m, book, S, s, &r1, rng).unwrap();
        states2.push(s2);
        r2.extend(e);
    }
    (r1, states2, r2)
}

/// Round 1 with member `i`'s package edited and signed again: member 1's part 2 error.
fn edited_round1_err(
    members: &[MemberSecret],
    book: &AddressBook,
    rng: &mut ChaCha20Rng,
    i: usize,
    edit: impl FnOnce(&mut Round1Payload, &[Envelope]),
) -> CouncilError {
    let (mut states, mut envs) = round1(members, book, rng);
    let mut p = payload(&envs[i]);
    edit(&mut p, &envs);
    envs[i] = members[i].seal(KIND_ROUND1, S, 0, &serde_json::to_vec(&p).unwrap());
    part2_err(members, book, &mut states, &envs, rng)
}

/// Member 1's part 2 on `envs` with its first state; it must fail.
fn part2_err(
    members: &[MemberSecret],
    book: &AddressBook,
    states: &mut Vec<dkg::Round1State>,
    envs: &[Envelope],
    rng: &mut ChaCha20Rng,
) -> CouncilError {
    dkg::part2(&members[0], book, S, states.remove(0), envs, rng).unwrap_err()
}

#[test]
fn dkg_9_of_12_signs_for_the_contract() {
    let (members, book, mut rng) = council(12, 1);
    let keys = dkg::run_in_process(&members, &book, S, 9, &mut rng).unwrap();
    assert_eq!(keys.key_packages.len(), 12);
    let pk = keys.export().unwrap();
    for signers in [
        &[1u16, 2, 3, 4, 5, 6, 7, 8, 9][..],
        &[2, 4, 5, 6, 7, 8, 9, 11, 12],
    ] {
        let digest = keccak256(b"resolve dispute 7");
        let sig = sign_in_memory(&keys, signers, &digest, &mut rng).unwrap();
        let e = SignatureExport::from_signature(&sig).unwrap();
        assert!(verify_contract(&pk, &e, &digest));
    }
    // 8 signers are not enough.
    let sig = sign_in_memory(&keys, &[1, 2, 3, 4, 5, 6, 7, 8], &[0; 32], &mut rng);
    assert!(sig.is_err());
}

#[test]
fn unknown_member_is_named() {
    let (members, book, mut rng) = council(3, 2);
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    let stranger = MemberSecret::generate(7, "stranger", &mut rng).unwrap();
    let p = envs[1].clone();
    envs.push(stranger.seal(KIND_ROUND1, S, 0, &hex::decode(&p.payload).unwrap()));
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(matches!(err, CouncilError::UnknownMember(7)), "{err}");
    assert!(err.to_string().contains("unknown member 7"));
    // part1 by a member not in the book.
    assert!(matches!(
        dkg::part1(&stranger, &book, S, 2, &mut rng),
        Err(CouncilError::UnknownMember(7))
    ));
}

#[test]
fn bad_package_signature_is_named() {
    let (members, book, mut rng) = council(3, 3);
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    let mut p = payload(&envs[1]);
    p.commitment.swap(0, 1);
    envs[1].payload = hex::encode(serde_json::to_vec(&p).unwrap());
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(
        matches!(err, CouncilError::BadPackageSignature { sender: 2, .. }),
        "{err}"
    );
    // A sender claiming another member's id.
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    let forged = members[2].seal(KIND_ROUND1, S, 0, &hex::decode(&envs[1].payload).unwrap());
    envs[1] = Envelope {
        sender: 2,
        ..forged
    };
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(matches!(
        err,
        CouncilError::BadPackageSignature { sender: 2, .. }
    ));
}

#[test]
fn missing_proof_of_knowledge_is_named() {
    let (members, book, mut rng) = council(3, 4);
    let err = edited_round1_err(&members, &book, &mut rng, 2, |p, _| {
        p.proof_of_knowledge = None
    });
    assert!(
        matches!(err, CouncilError::MissingProofOfKnowledge(3)),
        "{err}"
    );
}

#[test]
fn forged_proof_of_knowledge_is_named() {
    let (members, book, mut rng) = council(3, 5);
    // Member 2 replays member 3's (valid, but not its own) proof, signed with its own key.
    let err = edited_round1_err(&members, &book, &mut rng, 1, |p, envs| {
        p.proof_of_knowledge = payload(&envs[2]).proof_of_knowledge
    });
    assert!(
        matches!(err, CouncilError::InvalidProofOfKnowledge(2)),
        "{err}"
    );
    // Garbage instead of a proof.
    let err = edited_round1_err(&members, &book, &mut rng, 2, |p, _| {
        p.proof_of_knowledge = Some("00".repeat(65))
    });
    assert!(
        matches!(err, CouncilError::InvalidProofOfKnowledge(3)),
        "{err}"
    );
}

#[test]
fn wrong_commitment_length_is_named() {
    let (members, book, mut rng) = council(3, 6);
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    // Member 3 uses threshold 3 instead of 2: three coefficient commitments.
    envs[2] = dkg::part1(&members[2], &book, S, 3, &mut rng).unwrap().1;
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(
        matches!(
            err,
            CouncilError::CommitmentLength {
                sender: 3,
                got: 3,
                expected: 2
            }
        ),
        "{err}"
    );
}

#[test]
fn duplicate_and_zero_identifiers_are_refused() {
    let (members, book, mut rng) = council(3, 7);
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    envs.push(envs[1].clone());
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(matches!(err, CouncilError::DuplicateIdentifier(2)), "{err}");

    let mut list: Vec<_> = members.iter().map(|m| m.public()).collect();
    list.push(members[1].public());
    assert!(matches!(
        AddressBook::new(list),
        Err(CouncilError::DuplicateIdentifier(2))
    ));
    let mut zero = members[0].public();
    zero.id = 0;
    assert!(matches!(
        AddressBook::new(vec![zero, members[1].public()]),
        Err(CouncilError::ZeroIdentifier)
    ));
    assert!(matches!(
        MemberSecret::generate(0, "zero", &mut rng),
        Err(CouncilError::ZeroIdentifier)
    ));
    // An envelope claiming sender 0.
    let (mut states, mut envs) = round1(&members, &book, &mut rng);
    envs[1].sender = 0;
    let err = part2_err(&members, &book, &mut states, &envs, &mut rng);
    assert!(matches!(err, CouncilError::ZeroIdentifier), "{err}");
}

#[test]
fn missing_package_and_other_session_are_refused() {
    let (members, book, mut rng) = council(3, 8);
    let (mut states, envs) = round1(&members, &book, &mut rng);
    let err = dkg::part2(
        &members[0],
        &book,
        S,
        states.remove(0),
        &envs[..2],
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, CouncilError::MissingPackage(3)), "{err}");
    let (mut states, envs) = round1(&members, &book, &mut rng);
    let err = dkg::part2(
        &members[0],
        &book,
        "other",
        states.remove(0),
        &envs,
        &mut rng,
    )
    .unwrap_err();
    assert!(
        matches!(err, CouncilError::Misaddressed { sender: 1, .. }),
        "{err}"
    );
}

#[test]
fn round2_packages_are_encrypted_signed_and_addressed() {
    let (members, book, mut rng) = council(3, 9);
    let (r1, states2, r2) = rounds_1_and_2(&members, &book, &mut rng);
    let to1: Vec<Envelope> = r2.iter().filter(|e| e.recipient == 1).cloned().collect();
    assert_eq!(to1.len(), 2);
    // The secret share is not readable in the envelope.
    let state_bytes = states2[1].to_bytes().unwrap();
    assert!(!to1[0].payload.is_empty() && !state_bytes.is_empty());

    // Ciphertext changed and re-signed by its sender: does not decrypt.
    let mut bad = to1.clone();
    let mut p: dkg::Round2Payload =
        serde_json::from_slice(&hex::decode(&bad[0].payload).unwrap()).unwrap();
    let mut ct = hex::decode(&p.ciphertext).unwrap();
    ct[0] ^= 1;
    p.ciphertext = hex::encode(ct);
    let sender = bad[0].sender;
    bad[0] =
        members[sender as usize - 1].seal(dkg::KIND_ROUND2, S, 1, &serde_json::to_vec(&p).unwrap());
    let err = dkg::part3(&members[0], &book, S, &states2[0], &r1, &bad).unwrap_err();
    assert!(
        matches!(err, CouncilError::Decryption { sender: s, recipient: 1 } if s == sender),
        "{err}"
    );
    // Changed without re-signing: bad signature.
    let mut bad = to1.clone();
    bad[1].payload = bad[0].payload.clone();
    let err = dkg::part3(&members[0], &book, S, &states2[0], &r1, &bad).unwrap_err();
    assert!(
        matches!(err, CouncilError::BadPackageSignature { .. }),
        "{err}"
    );
    // A package addressed to member 2 given to member 1.
    let mut bad = to1.clone();
    bad[0] = r2.iter().find(|e| e.recipient == 2).unwrap().clone();
    let err = dkg::part3(&members[0], &book, S, &states2[0], &r1, &bad).unwrap_err();
    assert!(matches!(err, CouncilError::Misaddressed { .. }), "{err}");

    // The honest run completes, and all members agree on the group key.
    let mut keys = Vec::new();
    for (m, s) in members.iter().zip(&states2) {
        let mine: Vec<Envelope> = r2.iter().filter(|e| e.recipient == m.id).cloned().collect();
        keys.push(dkg::part3(m, &book, S, s, &r1, &mine).unwrap().1);
    }
    assert!(keys.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn secrets_at_rest_need_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::from_seed([10; 32]);
    let params = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let m = MemberSecret::generate(4, "dora", &mut rng).unwrap();
    let path = dir.path().join("identity.json");
    keystore::save(
        &path,
        &m.to_bytes().unwrap(),
        "correct horse",
        params,
        &mut rng,
    )
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("argon2id"));
    let back = MemberSecret::from_bytes(&keystore::load(&path, "correct horse").unwrap()).unwrap();
    assert_eq!(back.public(), m.public());
    match keystore::load(&path, "wrong") {
        Err(e @ CouncilError::WrongPassphrase(_)) => {
            assert!(e.to_string().contains("wrong passphrase"))
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn wrong_secret_share_is_named() {
    use drawbridge_council::frost::keys::SigningShare;
    use drawbridge_council::frost::keys::dkg::round2;
    let (members, book, mut rng) = council(3, 11);
    let (r1, states2, r2) = rounds_1_and_2(&members, &book, &mut rng);
    let mut to1: Vec<Envelope> = r2.iter().filter(|e| e.recipient == 1).cloned().collect();
    // Member 2 sends member 1 a share that does not match its commitment, properly encrypted
    // and signed.
    let mut bytes = [0u8; 32];
    bytes[31] = 5;
    let bogus = round2::Package::new(SigningShare::deserialize(&bytes).unwrap());
    let pos = to1.iter().position(|e| e.sender == 2).unwrap();
    let view = dkg::round1_view(&r1).unwrap();
    to1[pos] = dkg::seal_round2(&members[1], &book, S, 1, &bogus, &view, &mut rng).unwrap();
    let err = dkg::part3(&members[0], &book, S, &states2[0], &r1, &to1).unwrap_err();
    assert!(matches!(err, CouncilError::InvalidSecretShare(2)), "{err}");
}
