//! The chain side: read a council's state (nonce, targets) to build actions, and submit a signed
//! action through the council's entry point (`drawbridge-bindings` `SecurityCouncil`).
//!
//! Submission simulates the call first, so a refused action (wrong nonce, expired, bad
//! signature, cooldown...) is reported with the contract's custom error and costs nothing.

use std::path::Path;
use std::str::FromStr;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolInterface};
use drawbridge_bindings::SecurityCouncil;

pub use crate::action::CouncilState;

use crate::action::Action;
use crate::contract::SignatureExport;
use crate::error::{CouncilError, Result};

/// Environment variable holding a hex private key for submissions (same name as the user CLI).
pub const PRIVATE_KEY_ENV: &str = "DRAWBRIDGE_PRIVATE_KEY";
/// Environment variable holding the password of `--keystore`.
pub const KEYSTORE_PASSWORD_ENV: &str = "DRAWBRIDGE_KEYSTORE_PASSWORD";

/// Loads the submission key: the encrypted keystore `keystore` (password in
/// `DRAWBRIDGE_KEYSTORE_PASSWORD`) if given, else `DRAWBRIDGE_PRIVATE_KEY`. Errors never contain
/// key material.
pub fn load_signer(keystore: Option<&Path>) -> Result<PrivateKeySigner> {
    if let Some(path) = keystore {
        let password = std::env::var(KEYSTORE_PASSWORD_ENV).map_err(|_| {
            CouncilError::Parameters(format!(
                "keystore {}: set {KEYSTORE_PASSWORD_ENV}",
                path.display()
            ))
        })?;
        return PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
            CouncilError::Parameters(format!("keystore {}: cannot decrypt: {e}", path.display()))
        });
    }
    let value = std::env::var(PRIVATE_KEY_ENV).map_err(|_| {
        CouncilError::Parameters(format!(
            "no submission key: set {PRIVATE_KEY_ENV} or pass --keystore"
        ))
    })?;
    PrivateKeySigner::from_str(value.trim())
        .map_err(|_| CouncilError::Parameters(format!("{PRIVATE_KEY_ENV} is not a private key")))
}

fn connect(rpc_url: &str, signer: Option<&PrivateKeySigner>) -> Result<DynProvider> {
    let url = rpc_url
        .parse()
        .map_err(|e| CouncilError::Parameters(format!("rpc url {rpc_url:?}: {e}")))?;
    Ok(match signer {
        Some(s) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(s.clone()))
            .connect_http(url)
            .erased(),
        None => ProviderBuilder::new().connect_http(url).erased(),
    })
}

fn chain_err(what: &str) -> impl FnOnce(String) -> CouncilError + '_ {
    move |e| CouncilError::Chain(format!("{what}: {e}"))
}

/// Reads the council's chain id, nonce, targets and delay. An address without code, or whose
/// `nonce()` reverts, is refused as "not a SecurityCouncil" (rather than a bare revert).
pub async fn council_state(rpc_url: &str, council: Address) -> Result<CouncilState> {
    let p = connect(rpc_url, None)?;
    let c = SecurityCouncil::new(council, &p);
    let chain_id = p
        .get_chain_id()
        .await
        .map_err(|e| chain_err("chain id")(e.to_string()))?;
    let code = p
        .get_code_at(council)
        .await
        .map_err(|e| chain_err("council code")(e.to_string()))?;
    if code.is_empty() {
        return Err(CouncilError::Parameters(format!(
            "--council {council}: no contract there on chain {chain_id}"
        )));
    }
    let nonce = c.nonce().call().await.map_err(|e| match e.as_revert_data() {
        Some(_) => CouncilError::Parameters(format!(
            "--council {council} is not a Drawbridge SecurityCouncil on chain {chain_id} (nonce() reverted)"
        )),
        None => chain_err("council nonce()")(e.to_string()),
    })?;
    let l1_bridge = c
        .l1Bridge()
        .call()
        .await
        .map_err(|e| chain_err("council l1Bridge()")(e.to_string()))?;
    let output_oracle = c
        .outputOracle()
        .call()
        .await
        .map_err(|e| chain_err("council outputOracle()")(e.to_string()))?;
    let upgrade_delay = c
        .upgradeDelay()
        .call()
        .await
        .map_err(|e| chain_err("council upgradeDelay()")(e.to_string()))?;
    Ok(CouncilState {
        chain_id,
        nonce: u64::try_from(nonce).map_err(|_| CouncilError::Chain("nonce above 2^64".into()))?,
        l1_bridge,
        output_oracle,
        upgrade_delay,
    })
}

/// Whether the chain would accept `action` now, asked before anyone signs it. The council's own
/// checks of a pause (length within `maxPause`, the cooldown since the last pause) and of an
/// unpause (a pause to end) are read from its state; for pause, unpause and dispute verdicts, the
/// call the council makes on its target is then simulated from the council's address, so the
/// target's checks (its own bounds, a dispute to resolve) answer too. A refusal is
/// [`CouncilError::Refused`] with the custom error. Scheduled calls and cancellations run through
/// the timelock and are checked when executed.
pub async fn preflight(rpc_url: &str, action: &Action) -> Result<()> {
    use crate::action::ActionArgs;
    use drawbridge_bindings::{IL1Bridge, IOutputOracle};

    let p = connect(rpc_url, None)?;
    let council = action.domain.council;
    let c = SecurityCouncil::new(council, &p);
    let now = p
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .map_err(|e| chain_err("latest block")(e.to_string()))?
        .map(|b| b.header.timestamp)
        .ok_or_else(|| CouncilError::Chain("no latest block".into()))?;
    let paused_until = || async {
        c.pausedUntil()
            .call()
            .await
            .map_err(|e| chain_err("council pausedUntil()")(e.to_string()))
    };
    let call = match action.args()? {
        ActionArgs::Pause { duration } => {
            let params = c
                .params()
                .call()
                .await
                .map_err(|e| chain_err("council params()")(e.to_string()))?;
            if duration == 0 || duration > params.maxPause {
                return Err(CouncilError::Refused(format!(
                    "PauseTooLong(duration: {duration}, maxPause: {})",
                    params.maxPause
                )));
            }
            let last = paused_until().await?;
            if last > now {
                return Err(CouncilError::Refused(format!(
                    "the bridge is already paused until {last} ({} s left)",
                    last - now
                )));
            }
            let available_at = last.saturating_add(params.pauseCooldown);
            if last != 0 && now < available_at {
                return Err(CouncilError::Refused(format!(
                    "PauseCooldown(availableAt: {available_at}), {} s from now",
                    available_at - now
                )));
            }
            IL1Bridge::pauseCall { duration }.abi_encode()
        }
        ActionArgs::Unpause => {
            if paused_until().await? <= now {
                return Err(CouncilError::Refused("NotPaused: no pause to end".into()));
            }
            IL1Bridge::unpauseCall {}.abi_encode()
        }
        ActionArgs::ResolveDispute {
            output_index,
            valid,
        } => IOutputOracle::resolveDisputeCall {
            index: output_index,
            valid,
        }
        .abi_encode(),
        _ => return Ok(()),
    };
    let simulated = p
        .call(
            TransactionRequest::default()
                .from(council)
                .to(action.target)
                .input(Bytes::from(call).into()),
        )
        .await;
    match simulated {
        Ok(_) => Ok(()),
        Err(e) => match e.as_error_resp().and_then(|r| r.as_revert_data()) {
            Some(data) => Err(CouncilError::Refused(decode_target_revert(&data))),
            None => Err(chain_err("simulating the action's call")(e.to_string())),
        },
    }
}

/// Decodes revert data of an action's target (the L1 bridge's or the oracle's custom errors).
fn decode_target_revert(data: &[u8]) -> String {
    use drawbridge_bindings::{IL1Bridge, IOutputOracle};
    if let Ok(e) = IL1Bridge::IL1BridgeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = IOutputOracle::IOutputOracleErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    format!("revert data 0x{}", hex::encode(data))
}

/// Decodes revert data of the council (its custom errors), else hex.
pub fn decode_revert(data: &[u8]) -> String {
    match SecurityCouncil::SecurityCouncilErrors::abi_decode(data) {
        Ok(e) => format!("{e:?}"),
        Err(_) => format!("revert data 0x{}", hex::encode(data)),
    }
}

fn describe_rpc_error<E: std::fmt::Display>(
    e: &alloy::transports::RpcError<alloy::transports::TransportErrorKind>,
    fallback: E,
) -> String {
    match e.as_error_resp().and_then(|r| r.as_revert_data()) {
        Some(data) => decode_revert(&data),
        None => fallback.to_string(),
    }
}

/// Submits `action` with `sig` to the council: checks the chain id against the action's domain,
/// simulates the call (a revert is reported with the contract's error), sends it and waits for
/// the receipt. Returns the transaction hash.
pub async fn submit(
    rpc_url: &str,
    signer: &PrivateKeySigner,
    action: &Action,
    sig: &SignatureExport,
) -> Result<B256> {
    let calldata = action.calldata(sig)?;
    submit_calldata(
        rpc_url,
        signer,
        action.domain.chain_id,
        action.domain.council,
        calldata,
    )
    .await
}

/// Executes the scheduled call `id` on `council` (permissionless once its `eta` has passed; no
/// signature). Simulated first, so `NotReady(id, eta)` or `UnknownOperation(id)` is reported
/// without sending. Returns the transaction hash.
pub async fn execute(
    rpc_url: &str,
    signer: &PrivateKeySigner,
    council: Address,
    id: B256,
) -> Result<B256> {
    let chain_id = connect(rpc_url, None)?
        .get_chain_id()
        .await
        .map_err(|e| chain_err("chain id")(e.to_string()))?;
    let calldata = SecurityCouncil::executeCall { id }.abi_encode();
    submit_calldata(rpc_url, signer, chain_id, council, calldata.into()).await
}

/// Sends `calldata` to `council` on the chain `chain_id` (checked), after simulating it.
pub async fn submit_calldata(
    rpc_url: &str,
    signer: &PrivateKeySigner,
    chain_id: u64,
    council: Address,
    calldata: Bytes,
) -> Result<B256> {
    let p = connect(rpc_url, Some(signer))?;
    let actual = p
        .get_chain_id()
        .await
        .map_err(|e| chain_err("chain id")(e.to_string()))?;
    if actual != chain_id {
        return Err(CouncilError::Chain(format!(
            "{rpc_url} is chain {actual}, the action is for chain {chain_id}"
        )));
    }
    let tx = TransactionRequest::default()
        .with_from(signer.address())
        .with_to(council)
        .with_input(calldata);
    if let Err(e) = p.call(tx.clone()).await {
        return Err(CouncilError::Chain(format!(
            "the council refuses the action: {}",
            describe_rpc_error(&e, &e)
        )));
    }
    let pending = p
        .send_transaction(tx)
        .await
        .map_err(|e| CouncilError::Chain(format!("sending: {}", describe_rpc_error(&e, &e))))?;
    let receipt = pending
        .get_receipt()
        .await
        .map_err(|e| chain_err("waiting for the receipt")(e.to_string()))?;
    if !receipt.status() {
        return Err(CouncilError::Chain(format!(
            "transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    Ok(receipt.transaction_hash)
}
