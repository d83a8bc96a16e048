// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Fixture} from "./utils/Fixture.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {RawMetadataToken, NoArriveToken, ReentrantToken, RejectETH} from "./utils/Mocks.sol";
import {L1Bridge} from "../src/L1Bridge.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../src/interfaces/IL2Bridge.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {FeeOnTransferToken, TestToken} from "../src/devnet/TestToken.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

contract L1BridgeTest is Fixture {
    bytes4 internal constant NAME = 0x06fdde03;
    bytes4 internal constant SYMBOL = 0x95d89b41;
    bytes4 internal constant DECIMALS = 0x313ce567;

    // ------------------------------------------------------------------------------------------------
    // initialize
    // ------------------------------------------------------------------------------------------------

    function _deployL1(IL1Bridge.InitParams memory p) internal returns (L1Bridge) {
        address impl = address(new L1Bridge());
        return L1Bridge(payable(address(new ERC1967Proxy(impl, abi.encodeCall(L1Bridge.initialize, (p))))));
    }

    function _expectInvalid(IL1Bridge.InitParams memory p, string memory reason) internal {
        address impl = address(new L1Bridge());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, reason));
        new ERC1967Proxy(impl, abi.encodeCall(L1Bridge.initialize, (p)));
    }

    function test_initialize_validParams_succeeds() public view {
        assertEq(l1.governance(), governance);
        assertEq(l1.pauser(), council);
        assertEq(l1.outputOracle(), address(oracle));
        assertEq(l1.l2ChainId(), L2_CHAIN_ID);
        assertEq(l1.l2Bridge(), address(l2));
        assertEq(l1.maxPause(), MAX_PAUSE);
        assertEq(l1.pauseCooldown(), PAUSE_COOLDOWN);
        assertEq(l1.messageCount(), 0);
        assertFalse(l1.frozen());
    }

    function test_initialize_zeroGovernance_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.governance = address(0);
        _expectInvalid(p, "governance");
    }

    function test_initialize_zeroPauser_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.pauser = address(0);
        _expectInvalid(p, "pauser");
    }

    function test_initialize_zeroOutputOracle_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(0), address(l2));
        _expectInvalid(p, "outputOracle");
    }

    function test_initialize_zeroL2ChainId_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.l2ChainId = 0;
        _expectInvalid(p, "l2ChainId");
    }

    function test_initialize_l2ChainIdIsOwnChain_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.l2ChainId = L1_CHAIN_ID;
        _expectInvalid(p, "l2ChainId");
    }

    function test_initialize_l2ChainIdTooLarge_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.l2ChainId = uint256(type(uint64).max) + 1;
        _expectInvalid(p, "l2ChainId");
    }

    function test_initialize_zeroL2Bridge_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(0));
        _expectInvalid(p, "l2Bridge");
    }

    function test_initialize_zeroMaxPause_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.maxPause = 0;
        _expectInvalid(p, "maxPause");
    }

    function test_initialize_zeroPauseCooldown_reverts() public {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.pauseCooldown = 0;
        _expectInvalid(p, "pauseCooldown");
    }

    function test_initialize_twice_reverts() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        l1.initialize(l1Params(address(oracle), address(l2)));
    }

    function test_initialize_onImplementation_reverts() public {
        L1Bridge impl = new L1Bridge();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(l1Params(address(oracle), address(l2)));
    }

    // ------------------------------------------------------------------------------------------------
    // depositETH
    // ------------------------------------------------------------------------------------------------

    function test_depositETH_firstDepositAnnouncesEther_succeeds() public {
        bytes memory data = abi.encode("Ether", "ETH", uint8(18));
        bytes32 leaf = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(l1), 1, 0, alice, bob, address(0), 1 ether, keccak256(data)
        );
        vm.deal(alice, 1 ether);
        vm.expectEmit(address(l1));
        emit IL1Bridge.TokenAnnounced(address(0), "Ether", "ETH", 18);
        vm.expectEmit(address(l1));
        emit IL1Bridge.MessageSent(0, 1, alice, bob, address(0), 1 ether, data, leaf);
        vm.prank(alice);
        uint64 nonce = l1.depositETH{value: 1 ether}(bob);
        assertEq(nonce, 0);
        assertEq(l1.messageCount(), 1);
        assertEq(l1.escrowed(address(0)), 1 ether);
        assertEq(address(l1).balance, 1 ether);
        assertTrue(l1.isTokenAnnounced(address(0)));
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        assertEq(l1.messageRoot(), MerkleRef.root(leaves, 1), "root");
    }

    function test_depositETH_laterDepositHasEmptyData_succeeds() public {
        depositETH(alice, alice, 1 ether);
        bytes32 leaf = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(l1), 1, 1, bob, alice, address(0), 2 ether, Hashing.EMPTY_DATA_HASH
        );
        vm.deal(bob, 2 ether);
        vm.expectEmit(address(l1));
        emit IL1Bridge.MessageSent(1, 1, bob, alice, address(0), 2 ether, "", leaf);
        vm.prank(bob);
        assertEq(l1.depositETH{value: 2 ether}(alice), 1);
        assertEq(l1.escrowed(address(0)), 3 ether);
    }

    function test_depositETH_zeroRecipient_reverts() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.ZeroRecipient.selector);
        l1.depositETH{value: 1 ether}(address(0));
    }

    function test_depositETH_zeroAmount_reverts() public {
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.ZeroAmount.selector);
        l1.depositETH(bob);
    }

    function test_depositETH_whilePaused_reverts() public {
        vm.prank(council);
        l1.pause(1 hours);
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, uint64(block.timestamp + 1 hours))
        );
        l1.depositETH{value: 1 ether}(bob);
    }

    function test_depositETH_whileFrozen_reverts() public {
        _setFrozen();
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.depositETH{value: 1 ether}(bob);
    }

    function test_depositETH_escrowOverflow_reverts() public {
        // Put the ETH escrow just below its uint112 ceiling (no real chain has that much ETH).
        bytes32 slot = L1_STORAGE;
        uint256 word = uint256(vm.load(address(l1), slot));
        word |= uint256(type(uint112).max) << 128;
        vm.store(address(l1), slot, bytes32(word));
        vm.deal(alice, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "eth escrow overflow"));
        l1.depositETH{value: 1}(bob);
    }

    function testFuzz_depositETH_treeMatchesReference(uint8 n, uint96 seed) public {
        n = uint8(bound(n, 1, 40));
        for (uint256 i; i < n; ++i) {
            depositETH(
                alice, address(uint160(uint256(keccak256(abi.encode(seed, i))) | 1)), 1 + (seed % 1e18) + i
            );
        }
        bytes32[] memory leaves = messageLeaves;
        assertEq(l1.messageRoot(), MerkleRef.root(leaves, n), "root");
        assertEq(l1.messageCount(), n);
    }

    function test_depositETH_treeMatchesReference_succeeds() public {
        testFuzz_depositETH_treeMatchesReference(37, 12345);
    }

    // ------------------------------------------------------------------------------------------------
    // depositERC20
    // ------------------------------------------------------------------------------------------------

    function test_depositERC20_firstDepositAnnouncesMetadata_succeeds() public {
        token.mint(alice, 100e18);
        vm.prank(alice);
        token.approve(address(l1), 100e18);
        bytes memory data = abi.encode("Test Token", "TT", uint8(18));
        bytes32 leaf = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(l1), 1, 0, alice, bob, address(token), 100e18, keccak256(data)
        );
        vm.expectEmit(address(l1));
        emit IL1Bridge.TokenAnnounced(address(token), "Test Token", "TT", 18);
        vm.expectEmit(address(l1));
        emit IL1Bridge.MessageSent(0, 1, alice, bob, address(token), 100e18, data, leaf);
        vm.prank(alice);
        assertEq(l1.depositERC20(address(token), bob, 100e18), 0);
        assertEq(l1.escrowed(address(token)), 100e18);
        assertEq(token.balanceOf(address(l1)), 100e18);
        assertTrue(l1.isTokenAnnounced(address(token)));
    }

    function test_depositERC20_secondDepositHasEmptyData_succeeds() public {
        depositToken(address(token), alice, alice, 1e18);
        depositToken(address(token), bob, bob, 2e18);
        assertEq(sentMessages[1].data.length, 0);
        assertEq(sentMessages[1].amount, 2e18);
        assertEq(l1.escrowed(address(token)), 3e18);
    }

    function test_depositERC20_feeOnTransferCreditsDelta_succeeds() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(100); // 1%
        depositToken(address(fot), alice, bob, 1000);
        assertEq(sentMessages[0].amount, 990, "credited amount");
        assertEq(l1.escrowed(address(fot)), 990);
        assertEq(fot.balanceOf(address(l1)), 990);
    }

    function test_depositERC20_zeroToken_reverts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.InvalidToken.selector, address(0)));
        l1.depositERC20(address(0), bob, 1);
    }

    function test_depositERC20_codelessToken_reverts() public {
        address eoa = address(0xC0FFEE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.InvalidToken.selector, eoa));
        l1.depositERC20(eoa, bob, 1);
    }

    function test_depositERC20_zeroAmount_reverts() public {
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.ZeroAmount.selector);
        l1.depositERC20(address(token), bob, 0);
    }

    function test_depositERC20_zeroRecipient_reverts() public {
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.ZeroRecipient.selector);
        l1.depositERC20(address(token), address(0), 1);
    }

    function test_depositERC20_whilePaused_reverts() public {
        vm.prank(council);
        l1.pause(1 hours);
        token.mint(alice, 1);
        vm.prank(alice);
        token.approve(address(l1), 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, uint64(block.timestamp + 1 hours))
        );
        l1.depositERC20(address(token), bob, 1);
    }

    function test_depositERC20_whileFrozen_reverts() public {
        _setFrozen();
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.depositERC20(address(token), bob, 1);
    }

    function test_depositERC20_nothingArrived_reverts() public {
        NoArriveToken t = new NoArriveToken();
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.NothingArrived.selector);
        l1.depositERC20(address(t), bob, 5);
    }

    function test_depositERC20_fullFeeToken_reverts() public {
        FeeOnTransferToken fot = new FeeOnTransferToken(10_000); // everything burned
        fot.mint(alice, 100);
        vm.prank(alice);
        fot.approve(address(l1), 100);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.NothingArrived.selector);
        l1.depositERC20(address(fot), bob, 100);
    }

    function test_depositERC20_withoutAllowance_reverts() public {
        token.mint(alice, 1);
        vm.prank(alice);
        vm.expectRevert();
        l1.depositERC20(address(token), bob, 1);
    }

    function test_depositERC20_reentrantDeposit_reverts() public {
        ReentrantToken t = new ReentrantToken(l1);
        t.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        l1.depositERC20(address(t), bob, 5);
    }

    function test_depositERC20_reentrantEthDeposit_reverts() public {
        ReentrantToken t = new ReentrantToken(l1);
        t.setMode(1);
        t.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        l1.depositERC20(address(t), bob, 5);
    }

    // ---- metadata fallbacks (TokenMetadata) ----

    function _depositRaw(RawMetadataToken t) internal returns (bytes memory data) {
        t.mint(alice, 10);
        vm.prank(alice);
        t.approve(address(l1), 10);
        vm.recordLogs();
        vm.prank(alice);
        l1.depositERC20(address(t), bob, 10);
        _recordSent();
        data = sentMessages[sentMessages.length - 1].data;
    }

    function _meta(bytes memory data) internal pure returns (string memory n, string memory s, uint8 d) {
        return abi.decode(data, (string, string, uint8));
    }

    function test_depositERC20_missingMetadataFallsBack_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        (string memory n, string memory s, uint8 d) = _meta(_depositRaw(t));
        assertEq(n, "");
        assertEq(s, "");
        assertEq(d, 18);
    }

    function test_depositERC20_revertingMetadataFallsBack_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        t.setReverts(NAME);
        t.setReverts(SYMBOL);
        t.setReverts(DECIMALS);
        (string memory n, string memory s, uint8 d) = _meta(_depositRaw(t));
        assertEq(n, "");
        assertEq(s, "");
        assertEq(d, 18);
    }

    function test_depositERC20_gasBurningMetadataFallsBack_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        t.setBurnsGas(NAME);
        t.setRaw(SYMBOL, abi.encode("OK"));
        t.setBurnsGas(DECIMALS);
        (string memory n, string memory s, uint8 d) = _meta(_depositRaw(t));
        assertEq(n, "");
        assertEq(s, "OK");
        assertEq(d, 18);
    }

    function test_depositERC20_bytes32Metadata_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        t.setRaw(NAME, abi.encode(bytes32("Maker")));
        t.setRaw(SYMBOL, abi.encode(bytes32("MKR")));
        t.setRaw(DECIMALS, abi.encode(uint256(6)));
        (string memory n, string memory s, uint8 d) = _meta(_depositRaw(t));
        assertEq(n, "Maker");
        assertEq(s, "MKR");
        assertEq(d, 6);
    }

    function test_depositERC20_decimalsOutOfRangeFallsBack_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        t.setRaw(DECIMALS, abi.encode(uint256(256)));
        (,, uint8 d) = _meta(_depositRaw(t));
        assertEq(d, 18);
    }

    function test_depositERC20_malformedStringFallsBack_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        // offset pointing past the end, and a length past the end
        t.setRaw(NAME, abi.encode(uint256(0x1000), uint256(3)));
        t.setRaw(SYMBOL, abi.encode(uint256(0x20), uint256(500), bytes32("abc")));
        (string memory n, string memory s,) = _meta(_depositRaw(t));
        assertEq(n, "");
        assertEq(s, "");
    }

    function test_depositERC20_longNameTruncated_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        bytes memory longName = new bytes(300);
        for (uint256 i; i < 300; ++i) {
            longName[i] = bytes1(uint8(0x41 + (i % 26)));
        }
        t.setRaw(NAME, abi.encode(string(longName)));
        (string memory n,,) = _meta(_depositRaw(t));
        assertEq(bytes(n).length, 64);
        for (uint256 i; i < 64; ++i) {
            assertEq(uint8(bytes(n)[i]), uint8(longName[i]), "prefix");
        }
    }

    function test_depositERC20_truncationKeepsUtf8Characters_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        // 63 ASCII bytes then "é" (0xC3 0xA9): the cut at 64 would split it, so it is dropped whole.
        bytes memory name63 = new bytes(63);
        for (uint256 i; i < 63; ++i) {
            name63[i] = "a";
        }
        t.setRaw(NAME, abi.encode(string.concat(string(name63), unicode"é", "tail")));
        (string memory n,,) = _meta(_depositRaw(t));
        assertEq(n, string(name63));
    }

    function test_depositERC20_exactly64BytesKept_succeeds() public {
        RawMetadataToken t = new RawMetadataToken();
        bytes memory name62 = new bytes(62);
        for (uint256 i; i < 62; ++i) {
            name62[i] = "b";
        }
        string memory full = string.concat(string(name62), unicode"é");
        t.setRaw(NAME, abi.encode(full));
        (string memory n,,) = _meta(_depositRaw(t));
        assertEq(n, full);
    }

    // ------------------------------------------------------------------------------------------------
    // commitMessageRoot
    // ------------------------------------------------------------------------------------------------

    function test_commitMessageRoot_emptyTree_reverts() public {
        vm.expectRevert(IL1Bridge.NoMessages.selector);
        l1.commitMessageRoot();
    }

    function test_commitMessageRoot_recordsRoot_succeeds() public {
        depositETH(alice, alice, 1 ether);
        depositETH(bob, bob, 1 ether);
        bytes32[] memory leaves = messageLeaves;
        bytes32 expected = MerkleRef.root(leaves, 2);
        vm.expectEmit(address(l1));
        emit IL1Bridge.MessageRootCommitted(expected, 2);
        (bytes32 root, uint64 count) = l1.commitMessageRoot();
        assertEq(root, expected);
        assertEq(count, 2);
        assertEq(l1.messageRootCount(root), 2);
        (bytes32 lastRoot, uint64 lastCount) = l1.lastCommittedRoot();
        assertEq(lastRoot, root);
        assertEq(lastCount, 2);
    }

    function test_commitMessageRoot_sameCountIsNoop_succeeds() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root,) = l1.commitMessageRoot();
        vm.recordLogs();
        (bytes32 again, uint64 count) = l1.commitMessageRoot();
        assertEq(vm.getRecordedLogs().length, 0, "no event");
        assertEq(again, root);
        assertEq(count, 1);
    }

    function test_commitMessageRoot_everyRootStaysKnown_succeeds() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 first,) = l1.commitMessageRoot();
        depositETH(alice, alice, 1 ether);
        (bytes32 second,) = l1.commitMessageRoot();
        assertTrue(first != second);
        assertEq(l1.messageRootCount(first), 1);
        assertEq(l1.messageRootCount(second), 2);
        assertEq(l1.messageRootCount(bytes32(0)), 0);
        assertEq(l1.messageRootCount(keccak256("unknown")), 0);
    }

    // ------------------------------------------------------------------------------------------------
    // finalizeWithdrawal
    // ------------------------------------------------------------------------------------------------

    /// @dev alice deposits 10 ETH and 100 TT, withdraws 1 ETH (nonce 0) and 10 TT (nonce 1) to herself,
    /// the proposer posts the output and its window passes.
    function _withdrawals() internal returns (uint256 outputIndex) {
        depositETH(alice, alice, 10 ether);
        depositToken(address(token), alice, alice, 100e18);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        withdrawOnL2(alice, address(token), alice, 10e18);
        outputIndex = proposeAndFinalize();
    }

    function test_finalizeWithdrawal_eth_succeeds() public {
        uint256 idx = _withdrawals();
        uint256 before = alice.balance;
        vm.expectEmit(address(l1));
        emit IL1Bridge.WithdrawalFinalized(0, alice, address(0), 1 ether, idx);
        vm.prank(relayer);
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, withdrawalProofAt(0, idx));
        assertEq(alice.balance - before, 1 ether);
        assertEq(l1.escrowed(address(0)), 9 ether);
        assertTrue(l1.isWithdrawalFinalized(0));
        assertFalse(l1.isWithdrawalFinalized(1));
    }

    function test_finalizeWithdrawal_erc20_succeeds() public {
        uint256 idx = _withdrawals();
        vm.expectEmit(address(l1));
        emit IL1Bridge.WithdrawalFinalized(1, alice, address(token), 10e18, idx);
        l1.finalizeWithdrawal(sentWithdrawals[1], idx, withdrawalProofAt(1, idx));
        assertEq(token.balanceOf(alice), 10e18);
        assertEq(l1.escrowed(address(token)), 90e18);
    }

    function test_finalizeWithdrawal_cachedRoot_succeeds() public {
        uint256 idx = _withdrawals();
        vm.expectEmit(address(l1));
        emit IL1Bridge.OutputRootCached(idx, oracle.getOutput(idx).withdrawalRoot);
        assertEq(l1.cacheOutputRoot(idx), oracle.getOutput(idx).withdrawalRoot);
        assertEq(l1.cachedOutputRoot(idx), oracle.getOutput(idx).withdrawalRoot);
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, withdrawalProofAt(0, idx));
        assertTrue(l1.isWithdrawalFinalized(0));
    }

    function test_finalizeWithdrawal_outputInChallengeWindow_reverts() public {
        depositETH(alice, alice, 10 ether);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        uint256 idx = proposeOutput();
        vm.warp(block.timestamp + CHALLENGE_PERIOD - 1);
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx));
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
        vm.warp(block.timestamp + 1); // exactly at the boundary
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
    }

    function test_finalizeWithdrawal_unknownOutput_reverts() public {
        uint256 idx = _withdrawals();
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx + 1));
        l1.finalizeWithdrawal(sentWithdrawals[0], idx + 1, proof);
    }

    function test_finalizeWithdrawal_challengedOutput_reverts() public {
        depositETH(alice, alice, 10 ether);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        uint256 idx = proposeOutput();
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        vm.warp(block.timestamp + CHALLENGE_PERIOD * 10);
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx));
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
    }

    function test_finalizeWithdrawal_wrongAmount_reverts() public {
        uint256 idx = _withdrawals();
        IL1Bridge.Withdrawal memory w = sentWithdrawals[0];
        w.amount = 2 ether;
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, idx, proof);
    }

    function test_finalizeWithdrawal_wrongRecipient_reverts() public {
        uint256 idx = _withdrawals();
        IL1Bridge.Withdrawal memory w = sentWithdrawals[0];
        w.recipient = bob;
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, idx, proof);
    }

    function test_finalizeWithdrawal_wrongNonceForLeaf_reverts() public {
        uint256 idx = _withdrawals();
        // nonce 1's leaf proven at index 0's position
        IL1Bridge.Withdrawal memory w = sentWithdrawals[1];
        w.nonce = 0;
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, idx, proof);
    }

    function test_finalizeWithdrawal_indexTooLargeForShortProof_reverts() public {
        uint256 idx = _withdrawals(); // 2 withdrawals: proofs have 1 sibling
        IL1Bridge.Withdrawal memory w = sentWithdrawals[0];
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        // the same leaf claimed at index 2 (= 0 + 2^1) with a 1-sibling proof: refused before hashing
        w.nonce = 2;
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, idx, proof);
    }

    function test_finalizeWithdrawal_proofLongerThan32_reverts() public {
        uint256 idx = _withdrawals();
        bytes32[] memory proof = new bytes32[](33);
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
    }

    function test_finalizeWithdrawal_fullLengthProof_succeeds() public {
        uint256 idx = _withdrawals();
        bytes32[] memory shortProof = withdrawalProofAt(0, idx);
        bytes32[] memory proof = new bytes32[](32);
        for (uint256 h; h < 32; ++h) {
            proof[h] = h < shortProof.length ? shortProof[h] : MerkleRef.zero(h);
        }
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
        assertTrue(l1.isWithdrawalFinalized(0));
    }

    function test_finalizeWithdrawal_twice_reverts() public {
        uint256 idx = _withdrawals();
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyFinalized.selector, uint64(0)));
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
    }

    function test_finalizeWithdrawal_againstLaterOutput_reverts() public {
        uint256 idx = _withdrawals();
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, withdrawalProofAt(0, idx));
        uint256 idx2 = proposeAndFinalize();
        bytes32[] memory proof = withdrawalProofAt(0, idx2);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyFinalized.selector, uint64(0)));
        l1.finalizeWithdrawal(sentWithdrawals[0], idx2, proof);
    }

    function test_finalizeWithdrawal_whilePaused_reverts() public {
        uint256 idx = _withdrawals();
        vm.prank(council);
        l1.pause(1 hours);
        bytes32[] memory proof = withdrawalProofAt(0, idx);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, uint64(block.timestamp + 1 hours))
        );
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
        vm.warp(block.timestamp + 1 hours); // the pause ends by itself
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, proof);
    }

    function test_finalizeWithdrawal_insufficientEscrow_reverts() public {
        // An output (say, a bug on L2) claims more ETH than was ever deposited: the bridge refuses.
        depositETH(alice, alice, 1 ether);
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: 0, sender: alice, recipient: alice, l1Token: address(0), amount: 2 ether
        });
        uint256 idx = _proposeSynthetic(w);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.InsufficientEscrow.selector, address(0), 2 ether, 1 ether)
        );
        l1.finalizeWithdrawal(w, idx, new bytes32[](0));
    }

    function test_finalizeWithdrawal_insufficientTokenEscrow_reverts() public {
        depositToken(address(token), alice, alice, 1e18);
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: 0, sender: alice, recipient: alice, l1Token: address(token), amount: 2e18
        });
        uint256 idx = _proposeSynthetic(w);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.InsufficientEscrow.selector, address(token), 2e18, 1e18)
        );
        l1.finalizeWithdrawal(w, idx, new bytes32[](0));
    }

    function test_finalizeWithdrawal_recipientRejectsEth_reverts() public {
        RejectETH rejecter = new RejectETH();
        depositETH(alice, alice, 1 ether);
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: 0, sender: alice, recipient: address(rejecter), l1Token: address(0), amount: 1 ether
        });
        uint256 idx = _proposeSynthetic(w);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.EthTransferFailed.selector, address(rejecter)));
        l1.finalizeWithdrawal(w, idx, new bytes32[](0));
        assertFalse(l1.isWithdrawalFinalized(0), "stays unpaid");
    }

    function test_finalizeWithdrawal_otherDeploymentLeaf_reverts() public {
        // A withdrawal leaf hashed for another L2 bridge address is not this bridge's.
        depositETH(alice, alice, 1 ether);
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: 0, sender: alice, recipient: alice, l1Token: address(0), amount: 1 ether
        });
        bytes32 foreign =
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(0xBEEF), 0, alice, alice, address(0), 1 ether);
        uint256 idx = _proposeRoot(MerkleRef.root(_one(foreign), 1));
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, idx, new bytes32[](0));
    }

    function test_withdrawalLeaf_matchesHashing_succeeds() public view {
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: 7, sender: alice, recipient: bob, l1Token: address(token), amount: 5
        });
        assertEq(
            l1.withdrawalLeaf(w),
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), 7, alice, bob, address(token), 5)
        );
    }

    // ------------------------------------------------------------------------------------------------
    // finalizeWithdrawals (batch)
    // ------------------------------------------------------------------------------------------------

    function _claims(uint256 idx, uint256[] memory nonces)
        internal
        view
        returns (IL1Bridge.WithdrawalClaim[] memory c)
    {
        c = new IL1Bridge.WithdrawalClaim[](nonces.length);
        for (uint256 i; i < nonces.length; ++i) {
            c[i] = IL1Bridge.WithdrawalClaim({
                withdrawal: sentWithdrawals[nonces[i]], proof: withdrawalProofAt(nonces[i], idx)
            });
        }
    }

    function _batchSetup() internal returns (uint256 idx) {
        depositETH(alice, alice, 10 ether);
        depositToken(address(token), bob, bob, 100e18);
        relayAll();
        for (uint256 i; i < 6; ++i) {
            if (i % 2 == 0) withdrawOnL2(alice, address(0), alice, 1 ether);
            else withdrawOnL2(bob, address(token), bob, 1e18);
        }
        idx = proposeAndFinalize();
    }

    function test_finalizeWithdrawals_batch_succeeds() public {
        uint256 idx = _batchSetup();
        uint256[] memory nonces = new uint256[](6);
        for (uint256 i; i < 6; ++i) {
            nonces[i] = i;
        }
        uint256 before = alice.balance;
        vm.prank(relayer);
        l1.finalizeWithdrawals(_claims(idx, nonces), idx);
        assertEq(alice.balance - before, 3 ether);
        assertEq(token.balanceOf(bob), 3e18);
        for (uint64 i; i < 6; ++i) {
            assertTrue(l1.isWithdrawalFinalized(i));
        }
        assertEq(l1.cachedOutputRoot(idx), oracle.getOutput(idx).withdrawalRoot, "settled root cached");
    }

    function test_finalizeWithdrawals_skipsAlreadyFinalized_succeeds() public {
        uint256 idx = _batchSetup();
        l1.finalizeWithdrawal(sentWithdrawals[2], idx, withdrawalProofAt(2, idx));
        uint256[] memory nonces = new uint256[](3);
        (nonces[0], nonces[1], nonces[2]) = (0, 2, 4);
        uint256 before = alice.balance;
        l1.finalizeWithdrawals(_claims(idx, nonces), idx);
        assertEq(alice.balance - before, 2 ether, "nonce 2 not paid twice");
    }

    function test_finalizeWithdrawals_emptyBatch_reverts() public {
        uint256 idx = _batchSetup();
        vm.expectRevert(IL1Bridge.EmptyBatch.selector);
        l1.finalizeWithdrawals(new IL1Bridge.WithdrawalClaim[](0), idx);
    }

    function test_finalizeWithdrawals_oneInvalidProof_reverts() public {
        uint256 idx = _batchSetup();
        uint256[] memory nonces = new uint256[](3);
        (nonces[0], nonces[1], nonces[2]) = (0, 1, 2);
        IL1Bridge.WithdrawalClaim[] memory c = _claims(idx, nonces);
        c[1].withdrawal.amount += 1;
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawals(c, idx);
        assertFalse(l1.isWithdrawalFinalized(0), "all or nothing");
    }

    function test_finalizeWithdrawals_notFinal_reverts() public {
        depositETH(alice, alice, 10 ether);
        relayAll();
        withdrawOnL2(alice, address(0), alice, 1 ether);
        uint256 idx = proposeOutput();
        uint256[] memory nonces = new uint256[](1);
        IL1Bridge.WithdrawalClaim[] memory c = _claims(idx, nonces);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx));
        l1.finalizeWithdrawals(c, idx);
    }

    function test_finalizeWithdrawals_whilePaused_reverts() public {
        uint256 idx = _batchSetup();
        uint256[] memory nonces = new uint256[](1);
        IL1Bridge.WithdrawalClaim[] memory c = _claims(idx, nonces);
        vm.prank(council);
        l1.pause(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, uint64(block.timestamp + 1 hours))
        );
        l1.finalizeWithdrawals(c, idx);
    }

    // ------------------------------------------------------------------------------------------------
    // cacheOutputRoot
    // ------------------------------------------------------------------------------------------------

    function test_cacheOutputRoot_notFinal_reverts() public {
        uint256 idx = proposeOutput();
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx));
        l1.cacheOutputRoot(idx);
    }

    function test_cacheOutputRoot_upheldButNotSettled_reverts() public {
        uint256 idx = proposeOutput();
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        vm.prank(council);
        oracle.resolveDispute(idx, true);
        // An upheld output is no longer final before its window ends (finality never goes backwards): the
        // bridge caches nothing it could later have to forget.
        assertFalse(oracle.isFinal(idx), "upheld inside its window: not final");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, idx));
        l1.cacheOutputRoot(idx);
        assertEq(l1.cachedOutputRoot(idx), bytes32(0), "nothing cached");
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertEq(l1.cacheOutputRoot(idx), oracle.getOutput(idx).withdrawalRoot, "cached once final");
        assertEq(l1.cachedOutputRoot(idx), oracle.getOutput(idx).withdrawalRoot, "stored");
    }

    function test_cacheOutputRoot_idempotent_succeeds() public {
        uint256 idx = proposeAndFinalize();
        bytes32 root = l1.cacheOutputRoot(idx);
        vm.recordLogs();
        assertEq(l1.cacheOutputRoot(idx), root);
        assertEq(vm.getRecordedLogs().length, 0);
    }

    // ------------------------------------------------------------------------------------------------
    // pause / unpause
    // ------------------------------------------------------------------------------------------------

    function test_pause_byPauser_succeeds() public {
        vm.expectEmit(address(l1));
        emit IL1Bridge.Paused(uint64(block.timestamp + 1 hours));
        vm.prank(council);
        l1.pause(1 hours);
        assertEq(l1.pausedUntil(), block.timestamp + 1 hours);
    }

    function test_pause_notPauser_reverts() public {
        vm.prank(governance);
        vm.expectRevert(IL1Bridge.NotPauser.selector);
        l1.pause(1 hours);
    }

    function test_pause_tooLong_reverts() public {
        vm.prank(council);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.PauseTooLong.selector, MAX_PAUSE + 1, MAX_PAUSE));
        l1.pause(MAX_PAUSE + 1);
    }

    function test_pause_maxDuration_succeeds() public {
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        assertEq(l1.pausedUntil(), block.timestamp + MAX_PAUSE);
    }

    function test_pause_zeroDuration_reverts() public {
        vm.prank(council);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "duration"));
        l1.pause(0);
    }

    function test_pause_whilePaused_reverts() public {
        vm.startPrank(council);
        l1.pause(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                IL1Bridge.PauseCooldown.selector, uint64(block.timestamp + 1 hours + PAUSE_COOLDOWN)
            )
        );
        l1.pause(1 hours);
        vm.stopPrank();
    }

    function test_pause_cooldownBoundary_succeeds() public {
        vm.startPrank(council);
        l1.pause(1 hours);
        uint256 availableAt = block.timestamp + 1 hours + PAUSE_COOLDOWN;
        vm.warp(availableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.PauseCooldown.selector, uint64(availableAt)));
        l1.pause(1 hours);
        vm.warp(availableAt);
        l1.pause(1 hours);
        vm.stopPrank();
        assertEq(l1.pausedUntil(), availableAt + 1 hours);
    }

    function test_pause_endsByItself_succeeds() public {
        vm.prank(council);
        l1.pause(1 hours);
        vm.warp(block.timestamp + 1 hours);
        depositETH(alice, alice, 1 ether);
        assertEq(l1.messageCount(), 1);
    }

    function test_unpause_byPauser_succeeds() public {
        vm.startPrank(council);
        l1.pause(1 hours);
        vm.warp(block.timestamp + 10 minutes);
        vm.expectEmit(address(l1));
        emit IL1Bridge.Unpaused();
        l1.unpause();
        vm.stopPrank();
        assertEq(l1.pausedUntil(), block.timestamp);
        depositETH(alice, alice, 1 ether);
    }

    function test_unpause_startsCooldown_succeeds() public {
        vm.startPrank(council);
        l1.pause(1 hours);
        vm.warp(block.timestamp + 10 minutes);
        l1.unpause();
        uint256 availableAt = block.timestamp + PAUSE_COOLDOWN;
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.PauseCooldown.selector, uint64(availableAt)));
        l1.pause(1 hours);
        vm.warp(availableAt);
        l1.pause(1 hours);
        vm.stopPrank();
    }

    function test_unpause_notPauser_reverts() public {
        vm.prank(council);
        l1.pause(1 hours);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.NotPauser.selector);
        l1.unpause();
    }

    function test_unpause_notPaused_reverts() public {
        vm.prank(council);
        vm.expectRevert(IL1Bridge.NotPaused.selector);
        l1.unpause();
    }

    function test_unpause_afterPauseEnded_reverts() public {
        vm.prank(council);
        l1.pause(1 hours);
        vm.warp(block.timestamp + 1 hours);
        vm.prank(council);
        vm.expectRevert(IL1Bridge.NotPaused.selector);
        l1.unpause();
    }

    function test_pause_doesNotStopCommit_succeeds() public {
        depositETH(alice, alice, 1 ether);
        vm.prank(council);
        l1.pause(1 hours);
        (, uint64 count) = l1.commitMessageRoot();
        assertEq(count, 1);
    }

    // ------------------------------------------------------------------------------------------------
    // governance
    // ------------------------------------------------------------------------------------------------

    function test_setPauser_byGovernance_succeeds() public {
        vm.expectEmit(address(l1));
        emit IL1Bridge.PauserChanged(bob);
        vm.prank(governance);
        l1.setPauser(bob);
        assertEq(l1.pauser(), bob);
    }

    function test_setPauser_notGovernance_reverts() public {
        vm.prank(council);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.setPauser(bob);
    }

    function test_setPauser_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "pauser"));
        l1.setPauser(address(0));
    }

    function test_setPauseBounds_byGovernance_succeeds() public {
        vm.expectEmit(address(l1));
        emit IL1Bridge.PauseBoundsChanged(2 hours, 3 hours);
        vm.prank(governance);
        l1.setPauseBounds(2 hours, 3 hours);
        assertEq(l1.maxPause(), 2 hours);
        assertEq(l1.pauseCooldown(), 3 hours);
    }

    function test_setPauseBounds_notGovernance_reverts() public {
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.setPauseBounds(2 hours, 3 hours);
    }

    function test_setPauseBounds_zeroMaxPause_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "maxPause"));
        l1.setPauseBounds(0, 3 hours);
    }

    function test_setPauseBounds_zeroCooldown_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "pauseCooldown"));
        l1.setPauseBounds(2 hours, 0);
    }

    function test_setGovernance_byGovernance_succeeds() public {
        vm.prank(governance);
        l1.setGovernance(bob);
        assertEq(l1.governance(), bob);
        vm.prank(governance);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.setGovernance(alice);
    }

    function test_setGovernance_notGovernance_reverts() public {
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.setGovernance(bob);
    }

    function test_setGovernance_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "governance"));
        l1.setGovernance(address(0));
    }

    function test_upgradeToAndCall_byGovernance_succeeds() public {
        depositETH(alice, alice, 1 ether);
        address impl = address(new L1Bridge());
        vm.prank(governance);
        l1.upgradeToAndCall(impl, "");
        assertEq(address(uint160(uint256(vm.load(address(l1), IMPLEMENTATION_SLOT)))), impl, "implementation");
        assertEq(l1.messageCount(), 1, "state kept");
        assertEq(l1.escrowed(address(0)), 1 ether, "state kept");
    }

    function test_upgradeToAndCall_notGovernance_reverts() public {
        address impl = address(new L1Bridge());
        vm.prank(council);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.upgradeToAndCall(impl, "");
    }

    // ------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------

    bytes32 internal constant L1_STORAGE = 0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;
    bytes32 internal constant IMPLEMENTATION_SLOT =
        0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @dev Sets the (not yet reachable) frozen flag: byte 31 of the hot slot.
    function _setFrozen() internal {
        uint256 word = uint256(vm.load(address(l1), L1_STORAGE));
        vm.store(address(l1), L1_STORAGE, bytes32(word | (uint256(1) << 248)));
        assertTrue(l1.frozen());
    }

    function _one(bytes32 leaf) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = leaf;
    }

    /// @dev Proposes and finalizes an output whose withdrawal tree is the single withdrawal `w`.
    function _proposeSynthetic(IL1Bridge.Withdrawal memory w) internal returns (uint256) {
        bytes32 leaf = Hashing.withdrawalLeaf(
            L2_CHAIN_ID, address(l2), w.nonce, w.sender, w.recipient, w.l1Token, w.amount
        );
        return _proposeRoot(MerkleRef.root(_one(leaf), 1));
    }

    function _proposeRoot(bytes32 root) internal returns (uint256 idx) {
        onL1();
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        idx = oracle.propose{value: PROPOSER_BOND}(
            nextL2Block++, keccak256("b"), keccak256("s"), root, 0, bytes32(0)
        );
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
    }
}
