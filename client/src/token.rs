//! Tokens as users name them (`eth` or an L1 token address) and address parsing. The
//! `*_value_parser` functions only adapt them to the `Result<_, String>` argument parsers expect;
//! this crate does not depend on any command-line parser.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::Address;

use crate::error::ClientError;

/// A token as the user names it: ETH, or an L1 ERC-20 by address.
///
/// ETH's L1 token address is `address(0)` (docs/design.md), so `0x000…0` means ETH too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenArg {
    /// Ether.
    Eth,
    /// An ERC-20 on L1.
    Erc20(Address),
}

impl TokenArg {
    /// The L1 token address the contracts use (`address(0)` for ETH).
    pub fn l1_address(self) -> Address {
        match self {
            Self::Eth => Address::ZERO,
            Self::Erc20(a) => a,
        }
    }

    /// The token for an L1 token address.
    pub fn from_l1_address(address: Address) -> Self {
        if address.is_zero() {
            Self::Eth
        } else {
            Self::Erc20(address)
        }
    }
}

impl FromStr for TokenArg {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("eth") || t.eq_ignore_ascii_case("ether") {
            return Ok(Self::Eth);
        }
        if !(t.starts_with("0x") || t.starts_with("0X")) {
            return Err(ClientError::InvalidToken {
                input: s.to_string(),
            });
        }
        let address = parse_address("--token", t).map_err(|_| ClientError::InvalidToken {
            input: s.to_string(),
        })?;
        Ok(Self::from_l1_address(address))
    }
}

impl fmt::Display for TokenArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eth => f.write_str("ETH"),
            Self::Erc20(a) => write!(f, "{a}"),
        }
    }
}

/// Parses a `0x`-prefixed 20-byte hex address; `what` names the argument in the error.
pub fn parse_address(what: &'static str, input: &str) -> Result<Address, ClientError> {
    let t = input.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .ok_or_else(|| ClientError::InvalidAddress {
            what,
            input: input.to_string(),
        })?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ClientError::InvalidAddress {
            what,
            input: input.to_string(),
        });
    }
    Address::from_str(hex).map_err(|_| ClientError::InvalidAddress {
        what,
        input: input.to_string(),
    })
}

/// clap value parser for `--token`.
pub fn token_value_parser(s: &str) -> Result<TokenArg, String> {
    s.parse().map_err(|e: ClientError| e.to_string())
}

/// clap value parser for amount arguments (see [`crate::amount::AmountArg`]).
pub fn amount_value_parser(s: &str) -> Result<crate::amount::AmountArg, String> {
    s.parse().map_err(|e: ClientError| e.to_string())
}

/// clap value parser for message nonces: a whole number from 0.
pub fn nonce_value_parser(s: &str) -> Result<u64, String> {
    s.trim().parse().map_err(|_| {
        format!("{s:?} is not a nonce: a whole number from 0 (the command that sent the message printed it)")
    })
}

/// clap value parser for address arguments.
pub fn address_value_parser(s: &str) -> Result<Address, String> {
    parse_address("the address", s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn eth_in_any_case() {
        for s in ["eth", "ETH", "Eth", " eth ", "ether"] {
            assert_eq!(s.parse::<TokenArg>().unwrap(), TokenArg::Eth, "{s}");
        }
    }

    #[test]
    fn address_tokens() {
        let a = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        assert_eq!(
            "0x5FbDB2315678afecb367f032d93F642f64180aa3"
                .parse::<TokenArg>()
                .unwrap(),
            TokenArg::Erc20(a)
        );
        assert_eq!(
            "0x5fbdb2315678afecb367f032d93f642f64180aa3"
                .parse::<TokenArg>()
                .unwrap(),
            TokenArg::Erc20(a)
        );
        assert_eq!(TokenArg::Erc20(a).l1_address(), a);
        // ETH's L1 token address is address(0).
        assert_eq!(
            "0x0000000000000000000000000000000000000000"
                .parse::<TokenArg>()
                .unwrap(),
            TokenArg::Eth
        );
        assert_eq!(TokenArg::Eth.l1_address(), Address::ZERO);
    }

    #[test]
    fn refuses_bad_tokens() {
        for s in [
            "",
            "btc",
            "0x123",
            "5FbDB2315678afecb367f032d93F642f64180aa3",
            "0x5FbDB2315678afecb367f032d93F642f64180aaZ",
            "0x5FbDB2315678afecb367f032d93F642f64180aa31",
        ] {
            let err = s.parse::<TokenArg>().unwrap_err().to_string();
            assert!(err.contains("invalid token"), "{s}: {err}");
            assert!(err.contains("`eth` or an L1 token address"), "{s}: {err}");
        }
    }

    #[test]
    fn addresses() {
        assert!(parse_address("--to", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8").is_ok());
        let err = parse_address("--to", "0x7099").unwrap_err().to_string();
        assert!(
            err.contains("malformed address \"0x7099\" for --to"),
            "{err}"
        );
        assert!(
            parse_address("--to", "70997970C51812dc3A010C7d01b50e0d17dc79C8").is_err(),
            "needs 0x"
        );
        assert!(address_value_parser("nope").is_err());
    }
}
