//! Decimal amounts in token units (`1.5` ETH) to and from base units (`1500000000000000000` wei).
//! Formatting is in [`crate::format`] (re-exported here).

use alloy::primitives::U256;

use crate::error::ClientError;
pub use crate::format::format_amount;

/// Parses a decimal amount in token units into base units for a token with `decimals` decimals.
///
/// Accepts digits with at most one `.` (`1`, `1.5`, `0.000001`, `.5`, `5.`). Fractional digits
/// beyond `decimals` are refused unless they are all zero (`1.50` is fine for one decimal, `1.55`
/// is not): the amount must be exact. Refuses empty input, signs, exponents, separators, zero and
/// amounts that do not fit 256 bits.
pub fn parse_amount(input: &str, decimals: u8) -> Result<U256, ClientError> {
    let bad = |reason: String| ClientError::InvalidAmount {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(bad("empty; expected a decimal number such as 1.5".into()));
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(bad("expected a decimal number such as 1.5".into()));
    }
    if let Some(c) = int
        .chars()
        .chain(frac.chars())
        .find(|c| !c.is_ascii_digit())
    {
        let reason = match c {
            '-' => "must be positive".to_string(),
            '.' => "more than one decimal point".to_string(),
            _ => format!(
                "unexpected character {c:?}; expected digits with at most one '.' (e.g. 1.5)"
            ),
        };
        return Err(bad(reason));
    }
    let significant = frac.trim_end_matches('0');
    if significant.len() > usize::from(decimals) {
        return Err(bad(if decimals == 0 {
            "the token has no decimals; give a whole number".to_string()
        } else {
            format!(
                "{} decimal places, but the token has only {decimals}",
                significant.len()
            )
        }));
    }
    let overflow = || bad("too large".into());
    let ten = U256::from(10u8);
    let mut value = U256::ZERO;
    for digit in int.bytes() {
        value = value
            .checked_mul(ten)
            .and_then(|v| v.checked_add(U256::from(digit - b'0')))
            .ok_or_else(overflow)?;
    }
    let mut places = 0usize;
    for digit in significant.bytes() {
        value = value
            .checked_mul(ten)
            .and_then(|v| v.checked_add(U256::from(digit - b'0')))
            .ok_or_else(overflow)?;
        places += 1;
    }
    for _ in places..usize::from(decimals) {
        value = value.checked_mul(ten).ok_or_else(overflow)?;
    }
    if value.is_zero() {
        return Err(bad("must be greater than zero".into()));
    }
    Ok(value)
}

/// Checks the syntax of an amount before the token's decimals are known (so that a typo fails
/// before any RPC call): the same rules as [`parse_amount`], with exactly as many decimals as the
/// input uses.
pub fn check_amount_syntax(input: &str) -> Result<(), ClientError> {
    let places = input
        .trim()
        .split_once('.')
        .map_or(0, |(_, frac)| frac.trim_end_matches('0').len());
    parse_amount(input, u8::try_from(places).unwrap_or(u8::MAX)).map(|_| ())
}

/// An amount as typed on a command line: a decimal in the token's units (`1.5`, `250`), for ETH
/// also with a unit as `cast` writes them (`1.5ether`, `20gwei`), and for any token `wei` for
/// base units (`250wei`). The syntax is checked when parsed (a usage error); the token's decimals
/// are applied by [`AmountArg::base_units`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountArg {
    text: String,
    number: String,
    unit: AmountUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountUnit {
    Token,
    Ether,
    Gwei,
    Wei,
}

impl std::str::FromStr for AmountArg {
    type Err = ClientError;

    fn from_str(input: &str) -> Result<Self, ClientError> {
        let text = input.trim();
        let split = text
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(split);
        let unit = match suffix.to_ascii_lowercase().as_str() {
            "" => AmountUnit::Token,
            "ether" | "eth" => AmountUnit::Ether,
            "gwei" => AmountUnit::Gwei,
            "wei" => AmountUnit::Wei,
            other => {
                return Err(ClientError::InvalidAmount {
                    input: input.to_string(),
                    reason: format!(
                        "unknown unit {other:?}: give the amount in the token's units (1.5), or with \
                         ether, gwei (ETH) or wei (base units)"
                    ),
                });
            }
        };
        let places = match unit {
            AmountUnit::Wei => Some(0),
            AmountUnit::Gwei => Some(9),
            AmountUnit::Ether => Some(18),
            AmountUnit::Token => None,
        };
        let checked = match places {
            Some(p) => parse_amount(number, p).map(|_| ()),
            None => check_amount_syntax(number),
        };
        checked.map_err(|e| match e {
            ClientError::InvalidAmount { reason, .. } => ClientError::InvalidAmount {
                input: input.to_string(),
                reason,
            },
            other => other,
        })?;
        Ok(Self {
            text: text.to_string(),
            number: number.to_string(),
            unit,
        })
    }
}

impl std::fmt::Display for AmountArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl AmountArg {
    /// The amount in base units of a token with `decimals` decimals; `ether` and `gwei` only for
    /// ETH (`is_eth`).
    pub fn base_units(&self, is_eth: bool, decimals: u8) -> Result<U256, ClientError> {
        let bad = |reason: String| ClientError::InvalidAmount {
            input: self.text.clone(),
            reason,
        };
        let places = match self.unit {
            AmountUnit::Token => decimals,
            AmountUnit::Wei => 0,
            AmountUnit::Ether | AmountUnit::Gwei if !is_eth => {
                return Err(bad(
                    "ether and gwei are ETH units: give an ERC-20 amount in the token's units \
                     (e.g. 250 or 1.5), or in base units with wei"
                        .into(),
                ));
            }
            AmountUnit::Ether => 18,
            AmountUnit::Gwei => 9,
        };
        // `places` decimals of the number are base units: 9 for gwei, 18 for ether, 0 for wei.
        parse_amount(&self.number, places).map_err(|e| match e {
            ClientError::InvalidAmount { reason, .. } => bad(reason),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(s: &str) -> U256 {
        s.parse().unwrap()
    }

    fn reason(input: &str, decimals: u8) -> String {
        parse_amount(input, decimals).unwrap_err().to_string()
    }

    #[test]
    fn parses_whole_and_fractional_amounts() {
        assert_eq!(parse_amount("1", 18).unwrap(), wei("1000000000000000000"));
        assert_eq!(parse_amount("1.5", 18).unwrap(), wei("1500000000000000000"));
        assert_eq!(parse_amount("0.000001", 6).unwrap(), U256::from(1u8));
        assert_eq!(parse_amount("12.34", 2).unwrap(), U256::from(1234u32));
        assert_eq!(parse_amount(".5", 1).unwrap(), U256::from(5u8));
        assert_eq!(parse_amount("5.", 0).unwrap(), U256::from(5u8));
        assert_eq!(parse_amount(" 7 ", 0).unwrap(), U256::from(7u8));
        assert_eq!(parse_amount("007.10", 2).unwrap(), U256::from(710u32));
        assert_eq!(
            parse_amount("0.000000000000000001", 18).unwrap(),
            U256::from(1u8)
        );
    }

    #[test]
    fn trailing_zeros_beyond_decimals_are_exact() {
        assert_eq!(parse_amount("1.50", 1).unwrap(), U256::from(15u8));
        assert_eq!(parse_amount("3.000", 0).unwrap(), U256::from(3u8));
    }

    #[test]
    fn refuses_more_decimals_than_the_token_has() {
        assert!(reason("1.55", 1).contains("2 decimal places, but the token has only 1"));
        assert!(reason("0.0000001", 6).contains("7 decimal places, but the token has only 6"));
        assert!(reason("1.5", 0).contains("no decimals"));
        assert!(
            parse_amount("0.0000000000000000001", 18)
                .unwrap_err()
                .to_string()
                .contains("19 decimal places")
        );
    }

    #[test]
    fn refuses_zero_and_garbage() {
        assert!(reason("0", 18).contains("greater than zero"));
        assert!(reason("0.000", 18).contains("greater than zero"));
        assert!(reason("", 18).contains("empty"));
        assert!(reason(".", 18).contains("decimal number"));
        assert!(reason("-1", 18).contains("must be positive"));
        assert!(reason("1.2.3", 18).contains("more than one decimal point"));
        assert!(reason("1e18", 18).contains("unexpected character 'e'"));
        assert!(reason("1,5", 18).contains("unexpected character ','"));
        assert!(reason("+1", 18).contains("unexpected character '+'"));
        assert!(reason("abc", 18).contains("invalid amount \"abc\""));
        assert!(reason("0x10", 18).contains("unexpected character 'x'"));
    }

    #[test]
    fn refuses_overflow() {
        let max = U256::MAX.to_string();
        assert_eq!(parse_amount(&max, 0).unwrap(), U256::MAX);
        assert!(reason(&format!("{max}0"), 0).contains("too large"));
        assert!(reason(&max, 1).contains("too large"));
    }

    #[test]
    fn syntax_check_runs_before_decimals_are_known() {
        assert!(check_amount_syntax("1.5").is_ok());
        assert!(check_amount_syntax("0.000000000000000000000000000001").is_ok());
        assert!(check_amount_syntax("1.2.3").is_err());
        assert!(check_amount_syntax("0").is_err());
        assert!(check_amount_syntax("0.00").is_err());
        assert!(check_amount_syntax("one").is_err());
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_amount(wei("1500000000000000000"), 18), "1.5");
        assert_eq!(format_amount(wei("1000000000000000000"), 18), "1");
        assert_eq!(format_amount(U256::from(1u8), 18), "0.000000000000000001");
        assert_eq!(format_amount(U256::ZERO, 18), "0");
        assert_eq!(format_amount(U256::from(1234u32), 2), "12.34");
        assert_eq!(format_amount(U256::from(1234u32), 0), "1234");
        assert_eq!(format_amount(U256::from(100u32), 2), "1");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for (v, d) in [(1u64, 18u8), (123_456_789, 6), (10, 1), (999, 3), (5, 0)] {
            let v = U256::from(v);
            assert_eq!(parse_amount(&format_amount(v, d), d).unwrap(), v);
        }
    }

    #[test]
    fn amounts_with_units() {
        let arg = |s: &str| s.parse::<AmountArg>();
        let eth = |s: &str| arg(s).unwrap().base_units(true, 18).unwrap();
        assert_eq!(eth("1.5"), wei("1500000000000000000"));
        assert_eq!(eth("1.5ether"), wei("1500000000000000000"));
        assert_eq!(eth("1.5ETH"), wei("1500000000000000000"));
        assert_eq!(eth("20gwei"), wei("20000000000"));
        assert_eq!(eth("0.5gwei"), wei("500000000"));
        assert_eq!(eth("250wei"), U256::from(250u16));
        // Base units of any token; ETH units only for ETH.
        let usdc = |s: &str| arg(s).unwrap().base_units(false, 6);
        assert_eq!(usdc("250").unwrap(), U256::from(250_000_000u64));
        assert_eq!(usdc("250wei").unwrap(), U256::from(250u16));
        assert!(
            usdc("1ether")
                .unwrap_err()
                .to_string()
                .contains("ETH units")
        );
        // Syntax errors at parse time, with a hint.
        assert!(
            arg("1.5usdc")
                .unwrap_err()
                .to_string()
                .contains("unknown unit")
        );
        assert!(
            arg("1.5wei")
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        assert!(arg("-1").unwrap_err().to_string().contains("positive"));
        assert!(arg("0.0000000001gwei").is_err());
        assert_eq!(arg(" 1.5ether ").unwrap().to_string(), "1.5ether");
    }
}
