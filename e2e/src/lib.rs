//! End-to-end tests of Drawbridge: the flows across both chains (deposit, withdrawal, finality,
//! disputes, council governance, censorship and escape, forged messages, crashes) driven through
//! the real binaries as processes against a fresh devnet each. The tests live in `tests/`; the
//! harness they use is `drawbridge-testkit`, shared with every crate's integration tests. This
//! crate holds no code of its own.
