//! The Drawbridge exit prover, as a library; the `drawbridge-exit-prover` binary is a thin wrapper
//! around [`run`].
//!
//! It lets a user leave when the operator censors them (docs/design.md, "Forced withdrawal,
//! freeze and escape"), with functions the end-to-end tests call directly:
//! - [`commands::force`]: `L1Bridge.requestForcedWithdrawal` for the signer's L2 account;
//! - [`commands::status`]: the countdown to a forced withdrawal's `freezeAt` on L1's clock,
//!   `canFreeze`, the newest final output and the escape output;
//! - [`commands::freeze`]: `L1Bridge.freeze` once a forced withdrawal is overdue;
//! - [`proof`] and [`commands::prove`]: the escape proof — account proof of the L2 `BridgedToken`
//!   and storage proof of the account's balance slot, from `eth_getProof` at the escape output's
//!   L2 block on any L2 node, checked locally with `alloy-trie` against the root L1 holds;
//! - [`commands::escape`]: `L1Bridge.escape` with a checked proof (from a file, the kit, or
//!   fetched now), sent with the account's own key (the contract pays only `msg.sender ==
//!   tx.origin == account`);
//! - [`commands::reclaim`]: `L1Bridge.refundDeposit` for a deposit the escape output had not
//!   processed, proven against the message tree rebuilt from L1 events;
//! - [`kit`]: the escape kit, a SQLite file of fresh proofs at every new final output, so that
//!   escaping works after the L2 node is gone.
//!
//! Everything is checked before anything is sent; contract reverts are decoded by name through
//! `drawbridge_client`'s decoder, which the connections, keys, reads and deployment loading come
//! from too. This crate must not depend on the `drawbridge` CLI: what both tools need lives in
//! `drawbridge_client`, pure protocol rules in `drawbridge_protocol`.

pub mod args;
pub mod commands;
mod error;
pub mod kit;
pub mod outputs;
pub mod proof;
pub mod report;

use std::future::Future;

pub use args::{Cli, Command};
pub use error::ExitError;
pub use proof::{
    EscapeProof, EscapeTarget, TokenAccount, balance_slot, build_escape_proof, fetch_escape_proof,
};
pub use report::Report;

use drawbridge_client::{Amount, Context, KeySource};

use crate::args::{EscapeArgs, KitAction, KitArgs, KitExportArgs};
use crate::report::{KitExportReport, KitWatchReport, ProveReport};

/// Runs one command line to its report. `shutdown` ends `kit` watch mode (the binary passes
/// SIGTERM/Ctrl-C); other commands ignore it.
///
/// Every transaction it sends is recorded in `txs` the moment a node accepts it (the binary shows
/// the hash at once).
pub async fn run<F: Future<Output = ()>>(
    cli: &Cli,
    txs: drawbridge_client::TxLog,
    shutdown: F,
) -> Result<Report, ExitError> {
    let ctx = cli
        .chains
        .context()?
        .with_sending(txs, drawbridge_client::chain::RECEIPT_TIMEOUT);
    let keys = &cli.keys;
    Ok(match &cli.command {
        Command::Force(a) => {
            let signer = keys.load()?;
            Report::Force(commands::force(&ctx, &signer, a.token, &a.amount).await?)
        }
        Command::Status(a) => {
            let account = match a.account {
                Some(account) => Some(account),
                None if a.nonce.is_none() && keys.is_configured() => Some(keys.load()?.address()),
                None => None,
            };
            Report::Status(commands::status(&ctx, a.nonce, account).await?)
        }
        Command::Freeze(a) => {
            let signer = keys.load()?;
            Report::Freeze(commands::freeze(&ctx, &signer, a.nonce).await?)
        }
        Command::Prove(a) => {
            let proof = commands::prove(&ctx, a.account, a.token.l1_address(), a.output).await?;
            if let Some(path) = &a.out {
                proof.save(path)?;
            }
            let token = commands::token_info(&ctx, proof.target.l1_token).await;
            Report::Prove(Box::new(ProveReport {
                amount: Amount::new(proof.balance, token.decimals),
                token,
                written_to: a.out.as_ref().map(|p| p.display().to_string()),
                proof,
            }))
        }
        Command::Escape(a) => Report::Escape(escape(&ctx, keys, a).await?),
        Command::Reclaim(a) => {
            let signer = keys.load()?;
            Report::Reclaim(commands::reclaim(&ctx, &signer, a.nonce).await?)
        }
        Command::Kit(KitArgs {
            action: Some(KitAction::Export(a)),
            ..
        }) => Report::KitExport(kit_export(&ctx, a).await?),
        Command::Kit(KitArgs {
            action: None,
            watch,
        }) => {
            let db = watch.db.as_ref().ok_or_else(|| {
                ExitError::Usage("kit needs --db FILE (or DRAWBRIDGE_KIT_DB)".into())
            })?;
            if watch.accounts.is_empty() || watch.tokens.is_empty() {
                return Err(ExitError::Usage(
                    "kit needs --accounts A,B and --tokens eth,T (or DRAWBRIDGE_KIT_ACCOUNTS / DRAWBRIDGE_KIT_TOKENS)".into(),
                ));
            }
            ctx.l1.check().await?;
            let tokens: Vec<_> = watch.tokens.iter().map(|t| t.l1_address()).collect();
            let store = kit::Kit::open(db, true).await?;
            let (rounds, last) = if watch.once {
                store.bind(&ctx.deployment).await?;
                let outcome = kit::refresh(&ctx, &store, &watch.accounts, &tokens).await?;
                if !outcome.stored.is_empty() {
                    store.prune(watch.keep as usize).await?;
                }
                (1, Some(outcome))
            } else {
                let rounds = kit::watch(
                    &ctx,
                    &store,
                    &watch.accounts,
                    &tokens,
                    watch.interval,
                    watch.keep as usize,
                    shutdown,
                )
                .await?;
                (rounds, None)
            };
            let outputs = store.outputs().await?;
            store.close().await;
            Report::KitWatch(KitWatchReport {
                db: db.display().to_string(),
                rounds,
                outputs,
                last,
            })
        }
    })
}

async fn escape(
    ctx: &Context,
    keys: &KeySource,
    a: &EscapeArgs,
) -> Result<report::EscapeReport, ExitError> {
    let signer = keys.load()?;
    // Refused before any proof is fetched: only the account's own key may escape its balance.
    if signer.address() != a.account {
        return Err(ExitError::NotAccountKey {
            account: a.account,
            signer: signer.address(),
        });
    }
    let l1_token = a.token.l1_address();
    let proof = if let Some(path) = &a.proof {
        EscapeProof::load(path)?
    } else if let Some(db) = &a.kit {
        let store = kit::Kit::open(db, false).await?;
        store.bind(&ctx.deployment).await?;
        ctx.l1.check().await?;
        let escape_output = outputs::require_escape_output(ctx).await?;
        let proof = store
            .escape_proof(escape_output.output_index, l1_token, a.account)
            .await;
        store.close().await;
        proof?
    } else {
        commands::prove(ctx, a.account, l1_token, None).await?
    };
    if proof.target.account != a.account || proof.target.l1_token != l1_token {
        return Err(ExitError::ProofMismatch(format!(
            "it proves {}'s balance of L1 token {}, but --address {} --token {} were given",
            proof.target.account, proof.target.l1_token, a.account, l1_token
        )));
    }
    commands::escape(ctx, &signer, &proof).await
}

async fn kit_export(ctx: &Context, a: &KitExportArgs) -> Result<KitExportReport, ExitError> {
    let store = kit::Kit::open(&a.db, false).await?;
    store.bind(&ctx.deployment).await?;
    let l1_token = a.token.map(|t| t.l1_address());
    let mut entries = store.entries(a.account, l1_token).await?;
    store.close().await;
    if let Some(index) = a.output {
        entries.retain(|e| e.output_index == index);
    }
    let written_to = match &a.out {
        None => None,
        Some(path) => {
            let (Some(account), Some(token)) = (a.account, l1_token) else {
                return Err(ExitError::Usage(
                    "kit export --out needs --address and --token (one proof per file)".into(),
                ));
            };
            let proof = entries
                .iter()
                .find_map(|e| e.proof.clone())
                .ok_or_else(|| ExitError::NotInKit {
                    path: a.db.display().to_string(),
                    account,
                    l1_token: token,
                    detail: a
                        .output
                        .map(|i| format!(" at output {i}"))
                        .unwrap_or_default(),
                })?;
            proof.save(path)?;
            Some(path.display().to_string())
        }
    };
    Ok(KitExportReport {
        entries,
        written_to,
    })
}
