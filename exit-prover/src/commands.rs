//! The commands as library functions: each checks what it can before sending anything and
//! returns a serializable report. The binary only parses arguments and prints reports; the
//! end-to-end tests call the same functions.

use alloy::primitives::{Address, U256};
use alloy::rpc::types::{Filter, TransactionReceipt};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use drawbridge_client::amount::AmountArg;
use drawbridge_client::chain::log_position;
use drawbridge_client::convert::{message_from_event, message_to_l1};
use drawbridge_client::format::format_time;
use drawbridge_client::reads::{
    bridged_token, known_tokens, l1_token_info, read, token_info_lenient, topic_u64,
};
use drawbridge_client::revert::erc20::IERC20;
use drawbridge_client::scan::scan_messages;
use drawbridge_client::{Amount, ClientError, Context, TokenArg, TokenInfo};
use drawbridge_protocol::{L1Message, MerkleTree, MessageKind};

use crate::ExitError;
use crate::outputs::{EscapeOutputInfo, OutputInfo, bridge};
pub use crate::outputs::{
    escape_output, l2_token_for, latest_final_output, output_info, require_escape_output,
};
use crate::proof::{EscapeProof, EscapeTarget, fetch_escape_proof};
use crate::report::{
    CouncilWait, EscapeReport, EscapedLine, ForceReport, ForcedStatus, FreezeReport, ReclaimReport,
    StatusReport,
};

fn event_in<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Option<E> {
    receipt.inner.logs().iter().find_map(|log| {
        (log.address() == emitter)
            .then(|| log.log_decode::<E>().ok().map(|l| l.inner.data))
            .flatten()
    })
}

/// What to prove for `account` and `l1_token`: against output `output` (any final output), or by
/// default against the escape output of the frozen bridge. Reads L1 only.
pub async fn escape_target(
    ctx: &Context,
    account: Address,
    l1_token: Address,
    output: Option<u64>,
) -> Result<EscapeTarget, ExitError> {
    let (output_index, l2_block_number, l2_state_root) = match output {
        Some(index) => {
            let o = output_info(ctx, index).await?;
            if !o.is_final {
                return Err(ClientError::OutputNotFinal {
                    index,
                    reason: "its challenge window is open or it is disputed; prove against a final output".into(),
                }
                .into());
            }
            (o.index, o.l2_block_number, o.l2_state_root)
        }
        None => match escape_output(ctx).await? {
            Some(Some(e)) => (e.output_index, e.l2_block_number, e.l2_state_root),
            Some(None) => return Err(ExitError::NoEscapeOutput),
            None => {
                return Err(ExitError::NotFrozen {
                    hint: ": pass --output INDEX to prove against a final output".into(),
                });
            }
        },
    };
    Ok(EscapeTarget {
        l1_token,
        l2_token: l2_token_for(ctx, l1_token).await?,
        account,
        output_index,
        l2_block_number,
        l2_state_root,
    })
}

/// `prove`: the escape proof of `account`'s balance of `l1_token` (see [`escape_target`]),
/// fetched from the L2 node and checked against the root on L1.
pub async fn prove(
    ctx: &Context,
    account: Address,
    l1_token: Address,
    output: Option<u64>,
) -> Result<EscapeProof, ExitError> {
    ctx.l1.check().await?;
    let target = escape_target(ctx, account, l1_token, output).await?;
    ctx.l2.check().await?;
    fetch_escape_proof(&ctx.l2, &target).await
}

/// `escape`: checks `proof` against the escape output and the token L1 expects, re-verifies both
/// trie proofs locally and that the account has not escaped yet, then sends
/// `L1Bridge.escape`. Only the account's own key may send it (`signer` must be `proof.account`,
/// an externally owned account: the contract refuses anyone else with `SenderNotEOA`); the account
/// is paid. Needs no L2 node.
pub async fn escape(
    ctx: &Context,
    signer: &PrivateKeySigner,
    proof: &EscapeProof,
) -> Result<EscapeReport, ExitError> {
    if signer.address() != proof.target.account {
        return Err(ExitError::NotAccountKey {
            account: proof.target.account,
            signer: signer.address(),
        });
    }
    ctx.l1.check().await?;
    let escape = require_escape_output(ctx).await?;
    let target = EscapeTarget {
        l1_token: proof.target.l1_token,
        l2_token: l2_token_for(ctx, proof.target.l1_token).await?,
        account: proof.target.account,
        output_index: escape.output_index,
        l2_block_number: escape.l2_block_number,
        l2_state_root: escape.l2_state_root,
    };
    let amount = proof.verify_against(&target)?;
    let bridge = bridge(ctx);
    if read(
        &ctx.l1,
        "reading L1Bridge.hasEscaped",
        bridge
            .hasEscaped(proof.target.l1_token, proof.target.account)
            .call(),
    )
    .await?
    {
        return Err(ExitError::AlreadyEscaped {
            l1_token: proof.target.l1_token,
            account: proof.target.account,
        });
    }
    let mut tokens = std::collections::BTreeMap::new();
    let token = token_info_lenient(ctx, &mut tokens, proof.target.l1_token).await;
    let writer = ctx.l1.writer(signer)?;
    let receipt = ctx
        .l1
        .send(
            "escape",
            IL1Bridge::new(ctx.deployment.l1.l1_bridge, &writer).escape(
                proof.target.l1_token,
                proof.target.account,
                proof.account_proof.clone(),
                proof.storage_proof.clone(),
            ),
        )
        .await?;
    let paid = event_in::<IL1Bridge::Escaped>(&receipt, ctx.deployment.l1.l1_bridge)
        .map(|e| e.amount)
        .ok_or_else(|| {
            ExitError::Inconsistent(format!(
                "escape tx {} succeeded but emitted no Escaped event",
                receipt.transaction_hash
            ))
        })?;
    if paid != amount {
        return Err(ExitError::Inconsistent(format!(
            "escape paid {paid} but the proof shows {amount}"
        )));
    }
    Ok(EscapeReport {
        account: proof.target.account,
        amount: Amount::new(paid, token.decimals),
        token,
        output_index: escape.output_index,
        tx_hash: receipt.transaction_hash,
        l1_block: receipt.block_number.unwrap_or_default(),
    })
}

/// `force`: asks for a forced withdrawal of `amount` (decimal, token units) of `token` held by
/// the signer's L2 account. Refuses a frozen bridge, and an amount above the L2 balance when the
/// L2 node can be asked (it may be the censor, so its silence does not stop the request).
pub async fn force(
    ctx: &Context,
    signer: &PrivateKeySigner,
    token: TokenArg,
    amount: &AmountArg,
) -> Result<ForceReport, ExitError> {
    ctx.l1.check().await?;
    let info = l1_token_info(ctx, token).await?;
    let value = amount.base_units(token == TokenArg::Eth, info.decimals)?;
    let account = signer.address();
    let bridge = bridge(ctx);
    if read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
        return Err(ClientError::Frozen.into());
    }
    let l2_balance = match l2_balance(ctx, info.l1_token, account).await {
        Ok(balance) => Some(balance),
        Err(error) => {
            tracing::warn!(%error, "cannot read the L2 balance; requesting without checking it");
            None
        }
    };
    if let Some(balance) = l2_balance
        && balance < value
    {
        return Err(ExitError::InvalidAmount {
            amount: value,
            reason: format!(
                "{account} holds {} on L2, less than {}",
                info.show(balance),
                info.show(value)
            ),
        });
    }
    let writer = ctx.l1.writer(signer)?;
    let receipt = ctx
        .l1
        .send(
            "requestForcedWithdrawal",
            IL1Bridge::new(ctx.deployment.l1.l1_bridge, &writer)
                .requestForcedWithdrawal(info.l1_token, value),
        )
        .await?;
    let event =
        event_in::<IL1Bridge::ForcedWithdrawalRequested>(&receipt, ctx.deployment.l1.l1_bridge)
            .ok_or_else(|| {
                ExitError::Inconsistent(format!(
                    "requestForcedWithdrawal tx {} succeeded but emitted no ForcedWithdrawalRequested event",
                    receipt.transaction_hash
                ))
            })?;
    Ok(ForceReport {
        nonce: event.nonce,
        account,
        amount: Amount::new(event.amount, info.decimals),
        token: info,
        freeze_at: event.freezeAt,
        l2_balance: l2_balance.map(|b| b.to_string()),
        tx_hash: receipt.transaction_hash,
        l1_block: receipt.block_number.unwrap_or_default(),
    })
}

async fn l2_balance(ctx: &Context, l1_token: Address, account: Address) -> Result<U256, ExitError> {
    ctx.l2.check().await?;
    match bridged_token(ctx, l1_token).await? {
        None => Ok(U256::ZERO),
        Some(token) => Ok(read(
            &ctx.l2,
            "reading the L2 token balance",
            IERC20::new(token, &ctx.l2.provider)
                .balanceOf(account)
                .call(),
        )
        .await?),
    }
}

/// The state of forced withdrawal `nonce`, or an error when it is not one.
pub async fn forced_status(
    ctx: &Context,
    nonce: u64,
    now: u64,
    latest_final: Option<&OutputInfo>,
    frozen: bool,
) -> Result<ForcedStatus, ExitError> {
    let bridge = bridge(ctx);
    let freeze_at = read(
        &ctx.l1,
        "reading L1Bridge.forcedWithdrawalFreezeAt",
        bridge.forcedWithdrawalFreezeAt(nonce).call(),
    )
    .await?;
    if freeze_at == 0 {
        let count = read(
            &ctx.l1,
            "reading L1Bridge.messageCount",
            bridge.messageCount().call(),
        )
        .await?;
        return Err(ExitError::CannotFreeze {
            nonce,
            reason: if nonce >= count {
                format!("there is no L1 message {nonce} (L1 has sent {count})")
            } else {
                "it is a deposit, not a forced withdrawal: NotForcedWithdrawal".into()
            },
        });
    }
    let can_freeze = read(
        &ctx.l1,
        "reading L1Bridge.canFreeze",
        bridge.canFreeze(nonce).call(),
    )
    .await?;
    let council_wait = council_wait(ctx, nonce, freeze_at).await?;
    let filter = Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::ForcedWithdrawalRequested::SIGNATURE_HASH)
        .topic1(topic_u64(nonce));
    let head = ctx.l1.head().await?;
    let logs = ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?;
    let log = logs.iter().find(|l| !l.removed).ok_or_else(|| {
        ExitError::Inconsistent(format!(
            "forced withdrawal {nonce} has a freeze time but no ForcedWithdrawalRequested event"
        ))
    })?;
    let event = log
        .log_decode::<IL1Bridge::ForcedWithdrawalRequested>()
        .map_err(|e| {
            ExitError::Inconsistent(format!("undecodable ForcedWithdrawalRequested: {e}"))
        })?
        .inner
        .data;
    let (l1_block, tx_hash) = log_position(log);
    let mut tokens = std::collections::BTreeMap::new();
    let token = token_info_lenient(ctx, &mut tokens, event.token).await;
    Ok(ForcedStatus::new(
        nonce,
        event.account,
        token,
        event.amount,
        freeze_at,
        council_wait,
        now,
        can_freeze,
        latest_final.map(|o| o.l1_messages_processed),
        frozen,
        tx_hash,
        l1_block,
    ))
}

/// The council-response extension the bridge applies now to forced withdrawal `nonce` (whose base
/// freeze time is `freeze_at`), as `L1Bridge` computes it: the first live output covering the
/// nonce (`OutputOracle.firstCovering`) was proposed within the forced-inclusion window and is not
/// final, so the freeze waits `councilResponseWindow` more.
pub async fn council_wait(
    ctx: &Context,
    nonce: u64,
    freeze_at: u64,
) -> Result<Option<CouncilWait>, ExitError> {
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    let covering = read(
        &ctx.l1,
        "reading OutputOracle.firstCovering",
        oracle.firstCovering(nonce).call(),
    )
    .await?;
    if !covering.found {
        return Ok(None);
    }
    let window = read(
        &ctx.l1,
        "reading L1Bridge.forcedInclusionWindow",
        bridge(ctx).forcedInclusionWindow().call(),
    )
    .await?;
    let period = read(
        &ctx.l1,
        "reading OutputOracle.challengePeriod",
        oracle.challengePeriod().call(),
    )
    .await?;
    // freezeAt = requestedAt + forcedInclusionWindow + challengePeriod.
    let requested_at = freeze_at.saturating_sub(window).saturating_sub(period);
    if covering.proposedAt > requested_at.saturating_add(window) {
        return Ok(None);
    }
    let index = covering.index;
    if read(
        &ctx.l1,
        "reading OutputOracle.isFinal",
        oracle.isFinal(index).call(),
    )
    .await?
    {
        return Ok(None);
    }
    let response_window = read(
        &ctx.l1,
        "reading OutputOracle.councilResponseWindow",
        oracle.councilResponseWindow().call(),
    )
    .await?;
    Ok(Some(CouncilWait {
        output_index: index.saturating_to(),
        response_window,
    }))
}

/// `status`: the clock and the freeze. With `nonce`, that forced withdrawal; with `account`, every
/// forced withdrawal it requested and, once frozen, whether it escaped with each known token.
pub async fn status(
    ctx: &Context,
    nonce: Option<u64>,
    account: Option<Address>,
) -> Result<StatusReport, ExitError> {
    ctx.l1.check().await?;
    let now = ctx.l1.now().await?;
    let frozen_state = escape_output(ctx).await?;
    let frozen = frozen_state.is_some();
    let latest_final = latest_final_output(ctx).await?;
    let mut forced = Vec::new();
    if let Some(n) = nonce {
        forced.push(forced_status(ctx, n, now, latest_final.as_ref(), frozen).await?);
    }
    let mut escaped = Vec::new();
    if let Some(a) = account {
        let filter = Filter::new()
            .address(ctx.deployment.l1.l1_bridge)
            .event_signature(IL1Bridge::ForcedWithdrawalRequested::SIGNATURE_HASH)
            .topic2(a.into_word());
        let head = ctx.l1.head().await?;
        let logs = ctx
            .l1
            .logs(&filter, ctx.deployment.l1.deploy_block, head)
            .await?;
        for log in logs.iter().filter(|l| !l.removed) {
            let n = log
                .log_decode::<IL1Bridge::ForcedWithdrawalRequested>()
                .map_err(|e| {
                    ExitError::Inconsistent(format!("undecodable ForcedWithdrawalRequested: {e}"))
                })?
                .inner
                .data
                .nonce;
            if Some(n) != nonce {
                forced.push(forced_status(ctx, n, now, latest_final.as_ref(), frozen).await?);
            }
        }
        if frozen {
            let bridge = bridge(ctx);
            let mut tokens = std::collections::BTreeMap::new();
            for t in known_tokens(ctx).await? {
                let done = read(
                    &ctx.l1,
                    "reading L1Bridge.hasEscaped",
                    bridge.hasEscaped(t, a).call(),
                )
                .await?;
                escaped.push(EscapedLine {
                    token: token_info_lenient(ctx, &mut tokens, t).await,
                    escaped: done,
                });
            }
        }
    }
    Ok(StatusReport {
        now,
        frozen,
        escape_output: frozen_state.flatten(),
        latest_final_output: latest_final,
        forced_inclusion_window: read(
            &ctx.l1,
            "reading L1Bridge.forcedInclusionWindow",
            bridge(ctx).forcedInclusionWindow().call(),
        )
        .await?,
        account,
        forced,
        escaped,
    })
}

/// `freeze`: freezes the bridge on overdue forced withdrawal `nonce`. Refuses (with the seconds
/// left, or the output that processed it) before sending when the contract would.
pub async fn freeze(
    ctx: &Context,
    signer: &PrivateKeySigner,
    nonce: u64,
) -> Result<FreezeReport, ExitError> {
    ctx.l1.check().await?;
    if escape_output(ctx).await?.is_some() {
        return Err(ExitError::CannotFreeze {
            nonce,
            reason: "the bridge is frozen already: BridgeFrozen".into(),
        });
    }
    let now = ctx.l1.now().await?;
    let latest_final = latest_final_output(ctx).await?;
    let forced = forced_status(ctx, nonce, now, latest_final.as_ref(), false).await?;
    if !forced.can_freeze {
        let reason = if forced.processed {
            format!(
                "a final output (index {}) has processed it: the operator included it: NotOverdue({nonce})",
                latest_final.as_ref().map(|o| o.index).unwrap_or_default()
            )
        } else if let (Some(wait), true) = (forced.council_wait, forced.seconds_left > 0) {
            format!(
                "output {} was proposed within the forced-inclusion window and covers it, but awaits the council's verdict: the freeze waits councilResponseWindow ({} s) more, until {} ({} s left): NotOverdue({nonce})",
                wait.output_index,
                wait.response_window,
                format_time(forced.freeze_at),
                forced.seconds_left
            )
        } else if forced.seconds_left > 0 {
            format!(
                "it is not overdue until {} ({} s left): NotOverdue({nonce})",
                format_time(forced.freeze_at),
                forced.seconds_left
            )
        } else {
            format!("L1Bridge.canFreeze({nonce}) is false: NotOverdue({nonce})")
        };
        return Err(ExitError::CannotFreeze { nonce, reason });
    }
    let writer = ctx.l1.writer(signer)?;
    let receipt = ctx
        .l1
        .send(
            "freeze",
            IL1Bridge::new(ctx.deployment.l1.l1_bridge, &writer).freeze(nonce),
        )
        .await?;
    let event =
        event_in::<IL1Bridge::Frozen>(&receipt, ctx.deployment.l1.l1_bridge).ok_or_else(|| {
            ExitError::Inconsistent(format!(
                "freeze tx {} succeeded but emitted no Frozen event",
                receipt.transaction_hash
            ))
        })?;
    let escape_output = if event.hasEscapeOutput {
        let index = event.escapeOutputIndex.to::<u64>();
        let o = output_info(ctx, index).await?;
        Some(EscapeOutputInfo {
            output_index: index,
            l2_block_number: o.l2_block_number,
            l2_state_root: event.l2StateRoot,
            withdrawal_root: event.withdrawalRoot,
            l1_messages_processed: event.l1MessagesProcessed,
        })
    } else {
        None
    };
    Ok(FreezeReport {
        forced_nonce: nonce,
        escape_output,
        tx_hash: receipt.transaction_hash,
        l1_block: receipt.block_number.unwrap_or_default(),
    })
}

/// The L1 message tree rebuilt from `MessageSent` events (from the deploy block, in bounded
/// ranges), checked gap-free, leaf by leaf against this deployment, and against `messageRoot()`
/// over `messageCount()` leaves.
pub async fn message_tree(ctx: &Context) -> Result<(Vec<L1Message>, MerkleTree), ExitError> {
    let bridge = bridge(ctx);
    let count = read(
        &ctx.l1,
        "reading L1Bridge.messageCount",
        bridge.messageCount().call(),
    )
    .await?;
    let root = read(
        &ctx.l1,
        "reading L1Bridge.messageRoot",
        bridge.messageRoot().call(),
    )
    .await?;
    let scanned = scan_messages(ctx, None).await?;
    let (chain_id, l1_bridge) = (ctx.deployment.l1.chain_id, ctx.deployment.l1.l1_bridge);
    let mut messages = Vec::with_capacity(scanned.len());
    for (expected, m) in scanned.iter().enumerate() {
        let e = &m.event;
        if e.nonce != expected as u64 {
            return Err(ExitError::Inconsistent(format!(
                "L1 MessageSent events skip from nonce {} to {} (the L1 node is missing logs)",
                expected, e.nonce
            )));
        }
        let message = message_from_event(e)
            .map_err(|err| ExitError::Inconsistent(format!("message {}: {err}", e.nonce)))?;
        let leaf = message.leaf(chain_id, l1_bridge);
        if leaf != e.leaf {
            return Err(ExitError::Inconsistent(format!(
                "L1 bridge reports leaf {} for message {}, but this deployment (L1 chain {chain_id}, bridge {l1_bridge}) gives {leaf}",
                e.leaf, e.nonce
            )));
        }
        messages.push(message);
    }
    if messages.len() as u64 != count {
        return Err(ExitError::Inconsistent(format!(
            "L1Bridge.messageCount() is {count} but {} MessageSent events were found",
            messages.len()
        )));
    }
    let tree = MerkleTree::from_leaves(messages.iter().map(|m| m.leaf(chain_id, l1_bridge)))
        .map_err(|e| ExitError::Inconsistent(format!("message tree: {e}")))?;
    if tree.root() != root {
        return Err(ExitError::Inconsistent(format!(
            "the rebuilt message tree has root {} but L1Bridge.messageRoot() is {root}",
            tree.root()
        )));
    }
    Ok((messages, tree))
}

/// `reclaim`: refunds deposit `nonce`, which the escape output had not processed, to its L1
/// sender. Anyone may send it. The proof is built from the rebuilt message tree and checked
/// against `messageRoot()` before sending.
pub async fn reclaim(
    ctx: &Context,
    signer: &PrivateKeySigner,
    nonce: u64,
) -> Result<ReclaimReport, ExitError> {
    ctx.l1.check().await?;
    let bridge = bridge(ctx);
    let processed = match escape_output(ctx).await? {
        None => {
            return Err(ExitError::NotFrozen {
                hint: ": deposits are refunded only once the bridge is frozen".into(),
            });
        }
        Some(e) => e.map(|e| e.l1_messages_processed).unwrap_or(0),
    };
    let count = read(
        &ctx.l1,
        "reading L1Bridge.messageCount",
        bridge.messageCount().call(),
    )
    .await?;
    if nonce >= count {
        return Err(ExitError::CannotRefund {
            nonce,
            reason: format!("there is no L1 message {nonce} (L1 has sent {count})"),
        });
    }
    if nonce < processed {
        return Err(ExitError::CannotRefund {
            nonce,
            reason: format!(
                "the escape output processed it on L2 (it processed messages below {processed}): the tokens are in the L2 balance, escape with them: MessageWasProcessed({nonce})"
            ),
        });
    }
    if read(
        &ctx.l1,
        "reading L1Bridge.isRefunded",
        bridge.isRefunded(nonce).call(),
    )
    .await?
    {
        return Err(ExitError::CannotRefund {
            nonce,
            reason: format!("it was refunded already: AlreadyRefunded({nonce})"),
        });
    }
    let (messages, tree) = message_tree(ctx).await?;
    let message = &messages[nonce as usize];
    if message.kind != MessageKind::Deposit {
        return Err(ExitError::CannotRefund {
            nonce,
            reason: format!("it is a forced withdrawal, not a deposit: NotADeposit({nonce})"),
        });
    }
    let proof = tree
        .proof(nonce, count)
        .map_err(|e| ExitError::Inconsistent(format!("message proof: {e}")))?;
    let leaf = message.leaf(ctx.deployment.l1.chain_id, ctx.deployment.l1.l1_bridge);
    if !drawbridge_protocol::verify(leaf, nonce, &proof, tree.root()) {
        return Err(ExitError::Inconsistent(format!(
            "the proof of message {nonce} does not verify against the message root"
        )));
    }
    let mut tokens = std::collections::BTreeMap::new();
    let token = token_info_lenient(ctx, &mut tokens, message.token).await;
    let call_message = message_to_l1(message);
    let writer = ctx.l1.writer(signer)?;
    let receipt = ctx
        .l1
        .send(
            "refundDeposit",
            IL1Bridge::new(ctx.deployment.l1.l1_bridge, &writer)
                .refundDeposit(call_message, proof.clone()),
        )
        .await?;
    if event_in::<IL1Bridge::DepositRefunded>(&receipt, ctx.deployment.l1.l1_bridge).is_none() {
        return Err(ExitError::Inconsistent(format!(
            "refundDeposit tx {} succeeded but emitted no DepositRefunded event",
            receipt.transaction_hash
        )));
    }
    Ok(ReclaimReport {
        nonce,
        sender: message.sender,
        amount: Amount::new(message.amount, token.decimals),
        token,
        proof_length: proof.len(),
        message_root: tree.root(),
        tx_hash: receipt.transaction_hash,
        l1_block: receipt.block_number.unwrap_or_default(),
    })
}

/// Token metadata for display (falls back to the address and 18 decimals).
pub async fn token_info(ctx: &Context, l1_token: Address) -> TokenInfo {
    let mut tokens = std::collections::BTreeMap::new();
    token_info_lenient(ctx, &mut tokens, l1_token).await
}
