//! Drawbridge security council: FROST(secp256k1, KECCAK256) threshold keys for the
//! `SecurityCouncil` contract (docs/design.md "Security council", docs/council.md).
//!
//! This library owns everything the council does: member identities and keys, DKG and the
//! trusted dealer, signing ceremonies, single-use nonces, and the actions members sign (built,
//! checked, encoded and decoded here and nowhere else). It talks to the outside only through
//! its transports, kept apart from that core: [`files`] (file mode), [`coordinator`] and
//! [`member`] (HTTP), [`chain`] (JSON-RPC). The `drawbridge-council` binary only parses
//! arguments and prints results; other crates (the devnet) build and sign actions with these
//! same types. A secret never leaves this crate unencrypted on disk, and a member never signs a
//! digest it did not compute itself from the action.
//!
//! Modules, lowest first; a module uses only modules listed before it (doc links aside):
//! - [`error`], [`disk`]: the error type; durable writes and JSON files.
//! - [`contract`]: group key and signatures in contract form, the challenge computed exactly as
//!   docs/council.md says, a verifier doing the contract's check in plain arithmetic, and the
//!   public file formats ([`contract::PublicFile`], [`contract::SignatureFile`]).
//! - [`group`]: member ids as FROST identifiers, the threshold rule, a group's key packages.
//! - [`keystore`], [`identity`]: secrets encrypted at rest; member identities, address book and
//!   signed envelopes.
//! - [`nonces`]: single-use nonces on disk, marked used before a share leaves the process.
//! - [`dkg`], [`signing`]: DKG with signed and encrypted packages; trusted-dealer key generation
//!   (devnets) and signing.
//! - [`action`]: the actions members sign (EIP-712 digest exactly as the contract), built per
//!   kind ([`action::build`]), encoded as entry-point calldata ([`action::encode`]) and decoded
//!   for display ([`action::display`]).
//! - [`chain`]: reading a council's state and submitting signed actions.
//! - [`protocol`], [`member`], [`coordinator`]: ceremonies through an untrusted coordinator (an
//!   axum server storing sessions with sqlx) and the member side that checks everything it relays.
//! - [`files`]: file mode, every ceremony step reading and writing JSON files.
//! - [`config`], [`vectors`]: the coordinator's settings; the shared test vectors file read by
//!   the Solidity tests.

pub mod action;
pub mod chain;
pub mod config;
pub mod contract;
pub mod coordinator;
pub mod disk;
pub mod dkg;
pub mod error;
pub mod files;
pub mod group;
pub mod identity;
pub mod keystore;
pub mod member;
pub mod nonces;
pub mod protocol;
pub mod signing;
pub mod vectors;

pub use error::{CouncilError, Result};
pub use frost_secp256k1_evm as frost;
