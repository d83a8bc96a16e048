//! Connections to both chains, bounded log scans and transaction sending with decoded reverts.

use std::fmt;
use std::time::Duration;

use alloy::contract::{CallBuilder, CallDecoder};
use alloy::network::{Ethereum, EthereumWallet};
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{BlockNumberOrTag, Filter, Log, TransactionReceipt};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;
use drawbridge_deployment::Deployment;

use crate::error::{ClientError, error_chain};
use crate::revert::{Failure, classify};
use crate::txlog::{TxLog, TxOutcome};
pub use crate::types::Layer;

/// How long to wait for a transaction to be mined.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Gas limit = estimate + estimate / this (25 % headroom) for every transaction sent.
pub const GAS_HEADROOM_DIVISOR: u64 = 4;

/// How long one JSON-RPC request may take before the node counts as unreachable.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest block range asked of `eth_getLogs` at once; halved on failure.
pub const LOG_RANGE: u64 = 5_000;

/// One chain: its endpoint, a read-only provider and its expected chain id.
#[derive(Debug, Clone)]
pub struct ChainClient {
    /// Which chain.
    pub chain: Layer,
    /// The JSON-RPC endpoint.
    pub url: String,
    /// Chain id from the deployment file.
    pub chain_id: u64,
    /// Read-only provider.
    pub provider: DynProvider,
    /// How long [`ChainClient::send`] waits for a receipt.
    pub receipt_timeout: Duration,
    /// Every transaction [`ChainClient::send`] sent (shared with the other chain's client).
    pub txs: TxLog,
}

impl ChainClient {
    /// A client for `url` (nothing is contacted yet).
    pub fn new(chain: Layer, url: &str, chain_id: u64) -> Result<Self, ClientError> {
        let parsed = url.parse::<Url>().map_err(|e| ClientError::InvalidRpcUrl {
            chain,
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let provider = ProviderBuilder::new()
            .connect_client(rpc_client(chain, parsed)?)
            .erased();
        Ok(Self {
            chain,
            url: url.to_string(),
            chain_id,
            provider,
            receipt_timeout: RECEIPT_TIMEOUT,
            txs: TxLog::default(),
        })
    }

    /// A provider that signs with `signer` on this chain.
    pub fn writer(&self, signer: &PrivateKeySigner) -> Result<DynProvider, ClientError> {
        let parsed = self
            .url
            .parse::<Url>()
            .map_err(|e| ClientError::InvalidRpcUrl {
                chain: self.chain,
                url: self.url.clone(),
                reason: e.to_string(),
            })?;
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_client(rpc_client(self.chain, parsed)?)
            .erased())
    }

    /// An RPC error while doing `action`, with the whole chain of causes (so that "connection
    /// refused" is not hidden behind "error sending request").
    pub fn transport_error(
        &self,
        action: impl Into<String>,
        error: &(dyn std::error::Error + 'static),
    ) -> ClientError {
        self.rpc_error(action, error_chain(error))
    }

    /// An RPC error while doing `action`.
    pub fn rpc_error(&self, action: impl Into<String>, message: impl fmt::Display) -> ClientError {
        ClientError::Rpc {
            chain: self.chain,
            url: self.url.clone(),
            action: action.into(),
            message: message.to_string(),
        }
    }

    /// Maps a contract error: reverts become [`ClientError::Reverted`] with the decoded error,
    /// everything else [`ClientError::Rpc`].
    pub fn contract_error(
        &self,
        action: impl Into<String>,
        error: &alloy::contract::Error,
    ) -> ClientError {
        let action = action.into();
        match classify(error) {
            Failure::Revert(reason) => ClientError::Reverted {
                action,
                error: reason,
            },
            Failure::Transport(message) => self.rpc_error(action, message),
        }
    }

    /// Checks that the node is reachable and on the deployment's chain.
    pub async fn check(&self) -> Result<(), ClientError> {
        let actual = self
            .provider
            .get_chain_id()
            .await
            .map_err(|e| self.transport_error("reading the chain id", &e))?;
        if actual != self.chain_id {
            return Err(ClientError::WrongChain {
                chain: self.chain,
                url: self.url.clone(),
                expected: self.chain_id,
                actual,
            });
        }
        Ok(())
    }

    /// Latest block number.
    pub async fn head(&self) -> Result<u64, ClientError> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| self.transport_error("reading the latest block number", &e))
    }

    /// Timestamp of the latest block: "now" as the contracts see it.
    pub async fn now(&self) -> Result<u64, ClientError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| self.transport_error("reading the latest block", &e))?
            .ok_or_else(|| {
                self.rpc_error("reading the latest block", "the node has no latest block")
            })?;
        Ok(block.header.timestamp)
    }

    /// Native balance of `account`.
    pub async fn balance(&self, account: Address) -> Result<alloy::primitives::U256, ClientError> {
        self.provider
            .get_balance(account)
            .await
            .map_err(|e| self.transport_error(format!("reading the balance of {account}"), &e))
    }

    /// Whether there is code at `address`.
    pub async fn has_code(&self, address: Address) -> Result<bool, ClientError> {
        let code = self
            .provider
            .get_code_at(address)
            .await
            .map_err(|e| self.transport_error(format!("reading the code at {address}"), &e))?;
        Ok(!code.is_empty())
    }

    /// All logs matching `filter` in blocks `from..=to`, asked in ranges of at most
    /// [`LOG_RANGE`] blocks (halved, down to one block, while the node refuses a range).
    pub async fn logs(&self, filter: &Filter, from: u64, to: u64) -> Result<Vec<Log>, ClientError> {
        let mut out = Vec::new();
        let mut start = from;
        let mut range = LOG_RANGE;
        while start <= to {
            let end = to.min(start.saturating_add(range - 1));
            let f = filter.clone().from_block(start).to_block(end);
            match self.provider.get_logs(&f).await {
                Ok(mut logs) => {
                    out.append(&mut logs);
                    start = end + 1;
                }
                Err(e) if range > 1 && e.as_error_resp().is_some() => range /= 2,
                Err(e) => {
                    return Err(
                        self.transport_error(format!("reading logs of blocks {start}..={end}"), &e)
                    );
                }
            }
        }
        Ok(out)
    }

    /// Sends a contract call and waits for its receipt. Reverts found while estimating gas are
    /// decoded; a mined transaction that failed is reported with its hash.
    pub async fn send<P: Provider<Ethereum>, D: CallDecoder>(
        &self,
        action: &str,
        call: CallBuilder<P, D, Ethereum>,
    ) -> Result<TransactionReceipt, ClientError> {
        // The estimate is for the state it ran against; a call whose work depends on the block
        // (the oracle's binary search over outputs whose windows pass, a newer final output) can
        // need a little more once mined. A bare estimate then runs out of gas and reverts.
        let estimate = call
            .estimate_gas()
            .await
            .map_err(|e| self.contract_error(action, &e))?;
        let pending = call
            .gas(estimate.saturating_add(estimate / GAS_HEADROOM_DIVISOR))
            .send()
            .await
            .map_err(|e| self.contract_error(action, &e))?;
        let tx_hash = *pending.tx_hash();
        self.txs.record_sent(self.chain, action, tx_hash);
        let receipt = pending
            .with_timeout(Some(self.receipt_timeout))
            .get_receipt()
            .await
            .map_err(|e| match e {
                alloy::providers::PendingTransactionError::TxWatcher(_) => ClientError::TxTimeout {
                    chain: self.chain,
                    action: action.to_string(),
                    tx_hash,
                    seconds: self.receipt_timeout.as_secs(),
                },
                other => {
                    self.transport_error(format!("{action}: waiting for tx {tx_hash}"), &other)
                }
            })?;
        self.txs.record_outcome(
            tx_hash,
            TxOutcome {
                success: receipt.status(),
                block: receipt.block_number,
            },
        );
        if !receipt.status() {
            return Err(ClientError::TxFailed {
                action: action.to_string(),
                tx_hash,
            });
        }
        Ok(receipt)
    }
}

/// An HTTP JSON-RPC client whose requests time out after [`RPC_TIMEOUT`], so that a node that
/// accepts connections but never answers fails the command instead of hanging it.
fn rpc_client(chain: Layer, url: Url) -> Result<alloy::rpc::client::RpcClient, ClientError> {
    let http = alloy::transports::http::reqwest::Client::builder()
        .timeout(RPC_TIMEOUT)
        .build()
        .map_err(|e| ClientError::Rpc {
            chain,
            url: url.to_string(),
            action: "creating the HTTP client".into(),
            message: error_chain(&e),
        })?;
    Ok(alloy::rpc::client::ClientBuilder::default().http_with_client(http, url))
}

/// Both chains and the deployment.
#[derive(Debug, Clone)]
pub struct Context {
    /// The deployment file's contents.
    pub deployment: Deployment,
    /// L1.
    pub l1: ChainClient,
    /// L2.
    pub l2: ChainClient,
}

impl Context {
    /// Builds clients from the deployment, with optional RPC overrides.
    pub fn new(
        deployment: Deployment,
        l1_rpc: Option<&str>,
        l2_rpc: Option<&str>,
    ) -> Result<Self, ClientError> {
        let l1_url = l1_rpc.unwrap_or(&deployment.l1.rpc_url).to_string();
        let l2_url = l2_rpc.unwrap_or(&deployment.l2.rpc_url).to_string();
        let l1 = ChainClient::new(Layer::L1, &l1_url, deployment.l1.chain_id)?;
        let l2 = ChainClient::new(Layer::L2, &l2_url, deployment.l2.chain_id)?;
        Ok(Self { deployment, l1, l2 })
    }

    /// Both chains' sends go to `txs` and wait at most `receipt_timeout` for a receipt.
    pub fn with_sending(mut self, txs: TxLog, receipt_timeout: Duration) -> Self {
        for chain in [&mut self.l1, &mut self.l2] {
            chain.txs = txs.clone();
            chain.receipt_timeout = receipt_timeout;
        }
        self
    }

    /// Checks both chains.
    pub async fn check_both(&self) -> Result<(), ClientError> {
        self.l1.check().await?;
        self.l2.check().await
    }
}

/// Block number and transaction hash of a log (both present for mined logs).
pub fn log_position(log: &Log) -> (u64, B256) {
    (
        log.block_number.unwrap_or_default(),
        log.transaction_hash.unwrap_or_default(),
    )
}
