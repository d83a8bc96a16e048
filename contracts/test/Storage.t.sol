// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {EscapeFixture} from "./utils/EscapeFixture.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";

/// @notice Pins the storage layout written down in contracts/STORAGE.md.
contract StorageTest is Fixture {
    bytes32 internal constant L1_BASE = 0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;
    bytes32 internal constant ORACLE_BASE =
        0x26be1b334bfc4b621482b8f00ded7cd382492c6a9deb6639a5ff6399e96c9300;
    bytes32 internal constant L2_BASE = 0xd44cfb5e7d47c344c3be13c1b544ab01adc9a0bb97731444af05d4a74f36e200;
    bytes32 internal constant ROOT_BASE = 0xaedf15fa774474911dfad0570c587ef2a3ed3fd1003446006a78f51a1f75a200;

    function _ns(string memory id) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint256(keccak256(bytes(id))) - 1)) & ~bytes32(uint256(0xff));
    }

    function _at(bytes32 base, uint256 n) internal pure returns (bytes32) {
        return bytes32(uint256(base) + n);
    }

    function _map(bytes32 key, bytes32 base, uint256 n) internal pure returns (bytes32) {
        return keccak256(abi.encode(key, uint256(base) + n));
    }

    function _bits(bytes32 word, uint256 offsetBytes, uint256 sizeBits) internal pure returns (uint256) {
        return (uint256(word) >> (offsetBytes * 8)) & ((1 << sizeBits) - 1);
    }

    function test_namespaces_matchErc7201_succeeds() public pure {
        assertEq(_ns("drawbridge.storage.L1Bridge"), L1_BASE);
        assertEq(_ns("drawbridge.storage.OutputOracle"), ORACLE_BASE);
        assertEq(_ns("drawbridge.storage.L2Bridge"), L2_BASE);
        assertEq(_ns("drawbridge.storage.L1RootOracle"), ROOT_BASE);
    }

    function test_l1BridgeLayout_matchesStorageMd_succeeds() public {
        depositETH(alice, alice, 3 ether);
        depositToken(address(token), alice, alice, 5e18);
        (bytes32 root,) = l1.commitMessageRoot();
        vm.prank(council);
        l1.pause(1 hours);
        address a = address(l1);
        bytes32 hot = vm.load(a, _at(L1_BASE, 0));
        assertEq(_bits(hot, 0, 64), 2, "messageCount");
        assertEq(_bits(hot, 8, 64), block.timestamp + 1 hours, "pausedUntil");
        assertEq(_bits(hot, 16, 112), 3 ether, "ethEscrowed");
        assertEq(_bits(hot, 30, 8), 1, "ethAnnounced");
        assertEq(_bits(hot, 31, 8), 0, "frozen");
        bytes32 s1 = vm.load(a, _at(L1_BASE, 1));
        assertEq(_bits(s1, 0, 160), uint160(address(oracle)), "outputOracle");
        assertEq(_bits(s1, 20, 64), L2_CHAIN_ID, "l2ChainId");
        assertEq(_bits(vm.load(a, _at(L1_BASE, 2)), 0, 160), uint160(address(l2)), "l2Bridge");
        assertEq(_bits(vm.load(a, _at(L1_BASE, 3)), 0, 160), uint160(governance), "governance");
        bytes32 s4 = vm.load(a, _at(L1_BASE, 4));
        assertEq(_bits(s4, 0, 160), uint160(council), "pauser");
        assertEq(_bits(s4, 20, 64), MAX_PAUSE, "maxPause");
        bytes32 s5 = vm.load(a, _at(L1_BASE, 5));
        assertEq(_bits(s5, 0, 64), PAUSE_COOLDOWN, "pauseCooldown");
        assertEq(_bits(s5, 8, 64), 2, "lastCommittedCount");
        assertEq(vm.load(a, _at(L1_BASE, 6)), root, "lastCommittedRoot");
        // two leaves: branch[1] = hash(leaf0, leaf1), branch[0] = leaf0
        assertEq(vm.load(a, _at(L1_BASE, 7)), messageLeaves[0], "branch[0]");
        assertEq(
            vm.load(a, _at(L1_BASE, 8)),
            keccak256(abi.encodePacked(messageLeaves[0], messageLeaves[1])),
            "branch[1]"
        );
        assertEq(uint256(vm.load(a, _map(root, L1_BASE, 39))), 2, "messageRootCount");
        bytes32 ts = vm.load(a, _map(bytes32(uint256(uint160(address(token)))), L1_BASE, 40));
        assertEq(_bits(ts, 0, 248), 5e18, "tokens.escrowed");
        assertEq(_bits(ts, 31, 8), 1, "tokens.announced");
    }

    function test_l1BridgeSpentAndCache_matchStorageMd_succeeds() public {
        depositETH(alice, alice, 3 ether);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        withdrawOnL2(alice, address(0), alice, 1 ether);
        uint256 idx = proposeAndFinalize();
        IL1Bridge.WithdrawalClaim[] memory c = new IL1Bridge.WithdrawalClaim[](1);
        c[0] = IL1Bridge.WithdrawalClaim({withdrawal: sentWithdrawals[1], proof: withdrawalProofAt(1, idx)});
        l1.finalizeWithdrawals(c, idx);
        assertEq(uint256(vm.load(address(l1), _map(bytes32(0), L1_BASE, 41))), 2, "spent word 0, bit 1");
        assertEq(
            vm.load(address(l1), _map(bytes32(idx), L1_BASE, 42)),
            oracle.getOutput(idx).withdrawalRoot,
            "settledRoots"
        );
    }

    function test_outputOracleLayout_matchesStorageMd_succeeds() public {
        depositETH(alice, alice, 1 ether);
        relayAll();
        uint256 idx = proposeOutput();
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        address a = address(oracle);
        bytes32 s0 = vm.load(a, _at(ORACLE_BASE, 0));
        assertEq(_bits(s0, 0, 64), 1, "outputCount");
        assertEq(_bits(s0, 8, 64), idx + 1, "firstDisputePlusOne");
        assertEq(_bits(s0, 16, 64), CHALLENGE_PERIOD, "challengePeriod");
        assertEq(_bits(s0, 24, 64), block.timestamp, "lastProposedAt");
        bytes32 s1 = vm.load(a, _at(ORACLE_BASE, 1));
        assertEq(_bits(s1, 0, 160), uint160(address(l1)), "l1Bridge");
        assertEq(_bits(s1, 20, 64), PROPOSER_TIMEOUT, "proposerTimeout");
        assertEq(_bits(vm.load(a, _at(ORACLE_BASE, 2)), 0, 160), uint160(governance), "governance");
        assertEq(_bits(vm.load(a, _at(ORACLE_BASE, 3)), 0, 160), uint160(council), "council");
        assertEq(_bits(vm.load(a, _at(ORACLE_BASE, 4)), 0, 160), uint160(proposer), "proposer");
        assertEq(uint256(vm.load(a, _at(ORACLE_BASE, 5))), PROPOSER_BOND, "proposerBond");
        assertEq(uint256(vm.load(a, _at(ORACLE_BASE, 6))), CHALLENGER_BOND, "challengerBond");
        bytes32 o = _map(bytes32(idx), ORACLE_BASE, 7);
        onL2();
        bytes32 wRoot = l2.withdrawalRoot();
        onL1();
        assertEq(vm.load(a, _at(o, 0)), keccak256(abi.encode("block", uint64(1))), "l2BlockHash");
        assertEq(vm.load(a, _at(o, 1)), keccak256(abi.encode("state", uint64(1))), "l2StateRoot");
        assertEq(vm.load(a, _at(o, 2)), wRoot, "withdrawalRoot");
        bytes32 o3 = vm.load(a, _at(o, 3));
        assertEq(_bits(o3, 0, 160), uint160(proposer), "proposer");
        assertEq(_bits(o3, 20, 64), block.timestamp, "proposedAt");
        assertEq(_bits(o3, 28, 8), 2, "status Challenged");
        assertEq(_bits(o3, 29, 8), 0, "bondReleased");
        bytes32 o4 = vm.load(a, _at(o, 4));
        assertEq(_bits(o4, 0, 160), uint160(challenger), "challenger");
        assertEq(_bits(o4, 20, 64), 1, "l2BlockNumber");
        bytes32 o5 = vm.load(a, _at(o, 5));
        assertEq(_bits(o5, 0, 64), 1, "l1MessagesProcessed");
        assertEq(_bits(o5, 8, 96), PROPOSER_BOND, "proposerBond");
        assertEq(_bits(o5, 20, 96), CHALLENGER_BOND, "challengerBond");
        vm.prank(council);
        oracle.resolveDispute(idx, false);
        assertEq(uint256(vm.load(a, _map(bytes32(uint256(uint160(challenger))), ORACLE_BASE, 8))), 1.5 ether);
    }

    /// @dev The slots issue 9 added to the OutputOracle (see the struct's comments): slot 9 packs the pending
    /// refund range and councilResponseWindow, slot 10 is the open-dispute bitmap.
    function test_outputOracleLayout_issue9Slots_succeeds() public {
        address a = address(oracle);
        for (uint256 i; i < 3; ++i) {
            vm.deal(proposer, PROPOSER_BOND);
            vm.prank(proposer);
            oracle.propose{value: PROPOSER_BOND}(
                uint64(i + 1), bytes32(i + 1), bytes32(i + 1), bytes32(i + 1), 0, bytes32(0)
            );
        }
        vm.deal(challenger, 2 * CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(2);
        assertEq(uint256(vm.load(a, _map(bytes32(0), ORACLE_BASE, 10))), 1 << 2, "openDisputes word 0, bit 2");
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(0);
        vm.prank(council);
        oracle.resolveDispute(0, false); // deletes 0..2: pending refunds [1, 3)
        bytes32 s9 = vm.load(a, _at(ORACLE_BASE, 9));
        assertEq(_bits(s9, 0, 64), 1, "refundFrom");
        assertEq(_bits(s9, 8, 64), 3, "refundTo");
        assertEq(_bits(s9, 16, 64), COUNCIL_RESPONSE_WINDOW, "councilResponseWindow");
        assertEq(uint256(vm.load(a, _map(bytes32(0), ORACLE_BASE, 10))), 1 << 2, "bit 2 until refunded");
        oracle.refundDeletedBonds(5);
        assertEq(uint256(vm.load(a, _map(bytes32(0), ORACLE_BASE, 10))), 0, "cleared by the refund");
        assertEq(_bits(vm.load(a, _at(ORACLE_BASE, 9)), 0, 64), 3, "refundFrom advanced");
    }

    /// @dev L2Bridge's consumed-message tree (issue 9) lives at slots 41..72: branch[0] is the first leaf.
    function test_l2BridgeLayout_consumedTree_succeeds() public {
        depositETH(alice, alice, 3 ether);
        relayAll();
        onL2();
        assertEq(vm.load(address(l2), _at(L2_BASE, 41)), messageLeaves[0], "consumedTree.branch[0]");
        assertEq(l2.l1MessageRoot(), messageRootAt(1), "its root");
    }

    function test_l2BridgeLayout_matchesStorageMd_succeeds() public {
        depositETH(alice, alice, 3 ether);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        onL2();
        address a = address(l2);
        bytes32 s0 = vm.load(a, _at(L2_BASE, 0));
        assertEq(_bits(s0, 0, 64), 1, "l1MessagesProcessed");
        assertEq(_bits(s0, 8, 64), 1, "withdrawalCount");
        assertEq(_bits(vm.load(a, _at(L2_BASE, 1)), 0, 160), uint160(address(rootOracle)), "rootOracle");
        bytes32 s2 = vm.load(a, _at(L2_BASE, 2));
        assertEq(_bits(s2, 0, 160), uint160(address(l1)), "l1Bridge");
        assertEq(_bits(s2, 20, 64), L1_CHAIN_ID, "l1ChainId");
        assertEq(_bits(vm.load(a, _at(L2_BASE, 3)), 0, 160), uint160(governance), "governance");
        assertEq(vm.load(a, _at(L2_BASE, 4)), withdrawalLeaves[0], "withdrawal branch[0]");
        address weth = l2.bridgedToken(address(0));
        assertEq(_bits(vm.load(a, _map(bytes32(0), L2_BASE, 36)), 0, 160), uint160(weth), "bridgedToken");
        assertEq(
            uint256(vm.load(a, _map(bytes32(uint256(uint160(weth))), L2_BASE, 37))), 0, "l1TokenOf(weth)=0"
        );
        assertEq(vm.load(a, _at(L2_BASE, 38)), bytes32(0), "no pending deployment");
    }

    function test_l1RootOracleLayout_matchesStorageMd_succeeds() public {
        onL2();
        vm.prank(publisher);
        rootOracle.publishRoot(keccak256("r"), 9);
        address a = address(rootOracle);
        assertEq(_bits(vm.load(a, _at(ROOT_BASE, 0)), 0, 160), uint160(governance), "governance");
        bytes32 s1 = vm.load(a, _at(ROOT_BASE, 1));
        assertEq(_bits(s1, 0, 160), uint160(publisher), "publisher");
        assertEq(_bits(s1, 20, 64), 9, "latestCount");
        assertEq(vm.load(a, _at(ROOT_BASE, 2)), keccak256("r"), "latestRoot");
        assertEq(uint256(vm.load(a, _map(keccak256("r"), ROOT_BASE, 3))), 9, "rootCount");
    }
}

/// @notice Pins the L1Bridge slots of the forced withdrawal, freeze and escape (STORAGE.md, base+43..49),
/// on the real-anvil escape scenario (EscapeFixture).
contract EscapeStorageTest is EscapeFixture {
    bytes32 internal constant L1_BASE = 0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;

    function _at(uint256 n) internal pure returns (bytes32) {
        return bytes32(uint256(L1_BASE) + n);
    }

    function _map(bytes32 key, uint256 n) internal pure returns (bytes32) {
        return keccak256(abi.encode(key, uint256(L1_BASE) + n));
    }

    function _bits(bytes32 word, uint256 offsetBytes, uint256 sizeBits) internal pure returns (uint256) {
        return (uint256(word) >> (offsetBytes * 8)) & ((1 << sizeBits) - 1);
    }

    function test_l1BridgeEscapeLayout_matchesStorageMd_succeeds() public {
        sendScenario(4);
        proposeState("A");
        sendScenario(9);
        proposeState("B");
        vm.warp(l1.forcedWithdrawalFreezeAt(8));
        l1.freeze(8);
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "tt", "alice");
        vm.prank(alice, alice);
        l1.escape(address(token), alice, ap, sp);
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        address a = address(l1);
        assertEq(_bits(vm.load(a, _at(0)), 31, 8), 1, "frozen");
        bytes32 s43 = vm.load(a, _at(43));
        assertEq(_bits(s43, 0, 64), INCLUSION_WINDOW, "forcedInclusionWindow");
        assertEq(_bits(s43, 8, 64), 1, "escapeOutputIndex");
        assertEq(_bits(s43, 16, 64), 6, "escapeMessagesProcessed");
        assertEq(_bits(s43, 24, 8), 1, "hasEscapeOutput");
        assertEq(vm.load(a, _at(44)), stateRootOf("B"), "escapeStateRoot");
        assertEq(
            vm.load(a, _at(45)), vm.parseJsonBytes32(vectors, ".B.withdrawalRoot"), "escapeWithdrawalRoot"
        );
        assertEq(uint256(vm.load(a, _map(bytes32(uint256(4)), 46))), START_TIME, "forcedRequestedAt[4]");
        assertEq(uint256(vm.load(a, _map(bytes32(uint256(5)), 46))), 0, "forcedRequestedAt[5] (a deposit)");
        bytes32 inner = _map(bytes32(uint256(uint160(address(token)))), 47);
        assertEq(uint256(vm.load(a, keccak256(abi.encode(alice, inner)))), 1, "escaped[token][alice]");
        assertEq(uint256(vm.load(a, _map(bytes32(0), 48))), 1 << 6, "refunded word 0, bit 6");
        assertEq(
            vm.load(a, _map(bytes32(uint256(uint160(address(token)))), 49)),
            vm.parseJsonBytes32(vectors, ".B.tt.storageHash"),
            "escapeStorageRoots[token]"
        );
    }
}
