// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";

/// @notice Issue 9 part 3 (design D): work per transaction does not grow with the number of pending outputs.
/// With 10,000 outputs proposed and still inside their challenge window, each of `freeze` (a forced
/// withdrawal overdue, the covering output disputed: the longest path), a valid verdict on the first of many
/// challenged outputs (the next open dispute far away), an invalid verdict deleting 10,000 outputs,
/// `refundDeletedBonds` in chunks, `releaseBond` and `withdrawBond` is measured with gasleft() deltas (the
/// execution of the call with every account and slot cold (`vm.cool`), no base or calldata cost) and must stay
/// under 10,000,000 gas. Run with -vv to see the figures.
///
/// And the lazy refunds are exact: after invalid verdicts and the full refund, every proposer's and
/// challenger's credit is what it paid in (plus what it won, minus what it lost), also when proposals reuse
/// deleted indices and a second invalid verdict merges the pending ranges; no record is refunded twice.
contract PendingOutputsTest is Fixture {
    uint256 internal constant PENDING = 10_000;
    uint256 internal constant LIMIT = 10_000_000;
    /// @dev Records per refundDeletedBonds call: cold, about 17,500 gas per record with an open challenge
    /// (two bonds credited), so 250 keeps the largest chunk under half the limit.
    uint256 internal constant CHUNK = 250;

    uint64 internal forced;
    uint256 internal freezeAt;
    uint64 internal processed;
    bytes32 internal consumed;

    /// @dev Output 0 final; a forced withdrawal (nonce 1) processed on L2; at the end of its inclusion window
    /// (timely) 10,000 outputs covering it are proposed: all pending at the freeze time.
    function _tenThousandPending() internal {
        depositETH(alice, alice, 1 ether);
        relayAll();
        proposeAndFinalize();
        uint256 requestedAt = block.timestamp;
        forced = requestForced(alice, address(0), 0.5 ether);
        freezeAt = l1.forcedWithdrawalFreezeAt(forced);
        relayAll();
        onL2();
        processed = l2.l1MessagesProcessed();
        consumed = l2.l1MessageRoot();
        onL1();
        vm.warp(requestedAt + INCLUSION_WINDOW);
        vm.deal(proposer, PENDING * PROPOSER_BOND);
        vm.pauseGasMetering(); // the setup alone exceeds the test's gas limit; the measured calls are metered
        vm.startPrank(proposer);
        for (uint256 i; i < PENDING; ++i) {
            oracle.propose{value: PROPOSER_BOND}(
                uint64(2 + i), bytes32(i + 1), bytes32(i + 1), bytes32(i + 1), processed, consumed
            );
        }
        vm.stopPrank();
        vm.resumeGasMetering();
        assertEq(oracle.outputCount(), PENDING + 1, "10,000 pending outputs after output 0");
    }

    function _challenge(address who, uint256 idx) internal {
        vm.deal(who, who.balance + CHALLENGER_BOND);
        vm.prank(who);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
    }

    bytes32 internal constant IMPLEMENTATION_SLOT =
        0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @dev Every account and slot the measured calls touch becomes cold, as in a transaction of its own (the
    /// setup of this test wrote them in the same transaction).
    function _cold() internal {
        address[2] memory proxies = [address(oracle), address(l1)];
        for (uint256 i; i < 2; ++i) {
            vm.cool(proxies[i]);
            vm.cool(address(uint160(uint256(vm.load(proxies[i], IMPLEMENTATION_SLOT)))));
        }
        vm.cool(l1.escapeHatch());
        vm.cool(proposer);
        vm.cool(challenger);
        vm.cool(relayer);
    }

    function _report(string memory what, uint256 used) internal {
        emit log_named_uint(string.concat(what, " (gas, execution)"), used);
        assertLt(used, LIMIT, string.concat(what, ": over 10M gas"));
    }

    function test_pendingOutputs_tenThousand_boundedWork() public {
        _tenThousandPending();
        uint256 base = vm.snapshotState();
        uint256 g;

        // freeze: the covering output 1 challenged in its last second, the council silent.
        vm.warp(freezeAt - 1);
        _challenge(challenger, 1);
        vm.warp(freezeAt + COUNCIL_RESPONSE_WINDOW);
        _cold();
        g = gasleft();
        l1.freeze(forced);
        _report("freeze with 10,000 pending outputs", g - gasleft());
        (bool has, uint256 escapeIdx,,,) = l1.escapeOutput();
        assertTrue(l1.frozen() && has && escapeIdx == 0, "frozen at output 0");

        // A valid verdict on the first of many challenged outputs, the next open dispute 9,000 outputs on.
        vm.revertToState(base);
        _challenge(challenger, 1);
        vm.pauseGasMetering();
        for (uint256 i = 9001; i <= PENDING; ++i) {
            _challenge(challenger, i);
        }
        vm.resumeGasMetering();
        _cold();
        vm.prank(council);
        g = gasleft();
        oracle.resolveDispute(1, true);
        _report("valid verdict, next dispute 9,000 outputs away (1,001 open)", g - gasleft());
        (bool open, uint256 next) = oracle.firstOpenDispute();
        assertTrue(open && next == 9001, "next open dispute found");

        // An invalid verdict deleting 10,000 outputs (1,000 of them with open challenges).
        vm.revertToState(base);
        _challenge(challenger, 1);
        vm.pauseGasMetering();
        for (uint256 i = 9001; i <= PENDING; ++i) {
            _challenge(relayer, i);
        }
        vm.resumeGasMetering();
        _cold();
        vm.prank(council);
        g = gasleft();
        oracle.resolveDispute(1, false);
        _report("invalid verdict deleting 10,000 outputs", g - gasleft());
        assertEq(oracle.outputCount(), 1, "deleted");
        (uint64 from, uint64 to) = oracle.pendingRefunds();
        assertEq(from, 2, "pending from");
        assertEq(to, PENDING + 1, "pending to");

        // refundDeletedBonds in chunks of 250 (the chunks with open challenges cost the most).
        uint256 maxChunk;
        uint256 chunks;
        while (from < to) {
            _cold();
            g = gasleft();
            uint256 done = oracle.refundDeletedBonds(CHUNK);
            uint256 used = g - gasleft();
            assertGt(done, 0, "progress");
            if (used > maxChunk) maxChunk = used;
            ++chunks;
            (from, to) = oracle.pendingRefunds();
        }
        _report("refundDeletedBonds, largest chunk of 250", maxChunk);
        emit log_named_uint("refundDeletedBonds, gas per record in the largest chunk", maxChunk / CHUNK);
        assertEq(chunks, 40, "9,999 records in 40 chunks");
        assertEq(oracle.bondCredit(proposer), (PENDING - 1) * PROPOSER_BOND, "every later proposer bond back");
        assertEq(oracle.bondCredit(relayer), 1000 * CHALLENGER_BOND, "every open challenger bond back");
        assertEq(
            oracle.bondCredit(challenger),
            CHALLENGER_BOND + PROPOSER_BOND,
            "the challenger of 1: both its bonds"
        );

        // withdrawBond of the 9,999 refunded bonds.
        uint256 before = proposer.balance;
        _cold();
        vm.prank(proposer);
        g = gasleft();
        oracle.withdrawBond();
        _report("withdrawBond (9,999 refunded bonds)", g - gasleft());
        assertEq(proposer.balance - before, (PENDING - 1) * PROPOSER_BOND, "paid");

        // releaseBond of the newest of 10,000 outputs once all are final.
        vm.revertToState(base);
        vm.warp(oracle.getOutput(PENDING).proposedAt + CHALLENGE_PERIOD);
        _cold();
        g = gasleft();
        oracle.releaseBond(PENDING);
        _report("releaseBond of output 10,000", g - gasleft());
        _cold();
        g = gasleft();
        uint256 latest = oracle.latestFinalIndex();
        _report("latestFinalIndex over 10,001 outputs (view)", g - gasleft());
        assertEq(latest, PENDING, "all final");
    }

    // ------------------------------------------------------------------------------------------------
    // lazy refunds are exact
    // ------------------------------------------------------------------------------------------------

    address[3] internal proposers = [_named("p0"), _named("p1"), _named("p2")];
    address[3] internal challengers = [_named("c0"), _named("c1"), _named("c2")];

    /// @dev Ghost mirror of the live outputs and the credits each account is owed (credited eagerly here).
    address[] internal gProposer;
    address[] internal gChallenger;
    uint8[] internal gStatus; // 0 proposed, 1 challenged, 2 upheld
    bool[] internal gReleased;
    mapping(address => uint256) internal owed;
    mapping(address => uint256) internal paidIn;
    uint64 internal nextBlock = 1;

    function _as(uint256 p) internal {
        if (oracle.proposer() != proposers[p]) {
            vm.prank(governance);
            oracle.setProposer(proposers[p]);
        }
    }

    function _gPropose(uint256 p) internal {
        _as(p);
        address who = proposers[p];
        vm.deal(who, who.balance + PROPOSER_BOND);
        vm.prank(who);
        uint256 idx = oracle.propose{value: PROPOSER_BOND}(
            nextBlock,
            bytes32(uint256(nextBlock)),
            bytes32(uint256(nextBlock)),
            bytes32(uint256(nextBlock)),
            0,
            bytes32(0)
        );
        ++nextBlock;
        paidIn[who] += PROPOSER_BOND;
        assertEq(idx, gProposer.length, "ghost index");
        gProposer.push(who);
        gChallenger.push(address(0));
        gStatus.push(0);
        gReleased.push(false);
    }

    function _gChallenge(uint256 c, uint256 idx) internal returns (bool) {
        IOutputOracle.Output memory o = oracle.getOutput(idx);
        if (o.status != IOutputOracle.OutputStatus.Proposed) return false;
        if (block.timestamp >= uint256(o.proposedAt) + CHALLENGE_PERIOD) return false;
        _challenge(challengers[c], idx);
        paidIn[challengers[c]] += CHALLENGER_BOND;
        gChallenger[idx] = challengers[c];
        gStatus[idx] = 1;
        return true;
    }

    function _gVerdict(uint256 idx, bool valid) internal {
        vm.prank(council);
        oracle.resolveDispute(idx, valid);
        if (valid) {
            gStatus[idx] = 2;
            owed[gProposer[idx]] += CHALLENGER_BOND;
            return;
        }
        owed[gChallenger[idx]] += CHALLENGER_BOND + PROPOSER_BOND;
        for (uint256 j = gProposer.length; j > idx + 1;) {
            --j;
            owed[gProposer[j]] += PROPOSER_BOND; // later outputs: bond back (a final one is never deleted)
            if (gStatus[j] == 1) owed[gChallenger[j]] += CHALLENGER_BOND; // open challenge: bond back
            gProposer.pop();
            gChallenger.pop();
            gStatus.pop();
            gReleased.pop();
        }
        gProposer.pop();
        gChallenger.pop();
        gStatus.pop();
        gReleased.pop();
    }

    /// @dev Lazy credits never exceed what is owed (no record refunded twice, nothing credited early).
    function _checkNoOverCredit() internal view {
        for (uint256 i; i < 3; ++i) {
            assertLe(oracle.bondCredit(proposers[i]), owed[proposers[i]], "proposer over-credited");
            assertLe(oracle.bondCredit(challengers[i]), owed[challengers[i]], "challenger over-credited");
        }
    }

    /// @dev Settles everything (upholds open disputes, waits out every window, releases every bond, refunds
    /// every pending record) and checks that each credit is exactly what it is owed, that the oracle holds
    /// exactly the credits, and that each account's credit is what it paid in, plus what it won, minus what it
    /// lost.
    function _settleAndCheck() internal {
        (bool open, uint256 first) = oracle.firstOpenDispute();
        while (open) {
            _gVerdict(first, true);
            (open, first) = oracle.firstOpenDispute();
        }
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        for (uint256 i; i < gProposer.length; ++i) {
            if (!gReleased[i]) {
                oracle.releaseBond(i);
                gReleased[i] = true;
                owed[gProposer[i]] += PROPOSER_BOND;
            }
        }
        (uint64 from, uint64 to) = oracle.pendingRefunds();
        while (from < to) {
            oracle.refundDeletedBonds(1 + (to - from) / 3);
            (from, to) = oracle.pendingRefunds();
        }
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(1);
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            assertEq(oracle.bondCredit(proposers[i]), owed[proposers[i]], "proposer credit exact");
            assertEq(oracle.bondCredit(challengers[i]), owed[challengers[i]], "challenger credit exact");
            total += owed[proposers[i]] + owed[challengers[i]];
        }
        assertEq(address(oracle).balance, total, "the oracle holds exactly the credits");
        uint256 paid;
        for (uint256 i; i < 3; ++i) {
            paid += paidIn[proposers[i]] + paidIn[challengers[i]];
        }
        assertEq(total, paid, "every bond paid in is credited to someone, once");
    }

    /// @dev Deterministic: 30 outputs by three proposers, challenges by three challengers (some upheld); an
    /// invalid verdict at 20; a partial refund; proposals reuse indices 20..24 (the front of the pending range
    /// refunded by `propose` itself); a second invalid verdict at 10 merges [11, 25) with the rest of the
    /// pending range; full refund. Credits exact, nothing refunded twice.
    function test_lazyRefunds_reusedIndicesAndMergedRanges_exact() public {
        for (uint256 i; i < 30; ++i) {
            _gPropose(i % 3);
        }
        for (uint256 i = 3; i < 30; i += 4) {
            _gChallenge(i % 3, i);
        }
        _gVerdict(7, true);
        _gVerdict(15, true);
        _gChallenge(0, 20);
        _gVerdict(20, false);
        _checkNoOverCredit();
        (uint64 from, uint64 to) = oracle.pendingRefunds();
        assertEq(from, 21, "from");
        assertEq(to, 30, "to");
        assertEq(oracle.refundDeletedBonds(3), 3, "partial refund");
        _checkNoOverCredit();
        for (uint256 i; i < 5; ++i) {
            _gPropose((i + 1) % 3); // indices 20..24: 21..23 already refunded, 24 refunded by propose
            _checkNoOverCredit();
        }
        (from, to) = oracle.pendingRefunds();
        assertEq(from, 25, "propose refunded the front of the range");
        _gChallenge(1, 22);
        _gChallenge(2, 24);
        _gChallenge(2, 10);
        _gVerdict(10, false);
        (from, to) = oracle.pendingRefunds();
        assertEq(from, 11, "merged from");
        assertEq(to, 30, "merged to");
        _checkNoOverCredit();
        _settleAndCheck();
    }

    /// @dev Random proposals (three proposers), challenges, verdicts either way, partial refunds, bond releases
    /// and warps: lazy credits never exceed what is owed, and once settled every credit is exact.
    function testFuzz_lazyRefunds_exact(uint256 seed) public {
        for (uint256 step; step < 40; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 n = gProposer.length;
            uint256 action = r % 7;
            if (action <= 1) {
                _gPropose((r >> 8) % 3);
            } else if (action == 2 && n > 0) {
                _gChallenge((r >> 8) % 3, (r >> 16) % n);
            } else if (action == 3) {
                (bool open, uint256 first) = oracle.firstOpenDispute();
                if (open) {
                    uint256 pick = first;
                    for (uint256 j = first + (r >> 8) % (n - first); j < n; ++j) {
                        if (gStatus[j] == 1) {
                            pick = j;
                            break;
                        }
                    }
                    _gVerdict(pick, (r >> 16) % 2 == 0);
                }
            } else if (action == 4) {
                (uint64 from, uint64 to) = oracle.pendingRefunds();
                if (from < to) oracle.refundDeletedBonds(1 + (r >> 8) % 4);
            } else if (action == 5 && n > 0) {
                uint256 idx = (r >> 8) % n;
                if (oracle.isFinal(idx) && !gReleased[idx]) {
                    oracle.releaseBond(idx);
                    gReleased[idx] = true;
                    owed[gProposer[idx]] += PROPOSER_BOND;
                }
            } else {
                vm.warp(block.timestamp + 1 + (r >> 8) % CHALLENGE_PERIOD);
            }
            _checkNoOverCredit();
        }
        _settleAndCheck();
    }
}
