//! What the relayer watches besides its work: chain heads, its account's balance on both chains
//! (with a low-balance alert), and how many L1 messages L2 processed. Feeds `/status` and
//! `/metrics`; never sends anything.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use drawbridge_bindings::IL2Bridge;
use tracing::{debug, info, warn};

use crate::chain::SigningChain;
use crate::metrics::{ChainView, Metrics};

/// What the monitor needs.
pub(crate) struct Monitor {
    pub l1: SigningChain,
    pub l2: SigningChain,
    pub l2_bridge: Address,
    pub l1_min_balance: U256,
    pub l2_min_balance: U256,
    pub interval: Duration,
    pub metrics: Arc<Metrics>,
}

impl Monitor {
    /// Observes both chains every `interval`, forever (the caller drops the future to stop).
    pub async fn run(self) {
        loop {
            self.observe().await;
            tokio::time::sleep(self.interval).await;
        }
    }

    async fn observe(&self) {
        for (chain, min) in [
            (&self.l1, self.l1_min_balance),
            (&self.l2, self.l2_min_balance),
        ] {
            let before = self.metrics.chain(chain.key);
            let head = match chain.head().await {
                Ok(head) => Some(head),
                Err(error) => {
                    debug!(chain = chain.name, %error, "monitor: head unavailable");
                    before.head
                }
            };
            let balance = match chain.provider.get_balance(chain.from).await {
                Ok(balance) => Some(balance),
                Err(error) => {
                    debug!(chain = chain.name, %error, "monitor: balance unavailable");
                    before.balance
                }
            };
            let low = balance.is_some_and(|b| b < min);
            if low && !before.balance_low {
                warn!(
                    chain = chain.name,
                    account = %chain.from,
                    balance_wei = %balance.unwrap_or_default(),
                    min_balance_wei = %min,
                    "ALERT: relayer balance is below the configured minimum; fund the account before its transactions stall"
                );
                self.metrics.alert("low_balance");
            } else if !low && before.balance_low {
                info!(chain = chain.name, balance_wei = %balance.unwrap_or_default(), "relayer balance is back above the minimum");
            }
            self.metrics.set_chain(
                chain.key,
                ChainView {
                    head,
                    balance,
                    balance_low: low,
                },
            );
        }
        match IL2Bridge::new(self.l2_bridge, self.l2.provider.clone())
            .l1MessagesProcessed()
            .call()
            .await
        {
            Ok(n) => self.metrics.set_l2_messages_processed(n),
            Err(error) => debug!(%error, "monitor: l1MessagesProcessed unavailable"),
        }
    }
}
