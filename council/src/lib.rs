//! Drawbridge security council: FROST(secp256k1, KECCAK256) threshold keys for the
//! `SecurityCouncil` contract (docs/design.md "Security council", docs/council.md).
//!
//! - [`action`]: the actions members sign (EIP-712 digest exactly as the contract), builders,
//!   entry-point calldata and decoding for display.
//! - [`contract`]: group key and signatures in contract form, the challenge computed exactly as
//!   docs/council.md says, and a verifier doing the contract's check in plain arithmetic.
//! - [`signing`]: trusted-dealer key generation (devnets) and signing ceremonies.
//! - [`nonces`]: single-use nonces on disk, marked used before a share leaves the process.
//! - [`vectors`]: the shared test vectors file read by the Solidity tests.
//! - [`identity`], [`dkg`], [`keystore`]: member identities and address book, DKG with signed and
//!   encrypted packages, secrets encrypted at rest.
//! - [`files`]: file mode, every ceremony step reading and writing JSON files.
//! - [`protocol`], [`coordinator`], [`member`]: ceremonies through an untrusted coordinator (an
//!   axum server storing sessions with sqlx) and the member side that checks everything it relays.
//! - [`chain`]: reading a council's state and submitting signed actions.

pub mod action;
pub mod chain;
pub mod config;
pub mod contract;
pub mod coordinator;
pub mod dkg;
pub mod error;
pub mod files;
pub mod identity;
pub mod keystore;
pub mod member;
pub mod nonces;
pub mod protocol;
pub mod signing;
pub mod vectors;

pub use error::{CouncilError, Result};
pub use frost_secp256k1_evm as frost;
