//! Domain types shared by every report: which chain, tokens and amounts.

use alloy::primitives::{Address, U256};
use serde::Serialize;

use crate::format::format_amount;

pub use drawbridge_protocol::Layer;

/// A token as shown to people and scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// L1 token address (`address(0)` for ETH).
    pub l1_token: Address,
    /// Symbol (`ETH` for ETH).
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
}

impl TokenInfo {
    /// ETH.
    pub fn eth() -> Self {
        Self {
            l1_token: Address::ZERO,
            symbol: "ETH".into(),
            decimals: 18,
        }
    }

    /// `amount` base units formatted with the symbol, e.g. `1.5 ETH`.
    pub fn show(&self, amount: U256) -> String {
        format!("{} {}", format_amount(amount, self.decimals), self.symbol)
    }
}

/// An amount in base units and token units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// Base units, as a decimal string.
    pub raw: String,
    /// Token units, e.g. `1.5`.
    pub formatted: String,
}

impl Amount {
    /// `value` base units of a token with `decimals` decimals.
    pub fn new(value: U256, decimals: u8) -> Self {
        Self {
            raw: value.to_string(),
            formatted: format_amount(value, decimals),
        }
    }
}
