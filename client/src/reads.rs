//! Contract reads shared by every command: a call with its error mapped, token metadata, the
//! bridged token of an L1 token, whether the L1 bridge is open, and the known tokens.

use std::collections::BTreeMap;
use std::future::IntoFuture;

use alloy::primitives::{Address, B256, U256};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};

use crate::chain::{ChainClient, Context};
use crate::error::ClientError;
use crate::format::format_time;
use crate::revert::erc20::IERC20;
use crate::revert::{Failure, classify};
use crate::token::TokenArg;
use crate::types::TokenInfo;

/// Awaits a contract call, mapping its error with the client's chain and `action`.
pub async fn read<T, F>(client: &ChainClient, action: &str, call: F) -> Result<T, ClientError>
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
pub async fn l1_token_info(ctx: &Context, token: TokenArg) -> Result<TokenInfo, ClientError> {
    let address = match token {
        TokenArg::Eth => return Ok(TokenInfo::eth()),
        TokenArg::Erc20(a) => a,
    };
    if !ctx.l1.has_code(address).await? {
        return Err(ClientError::UnknownToken {
            token: address,
            reason: format!(
                "there is no contract at this address on L1 (chain {})",
                ctx.l1.chain_id
            ),
        });
    }
    let erc20 = IERC20::new(address, &ctx.l1.provider);
    let decimals = erc20
        .decimals()
        .call()
        .await
        .map_err(|e| match classify(&e) {
            Failure::Transport(message) => {
                ctx.l1.rpc_error("reading the token's decimals()", message)
            }
            Failure::Revert(_) => ClientError::UnknownToken {
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
pub async fn bridged_token(
    ctx: &Context,
    l1_token: Address,
) -> Result<Option<Address>, ClientError> {
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
pub async fn check_l1_open(ctx: &Context, deposits: bool) -> Result<(), ClientError> {
    let bridge = IL1Bridge::new(ctx.deployment.l1.l1_bridge, &ctx.l1.provider);
    if read(&ctx.l1, "reading L1Bridge.frozen", bridge.frozen().call()).await? {
        return if deposits {
            Err(ClientError::Frozen)
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
            return Err(ClientError::Paused {
                until: format_time(until),
                until_raw: until,
                left: until - now,
            });
        }
    }
    Ok(())
}

/// Tokens worth showing balances of: ETH, the deployment's test token, and every token the L1
/// bridge has announced (deposited at least once).
pub async fn known_tokens(ctx: &Context) -> Result<Vec<Address>, ClientError> {
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
