// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CouncilFixture} from "./utils/CouncilFixture.sol";
import {SecurityCouncil} from "../src/SecurityCouncil.sol";

/// @notice Council actions authorized by threshold signatures made by the Rust crate `frost-secp256k1-evm`
/// (9 of 12, the group key of `test/vectors/frost-selfcheck.json`), not by the test signer.
///
/// The digests depend on this test's deterministic addresses, chain id 900 and the fixed deadline; the
/// signatures in `test/vectors/council-rust-actions.json` were made over exactly these digests with
///     D=$(../tools/bin/forge test --mc CouncilRustSignaturesTest -vv | sed -n 's/.*digest: //p')
///     cargo run --release --manifest-path test/vectors/frostgen/Cargo.toml -- $D > test/vectors/council-rust-actions.json
/// (`test_digests_print` prints the digests; if an address moves, the test fails and says so).
contract CouncilRustSignaturesTest is CouncilFixture {
    string internal constant PATH = "test/vectors/council-rust-actions.json";
    uint256 internal constant DEADLINE = START_TIME + 1 hours;

    SecurityCouncil internal rc;
    MockBridge internal mock;
    uint256 internal rustX;
    uint256 internal rustY;
    bytes internal scheduledCall;

    function setUp() public override {
        super.setUp();
        string memory json = vm.readFile("test/vectors/frost-selfcheck.json");
        rustX = vm.parseJsonUint(json, ".groupKey.x");
        rustY = vm.parseJsonUint(json, ".groupKey.y");
        mock = new MockBridge();
        rc = deployCouncil(address(mock), address(oracle), rustX, rustY);
        scheduledCall = abi.encodeCall(SecurityCouncil.setTargets, (address(mock), address(0)));
    }

    function _digests() internal view returns (bytes32 pauseDigest, bytes32 scheduleDigest) {
        pauseDigest =
            digestFor(block.chainid, address(rc), 1, address(mock), abi.encode(uint64(1 hours)), 0, DEADLINE);
        scheduleDigest = digestFor(
            block.chainid, address(rc), 4, address(rc), abi.encode(address(rc), scheduledCall), 1, DEADLINE
        );
    }

    function test_digests_print() public {
        (bytes32 a, bytes32 b) = _digests();
        emit log_named_bytes32("digest", a);
        emit log_named_bytes32("digest", b);
    }

    function _sig(string memory json, uint256 i, bytes32 digest)
        internal
        pure
        returns (SecurityCouncil.Signature memory s)
    {
        string memory k = string.concat(".signatures[", vm.toString(i), "]");
        require(
            vm.parseJsonBytes32(json, string.concat(k, ".digest")) == digest,
            "council-rust-actions.json signs other digests: regenerate it (see the contract comment)"
        );
        s.rx = vm.parseJsonUint(json, string.concat(k, ".rx"));
        s.ry = vm.parseJsonUint(json, string.concat(k, ".ry"));
        s.z = vm.parseJsonUint(json, string.concat(k, ".z"));
    }

    function test_rustSignedActions_pauseAndSchedule_succeeds() public {
        string memory json = vm.readFile(PATH);
        assertEq(vm.parseJsonUint(json, ".groupKey.x"), rustX, "same group key");
        (bytes32 pauseDigest, bytes32 scheduleDigest) = _digests();
        assertEq(
            rc.actionDigest(1, address(mock), abi.encode(uint64(1 hours)), 0, DEADLINE), pauseDigest, "digest"
        );

        rc.pause(1 hours, 0, DEADLINE, _sig(json, 0, pauseDigest));
        assertEq(uint256(mock.lastDuration()), 1 hours, "bridge paused");
        assertEq(rc.nonce(), 1, "nonce");

        bytes32 id = rc.schedule(address(rc), scheduledCall, 1, DEADLINE, _sig(json, 1, scheduleDigest));
        vm.warp(block.timestamp + UPGRADE_DELAY);
        rc.execute(id);
        assertEq(rc.outputOracle(), address(0), "executed");
    }

    function test_rustSignedAction_replayed_reverts() public {
        string memory json = vm.readFile(PATH);
        (bytes32 pauseDigest,) = _digests();
        SecurityCouncil.Signature memory s = _sig(json, 0, pauseDigest);
        rc.pause(1 hours, 0, DEADLINE, s);
        vm.expectRevert(abi.encodeWithSelector(SecurityCouncil.InvalidNonce.selector, 1, 0));
        rc.pause(1 hours, 0, DEADLINE, s);
    }

    function test_rustSignedAction_onOtherCouncil_reverts() public {
        // the same signature on the test-key council (other contract, other key)
        string memory json = vm.readFile(PATH);
        (bytes32 pauseDigest,) = _digests();
        SecurityCouncil.Signature memory s = _sig(json, 0, pauseDigest);
        vm.expectRevert(SecurityCouncil.InvalidSignature.selector);
        sc.pause(1 hours, 0, DEADLINE, s);
    }
}

contract MockBridge {
    uint64 public lastDuration;
    uint64 public maxPause = 1 hours;
    uint64 public pauseCooldown = 1 hours;
    /// @dev The council checks its `upgradeDelay` against the bridge's live window too.
    uint64 public forcedInclusionWindow = 1 days;

    function pause(uint64 duration) external {
        lastDuration = duration;
    }
}
