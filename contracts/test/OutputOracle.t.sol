// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {Fixture} from "./utils/Fixture.sol";
import {RejectETH} from "./utils/Mocks.sol";
import {OutputOracle} from "../src/OutputOracle.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

contract OutputOracleTest is Fixture {
    bytes32 internal constant L1_STORAGE = 0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;

    address internal proposer2 = _named("proposer2");
    address internal challenger2 = _named("challenger2");

    function _propose(address who, uint64 blockNumber, uint64 processed) internal returns (uint256) {
        return _proposeRoots(who, blockNumber, keccak256(abi.encode(blockNumber)), processed);
    }

    function _proposeRoots(address who, uint64 blockNumber, bytes32 wRoot, uint64 processed)
        internal
        returns (uint256)
    {
        bytes32 messageRoot = _root(processed);
        vm.deal(who, who.balance + PROPOSER_BOND);
        vm.prank(who);
        return oracle.propose{value: PROPOSER_BOND}(
            blockNumber, keccak256("h"), keccak256("s"), wRoot, processed, messageRoot
        );
    }

    /// @dev The root L1 holds for its first `processed` messages (zero for none), committed now if L1 has
    /// exactly that many messages and has not committed it yet.
    function _root(uint64 processed) internal returns (bytes32 root) {
        root = messageRootAt(processed);
        if (processed != 0 && l1.messageRootCount(root) != processed && l1.messageCount() == processed) {
            l1.commitMessageRoot();
        }
    }

    function _challenge(address who, uint256 index) internal {
        vm.deal(who, who.balance + CHALLENGER_BOND);
        vm.prank(who);
        oracle.challenge{value: CHALLENGER_BOND}(index);
    }

    function _resolve(uint256 index, bool valid) internal {
        vm.prank(council);
        oracle.resolveDispute(index, valid);
    }

    // ------------------------------------------------------------------------------------------------
    // initialize
    // ------------------------------------------------------------------------------------------------

    function _expectInvalid(IOutputOracle.InitParams memory p, string memory reason) internal {
        address impl = address(new OutputOracle());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, reason));
        new ERC1967Proxy(impl, abi.encodeCall(OutputOracle.initialize, (p)));
    }

    function test_initialize_validParams_succeeds() public view {
        assertEq(oracle.governance(), governance);
        assertEq(oracle.council(), council);
        assertEq(oracle.proposer(), proposer);
        assertEq(oracle.l1Bridge(), address(l1));
        assertEq(oracle.challengePeriod(), CHALLENGE_PERIOD);
        assertEq(oracle.proposerTimeout(), PROPOSER_TIMEOUT);
        assertEq(oracle.proposerBond(), PROPOSER_BOND);
        assertEq(oracle.challengerBond(), CHALLENGER_BOND);
        assertEq(oracle.lastProposedAt(), START_TIME);
        assertEq(oracle.outputCount(), 0);
        assertEq(oracle.councilResponseWindow(), COUNCIL_RESPONSE_WINDOW);
        (uint64 from, uint64 to) = oracle.pendingRefunds();
        assertEq(from, to, "nothing pending");
    }

    function test_initialize_zeroCouncilResponseWindow_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.councilResponseWindow = 0;
        _expectInvalid(p, "councilResponseWindow");
    }

    function test_initialize_hugeCouncilResponseWindow_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.councilResponseWindow = 365 days + 1;
        _expectInvalid(p, "councilResponseWindow");
    }

    function test_initialize_zeroGovernance_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.governance = address(0);
        _expectInvalid(p, "governance");
    }

    function test_initialize_zeroCouncil_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.council = address(0);
        _expectInvalid(p, "council");
    }

    function test_initialize_zeroProposer_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.proposer = address(0);
        _expectInvalid(p, "proposer");
    }

    function test_initialize_zeroL1Bridge_reverts() public {
        _expectInvalid(oracleParams(address(0)), "l1Bridge");
    }

    function test_initialize_zeroChallengePeriod_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.challengePeriod = 0;
        _expectInvalid(p, "challengePeriod");
    }

    function test_initialize_hugeChallengePeriod_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.challengePeriod = 366 days;
        _expectInvalid(p, "challengePeriod");
    }

    function test_initialize_zeroProposerTimeout_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.proposerTimeout = 0;
        _expectInvalid(p, "proposerTimeout");
    }

    function test_initialize_infiniteProposerTimeout_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.proposerTimeout = type(uint64).max;
        _expectInvalid(p, "proposerTimeout");
    }

    function test_initialize_zeroProposerBond_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.proposerBond = 0;
        _expectInvalid(p, "proposerBond");
    }

    function test_initialize_hugeProposerBond_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.proposerBond = uint256(type(uint96).max) + 1;
        _expectInvalid(p, "proposerBond");
    }

    function test_initialize_zeroChallengerBond_reverts() public {
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.challengerBond = 0;
        _expectInvalid(p, "challengerBond");
    }

    function test_initialize_twice_reverts() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        oracle.initialize(oracleParams(address(l1)));
    }

    function test_initialize_onImplementation_reverts() public {
        OutputOracle impl = new OutputOracle();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(oracleParams(address(l1)));
    }

    // ------------------------------------------------------------------------------------------------
    // propose
    // ------------------------------------------------------------------------------------------------

    function test_propose_byProposer_succeeds() public {
        depositETH(alice, alice, 1 ether);
        bytes32 root = _root(1);
        assertEq(l1.messageRootCount(root), 1, "L1 committed the root of one message");
        vm.deal(proposer, PROPOSER_BOND);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.OutputProposed(
            0, 5, proposer, keccak256("h"), keccak256("s"), keccak256("w"), 1, root
        );
        vm.prank(proposer);
        uint256 idx =
            oracle.propose{value: PROPOSER_BOND}(5, keccak256("h"), keccak256("s"), keccak256("w"), 1, root);
        assertEq(idx, 0);
        assertEq(oracle.outputCount(), 1);
        IOutputOracle.Output memory o = oracle.getOutput(0);
        assertEq(o.l2BlockHash, keccak256("h"));
        assertEq(o.l2StateRoot, keccak256("s"));
        assertEq(o.withdrawalRoot, keccak256("w"));
        assertEq(o.l2BlockNumber, 5);
        assertEq(o.l1MessagesProcessed, 1);
        assertEq(o.proposedAt, block.timestamp);
        assertEq(uint256(o.status), uint256(IOutputOracle.OutputStatus.Proposed));
        assertEq(o.proposer, proposer);
        assertEq(o.challenger, address(0));
        assertEq(oracle.lastProposedAt(), block.timestamp);
        assertEq(address(oracle).balance, PROPOSER_BOND);
    }

    function test_propose_notProposer_reverts() public {
        vm.deal(alice, PROPOSER_BOND);
        vm.prank(alice);
        vm.expectRevert(IOutputOracle.NotProposer.selector);
        oracle.propose{value: PROPOSER_BOND}(1, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
    }

    function test_propose_anyoneAfterTimeoutBoundary_succeeds() public {
        _propose(proposer, 1, 0);
        vm.warp(block.timestamp + PROPOSER_TIMEOUT - 1);
        vm.deal(alice, PROPOSER_BOND);
        vm.prank(alice);
        vm.expectRevert(IOutputOracle.NotProposer.selector);
        oracle.propose{value: PROPOSER_BOND}(2, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
        vm.warp(block.timestamp + 1);
        uint256 idx = _propose(alice, 2, 0);
        assertEq(oracle.getOutput(idx).proposer, alice);
        // the timeout restarts from that proposal
        vm.deal(bob, PROPOSER_BOND);
        vm.prank(bob);
        vm.expectRevert(IOutputOracle.NotProposer.selector);
        oracle.propose{value: PROPOSER_BOND}(3, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
    }

    function test_propose_anyoneAfterTimeoutSinceInit_succeeds() public {
        vm.warp(START_TIME + PROPOSER_TIMEOUT);
        _propose(alice, 1, 0);
        assertEq(oracle.outputCount(), 1);
    }

    function test_propose_wrongBond_reverts() public {
        vm.deal(proposer, 2 ether);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.WrongBond.selector, PROPOSER_BOND - 1, PROPOSER_BOND)
        );
        oracle.propose{value: PROPOSER_BOND - 1}(
            1, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0)
        );
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.WrongBond.selector, PROPOSER_BOND + 1, PROPOSER_BOND)
        );
        oracle.propose{value: PROPOSER_BOND + 1}(
            1, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0)
        );
    }

    function test_propose_zeroBlockHash_reverts() public {
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(IOutputOracle.ZeroRoot.selector);
        oracle.propose{value: PROPOSER_BOND}(1, bytes32(0), keccak256("s"), keccak256("w"), 0, bytes32(0));
    }

    function test_propose_zeroStateRoot_reverts() public {
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(IOutputOracle.ZeroRoot.selector);
        oracle.propose{value: PROPOSER_BOND}(1, keccak256("h"), bytes32(0), keccak256("w"), 0, bytes32(0));
    }

    function test_propose_zeroWithdrawalRoot_reverts() public {
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(IOutputOracle.ZeroRoot.selector);
        oracle.propose{value: PROPOSER_BOND}(1, keccak256("h"), keccak256("s"), bytes32(0), 0, bytes32(0));
    }

    function test_propose_firstBlockZero_reverts() public {
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.BlockNumberNotIncreasing.selector, uint64(0), uint64(0))
        );
        oracle.propose{value: PROPOSER_BOND}(0, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
    }

    function test_propose_blockNumberNotIncreasing_reverts() public {
        _propose(proposer, 10, 0);
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.BlockNumberNotIncreasing.selector, uint64(10), uint64(10))
        );
        oracle.propose{value: PROPOSER_BOND}(
            10, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0)
        );
    }

    function test_propose_messagesProcessedDecreasing_reverts() public {
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        _propose(proposer, 1, 2);
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.MessagesProcessedDecreasing.selector, uint64(1), uint64(2))
        );
        oracle.propose{value: PROPOSER_BOND}(
            2, keccak256("h"), keccak256("s"), keccak256("w"), 1, messageRootAt(1)
        );
    }

    /// @dev More messages than L1 ever sent: L1 committed no root for that count, whatever root is claimed
    /// (the root of the one message L1 sent, or a made-up one).
    function test_propose_messagesProcessedTooHigh_reverts() public {
        depositETH(alice, alice, 1 ether);
        bytes32 realRoot = _root(1);
        bytes32[2] memory claimed = [realRoot, keccak256("made up")];
        for (uint256 i; i < 2; ++i) {
            vm.deal(proposer, PROPOSER_BOND);
            vm.prank(proposer);
            vm.expectRevert(
                abi.encodeWithSelector(IOutputOracle.MessageRootMismatch.selector, claimed[i], uint64(2))
            );
            oracle.propose{value: PROPOSER_BOND}(
                1, keccak256("h"), keccak256("s"), keccak256("w"), 2, claimed[i]
            );
        }
        assertEq(oracle.outputCount(), 0, "nothing proposed");
    }

    function test_propose_messagesProcessedEqualToSent_succeeds() public {
        depositETH(alice, alice, 1 ether);
        _propose(proposer, 1, 1);
        assertEq(oracle.getOutput(0).l1MessagesProcessed, 1);
    }

    function test_propose_bridgeFrozen_reverts() public {
        uint256 word = uint256(vm.load(address(l1), L1_STORAGE));
        vm.store(address(l1), L1_STORAGE, bytes32(word | (uint256(1) << 248)));
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(IOutputOracle.BridgeFrozen.selector);
        oracle.propose{value: PROPOSER_BOND}(1, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
    }

    // ------------------------------------------------------------------------------------------------
    // challenge and the exact window boundary
    // ------------------------------------------------------------------------------------------------

    function test_challenge_insideWindow_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD - 1); // last second of the window
        vm.deal(challenger, CHALLENGER_BOND);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.OutputChallenged(idx, challenger);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(idx);
        IOutputOracle.Output memory o = oracle.getOutput(idx);
        assertEq(uint256(o.status), uint256(IOutputOracle.OutputStatus.Challenged));
        assertEq(o.challenger, challenger);
        (bool exists, uint256 first) = oracle.firstOpenDispute();
        assertTrue(exists);
        assertEq(first, idx);
    }

    function test_challenge_atWindowBoundary_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.ChallengeWindowClosed.selector, idx));
        oracle.challenge{value: CHALLENGER_BOND}(idx);
    }

    function test_isFinal_windowBoundary_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD - 1);
        assertFalse(oracle.isFinal(idx), "one second early");
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, idx));
        oracle.finalWithdrawalRoot(idx);
        vm.warp(block.timestamp + 1);
        assertTrue(oracle.isFinal(idx), "on time");
        assertEq(oracle.finalWithdrawalRoot(idx), keccak256(abi.encode(uint64(1))));
    }

    function testFuzz_challengeWindow_boundaryExact(uint64 period, uint64 elapsed) public {
        period = uint64(bound(period, 1, 365 days));
        elapsed = uint64(bound(elapsed, 0, 2 * uint256(period)));
        // a fresh oracle with this challenge period
        IOutputOracle.InitParams memory p = oracleParams(address(l1));
        p.challengePeriod = period;
        OutputOracle o = OutputOracle(
            address(
                new ERC1967Proxy(address(new OutputOracle()), abi.encodeCall(OutputOracle.initialize, (p)))
            )
        );
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        uint256 idx =
            o.propose{value: PROPOSER_BOND}(1, keccak256("h"), keccak256("s"), keccak256("w"), 0, bytes32(0));
        vm.warp(block.timestamp + elapsed);
        bool inWindow = elapsed < period;
        assertEq(o.isFinal(idx), !inWindow, "final exactly from the boundary on");
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        if (!inWindow) {
            vm.expectRevert(abi.encodeWithSelector(IOutputOracle.ChallengeWindowClosed.selector, idx));
        }
        o.challenge{value: CHALLENGER_BOND}(idx);
    }

    function test_challengeWindow_boundaryExact_succeeds() public {
        testFuzz_challengeWindow_boundaryExact(1 hours, 1 hours - 1);
        testFuzz_challengeWindow_boundaryExact(1 hours, 1 hours);
    }

    function test_challenge_unknownOutput_reverts() public {
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 0));
        oracle.challenge{value: CHALLENGER_BOND}(0);
    }

    function test_challenge_twice_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        _challenge(challenger, idx);
        vm.deal(challenger2, CHALLENGER_BOND);
        vm.prank(challenger2);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.AlreadyChallenged.selector, idx));
        oracle.challenge{value: CHALLENGER_BOND}(idx);
    }

    function test_challenge_upheldOutput_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        _challenge(challenger, idx);
        _resolve(idx, true);
        vm.deal(challenger2, CHALLENGER_BOND);
        vm.prank(challenger2);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.AlreadyChallenged.selector, idx));
        oracle.challenge{value: CHALLENGER_BOND}(idx);
    }

    function test_challenge_wrongBond_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.deal(challenger, 1 ether);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.WrongBond.selector, 1, CHALLENGER_BOND));
        oracle.challenge{value: 1}(idx);
    }

    // ------------------------------------------------------------------------------------------------
    // resolveDispute
    // ------------------------------------------------------------------------------------------------

    function test_resolveDispute_notCouncil_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        _challenge(challenger, idx);
        vm.prank(governance);
        vm.expectRevert(IOutputOracle.NotCouncil.selector);
        oracle.resolveDispute(idx, true);
    }

    function test_resolveDispute_unknownOutput_reverts() public {
        vm.prank(council);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 3));
        oracle.resolveDispute(3, true);
    }

    function test_resolveDispute_notChallenged_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.prank(council);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotChallenged.selector, idx));
        oracle.resolveDispute(idx, false);
    }

    function test_resolveDispute_valid_upholdsAndPaysProposer_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        _challenge(challenger, idx);
        assertFalse(oracle.isFinal(idx));
        vm.expectEmit(address(oracle));
        emit IOutputOracle.DisputeResolved(idx, true);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.BondCredited(proposer, CHALLENGER_BOND);
        _resolve(idx, true);
        // The verdict ends the dispute; it does not shorten the window (finality never goes backwards).
        assertFalse(oracle.isFinal(idx), "upheld: not final before its window ends");
        assertEq(uint256(oracle.getOutput(idx).status), uint256(IOutputOracle.OutputStatus.Upheld));
        assertEq(oracle.bondCredit(proposer), CHALLENGER_BOND);
        assertEq(oracle.bondCredit(challenger), 0);
        (bool exists,) = oracle.firstOpenDispute();
        assertFalse(exists);
        vm.warp(oracle.getOutput(idx).proposedAt + CHALLENGE_PERIOD - 1);
        assertFalse(oracle.isFinal(idx), "one second before the window ends");
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, idx));
        oracle.releaseBond(idx);
        vm.warp(block.timestamp + 1);
        assertTrue(oracle.isFinal(idx), "final once its window passed");
        // the proposer's own bond comes back through releaseBond
        oracle.releaseBond(idx);
        assertEq(oracle.bondCredit(proposer), CHALLENGER_BOND + PROPOSER_BOND);
    }

    function test_resolveDispute_invalid_deletesOutputAndLater_succeeds() public {
        _propose(proposer, 1, 0); // 0
        uint256 bad = _propose(proposer, 2, 0); // 1
        _propose(proposer, 3, 0); // 2
        _propose(proposer, 4, 0); // 3
        _challenge(challenger, bad);
        _challenge(challenger2, 3);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.DisputeResolved(bad, false);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.OutputsDeleted(bad, 3);
        _resolve(bad, false);
        assertEq(oracle.outputCount(), 1);
        assertEq(oracle.bondCredit(challenger), CHALLENGER_BOND + PROPOSER_BOND, "challenger gets both bonds");
        // Later outputs' bonds are refunded lazily (bounded work per verdict): pending until someone refunds.
        (uint64 from, uint64 to) = oracle.pendingRefunds();
        assertEq(from, 2, "pending from");
        assertEq(to, 4, "pending to");
        assertEq(oracle.bondCredit(proposer), 0, "not yet");
        assertEq(oracle.bondCredit(challenger2), 0, "not yet");
        vm.expectEmit(address(oracle));
        emit IOutputOracle.DeletedBondsRefunded(2, 4);
        vm.prank(bob); // anyone
        assertEq(oracle.refundDeletedBonds(10), 2, "two records");
        assertEq(oracle.bondCredit(proposer), 2 * PROPOSER_BOND, "later outputs' bonds back");
        assertEq(oracle.bondCredit(challenger2), CHALLENGER_BOND, "later challenger's bond back");
        (from, to) = oracle.pendingRefunds();
        assertEq(from, to, "nothing pending");
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(10);
        (bool exists,) = oracle.firstOpenDispute();
        assertFalse(exists);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 1));
        oracle.getOutput(1);
        // the deleted index is reused; block numbers continue from the last remaining output
        uint256 again = _propose(proposer, 2, 0);
        assertEq(again, 1);
        IOutputOracle.Output memory o = oracle.getOutput(1);
        assertEq(uint256(o.status), uint256(IOutputOracle.OutputStatus.Proposed));
        assertEq(o.challenger, address(0));
        // solvency: every bond is either credited or still held for a live output
        assertEq(
            address(oracle).balance,
            oracle.bondCredit(challenger) + oracle.bondCredit(proposer) + oracle.bondCredit(challenger2) + 2
                * PROPOSER_BOND
        );
    }

    function test_resolveDispute_invalidWithLowerOpenDispute_keepsIt_succeeds() public {
        _propose(proposer, 1, 0);
        _propose(proposer, 2, 0);
        _challenge(challenger, 0);
        _challenge(challenger2, 1);
        _resolve(1, false);
        (bool exists, uint256 first) = oracle.firstOpenDispute();
        assertTrue(exists);
        assertEq(first, 0);
        assertEq(oracle.outputCount(), 1);
    }

    function test_resolveDispute_upheldLaterOutputDeleted_refundsItsBond_succeeds() public {
        _propose(proposer, 1, 0);
        vm.prank(governance);
        oracle.setProposer(proposer2);
        _propose(proposer2, 2, 0);
        _challenge(challenger2, 1);
        _resolve(1, true); // output 1 upheld: its dispute is over, its window is not
        assertFalse(oracle.isFinal(1), "upheld inside its window: not final (it can still be deleted)");
        _challenge(challenger, 0); // output 0 still in its window
        assertFalse(oracle.isFinal(1), "a lower open dispute blocks finality");
        _resolve(0, false);
        assertEq(oracle.outputCount(), 0);
        assertEq(oracle.bondCredit(proposer2), CHALLENGER_BOND, "the verdict on 1 paid the challenger's bond");
        oracle.refundDeletedBonds(1);
        assertEq(oracle.bondCredit(proposer2), CHALLENGER_BOND + PROPOSER_BOND, "upheld output's bond back");
    }

    function test_resolveDispute_releasedBondNotRefundedTwice_succeeds() public {
        _propose(proposer, 1, 0);
        vm.prank(governance);
        oracle.setProposer(proposer2);
        _propose(proposer2, 2, 0);
        _challenge(challenger2, 1);
        _resolve(1, true);
        // Not final inside its window, so its bond cannot be released while a lower output may still be
        // deleted (taking it along): a bond is either released or refunded, never both.
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, 1));
        oracle.releaseBond(1);
        _challenge(challenger, 0);
        _resolve(0, false);
        oracle.refundDeletedBonds(10);
        assertEq(oracle.bondCredit(proposer2), CHALLENGER_BOND + PROPOSER_BOND, "refunded once");
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 1));
        oracle.releaseBond(1);
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(10);
        assertEq(oracle.bondCredit(proposer2), CHALLENGER_BOND + PROPOSER_BOND, "released once, not again");
        // And once released (final), an output can never be deleted: nothing at or below it can be challenged.
        uint256 again = _propose(proposer2, 3, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        oracle.releaseBond(again);
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.ChallengeWindowClosed.selector, again));
        oracle.challenge{value: CHALLENGER_BOND}(again);
        assertEq(
            oracle.bondCredit(proposer2),
            CHALLENGER_BOND + 2 * PROPOSER_BOND,
            "each bond credited exactly once"
        );
    }

    function test_resolveDispute_lowerDisputeBlocksLaterFinality_succeeds() public {
        _propose(proposer, 1, 0);
        _propose(proposer, 2, 0);
        _propose(proposer, 3, 0);
        _challenge(challenger, 1);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(0), "below the dispute");
        assertFalse(oracle.isFinal(1), "disputed");
        assertFalse(oracle.isFinal(2), "above the dispute");
        assertEq(oracle.latestFinalIndex(), 0);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, 2));
        oracle.finalWithdrawalRoot(2);
        _resolve(1, true);
        assertTrue(oracle.isFinal(2));
        assertEq(oracle.latestFinalIndex(), 2);
    }

    function test_resolveDispute_validMovesFirstDisputeToNext_succeeds() public {
        _propose(proposer, 1, 0);
        _propose(proposer, 2, 0);
        _propose(proposer, 3, 0);
        _challenge(challenger, 2);
        _challenge(challenger2, 0);
        (, uint256 first) = oracle.firstOpenDispute();
        assertEq(first, 0);
        _resolve(0, true);
        (bool exists, uint256 next) = oracle.firstOpenDispute();
        assertTrue(exists);
        assertEq(next, 2);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(1));
        assertFalse(oracle.isFinal(2));
        _resolve(2, true);
        (exists,) = oracle.firstOpenDispute();
        assertFalse(exists);
        assertTrue(oracle.isFinal(2));
    }

    /// @dev The dispute bitmap across words: the next open dispute after a valid verdict is found 300 outputs
    /// on (word 1), and the bits of deleted outputs still pending a refund (at or above outputCount) are never
    /// taken for open disputes.
    function test_resolveDispute_nextDisputeAcrossWordsIgnoresDeletedBits_succeeds() public {
        for (uint256 i; i < 302; ++i) {
            _propose(proposer, uint64(i + 1), 0);
        }
        _challenge(challenger, 1);
        _challenge(challenger, 300);
        _resolve(1, true);
        (bool open, uint256 first) = oracle.firstOpenDispute();
        assertTrue(open && first == 300, "found in the next word");
        // Delete 3..301 with 300 still challenged (its bit stays until its record is refunded).
        _challenge(challenger2, 3);
        _resolve(3, false);
        assertEq(oracle.outputCount(), 3, "deleted");
        _challenge(challenger2, 2);
        _resolve(2, true);
        (open,) = oracle.firstOpenDispute();
        assertFalse(open, "the deleted output's bit is not an open dispute");
        // Indices are reused: a new open dispute at 4 is found, the stale bit at 300 is not.
        _propose(proposer, 400, 0); // 3 (the invalid output's record)
        _propose(proposer, 401, 0); // 4: refunds record 4 first
        _propose(proposer, 402, 0); // 5
        _challenge(challenger, 0);
        _challenge(challenger2, 5);
        _resolve(0, true);
        (open, first) = oracle.firstOpenDispute();
        assertTrue(open && first == 5, "the reused index's dispute");
        _resolve(5, true);
        (open,) = oracle.firstOpenDispute();
        assertFalse(open, "none left");
    }

    /// @dev firstCovering: the lowest live output with l1MessagesProcessed > nonce (binary search), and the time it
    /// was proposed; none when no live output covers it (also after a deletion).
    function test_firstCovering_lowestCoveringOutput_succeeds() public {
        depositETH(alice, alice, 1 ether);
        l1.commitMessageRoot(); // L1 committed the root of 1 message, then of 3
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        _propose(proposer, 1, 0); // 0: processed 0
        _propose(proposer, 2, 1); // 1: processed 1
        vm.warp(block.timestamp + 10);
        _propose(proposer, 3, 1); // 2
        _propose(proposer, 4, 3); // 3
        (bool found, uint256 idx, uint64 at) = oracle.firstCovering(0);
        assertTrue(found && idx == 1, "nonce 0: output 1");
        assertEq(at, START_TIME, "its proposal time");
        (found, idx, at) = oracle.firstCovering(1);
        assertTrue(found && idx == 3, "nonce 1: output 3");
        assertEq(at, START_TIME + 10, "its proposal time");
        (found,,) = oracle.firstCovering(3);
        assertFalse(found, "nonce 3: none");
        _challenge(challenger, 1);
        _resolve(1, false);
        (found,,) = oracle.firstCovering(0);
        assertFalse(found, "deleted outputs do not cover");
    }

    function test_refundDeletedBonds_nothingPending_reverts() public {
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(1);
        _propose(proposer, 1, 0);
        _propose(proposer, 2, 0);
        _challenge(challenger, 0);
        _resolve(0, false);
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(0); // a zero chunk does nothing
        assertEq(oracle.refundDeletedBonds(1), 1, "one record");
        vm.expectRevert(IOutputOracle.NothingPending.selector);
        oracle.refundDeletedBonds(1);
    }

    // ------------------------------------------------------------------------------------------------
    // finality never goes backwards (issue 9 part 2)
    // ------------------------------------------------------------------------------------------------

    /// @dev Random sequences of proposals, challenges (often in the last second of a window), verdicts either
    /// way and warps: once `isFinal(i)` is true it stays true (and output `i` never changes), and
    /// `latestFinalIndex` never decreases and always names the last output of the final prefix.
    function testFuzz_finality_neverGoesBackwards(uint256 seed) public {
        uint256 finalUpTo; // outputs [0, finalUpTo) were seen final
        bytes32[] memory roots = new bytes32[](64);
        uint64 nextBlock = 1;
        for (uint256 step; step < 48; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 n = oracle.outputCount();
            uint256 action = r % 6;
            if (action <= 1 && n < roots.length) {
                _proposeRoots(proposer, nextBlock, keccak256(abi.encode(seed, nextBlock)), 0);
                ++nextBlock;
            } else if (action == 2 && n > 0) {
                uint256 idx = (r >> 8) % n;
                IOutputOracle.Output memory o = oracle.getOutput(idx);
                uint256 end = uint256(o.proposedAt) + CHALLENGE_PERIOD;
                if (o.status == IOutputOracle.OutputStatus.Proposed && block.timestamp < end) {
                    if ((r >> 16) % 2 == 0) vm.warp(end - 1);
                    _challenge(challenger, idx);
                }
            } else if (action == 3) {
                (bool open, uint256 first) = oracle.firstOpenDispute();
                // a random open dispute, not always the lowest: scan up from a random start
                if (open) {
                    uint256 pick = first;
                    for (uint256 j = first + (r >> 8) % (n - first); j < n; ++j) {
                        if (oracle.getOutput(j).status == IOutputOracle.OutputStatus.Challenged) {
                            pick = j;
                            break;
                        }
                    }
                    _resolve(pick, (r >> 16) % 3 != 0);
                }
            } else {
                vm.warp(block.timestamp + 1 + (r >> 8) % (2 * uint256(CHALLENGE_PERIOD)));
            }
            n = oracle.outputCount();
            assertGe(n, finalUpTo, "a final output was deleted");
            for (uint256 i; i < finalUpTo; ++i) {
                assertTrue(oracle.isFinal(i), "a final output stopped being final");
                assertEq(oracle.getOutput(i).withdrawalRoot, roots[i], "a final output changed");
            }
            uint256 latestPlusOne;
            try oracle.latestFinalIndex() returns (uint256 latest) {
                latestPlusOne = latest + 1;
            } catch {}
            assertGe(latestPlusOne, finalUpTo, "latestFinalIndex decreased");
            for (uint256 i; i < n; ++i) {
                assertEq(oracle.isFinal(i), i < latestPlusOne, "isFinal and latestFinalIndex disagree");
            }
            for (uint256 i = finalUpTo; i < latestPlusOne; ++i) {
                roots[i] = oracle.getOutput(i).withdrawalRoot;
            }
            finalUpTo = latestPlusOne;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // bonds
    // ------------------------------------------------------------------------------------------------

    function test_releaseBond_finalOutput_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        vm.expectEmit(address(oracle));
        emit IOutputOracle.BondReleased(idx, proposer, PROPOSER_BOND);
        vm.prank(alice); // anyone
        oracle.releaseBond(idx);
        assertEq(oracle.bondCredit(proposer), PROPOSER_BOND);
    }

    function test_releaseBond_notFinal_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, idx));
        oracle.releaseBond(idx);
    }

    function test_releaseBond_unknownOutput_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 0));
        oracle.releaseBond(0);
    }

    function test_releaseBond_twice_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        oracle.releaseBond(idx);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.BondAlreadyReleased.selector, idx));
        oracle.releaseBond(idx);
    }

    function test_withdrawBond_paysCredit_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        oracle.releaseBond(idx);
        uint256 before = proposer.balance;
        vm.expectEmit(address(oracle));
        emit IOutputOracle.BondWithdrawn(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        oracle.withdrawBond();
        assertEq(proposer.balance - before, PROPOSER_BOND);
        assertEq(oracle.bondCredit(proposer), 0);
    }

    function test_withdrawBond_nothing_reverts() public {
        vm.prank(alice);
        vm.expectRevert(IOutputOracle.NothingToWithdraw.selector);
        oracle.withdrawBond();
    }

    function test_withdrawBond_recipientRejects_reverts() public {
        RejectETH rejecter = new RejectETH();
        uint256 idx = _propose(proposer, 1, 0);
        vm.deal(address(rejecter), CHALLENGER_BOND);
        rejecter.execute{value: CHALLENGER_BOND}(address(oracle), abi.encodeCall(oracle.challenge, (idx)));
        _resolve(idx, false); // a rejecting challenger cannot block the verdict
        assertEq(oracle.bondCredit(address(rejecter)), CHALLENGER_BOND + PROPOSER_BOND);
        vm.expectRevert(IOutputOracle.TransferFailed.selector);
        rejecter.execute(address(oracle), abi.encodeCall(oracle.withdrawBond, ()));
    }

    // ------------------------------------------------------------------------------------------------
    // views
    // ------------------------------------------------------------------------------------------------

    function test_latestFinalIndex_none_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, 0));
        oracle.latestFinalIndex();
        _propose(proposer, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, 0));
        oracle.latestFinalIndex();
    }

    function test_latestFinalIndex_newestFinal_succeeds() public {
        _propose(proposer, 1, 0);
        vm.warp(block.timestamp + 10 minutes);
        _propose(proposer, 2, 0);
        vm.warp(block.timestamp + CHALLENGE_PERIOD - 10 minutes);
        _propose(proposer, 3, 0);
        assertEq(oracle.latestFinalIndex(), 0);
        vm.warp(block.timestamp + 10 minutes);
        assertEq(oracle.latestFinalIndex(), 1);
    }

    function test_getOutput_unknown_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.UnknownOutput.selector, 0));
        oracle.getOutput(0);
    }

    function test_finalWithdrawalRootInfo_settled_succeeds() public {
        uint256 idx = _propose(proposer, 1, 0);
        _challenge(challenger, idx);
        _resolve(idx, true);
        // Upheld inside its window: not final yet, so the bridge gets no root it might have to forget.
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, idx));
        oracle.finalWithdrawalRootInfo(idx);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        (bytes32 root, bool settled) = oracle.finalWithdrawalRootInfo(idx);
        assertEq(root, keccak256(abi.encode(uint64(1))));
        assertTrue(settled, "a final output is settled");
    }

    function test_finalWithdrawalRootInfo_notFinal_reverts() public {
        uint256 idx = _propose(proposer, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, idx));
        oracle.finalWithdrawalRootInfo(idx);
    }

    // ------------------------------------------------------------------------------------------------
    // governance
    // ------------------------------------------------------------------------------------------------

    function test_setCouncil_byGovernance_succeeds() public {
        vm.expectEmit(address(oracle));
        emit IOutputOracle.CouncilChanged(bob);
        vm.prank(governance);
        oracle.setCouncil(bob);
        assertEq(oracle.council(), bob);
    }

    function test_setCouncil_notGovernance_reverts() public {
        vm.prank(council);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        oracle.setCouncil(bob);
    }

    function test_setCouncil_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "council"));
        oracle.setCouncil(address(0));
    }

    function test_setProposer_byGovernance_succeeds() public {
        vm.prank(governance);
        oracle.setProposer(bob);
        assertEq(oracle.proposer(), bob);
        _propose(bob, 1, 0);
    }

    function test_setProposer_notGovernance_reverts() public {
        vm.prank(proposer);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        oracle.setProposer(bob);
    }

    function test_setProposer_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "proposer"));
        oracle.setProposer(address(0));
    }

    function test_setGovernance_byGovernance_succeeds() public {
        vm.prank(governance);
        oracle.setGovernance(bob);
        assertEq(oracle.governance(), bob);
    }

    function test_setGovernance_notGovernance_reverts() public {
        vm.expectRevert(IGoverned.NotGovernance.selector);
        oracle.setGovernance(bob);
    }

    function test_setGovernance_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "governance"));
        oracle.setGovernance(address(0));
    }

    function test_upgradeToAndCall_byGovernance_succeeds() public {
        _propose(proposer, 1, 0);
        address impl = address(new OutputOracle());
        vm.prank(governance);
        oracle.upgradeToAndCall(impl, "");
        assertEq(oracle.outputCount(), 1);
    }

    function test_upgradeToAndCall_notGovernance_reverts() public {
        address impl = address(new OutputOracle());
        vm.prank(council);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        oracle.upgradeToAndCall(impl, "");
    }
}
