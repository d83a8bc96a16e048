//! Token amounts for tests, in wei-denominated units of 18-decimal tokens.

use alloy::primitives::U256;

/// One wei-denominated unit of 18-decimal tokens.
pub fn units(whole: u64) -> U256 {
    U256::from(whole) * U256::from(10).pow(U256::from(18))
}

/// `milli / 1000` of an 18-decimal token.
pub fn milli_units(milli: u64) -> U256 {
    U256::from(milli) * U256::from(10).pow(U256::from(15))
}

/// A decimal ether amount (`"1.5"`) in wei.
pub fn ether(amount: &str) -> U256 {
    alloy::primitives::utils::parse_ether(amount).expect("a decimal ether amount")
}
