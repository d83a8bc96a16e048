// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CouncilFixture} from "../utils/CouncilFixture.sol";
import {FrostSigner} from "../utils/FrostSigner.sol";
import {Test} from "../utils/Test.sol";
import {SecurityCouncil} from "../../src/SecurityCouncil.sol";
import {L1Bridge} from "../../src/L1Bridge.sol";

/// @notice Drives the council with signed pauses and unpauses of random durations at random times, plus
/// forged and replayed actions, and records every pause interval.
contract CouncilHandler is Test {
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    SecurityCouncil internal immutable sc;
    L1Bridge internal immutable l1;
    uint256 internal immutable sk;
    uint64 internal immutable maxPause;
    uint64 internal immutable cooldown;

    uint256 public successes;
    bool public forgedAccepted;
    bool public boundsViolated;
    uint256 public pauses;
    /// @dev End of the previous pause (its scheduled end, or the unpause time).
    uint64 internal lastEnd;

    constructor(SecurityCouncil sc_, L1Bridge l1_, uint256 sk_, uint64 maxPause_, uint64 cooldown_) {
        sc = sc_;
        l1 = l1_;
        sk = sk_;
        maxPause = maxPause_;
        cooldown = cooldown_;
    }

    function _sign(uint8 kind, bytes memory data, uint256 nonce, uint256 deadline)
        internal
        returns (SecurityCouncil.Signature memory)
    {
        bytes32 digest = sc.actionDigest(kind, address(l1), data, nonce, deadline);
        FrostSigner.Sig memory s = FrostSigner.sign(sk, digest);
        return SecurityCouncil.Signature(s.rx, s.ry, s.z);
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 0, 3 days));
    }

    function pause(uint256 durationSeed) external {
        uint64 duration = uint64(bound(durationSeed, 0, maxPause + 10));
        uint256 nonce = sc.nonce();
        uint256 deadline = block.timestamp + 1 hours;
        SecurityCouncil.Signature memory s = _sign(1, abi.encode(duration), nonce, deadline);
        try sc.pause(duration, nonce, deadline, s) {
            ++successes;
            ++pauses;
            if (duration == 0 || duration > maxPause) boundsViolated = true;
            if (pauses > 1 && block.timestamp < uint256(lastEnd) + cooldown) boundsViolated = true;
            lastEnd = uint64(block.timestamp) + duration;
        } catch {}
    }

    function unpause() external {
        uint256 nonce = sc.nonce();
        uint256 deadline = block.timestamp + 1 hours;
        SecurityCouncil.Signature memory s = _sign(2, "", nonce, deadline);
        try sc.unpause(nonce, deadline, s) {
            ++successes;
            lastEnd = uint64(block.timestamp);
        } catch {}
    }

    function forged(uint256 which, uint256 delta) external {
        uint256 nonce = sc.nonce();
        uint256 deadline = block.timestamp + 1 hours;
        SecurityCouncil.Signature memory s = _sign(1, abi.encode(uint64(60)), nonce, deadline);
        delta = bound(delta, 1, N - 1);
        which %= 4;
        if (which == 0) s.z = addmod(s.z, delta, N);
        else if (which == 1) s.rx = addmod(s.rx, delta, N);
        else if (which == 2) s.z = 0;
        else nonce = nonce == 0 ? 1 : nonce - 1; // replayed or skipped nonce
        try sc.pause(60, nonce, deadline, s) {
            forgedAccepted = true;
        } catch {}
    }
}

/// @notice Council invariants: only valid signatures act, each consumes exactly one nonce, a pause never
/// exceeds `maxPause` nor starts inside the cooldown, and the bridge's pause always equals the council's.
contract CouncilInvariantTest is CouncilFixture {
    CouncilHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new CouncilHandler(sc, l1, GROUP_SK, MAX_PAUSE, PAUSE_COOLDOWN);
        targetContract(address(handler));
    }

    function invariant_nonceCountsSuccessfulActions() public view {
        assertEq(sc.nonce(), handler.successes(), "nonce");
    }

    function invariant_noForgedOrReplayedAction() public view {
        assertFalse(handler.forgedAccepted(), "forged action accepted");
    }

    function invariant_pauseBoundedAndCooledDown() public view {
        assertFalse(handler.boundsViolated(), "pause bounds");
        assertLe(sc.pausedUntil(), block.timestamp + MAX_PAUSE, "pause ends by itself");
    }

    function invariant_bridgePauseMatchesCouncil() public view {
        assertEq(uint256(l1.pausedUntil()), uint256(sc.pausedUntil()), "bridge and council agree");
    }
}
