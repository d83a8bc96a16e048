//! The Drawbridge relayer.
//!
//! It follows both chains up to `head - confirmations`, keeps what it saw in a database (SQLite
//! through sqlx, migrations in `relayer/migrations`) and acts in three roles, each of which can be
//! switched on alone:
//!
//! - **deliver**: ingests L1 `MessageSent` and `MessageRootCommitted` events, commits the L1
//!   message root when confirmed messages are not yet covered, publishes committed roots to the L2
//!   `L1RootOracle`, and relays L1 messages to `L2Bridge.relayMessages` in nonce order, batched,
//!   with short Merkle proofs;
//! - **propose**: every `output_interval` L2 blocks, posts an output of a confirmed L2 block to
//!   `OutputOracle.propose` with the proposer bond, then releases and withdraws its bonds;
//! - **finalize**: ingests L2 `WithdrawalInitiated` events and finalizes, batched, every
//!   withdrawal that the newest final output covers, once that output passed its own checks (its
//!   withdrawal tree, the leaves L2 consumed against L1's, the watchdog's recomputation); a wrong
//!   final output is refused (`wrong_output_not_finalized`) and the next older one is used;
//! - **watchdog** (off by default): recomputes every proposed output from its own L2 node and
//!   challenges a wrong one with the challenger bond inside its window; checks every L1 root
//!   published on L2 exists on L1 and raises an alert when one does not; compares every leaf L2
//!   consumed with L1's leaf at that nonce (`forged_l1_message`); and runs the conservation
//!   monitor (per token, L2 supply plus unpaid withdrawals against L1's escrow,
//!   `unbacked_supply`).
//!
//! Whatever the relayer stores from L1 logs is first checked against L1 state read by `eth_call`
//! at the confirmed block hash (the message tree's root and count, each committed root's count);
//! a node whose logs contradict its state halts the role (`l1_logs_inconsistent`) and nothing of
//! it is stored, published, relayed or proposed.
//!
//! Chain state is the source of truth: before each transaction the relayer re-reads it, and
//! every transaction is signed locally and recorded (with its hash and raw bytes) in the
//! `submissions` table **before** it is broadcast, so a restart reconciles it by its receipt and
//! never skips or double-sends work.
//!
//! Layout, lowest first: `role`, `error` and `config/` (file, environment and flags layered);
//! `store/` (one module per table group); the chain plumbing (`chain`, `follow`, `heads`, `txs`,
//! `lease`); the shared `Context` the roles work on (`context`, with the output claim, the
//! consumed-message check and event decoding beside it); `roles/` (deliver, propose, finalize,
//! watchdog), none importing another; `api/` and `metrics` read what the roles record;
//! [`Relayer`] schedules the roles. It owns the relayer service and nothing users run: the user
//! tools read chains through `drawbridge-client`, and the protocol rules the roles apply (leaves,
//! trees, output status, which output pays) come from `drawbridge-protocol`, never a copy here.
//!
//! Layout, lowest first: `role`, `error` and `config/` (file, environment and flags layered);
//! `store/` (one module per table group); the chain plumbing (`chain`, `follow`, `heads`, `txs`,
//! `lease`); the shared `Context` the roles work on (`context`, with the output claim, the
//! consumed-message check and event decoding beside it); `roles/` (deliver, propose, finalize,
//! watchdog), none importing another; `api/` and `metrics` read what the roles record;
//! [`Relayer`] schedules the roles. It owns the relayer service and nothing users run: the user
//! tools read chains through `drawbridge-client`, and the protocol rules the roles apply (leaves,
//! trees, output status, which output pays) come from `drawbridge-protocol`, never a copy here.
//!
//! Use it in-process with [`RelayerConfig`] and [`Relayer`]:
//!
//! ```no_run
//! # async fn demo(config: drawbridge_relayer::RelayerConfig) -> Result<(), drawbridge_relayer::Error> {
//! let relayer = drawbridge_relayer::Relayer::new(config).await?;
//! relayer.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
//! # Ok(()) }
//! ```

mod api;
mod chain;
mod claim;
pub mod config;
mod consumed;
mod context;
mod error;
mod events;
mod follow;
mod heads;
mod lease;
mod metrics;
mod monitor;
mod payable;
mod relayer;
mod role;
mod roles;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod testing;
mod txs;

pub use config::{ConfigArgs, FileConfig, RelayerConfig, Role, Secrets};
pub use error::Error;
pub use relayer::Relayer;
pub use store::{
    Backend, Lease, MessageRow, Status, Store, Submission, SubmissionState, WithdrawalRow,
};
