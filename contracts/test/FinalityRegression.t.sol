// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateFixture} from "./utils/StateFixture.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";

/// @notice Issue 9 part 2: finality that went backwards paid the same L2 funds twice. Both chains in one EVM;
/// outputs carry real state roots (StateFixture), so the escape that ends each scenario is the real one.
///
/// The attack (honest proposer, a council that rules correctly): output 0 final, A and B hold 10 ETH each on
/// L2; B requests a forced withdrawal; A withdraws her 10 ETH on L2; outputs 1 and 2 (covering both) are
/// proposed at the very end of the inclusion window; A challenges 2 and the council upholds it; before, 2 was
/// then final at once and A was paid against it; in the last second of 1's window A challenges 1, which made 2
/// non-final again, the forced withdrawal overdue, the freeze snapshot output 0, and A escaped her 10 ETH a
/// second time. Now: an upheld output is final only once its window has passed and nothing below it is
/// disputed, so A is never paid against 2 before 1 is settled, and the freeze snapshot is never older than an
/// output already paid against. Every scenario ends with A paid at most (and here exactly) 10 ETH.
///
/// Also the council-response extension (issue 9 part 3, design C), both sides: a timely covering output
/// challenged in the last second holds the freeze off for `councilResponseWindow`, no longer.
contract FinalityRegressionTest is StateFixture {
    uint256 internal constant ETH = 0; // token index of StateFixture
    address internal carol = _named("carol");

    /// @dev Highest output index any withdrawal was paid against (ghost of the rule "the freeze snapshot is
    /// never older than an output already paid against").
    uint256 internal maxPaidIndex;
    bool internal anyPaid;

    struct Attack {
        uint64 forced;
        uint256 requestedAt;
        uint256 freezeAt;
        uint256 out1;
        uint256 out2;
    }

    function setUp() public override {
        super.setUp();
        holders.push(alice);
        holders.push(bob);
        holders.push(carol);
        depositETH(alice, alice, 10 ether); // nonce 0
        depositETH(bob, bob, 10 ether); // nonce 1
        relayAll();
        uint256 out0 = proposeState();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(out0), "output 0 final");
        assertEq(oracle.latestFinalIndex(), 0, "latest final");
        assertEq(alice.balance, 0, "alice's L1 balance starts at zero (deposited everything)");
    }

    // ------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------

    function _challengeAs(address who, uint256 idx) internal {
        vm.deal(who, who.balance + CHALLENGER_BOND); // the bond is dealt and spent: balances show payouts only
        vm.prank(who);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
    }

    function _verdict(uint256 idx, bool valid) internal {
        vm.prank(council);
        oracle.resolveDispute(idx, valid);
    }

    /// @dev Pays recorded withdrawal `w` against output `idx` and tracks the highest index paid against.
    function _finalize(uint256 w, uint256 idx) internal {
        l1.finalizeWithdrawal(sentWithdrawals[w], idx, withdrawalProofAt(w, idx));
        anyPaid = true;
        if (idx > maxPaidIndex) maxPaidIndex = idx;
    }

    function _finalizeReverts(uint256 w, uint256 idx, bytes memory err) internal {
        IL1Bridge.Withdrawal memory wd = sentWithdrawals[w];
        bytes32[] memory proof = withdrawalProofAt(w, idx);
        vm.expectRevert(err);
        l1.finalizeWithdrawal(wd, idx, proof);
    }

    /// @dev The freeze snapshot is at least every output already paid against.
    function _assertSnapshotNotOlderThanPaid() internal view {
        (bool has, uint256 idx,,,) = l1.escapeOutput();
        if (anyPaid) {
            assertTrue(has, "paid against an output, frozen without escape output");
            assertGe(idx, maxPaidIndex, "escape state older than an output already paid against");
        }
    }

    /// @dev B forces 1 ETH out (processed on L2 at once: withdrawal 0), A withdraws her 10 ETH on L2
    /// (withdrawal 1), outputs 1 and 2 are proposed at the very end of the inclusion window, A challenges 2 and
    /// the council upholds it; A cannot be paid against 2; in the last second of 1's window A challenges 1.
    function _attack() internal returns (Attack memory a) {
        a.requestedAt = block.timestamp;
        a.forced = requestForced(bob, address(0), 1 ether);
        a.freezeAt = l1.forcedWithdrawalFreezeAt(a.forced);
        assertEq(a.freezeAt, a.requestedAt + INCLUSION_WINDOW + CHALLENGE_PERIOD, "freezeAt");
        relayAll();
        recordForcedWithdrawal(bob, address(0), 1 ether, 0);
        withdrawOnL2(alice, address(0), alice, 10 ether); // withdrawal 1
        vm.warp(a.requestedAt + INCLUSION_WINDOW); // the end of the inclusion window: still allowed
        a.out1 = proposeState();
        a.out2 = proposeState();
        _challengeAs(alice, a.out2);
        _verdict(a.out2, true);
        assertEq(
            uint256(oracle.getOutput(a.out2).status), uint256(IOutputOracle.OutputStatus.Upheld), "upheld"
        );
        assertFalse(oracle.isFinal(a.out2), "upheld, but outputs 1 and 2 are still in their windows");
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, a.out2));
        vm.warp(oracle.getOutput(a.out1).proposedAt + CHALLENGE_PERIOD - 1); // last second of 1's window
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, a.out2));
        _challengeAs(alice, a.out1);
        assertEq(oracle.latestFinalIndex(), 0, "nothing above 0 final");
        assertFalse(oracle.isFinal(a.out1) || oracle.isFinal(a.out2), "1 and 2 not final");
        vm.warp(a.freezeAt);
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, a.out2));
        // The covering output 1 was proposed in time and awaits the council: the freeze waits for it.
        assertFalse(l1.canFreeze(a.forced), "timely covering output awaits the council");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, a.forced));
        l1.freeze(a.forced);
    }

    // ------------------------------------------------------------------------------------------------
    // the attack of the issue
    // ------------------------------------------------------------------------------------------------

    /// @dev The council upholds 1 within its response window: 1 and 2 become final, A is paid once against 2,
    /// and the forced withdrawal (served by 1) can never freeze the bridge.
    function test_regression_upheldOutputNotFinalWhileLowerInWindow_councilUpholds() public {
        Attack memory a = _attack();
        vm.warp(a.freezeAt + COUNCIL_RESPONSE_WINDOW - 1); // the council's last second
        _verdict(a.out1, true);
        assertTrue(oracle.isFinal(a.out1) && oracle.isFinal(a.out2), "both final");
        assertEq(oracle.latestFinalIndex(), a.out2, "latest final");
        _finalize(1, a.out2);
        _finalize(0, a.out1); // B's forced withdrawal
        assertEq(alice.balance, 10 ether, "A paid her 10 ETH once");
        assertEq(bob.balance, 1 ether, "B's forced withdrawal paid");
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.AlreadyFinalized.selector, uint64(1)));
        _finalizeReverts(1, a.out1, abi.encodeWithSelector(IL1Bridge.AlreadyFinalized.selector, uint64(1)));
        for (uint256 i; i < 3; ++i) {
            vm.warp(block.timestamp + 100 days);
            assertFalse(l1.canFreeze(a.forced), "served by a final output: never freezable");
            vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, a.forced));
            l1.freeze(a.forced);
        }
        (bytes[] memory ap, bytes[] memory sp) = escapeProofs(0, ETH, alice);
        vm.prank(alice, alice);
        vm.expectRevert(IL1Bridge.NotFrozen.selector);
        l1.escape(address(0), alice, ap, sp);
        assertEq(alice.balance, 10 ether, "A ends with 10 ETH");
        assertEq(l1.escrowed(address(0)), 9 ether, "escrow: B's 9 ETH still on L2");
    }

    /// @dev The council never rules: the freeze comes exactly `councilResponseWindow` after the freeze time,
    /// its snapshot is output 0 (nothing was paid against 1 or 2), A escapes her 10 ETH of output 0 and nothing
    /// else; a verdict after the freeze changes nothing.
    function test_regression_upheldOutputNotFinalWhileLowerInWindow_councilSilent() public {
        Attack memory a = _attack();
        vm.warp(a.freezeAt + COUNCIL_RESPONSE_WINDOW - 1);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, a.forced));
        l1.freeze(a.forced);
        vm.warp(a.freezeAt + COUNCIL_RESPONSE_WINDOW);
        l1.freeze(a.forced);
        (bool has, uint256 escapeIdx,,,) = l1.escapeOutput();
        assertTrue(has && escapeIdx == 0, "escape state: output 0");
        _assertSnapshotNotOlderThanPaid();
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, a.out2));
        assertEq(escapeAs(alice, ETH), 10 ether, "A escapes output 0's 10 ETH");
        assertEq(escapeAs(bob, ETH), 10 ether, "B escapes output 0's 10 ETH");
        // A late verdict makes 1 and 2 final, but they are after the escape output: nothing more is paid.
        _verdict(a.out1, true);
        assertTrue(oracle.isFinal(a.out2), "final after the freeze");
        _finalizeReverts(1, a.out2, abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, a.out2));
        _finalizeReverts(0, a.out1, abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, a.out1));
        assertEq(alice.balance, 10 ether, "A ends with 10 ETH");
        assertEq(bob.balance, 10 ether, "B ends with 10 ETH");
        assertEq(l1.escrowed(address(0)), 0, "escrow paid out exactly");
    }

    /// @dev Variant: output 1 is really invalid (the proposer lied in it) and the council deletes it, taking 2
    /// along; the proposer stays silent. Nothing covers the forced withdrawal any more, so the freeze comes at
    /// its freeze time without extension, at output 0; A ends with 10 ETH; every bond is accounted for.
    function test_regression_invalidLowerOutputDeletedWhileProposerSilent() public {
        uint256 requestedAt = block.timestamp;
        uint64 forced = requestForced(bob, address(0), 1 ether);
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(forced);
        relayAll();
        recordForcedWithdrawal(bob, address(0), 1 ether, 0);
        withdrawOnL2(alice, address(0), alice, 10 ether);
        vm.warp(requestedAt + INCLUSION_WINDOW);
        // Output 1 lies: a made-up withdrawal root and state root (at L2's real message count and root).
        onL2();
        uint64 processed = l2.l1MessagesProcessed();
        bytes32 consumed = l2.l1MessageRoot();
        onL1();
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        uint256 out1 = oracle.propose{value: PROPOSER_BOND}(
            nextL2Block++,
            keccak256("bogus block"),
            keccak256("bogus state"),
            keccak256("bogus"),
            processed,
            consumed
        );
        uint256 out2 = proposeState();
        _challengeAs(alice, out2);
        _verdict(out2, true);
        _finalizeReverts(1, out2, abi.encodeWithSelector(IL1Bridge.OutputNotFinal.selector, out2));
        vm.warp(oracle.getOutput(out1).proposedAt + CHALLENGE_PERIOD - 1);
        _challengeAs(challenger, out1);
        _verdict(out1, false);
        assertEq(oracle.outputCount(), 1, "outputs 1 and 2 deleted");
        (bool found,,) = oracle.firstCovering(forced);
        assertFalse(found, "nothing covers the forced withdrawal");
        vm.warp(freezeAt);
        assertTrue(l1.canFreeze(forced), "no timely covering output: no extension");
        l1.freeze(forced);
        (bool has, uint256 escapeIdx,,,) = l1.escapeOutput();
        assertTrue(has && escapeIdx == 0, "escape state: output 0");
        _finalizeReverts(1, out2, abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, out2));
        assertEq(escapeAs(alice, ETH), 10 ether, "A escapes 10 ETH");
        assertEq(escapeAs(bob, ETH), 10 ether, "B escapes 10 ETH");
        assertEq(alice.balance, 10 ether, "A ends with 10 ETH");
        assertEq(l1.escrowed(address(0)), 0, "escrow paid out exactly");
        // Bonds: the watchdog has both of 1's, the proposer got A's bond on 2 (upheld) and 2's own bond back.
        oracle.refundDeletedBonds(10);
        assertEq(oracle.bondCredit(challenger), CHALLENGER_BOND + PROPOSER_BOND, "watchdog");
        assertEq(
            oracle.bondCredit(proposer), CHALLENGER_BOND + PROPOSER_BOND, "proposer: A's bond + 2's bond"
        );
        assertEq(oracle.bondCredit(alice), 0, "A lost her bond on the valid output 2");
        assertEq(
            address(oracle).balance,
            oracle.bondCredit(challenger) + oracle.bondCredit(proposer) + PROPOSER_BOND,
            "oracle holds the credits and output 0's bond"
        );
    }

    /// @dev Variant: a forced withdrawal served by a final output can never become freezable again, whatever
    /// happens to the outputs after it (challenges in the last second, deletions, a silent council, years).
    function test_regression_servedForcedWithdrawalNeverFreezableAgain() public {
        uint256 requestedAt = block.timestamp;
        uint64 forced = requestForced(bob, address(0), 1 ether);
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(forced);
        relayAll();
        recordForcedWithdrawal(bob, address(0), 1 ether, 0);
        vm.warp(requestedAt + INCLUSION_WINDOW - 100);
        uint256 out1 = proposeState();
        vm.warp(oracle.getOutput(out1).proposedAt + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(out1), "served by a final output");
        _finalize(0, out1);
        // A lower dispute cannot open any more.
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.ChallengeWindowClosed.selector, out1));
        oracle.challenge{value: CHALLENGER_BOND}(out1);
        // Later outputs: one challenged in its last second and deleted, one challenged and never ruled on.
        uint256 out2 = proposeState();
        vm.warp(block.timestamp + CHALLENGE_PERIOD - 1);
        _challengeAs(challenger, out2);
        _verdict(out2, false);
        uint256 again = proposeState();
        _challengeAs(challenger, again);
        uint256[4] memory times =
            [freezeAt, freezeAt + COUNCIL_RESPONSE_WINDOW, freezeAt + 30 days, freezeAt + 3650 days];
        for (uint256 i; i < times.length; ++i) {
            if (block.timestamp < times[i]) vm.warp(times[i]);
            assertTrue(oracle.isFinal(out1), "final forever");
            assertGe(oracle.latestFinalIndex(), out1, "finality never goes back");
            assertFalse(l1.canFreeze(forced), "never freezable again");
            vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, forced));
            l1.freeze(forced);
        }
        assertFalse(l1.frozen(), "not frozen");
    }

    /// @dev After a final output served a forced withdrawal, random later proposals, last-second challenges,
    /// verdicts and warps never make it freezable, and never make a final output non-final.
    function testFuzz_regression_servedForcedWithdrawalNeverFreezable(uint256 seed) public {
        uint64 forced = requestForced(bob, address(0), 1 ether);
        relayAll();
        uint256 out1 = proposeState();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(out1), "served");
        uint256 finalUpTo = oracle.latestFinalIndex();
        for (uint256 step; step < 24; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 n = oracle.outputCount();
            uint256 action = r % 5;
            if (action == 0) {
                proposeOutput(); // no escape here: an output without a real state root is enough
            } else if (action == 1 && n > 0) {
                uint256 idx = (r >> 8) % n;
                IOutputOracle.Output memory o = oracle.getOutput(idx);
                uint256 end = uint256(o.proposedAt) + CHALLENGE_PERIOD;
                if (o.status == IOutputOracle.OutputStatus.Proposed && block.timestamp < end) {
                    if ((r >> 16) % 2 == 0) vm.warp(end - 1); // the last second
                    _challengeAs(challenger, idx);
                }
            } else if (action == 2) {
                (bool open, uint256 first) = oracle.firstOpenDispute();
                if (open) _verdict(first, (r >> 8) % 2 == 0);
            } else {
                vm.warp(block.timestamp + 1 + (r >> 8) % (2 * uint256(INCLUSION_WINDOW)));
            }
            assertTrue(oracle.isFinal(out1), "a final output stays final");
            uint256 latest = oracle.latestFinalIndex();
            assertGe(latest, finalUpTo, "latestFinalIndex never decreases");
            finalUpTo = latest;
            assertFalse(l1.canFreeze(forced), "never freezable");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // the council-response extension, both sides
    // ------------------------------------------------------------------------------------------------

    /// @dev B forces 1 ETH out; the honest operator processes it and proposes the covering output `delay`
    /// seconds after the end of the inclusion window (negative: before).
    function _served(int256 delay) internal returns (uint64 forced, uint256 freezeAt, uint256 idx) {
        uint256 requestedAt = block.timestamp;
        forced = requestForced(bob, address(0), 1 ether);
        freezeAt = l1.forcedWithdrawalFreezeAt(forced);
        relayAll();
        vm.warp(uint256(int256(requestedAt + INCLUSION_WINDOW) + delay));
        idx = proposeState();
    }

    /// @dev A timely covering output challenged in the last second of its window: not freezable at the freeze
    /// time nor at any second of the council-response window; once the council upholds it (here in the
    /// window's last second) and its window has passed, never freezable.
    function test_councilResponse_timelyOutputChallengedLastSecond_notFreezableThenUpheld() public {
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(-100);
        vm.warp(oracle.getOutput(idx).proposedAt + CHALLENGE_PERIOD - 1);
        _challengeAs(challenger, idx);
        uint256[4] memory probes = [
            freezeAt - 1,
            freezeAt,
            freezeAt + COUNCIL_RESPONSE_WINDOW / 2,
            freezeAt + COUNCIL_RESPONSE_WINDOW - 1
        ];
        for (uint256 i; i < probes.length; ++i) {
            vm.warp(probes[i]);
            assertFalse(l1.canFreeze(forced), "the council may still rule");
            vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, forced));
            l1.freeze(forced);
        }
        _verdict(idx, true);
        assertTrue(oracle.isFinal(idx), "upheld and past its window: final");
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW);
        assertFalse(l1.canFreeze(forced), "served by a final output");
        vm.warp(freezeAt + 365 days);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, forced));
        l1.freeze(forced);
        assertFalse(l1.frozen(), "an honest operator is never frozen");
    }

    /// @dev The same output upheld before the freeze time: never freezable at all.
    function test_councilResponse_upheldBeforeFreezeTime_neverFreezable() public {
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(0); // proposed at the window's very end
        vm.warp(freezeAt - 1); // = proposedAt + challengePeriod - 1
        _challengeAs(challenger, idx);
        _verdict(idx, true);
        vm.warp(freezeAt);
        assertTrue(oracle.isFinal(idx), "final exactly at the freeze time");
        assertFalse(l1.canFreeze(forced), "canFreeze");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, forced));
        l1.freeze(forced);
    }

    /// @dev A slow council (no verdict): the freeze happens exactly at freezeAt + councilResponseWindow, refused
    /// one second earlier, and its snapshot is the newest final output (the genesis of this test's outputs).
    function test_councilResponse_slowCouncil_freezesExactlyAtWindowEnd() public {
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(0); // timely: proposed at requestedAt + window
        vm.warp(freezeAt - 1);
        _challengeAs(challenger, idx);
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW - 1);
        assertFalse(l1.canFreeze(forced), "one second early");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, forced));
        l1.freeze(forced);
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW);
        assertTrue(l1.canFreeze(forced), "on time");
        l1.freeze(forced);
        (bool has, uint256 escapeIdx,,,) = l1.escapeOutput();
        assertTrue(has && escapeIdx == 0, "snapshot: the newest final output");
    }

    /// @dev A dispute below the covering output (not on it) also holds the freeze off, for the same bounded
    /// window: the covering output is not final while it is open.
    function test_councilResponse_lowerDisputeExtendsToo_bounded() public {
        uint256 lower = proposeState(); // output 1, before the request: does not cover it
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(-10);
        assertEq(idx, lower + 1, "covering output above it");
        vm.warp(oracle.getOutput(lower).proposedAt + CHALLENGE_PERIOD - 1);
        _challengeAs(challenger, lower);
        vm.warp(freezeAt);
        assertFalse(oracle.isFinal(idx), "blocked by the lower dispute");
        assertFalse(l1.canFreeze(forced), "extension");
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW);
        assertTrue(l1.canFreeze(forced), "bounded");
        l1.freeze(forced);
    }

    /// @dev An untimely covering output (one second after the inclusion window) gets no extension, challenged or
    /// not: the freeze is due at the freeze time; proposed exactly at the window's end, it does.
    function test_councilResponse_untimelyCoveringOutput_noExtension() public {
        uint256 snap = vm.snapshotState();
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(1);
        _challengeAs(challenger, idx);
        vm.warp(freezeAt - 1);
        assertFalse(l1.canFreeze(forced), "not due yet");
        vm.warp(freezeAt);
        assertTrue(l1.canFreeze(forced), "untimely: no extension");
        l1.freeze(forced);
        assertTrue(l1.frozen(), "frozen at the freeze time");
        // The boundary: proposed exactly at the end of the window, the same challenge extends the freeze.
        vm.revertToState(snap);
        (forced, freezeAt, idx) = _served(0);
        _challengeAs(challenger, idx);
        vm.warp(freezeAt);
        assertFalse(l1.canFreeze(forced), "timely: extension");
    }

    /// @dev A timely covering output deleted as invalid during the extension: nothing covers the forced
    /// withdrawal any more, so the freeze is due at once (the extension only waits for a verdict).
    function test_councilResponse_coveringOutputDeleted_freezesAtOnce() public {
        (uint64 forced, uint256 freezeAt, uint256 idx) = _served(-100);
        vm.warp(oracle.getOutput(idx).proposedAt + CHALLENGE_PERIOD - 1);
        _challengeAs(challenger, idx);
        vm.warp(freezeAt + 60);
        assertFalse(l1.canFreeze(forced), "awaiting the verdict");
        _verdict(idx, false);
        assertTrue(l1.canFreeze(forced), "deleted: due at once");
        l1.freeze(forced);
    }
}
