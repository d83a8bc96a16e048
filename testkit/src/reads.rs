//! Reads of a devnet's bridge state and balances that tests assert on, through a read-only
//! provider: for tests that hold a [`Devnet`] rather than a [`crate::TestBed`].

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use drawbridge_bindings::{IL1Bridge, IL2Bridge, IOutputOracle, TestToken};
use drawbridge_deployment::Deployment;
use drawbridge_devnet::Devnet;

/// A read-only provider of the devnet's L1.
pub fn l1_reader(devnet: &Devnet) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(devnet.l1.endpoint_url())
        .erased()
}

/// A read-only provider of the devnet's L2 node.
pub fn l2_reader(devnet: &Devnet) -> DynProvider {
    ProviderBuilder::new()
        .connect_http(devnet.l2.endpoint_url())
        .erased()
}

/// L2 balance of the bridged token for `l1_token` (zero before its first deposit).
pub async fn l2_balance(devnet: &Devnet, l1_token: Address, account: Address) -> U256 {
    let l2 = l2_reader(devnet);
    let token = IL2Bridge::new(devnet.deployment.l2.l2_bridge, &l2)
        .bridgedToken(l1_token)
        .call()
        .await
        .expect("bridgedToken");
    if l2.get_code_at(token).await.expect("code").is_empty() {
        return U256::ZERO;
    }
    TestToken::new(token, &l2)
        .balanceOf(account)
        .call()
        .await
        .expect("balanceOf")
}

/// L1 balance: ETH for `Address::ZERO`, otherwise the ERC-20.
pub async fn l1_balance(devnet: &Devnet, token: Address, account: Address) -> U256 {
    let l1 = l1_reader(devnet);
    if token == Address::ZERO {
        l1.get_balance(account).await.expect("balance")
    } else {
        TestToken::new(token, &l1)
            .balanceOf(account)
            .call()
            .await
            .expect("balanceOf")
    }
}

/// L1 messages processed on L2.
pub async fn processed(devnet: &Devnet) -> u64 {
    IL2Bridge::new(devnet.deployment.l2.l2_bridge, l2_reader(devnet))
        .l1MessagesProcessed()
        .call()
        .await
        .expect("l1MessagesProcessed")
}

/// L1 messages sent on L1.
pub async fn message_count(devnet: &Devnet) -> u64 {
    IL1Bridge::new(devnet.deployment.l1.l1_bridge, l1_reader(devnet))
        .messageCount()
        .call()
        .await
        .expect("messageCount")
}

/// Whether the withdrawal `nonce` is paid on L1.
pub async fn is_finalized(devnet: &Devnet, nonce: u64) -> bool {
    IL1Bridge::new(devnet.deployment.l1.l1_bridge, l1_reader(devnet))
        .isWithdrawalFinalized(nonce)
        .call()
        .await
        .expect("isWithdrawalFinalized")
}

/// The devnet's `OutputOracle`, read-only.
pub fn oracle(devnet: &Devnet) -> IOutputOracle::IOutputOracleInstance<DynProvider> {
    IOutputOracle::new(devnet.deployment.l1.output_oracle, l1_reader(devnet))
}

/// Every `MessageSent` event of L1's bridge since its deployment, read through `l1`, in chain
/// order.
pub async fn message_sent(
    l1: &DynProvider,
    deployment: &Deployment,
) -> Vec<IL1Bridge::MessageSent> {
    use alloy::sol_types::SolEvent;
    let filter = alloy::rpc::types::Filter::new()
        .address(deployment.l1.l1_bridge)
        .event_signature(IL1Bridge::MessageSent::SIGNATURE_HASH)
        .from_block(deployment.l1.deploy_block)
        .to_block(alloy::eips::BlockNumberOrTag::Latest);
    l1.get_logs(&filter)
        .await
        .expect("MessageSent logs")
        .iter()
        .map(|log| {
            log.log_decode::<IL1Bridge::MessageSent>()
                .expect("a MessageSent log")
                .inner
                .data
        })
        .collect()
}
