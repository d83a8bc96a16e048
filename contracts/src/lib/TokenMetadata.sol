// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Defensive reads of ERC-20 metadata for a token's first deposit.
/// @notice Never reverts: a missing, reverting, gas-hungry or malformed `name()`/`symbol()`/`decimals()`
/// falls back to `""`, `""` and `18`. Strings returned as ABI `string` or as `bytes32` (e.g. MKR) are both
/// understood. Strings are cut to `MAX_STRING_LENGTH` bytes (at a UTF-8 character boundary) so that a
/// hostile token cannot make its first deposit message too large to relay on L2.
library TokenMetadata {
    /// @notice Longest name or symbol carried to L2, in bytes.
    uint256 internal constant MAX_STRING_LENGTH = 64;
    /// @notice Gas given to each metadata call.
    uint256 internal constant METADATA_CALL_GAS = 60_000;
    /// @notice Decimals announced when `decimals()` is missing or out of range.
    uint8 internal constant DEFAULT_DECIMALS = 18;

    /// @notice Reads `(name, symbol, decimals)` of `token` with fallbacks.
    function read(address token)
        internal
        view
        returns (string memory name, string memory symbol, uint8 decimals)
    {
        name = readString(token, 0x06fdde03); // name()
        symbol = readString(token, 0x95d89b41); // symbol()
        decimals = readDecimals(token);
    }

    /// @notice Calls a string getter; returns at most `MAX_STRING_LENGTH` bytes, `""` on any failure.
    function readString(address token, bytes4 selector) internal view returns (string memory out) {
        uint256 len;
        uint256 fullLen;
        assembly ("memory-safe") {
            // Buffer: length word + MAX_STRING_LENGTH + 1 bytes (one extra byte to find a character
            // boundary when cutting), rounded up to whole words and zeroed.
            out := mload(0x40)
            mstore(0x40, add(out, 0x80))
            mstore(out, 0)
            mstore(add(out, 0x20), 0)
            mstore(add(out, 0x40), 0)
            mstore(add(out, 0x60), 0)
            mstore(0x00, selector)
            let ok := staticcall(METADATA_CALL_GAS, token, 0x00, 0x04, 0x00, 0x00)
            let rds := returndatasize()
            if ok {
                switch eq(rds, 0x20)
                case 1 {
                    // bytes32-style string: the bytes before the first zero byte.
                    returndatacopy(add(out, 0x20), 0, 0x20)
                    let w := mload(add(out, 0x20))
                    for {} lt(fullLen, 32) { fullLen := add(fullLen, 1) } { if iszero(byte(fullLen, w)) { break } }
                }
                default {
                    if iszero(lt(rds, 0x40)) {
                        returndatacopy(0x00, 0x00, 0x20)
                        let off := mload(0x00)
                        // Need off + 32 <= rds (off < rds first, so the addition cannot wrap).
                        if and(lt(off, rds), iszero(gt(add(off, 0x20), rds))) {
                            returndatacopy(0x00, off, 0x20)
                            let l := mload(0x00)
                            if iszero(gt(l, sub(sub(rds, off), 0x20))) {
                                fullLen := l
                                let copy := l
                                if gt(copy, add(MAX_STRING_LENGTH, 1)) {
                                    copy := add(MAX_STRING_LENGTH, 1)
                                }
                                returndatacopy(add(out, 0x20), add(off, 0x20), copy)
                            }
                        }
                    }
                }
            }
        }
        len = fullLen;
        if (len > MAX_STRING_LENGTH) {
            len = MAX_STRING_LENGTH;
            // Do not split a UTF-8 character: while the first dropped byte is a continuation byte
            // (10xxxxxx), drop the byte before it too.
            // (The buffer holds MAX_STRING_LENGTH + 1 bytes; its length word is only set below.)
            while (len > 0 && _byteAt(out, len) & 0xC0 == 0x80) {
                --len;
            }
        }
        assembly ("memory-safe") {
            // Clear everything past the kept bytes so the ABI encoding's padding is zero.
            let data := add(out, 0x20)
            let word := and(len, not(31))
            let rem := and(len, 31)
            if rem {
                let ptr := add(data, word)
                let keepMask := not(shr(mul(rem, 8), not(0)))
                mstore(ptr, and(mload(ptr), keepMask))
                word := add(word, 0x20)
            }
            for {} lt(word, 0x60) { word := add(word, 0x20) } { mstore(add(data, word), 0) }
            mstore(out, len)
        }
    }

    /// @dev Byte `i` of the data area of `buf`, whatever its length word says.
    function _byteAt(string memory buf, uint256 i) private pure returns (uint8 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(buf, 0x20), i)))
        }
    }

    /// @notice Calls `decimals()`; `DEFAULT_DECIMALS` unless it returns a value below 256.
    function readDecimals(address token) internal view returns (uint8 decimals) {
        decimals = DEFAULT_DECIMALS;
        assembly ("memory-safe") {
            mstore(0x00, 0x313ce56700000000000000000000000000000000000000000000000000000000) // decimals()
            let ok := staticcall(METADATA_CALL_GAS, token, 0x00, 0x04, 0x00, 0x00)
            if and(ok, iszero(lt(returndatasize(), 0x20))) {
                returndatacopy(0x00, 0x00, 0x20)
                let v := mload(0x00)
                if lt(v, 256) { decimals := v }
            }
        }
    }
}
