//! The commands.

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_protocol::{MerkleTree, verify};

use drawbridge_client::amount::{check_amount_syntax, format_amount, parse_amount};
use drawbridge_client::convert::{message_from_event, withdrawal_to_l1};
use drawbridge_client::format::format_time;
use drawbridge_client::outputs::{
    OutputCache, is_challenged, newest_matching_final, newest_payable_output,
};
use drawbridge_client::progress::{
    deposit_status, pipeline, withdrawal_progress, withdrawal_status,
};
use drawbridge_client::reads::{
    bridged_token, check_l1_open, known_tokens, l1_token_info, read, token_info_lenient,
};
use drawbridge_client::revert::erc20::IERC20;
use drawbridge_client::scan::{
    ScannedMessage, find_delivery, find_finalization, find_withdrawal, scan_deliveries,
    scan_messages, scan_withdrawals,
};
use drawbridge_client::status::WithdrawalProgress;
use drawbridge_client::{Amount, ClientError, Context, KeySource, Layer, TokenArg, TokenInfo};

use crate::CliError;
use crate::args::{BalanceArgs, DepositArgs, FinalizeArgs, StatusArgs, TransferArgs};
use crate::report::{
    AddressStatus, ApprovalReport, BalanceLine, BalanceReport, DepositReport, FinalizeReport,
    Transfer, WithdrawReport,
};

fn nonzero_recipient(to: Address) -> Result<Address, CliError> {
    if to.is_zero() {
        return Err(CliError::Usage(
            "--to must not be the zero address: the tokens would be lost".into(),
        ));
    }
    Ok(to)
}

fn first_event<E: alloy::sol_types::SolEvent>(
    receipt: &TransactionReceipt,
    emitter: Address,
) -> Option<(E, u64)> {
    receipt.inner.logs().iter().find_map(|log| {
        if log.address() != emitter {
            return None;
        }
        log.log_decode::<E>()
            .ok()
            .map(|l| (l.inner.data, receipt.block_number.unwrap_or_default()))
    })
}

/// `drawbridge deposit`.
pub async fn deposit(
    ctx: &Context,
    keys: &KeySource,
    deposit_args: &DepositArgs,
) -> Result<DepositReport, CliError> {
    let args = &deposit_args.transfer;
    let approve_policy = deposit_args.approve.trim().to_ascii_lowercase();
    if !matches!(approve_policy.as_str(), "exact" | "max" | "unlimited") {
        check_amount_syntax(&deposit_args.approve).map_err(|_| ClientError::InvalidAmount {
            input: deposit_args.approve.clone(),
            reason: "--approve takes `exact`, `max` or a decimal amount at least the deposit"
                .into(),
        })?;
    }
    let signer = keys.load()?;
    let sender = signer.address();
    let recipient = nonzero_recipient(args.to.unwrap_or(sender))?;
    ctx.l1.check().await?;
    let info = l1_token_info(ctx, args.token).await?;
    let amount = args
        .amount
        .base_units(args.token == TokenArg::Eth, info.decimals)?;
    let approve_amount = match approve_policy.as_str() {
        "exact" => amount,
        "max" | "unlimited" => U256::MAX,
        _ => {
            let a = parse_amount(&deposit_args.approve, info.decimals)?;
            if a < amount {
                return Err(ClientError::InvalidAmount {
                    input: deposit_args.approve.clone(),
                    reason: format!(
                        "--approve {} is less than the deposit of {}",
                        info.show(a),
                        info.show(amount)
                    ),
                }
                .into());
            }
            a
        }
    };
    check_l1_open(ctx, true).await?;

    let writer = ctx.l1.writer(&signer)?;
    let bridge_address = ctx.deployment.l1.l1_bridge;
    let bridge = IL1Bridge::new(bridge_address, &writer);
    let (receipt, approval) = match args.token {
        TokenArg::Eth => {
            let balance = ctx.l1.balance(sender).await?;
            ensure_covers(Layer::L1, &info, sender, balance, amount)?;
            let receipt = ctx
                .l1
                .send("depositETH", bridge.depositETH(recipient).value(amount))
                .await?;
            (receipt, None)
        }
        TokenArg::Erc20(token) => {
            let erc20 = IERC20::new(token, &writer);
            let balance = read(
                &ctx.l1,
                "reading the token balance",
                erc20.balanceOf(sender).call(),
            )
            .await?;
            ensure_covers(Layer::L1, &info, sender, balance, amount)?;
            let allowance = read(
                &ctx.l1,
                "reading the token allowance",
                erc20.allowance(sender, bridge_address).call(),
            )
            .await?;
            let mut approval = ApprovalReport {
                sent: false,
                tx_hash: None,
                allowance_before: allowance.to_string(),
                approved: None,
            };
            if allowance < amount {
                let r = ctx
                    .l1
                    .send("approve", erc20.approve(bridge_address, approve_amount))
                    .await?;
                approval.sent = true;
                approval.tx_hash = Some(r.transaction_hash);
                approval.approved = Some(approve_amount.to_string());
            }
            let result = ctx
                .l1
                .send(
                    "depositERC20",
                    bridge.depositERC20(token, recipient, amount),
                )
                .await;
            match (result, approval.tx_hash) {
                (Ok(receipt), _) => (receipt, Some(approval)),
                (Err(e), Some(approval_tx)) => {
                    return Err(CliError::DepositFailedAfterApproval {
                        approval_tx,
                        allowance: if approve_amount == U256::MAX {
                            format!("unlimited {}", info.symbol)
                        } else {
                            info.show(approve_amount)
                        },
                        source: Box::new(e.into()),
                    });
                }
                (Err(e), None) => return Err(e.into()),
            }
        }
    };
    let (event, l1_block) = first_event::<IL1Bridge::MessageSent>(&receipt, bridge_address)
        .ok_or_else(|| {
            CliError::inconsistent(format!(
                "deposit tx {} succeeded but emitted no MessageSent event",
                receipt.transaction_hash
            ))
        })?;
    // The bridged token's address is known before it is deployed; best effort (L2 may be down).
    let l2_bridge = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let l2_token = l2_bridge
        .predictBridgedToken(info.l1_token)
        .call()
        .await
        .unwrap_or_default();
    let nonce = event.nonce;
    let next = format!(
        "a relayer commits the L1 message root, the sequencer publishes it to L2, and a relayer delivers message {nonce} on L2 (in nonce order), which mints {} {} to {recipient} on L2. Follow it with `drawbridge status --deposit {nonce}`.",
        format_amount(event.amount, info.decimals),
        info.symbol
    );
    Ok(DepositReport {
        transfer: Transfer {
            amount: Amount::new(event.amount, info.decimals),
            token: info,
            sender,
            recipient: event.recipient,
            nonce,
            tx_hash: receipt.transaction_hash,
        },
        l1_block,
        approval,
        l2_token,
        next,
    })
}

/// Fails with [`CliError::InsufficientBalance`] when `account` holds less than `need`.
fn ensure_covers(
    chain: Layer,
    info: &TokenInfo,
    account: Address,
    have: U256,
    need: U256,
) -> Result<(), CliError> {
    if have < need {
        return Err(CliError::InsufficientBalance {
            chain,
            token: info.symbol.clone(),
            account,
            have: info.show(have),
            need: info.show(need),
        });
    }
    Ok(())
}

/// `drawbridge withdraw`.
pub async fn withdraw(
    ctx: &Context,
    keys: &KeySource,
    args: &TransferArgs,
) -> Result<WithdrawReport, CliError> {
    let signer = keys.load()?;
    let sender = signer.address();
    let recipient = nonzero_recipient(args.to.unwrap_or(sender))?;
    ctx.l2.check().await?;
    let l1_token = args.token.l1_address();
    let l2_token =
        bridged_token(ctx, l1_token)
            .await?
            .ok_or_else(|| ClientError::UnknownToken {
                token: l1_token,
                reason: match args.token {
                    TokenArg::Eth => {
                        "no ETH has been bridged to L2 yet, so there is nothing to withdraw".into()
                    }
                    TokenArg::Erc20(_) => {
                        "it has never been bridged to L2 (no bridged token exists for it there)"
                            .into()
                    }
                },
            })?;
    let writer = ctx.l2.writer(&signer)?;
    let token = IERC20::new(l2_token, &writer);
    let decimals = read(
        &ctx.l2,
        "reading the bridged token's decimals",
        token.decimals().call(),
    )
    .await?;
    let symbol = match args.token {
        TokenArg::Eth => "ETH".to_string(),
        TokenArg::Erc20(_) => {
            read(
                &ctx.l2,
                "reading the bridged token's symbol",
                token.symbol().call(),
            )
            .await?
        }
    };
    let info = TokenInfo {
        l1_token,
        symbol,
        decimals,
    };
    let amount = args
        .amount
        .base_units(args.token == TokenArg::Eth, decimals)?;
    let balance = read(
        &ctx.l2,
        "reading the bridged token balance",
        token.balanceOf(sender).call(),
    )
    .await?;
    ensure_covers(Layer::L2, &info, sender, balance, amount)?;
    let bridge_address = ctx.deployment.l2.l2_bridge;
    let bridge = IL2Bridge::new(bridge_address, &writer);
    let receipt = ctx
        .l2
        .send(
            "L2Bridge.withdraw",
            bridge.withdraw(l1_token, recipient, amount),
        )
        .await?;
    let (event, l2_block) = first_event::<IL2Bridge::WithdrawalInitiated>(&receipt, bridge_address)
        .ok_or_else(|| {
            CliError::inconsistent(format!(
                "withdraw tx {} succeeded but emitted no WithdrawalInitiated event",
                receipt.transaction_hash
            ))
        })?;
    let nonce = event.nonce;
    let next = format!(
        "wait for an output covering L2 block {l2_block} to be proposed on L1 and to become final ({} s challenge period); then a relayer may finalize it, or run `drawbridge finalize --nonce {nonce}` yourself. Follow it with `drawbridge status --withdrawal {nonce}`.",
        ctx.deployment.params.challenge_period
    );
    Ok(WithdrawReport {
        transfer: Transfer {
            amount: Amount::new(event.amount, decimals),
            token: info,
            sender,
            recipient: event.recipient,
            nonce,
            tx_hash: receipt.transaction_hash,
        },
        l2_block,
        l2_token,
        next,
    })
}

/// `drawbridge finalize`.
pub async fn finalize(
    ctx: &Context,
    keys: &KeySource,
    args: &FinalizeArgs,
) -> Result<FinalizeReport, CliError> {
    let signer: PrivateKeySigner = keys.load()?;
    ctx.check_both().await?;
    let nonce = args.nonce;
    let l2_head = ctx.l2.head().await?;
    let withdrawals = scan_withdrawals(ctx, l2_head).await?;
    let Some(target) = withdrawals.get(nonce as usize).cloned() else {
        return Err(ClientError::WithdrawalNotFound {
            nonce,
            count: withdrawals.len() as u64,
        }
        .into());
    };
    let reader = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    if read(
        &ctx.l1,
        "reading L1Bridge.isWithdrawalFinalized",
        reader.isWithdrawalFinalized(nonce).call(),
    )
    .await?
    {
        let tx = match find_finalization(ctx, nonce).await? {
            Some((index, tx)) => format!(" (tx {tx}, output {index})"),
            None => String::new(),
        };
        return Err(CliError::AlreadyFinalized { nonce, tx });
    }

    let mut outputs = OutputCache::default();
    // After a freeze the bridge pays only up to the escape output (OutputAfterEscape otherwise).
    let payable = newest_payable_output(ctx).await?;
    let index = match args.output {
        Some(index) => {
            if payable.frozen && payable.index.is_none_or(|p| index > p) {
                return Err(CliError::FrozenNotPayable {
                    nonce,
                    index: index.to_string(),
                    reason: match payable.index {
                        Some(p) => format!(
                            "it is after the escape output {p}, the last output the bridge pays against"
                        ),
                        None => "no output was final at the freeze".to_string(),
                    },
                });
            }
            let output = outputs.get(ctx, index).await?;
            if output.l2BlockNumber < target.l2_block {
                return Err(CliError::OutputDoesNotCover {
                    index,
                    nonce,
                    output_block: output.l2BlockNumber,
                    l2_block: target.l2_block,
                });
            }
            let oracle = drawbridge_bindings::IOutputOracle::new(
                ctx.deployment.l1.output_oracle,
                &ctx.l1.provider,
            );
            let is_final = read(
                &ctx.l1,
                "reading OutputOracle.isFinal",
                oracle.isFinal(U256::from(index)).call(),
            )
            .await?;
            if !is_final {
                let period = outputs.challenge_period(ctx).await?;
                let final_at = output.proposedAt.saturating_add(period);
                let now = ctx.l1.now().await?;
                let reason = if is_challenged(&output) {
                    "it is challenged and waits for the security council's verdict".to_string()
                } else if now < final_at {
                    format!(
                        "final at {} ({} s left)",
                        format_time(final_at),
                        final_at - now
                    )
                } else {
                    "its window has passed but an earlier output is disputed; it waits for the security council's verdict".to_string()
                };
                return Err(ClientError::OutputNotFinal { index, reason }.into());
            }
            index
        }
        None => match withdrawal_progress(ctx, &mut outputs, nonce, target.l2_block)
            .await?
            .0
        {
            WithdrawalProgress::FrozenUncovered { escape_output } => {
                return Err(CliError::FrozenNotPayable {
                    nonce,
                    index: escape_output.map_or("none".to_string(), |i| i.to_string()),
                    reason: format!(
                        "the escape output (the last output the bridge pays against) does not cover L2 block {}",
                        target.l2_block
                    ),
                });
            }
            WithdrawalProgress::Final { output_index, .. } => {
                newest_matching_final(
                    ctx,
                    &mut outputs,
                    target.l2_block,
                    output_index,
                    &withdrawals,
                )
                .await?
                // None matches: the root check below explains why nothing is sent.
                .unwrap_or(output_index)
            }
            WithdrawalProgress::Initiated { newest_output } => {
                return Err(CliError::NotCovered {
                    nonce,
                    l2_block: target.l2_block,
                    newest: match newest_output {
                        Some((i, b)) => format!("and the newest output ({i}) ends at L2 block {b}"),
                        None => "and no output has been proposed yet".to_string(),
                    },
                });
            }
            WithdrawalProgress::Covered {
                output_index,
                final_at,
                now,
            } => {
                return Err(ClientError::OutputNotFinal {
                    index: output_index,
                    reason: format!(
                        "final at {} ({} s left); run finalize again then",
                        format_time(final_at),
                        final_at.saturating_sub(now)
                    ),
                }
                .into());
            }
            WithdrawalProgress::Disputed {
                output_index,
                disputed_index,
            } => {
                return Err(ClientError::OutputNotFinal {
                    index: output_index,
                    reason: format!(
                        "output {disputed_index} is challenged; finality waits for the security council's verdict"
                    ),
                }.into());
            }
            WithdrawalProgress::OutputMismatch { .. } => unreachable!("only status checks roots"),
            WithdrawalProgress::Finalized { .. } => {
                return Err(CliError::AlreadyFinalized {
                    nonce,
                    tx: String::new(),
                });
            }
        },
    };
    let mut output = outputs.get(ctx, index).await?;
    if let Some(root) = payable
        .escape_withdrawal_root
        .filter(|_| payable.index == Some(index))
    {
        // The bridge checks proofs against the root `freeze` snapshotted.
        output.withdrawalRoot = root;
    }
    if l2_head < output.l2BlockNumber {
        return Err(CliError::inconsistent(format!(
            "the L2 node is at block {l2_head}, behind output {index} (L2 block {}): use an L2 node that is in sync",
            output.l2BlockNumber
        )));
    }
    let count = withdrawals
        .iter()
        .take_while(|w| w.l2_block <= output.l2BlockNumber)
        .count() as u64;
    let tree = MerkleTree::from_leaves(withdrawals[..count as usize].iter().map(|w| w.leaf))
        .map_err(|e| CliError::inconsistent(e.to_string()))?;
    let root = tree
        .root_at(count)
        .map_err(|e| CliError::inconsistent(e.to_string()))?;
    if root != output.withdrawalRoot {
        return Err(CliError::inconsistent(format!(
            "output {index} claims withdrawal root {} for L2 block {}, but the {count} withdrawals the L2 node shows up to that block give {root}: the L2 node is out of sync or the output is wrong (a watchdog should challenge it)",
            output.withdrawalRoot, output.l2BlockNumber
        )));
    }
    let proof = tree
        .proof(nonce, count)
        .map_err(|e| CliError::inconsistent(e.to_string()))?;
    if !verify(target.leaf, nonce, &proof, root) {
        return Err(CliError::inconsistent(format!(
            "the proof built for withdrawal {nonce} does not verify against output {index}"
        )));
    }

    check_l1_open(ctx, false).await?;
    let writer = ctx.l1.writer(&signer)?;
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &writer);
    let w = target.withdrawal;
    let call = bridge.finalizeWithdrawal(withdrawal_to_l1(&w), U256::from(index), proof.clone());
    let receipt = ctx.l1.send("finalizeWithdrawal", call).await?;
    let l1_block = receipt.block_number.unwrap_or_default();
    let mut tokens = BTreeMap::new();
    let token = token_info_lenient(ctx, &mut tokens, w.l1_token).await;
    Ok(FinalizeReport {
        nonce,
        output_index: index,
        withdrawals_in_output: count,
        proof_length: proof.len(),
        recipient: w.recipient,
        amount: Amount::new(w.amount, token.decimals),
        token,
        tx_hash: receipt.transaction_hash,
        l1_block,
    })
}

/// The address a reading command is about: `--address`, else the configured key's.
fn subject(address: Option<Address>, keys: &KeySource) -> Result<Address, CliError> {
    match address {
        Some(a) => Ok(a),
        None if keys.is_configured() => Ok(keys.load()?.address()),
        None => Err(CliError::Usage(
            "which account? pass --address <ADDRESS> (or configure a key to use its address)"
                .into(),
        )),
    }
}

/// `drawbridge balance`.
pub async fn balance(
    ctx: &Context,
    keys: &KeySource,
    args: &BalanceArgs,
) -> Result<BalanceReport, CliError> {
    let address = subject(args.address, keys)?;
    ctx.check_both().await?;
    balances(ctx, address, &mut BTreeMap::new()).await
}

async fn balances(
    ctx: &Context,
    address: Address,
    tokens: &mut BTreeMap<Address, TokenInfo>,
) -> Result<BalanceReport, CliError> {
    let mut lines = Vec::new();
    for l1_token in known_tokens(ctx).await? {
        let info = token_info_lenient(ctx, tokens, l1_token).await;
        let l1 = if l1_token.is_zero() {
            ctx.l1.balance(address).await?
        } else {
            let erc20 = IERC20::new(l1_token, &ctx.l1.provider);
            erc20.balanceOf(address).call().await.unwrap_or_default()
        };
        let l2_token = bridged_token(ctx, l1_token).await?;
        let l2 = match l2_token {
            Some(t) => {
                let erc20 = IERC20::new(t, &ctx.l2.provider);
                read(
                    &ctx.l2,
                    "reading a bridged token balance",
                    erc20.balanceOf(address).call(),
                )
                .await?
            }
            None => U256::ZERO,
        };
        lines.push(BalanceLine {
            l1: Amount::new(l1, info.decimals),
            l2: Amount::new(l2, info.decimals),
            token: info,
            l2_token,
        });
    }
    let gas = ctx.l2.balance(address).await?;
    Ok(BalanceReport {
        address,
        l2_gas: Amount::new(gas, 18),
        balances: lines,
    })
}

/// `drawbridge status --address` (or the key's address).
pub async fn address_status(ctx: &Context, address: Address) -> Result<AddressStatus, CliError> {
    ctx.check_both().await?;
    let mut tokens = BTreeMap::new();
    let balances = balances(ctx, address, &mut tokens).await?;
    let pipe = pipeline(ctx).await?;
    let mut deposits = Vec::new();
    let mut deliveries = None;
    for m in scan_messages(ctx, None).await? {
        if m.event.sender == address || m.event.recipient == address {
            let processed = if pipe.processed > m.event.nonce {
                if deliveries.is_none() {
                    deliveries = Some(scan_deliveries(ctx).await?);
                }
                deliveries
                    .as_ref()
                    .and_then(|d| d.get(&m.event.nonce).copied())
            } else {
                None
            };
            deposits.push(deposit_status(ctx, pipe, &mut tokens, &m, processed).await);
        }
    }
    let mut outputs = OutputCache::default();
    let mut withdrawals = Vec::new();
    let head = ctx.l2.head().await?;
    let all = scan_withdrawals(ctx, head).await?;
    for w in &all {
        if w.withdrawal.sender == address || w.withdrawal.recipient == address {
            withdrawals.push(
                withdrawal_status(ctx, &mut outputs, &mut tokens, w, Some((&all, head))).await?,
            );
        }
    }
    Ok(AddressStatus {
        balances,
        deposits,
        withdrawals,
    })
}

/// Refuses a `MessageSent` log whose leaf is not the leaf of its own fields under this deployment:
/// the status compares that leaf with the one L2 processed, so it must be L1's.
fn check_message_leaf(ctx: &Context, m: &ScannedMessage) -> Result<(), CliError> {
    let e = &m.event;
    let message = message_from_event(e).map_err(|_| {
        CliError::inconsistent(format!(
            "L1 message {} has unknown kind {}",
            e.nonce, e.kind
        ))
    })?;
    let computed = message.leaf(ctx.deployment.l1.chain_id, ctx.deployment.l1.l1_bridge);
    if computed != e.leaf {
        return Err(CliError::inconsistent(format!(
            "the L1 node's MessageSent log of nonce {} carries leaf {} but its fields hash to {computed}",
            e.nonce, e.leaf
        )));
    }
    Ok(())
}

/// `drawbridge status`.
pub async fn status(
    ctx: &Context,
    keys: &KeySource,
    args: &StatusArgs,
) -> Result<crate::Report, CliError> {
    if let Some(nonce) = args.deposit {
        ctx.check_both().await?;
        let l1 = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
        let count = read(
            &ctx.l1,
            "reading L1Bridge.messageCount",
            l1.messageCount().call(),
        )
        .await?;
        if nonce >= count {
            return Err(CliError::DepositNotFound { nonce, count });
        }
        let messages = scan_messages(ctx, Some(nonce)).await?;
        let m = messages.into_iter().find(|m| m.event.nonce == nonce).ok_or_else(|| {
            CliError::inconsistent(format!(
                "L1 counts {count} messages but its node has no MessageSent log for nonce {nonce} since block {}",
                ctx.deployment.l1.deploy_block
            ))
        })?;
        check_message_leaf(ctx, &m)?;
        let pipe = pipeline(ctx).await?;
        let processed = if pipe.processed > nonce {
            find_delivery(ctx, nonce).await?
        } else {
            None
        };
        let st = deposit_status(ctx, pipe, &mut BTreeMap::new(), &m, processed).await;
        return Ok(crate::Report::DepositStatus(st));
    }
    if let Some(nonce) = args.withdrawal {
        ctx.check_both().await?;
        let w = find_withdrawal(ctx, nonce).await?;
        let st = withdrawal_status(
            ctx,
            &mut OutputCache::default(),
            &mut BTreeMap::new(),
            &w,
            None,
        )
        .await?;
        return Ok(crate::Report::WithdrawalStatus(st));
    }
    let address = subject(args.address, keys)?;
    Ok(crate::Report::Address(address_status(ctx, address).await?))
}
