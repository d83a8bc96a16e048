// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

import {CouncilFixture} from "./utils/CouncilFixture.sol";
import {FrostSigner} from "./utils/FrostSigner.sol";
import {SecurityCouncil} from "../src/SecurityCouncil.sol";
import {L1Bridge} from "../src/L1Bridge.sol";
import {OutputOracle} from "../src/OutputOracle.sol";
import {FrostVerifier} from "../src/lib/FrostVerifier.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

/// @notice SecurityCouncil: signed actions, every rejection, the timelock, parameter invariants, and the
/// full L1 system governed by the council.
contract SecurityCouncilTest is CouncilFixture {
    bytes32 internal constant IMPL_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    // ------------------------------------------------------------------------------------------------
    // Wiring
    // ------------------------------------------------------------------------------------------------

    function test_initialize_wiring_succeeds() public view {
        assertEq(l1.pauser(), address(sc), "pauser");
        assertEq(l1.governance(), address(sc), "l1 governance");
        assertEq(oracle.governance(), address(sc), "oracle governance");
        assertEq(oracle.council(), address(sc), "oracle council");
        assertEq(sc.l1Bridge(), address(l1), "bridge");
        assertEq(sc.outputOracle(), address(oracle), "oracle");
        (uint256 x, uint8 parity) = sc.groupKey();
        assertEq(x, pkX, "key x");
        assertEq(uint256(parity), pkY & 1, "key parity");
        assertEq(sc.nonce(), 0, "nonce");
        assertEq(uint256(sc.upgradeDelay()), UPGRADE_DELAY, "delay");
    }

    function test_actionDigest_matchesIndependentEncoding_succeeds() public view {
        bytes memory data = abi.encode(uint64(5));
        assertEq(
            sc.actionDigest(1, address(l1), data, 7, 99),
            digestFor(block.chainid, address(sc), 1, address(l1), data, 7, 99),
            "digest"
        );
    }

    function test_initialize_twice_reverts() public {
        SecurityCouncil.InitParams memory p =
            SecurityCouncil.InitParams(pkX, pkY, address(l1), address(oracle), defaultParams());
        vm.expectRevert();
        sc.initialize(p);
    }

    function test_implementation_initialize_reverts() public {
        SecurityCouncil impl = new SecurityCouncil();
        SecurityCouncil.InitParams memory p =
            SecurityCouncil.InitParams(pkX, pkY, address(l1), address(oracle), defaultParams());
        vm.expectRevert();
        impl.initialize(p);
    }

    // ------------------------------------------------------------------------------------------------
    // Pause
    // ------------------------------------------------------------------------------------------------

    function test_pause_validSignature_succeeds() public {
        vm.expectEmit(address(sc));
        emit SecurityCouncil.Paused(uint64(block.timestamp) + 1 hours);
        councilPause(1 hours);
        assertEq(uint256(l1.pausedUntil()), block.timestamp + 1 hours, "bridge paused");
        assertEq(uint256(sc.pausedUntil()), block.timestamp + 1 hours, "council record");
        assertEq(sc.nonce(), 1, "nonce consumed");
    }

    function test_pause_tooLong_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(MAX_PAUSE + 1), 0, d);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.PauseTooLong.selector, MAX_PAUSE + 1, MAX_PAUSE)
        );
        sc.pause(MAX_PAUSE + 1, 0, d, s);
    }

    function test_pause_zeroDuration_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(0)), 0, d);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.PauseTooLong.selector, uint64(0), MAX_PAUSE));
        sc.pause(0, 0, d, s);
    }

    function test_pause_insideCooldown_reverts() public {
        councilPause(MAX_PAUSE);
        uint256 availableAt = block.timestamp + MAX_PAUSE + PAUSE_COOLDOWN;
        vm.warp(availableAt - 1);
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(1 hours)), 1, d);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.PauseCooldown.selector, uint64(availableAt)));
        sc.pause(1 hours, 1, d, s);
    }

    function test_pause_afterCooldown_succeeds() public {
        councilPause(MAX_PAUSE);
        vm.warp(block.timestamp + MAX_PAUSE + PAUSE_COOLDOWN);
        councilPause(MAX_PAUSE);
        assertEq(uint256(l1.pausedUntil()), block.timestamp + MAX_PAUSE, "second pause");
    }

    function test_pause_endsByItself_succeeds() public {
        councilPause(MAX_PAUSE);
        vm.warp(block.timestamp + MAX_PAUSE - 1);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, l1.pausedUntil()));
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        l1.depositETH{value: 1 ether}(alice);
        vm.warp(block.timestamp + 1);
        depositETH(alice, alice, 1 ether); // open again, nobody unpaused
        assertEq(l1.messageCount(), 1, "deposit after the pause");
    }

    function test_unpause_validSignature_succeeds() public {
        councilPause(MAX_PAUSE);
        vm.warp(block.timestamp + 10);
        councilUnpause();
        assertEq(uint256(l1.pausedUntil()), block.timestamp, "bridge unpaused");
        depositETH(alice, alice, 1 ether);
        // the cooldown runs from the unpause
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(60)), 2, d);
        vm.expectRevert(
            abi.encodeWithSelector(IL1Bridge.PauseCooldown.selector, uint64(block.timestamp + PAUSE_COOLDOWN))
        );
        sc.pause(60, 2, d, s);
    }

    function test_unpause_notPaused_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(2, address(l1), "", 0, d);
        vm.expectRevert(SecurityCouncil.NotPaused.selector);
        sc.unpause(0, d, s);
    }

    // ------------------------------------------------------------------------------------------------
    // Signature, nonce and deadline rejections (each its own test)
    // ------------------------------------------------------------------------------------------------

    function _pauseSig() internal returns (SecurityCouncil.Signature memory s, uint256 d) {
        d = soon();
        s = signAction(1, address(l1), abi.encode(uint64(1 hours)), 0, d);
    }

    function test_pause_zZero_reverts() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        s.z = 0;
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_zAtLeastN_reverts() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        s.z = N;
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_zMax_reverts() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        s.z = type(uint256).max;
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_rOffCurve_reverts() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        s.ry = addmod(s.ry, 1, FrostVerifier.P);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_wrongParity_reverts() public {
        // (rx, p - ry): on the curve, the other parity
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        s.ry = FrostVerifier.P - s.ry;
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_signatureOverOtherDigest_reverts() public {
        // a valid signature for a 2-hour pause submitted as a 1-hour pause
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(2 hours)), 0, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_otherChainId_reverts() public {
        uint256 d = soon();
        bytes32 digest = digestFor(1, address(sc), 1, address(l1), abi.encode(uint64(1 hours)), 0, d);
        SecurityCouncil.Signature memory s = toSig(FrostSigner.sign(GROUP_SK, digest));
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_otherContract_reverts() public {
        uint256 d = soon();
        bytes32 digest =
            digestFor(block.chainid, address(oracle), 1, address(l1), abi.encode(uint64(1 hours)), 0, d);
        SecurityCouncil.Signature memory s = toSig(FrostSigner.sign(GROUP_SK, digest));
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_reusedNonce_reverts() public {
        uint256 d = block.timestamp + 10 days;
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(1 hours)), 0, d);
        sc.pause(1 hours, 0, d, s);
        vm.warp(block.timestamp + 1 hours + PAUSE_COOLDOWN);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidNonce.selector, 1, 0));
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_futureNonce_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(1 hours)), 1, d);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidNonce.selector, 0, 1));
        sc.pause(1 hours, 1, d, s);
    }

    /// @dev The nonce is incremented in place in the hot slot: at 2^64 - 1 even a valid signature is refused,
    /// so the increment can never carry into the key parity byte above it.
    function test_pause_lastNonce_reverts() public {
        bytes32 hot = bytes32(uint256(0xff878c3904d589126962bd253ae9ae96422bd55d742cbc227beaf5f741689700));
        uint256 last = type(uint64).max;
        vm.store(address(sc), hot, bytes32(uint256(vm.load(address(sc), hot)) | last));
        assertEq(sc.nonce(), last, "nonce");
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(1 hours)), last, d);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidNonce.selector, last, last));
        sc.pause(1 hours, last, d, s);
        (, uint8 parity) = sc.groupKey();
        assertEq(uint256(parity), pkY & 1, "parity intact");
    }

    function test_pause_expiredDeadline_reverts() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        vm.warp(d + 1);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.ActionExpired.selector, d));
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_atDeadline_succeeds() public {
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        vm.warp(d);
        sc.pause(1 hours, 0, d, s);
        assertEq(sc.nonce(), 1, "nonce");
    }

    function test_pause_rotatedAwayKey_reverts() public {
        (uint256 x, uint256 y) = FrostSigner.publicKey(NEW_SK);
        councilRun(address(sc), abi.encodeCall(SecurityCouncil.rotateKey, (x, y)));
        (uint256 kx,) = sc.groupKey();
        assertEq(kx, x, "rotated");
        uint256 n = sc.nonce();
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(l1), abi.encode(uint64(1 hours)), n, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, n, d, s);
        // the new key works
        sc.pause(1 hours, n, d, signActionWith(NEW_SK, sc, 1, address(l1), abi.encode(uint64(1 hours)), n, d));
    }

    function test_pause_wrongTarget_reverts() public {
        // signed with the oracle as target: the contract fills in its own bridge
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(1, address(oracle), abi.encode(uint64(1 hours)), 0, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_wrongKind_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(2, address(l1), abi.encode(uint64(1 hours)), 0, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function testFuzz_pause_tamperedSignature_reverts(uint256 which, uint256 delta) public {
        delta = bound(delta, 1, N - 1);
        (SecurityCouncil.Signature memory s, uint256 d) = _pauseSig();
        which %= 3;
        if (which == 0) s.rx = addmod(s.rx, delta, FrostVerifier.P);
        else if (which == 1) s.ry = addmod(s.ry, delta, FrostVerifier.P);
        else s.z = addmod(s.z, delta, N);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, d, s);
    }

    function test_pause_tamperedSignature_reverts() public {
        testFuzz_pause_tamperedSignature_reverts(2, 1);
    }

    // ------------------------------------------------------------------------------------------------
    // Disputes
    // ------------------------------------------------------------------------------------------------

    function _challengedOutput() internal returns (uint256 index) {
        index = proposeOutput();
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(index);
    }

    function test_resolveDispute_uphold_succeeds() public {
        uint256 index = _challengedOutput();
        uint256 d = soon();
        sc.resolveDispute(index, true, 0, d, signAction(3, address(oracle), abi.encode(index, true), 0, d));
        assertEq(uint256(oracle.outputCount()), index + 1, "kept");
        assertEq(
            uint256(oracle.getOutput(index).status), uint256(IOutputOracle.OutputStatus.Upheld), "upheld"
        );
        (bool open,) = oracle.firstOpenDispute();
        assertFalse(open, "dispute closed");
        // The verdict ends the dispute; it does not shorten the window: final once the window has passed.
        assertFalse(oracle.isFinal(index), "not final inside its window");
        vm.warp(oracle.getOutput(index).proposedAt + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(index), "upheld output final once its window passed");
    }

    function test_resolveDispute_delete_succeeds() public {
        uint256 index = _challengedOutput();
        uint256 d = soon();
        vm.expectEmit(address(sc));
        emit SecurityCouncil.DisputeResolved(index, false);
        sc.resolveDispute(index, false, 0, d, signAction(3, address(oracle), abi.encode(index, false), 0, d));
        assertEq(uint256(oracle.outputCount()), index, "deleted");
    }

    function test_resolveDispute_verdictSwapped_reverts() public {
        uint256 index = _challengedOutput();
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(3, address(oracle), abi.encode(index, true), 0, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.resolveDispute(index, false, 0, d, s);
    }

    // ------------------------------------------------------------------------------------------------
    // Timelock
    // ------------------------------------------------------------------------------------------------

    function test_schedule_records_succeeds() public {
        bytes memory call = abi.encodeCall(L1Bridge.setPauser, (alice));
        bytes32 id = councilSchedule(address(l1), call);
        SecurityCouncil.Operation memory op = sc.operation(id);
        assertEq(op.target, address(l1), "target");
        assertEq(uint256(op.eta), block.timestamp + UPGRADE_DELAY, "eta");
        assertEq(op.data, call, "data");
    }

    function test_execute_oneSecondEarly_reverts() public {
        bytes32 id = councilSchedule(address(l1), abi.encodeCall(L1Bridge.setPauser, (alice)));
        uint64 eta = uint64(block.timestamp + UPGRADE_DELAY);
        vm.warp(eta - 1);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.NotReady.selector, id, eta));
        sc.execute(id);
    }

    function test_execute_atEta_succeeds() public {
        bytes32 id = councilSchedule(address(l1), abi.encodeCall(L1Bridge.setPauser, (alice)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.prank(bob); // anyone
        sc.execute(id);
        assertEq(l1.pauser(), alice, "executed");
        assertEq(uint256(sc.operation(id).eta), 0, "consumed");
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.UnknownOperation.selector, id));
        sc.execute(id);
    }

    function test_execute_unknown_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.UnknownOperation.selector, bytes32(uint256(1)))
        );
        sc.execute(bytes32(uint256(1)));
    }

    function test_execute_failingCall_reverts() public {
        bytes32 id = councilSchedule(address(l1), abi.encodeCall(L1Bridge.setPauser, (address(0))));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "pauser"));
        sc.execute(id);
        assertTrue(sc.operation(id).eta != 0, "still scheduled");
    }

    function test_cancel_scheduled_succeeds() public {
        bytes32 id = councilSchedule(address(l1), abi.encodeCall(L1Bridge.setPauser, (alice)));
        councilCancel(id);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.UnknownOperation.selector, id));
        sc.execute(id);
    }

    function test_cancel_unknown_reverts() public {
        uint256 d = soon();
        bytes32 id = keccak256("nothing");
        SecurityCouncil.Signature memory s = signAction(5, address(sc), abi.encode(id), 0, d);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.UnknownOperation.selector, id));
        sc.cancel(id, 0, d, s);
    }

    function test_schedule_zeroTarget_reverts() public {
        uint256 d = soon();
        SecurityCouncil.Signature memory s = signAction(4, address(0), abi.encode(address(0), ""), 0, d);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "target"));
        sc.schedule(address(0), "", 0, d, s);
    }

    function test_schedule_otherCall_reverts() public {
        uint256 d = soon();
        bytes memory call = abi.encodeCall(L1Bridge.setPauser, (alice));
        SecurityCouncil.Signature memory s = signAction(4, address(l1), abi.encode(address(l1), call), 0, d);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.schedule(address(l1), abi.encodeCall(L1Bridge.setPauser, (bob)), 0, d, s);
    }

    function test_rotateKey_direct_reverts() public {
        (uint256 x, uint256 y) = FrostSigner.publicKey(NEW_SK);
        vm.expectRevert(SecurityCouncil.NotSelf.selector);
        sc.rotateKey(x, y);
    }

    function test_setParams_direct_reverts() public {
        vm.expectRevert(SecurityCouncil.NotSelf.selector);
        sc.setParams(defaultParams());
    }

    function test_setTargets_direct_reverts() public {
        vm.expectRevert(SecurityCouncil.NotSelf.selector);
        sc.setTargets(address(0), address(0));
    }

    function test_upgradeToAndCall_direct_reverts() public {
        address impl = address(new SecurityCouncil());
        vm.expectRevert(SecurityCouncil.NotSelf.selector);
        sc.upgradeToAndCall(impl, "");
    }

    function test_rotateKey_offCurve_reverts() public {
        (uint256 x, uint256 y) = FrostSigner.publicKey(NEW_SK);
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.rotateKey, (x, y + 1)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(SecurityCouncil.InvalidGroupKey.selector);
        sc.execute(id);
    }

    function test_setParams_scheduled_succeeds() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.upgradeDelay = 10 days;
        p.threshold = 10;
        councilRun(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        assertEq(uint256(sc.upgradeDelay()), 10 days, "delay");
        assertEq(uint256(sc.params().threshold), 10, "threshold");
    }

    function test_setParams_breaksInvariant_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.upgradeDelay = CHALLENGE_PERIOD + FORCED_INCLUSION_WINDOW + EXIT_WINDOW - 1;
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "upgradeDelay"));
        sc.execute(id);
    }

    function test_execute_bridgePauseBoundsBreakInvariant_reverts() public {
        // maxPause + pauseCooldown = 7 days + 1 > exitWindow
        bytes32 id =
            councilSchedule(address(l1), abi.encodeCall(L1Bridge.setPauseBounds, (5 days, 2 days + 1)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "bridge pause bounds")
        );
        sc.execute(id);
    }

    function test_execute_bridgePauseBoundsWithinExitWindow_succeeds() public {
        councilRun(address(l1), abi.encodeCall(L1Bridge.setPauseBounds, (5 days, 2 days)));
        assertEq(uint256(l1.maxPause()), 5 days, "bridge maxPause");
    }

    function test_setParams_shrinksExitWindowBelowBridgeBounds_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.maxPause = 1 hours;
        p.pauseCooldown = 1 hours;
        p.exitWindow = 2 days; // the bridge's own bounds are 1 day + 2 days
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "bridge pause bounds")
        );
        sc.execute(id);
    }

    function test_setParams_challengePeriodBelowOracle_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.challengePeriod = CHALLENGE_PERIOD - 1;
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "oracle challengePeriod")
        );
        sc.execute(id);
    }

    // ---- the council's parameters against the targets' LIVE windows (issue 9 part 3, design E) ----

    /// @dev A scheduled setParams lowering the council's copy of the forced-inclusion window below the bridge's
    /// live window (to 1 second, which the council's own invariants alone accepted) is refused at execute; the
    /// parameters stay and the operation stays scheduled.
    function test_setParams_forcedInclusionWindowBelowBridge_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.forcedInclusionWindow = 1;
        sc.checkParams(p); // the council's own invariants hold
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "bridge forcedInclusionWindow")
        );
        sc.execute(id);
        assertEq(uint256(sc.params().forcedInclusionWindow), FORCED_INCLUSION_WINDOW, "unchanged");
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "bridge forcedInclusionWindow")
        );
        sc.execute(id); // still scheduled, still refused
    }

    /// @dev A scheduled setParams lowering `upgradeDelay` to exactly challengePeriod + forcedInclusionWindow +
    /// exitWindow (the council's own invariant) is refused at execute: the live councilResponseWindow must be
    /// covered too. With it covered exactly, the change executes.
    function test_setParams_upgradeDelayBelowLiveWindows_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.upgradeDelay = CHALLENGE_PERIOD + FORCED_INCLUSION_WINDOW + EXIT_WINDOW;
        sc.checkParams(p);
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                SecurityCouncil.InvalidParameters.selector, "upgradeDelay below live windows"
            )
        );
        sc.execute(id);
        assertEq(uint256(sc.upgradeDelay()), UPGRADE_DELAY, "unchanged");
        p.upgradeDelay = CHALLENGE_PERIOD + FORCED_INCLUSION_WINDOW + COUNCIL_RESPONSE_WINDOW + EXIT_WINDOW;
        councilRun(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        assertEq(uint256(sc.upgradeDelay()), p.upgradeDelay, "exactly covered: accepted");
        sc.checkTargets();
    }

    /// @dev Deploys a fresh L1Bridge and OutputOracle with the given live windows behind a fresh council with
    /// the default parameters, in the deployer's order (council first, at predicted target addresses: its
    /// initializer cannot check targets without code), then returns the council for `checkTargets`.
    function _deployLive(uint64 bridgeWindow, uint64 period, uint64 response)
        internal
        returns (SecurityCouncil c)
    {
        address l1Impl = address(new L1Bridge());
        address oracleImpl = address(new OutputOracle());
        address councilImpl = address(new SecurityCouncil());
        uint256 n = vm.getNonce(address(this));
        address bridgeAddr = vm.computeCreateAddress(address(this), n + 1);
        address oracleAddr = vm.computeCreateAddress(address(this), n + 2);
        c = SecurityCouncil(
            address(
                new ERC1967Proxy(
                    councilImpl,
                    abi.encodeCall(
                        SecurityCouncil.initialize,
                        (SecurityCouncil.InitParams(pkX, pkY, bridgeAddr, oracleAddr, defaultParams()))
                    )
                )
            )
        );
        IL1Bridge.InitParams memory bp = l1Params(oracleAddr, address(l2));
        bp.forcedInclusionWindow = bridgeWindow;
        new ERC1967Proxy(l1Impl, abi.encodeCall(L1Bridge.initialize, (bp)));
        IOutputOracle.InitParams memory op = oracleParams(bridgeAddr);
        op.challengePeriod = period;
        op.councilResponseWindow = response;
        new ERC1967Proxy(oracleImpl, abi.encodeCall(OutputOracle.initialize, (op)));
        assertTrue(bridgeAddr.code.length != 0 && oracleAddr.code.length != 0, "targets deployed");
    }

    /// @dev checkTargets (the deployer's check, also run after every executed call) reverts when the live
    /// challengePeriod + forcedInclusionWindow + councilResponseWindow + exitWindow exceed upgradeDelay, to the
    /// second; and when a live window is above the council's copy.
    function test_checkTargets_liveWindowsAboveUpgradeDelay_reverts() public {
        uint64 room = UPGRADE_DELAY - CHALLENGE_PERIOD - FORCED_INCLUSION_WINDOW - EXIT_WINDOW; // 23 hours
        _deployLive(FORCED_INCLUSION_WINDOW, CHALLENGE_PERIOD, room).checkTargets(); // exactly covered
        SecurityCouncil c = _deployLive(FORCED_INCLUSION_WINDOW, CHALLENGE_PERIOD, room + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                SecurityCouncil.InvalidParameters.selector, "upgradeDelay below live windows"
            )
        );
        c.checkTargets();
        // The live challenge period (not the council's copy) counts: a shorter live period leaves more room.
        _deployLive(FORCED_INCLUSION_WINDOW, CHALLENGE_PERIOD - 1, room + 1).checkTargets();
        // A live window above the council's copy is refused whatever the sum.
        c = _deployLive(FORCED_INCLUSION_WINDOW + 1, CHALLENGE_PERIOD, 1);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "bridge forcedInclusionWindow")
        );
        c.checkTargets();
        c = _deployLive(FORCED_INCLUSION_WINDOW, CHALLENGE_PERIOD + 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "oracle challengePeriod")
        );
        c.checkTargets();
        // The fixture's own deployment passes.
        sc.checkTargets();
    }

    function test_initialize_bridgeBoundsAboveExitWindow_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.maxPause = 1 hours;
        p.pauseCooldown = 1 hours;
        p.exitWindow = 2 days;
        p.upgradeDelay = 4 days;
        _initReverts(p, "bridge pause bounds");
    }

    function test_setParams_clearMainnet_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.mainnet = true;
        p.exitWindow = 30 days;
        p.upgradeDelay = 32 days;
        councilRun(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        p.mainnet = false;
        bytes32 id = councilSchedule(address(sc), abi.encodeCall(SecurityCouncil.setParams, (p)));
        vm.warp(block.timestamp + 32 days);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, "mainnet"));
        sc.execute(id);
    }

    // ------------------------------------------------------------------------------------------------
    // Parameter invariants at initialization
    // ------------------------------------------------------------------------------------------------

    function _initReverts(SecurityCouncil.Params memory p, string memory reason) internal {
        _initKeyReverts(
            pkX, pkY, p, abi.encodeWithSelector(SecurityCouncil.InvalidParameters.selector, reason)
        );
    }

    function _initKeyReverts(uint256 x, uint256 y, SecurityCouncil.Params memory p, bytes memory err)
        internal
    {
        address impl = address(new SecurityCouncil());
        bytes memory init = abi.encodeCall(
            SecurityCouncil.initialize, (SecurityCouncil.InitParams(x, y, address(l1), address(oracle), p))
        );
        vm.expectRevert(err);
        new ERC1967Proxy(impl, init);
    }

    function test_initialize_upgradeDelayTooShort_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.upgradeDelay = CHALLENGE_PERIOD + FORCED_INCLUSION_WINDOW + EXIT_WINDOW - 1;
        _initReverts(p, "upgradeDelay");
    }

    function test_initialize_upgradeDelayExact_succeeds() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.upgradeDelay = CHALLENGE_PERIOD + FORCED_INCLUSION_WINDOW + EXIT_WINDOW;
        sc.checkParams(p);
    }

    function test_initialize_zeroCooldown_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.pauseCooldown = 0;
        _initReverts(p, "pauseCooldown");
    }

    function test_initialize_zeroMaxPause_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.maxPause = 0;
        _initReverts(p, "maxPause");
    }

    function test_initialize_pauseLongerThanExitWindow_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.maxPause = EXIT_WINDOW - PAUSE_COOLDOWN + 1;
        _initReverts(p, "maxPause + pauseCooldown");
    }

    function test_initialize_thresholdBelowThreeQuarters_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.threshold = 8; // ceil(0.75 * 12) = 9
        _initReverts(p, "threshold");
    }

    function test_initialize_thresholdCeil_succeeds() public view {
        SecurityCouncil.Params memory p = defaultParams();
        p.members = 10;
        p.threshold = 8; // ceil(7.5)
        sc.checkParams(p);
    }

    function test_initialize_thresholdCeilMinusOne_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.members = 10;
        p.threshold = 7;
        _initReverts(p, "threshold");
    }

    function test_initialize_thresholdAboveMembers_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.threshold = 13;
        _initReverts(p, "members");
    }

    function test_initialize_mainnetFewMembers_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.mainnet = true;
        p.exitWindow = 30 days;
        p.upgradeDelay = 32 days;
        p.members = 7;
        p.threshold = 6;
        _initReverts(p, "mainnet members");
    }

    function test_initialize_mainnetShortExitWindow_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.mainnet = true;
        p.exitWindow = 30 days - 1;
        p.upgradeDelay = 32 days;
        _initReverts(p, "mainnet exitWindow");
    }

    function test_initialize_zeroChallengePeriod_reverts() public {
        SecurityCouncil.Params memory p = defaultParams();
        p.challengePeriod = 0;
        _initReverts(p, "challengePeriod");
    }

    function test_initialize_keyXAtLeastN_reverts() public {
        // x = n + 1 is a valid field element; whether or not it is on the curve, it must be refused
        _initKeyReverts(
            N + 1, pkY, defaultParams(), abi.encodeWithSelector(SecurityCouncil.InvalidGroupKey.selector)
        );
    }

    function test_initialize_keyOffCurve_reverts() public {
        _initKeyReverts(
            pkX, pkY ^ 2, defaultParams(), abi.encodeWithSelector(SecurityCouncil.InvalidGroupKey.selector)
        );
    }

    function testFuzz_checkParams_matchesInvariants(SecurityCouncil.Params memory p) public view {
        bool ok = p.challengePeriod > 0 && p.forcedInclusionWindow > 0 && p.exitWindow > 0
            && uint256(p.upgradeDelay) >= uint256(p.challengePeriod) + p.forcedInclusionWindow + p.exitWindow
            && p.maxPause > 0 && p.pauseCooldown > 0 && p.pauseCooldown <= type(uint48).max
            && uint256(p.maxPause) + p.pauseCooldown <= p.exitWindow && p.members > 0
            && p.threshold <= p.members && 4 * uint256(p.threshold) >= 3 * uint256(p.members)
            && (!p.mainnet || (p.members >= 8 && p.exitWindow >= 30 days));
        bool accepted;
        try sc.checkParams(p) {
            accepted = true;
        } catch {}
        assertEq(accepted, ok, "checkParams");
    }

    function test_checkParams_matchesInvariants() public view {
        testFuzz_checkParams_matchesInvariants(defaultParams());
    }

    // ------------------------------------------------------------------------------------------------
    // The full L1 system under the council
    // ------------------------------------------------------------------------------------------------

    function test_system_pauseStopsDepositsAndFinalizationOnly_succeeds() public {
        depositETH(alice, alice, 10 ether);
        relayAll();
        withdrawOnL2(alice, address(0), bob, 1 ether);
        uint256 index = proposeAndFinalize();

        councilPause(MAX_PAUSE);
        uint64 until = l1.pausedUntil();
        // deposits stop
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, until));
        l1.depositETH{value: 1 ether}(alice);
        // finalization stops
        IL1Bridge.Withdrawal memory w = sentWithdrawals[0];
        bytes32[] memory proof = withdrawalProofAt(0, index);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.BridgePaused.selector, until));
        l1.finalizeWithdrawal(w, index, proof);
        // reading, root commits, root caching and outputs go on
        assertEq(l1.escrowed(address(0)), 10 ether, "escrow readable");
        assertEq(uint256(l1.messageCount()), 1, "count readable");
        assertTrue(oracle.isFinal(index), "finality readable");
        l1.commitMessageRoot();
        l1.cacheOutputRoot(index);
        proposeOutput();
        // the pause ends by itself
        vm.warp(until);
        uint256 before = bob.balance;
        l1.finalizeWithdrawal(w, index, proof);
        assertEq(bob.balance, before + 1 ether, "paid after the pause");
        depositETH(alice, alice, 1 ether);
    }

    function test_system_upgradeViaTimelock_preservesState_succeeds() public {
        depositETH(alice, alice, 3 ether);
        uint64 count = l1.messageCount();
        bytes32 root = l1.messageRoot();
        address newImpl = address(new L1Bridge());
        bytes memory call = abi.encodeCall(UUPSUpgradeable.upgradeToAndCall, (newImpl, ""));
        bytes32 id = councilSchedule(address(l1), call);
        vm.warp(block.timestamp + UPGRADE_DELAY - 1);
        vm.expectRevert();
        sc.execute(id);
        vm.warp(block.timestamp + 1);
        vm.prank(bob);
        sc.execute(id);
        assertEq(address(uint160(uint256(vm.load(address(l1), IMPL_SLOT)))), newImpl, "implementation");
        assertEq(uint256(l1.messageCount()), count, "count kept");
        assertEq(l1.messageRoot(), root, "root kept");
        assertEq(l1.escrowed(address(0)), 3 ether, "escrow kept");
        assertEq(l1.governance(), address(sc), "governance kept");
        depositETH(alice, alice, 1 ether);
    }

    function test_system_councilUpgradesItself_succeeds() public {
        councilPause(60);
        address newImpl = address(new SecurityCouncil());
        councilRun(address(sc), abi.encodeCall(UUPSUpgradeable.upgradeToAndCall, (newImpl, "")));
        assertEq(address(uint160(uint256(vm.load(address(sc), IMPL_SLOT)))), newImpl, "implementation");
        assertEq(sc.nonce(), 2, "nonce kept");
        (uint256 x,) = sc.groupKey();
        assertEq(x, pkX, "key kept");
        councilPause(60); // still works
    }

    function test_system_directGovernanceCalls_reverts() public {
        vm.prank(governance == address(sc) ? alice : governance);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l1.setPauser(alice);
        vm.prank(alice);
        vm.expectRevert(IL1Bridge.NotPauser.selector);
        l1.pause(60);
    }

    // ------------------------------------------------------------------------------------------------
    // The L2 instance: no targets, own domain
    // ------------------------------------------------------------------------------------------------

    function test_l2Instance_noTargetsAndOwnDomain_succeeds() public {
        onL2();
        SecurityCouncil l2c = deployCouncil(address(0), address(0), pkX, pkY);
        uint256 d = soon();
        SecurityCouncil.Signature memory s =
            signActionWith(GROUP_SK, l2c, 1, address(0), abi.encode(uint64(60)), 0, d);
        vm.expectRevert(SecurityCouncil.NoTarget.selector);
        l2c.pause(60, 0, d, s);
        // an L1 signature does not verify on the L2 instance (other domain)
        onL1();
        bytes memory call = abi.encodeCall(SecurityCouncil.setTargets, (address(0), address(0)));
        SecurityCouncil.Signature memory l1Sig =
            signAction(4, address(l2c), abi.encode(address(l2c), call), 0, d);
        onL2();
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        l2c.schedule(address(l2c), call, 0, d, l1Sig);
        s = signActionWith(GROUP_SK, l2c, 4, address(l2c), abi.encode(address(l2c), call), 0, d);
        bytes32 id = l2c.schedule(address(l2c), call, 0, d, s);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        l2c.execute(id);
        assertEq(l2c.nonce(), 1, "nonce");
        onL1();
    }
}

/// @notice Pins the SecurityCouncil slots of STORAGE.md.
contract SecurityCouncilStorageTest is CouncilFixture {
    bytes32 internal constant BASE = 0xff878c3904d589126962bd253ae9ae96422bd55d742cbc227beaf5f741689700;

    function _at(uint256 n) internal view returns (uint256) {
        return uint256(vm.load(address(sc), bytes32(uint256(BASE) + n)));
    }

    function test_storage_layout_pinned() public {
        assertEq(
            BASE,
            keccak256(abi.encode(uint256(keccak256("drawbridge.storage.SecurityCouncil")) - 1))
                & ~bytes32(uint256(0xff)),
            "base"
        );
        councilPause(60);
        uint256 s0 = _at(0);
        assertEq(s0 & type(uint64).max, 1, "nonce");
        assertEq((s0 >> 64) & 0xff, pkY & 1, "parity");
        assertEq((s0 >> 72) & type(uint64).max, block.timestamp + 60, "pausedUntil");
        assertEq((s0 >> 136) & type(uint64).max, MAX_PAUSE, "maxPause");
        assertEq((s0 >> 200) & type(uint48).max, PAUSE_COOLDOWN, "pauseCooldown");
        assertEq(_at(1), pkX, "keyX");
        assertEq(address(uint160(_at(2))), address(l1), "l1Bridge");
        assertEq(_at(2) >> 160, UPGRADE_DELAY, "upgradeDelay");
        uint256 s3 = _at(3);
        assertEq(address(uint160(s3)), address(oracle), "outputOracle");
        assertEq((s3 >> 160) & 0xffff, 9, "threshold");
        assertEq((s3 >> 176) & 0xffff, 12, "members");
        assertEq((s3 >> 192) & 0xff, 0, "mainnet");
        uint256 s4 = _at(4);
        assertEq(s4 & type(uint64).max, CHALLENGE_PERIOD, "challengePeriod");
        assertEq((s4 >> 64) & type(uint64).max, FORCED_INCLUSION_WINDOW, "forcedInclusionWindow");
        assertEq((s4 >> 128) & type(uint64).max, EXIT_WINDOW, "exitWindow");
        bytes32 id = councilSchedule(address(l1), abi.encodeCall(L1BridgeLike.setPauser, (alice)));
        bytes32 o = keccak256(abi.encode(id, uint256(BASE) + 5));
        uint256 o0 = uint256(vm.load(address(sc), o));
        assertEq(address(uint160(o0)), address(l1), "op target");
        assertEq(o0 >> 160, block.timestamp + UPGRADE_DELAY, "op eta");
    }
}

interface L1BridgeLike {
    function setPauser(address) external;
}
