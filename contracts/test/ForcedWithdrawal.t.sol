// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Fixture} from "./utils/Fixture.sol";
import {L1Bridge} from "../src/L1Bridge.sol";
import {BridgedToken} from "../src/BridgedToken.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../src/interfaces/IL2Bridge.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {RejectETH} from "./utils/Mocks.sol";
import {L1Message} from "../src/Types.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

/// @notice Forced withdrawals end to end (L1 request, in-order processing on L2, withdrawal finalized on
/// L1), the freeze rule and its exact boundary, the pause not stopping any of it, and the freeze being
/// terminal. Both chains in one EVM (Fixture). Escape and refunds: test/Escape.t.sol.
contract ForcedWithdrawalTest is Fixture {
    uint256 internal constant WINDOW = INCLUSION_WINDOW;

    function setUp() public override {
        super.setUp();
        depositETH(alice, alice, 10 ether); // nonce 0, announces ETH
        depositToken(address(token), bob, bob, 100e18); // nonce 1, announces the token
        relayAll();
    }

    /// @dev Records the withdrawal a processed forced withdrawal created on L2 (for proofs).
    function _recordForcedWithdrawal(address account, address l1Token, uint256 amount, uint64 nonce)
        internal
    {
        sentWithdrawals.push(
            IL1Bridge.Withdrawal({
                nonce: nonce, sender: account, recipient: account, l1Token: l1Token, amount: amount
            })
        );
        withdrawalLeaves.push(
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), nonce, account, account, l1Token, amount)
        );
    }

    /// @dev Commits and publishes the message root; returns the pending batch (relay it right after setting
    /// event expectations: they apply to the next call only).
    function _pendingBatch()
        internal
        returns (L1Message[] memory msgs, bytes32 root, bytes32[][] memory proofs)
    {
        uint64 count;
        (root, count) = commitAndPublish();
        onL2();
        (msgs, proofs) = messageProofs(l2.l1MessagesProcessed(), count, count);
    }

    function _l2Balance(address l1Token, address account) internal returns (uint256 b) {
        onL2();
        b = IERC20(l2.bridgedToken(l1Token)).balanceOf(account);
        onL1();
    }

    // ------------------------------------------------------------------------------------------------
    // initialize
    // ------------------------------------------------------------------------------------------------

    function _initWithWindow(uint64 window) internal {
        IL1Bridge.InitParams memory p = l1Params(address(oracle), address(l2));
        p.forcedInclusionWindow = window;
        address impl = address(new L1Bridge());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "forcedInclusionWindow"));
        new ERC1967Proxy(impl, abi.encodeCall(L1Bridge.initialize, (p)));
    }

    function test_initialize_forcedInclusionWindowStored_succeeds() public view {
        assertEq(l1.forcedInclusionWindow(), WINDOW);
    }

    function test_initialize_zeroForcedInclusionWindow_reverts() public {
        _initWithWindow(0);
    }

    function test_initialize_forcedInclusionWindowAboveAYear_reverts() public {
        _initWithWindow(365 days + 1);
    }

    // ------------------------------------------------------------------------------------------------
    // requestForcedWithdrawal
    // ------------------------------------------------------------------------------------------------

    function test_requestForcedWithdrawal_sendsKind2Message_succeeds() public {
        uint64 freezeAt = uint64(block.timestamp + WINDOW + CHALLENGE_PERIOD);
        bytes32 leaf = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(l1), 2, 2, alice, alice, address(0), 3 ether, keccak256("")
        );
        uint256 escrow = l1.escrowed(address(0));
        vm.expectEmit(address(l1));
        emit IL1Bridge.MessageSent(2, 2, alice, alice, address(0), 3 ether, "", leaf);
        vm.expectEmit(address(l1));
        emit IL1Bridge.ForcedWithdrawalRequested(2, alice, address(0), 3 ether, freezeAt);
        vm.prank(alice, alice);
        assertEq(l1.requestForcedWithdrawal(address(0), 3 ether), 2, "nonce");
        assertEq(l1.messageCount(), 3, "count");
        assertEq(l1.forcedWithdrawalFreezeAt(2), freezeAt, "freezeAt");
        assertEq(l1.escrowed(address(0)), escrow, "escrow untouched");
        assertEq(l1.forcedWithdrawalFreezeAt(1), 0, "a deposit is no forced withdrawal");
        assertEq(l1.forcedWithdrawalFreezeAt(99), 0, "no such message");
    }

    function test_requestForcedWithdrawal_zeroAmount_reverts() public {
        vm.prank(alice, alice);
        vm.expectRevert(IL1Bridge.ZeroAmount.selector);
        l1.requestForcedWithdrawal(address(0), 0);
    }

    function test_requestForcedWithdrawal_tokenNeverDeposited_reverts() public {
        vm.prank(alice, alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.InvalidToken.selector, address(0x7777)));
        l1.requestForcedWithdrawal(address(0x7777), 1);
        assertEq(l1.messageCount(), 2, "no message");
    }

    /// @dev A contract calling requestForcedWithdrawal would burn the L2 balance of its own address, which on
    /// L2 may belong to someone else (cross-chain address replay): only an externally owned account may force.
    function test_requestForcedWithdrawal_fromContract_reverts() public {
        RejectETH wallet = new RejectETH();
        vm.prank(alice, alice); // alice's transaction, through her contract wallet
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, address(wallet)));
        wallet.execute(address(l1), abi.encodeCall(L1Bridge.requestForcedWithdrawal, (address(0), 1 ether)));
        assertEq(l1.messageCount(), 2, "no message");
    }

    /// @dev An address that is not the transaction's origin (a contract at alice's address called in someone
    /// else's transaction) is refused too; alice's own transaction is accepted.
    function test_requestForcedWithdrawal_senderNotOrigin_reverts() public {
        vm.prank(alice, relayer);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, alice));
        l1.requestForcedWithdrawal(address(0), 1 ether);
        vm.prank(alice); // tx.origin stays the test's default sender
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, alice));
        l1.requestForcedWithdrawal(address(0), 1 ether);
        assertEq(l1.messageCount(), 2, "no message");
        vm.prank(alice, alice);
        assertEq(l1.requestForcedWithdrawal(address(0), 1 ether), 2, "alice as an EOA");
    }

    /// @dev Neither the request nor its clock stop while paused.
    function test_requestForcedWithdrawal_whilePaused_succeeds() public {
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        uint64 nonce = requestForced(alice, address(0), 1 ether);
        assertEq(l1.forcedWithdrawalFreezeAt(nonce), block.timestamp + WINDOW + CHALLENGE_PERIOD, "clock");
    }

    function test_requestForcedWithdrawal_whileFrozen_reverts() public {
        _freezeWithNothingProcessed();
        vm.prank(alice, alice);
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.requestForcedWithdrawal(address(0), 1 ether);
    }

    // ------------------------------------------------------------------------------------------------
    // processing on L2
    // ------------------------------------------------------------------------------------------------

    function test_relayMessages_forcedWithdrawalBurnsRequested_succeeds() public {
        uint64 nonce = requestForced(alice, address(0), 3 ether);
        (L1Message[] memory msgs, bytes32 root, bytes32[][] memory proofs) = _pendingBatch();
        address l2Eth = l2.bridgedToken(address(0));
        bytes32 wLeaf = Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), 0, alice, alice, address(0), 3 ether);
        vm.expectEmit(address(l2));
        emit IL2Bridge.WithdrawalInitiated(0, alice, alice, address(0), 3 ether, wLeaf);
        vm.expectEmit(address(l2));
        emit IL2Bridge.ForcedWithdrawalProcessed(nonce, alice, address(0), 3 ether, 3 ether);
        vm.expectEmit(address(l2));
        emit IL2Bridge.MessageProcessed(nonce, 2, alice, l2Eth, 3 ether, messageLeaves[nonce]);
        l2.relayMessages(msgs, root, proofs);
        assertEq(_l2Balance(address(0), alice), 7 ether, "balance");
        onL2();
        assertEq(l2.l1MessagesProcessed(), 3, "processed");
        assertEq(l2.withdrawalCount(), 1, "withdrawal");
        assertEq(IERC20(l2Eth).totalSupply(), 7 ether, "supply");
    }

    function test_relayMessages_forcedWithdrawalAboveBalanceBurnsAll_succeeds() public {
        uint64 nonce = requestForced(bob, address(token), 1000e18);
        (L1Message[] memory msgs, bytes32 root, bytes32[][] memory proofs) = _pendingBatch();
        vm.expectEmit(address(l2));
        emit IL2Bridge.ForcedWithdrawalProcessed(nonce, bob, address(token), 1000e18, 100e18);
        l2.relayMessages(msgs, root, proofs);
        assertEq(_l2Balance(address(token), bob), 0, "all burnt");
        onL2();
        assertEq(l2.withdrawalCount(), 1, "withdrawal of what was held");
    }

    /// @dev An account without a balance: nothing burnt, no withdrawal, still processed (in order, between
    /// deposits of the same batch).
    function test_relayMessages_forcedWithdrawalWithoutBalance_succeeds() public {
        depositETH(bob, bob, 1 ether);
        uint64 nonce = requestForced(carolOf(), address(token), 5e18);
        depositETH(bob, bob, 1 ether);
        (L1Message[] memory msgs, bytes32 root, bytes32[][] memory proofs) = _pendingBatch();
        assertEq(msgs.length, 3, "one batch");
        vm.expectEmit(address(l2));
        emit IL2Bridge.ForcedWithdrawalProcessed(nonce, carolOf(), address(token), 5e18, 0);
        l2.relayMessages(msgs, root, proofs);
        onL2();
        assertEq(l2.l1MessagesProcessed(), 5, "all three processed");
        assertEq(l2.withdrawalCount(), 0, "no withdrawal");
        assertEq(_l2Balance(address(0), bob), 2 ether, "deposits around it");
    }

    function carolOf() internal returns (address) {
        return _named("carol");
    }

    /// @dev Force on L1, processed on L2, output final, withdrawal finalized on L1 like any other.
    function test_forcedWithdrawal_roundTripFinalizesOnL1_succeeds() public {
        uint64 nonce = requestForced(alice, address(0), 4 ether);
        relayAll();
        _recordForcedWithdrawal(alice, address(0), 4 ether, 0);
        uint256 idx = proposeAndFinalize();
        assertFalse(l1.canFreeze(nonce), "processed by a final output");
        uint256 before = alice.balance;
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, withdrawalProofAt(0, idx));
        assertEq(alice.balance, before + 4 ether, "paid on L1");
    }

    // ------------------------------------------------------------------------------------------------
    // freeze
    // ------------------------------------------------------------------------------------------------

    /// @dev A forced withdrawal (nonce 2) nobody processes; freezes once due.
    function _freezeWithNothingProcessed() internal returns (uint64 nonce) {
        nonce = requestForced(alice, address(0), 1 ether);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce));
        l1.freeze(nonce);
    }

    function test_freeze_nothingOverdue_reverts() public {
        uint64 nonce = requestForced(alice, address(0), 1 ether);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce) - 1);
        assertFalse(l1.canFreeze(nonce), "canFreeze");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
        assertFalse(l1.frozen(), "frozen");
        (bool has,,,,) = l1.escapeOutput();
        assertFalse(has, "no snapshot");
    }

    function test_freeze_overdueWithoutAnyOutput_succeeds() public {
        uint64 nonce = requestForced(alice, address(0), 1 ether);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce));
        assertTrue(l1.canFreeze(nonce), "canFreeze");
        vm.expectEmit(address(l1));
        emit IL1Bridge.Frozen(nonce, false, 0, bytes32(0), bytes32(0), 0);
        vm.prank(bob);
        l1.freeze(nonce);
        assertTrue(l1.frozen(), "frozen");
        (bool has,,,,) = l1.escapeOutput();
        assertFalse(has, "no escape output");
    }

    /// @dev The operator processes the request on L2 at once and posts an output covering it `delay`
    /// seconds after the request plus the window; returns the forced nonce.
    function _processAndProposeAt(int256 delay) internal returns (uint64 nonce, uint256 idx) {
        proposeAndFinalize(); // an older final output (index 0) that does not cover the request
        nonce = requestForced(alice, address(0), 1 ether);
        uint256 requestedAt = block.timestamp;
        relayAll();
        vm.warp(uint256(int256(requestedAt + WINDOW) + delay));
        idx = proposeOutput();
        assertEq(l1.forcedWithdrawalFreezeAt(nonce), requestedAt + WINDOW + CHALLENGE_PERIOD, "freezeAt");
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce));
    }

    /// @dev Output covering the request proposed exactly at the end of the window: final exactly at the
    /// freeze time, so the freeze is refused then and forever.
    function test_freeze_coveringOutputProposedAtWindowEnd_reverts() public {
        (uint64 nonce, uint256 idx) = _processAndProposeAt(0);
        assertTrue(oracle.isFinal(idx), "final exactly at freezeAt");
        assertFalse(l1.canFreeze(nonce), "canFreeze");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
        vm.warp(block.timestamp + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
        assertFalse(l1.frozen(), "never frozen");
    }

    function test_freeze_coveringOutputProposedOneSecondEarly_reverts() public {
        (uint64 nonce,) = _processAndProposeAt(-1);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
    }

    /// @dev One second late: not final at the freeze time, so anyone freezes; the escape output is the
    /// older final output.
    function test_freeze_coveringOutputProposedOneSecondLate_succeeds() public {
        (uint64 nonce, uint256 idx) = _processAndProposeAt(1);
        assertFalse(oracle.isFinal(idx), "not final yet");
        assertTrue(l1.canFreeze(nonce), "canFreeze");
        l1.freeze(nonce);
        (bool has, uint256 escapeIdx,,, uint64 processed) = l1.escapeOutput();
        assertTrue(has, "has");
        assertEq(escapeIdx, 0, "the older output");
        assertEq(processed, 2, "its message count");
    }

    function test_freeze_depositNonce_reverts() public {
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotForcedWithdrawal.selector, uint64(0)));
        l1.freeze(0);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotForcedWithdrawal.selector, uint64(77)));
        l1.freeze(77);
        assertFalse(l1.canFreeze(0), "canFreeze");
    }

    function test_freeze_twice_reverts() public {
        uint64 nonce = _freezeWithNothingProcessed();
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.freeze(nonce);
    }

    /// @dev Neither the freeze nor its clock stop while paused (the pause covers the freeze time).
    function test_freeze_whilePaused_succeeds() public {
        uint64 nonce = requestForced(alice, address(0), 1 ether);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce) - 1);
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        vm.warp(block.timestamp + 1);
        l1.freeze(nonce);
        assertTrue(l1.frozen(), "frozen while paused");
    }

    /// @dev A griefing challenge of the timely covering output, still unresolved at the freeze time, stops the
    /// clock only for the council-response window: the council has that long to rule, and a council that
    /// stays silent cannot hold the freeze off longer (forced withdrawals keep their deadlines).
    function test_freeze_coveringOutputChallengedUnresolved_succeeds() public {
        (uint64 nonce, uint256 idx) = _processAndProposeAt(-1000);
        vm.warp(oracle.getOutput(idx).proposedAt);
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(nonce);
        vm.warp(freezeAt);
        assertFalse(l1.canFreeze(nonce), "the council may still rule");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW);
        assertTrue(l1.canFreeze(nonce), "canFreeze");
        l1.freeze(nonce);
        assertTrue(l1.frozen(), "frozen");
        (bool has, uint256 escapeIdx,,,) = l1.escapeOutput();
        assertTrue(has && escapeIdx == 0, "the older final output");
    }

    /// @dev The council upholding the challenged output in time makes it final: the freeze is refused.
    function test_freeze_coveringOutputUpheldInTime_reverts() public {
        (uint64 nonce, uint256 idx) = _processAndProposeAt(-1000);
        vm.warp(oracle.getOutput(idx).proposedAt);
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        vm.prank(council);
        oracle.resolveDispute(idx, true);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce));
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, nonce));
        l1.freeze(nonce);
    }

    /// @dev Only the oracle's own "nothing is final" (`NotFinal(0)`) means "no escape output": any other
    /// failure of the call (here empty revert data, as when the call runs out of gas) reverts the freeze, so
    /// a caller cannot starve the call to freeze without the real escape output.
    function test_freeze_oracleCallFails_reverts() public {
        proposeAndFinalize();
        uint64 nonce = requestForced(alice, address(0), 1 ether);
        vm.warp(l1.forcedWithdrawalFreezeAt(nonce));
        vm.mockCallRevert(address(oracle), abi.encodeCall(IOutputOracle.latestFinalIndex, ()), "");
        vm.expectRevert(bytes(""));
        l1.freeze(nonce);
        bytes memory other = abi.encodeWithSelector(IOutputOracle.NotFinal.selector, uint256(1));
        vm.mockCallRevert(address(oracle), abi.encodeCall(IOutputOracle.latestFinalIndex, ()), other);
        vm.expectRevert(other);
        l1.freeze(nonce);
        vm.clearMockedCalls();
        assertFalse(l1.frozen(), "not frozen");
        l1.freeze(nonce);
        (bool has,,,,) = l1.escapeOutput();
        assertTrue(has, "the real escape output");
    }

    // ------------------------------------------------------------------------------------------------
    // frozen is terminal
    // ------------------------------------------------------------------------------------------------

    /// @dev Every state-changing function of L1Bridge (IL1Bridge, the initializer and UUPS's
    /// upgradeToAndCall), called after the freeze by governance, the pauser and a stranger with plausible
    /// arguments: the bridge stays frozen, deposits and forced requests are refused, and governance cannot
    /// upgrade it any more.
    function test_freeze_isTerminal_noFunctionUnfreezes_succeeds() public {
        uint64 nonce = _freezeWithNothingProcessed();
        address[3] memory callers = [governance, council, bob];
        bytes[] memory calls = _everyMutatingCall(nonce);
        for (uint256 c; c < callers.length; ++c) {
            for (uint256 i; i < calls.length; ++i) {
                vm.deal(callers[c], 10 ether);
                vm.prank(callers[c]);
                (bool ok,) = address(l1).call{value: i == 0 ? 1 ether : 0}(calls[i]);
                ok; // most revert; none may unfreeze
                assertTrue(l1.frozen(), "still frozen");
            }
        }
        address impl = address(new L1Bridge());
        vm.prank(l1.governance()); // governance itself may have been handed on above
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.upgradeToAndCall(impl, "");
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.depositETH{value: 1 ether}(alice);
        vm.prank(bob);
        vm.expectRevert(IL1Bridge.BridgeFrozen.selector);
        l1.depositERC20(address(token), bob, 1);
    }

    /// @dev Random calls to every state-changing function from random senders after the freeze.
    function testFuzz_freeze_isTerminal_succeeds(uint256 which, address caller, bytes32 a, uint64 b) public {
        uint64 nonce = _freezeWithNothingProcessed();
        bytes[] memory calls = _everyMutatingCall(nonce);
        bytes memory data = calls[which % calls.length];
        // Replace the first argument word with fuzz (the selector stays).
        if (data.length >= 36) {
            assembly ("memory-safe") {
                mstore(add(data, 0x24), a)
            }
        }
        vm.deal(caller, 10 ether);
        vm.prank(caller);
        (bool ok,) = address(l1).call{value: b % 2 == 0 ? 0 : 1 ether}(data);
        ok;
        assertTrue(l1.frozen(), "still frozen");
    }

    function test_freeze_isTerminal_pinned_succeeds() public {
        testFuzz_freeze_isTerminal_succeeds(13, governance, bytes32(uint256(1)), 0);
    }

    function _everyMutatingCall(uint64 nonce) internal view returns (bytes[] memory c) {
        IL1Bridge.Withdrawal memory w =
            IL1Bridge.Withdrawal({nonce: 0, sender: alice, recipient: alice, l1Token: address(0), amount: 1});
        IL1Bridge.WithdrawalClaim[] memory claims = new IL1Bridge.WithdrawalClaim[](1);
        claims[0] = IL1Bridge.WithdrawalClaim({withdrawal: w, proof: new bytes32[](0)});
        L1Message memory m = L1Message({
            kind: 1, nonce: 0, sender: alice, recipient: alice, token: address(0), amount: 10 ether, data: ""
        });
        c = new bytes[](17);
        c[0] = abi.encodeCall(L1Bridge.depositETH, (alice));
        c[1] = abi.encodeCall(L1Bridge.depositERC20, (address(token), alice, 1));
        c[2] = abi.encodeCall(L1Bridge.commitMessageRoot, ());
        c[3] = abi.encodeCall(L1Bridge.finalizeWithdrawal, (w, 0, new bytes32[](0)));
        c[4] = abi.encodeCall(L1Bridge.finalizeWithdrawals, (claims, 0));
        c[5] = abi.encodeCall(L1Bridge.cacheOutputRoot, (0));
        c[6] = abi.encodeCall(L1Bridge.pause, (MAX_PAUSE));
        c[7] = abi.encodeCall(L1Bridge.unpause, ());
        c[8] = abi.encodeCall(L1Bridge.setPauser, (bob));
        c[9] = abi.encodeCall(L1Bridge.setPauseBounds, (1, 1));
        c[10] = abi.encodeCall(IGoverned.setGovernance, (bob));
        c[11] = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(0x1234), "");
        c[12] = abi.encodeCall(L1Bridge.initialize, (l1Params(address(oracle), address(l2))));
        c[13] = abi.encodeCall(L1Bridge.requestForcedWithdrawal, (address(0), 1));
        c[14] = abi.encodeCall(IL1Bridge.freeze, (nonce));
        c[15] = abi.encodeCall(IL1Bridge.escape, (address(0), alice, new bytes[](0), new bytes[](0)));
        c[16] = abi.encodeCall(IL1Bridge.refundDeposit, (m, new bytes32[](0)));
    }

    // ------------------------------------------------------------------------------------------------
    // l2TokenFor
    // ------------------------------------------------------------------------------------------------

    function test_l2TokenFor_matchesDeployedTokens_succeeds() public {
        BridgedToken eth = bridged(address(0));
        BridgedToken tt = bridged(address(token));
        assertEq(l1.l2TokenFor(address(0)), address(eth), "ETH");
        assertEq(l1.l2TokenFor(address(token)), address(tt), "token");
    }

    function testFuzz_l2TokenFor_matchesL2BridgePrediction_succeeds(address l1Token) public {
        address onL1Side = l1.l2TokenFor(l1Token);
        onL2();
        assertEq(onL1Side, l2.predictBridgedToken(l1Token), "prediction");
    }

    function test_l2TokenFor_matchesL2BridgePrediction_pinned_succeeds() public {
        testFuzz_l2TokenFor_matchesL2BridgePrediction_succeeds(address(0xBEEF));
    }
}
