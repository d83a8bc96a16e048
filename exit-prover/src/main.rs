//! `drawbridge-exit-prover`.
fn main() {}
