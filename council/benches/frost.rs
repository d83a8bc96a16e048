//! 9-of-12 FROST benchmarks: round 1, round 2, aggregate, whole DKG.
//! Run with `cargo bench -p drawbridge-council --bench frost`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use drawbridge_council::contract::keccak256;
use drawbridge_council::dkg;
use drawbridge_council::frost;
use drawbridge_council::identity::{AddressBook, MemberSecret};
use drawbridge_council::signing::{aggregate, signing_package, trusted_dealer};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const T: u16 = 9;
const N: u16 = 12;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    let keys = trusted_dealer(T, N, &mut rng).unwrap();
    let signers: Vec<u16> = (1..=T).collect();
    let digest = keccak256(b"bench");
    let kp1 = &keys.key_packages[&1];

    c.bench_function("9-of-12 round 1 (one signer)", |b| {
        b.iter(|| black_box(frost::round1::commit(kp1.signing_share(), &mut rng)))
    });

    let mut nonces = BTreeMap::new();
    let mut commitments = BTreeMap::new();
    for id in &signers {
        let (n, cm) = frost::round1::commit(keys.key_packages[id].signing_share(), &mut rng);
        nonces.insert(*id, n);
        commitments.insert(*id, cm);
    }
    let package = signing_package(&commitments, &digest).unwrap();
    c.bench_function("9-of-12 round 2 (one signer)", |b| {
        b.iter(|| black_box(frost::round2::sign(&package, &nonces[&1], kp1).unwrap()))
    });

    let shares: BTreeMap<u16, _> = signers
        .iter()
        .map(|id| {
            let s = frost::round2::sign(&package, &nonces[id], &keys.key_packages[id]).unwrap();
            (*id, s)
        })
        .collect();
    c.bench_function("9-of-12 aggregate (with share verification)", |b| {
        b.iter(|| black_box(aggregate(&package, &shares, &keys.public).unwrap()))
    });

    let members: Vec<MemberSecret> = (1..=N)
        .map(|i| MemberSecret::generate(i, &format!("m{i}"), &mut rng).unwrap())
        .collect();
    let book = AddressBook::new(members.iter().map(|m| m.public()).collect()).unwrap();
    let mut group = c.benchmark_group("dkg");
    group.sample_size(10);
    group.bench_function(
        "9-of-12 whole DKG, all 12 members, signed + encrypted packages",
        |b| {
            b.iter(|| {
                black_box(dkg::run_in_process(&members, &book, "bench", T, &mut rng).unwrap())
            })
        },
    );
    group.finish();
}

mod group {
    //! criterion's generated group function has no doc comment.
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
