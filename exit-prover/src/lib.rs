//! The Drawbridge exit prover, as a library; the `drawbridge-exit-prover` binary is a thin wrapper.
//!
//! It lets a user leave when the operator censors them (DESIGN.md, "Forced withdrawal, freeze,
//! escape"):
//! - [`proof`]: escape proofs — the account proof of an L2 `BridgedToken` and the storage proof of
//!   an account's balance slot under an output's `l2StateRoot`, fetched with `eth_getProof` and
//!   checked locally with `alloy-trie` before anything is sent.

mod error;
pub mod proof;

pub use error::ExitError;
pub use proof::{
    EscapeProof, EscapeTarget, TokenAccount, balance_slot, build_escape_proof, fetch_escape_proof,
};
