// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CouncilFixture} from "./utils/CouncilFixture.sol";
import {GasMeter} from "./utils/GasMeter.sol";
import {SecurityCouncil} from "../src/SecurityCouncil.sol";
import {FrostVerifier} from "../src/lib/FrostVerifier.sol";
import {FrostSigner} from "./utils/FrostSigner.sol";

/// @notice Gas per TRANSACTION of a council action, as GasTest measures (see its comment): run with
///     ../tools/bin/forge test --isolate --mc CouncilGasTest -vv
/// Figures are reported above the 21,000 base cost (so they include calldata and cold access).
///  - `pause` on the real L1Bridge proxy: signature check, nonce, the council's pause bookkeeping and the
///    bridge's own pause (a call through its proxy, cold slots there).
///  - `pause` on a council whose bridge is a no-op contract: what the council itself costs (calldata,
///    EIP-712 digest, FROST challenge, ecrecover, the hot slot and the key slot, the event, one cold call).
contract CouncilGasTest is CouncilFixture, GasMeter {
    /// @dev Signature check and nonce alone (SigNonceOnly: the council's own `_verifyAction`), above the 21,000
    /// base. The issue's target is 12,000, out of reach with the key in storage and the ABI as it is: calldata
    /// (2,068), the hot slot read and nonce write (5,000), the key slot (2,100) and ecrecover (3,100) alone
    /// come to 12,268 (breakdown in contracts/README.md). These constants are regression bounds at the
    /// measured figures plus a small margin.
    uint256 internal constant TARGET_SIG_NONCE_ABOVE_BASE = 15_000;
    /// @dev The council itself (proxy, signature check, nonce, bookkeeping, events, one cold call).
    uint256 internal constant TARGET_COUNCIL_ABOVE_BASE = 29_000;
    /// @dev The whole pause transaction through the real bridge, above the base.
    uint256 internal constant TARGET_PAUSE_ABOVE_BASE = 43_000;

    SecurityCouncil internal bare;
    NopBridge internal nopBridge;
    SigNonceOnly internal sigOnly;

    function setUp() public override {
        super.setUp();
        nopBridge = new NopBridge();
        bare = deployCouncil(address(nopBridge), address(oracle), pkX, pkY);
        sigOnly = new SigNonceOnly(pkX, pkY);
        depositETH(alice, alice, 1 ether); // a bridge in use: its hot slot (pausedUntil) is non-zero
    }

    function _txGasAboveBase(bytes memory data) internal returns (uint256 above, bool isolated) {
        uint256 total;
        (total, isolated) = txGas(data);
        above = total - 21_000;
    }

    function _measurePause(SecurityCouncil c, address target, string memory what, uint256 target_) internal {
        uint256 d = block.timestamp + 1 hours;
        uint64 duration = 1 hours;
        SecurityCouncil.Signature memory s =
            signActionWith(GROUP_SK, c, 1, target, abi.encode(duration), 0, d);
        bytes memory data = abi.encodeCall(SecurityCouncil.pause, (duration, 0, d, s));
        vm.prank(relayer);
        c.pause(duration, 0, d, s);
        (uint256 above, bool isolated) = _txGasAboveBase(data);
        emit log_named_uint(
            string.concat(
                what, isolated ? " (isolated tx, above 21k)" : " (execution + calldata, above 21k)"
            ),
            above
        );
        assertLe(above, target_, string.concat(what, " over target"));
    }

    function test_gas_signatureAndNonceOnly_succeeds() public {
        SigNonceOnly h = sigOnly;
        uint256 d = block.timestamp + 1 hours;
        uint64 duration = 1 hours;
        SecurityCouncil.Signature memory s = toSig(FrostSigner.sign(GROUP_SK, h.digest(duration, 1, d)));
        bytes memory data = abi.encodeCall(SigNonceOnly.act, (duration, 1, d, s));
        vm.prank(relayer);
        h.act(duration, 1, d, s);
        (uint256 above, bool isolated) = _txGasAboveBase(data);
        emit log_named_uint(
            isolated
                ? "signature check + nonce (isolated tx, above 21k)"
                : "signature check + nonce (above 21k)",
            above
        );
        assertLe(above, TARGET_SIG_NONCE_ABOVE_BASE, "signature check + nonce over target");
    }

    function test_gas_councilPause_succeeds() public {
        _measurePause(sc, address(l1), "council pause of the L1Bridge", TARGET_PAUSE_ABOVE_BASE);
    }

    function test_gas_councilActionOnly_succeeds() public {
        _measurePause(
            bare,
            address(nopBridge),
            "council action (signature, nonce, bookkeeping)",
            TARGET_COUNCIL_ABOVE_BASE
        );
    }
}

/// @dev The council's own signature check and nonce, `SecurityCouncil._verifyAction` (deadline, nonce, EIP-712
/// digest, FROST verification, nonce write) with the council's storage layout (hot slot + key slot, both cold
/// in a transaction), as a pause action for `target` = this contract: no proxy, no `ActionAuthorized` event, no
/// pause bookkeeping, no call to a bridge.
contract SigNonceOnly is SecurityCouncil {
    constructor(uint256 x, uint256 y) {
        SecurityCouncilStorage storage $ = _s();
        _setKey($, x, y);
        $.nonce = 1; // non-zero: the nonce write is non-zero to non-zero, as in a council in use
    }

    function digest(uint64 duration, uint256 n, uint256 deadline) external view returns (bytes32) {
        return this.actionDigest(KIND_PAUSE, address(this), abi.encode(duration), n, deadline);
    }

    function act(uint64 duration, uint256 n, uint256 deadline, Signature calldata sig) external {
        bytes32 dataHash;
        assembly ("memory-safe") {
            mstore(0x00, duration)
            dataHash := keccak256(0x00, 0x20)
        }
        _verifyAction(_s(), KIND_PAUSE, address(this), dataHash, n, deadline, sig);
    }
}

contract NopBridge {
    uint64 public constant maxPause = 1 hours;
    uint64 public constant pauseCooldown = 1 hours;
    /// @dev The council checks its `upgradeDelay` against the bridge's live window too.
    uint64 public constant forcedInclusionWindow = 1 days;

    function pause(uint64) external {}
}
