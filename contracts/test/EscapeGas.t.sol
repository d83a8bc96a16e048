// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EscapeFixture} from "./utils/EscapeFixture.sol";
import {GasMeter} from "./utils/GasMeter.sol";
import {Mpt} from "./utils/Mpt.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {L1Message} from "../src/Types.sol";

/// @notice Gas per transaction of freeze, escape and refund (method: test/Gas.t.sol; command in
/// contracts/README.md "Gas"). Escapes are measured with proofs as deep as mainnet-scale tries
/// (`Mpt.deepProof`: ACCOUNT_BRANCHES full branch nodes above the token's account leaf, STORAGE_BRANCHES
/// above the balance leaf, every node the size a real one has) and, for reference, with the small tries of
/// the anvil vectors. Target: at most 250,000 gas per escape transaction (issue 4; Optimism's storage-proof
/// `proveWithdrawalTransaction` is about 170-180k before its finalize).
contract EscapeGasTest is EscapeFixture, GasMeter {
    uint256 internal constant TARGET_ESCAPE = 250_000;
    /// @dev Regression bounds at the measured figures plus a margin (the issue names no target).
    uint256 internal constant BOUND_FREEZE = 125_000;
    uint256 internal constant BOUND_ESCAPE_BOTH_PROOFS = 370_000;
    uint256 internal constant BOUND_REFUND = 110_000;

    /// @dev Mainnet's state trie (~300M accounts) is 7-8 branch levels deep; a token with millions of
    /// holders has a storage trie 5-6 levels deep.
    uint256 internal constant ACCOUNT_BRANCHES = 8;
    uint256 internal constant STORAGE_BRANCHES = 6;
    uint64 internal constant FREEZE_NONCE = 8;
    uint256 internal constant L1_BRIDGE_STORAGE =
        0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;

    bytes[] internal deepAccountProof;
    bytes[] internal deepStorageProof;
    bytes32 internal deepStorageRoot;

    /// @dev Freezes on the scenario's forced withdrawal with output B's state root replaced by a deep
    /// synthetic trie in which alice holds 1 ETH on L2.
    function _freezeDeep() internal {
        address l2Token = l1.l2TokenFor(address(0));
        bytes32 slot = keccak256(abi.encode(alice, uint256(0)));
        bytes[] memory sp;
        (deepStorageRoot, sp) = Mpt.deepProof(Mpt.storageEntry(slot, 1 ether), STORAGE_BRANCHES, 1);
        (bytes32 stateRoot, bytes[] memory ap) = Mpt.deepProof(
            Mpt.accountEntry(l2Token, 1, 0, deepStorageRoot, keccak256("BridgedToken code")),
            ACCOUNT_BRANCHES,
            2
        );
        deepAccountProof = ap;
        deepStorageProof = sp;
        _freezeWith(stateRoot);
    }

    function _freezeWith(bytes32 bRoot) internal {
        sendScenario(4);
        proposeState("A");
        sendScenario(9);
        proposeState("B", bRoot);
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        l1.freeze(FREEZE_NONCE);
    }

    function test_gas_freeze_succeeds() public {
        sendScenario(4);
        proposeState("A");
        sendScenario(9);
        proposeState("B");
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        bytes memory data = abi.encodeCall(l1.freeze, (FREEZE_NONCE));
        vm.prank(relayer);
        l1.freeze(FREEZE_NONCE);
        reportGas("freeze", data, 1, BOUND_FREEZE);
    }

    /// @dev The first escape of a token in one transaction: account proof (9 nodes) and storage proof (7 nodes),
    /// 9 KB of calldata whose EIP-7623 floor (10 gas per token) alone is about 350,000 gas: over the 250,000
    /// target, so reported against a regression bound; the split below meets the target per transaction.
    function test_gas_escapeFirstClaimDeepTries_succeeds() public {
        _freezeDeep();
        bytes[] memory ap = deepAccountProof;
        bytes[] memory sp = deepStorageProof;
        bytes memory data = abi.encodeCall(l1.escape, (address(0), alice, ap, sp));
        emit log_named_uint("escape calldata bytes (deep tries, with account proof)", data.length);
        vm.prank(alice, alice); // the account itself (SenderNotEOA otherwise)
        assertEq(l1.escape(address(0), alice, ap, sp), 1 ether, "paid");
        reportGas("escape, first claim of a token (8 + 6 branch levels)", data, 1, BOUND_ESCAPE_BOTH_PROOFS);
    }

    /// @dev The same first claim in two transactions: the token's storage root proven alone, then the escape
    /// with the storage proof only.
    function test_gas_escapeFirstClaimSplitDeepTries_succeeds() public {
        _freezeDeep();
        bytes[] memory ap = deepAccountProof;
        bytes memory data = abi.encodeCall(l1.proveEscapeStorageRoot, (address(0), ap));
        vm.prank(relayer);
        assertEq(l1.proveEscapeStorageRoot(address(0), ap), deepStorageRoot, "root");
        reportGas("proveEscapeStorageRoot (8 branch levels)", data, 1, TARGET_ESCAPE);
        bytes[] memory none = new bytes[](0);
        bytes[] memory sp = deepStorageProof;
        data = abi.encodeCall(l1.escape, (address(0), alice, none, sp));
        vm.prank(alice, alice); // the account itself (SenderNotEOA otherwise)
        assertEq(l1.escape(address(0), alice, none, sp), 1 ether, "paid");
        reportGas("escape after proveEscapeStorageRoot (6 branch levels)", data, 1, TARGET_ESCAPE);
    }

    /// @dev A later escape of the same token: the storage root is already proven, the account proof omitted.
    /// The cached root is written as the first escape of another account would have left it.
    function test_gas_escapeLaterClaimDeepTries_succeeds() public {
        _freezeDeep();
        bytes32 cacheSlot = keccak256(abi.encode(address(0), L1_BRIDGE_STORAGE + 49));
        vm.store(address(l1), cacheSlot, deepStorageRoot);
        assertEq(l1.escapeStorageRoot(address(0)), deepStorageRoot, "escapeStorageRoots slot (STORAGE.md)");
        bytes[] memory ap = new bytes[](0);
        bytes[] memory sp = deepStorageProof;
        bytes memory data = abi.encodeCall(l1.escape, (address(0), alice, ap, sp));
        vm.prank(alice, alice); // the account itself (SenderNotEOA otherwise)
        assertEq(l1.escape(address(0), alice, ap, sp), 1 ether, "paid");
        reportGas(
            "escape, later claim of a token (6 branch levels, no account proof)", data, 1, TARGET_ESCAPE
        );
    }

    /// @dev For reference: the anvil vectors' small tries (an L2 with a handful of accounts).
    function test_gas_escapeSmallTries_succeeds() public {
        _freezeWith(stateRootOf("B"));
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "tt", "alice");
        bytes memory data = abi.encodeCall(l1.escape, (address(token), alice, ap, sp));
        vm.prank(alice, alice); // the account itself (SenderNotEOA otherwise)
        l1.escape(address(token), alice, ap, sp);
        reportGas("escape ERC-20, first claim (anvil vectors' small tries)", data, 1, TARGET_ESCAPE);
    }

    function test_gas_refundDeposit_succeeds() public {
        _freezeWith(stateRootOf("B"));
        L1Message memory m = sentAsL1(6);
        bytes32[] memory proof = messageProof(6);
        bytes memory data = abi.encodeCall(l1.refundDeposit, (m, proof));
        vm.prank(relayer);
        l1.refundDeposit(m, proof);
        reportGas("refundDeposit ETH", data, 1, BOUND_REFUND);
    }
}
