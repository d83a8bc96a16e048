//! The chains under test: anvil's clock, reverts decoded by name, fees, and waiting for a
//! condition with a deadline (every wait in every test goes through [`wait_for`]).

use std::future::Future;
use std::time::{Duration, Instant};

use alloy::contract::{CallBuilder, CallDecoder};
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Header, TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolConstructor;
use drawbridge_bindings::ERC1967Proxy;

/// How long a wait of the integration tests waits before it fails the test, unless it says
/// otherwise.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// Polls `check` every 500 ms until it returns `Some`, and returns that; panics naming `what`
/// after `timeout`. Every wait of every test goes through here.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// [`wait_for`] a condition.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(what, timeout, || {
        let holds = condition();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Starts an anvil node (automine, a free port) with `chain_id`, from the repository's
/// `tools/bin/anvil` (or `$DRAWBRIDGE_ANVIL`); panics with how to install it when missing.
pub fn spawn_anvil(chain_id: u64) -> AnvilInstance {
    let path = drawbridge_devnet::anvil_path();
    assert!(
        path.exists(),
        "{} missing: run bash tools/bootstrap.sh",
        path.display()
    );
    Anvil::at(path)
        .chain_id(chain_id)
        .try_spawn()
        .expect("anvil starts")
}

/// Deploys `code` (creation code with its constructor arguments) from `provider`'s signer with
/// `gas` and returns the new contract's address; panics when the creation reverts.
pub async fn create(provider: &DynProvider, code: impl Into<Bytes>, gas: u64) -> Address {
    let tx = TransactionRequest::default()
        .with_deploy_code(code)
        .with_gas_limit(gas);
    let receipt = provider
        .send_transaction(tx)
        .await
        .expect("the creation is sent")
        .get_receipt()
        .await
        .expect("the creation's receipt");
    assert!(receipt.status(), "the creation reverted");
    receipt.contract_address.expect("a created address")
}

/// Deploys an `ERC1967Proxy` in front of `implementation`, initialized with the call `init`.
pub async fn create_proxy(
    provider: &DynProvider,
    implementation: Address,
    init: Vec<u8>,
) -> Address {
    let mut code = ERC1967Proxy::BYTECODE.to_vec();
    code.extend(
        ERC1967Proxy::constructorCall {
            implementation,
            _data: init.into(),
        }
        .abi_encode(),
    );
    create(provider, code, 2_000_000).await
}

/// A provider for `url` that signs as `signer`.
pub fn provider(url: &str, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url.parse().expect("an RPC URL"))
        .erased()
}

/// Sending a contract call as a transaction and waiting for it to be mined.
pub trait Mined {
    /// Sends the transaction and waits for its receipt (reverted or not: the caller asserts on
    /// its status); panics when it cannot be sent or its receipt cannot be had.
    fn mined(self) -> impl Future<Output = TransactionReceipt>;
}

impl<P: Provider, D: CallDecoder> Mined for CallBuilder<P, D> {
    async fn mined(self) -> TransactionReceipt {
        self.send()
            .await
            .expect("the transaction is sent")
            .get_receipt()
            .await
            .expect("the transaction's receipt")
    }
}

/// The header of block `number` of `provider`'s chain.
pub async fn header_at(provider: &DynProvider, number: u64) -> Header {
    provider
        .get_block_by_number(number.into())
        .await
        .expect("eth_getBlockByNumber")
        .expect("the block exists")
        .header
}

/// Waits until the latest block of `provider`'s chain is at `unix_time` or later (the devnet
/// mines every second).
pub async fn wait_until_time(provider: &DynProvider, unix_time: u64) {
    wait_until("the chain's clock to pass a time", DEADLINE, || async {
        latest_timestamp(provider).await >= unix_time
    })
    .await
}

/// Advances an anvil chain's clock by `seconds` and mines a block.
pub async fn increase_time(provider: &DynProvider, seconds: u64) {
    provider
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .expect("evm_increaseTime");
    mine(provider).await;
}

/// Makes the next block of an anvil chain carry `timestamp` (it must be later than the latest).
pub async fn set_next_block_timestamp(provider: &DynProvider, timestamp: u64) {
    provider
        .raw_request::<_, serde_json::Value>("evm_setNextBlockTimestamp".into(), (timestamp,))
        .await
        .expect("evm_setNextBlockTimestamp");
}

/// Mines one block.
pub async fn mine(provider: &DynProvider) {
    provider
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");
}

/// The timestamp of the latest block.
pub async fn latest_timestamp(provider: &DynProvider) -> u64 {
    provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("latest block")
        .expect("a latest block")
        .header
        .timestamp
}

/// The custom error a contract call reverted with, decoded with the contract's error interface `E`
/// (e.g. `IOutputOracle::IOutputOracleErrors`) and printed with `Debug`
/// (`MessageRootMismatch(MessageRootMismatch { .. })`); the raw error when it does not decode.
pub fn revert_name<E: alloy::sol_types::SolInterface + std::fmt::Debug>(
    error: &alloy::contract::Error,
) -> String {
    match error.as_decoded_interface_error::<E>() {
        Some(decoded) => format!("{decoded:?}"),
        None => format!("undecoded revert: {error}"),
    }
}

/// What a mined transaction cost its sender (`gasUsed * effectiveGasPrice`), so that a test can
/// account for every wei an account's balance moved by.
pub async fn tx_fee(provider: &DynProvider, tx: alloy::primitives::B256) -> U256 {
    let receipt = provider
        .get_transaction_receipt(tx)
        .await
        .expect("receipt")
        .expect("a mined transaction");
    U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
}
