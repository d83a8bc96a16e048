//! One chain as the relayer sees it: a read provider, the confirmation depth, and local signing so
//! that every transaction's hash and raw bytes are known (and recorded) before it is broadcast.

use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider, RootProvider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::role::Role;
use crate::store::Cost;

/// A call the relayer may send as a transaction.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub to: Address,
    pub input: Bytes,
    pub value: U256,
}

impl Call {
    pub fn new(to: Address, input: Vec<u8>) -> Self {
        Self {
            to,
            input: input.into(),
            value: U256::ZERO,
        }
    }

    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// A locally signed transaction.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub hash: B256,
    pub nonce: u64,
    pub raw: Vec<u8>,
}

/// EIP-1559 fees of a transaction, in wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fees {
    pub max_fee_per_gas: u128,
    pub max_priority_fee_per_gas: u128,
}

impl Fees {
    /// The fees of a recorded transaction.
    pub fn of_raw(raw: &[u8]) -> Option<Self> {
        use alloy::consensus::Transaction as _;
        let envelope = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).ok()?;
        Some(Self {
            max_fee_per_gas: envelope.max_fee_per_gas(),
            max_priority_fee_per_gas: envelope.max_priority_fee_per_gas()?,
        })
    }

    /// Fees for a replacement of a transaction paying `self`: each at least `percent` more than
    /// before (nodes require 10 % more to replace), and no less than `now` (the market moved).
    pub fn bumped(self, percent: u128, now: Fees) -> Self {
        let up = |fee: u128| fee.saturating_mul(100 + percent).div_ceil(100).max(fee + 1);
        let priority = up(self.max_priority_fee_per_gas).max(now.max_priority_fee_per_gas);
        let max = up(self.max_fee_per_gas)
            .max(now.max_fee_per_gas)
            .max(priority);
        Self {
            max_fee_per_gas: max,
            max_priority_fee_per_gas: priority,
        }
    }
}

impl Fees {
    /// Both fees at most `cap` (wei per gas).
    pub fn capped(self, cap: u128) -> Self {
        Self {
            max_fee_per_gas: self.max_fee_per_gas.min(cap),
            max_priority_fee_per_gas: self.max_priority_fee_per_gas.min(cap),
        }
    }
}

/// The gas limit for a transaction whose estimate is `estimate`: a margin for state that
/// changes between the estimate and the block.
pub(crate) fn gas_limit(estimate: u64) -> u64 {
    estimate.saturating_mul(5) / 4 + 20_000
}

/// What a receipt said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mined {
    pub success: bool,
    pub block: u64,
    pub cost: Cost,
}

/// The work a submission does; stored as JSON with the submission so that a restart can tell
/// whether a reverted or dropped transaction's work was done anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Work {
    /// `L1Bridge.commitMessageRoot()` when `messages` confirmed messages were not yet covered.
    CommitRoot { messages: u64 },
    /// `L1RootOracle.publishRoot(root, count)`.
    PublishRoot { root: B256, count: u64 },
    /// `L2Bridge.relayMessages` of nonces `first..=last` against `root`.
    RelayMessages { root: B256, first: u64, last: u64 },
    /// `OutputOracle.propose` for L2 block `l2_block`.
    Propose { l2_block: u64 },
    /// `OutputOracle.releaseBond(output_index)`.
    ReleaseBond { output_index: u64 },
    /// `OutputOracle.withdrawBond()`.
    WithdrawBond,
    /// `L1Bridge.finalizeWithdrawals` of `nonces` against output `output_index`.
    FinalizeWithdrawals { output_index: u64, nonces: Vec<u64> },
    /// `OutputOracle.challenge(output_index)` of the output whose fields hash to `output`
    /// (see `watchdog::output_id`): indexes are reused after a deletion, the hash is not.
    Challenge { output_index: u64, output: B256 },
}

impl Work {
    pub fn kind(&self) -> &'static str {
        match self {
            Work::CommitRoot { .. } => "commit_root",
            Work::PublishRoot { .. } => "publish_root",
            Work::RelayMessages { .. } => "relay_messages",
            Work::Propose { .. } => "propose",
            Work::ReleaseBond { .. } => "release_bond",
            Work::WithdrawBond => "withdraw_bond",
            Work::FinalizeWithdrawals { .. } => "finalize_withdrawals",
            Work::Challenge { .. } => "challenge",
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Work::CommitRoot { .. } | Work::PublishRoot { .. } | Work::RelayMessages { .. } => {
                Role::Deliver
            }
            Work::Propose { .. } | Work::ReleaseBond { .. } | Work::WithdrawBond => Role::Propose,
            Work::FinalizeWithdrawals { .. } => Role::Finalize,
            Work::Challenge { .. } => Role::Watchdog,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("work always serializes")
    }

    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::BadRow {
            what: "submissions.work".into(),
            reason: format!("{text:?}: {e}"),
        })
    }
}

/// Whether a simulation passed (with its gas estimate) or reverted (with the revert data).
#[derive(Debug, Clone)]
pub(crate) enum Simulation {
    Ok(u64),
    Revert(Bytes),
}

/// One chain as the relayer uses it: reads at a confirmation depth and transactions signed locally
/// (the read-only client of the other tools is `drawbridge_client::ChainClient`).
#[derive(Debug, Clone)]
pub(crate) struct SigningChain {
    /// `L1` or `L2` (logs and errors).
    pub name: &'static str,
    /// `l1` or `l2` (database).
    pub key: &'static str,
    pub provider: DynProvider,
    pub chain_id: u64,
    pub confirmations: u64,
    pub from: Address,
    wallet: EthereumWallet,
    pub tx_timeout: Duration,
    pub receipt_poll: Duration,
}

/// Rate-limited requests are retried this many times before the round fails and backs off.
const RATE_LIMIT_RETRIES: u32 = 3;
/// First pause before such a retry, in milliseconds.
const RATE_LIMIT_BACKOFF_MS: u64 = 200;

/// Whether an RPC error is an answer from the node (as opposed to the node being unreachable).
fn node_answered(error: &RpcError<TransportErrorKind>) -> bool {
    matches!(error, RpcError::ErrorResp(_))
}

impl SigningChain {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        key: &'static str,
        rpc_url: &str,
        chain_id: u64,
        confirmations: u64,
        signer: &PrivateKeySigner,
        tx_timeout: Duration,
        receipt_poll: Duration,
        rpc_timeout: Duration,
    ) -> Result<Self> {
        let url: url::Url = rpc_url.parse().map_err(|e| {
            Error::config(
                if key == "l1" {
                    "l1_rpc_url"
                } else {
                    "l2_rpc_url"
                },
                format!("{rpc_url:?}: {e}"),
            )
        })?;
        // Every request has a deadline (a hung endpoint is an error, retried with backoff), and
        // rate-limit answers (HTTP 429 and the providers' equivalents) are retried a few times
        // after the delay the endpoint asks for before they count as an error.
        let http = alloy::transports::http::reqwest::Client::builder()
            .timeout(rpc_timeout)
            .connect_timeout(rpc_timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| Error::rpc(name, format!("HTTP client: {e}")))?;
        let client = alloy::rpc::client::ClientBuilder::default()
            .layer(alloy::transports::layers::RetryBackoffLayer::new(
                RATE_LIMIT_RETRIES,
                RATE_LIMIT_BACKOFF_MS,
                u64::from(u32::MAX),
            ))
            .http_with_client(http, url);
        let provider = DynProvider::new(RootProvider::new(client));
        Ok(Self {
            name,
            key,
            provider,
            chain_id,
            confirmations,
            from: signer.address(),
            wallet: EthereumWallet::from(signer.clone()),
            tx_timeout,
            receipt_poll,
        })
    }

    pub fn rpc(&self, error: impl std::fmt::Display) -> Error {
        Error::rpc(self.name, error)
    }

    /// Latest block number.
    pub async fn head(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| self.rpc(format!("eth_blockNumber: {e}")))
    }

    /// Header of the latest block (its timestamp is the contracts' clock).
    pub async fn latest_header(&self) -> Result<alloy::rpc::types::Header> {
        Ok(self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| self.rpc(format!("eth_getBlockByNumber(latest): {e}")))?
            .ok_or_else(|| self.rpc("no latest block"))?
            .header)
    }

    /// `head - confirmations` (saturating).
    pub async fn confirmed_head(&self) -> Result<u64> {
        Ok(self.head().await?.saturating_sub(self.confirmations))
    }

    /// Hash and state root of block `number`.
    pub async fn block(&self, number: u64) -> Result<(B256, B256)> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| self.rpc(format!("eth_getBlockByNumber({number}): {e}")))?
            .ok_or_else(|| self.rpc(format!("block {number} not found")))?;
        Ok((block.header.hash, block.header.state_root))
    }

    /// Checks the endpoint serves the expected chain.
    pub async fn check_chain_id(&self) -> Result<()> {
        let actual = self
            .provider
            .get_chain_id()
            .await
            .map_err(|e| self.rpc(format!("eth_chainId: {e}")))?;
        if actual != self.chain_id {
            return Err(Error::WrongChain {
                chain: self.name,
                expected: self.chain_id,
                actual,
            });
        }
        Ok(())
    }

    fn request(&self, call: &Call) -> TransactionRequest {
        TransactionRequest::default()
            .with_from(self.from)
            .with_to(call.to)
            .with_input(call.input.clone())
            .with_value(call.value)
    }

    /// Simulates `call` from the relayer's account (`eth_estimateGas` at the latest block).
    pub async fn simulate(&self, call: &Call) -> Result<Simulation> {
        match self.provider.estimate_gas(self.request(call)).await {
            Ok(gas) => Ok(Simulation::Ok(gas)),
            Err(error) => {
                if let Some(resp) = error.as_error_resp() {
                    if let Some(data) = resp.as_revert_data() {
                        return Ok(Simulation::Revert(data));
                    }
                    if resp.message.to_lowercase().contains("revert") {
                        return Ok(Simulation::Revert(Bytes::new()));
                    }
                }
                Err(self.rpc(format!("eth_estimateGas: {error}")))
            }
        }
    }

    /// Signs `call` with the node's pending nonce and current fees; nothing is broadcast (the
    /// crash-window tests record a transaction as `submit` does and stop there).
    #[cfg(test)]
    pub async fn sign(&self, call: &Call, gas_estimate: u64) -> Result<Signed> {
        let nonce = self.pending_nonce_of(self.from).await?;
        let fees = self.fees().await?;
        self.sign_with(call, gas_limit(gas_estimate), nonce, fees)
            .await
    }

    /// EIP-1559 fees for a transaction sent now.
    pub async fn fees(&self) -> Result<Fees> {
        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(|e| self.rpc(format!("fee estimation: {e}")))?;
        Ok(Fees {
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        })
    }

    /// Signs `call` with an explicit nonce, gas limit and fees; nothing is broadcast.
    pub async fn sign_with(&self, call: &Call, gas: u64, nonce: u64, fees: Fees) -> Result<Signed> {
        self.sign_request(self.request(call), gas, nonce, fees)
            .await
    }

    /// Re-signs a recorded transaction with other fees: same nonce, gas limit, recipient, value
    /// and input, so it replaces the recorded one in the node's pool and does the same work.
    pub async fn resign(&self, raw: &[u8], fees: Fees) -> Result<Signed> {
        use alloy::consensus::Transaction as _;
        let envelope = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).map_err(|e| {
            Error::Transaction {
                chain: self.name,
                message: format!("recorded transaction does not decode: {e}"),
            }
        })?;
        let to = envelope.to().ok_or_else(|| Error::Transaction {
            chain: self.name,
            message: "recorded transaction creates a contract".into(),
        })?;
        let call = Call::new(to, envelope.input().to_vec()).with_value(envelope.value());
        self.sign_request(
            self.request(&call),
            envelope.gas_limit(),
            envelope.nonce(),
            fees,
        )
        .await
    }

    async fn sign_request(
        &self,
        request: TransactionRequest,
        gas: u64,
        nonce: u64,
        fees: Fees,
    ) -> Result<Signed> {
        let request = request
            .with_nonce(nonce)
            .with_chain_id(self.chain_id)
            .with_gas_limit(gas)
            .with_max_fee_per_gas(fees.max_fee_per_gas)
            .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|e| Error::Transaction {
                chain: self.name,
                message: format!("signing: {e}"),
            })?;
        Ok(Signed {
            hash: *envelope.tx_hash(),
            nonce,
            raw: envelope.encoded_2718(),
        })
    }

    /// Broadcasts a signed transaction. `Ok(true)`: the node has it (now or already). `Ok(false)`:
    /// the node refused it and does not hold it. `Err`: the node could not be reached.
    pub async fn broadcast(&self, hash: B256, raw: &[u8]) -> Result<bool> {
        match self.provider.send_raw_transaction(raw).await {
            Ok(_) => Ok(true),
            Err(error) if node_answered(&error) => {
                // "already known" and friends: ask whether the node holds it or mined it.
                let known = self
                    .provider
                    .get_transaction_by_hash(hash)
                    .await
                    .map_err(|e| self.rpc(format!("eth_getTransactionByHash: {e}")))?
                    .is_some();
                if !known {
                    tracing::warn!(chain = self.name, tx = %hash, %error, "node refused the transaction");
                }
                Ok(known)
            }
            Err(error) => Err(self.rpc(format!("eth_sendRawTransaction: {error}"))),
        }
    }

    /// The receipt of `hash`, if mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<Mined>> {
        let receipt = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| self.rpc(format!("eth_getTransactionReceipt: {e}")))?;
        Ok(receipt.map(|r| Mined {
            success: r.status(),
            block: r.block_number.unwrap_or_default(),
            cost: Cost {
                gas_used: r.gas_used,
                fee_wei: U256::from(r.gas_used) * U256::from(r.effective_gas_price),
            },
        }))
    }

    /// `account`'s nonce counting the transactions the node holds pending.
    pub async fn pending_nonce_of(&self, account: Address) -> Result<u64> {
        self.provider
            .get_transaction_count(account)
            .pending()
            .await
            .map_err(|e| self.rpc(format!("eth_getTransactionCount: {e}")))
    }

    /// Whether the node holds `hash` (pending or mined).
    pub async fn knows(&self, hash: B256) -> Result<bool> {
        Ok(self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(|e| self.rpc(format!("eth_getTransactionByHash: {e}")))?
            .is_some())
    }

    /// `account`'s nonce at the latest block (transactions mined so far).
    pub async fn mined_nonce_of(&self, account: Address) -> Result<u64> {
        self.provider
            .get_transaction_count(account)
            .latest()
            .await
            .map_err(|e| self.rpc(format!("eth_getTransactionCount: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_json_round_trip() {
        let works = [
            Work::CommitRoot { messages: 3 },
            Work::PublishRoot {
                root: B256::repeat_byte(1),
                count: 3,
            },
            Work::RelayMessages {
                root: B256::repeat_byte(2),
                first: 0,
                last: 49,
            },
            Work::Propose { l2_block: 10 },
            Work::ReleaseBond { output_index: 2 },
            Work::WithdrawBond,
            Work::FinalizeWithdrawals {
                output_index: 1,
                nonces: vec![0, 1, 2],
            },
            Work::Challenge {
                output_index: 4,
                output: B256::repeat_byte(3),
            },
        ];
        for work in works {
            let json = work.to_json();
            assert!(json.contains(work.kind()), "{json}");
            assert_eq!(Work::from_json(&json).unwrap(), work);
        }
        assert!(Work::from_json("{\"kind\":\"steal\"}").is_err());
        assert_eq!(Work::WithdrawBond.role(), Role::Propose);
        assert_eq!(
            Work::FinalizeWithdrawals {
                output_index: 0,
                nonces: vec![]
            }
            .role(),
            Role::Finalize
        );
    }
}
