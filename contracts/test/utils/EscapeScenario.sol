// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Vm.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice The scenario behind `test/vectors/escape-vectors.json`, shared by the script that plays its L2
/// side on a real anvil (`test/vectors/escape/EscapeScenario.s.sol`) and by the tests that play its L1 side
/// (`test/Escape.t.sol`, `test/Gas.t.sol`), so both sides agree on every address, message and withdrawal.
///
/// Deployers: the L1 contracts come from `L1_DEPLOYER` (nonces 0..4: L1Bridge and OutputOracle
/// implementations, their proxies, the L1 TestToken "TT"); the L2 contracts from anvil's first dev account
/// (nonces 0..3: L1RootOracle and L2Bridge implementations, their proxies). L1 chain id 900, L2 901.
///
/// L1 messages (nonce: kind, sender = L2 account, amount):
///   0 deposit ETH alice 10 ether (announces ETH)   5 deposit ETH dave 3 ether
///   1 deposit ETH bob 5 ether                       6 deposit ETH erin 1 ether
///   2 deposit TT alice 1000e18 (announces TT)        7 deposit TT bob 7e18
///   3 deposit TT carol 50e18                         8 forced withdrawal alice TT 500e18
///   4 forced withdrawal bob ETH 2 ether
/// L2 states (each a block whose state root, withdrawal root and message count the vectors record):
///   A: messages 0..3 processed; alice withdraws 1 ETH (withdrawal 0); carol sends dave 20 TT.
///   B: messages 4..5 processed (bob's forced withdrawal burns 2 ETH: withdrawal 1); alice withdraws 100 TT
///      (withdrawal 2). Balances: ETH alice 9, bob 3, dave 3; TT alice 900, carol 30, dave 20.
///   C: messages 6..8 processed (alice's forced withdrawal burns 500 TT: withdrawal 3); alice withdraws
///      2 ETH (withdrawal 4).
library EscapeScenario {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant L1_CHAIN_ID = 900;
    uint256 internal constant L2_CHAIN_ID = 901;
    /// @dev anvil's first dev account (public test key).
    uint256 internal constant L2_DEPLOYER_KEY =
        0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;
    uint256 internal constant L1_DEPLOYER_KEY = uint256(keccak256("drawbridge escape scenario L1 deployer"));

    uint256 internal constant PROCESSED_A = 4;
    uint256 internal constant PROCESSED_B = 6;
    uint256 internal constant PROCESSED_C = 9;
    uint256 internal constant WITHDRAWALS_A = 1;
    uint256 internal constant WITHDRAWALS_B = 3;
    uint256 internal constant WITHDRAWALS_C = 5;
    uint256 internal constant MESSAGE_COUNT = 9;

    function key(string memory name) internal pure returns (uint256) {
        return uint256(keccak256(bytes(name)));
    }

    /// @dev The same addresses as Fixture's named accounts.
    function user(string memory name) internal pure returns (address) {
        return vm.addr(key(name));
    }

    function l1Deployer() internal pure returns (address) {
        return vm.addr(L1_DEPLOYER_KEY);
    }

    function l2Deployer() internal pure returns (address) {
        return vm.addr(L2_DEPLOYER_KEY);
    }

    function l1Bridge() internal pure returns (address) {
        return vm.computeCreateAddress(l1Deployer(), 2);
    }

    function outputOracle() internal pure returns (address) {
        return vm.computeCreateAddress(l1Deployer(), 3);
    }

    /// @dev The L1 TestToken "TT".
    function l1Token() internal pure returns (address) {
        return vm.computeCreateAddress(l1Deployer(), 4);
    }

    function rootOracle() internal pure returns (address) {
        return vm.computeCreateAddress(l2Deployer(), 2);
    }

    function l2Bridge() internal pure returns (address) {
        return vm.computeCreateAddress(l2Deployer(), 3);
    }

    function _message(
        uint64 nonce,
        uint8 kind,
        string memory who,
        address token,
        uint256 amount,
        bytes memory data
    ) private pure returns (L1Message memory) {
        address a = user(who);
        return L1Message({
            kind: kind, nonce: nonce, sender: a, recipient: a, token: token, amount: amount, data: data
        });
    }

    /// @dev The nine L1 messages, as L1Bridge emits them.
    function messages() internal pure returns (L1Message[] memory m) {
        uint8 d = Hashing.KIND_DEPOSIT;
        uint8 f = Hashing.KIND_FORCED_WITHDRAWAL;
        address tt = l1Token();
        m = new L1Message[](MESSAGE_COUNT);
        m[0] = _message(0, d, "alice", address(0), 10 ether, abi.encode("Ether", "ETH", uint8(18)));
        m[1] = _message(1, d, "bob", address(0), 5 ether, "");
        m[2] = _message(2, d, "alice", tt, 1000e18, abi.encode("Test Token", "TT", uint8(18)));
        m[3] = _message(3, d, "carol", tt, 50e18, "");
        m[4] = _message(4, f, "bob", address(0), 2 ether, "");
        m[5] = _message(5, d, "dave", address(0), 3 ether, "");
        m[6] = _message(6, d, "erin", address(0), 1 ether, "");
        m[7] = _message(7, d, "bob", tt, 7e18, "");
        m[8] = _message(8, f, "alice", tt, 500e18, "");
    }

    function leaves() internal pure returns (bytes32[] memory l) {
        L1Message[] memory m = messages();
        l = new bytes32[](m.length);
        for (uint256 i; i < m.length; ++i) {
            l[i] = Hashing.l1MessageLeaf(
                L1_CHAIN_ID,
                l1Bridge(),
                m[i].kind,
                m[i].nonce,
                m[i].sender,
                m[i].recipient,
                m[i].token,
                m[i].amount,
                keccak256(m[i].data)
            );
        }
    }

    function _withdrawal(uint64 nonce, string memory who, address token, uint256 amount)
        private
        pure
        returns (IL1Bridge.Withdrawal memory)
    {
        address a = user(who);
        return IL1Bridge.Withdrawal({nonce: nonce, sender: a, recipient: a, l1Token: token, amount: amount});
    }

    /// @dev The five L2 withdrawals (1 and 3 come from forced withdrawals).
    function withdrawals() internal pure returns (IL1Bridge.Withdrawal[] memory w) {
        address tt = l1Token();
        w = new IL1Bridge.Withdrawal[](WITHDRAWALS_C);
        w[0] = _withdrawal(0, "alice", address(0), 1 ether);
        w[1] = _withdrawal(1, "bob", address(0), 2 ether);
        w[2] = _withdrawal(2, "alice", tt, 100e18);
        w[3] = _withdrawal(3, "alice", tt, 500e18);
        w[4] = _withdrawal(4, "alice", address(0), 2 ether);
    }

    function withdrawalLeaves() internal pure returns (bytes32[] memory l) {
        IL1Bridge.Withdrawal[] memory w = withdrawals();
        l = new bytes32[](w.length);
        for (uint256 i; i < w.length; ++i) {
            l[i] = Hashing.withdrawalLeaf(
                L2_CHAIN_ID, l2Bridge(), w[i].nonce, w[i].sender, w[i].recipient, w[i].l1Token, w[i].amount
            );
        }
    }
}
