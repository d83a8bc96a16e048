//! Reads shared by the commands: token metadata, the withdrawal tree from L2 events, outputs and
//! the stage of each message.

use std::collections::BTreeMap;
use std::future::IntoFuture;

use alloy::primitives::{Address, B256, U256};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_merkle::{MerkleTree, Withdrawal};

use crate::chain::{ChainClient, Context, log_position};
use crate::report::{
    Amount, DepositStage, DepositStatus, TokenInfo, WithdrawalProgress, WithdrawalStatus,
};
use crate::revert::erc20::IERC20;
use crate::{CliError, TokenArg};

/// Awaits a contract call, mapping its error with the client's chain and `action`.
pub async fn read<T, F>(client: &ChainClient, action: &str, call: F) -> Result<T, CliError>
where
    F: IntoFuture<Output = Result<T, alloy::contract::Error>>,
{
    call.await.map_err(|e| client.contract_error(action, &e))
}

/// The 32-byte topic of an indexed integer.
pub fn topic_u64(value: u64) -> B256 {
    B256::from(U256::from(value))
}

/// Metadata of an L1 token, strictly: a token that is not an ERC-20 contract is an error.
pub async fn l1_token_info(ctx: &Context, token: TokenArg) -> Result<TokenInfo, CliError> {
    let address = match token {
        TokenArg::Eth => return Ok(TokenInfo::eth()),
        TokenArg::Erc20(a) => a,
    };
    if !ctx.l1.has_code(address).await? {
        return Err(CliError::UnknownToken {
            token: address,
            reason: format!(
                "there is no contract at this address on L1 (chain {})",
                ctx.l1.chain_id
            ),
        });
    }
    let erc20 = IERC20::new(address, &ctx.l1.provider);
    let decimals =
        erc20
            .decimals()
            .call()
            .await
            .map_err(|e| match crate::revert::classify(&e) {
                crate::revert::Failure::Transport(message) => {
                    ctx.l1.rpc_error("reading the token's decimals()", message)
                }
                crate::revert::Failure::Revert(_) => CliError::UnknownToken {
                    token: address,
                    reason: "the contract does not answer decimals(): not an ERC-20 token".into(),
                },
            })?;
    let symbol = match erc20.symbol().call().await {
        Ok(s) if !s.trim().is_empty() => s,
        _ => short_symbol(address),
    };
    Ok(TokenInfo {
        l1_token: address,
        symbol,
        decimals,
    })
}

fn short_symbol(a: Address) -> String {
    let s = a.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// Metadata of an L1 token for display: falls back to the L2 bridged token, then to 18 decimals.
pub async fn token_info_lenient(
    ctx: &Context,
    cache: &mut BTreeMap<Address, TokenInfo>,
    l1_token: Address,
) -> TokenInfo {
    if let Some(info) = cache.get(&l1_token) {
        return info.clone();
    }
    let info = match l1_token_info(ctx, TokenArg::from_l1_address(l1_token)).await {
        Ok(info) => info,
        Err(_) => TokenInfo {
            l1_token,
            symbol: short_symbol(l1_token),
            decimals: 18,
        },
    };
    cache.insert(l1_token, info.clone());
    info
}

/// The bridged token on L2 for an L1 token, `None` when it was never deployed.
pub async fn bridged_token(ctx: &Context, l1_token: Address) -> Result<Option<Address>, CliError> {
    let l2_bridge = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let token = read(
        &ctx.l2,
        "reading L2Bridge.bridgedToken",
        l2_bridge.bridgedToken(l1_token).call(),
    )
    .await?;
    Ok((!token.is_zero()).then_some(token))
}

/// Fails with the pause's end and time left when the L1 bridge is paused now, and (for deposits)
/// when it is frozen. A frozen bridge ignores a pause for finalization (withdrawals in the escape
/// output are paid whatever the pause), so then only deposits are refused.
pub async fn check_l1_open(ctx: &Context, deposits: bool) -> Result<(), CliError> {
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    if read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
        return if deposits {
            Err(CliError::Frozen)
        } else {
            Ok(())
        };
    }
    let until = read(
        &ctx.l1,
        "reading L1Bridge.pausedUntil",
        bridge.pausedUntil().call(),
    )
    .await?;
    if until != 0 {
        let now = ctx.l1.now().await?;
        if now < until {
            return Err(CliError::Paused {
                until: crate::report::format_time(until),
                until_raw: until,
                left: until - now,
            });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Withdrawals
// ------------------------------------------------------------------------------------------------

/// A withdrawal as found in the L2 bridge's `WithdrawalInitiated` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedWithdrawal {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// Its leaf, as the event reports it (checked against the computed one).
    pub leaf: B256,
    /// L2 block.
    pub l2_block: u64,
    /// L2 transaction.
    pub tx_hash: B256,
}

fn withdrawal_filter(ctx: &Context) -> Filter {
    Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH)
}

fn decode_withdrawal(
    ctx: &Context,
    log: &alloy::rpc::types::Log,
) -> Result<ScannedWithdrawal, CliError> {
    let event = log
        .log_decode::<IL2Bridge::WithdrawalInitiated>()
        .map_err(|e| CliError::Inconsistent(format!("undecodable WithdrawalInitiated log: {e}")))?
        .inner
        .data;
    let withdrawal = Withdrawal {
        nonce: event.nonce,
        sender: event.sender,
        recipient: event.recipient,
        l1_token: event.l1Token,
        amount: event.amount,
    };
    let computed = withdrawal.leaf(ctx.deployment.l2.chain_id, ctx.deployment.l2.l2_bridge);
    if computed != event.leaf {
        return Err(CliError::Inconsistent(format!(
            "the L2 bridge reports leaf {} for withdrawal {}, but this deployment (L2 chain {}, bridge {}) gives {computed}",
            event.leaf, event.nonce, ctx.deployment.l2.chain_id, ctx.deployment.l2.l2_bridge
        )));
    }
    let (l2_block, tx_hash) = log_position(log);
    Ok(ScannedWithdrawal {
        withdrawal,
        leaf: event.leaf,
        l2_block,
        tx_hash,
    })
}

/// Every withdrawal from the L2 deploy block up to `to_block`, in nonce order, checked to be
/// gap-free and to carry the leaves this deployment computes.
pub async fn scan_withdrawals(
    ctx: &Context,
    to_block: u64,
) -> Result<Vec<ScannedWithdrawal>, CliError> {
    let logs = ctx
        .l2
        .logs(
            &withdrawal_filter(ctx),
            ctx.deployment.l2.deploy_block,
            to_block,
        )
        .await?;
    let mut out = Vec::with_capacity(logs.len());
    for log in &logs {
        if log.removed {
            continue;
        }
        let w = decode_withdrawal(ctx, log)?;
        if w.withdrawal.nonce != out.len() as u64 {
            return Err(CliError::Inconsistent(format!(
                "the L2 node returned withdrawal {} where {} was expected: its logs are incomplete",
                w.withdrawal.nonce,
                out.len()
            )));
        }
        out.push(w);
    }
    Ok(out)
}

/// One withdrawal by nonce (events filtered by the indexed nonce).
pub async fn find_withdrawal(ctx: &Context, nonce: u64) -> Result<ScannedWithdrawal, CliError> {
    let l2_bridge = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let count = read(
        &ctx.l2,
        "reading L2Bridge.withdrawalCount",
        l2_bridge.withdrawalCount().call(),
    )
    .await?;
    if nonce >= count {
        return Err(CliError::WithdrawalNotFound { nonce, count });
    }
    let head = ctx.l2.head().await?;
    let filter = withdrawal_filter(ctx).topic1(topic_u64(nonce));
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    match logs.iter().find(|l| !l.removed) {
        Some(log) => decode_withdrawal(ctx, log),
        None => Err(CliError::Inconsistent(format!(
            "L2 counts {count} withdrawals but its node has no WithdrawalInitiated log for nonce {nonce} since block {}",
            ctx.deployment.l2.deploy_block
        ))),
    }
}

/// Outputs read once per command.
#[derive(Debug, Default)]
pub struct OutputCache {
    outputs: BTreeMap<u64, IOutputOracle::Output>,
    count: Option<u64>,
    challenge_period: Option<u64>,
    matches_l2: BTreeMap<u64, bool>,
}

impl OutputCache {
    /// Number of outputs.
    pub async fn count(&mut self, ctx: &Context) -> Result<u64, CliError> {
        if let Some(c) = self.count {
            return Ok(c);
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let c = read(
            &ctx.l1,
            "reading OutputOracle.outputCount",
            oracle.outputCount().call(),
        )
        .await?;
        let c = c.saturating_to::<u64>();
        self.count = Some(c);
        Ok(c)
    }

    /// The challenge period.
    pub async fn challenge_period(&mut self, ctx: &Context) -> Result<u64, CliError> {
        if let Some(p) = self.challenge_period {
            return Ok(p);
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let p = read(
            &ctx.l1,
            "reading OutputOracle.challengePeriod",
            oracle.challengePeriod().call(),
        )
        .await?;
        self.challenge_period = Some(p);
        Ok(p)
    }

    /// Output `index`.
    pub async fn get(
        &mut self,
        ctx: &Context,
        index: u64,
    ) -> Result<IOutputOracle::Output, CliError> {
        if let Some(o) = self.outputs.get(&index) {
            return Ok(o.clone());
        }
        let count = self.count(ctx).await?;
        if index >= count {
            return Err(CliError::UnknownOutput { index, count });
        }
        let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
        let o = read(
            &ctx.l1,
            &format!("reading OutputOracle.getOutput({index})"),
            oracle.getOutput(U256::from(index)).call(),
        )
        .await?;
        self.outputs.insert(index, o.clone());
        Ok(o)
    }

    /// Whether output `index`'s `withdrawalRoot` is the root of the withdrawals in L2 blocks up to
    /// its `l2BlockNumber`, given every withdrawal scanned up to at least that block.
    pub async fn matches_l2(
        &mut self,
        ctx: &Context,
        index: u64,
        withdrawals: &[ScannedWithdrawal],
    ) -> Result<bool, CliError> {
        if let Some(m) = self.matches_l2.get(&index) {
            return Ok(*m);
        }
        let output = self.get(ctx, index).await?;
        let count = withdrawals
            .iter()
            .take_while(|w| w.l2_block <= output.l2BlockNumber)
            .count();
        let tree = MerkleTree::from_leaves(withdrawals[..count].iter().map(|w| w.leaf))
            .map_err(|e| CliError::Inconsistent(e.to_string()))?;
        let matches = tree.root() == output.withdrawalRoot;
        self.matches_l2.insert(index, matches);
        Ok(matches)
    }

    /// The first output whose L2 block is at or after `l2_block` (outputs' blocks strictly
    /// increase, so this is a binary search), `None` when no output covers it.
    pub async fn first_covering(
        &mut self,
        ctx: &Context,
        l2_block: u64,
    ) -> Result<Option<u64>, CliError> {
        let count = self.count(ctx).await?;
        let (mut lo, mut hi) = (0u64, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(ctx, mid).await?.l2BlockNumber >= l2_block {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok((lo < count).then_some(lo))
    }
}

/// Where the withdrawal `nonce` from L2 block `l2_block` is, as [`WithdrawalProgress`].
pub async fn withdrawal_progress(
    ctx: &Context,
    outputs: &mut OutputCache,
    nonce: u64,
    l2_block: u64,
) -> Result<(WithdrawalProgress, Option<B256>), CliError> {
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    let finalized = read(
        &ctx.l1,
        "reading L1Bridge.isWithdrawalFinalized",
        bridge.isWithdrawalFinalized(nonce).call(),
    )
    .await?;
    if finalized {
        let (output_index, tx_hash) = match find_finalization(ctx, nonce).await? {
            Some((i, tx)) => (Some(i), Some(tx)),
            None => (None, None),
        };
        return Ok((
            WithdrawalProgress::Finalized {
                output_index,
                tx_hash,
            },
            tx_hash,
        ));
    }
    let count = outputs.count(ctx).await?;
    if count == 0 {
        return Ok((
            WithdrawalProgress::Initiated {
                newest_output: None,
            },
            None,
        ));
    }
    let newest = outputs.get(ctx, count - 1).await?;
    if newest.l2BlockNumber < l2_block {
        return Ok((
            WithdrawalProgress::Initiated {
                newest_output: Some((count - 1, newest.l2BlockNumber)),
            },
            None,
        ));
    }
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    let payable = newest_payable_output(ctx).await?;
    if let Some(index) = payable.index
        && outputs.get(ctx, index).await?.l2BlockNumber >= l2_block
    {
        return Ok((
            WithdrawalProgress::Final {
                output_index: index,
                frozen: payable.frozen,
            },
            None,
        ));
    }
    if payable.frozen {
        // No output after the escape output will ever be paid against: the L2 balance is
        // escaped instead.
        return Ok((
            WithdrawalProgress::FrozenUncovered {
                escape_output: payable.index,
            },
            None,
        ));
    }
    let first = outputs
        .first_covering(ctx, l2_block)
        .await?
        .expect("the newest output covers the block");
    let dispute = read(
        &ctx.l1,
        "reading OutputOracle.firstOpenDispute",
        oracle.firstOpenDispute().call(),
    )
    .await?;
    let dispute_index = dispute.index.saturating_to::<u64>();
    if dispute.exists && dispute_index <= first {
        return Ok((
            WithdrawalProgress::Disputed {
                output_index: first,
                disputed_index: dispute_index,
            },
            None,
        ));
    }
    let output = outputs.get(ctx, first).await?;
    if is_challenged(&output) {
        return Ok((
            WithdrawalProgress::Disputed {
                output_index: first,
                disputed_index: first,
            },
            None,
        ));
    }
    let period = outputs.challenge_period(ctx).await?;
    let now = ctx.l1.now().await?;
    Ok((
        WithdrawalProgress::Covered {
            output_index: first,
            final_at: output.proposedAt.saturating_add(period),
            now,
        },
        None,
    ))
}

/// The newest output `L1Bridge.finalizeWithdrawal` accepts: `OutputOracle.latestFinalIndex`, or
/// after a freeze the escape output when that is older (later outputs revert
/// `OutputAfterEscape`). The CLI and the exit prover share this so they agree with the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayableOutput {
    /// The output index; `None` when no output is final (or none was at the freeze).
    pub index: Option<u64>,
    /// Whether the bridge is frozen.
    pub frozen: bool,
    /// After a freeze, when `index` is the escape output: the withdrawal root `freeze`
    /// snapshotted, the one the bridge checks proofs against.
    pub escape_withdrawal_root: Option<B256>,
}

/// Reads [`PayableOutput`] from L1.
pub async fn newest_payable_output(ctx: &Context) -> Result<PayableOutput, CliError> {
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    let latest_final = match oracle.latestFinalIndex().call().await {
        Ok(index) => Some(index.saturating_to::<u64>()),
        Err(e) if e.as_revert_data().is_some() => None, // NotFinal(0): no output is final yet
        Err(e) => {
            return Err(ctx
                .l1
                .contract_error("reading OutputOracle.latestFinalIndex", &e));
        }
    };
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    if !read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
        return Ok(PayableOutput {
            index: latest_final,
            frozen: false,
            escape_withdrawal_root: None,
        });
    }
    let escape = read(
        &ctx.l1,
        "reading L1Bridge.escapeOutput",
        bridge.escapeOutput().call(),
    )
    .await?;
    if !escape.hasEscapeOutput {
        return Ok(PayableOutput {
            index: None,
            frozen: true,
            escape_withdrawal_root: None,
        });
    }
    let escape_index = escape.outputIndex.saturating_to::<u64>();
    let index = latest_final.map_or(escape_index, |i| i.min(escape_index));
    Ok(PayableOutput {
        index: Some(index),
        frozen: true,
        escape_withdrawal_root: (index == escape_index).then_some(escape.withdrawalRoot),
    })
}

/// Whether an output is challenged and waits for a verdict (`OutputStatus.Challenged`).
pub fn is_challenged(output: &IOutputOracle::Output) -> bool {
    output.status == OUTPUT_STATUS_CHALLENGED
}

/// `IOutputOracle.OutputStatus.Challenged` (the bindings see the enum as its `uint8`).
pub const OUTPUT_STATUS_CHALLENGED: u8 = 2;

/// The newest final output at or below `newest_final` that covers L2 block `l2_block` and whose
/// `withdrawalRoot` matches the L2 withdrawals (`withdrawals`, scanned up to at least the
/// outputs' blocks): a wrong output that nobody challenged must not stop a user when an older
/// final output is right. `None` when no covering final output matches.
pub async fn newest_matching_final(
    ctx: &Context,
    outputs: &mut OutputCache,
    l2_block: u64,
    newest_final: u64,
    withdrawals: &[ScannedWithdrawal],
) -> Result<Option<u64>, CliError> {
    let Some(first) = outputs.first_covering(ctx, l2_block).await? else {
        return Ok(None);
    };
    let oracle = IOutputOracle::new(ctx.deployment.l1.output_oracle, &ctx.l1.provider);
    for index in (first..=newest_final).rev() {
        if outputs.matches_l2(ctx, index, withdrawals).await? {
            let is_final = read(
                &ctx.l1,
                "reading OutputOracle.isFinal",
                oracle.isFinal(U256::from(index)).call(),
            )
            .await?;
            if is_final {
                return Ok(Some(index));
            }
        }
    }
    Ok(None)
}

/// Output index and transaction of the `WithdrawalFinalized` event of `nonce`, if found.
pub async fn find_finalization(ctx: &Context, nonce: u64) -> Result<Option<(u64, B256)>, CliError> {
    let head = ctx.l1.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::WithdrawalFinalized::SIGNATURE_HASH)
        .topic1(topic_u64(nonce));
    let logs = ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?;
    for log in logs.iter().filter(|l| !l.removed) {
        if let Ok(decoded) = log.log_decode::<IL1Bridge::WithdrawalFinalized>() {
            let (_, tx) = log_position(log);
            return Ok(Some((
                decoded.inner.data.outputIndex.saturating_to::<u64>(),
                tx,
            )));
        }
    }
    Ok(None)
}

/// The status of a scanned withdrawal. `all` are every withdrawal scanned up to an L2 block
/// (scanned here when `None` or not far enough and needed): a final output is checked against
/// them before the withdrawal is called ready, since finalizing against an output that does not
/// match L2 would fail.
pub async fn withdrawal_status(
    ctx: &Context,
    outputs: &mut OutputCache,
    tokens: &mut BTreeMap<Address, TokenInfo>,
    w: &ScannedWithdrawal,
    all: Option<(&[ScannedWithdrawal], u64)>,
) -> Result<WithdrawalStatus, CliError> {
    let (mut progress, finalized_tx_hash) =
        withdrawal_progress(ctx, outputs, w.withdrawal.nonce, w.l2_block).await?;
    if let WithdrawalProgress::Final {
        output_index,
        frozen,
    } = progress
    {
        let output_block = outputs.get(ctx, output_index).await?.l2BlockNumber;
        let scanned;
        let all = match all {
            Some((all, scanned_to)) if scanned_to >= output_block => all,
            _ => {
                scanned = scan_withdrawals(ctx, ctx.l2.head().await?).await?;
                &scanned[..]
            }
        };
        progress = match newest_matching_final(ctx, outputs, w.l2_block, output_index, all).await? {
            Some(index) => WithdrawalProgress::Final {
                output_index: index,
                frozen,
            },
            None => WithdrawalProgress::OutputMismatch { output_index },
        };
    }
    let s = progress.summary(w.withdrawal.nonce, w.l2_block);
    let token = token_info_lenient(ctx, tokens, w.withdrawal.l1_token).await;
    Ok(WithdrawalStatus {
        nonce: w.withdrawal.nonce,
        sender: w.withdrawal.sender,
        recipient: w.withdrawal.recipient,
        amount: Amount::new(w.withdrawal.amount, token.decimals),
        token,
        l2_tx_hash: w.tx_hash,
        l2_block: w.l2_block,
        stage: s.stage,
        description: s.description,
        waits_for: s.waits_for,
        output_index: s.output_index,
        final_at: s.final_at,
        time_left: s.time_left,
        finalized_tx_hash,
    })
}

// ------------------------------------------------------------------------------------------------
// Deposits
// ------------------------------------------------------------------------------------------------

/// An L1 message as found in `MessageSent` events.
#[derive(Debug, Clone)]
pub struct ScannedMessage {
    /// The event.
    pub event: IL1Bridge::MessageSent,
    /// L1 block.
    pub l1_block: u64,
    /// L1 transaction.
    pub tx_hash: B256,
}

fn message_filter(ctx: &Context) -> Filter {
    Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
}

/// L1 messages from the deploy block on; only `nonce` when given.
pub async fn scan_messages(
    ctx: &Context,
    nonce: Option<u64>,
) -> Result<Vec<ScannedMessage>, CliError> {
    let head = ctx.l1.head().await?;
    let mut filter = message_filter(ctx);
    if let Some(n) = nonce {
        filter = filter.topic1(topic_u64(n));
    }
    let logs = ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?;
    let mut out = Vec::new();
    for log in logs.iter().filter(|l| !l.removed) {
        let event = log
            .log_decode::<IL1Bridge::MessageSent>()
            .map_err(|e| CliError::Inconsistent(format!("undecodable MessageSent log: {e}")))?
            .inner
            .data;
        let (l1_block, tx_hash) = log_position(log);
        out.push(ScannedMessage {
            event,
            l1_block,
            tx_hash,
        });
    }
    Ok(out)
}

/// How far the L1->L2 pipeline has got: committed, published and processed message counts.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline {
    /// Messages covered by the last committed L1 root.
    pub committed: u64,
    /// Messages covered by the newest root published on L2.
    pub published: u64,
    /// Messages processed on L2.
    pub processed: u64,
}

/// Reads the [`Pipeline`] counts.
pub async fn pipeline(ctx: &Context) -> Result<Pipeline, CliError> {
    let l1 = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    let committed = read(
        &ctx.l1,
        "reading L1Bridge.lastCommittedRoot",
        l1.lastCommittedRoot().call(),
    )
    .await?
    .count;
    let oracle = IL1RootOracle::new(ctx.deployment.l2.root_oracle, &ctx.l2.provider);
    let published = read(
        &ctx.l2,
        "reading L1RootOracle.latestCount",
        oracle.latestCount().call(),
    )
    .await?;
    let l2 = IL2Bridge::new(ctx.deployment.l2.l2_bridge, &ctx.l2.provider);
    let processed = read(
        &ctx.l2,
        "reading L2Bridge.l1MessagesProcessed",
        l2.l1MessagesProcessed().call(),
    )
    .await?;
    Ok(Pipeline {
        committed,
        published,
        processed,
    })
}

/// How L2 processed one L1 message: the `MessageProcessed` event's transaction and leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    /// The L2 transaction.
    pub tx_hash: B256,
    /// The leaf L2 consumed at that nonce (compare with L1's leaf).
    pub leaf: B256,
}

fn processed_of(log: &alloy::rpc::types::Log) -> Result<(u64, Processed), CliError> {
    let e = log
        .log_decode::<IL2Bridge::MessageProcessed>()
        .map_err(|e| CliError::Inconsistent(format!("undecodable MessageProcessed log: {e}")))?
        .inner
        .data;
    Ok((
        e.nonce,
        Processed {
            tx_hash: log_position(log).1,
            leaf: e.leaf,
        },
    ))
}

/// How L2 processed message `nonce`, if found.
pub async fn find_delivery(ctx: &Context, nonce: u64) -> Result<Option<Processed>, CliError> {
    let head = ctx.l2.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH)
        .topic1(topic_u64(nonce));
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    match logs.iter().find(|l| !l.removed) {
        Some(log) => Ok(Some(processed_of(log)?.1)),
        None => Ok(None),
    }
}

/// How L2 processed every L1 message so far, by nonce.
pub async fn scan_deliveries(ctx: &Context) -> Result<BTreeMap<u64, Processed>, CliError> {
    let head = ctx.l2.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l2.l2_bridge)
        .event_signature(IL2Bridge::MessageProcessed::SIGNATURE_HASH);
    let logs = ctx
        .l2
        .logs(&filter, ctx.deployment.l2.deploy_block, head)
        .await?;
    let mut out = BTreeMap::new();
    for log in logs.iter().filter(|l| !l.removed) {
        let (nonce, processed) = processed_of(log)?;
        out.insert(nonce, processed);
    }
    Ok(out)
}

/// The status of a scanned L1 message. `processed` is how L2 processed its nonce, if known:
/// "delivered" only when L2's leaf at that nonce is this message's leaf; another leaf means L2
/// processed a message L1 never sent there ([`DepositStage::Forged`]).
pub async fn deposit_status(
    ctx: &Context,
    pipeline: Pipeline,
    tokens: &mut BTreeMap<Address, TokenInfo>,
    m: &ScannedMessage,
    processed: Option<Processed>,
) -> DepositStatus {
    let e = &m.event;
    let mut stage = DepositStage::of(
        e.nonce,
        pipeline.committed,
        pipeline.published,
        pipeline.processed,
    );
    let forged_leaf = processed.map(|p| p.leaf).filter(|leaf| *leaf != e.leaf);
    if stage == DepositStage::Delivered && forged_leaf.is_some() {
        stage = DepositStage::Forged;
    }
    let (description, waits_for) = stage.describe(e.nonce, pipeline.processed);
    let token = token_info_lenient(ctx, tokens, e.token).await;
    DepositStatus {
        nonce: e.nonce,
        kind: match e.kind {
            2 => "forcedWithdrawal".into(),
            _ => "deposit".into(),
        },
        sender: e.sender,
        recipient: e.recipient,
        amount: Amount::new(e.amount, token.decimals),
        token,
        l1_tx_hash: m.tx_hash,
        l1_block: m.l1_block,
        stage,
        description,
        waits_for,
        what_to_do: stage.what_to_do(e.nonce),
        l2_processed_leaf: if stage == DepositStage::Forged {
            forged_leaf
        } else {
            None
        },
        time_left: (stage == DepositStage::Delivered).then_some(0),
        l2_tx_hash: if stage == DepositStage::Delivered {
            processed.map(|p| p.tx_hash)
        } else {
            None
        },
    }
}

/// Tokens worth showing balances of: ETH, the deployment's test token, and every token the L1
/// bridge has announced (deposited at least once).
pub async fn known_tokens(ctx: &Context) -> Result<Vec<Address>, CliError> {
    let mut tokens = vec![Address::ZERO];
    if let Some(t) = ctx.deployment.l1.test_token {
        tokens.push(t);
    }
    let head = ctx.l1.head().await?;
    let filter = Filter::new()
        .address(ctx.deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::TokenAnnounced::SIGNATURE_HASH);
    for log in ctx
        .l1
        .logs(&filter, ctx.deployment.l1.deploy_block, head)
        .await?
    {
        if let Ok(e) = log.log_decode::<IL1Bridge::TokenAnnounced>() {
            let token = e.inner.data.token;
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
    }
    Ok(tokens)
}
