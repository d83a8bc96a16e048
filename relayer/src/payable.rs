//! Which output pays a withdrawal, as read from L1: the newest final output and the freeze, for
//! the protocol's rule ([`drawbridge_protocol::newest_payable_output`],
//! [`drawbridge_protocol::paying_output`]). The finalize role pays by it and the API's withdrawal
//! view answers by it, as the CLI does.

use alloy::primitives::B256;
use alloy::providers::DynProvider;
use drawbridge_bindings::{IL1Bridge, IOutputOracle};
use drawbridge_protocol::{Freeze, newest_payable_output};

use crate::chain::SigningChain;
use crate::error::Result;

/// What L1 says about the outputs `L1Bridge.finalizeWithdrawal` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Payable {
    /// `OutputOracle.latestFinalIndex`, `None` while no output is final.
    pub latest_final: Option<u64>,
    /// Whether the bridge is frozen, and its escape output.
    pub freeze: Freeze,
    /// After a freeze with an escape output: its index and the withdrawal root `freeze`
    /// snapshotted for it, the one the bridge checks proofs against that output with.
    pub escape: Option<(u64, B256)>,
}

impl Payable {
    /// The newest output that pays anything, `None`: none does.
    pub fn newest(&self) -> Option<u64> {
        newest_payable_output(self.latest_final, self.freeze)
    }
}

/// `OutputOracle.latestFinalIndex` on `l1`, `None` while no output is final (the call reverts).
pub(crate) async fn latest_final(
    l1: &SigningChain,
    oracle: &IOutputOracle::IOutputOracleInstance<DynProvider>,
) -> Result<Option<u64>> {
    match oracle.latestFinalIndex().call().await {
        Ok(index) => Ok(Some(index.saturating_to())),
        Err(e) if e.as_revert_data().is_some() => Ok(None),
        Err(e) => Err(l1.rpc(format!("latestFinalIndex: {e}"))),
    }
}

/// Reads [`Payable`] from `l1` (latest state).
pub(crate) async fn read_payable(
    l1: &SigningChain,
    oracle: &IOutputOracle::IOutputOracleInstance<DynProvider>,
    bridge: &IL1Bridge::IL1BridgeInstance<DynProvider>,
) -> Result<Payable> {
    let latest_final = latest_final(l1, oracle).await?;
    let rpc = |e: alloy::contract::Error| l1.rpc(e);
    if !bridge.frozen().call().await.map_err(rpc)? {
        return Ok(Payable {
            latest_final,
            freeze: Freeze::Open,
            escape: None,
        });
    }
    let escape = bridge.escapeOutput().call().await.map_err(rpc)?;
    let escape_output = escape
        .hasEscapeOutput
        .then(|| escape.outputIndex.saturating_to::<u64>());
    Ok(Payable {
        latest_final,
        freeze: Freeze::Frozen { escape_output },
        escape: escape_output.map(|index| (index, escape.withdrawalRoot)),
    })
}
