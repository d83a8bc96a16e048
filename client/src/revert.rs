//! ERC-20 bindings the client needs and the decoding of revert data into custom error names.

use std::fmt::Debug;

use alloy::contract::Error as ContractError;
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};

/// Minimal ERC-20 interface (metadata, balances, allowances) and the standard errors of the
/// OpenZeppelin token contracts the bridge uses.
#[allow(missing_docs)]
pub mod erc20 {
    alloy::sol! {
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        interface IERC20 {
            function name() external view returns (string memory);
            function symbol() external view returns (string memory);
            function decimals() external view returns (uint8);
            function balanceOf(address account) external view returns (uint256);
            function allowance(address owner, address spender) external view returns (uint256);
            function approve(address spender, uint256 value) external returns (bool);
        }

        #[derive(Debug, PartialEq, Eq)]
        interface TokenErrors {
            error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
            error ERC20InvalidSender(address sender);
            error ERC20InvalidReceiver(address receiver);
            error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
            error ERC20InvalidApprover(address approver);
            error ERC20InvalidSpender(address spender);
            error SafeERC20FailedOperation(address token);
            error OnlyBridge();
            error ReentrancyGuardReentrantCall();
            error EnforcedPause();
        }
    }
}

/// Renders a decoded error of a `sol!` errors enum as `Name(field: value, ...)`, or `Name` when
/// it has no fields. The generated `Debug` is `Name(Name { field: value })`.
fn render<E: SolInterface + Debug>(data: &[u8]) -> Option<String> {
    let decoded = E::abi_decode(data).ok()?;
    let debug = format!("{decoded:?}");
    let open = debug.find('(')?;
    let name = &debug[..open];
    let inner = debug[open + 1..].strip_suffix(')')?;
    let fields = inner
        .strip_prefix(name)
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix('{'))
        .and_then(|rest| rest.strip_suffix('}'))
        .map(str::trim);
    Some(match fields {
        Some(f) if !f.is_empty() => format!("{name}({f})"),
        _ => name.to_string(),
    })
}

/// Meaning of a Solidity panic code.
fn panic_reason(code: u64) -> &'static str {
    match code {
        0x01 => "assertion failed",
        0x11 => "arithmetic overflow or underflow",
        0x12 => "division by zero",
        0x21 => "invalid enum value",
        0x22 => "bad storage byte array",
        0x31 => "pop on empty array",
        0x32 => "array index out of bounds",
        0x41 => "out of memory",
        0x51 => "call to an uninitialized function",
        _ => "unknown panic",
    }
}

/// Decodes revert data into a readable reason: the custom error of any Drawbridge contract or
/// standard token error with its arguments, `Error(string)`, or `Panic(uint256)`.
pub fn decode_revert_data(data: &[u8]) -> String {
    if data.is_empty() {
        return "reverted without a reason".to_string();
    }
    if data.len() >= 4 {
        let selector: [u8; 4] = data[..4].try_into().expect("four bytes");
        if selector == Revert::SELECTOR
            && let Ok(r) = Revert::abi_decode(data)
        {
            return format!("Error({:?})", r.reason);
        }
        if selector == Panic::SELECTOR
            && let Ok(p) = Panic::abi_decode(data)
        {
            let code: u64 = p.code.try_into().unwrap_or(u64::MAX);
            return format!("Panic(0x{code:02x}: {})", panic_reason(code));
        }
        let decoded = render::<IL1Bridge::IL1BridgeErrors>(data)
            .or_else(|| render::<IOutputOracle::IOutputOracleErrors>(data))
            .or_else(|| render::<IL2Bridge::IL2BridgeErrors>(data))
            .or_else(|| render::<IL1RootOracle::IL1RootOracleErrors>(data))
            .or_else(|| render::<erc20::TokenErrors::TokenErrorsErrors>(data));
        if let Some(decoded) = decoded {
            return decoded;
        }
    }
    format!(
        "unknown custom error (revert data {})",
        alloy::primitives::hex::encode_prefixed(data)
    )
}

/// What a failed contract call or transaction means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The contract reverted (the decoded reason) or gave an answer that cannot be used.
    Revert(String),
    /// The node could not be reached or answered with a non-revert error.
    Transport(String),
}

/// Classifies an alloy contract error: revert (with decoded data) or transport problem.
pub fn classify(error: &ContractError) -> Failure {
    if let Some(data) = error.as_revert_data() {
        return Failure::Revert(decode_revert_data(&data));
    }
    match error {
        ContractError::TransportError(rpc) => {
            if let Some(resp) = rpc.as_error_resp() {
                let msg = resp.message.to_string();
                if msg.contains("revert") {
                    return Failure::Revert(msg);
                }
                Failure::Transport(format!("node answered: {msg}"))
            } else {
                Failure::Transport(crate::error::error_chain(rpc))
            }
        }
        ContractError::ZeroData(..) => {
            Failure::Revert("no data returned (is there a contract at that address?)".to_string())
        }
        // Undecodable answers and the like: the contract, not the node, is at fault.
        other => Failure::Revert(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn decodes_bridge_errors_with_fields() {
        let data = IL1Bridge::BridgePaused { until: 1234 }.abi_encode();
        assert_eq!(decode_revert_data(&data), "BridgePaused(until: 1234)");
        let data = IL1Bridge::AlreadyFinalized { nonce: 7 }.abi_encode();
        assert_eq!(decode_revert_data(&data), "AlreadyFinalized(nonce: 7)");
        let data = IL1Bridge::ZeroAmount {}.abi_encode();
        assert_eq!(decode_revert_data(&data), "ZeroAmount");
        let data = IOutputOracle::NotFinal {
            index: U256::from(3u8),
        }
        .abi_encode();
        assert_eq!(decode_revert_data(&data), "NotFinal(index: 3)");
        let data = IL2Bridge::OutOfOrder {
            nonce: 5,
            expected: 4,
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data),
            "OutOfOrder(nonce: 5, expected: 4)"
        );
    }

    #[test]
    fn decodes_token_and_standard_errors() {
        let data = erc20::TokenErrors::ERC20InsufficientBalance {
            sender: Address::ZERO,
            balance: U256::from(1u8),
            needed: U256::from(2u8),
        }
        .abi_encode();
        let text = decode_revert_data(&data);
        assert!(
            text.starts_with("ERC20InsufficientBalance(sender: "),
            "{text}"
        );
        assert!(text.contains("balance: 1"), "{text}");
        let data = Revert::from("nope").abi_encode();
        assert_eq!(decode_revert_data(&data), "Error(\"nope\")");
        let data = Panic {
            code: U256::from(0x11u8),
        }
        .abi_encode();
        assert_eq!(
            decode_revert_data(&data),
            "Panic(0x11: arithmetic overflow or underflow)"
        );
        assert_eq!(decode_revert_data(&[]), "reverted without a reason");
        assert!(decode_revert_data(&[1, 2, 3, 4, 5]).starts_with("unknown custom error"));
    }
}
