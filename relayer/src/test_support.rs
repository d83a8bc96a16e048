//! Helpers shared by this crate's unit tests: a watchdog store on a fresh SQLite file, and a
//! submission recorded (and optionally broadcast) exactly as `submit` records one, to reproduce a
//! crash between the two.

use alloy::primitives::B256;

use crate::chain::{Call, Simulation, Work};
use crate::context::{Context, Layer};
use crate::role::Role;
use crate::store::{Fence, NewSubmission, Store, SubmissionState};

/// A store on a fresh SQLite file `name` in a temporary directory (kept alive by the returned
/// guard), with the watchdog lease held by `w`.
pub(crate) async fn watchdog_store(name: &str) -> (tempfile::TempDir, Store, Fence) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let store = Store::open(&url).await.unwrap();
    let fence = store
        .try_acquire(
            Role::Watchdog,
            &std::sync::Arc::from("w"),
            std::time::Duration::from_secs(60),
            true,
        )
        .await
        .unwrap()
        .unwrap();
    (dir, store, fence)
}

/// Simulates, signs and records `call` for `work` on `side` as `submit` does, broadcasts it when
/// `broadcast`, and returns its hash without recording anything more (a crash right after).
pub(crate) async fn record_and_crash(
    ctx: &Context,
    side: Layer,
    work: &Work,
    call: &Call,
    broadcast: bool,
) -> B256 {
    let chain = ctx.chain(side);
    let Simulation::Ok(gas) = chain.simulate(call).await.unwrap() else {
        panic!("{} would revert", work.kind());
    };
    let signed = chain.sign(call, gas).await.unwrap();
    ctx.store
        .insert_submission(
            &ctx.fence(work.role()).unwrap(),
            &NewSubmission {
                tx_hash: signed.hash,
                chain: chain.key,
                role: work.role().as_str(),
                kind: work.kind(),
                work: &work.to_json(),
                sender: chain.from,
                tx_nonce: signed.nonce,
                raw_tx: &signed.raw,
            },
        )
        .await
        .unwrap();
    if broadcast {
        assert!(chain.broadcast(signed.hash, &signed.raw).await.unwrap());
    }
    signed.hash
}

/// Asserts that the submissions of `kind` on the database at `url` are exactly the `expected`
/// transactions, in order, each confirmed with outcome `ok` (nothing else was sent).
pub(crate) async fn assert_sent_exactly(url: &str, kind: &str, expected: &[B256]) {
    let store = Store::open(url).await.unwrap();
    let sent: Vec<_> = store
        .submissions()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == kind)
        .collect();
    assert_eq!(sent.len(), expected.len(), "{sent:?}");
    for (s, hash) in sent.iter().zip(expected) {
        assert_eq!(s.tx_hash, *hash, "{s:?}");
        assert_eq!(s.state, SubmissionState::Confirmed, "{s:?}");
        assert_eq!(s.outcome.as_deref(), Some("ok"), "{s:?}");
    }
    store.close().await;
}

/// Sends `call` and asserts that it landed (mined, successful).
pub(crate) async fn landed<P, D>(call: alloy::contract::CallBuilder<P, D>)
where
    P: alloy::providers::Provider,
    D: alloy::contract::CallDecoder,
{
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
}
