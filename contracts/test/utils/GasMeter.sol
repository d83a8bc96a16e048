// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {Vm} from "./Vm.sol";

/// @notice Transaction gas of the last call, for the gas benchmarks (test/Gas.t.sol explains the method).
/// With `--isolate` every top-level call is its own transaction and `vm.lastCallGas()` is the transaction's
/// total; without it the execution is measured and the 21,000 base and the calldata cost (EIP-2028, or the
/// EIP-7623 floor when higher) are added here.
abstract contract GasMeter is Test {
    GasMeterNop private gasMeterNop;

    /// @dev Transaction gas of the last call whose calldata was `data`, and whether it was isolated.
    function txGas(bytes memory data) internal returns (uint256 total, bool isolated) {
        Vm.Gas memory g = vm.lastCallGas();
        if (address(gasMeterNop) == address(0)) gasMeterNop = new GasMeterNop();
        gasMeterNop.nop();
        isolated = vm.lastCallGas().gasTotalUsed >= 21_000;
        if (isolated) return (g.gasTotalUsed, true);
        uint256 zeros;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) ++zeros;
        }
        uint256 tokens = zeros + 4 * (data.length - zeros);
        uint256 standard = 21_000 + 4 * tokens + g.gasTotalUsed;
        uint256 floor = 21_000 + 10 * tokens;
        total = standard > floor ? standard : floor;
    }

    /// @dev Logs the last call's transaction gas (divided by `perItem`) and checks it against `target`.
    function reportGas(string memory what, bytes memory data, uint256 perItem, uint256 target)
        internal
        returns (uint256 total)
    {
        (uint256 gasTx, bool isolated) = txGas(data);
        total = gasTx / perItem;
        emit log_named_uint(
            string.concat(what, isolated ? " (isolated tx)" : " (execution + intrinsic)"), total
        );
        assertLe(total, target, string.concat(what, " over target"));
    }
}

contract GasMeterNop {
    function nop() external {}
}
