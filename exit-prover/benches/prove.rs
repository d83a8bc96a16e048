//! Time to build and check one account's escape proofs against a local anvil L2: the L2 block's
//! state root check, `eth_getProof` for the bridged token and the balance slot, and the local
//! `alloy-trie` verification of both proofs.
//!
//! Set-up (not timed): a devnet, a real deposit delivered by the real relayer, and a final output.
//! Prints p50/p95 of 200 timed runs against the L2 anvil itself, then 200 through the devnet's
//! sequencer gate (the JSON-RPC proxy users talk to, for comparison), then criterion's own
//! estimate against anvil.
//!
//! `cargo bench -p drawbridge-exit-prover --bench prove`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use alloy::primitives::Address;
use criterion::Criterion;
use drawbridge_exit_prover::{EscapeTarget, fetch_escape_proof};
use drawbridge_relayer::Role;

fn setup(rt: &tokio::runtime::Runtime) -> (common::ExitProverBed, EscapeTarget) {
    rt.block_on(async {
        let bed = common::ExitProverBed::start().await;
        let relayer = bed
            .relayer(&[Role::Deliver, Role::Propose], "relayer.sqlite")
            .await;
        let user = bed.user(0);
        bed.deposit_eth(&user, common::units(2)).await;
        let (index, output) = bed.final_output_with(1).await;
        relayer.stop().await;
        let ctx = bed.context();
        let l2_token = drawbridge_exit_prover::commands::l2_token_for(&ctx, Address::ZERO)
            .await
            .expect("l2TokenFor");
        let target = EscapeTarget {
            l1_token: Address::ZERO,
            l2_token,
            account: user.address(),
            output_index: index,
            l2_block_number: output.l2BlockNumber,
            l2_state_root: output.l2StateRoot,
        };
        (bed, target)
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn prove(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (bed, target) = setup(&rt);
    // Straight to the L2 anvil: what the target is about.
    let ctx = drawbridge_client::Context::new(
        bed.devnet.deployment.clone(),
        None,
        Some(&bed.devnet.l2_anvil_url()),
    )
    .expect("context");
    let gated = bed.context();

    for (label, ctx) in [("L2 anvil", &ctx), ("through the sequencer gate", &gated)] {
        let mut samples: Vec<Duration> = (0..200)
            .map(|_| {
                let start = Instant::now();
                let proof = rt
                    .block_on(fetch_escape_proof(&ctx.l2, &target))
                    .expect("the proof builds and checks");
                let elapsed = start.elapsed();
                assert_eq!(proof.balance, common::units(2));
                elapsed
            })
            .collect();
        samples.sort();
        println!(
            "build + check one account's proofs, {label} (200 runs): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            percentile(&samples, 50.0).as_secs_f64() * 1e3,
            percentile(&samples, 95.0).as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3,
        );
    }

    c.bench_function("build_and_check_escape_proof", |b| {
        b.iter(|| {
            rt.block_on(fetch_escape_proof(&ctx.l2, &target))
                .expect("the proof builds and checks")
        })
    });
    drop(bed);
}

mod group {
    //! criterion's generated group function has no doc comment.
    #![allow(missing_docs)]
    criterion::criterion_group! {
        name = benches;
        config = criterion::Criterion::default()
            .sample_size(50)
            .measurement_time(std::time::Duration::from_secs(10));
        targets = super::prove
    }
}

criterion::criterion_main!(group::benches);
