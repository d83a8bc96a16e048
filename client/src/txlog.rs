//! The transactions a command has sent, as they happen: each is recorded the moment a node
//! accepted it (with its hash) and again when its receipt arrives, so that a binary can show the
//! hash at once, show what it is waiting for, and, when interrupted, say what already landed.
//! Printing is the binary's: it passes a hook ([`TxLog::with_hook`]).

use std::sync::{Arc, Mutex};

use alloy::primitives::B256;
use serde::Serialize;

use crate::types::Layer;

/// One transaction handed to a node by [`crate::ChainClient::send`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentTx {
    /// The chain it was sent to.
    pub chain: Layer,
    /// What it does (`"depositETH"`, `"approve"`, ...).
    pub action: String,
    /// Its hash.
    pub tx_hash: B256,
    /// `None` while no receipt is known; then whether it succeeded and in which block.
    pub outcome: Option<TxOutcome>,
}

/// A receipt's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TxOutcome {
    /// Whether it succeeded.
    pub success: bool,
    /// The block it was mined in.
    pub block: Option<u64>,
}

impl drawbridge_service::output::ShownTx for SentTx {
    fn what(&self) -> String {
        self.action.clone()
    }

    fn chain(&self) -> String {
        self.chain.to_string()
    }

    fn hash(&self) -> String {
        self.tx_hash.to_string()
    }

    fn landed(&self) -> Option<(bool, Option<u64>)> {
        self.outcome.map(|o| (o.success, o.block))
    }
}

type Hook = Arc<dyn Fn(&SentTx) + Send + Sync>;

/// The transactions sent so far; clones share them. An optional hook sees every change (the
/// binary prints from it).
#[derive(Clone, Default)]
pub struct TxLog {
    sent: Arc<Mutex<Vec<SentTx>>>,
    hook: Option<Hook>,
}

impl std::fmt::Debug for TxLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxLog")
            .field("sent", &self.sent())
            .finish_non_exhaustive()
    }
}

impl TxLog {
    /// A log whose every change is also shown to `hook`.
    pub fn with_hook(hook: impl Fn(&SentTx) + Send + Sync + 'static) -> Self {
        Self {
            sent: Arc::default(),
            hook: Some(Arc::new(hook)),
        }
    }

    /// A log that shows every step to a person on standard error
    /// ([`drawbridge_service::output::TxProgress`]).
    pub fn shown() -> Self {
        let progress = drawbridge_service::output::TxProgress::default();
        Self::with_hook(move |tx| progress.show(tx))
    }

    /// Every transaction sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentTx> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn record_sent(&self, chain: Layer, action: &str, tx_hash: B256) {
        let tx = SentTx {
            chain,
            action: action.to_string(),
            tx_hash,
            outcome: None,
        };
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx.clone());
        self.notify(&tx);
    }

    pub(crate) fn record_outcome(&self, tx_hash: B256, outcome: TxOutcome) {
        let changed = {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            sent.iter_mut()
                .rev()
                .find(|t| t.tx_hash == tx_hash)
                .map(|t| {
                    t.outcome = Some(outcome);
                    t.clone()
                })
        };
        if let Some(tx) = changed {
            self.notify(&tx);
        }
    }

    fn notify(&self, tx: &SentTx) {
        if let Some(hook) = &self.hook {
            hook(tx);
        }
    }

    /// What a person needs after an interruption: every transaction sent and whether it is known
    /// to have landed; one not yet mined may still land. Empty when nothing was sent.
    pub fn interruption_summary(&self) -> String {
        let sent = self.sent();
        if sent.is_empty() {
            return "nothing was sent".to_string();
        }
        let mut lines = Vec::new();
        for tx in &sent {
            let state = match tx.outcome {
                None => "sent, not yet mined: it may still land",
                Some(TxOutcome { success: true, .. }) => "landed",
                Some(TxOutcome { success: false, .. }) => "mined and failed",
            };
            lines.push(format!(
                "  {} on {}: {} ({state})",
                tx.action, tx.chain, tx.tx_hash
            ));
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_sees_each_send_and_each_receipt_and_the_summary_says_what_landed() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = {
            let seen = seen.clone();
            TxLog::with_hook(move |tx| seen.lock().unwrap().push(tx.clone()))
        };
        assert_eq!(log.interruption_summary(), "nothing was sent");
        let (a, b) = (B256::repeat_byte(1), B256::repeat_byte(2));
        log.record_sent(Layer::L1, "approve", a);
        log.record_outcome(
            a,
            TxOutcome {
                success: true,
                block: Some(7),
            },
        );
        log.clone().record_sent(Layer::L1, "depositERC20", b);
        assert_eq!(seen.lock().unwrap().len(), 3);
        let summary = log.interruption_summary();
        assert!(
            summary.contains(&format!("approve on L1: {a} (landed)")),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("depositERC20 on L1: {b} (sent, not yet mined")),
            "{summary}"
        );
        // An unknown hash changes nothing.
        log.record_outcome(
            B256::ZERO,
            TxOutcome {
                success: false,
                block: None,
            },
        );
        assert_eq!(seen.lock().unwrap().len(), 3);
    }
}
