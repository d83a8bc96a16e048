// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {FrostVerifier} from "./lib/FrostVerifier.sol";
import {PauseWindow} from "./lib/PauseWindow.sol";

/// @title Drawbridge security council: one FROST(secp256k1, KECCAK256) group key, a bounded pause, dispute
/// verdicts and a timelock.
/// @notice UUPS implementation behind an ERC1967Proxy; state in one ERC-7201 namespaced struct (see
/// contracts/STORAGE.md). Every signed action is an EIP-712 `Action(uint8 kind,address target,bytes data,
/// uint256 nonce,uint256 deadline)` under the domain ("Drawbridge Security Council", "1", chain id, this
/// proxy) (docs/council.md). Nonces are sequential; an action is refused after its deadline. The contract
/// is its own timelock: it is the only upgrade admin (`governance`) of every proxy and the only `council`
/// of the OutputOracle, and everything but pause, unpause and dispute verdicts goes through
/// `schedule` + `execute` after `upgradeDelay`, including key rotation and parameter changes, which only
/// the contract itself may call.
contract SecurityCouncil is Initializable, UUPSUpgradeable {
    // ------------------------------------------------------------------------------------------------
    // Types, events, errors
    // ------------------------------------------------------------------------------------------------

    /// @notice Action kinds (docs/council.md).
    uint8 public constant KIND_PAUSE = 1;
    uint8 public constant KIND_UNPAUSE = 2;
    uint8 public constant KIND_RESOLVE_DISPUTE = 3;
    uint8 public constant KIND_SCHEDULE = 4;
    uint8 public constant KIND_CANCEL = 5;

    /// @notice A FROST signature: the commitment `R` in affine coordinates and the response `z`.
    struct Signature {
        uint256 rx;
        uint256 ry;
        uint256 z;
    }

    /// @notice The protocol parameters the council checks (docs/design.md "Parameters and their invariants").
    /// @dev `challengePeriod` is the OutputOracle's, `forcedInclusionWindow` and `exitWindow` the exit
    /// design's; the council keeps them to check `upgradeDelay` and the pause bounds against them.
    struct Params {
        uint64 upgradeDelay;
        uint64 challengePeriod;
        uint64 forcedInclusionWindow;
        uint64 exitWindow;
        uint64 maxPause;
        uint64 pauseCooldown;
        uint16 threshold;
        uint16 members;
        bool mainnet;
    }

    /// @notice Initialization: the group key as an affine point, the targets (zero where the chain has
    /// none: the L2 instance has no bridge to pause and no OutputOracle) and the parameters.
    struct InitParams {
        uint256 groupKeyX;
        uint256 groupKeyY;
        address l1Bridge;
        address outputOracle;
        Params params;
    }

    /// @notice A scheduled call.
    struct Operation {
        address target;
        uint64 eta;
        bytes data;
    }

    event ActionAuthorized(uint256 indexed nonce, uint8 indexed kind, address target, bytes32 digest);
    event Paused(uint64 until);
    event Unpaused();
    event DisputeResolved(uint256 indexed outputIndex, bool valid);
    event CallScheduled(bytes32 indexed id, address indexed target, bytes data, uint64 eta);
    event CallCancelled(bytes32 indexed id);
    event CallExecuted(bytes32 indexed id, address indexed target, bytes data);
    event GroupKeyChanged(uint256 x, uint8 parity);
    event ParamsChanged(Params params);
    event TargetsChanged(address l1Bridge, address outputOracle);

    error InvalidSignature();
    error InvalidNonce(uint256 expected, uint256 given);
    error ActionExpired(uint256 deadline);
    error InvalidGroupKey();
    error InvalidParameters(string reason);
    error NotSelf();
    error NoTarget();
    error PauseTooLong(uint64 duration, uint64 maxPause);
    // `pause` before the cooldown reverts `PauseCooldown(uint64 availableAt)`, declared once in IL1Bridge and
    // raised by `PauseWindow` for the bridge and the council alike (the same selector as before).
    error NotPaused();
    error UnknownOperation(bytes32 id);
    error NotReady(bytes32 id, uint64 eta);

    // ------------------------------------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------------------------------------

    /// @custom:storage-location erc7201:drawbridge.storage.SecurityCouncil
    struct SecurityCouncilStorage {
        // slot 0, the hot slot: every action reads and writes it.
        uint64 nonce;
        bool keyParity;
        uint64 pausedUntil;
        uint64 maxPause;
        uint48 pauseCooldown;
        // slot 1
        uint256 keyX;
        // slot 2
        address l1Bridge;
        uint64 upgradeDelay;
        // slot 3
        address outputOracle;
        uint16 threshold;
        uint16 members;
        bool mainnet;
        // slot 4
        uint64 challengePeriod;
        uint64 forcedInclusionWindow;
        uint64 exitWindow;
        // slot 5
        mapping(bytes32 id => Operation) operations;
    }

    // keccak256(abi.encode(uint256(keccak256("drawbridge.storage.SecurityCouncil")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0xff878c3904d589126962bd253ae9ae96422bd55d742cbc227beaf5f741689700;

    /// @notice keccak256("Action(uint8 kind,address target,bytes data,uint256 nonce,uint256 deadline)").
    bytes32 public constant ACTION_TYPEHASH =
        0x7906491448458dc89c6988c54235dac361c38049ecfd8c9f598b0ebb1643cb45;
    // Literal values so inline assembly can use them; test_constants_matchTheirPreimages pins them.
    // keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 private constant DOMAIN_TYPEHASH =
        0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f;
    // keccak256("Drawbridge Security Council")
    bytes32 private constant NAME_HASH = 0xd775907938de2a0423f99d23bfcab0cf90f1d5e69f009ad1785c4aa0aaa483e2;
    // keccak256("1")
    bytes32 private constant VERSION_HASH =
        0xc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc6;
    // keccak256("")
    bytes32 private constant EMPTY_HASH = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy: stores the group key and the targets, and refuses parameters that
    /// break any invariant of docs/design.md "Parameters and their invariants".
    /// @dev The targets may not have code yet (predicted addresses), so they are not called here.
    function initialize(InitParams calldata p) external initializer {
        SecurityCouncilStorage storage $ = _s();
        _setKey($, p.groupKeyX, p.groupKeyY);
        _setParams($, p.params);
        $.l1Bridge = p.l1Bridge;
        $.outputOracle = p.outputOracle;
        emit TargetsChanged(p.l1Bridge, p.outputOracle);
        _checkTargets($);
    }

    // ------------------------------------------------------------------------------------------------
    // Signed actions
    // ------------------------------------------------------------------------------------------------

    /// @notice Pauses the L1 bridge's deposits and normal withdrawal finalization for `duration` seconds
    /// (at most `maxPause`, and not before `pauseCooldown` has passed since the previous pause ended). The
    /// pause ends by itself. Signed action kind 1, `target` the L1 bridge, `data` `abi.encode(duration)`.
    /// @param duration seconds, `0 < duration <= maxPause`.
    /// @param actionNonce must equal `nonce()`. @param deadline last valid timestamp. @param sig the signature.
    function pause(uint64 duration, uint256 actionNonce, uint256 deadline, Signature calldata sig) external {
        SecurityCouncilStorage storage $ = _s();
        address bridge = $.l1Bridge;
        if (bridge == address(0)) revert NoTarget();
        _authorize($, KIND_PAUSE, bridge, _hashWord(duration), actionNonce, deadline, sig);
        uint64 max = $.maxPause;
        if (duration == 0 || duration > max) revert PauseTooLong(duration, max);
        uint64 last = $.pausedUntil;
        if (last != 0) PauseWindow.checkCooldown(last, $.pauseCooldown);
        uint64 until = uint64(block.timestamp) + duration;
        $.pausedUntil = until;
        emit Paused(until);
        IL1Bridge(bridge).pause(duration);
    }

    /// @notice Ends the current pause now (which starts the cooldown). Signed action kind 2, `target` the
    /// L1 bridge, empty `data`.
    /// @param actionNonce must equal `nonce()`. @param deadline last valid timestamp. @param sig the signature.
    function unpause(uint256 actionNonce, uint256 deadline, Signature calldata sig) external {
        SecurityCouncilStorage storage $ = _s();
        address bridge = $.l1Bridge;
        if (bridge == address(0)) revert NoTarget();
        _authorize($, KIND_UNPAUSE, bridge, EMPTY_HASH, actionNonce, deadline, sig);
        if (block.timestamp >= $.pausedUntil) revert NotPaused();
        $.pausedUntil = uint64(block.timestamp);
        emit Unpaused();
        IL1Bridge(bridge).unpause();
    }

    /// @notice Resolves the dispute over output `outputIndex` on the OutputOracle: `valid` upholds it,
    /// otherwise it and every later output are deleted. Signed action kind 3, `target` the OutputOracle,
    /// `data` `abi.encode(outputIndex, valid)`.
    /// @param actionNonce must equal `nonce()`. @param deadline last valid timestamp. @param sig the signature.
    function resolveDispute(
        uint256 outputIndex,
        bool valid,
        uint256 actionNonce,
        uint256 deadline,
        Signature calldata sig
    ) external {
        SecurityCouncilStorage storage $ = _s();
        address oracle = $.outputOracle;
        if (oracle == address(0)) revert NoTarget();
        _authorize(
            $,
            KIND_RESOLVE_DISPUTE,
            oracle,
            keccak256(abi.encode(outputIndex, valid)),
            actionNonce,
            deadline,
            sig
        );
        emit DisputeResolved(outputIndex, valid);
        IOutputOracle(oracle).resolveDispute(outputIndex, valid);
    }

    /// @notice Schedules `call` on `target`, executable by anyone from `block.timestamp + upgradeDelay`.
    /// Signed action kind 4, `target` the call's target, `data` `abi.encode(target, call)`.
    /// @return id `keccak256(abi.encode(target, call, actionNonce))`.
    /// @param actionNonce must equal `nonce()`. @param deadline last valid timestamp. @param sig the signature.
    function schedule(
        address target,
        bytes calldata call,
        uint256 actionNonce,
        uint256 deadline,
        Signature calldata sig
    ) external returns (bytes32 id) {
        if (target == address(0)) revert InvalidParameters("target");
        SecurityCouncilStorage storage $ = _s();
        _authorize($, KIND_SCHEDULE, target, keccak256(abi.encode(target, call)), actionNonce, deadline, sig);
        id = keccak256(abi.encode(target, call, actionNonce));
        uint64 eta = uint64(block.timestamp) + $.upgradeDelay;
        $.operations[id] = Operation({target: target, eta: eta, data: call});
        emit CallScheduled(id, target, call, eta);
    }

    /// @notice Cancels the scheduled call `id`. Signed action kind 5, `target` this contract, `data`
    /// `abi.encode(id)`.
    /// @param actionNonce must equal `nonce()`. @param deadline last valid timestamp. @param sig the signature.
    function cancel(bytes32 id, uint256 actionNonce, uint256 deadline, Signature calldata sig) external {
        SecurityCouncilStorage storage $ = _s();
        _authorize($, KIND_CANCEL, address(this), _hashWord(uint256(id)), actionNonce, deadline, sig);
        if ($.operations[id].eta == 0) revert UnknownOperation(id);
        delete $.operations[id];
        emit CallCancelled(id);
    }

    /// @notice Executes the scheduled call `id`; anyone may call it from its `eta` on. Reverts with the
    /// call's own revert data if the call fails (the operation then stays scheduled), and with
    /// `InvalidParameters` if the targets' parameters break an invariant afterwards (see `checkTargets`).
    /// @return result the call's return data.
    function execute(bytes32 id) external returns (bytes memory result) {
        SecurityCouncilStorage storage $ = _s();
        Operation memory op = $.operations[id];
        if (op.eta == 0) revert UnknownOperation(id);
        if (block.timestamp < op.eta) revert NotReady(id, op.eta);
        delete $.operations[id];
        bool ok;
        (ok, result) = op.target.call(op.data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        _checkTargets($);
        emit CallExecuted(id, op.target, op.data);
    }

    // ------------------------------------------------------------------------------------------------
    // Self-calls (only through schedule + execute)
    // ------------------------------------------------------------------------------------------------

    /// @notice Replaces the group key with the affine point `(x, y)` (on the curve, `0 < x < n`). Only the
    /// contract itself, i.e. a scheduled call.
    function rotateKey(uint256 x, uint256 y) external onlySelf {
        _setKey(_s(), x, y);
    }

    /// @notice Replaces the parameters; refuses any that break an invariant, and never clears `mainnet`.
    /// Only the contract itself, i.e. a scheduled call (at the old `upgradeDelay`).
    function setParams(Params calldata p) external onlySelf {
        SecurityCouncilStorage storage $ = _s();
        if ($.mainnet && !p.mainnet) revert InvalidParameters("mainnet");
        _setParams($, p);
    }

    /// @notice Replaces the targets (zero for none). Only the contract itself, i.e. a scheduled call.
    function setTargets(address newL1Bridge, address newOutputOracle) external onlySelf {
        SecurityCouncilStorage storage $ = _s();
        $.l1Bridge = newL1Bridge;
        $.outputOracle = newOutputOracle;
        emit TargetsChanged(newL1Bridge, newOutputOracle);
    }

    /// @dev Only the contract itself (a scheduled call) may upgrade it.
    function _authorizeUpgrade(address) internal view override onlySelf {}

    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotSelf();
        _;
    }

    // ------------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------------

    /// @dev `_verifyAction` and the `ActionAuthorized` event.
    function _authorize(
        SecurityCouncilStorage storage $,
        uint8 kind,
        address target,
        bytes32 dataHash,
        uint256 actionNonce,
        uint256 deadline,
        Signature calldata sig
    ) private {
        bytes32 digest = _verifyAction($, kind, target, dataHash, actionNonce, deadline, sig);
        emit ActionAuthorized(actionNonce, kind, target, digest);
    }

    /// @dev The signature check and the nonce of every signed action: deadline, nonce, EIP-712 digest, FROST
    /// verification under the stored key, nonce + 1. This is the hot path (contracts/README.md "Security
    /// council" measures it): it touches two storage slots, the hot slot (nonce and key parity, read once and
    /// written once) and the key's x, and allocates no memory. `dataHash` is `keccak256(data)` of the action.
    function _verifyAction(
        SecurityCouncilStorage storage $,
        uint8 kind,
        address target,
        bytes32 dataHash,
        uint256 actionNonce,
        uint256 deadline,
        Signature calldata sig
    ) internal returns (bytes32 digest) {
        if (block.timestamp > deadline) revert ActionExpired(deadline);
        uint256 hot;
        assembly ("memory-safe") {
            hot := sload($.slot)
        }
        uint256 expected = hot & type(uint64).max;
        if (actionNonce != expected) revert InvalidNonce(expected, actionNonce);
        digest = _digest(kind, target, dataHash, actionNonce, deadline);
        // `keyParity` is the bool at byte 8 of the hot slot.
        if (!FrostVerifier.verify(digest, $.keyX, (hot >> 64) & 1, sig.rx, sig.ry, sig.z)) {
            revert InvalidSignature();
        }
        // nonce + 1 in place (the nonce is the slot's low 64 bits); 2^64 - 1 actions can never be signed.
        if (expected == type(uint64).max) revert InvalidNonce(expected, actionNonce);
        assembly ("memory-safe") {
            sstore($.slot, add(hot, 1))
        }
    }

    /// @dev EIP-712: `keccak256(0x1901 || domainSeparator || keccak256(abi.encode(ACTION_TYPEHASH, kind,
    /// target, dataHash, nonce, deadline)))`, built in scratch memory above the free pointer (not
    /// allocated). The domain separator is recomputed (one 160-byte keccak) rather than stored: a storage
    /// read would cost more, and an immutable cannot hold the proxy's address.
    function _digest(uint8 kind, address target, bytes32 dataHash, uint256 actionNonce, uint256 deadline)
        private
        view
        returns (bytes32 digest)
    {
        bytes32 domain = _domainSeparator();
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, ACTION_TYPEHASH)
            // Narrow types may carry dirty high bits in assembly: clean them.
            mstore(add(m, 0x20), and(kind, 0xff))
            mstore(add(m, 0x40), and(target, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x60), dataHash)
            mstore(add(m, 0x80), actionNonce)
            mstore(add(m, 0xa0), deadline)
            let structHash := keccak256(m, 0xc0)
            mstore(m, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x02), domain)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }

    function _domainSeparator() private view returns (bytes32 domain) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, DOMAIN_TYPEHASH)
            mstore(add(m, 0x20), NAME_HASH)
            mstore(add(m, 0x40), VERSION_HASH)
            mstore(add(m, 0x60), chainid())
            mstore(add(m, 0x80), address())
            domain := keccak256(m, 0xa0)
        }
    }

    /// @dev `keccak256(abi.encode(word))` without allocating memory.
    function _hashWord(uint256 word) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, word)
            h := keccak256(0x00, 0x20)
        }
    }

    function _setKey(SecurityCouncilStorage storage $, uint256 x, uint256 y) internal {
        if (x == 0 || x >= FrostVerifier.N || !FrostVerifier.isOnCurve(x, y)) revert InvalidGroupKey();
        $.keyX = x;
        $.keyParity = y & 1 == 1;
        emit GroupKeyChanged(x, uint8(y & 1));
    }

    /// @dev docs/design.md "Parameters and their invariants", the ones the council's parameters touch.
    function _setParams(SecurityCouncilStorage storage $, Params calldata p) private {
        checkParams(p);
        $.upgradeDelay = p.upgradeDelay;
        $.challengePeriod = p.challengePeriod;
        $.forcedInclusionWindow = p.forcedInclusionWindow;
        $.exitWindow = p.exitWindow;
        $.maxPause = p.maxPause;
        $.pauseCooldown = uint48(p.pauseCooldown);
        $.threshold = p.threshold;
        $.members = p.members;
        $.mainnet = p.mainnet;
        emit ParamsChanged(p);
    }

    /// @notice Reverts with `InvalidParameters(reason)` unless `p` satisfies every invariant:
    /// `upgradeDelay >= challengePeriod + forcedInclusionWindow + exitWindow`, all three windows non-zero;
    /// `0 < maxPause`, `0 < pauseCooldown < 2^48`, `maxPause + pauseCooldown <= exitWindow`;
    /// `1 <= threshold <= members`, `threshold >= ceil(0.75 members)`; mainnet: `members >= 8` and
    /// `exitWindow >= 30 days`.
    function checkParams(Params calldata p) public pure {
        if (p.challengePeriod == 0) revert InvalidParameters("challengePeriod");
        if (p.forcedInclusionWindow == 0) revert InvalidParameters("forcedInclusionWindow");
        if (p.exitWindow == 0) revert InvalidParameters("exitWindow");
        if (uint256(p.upgradeDelay) < uint256(p.challengePeriod) + p.forcedInclusionWindow + p.exitWindow) {
            revert InvalidParameters("upgradeDelay");
        }
        if (p.maxPause == 0) revert InvalidParameters("maxPause");
        if (p.pauseCooldown == 0 || p.pauseCooldown > type(uint48).max) {
            revert InvalidParameters("pauseCooldown");
        }
        if (uint256(p.maxPause) + p.pauseCooldown > p.exitWindow) {
            revert InvalidParameters("maxPause + pauseCooldown");
        }
        if (p.members == 0 || p.threshold > p.members) revert InvalidParameters("members");
        if (uint256(p.threshold) * 4 < uint256(p.members) * 3) revert InvalidParameters("threshold");
        if (p.mainnet) {
            if (p.members < 8) revert InvalidParameters("mainnet members");
            if (p.exitWindow < 30 days) revert InvalidParameters("mainnet exitWindow");
        }
    }

    /// @dev The targets' own (live) parameters must fit the council's: the bridge's pause bounds satisfy
    /// `maxPause + pauseCooldown <= exitWindow` (whoever its pauser is); the OutputOracle's challenge period and
    /// the bridge's forced-inclusion window are at most the council's copies; and `upgradeDelay` covers the
    /// live `challengePeriod + forcedInclusionWindow + councilResponseWindow + exitWindow`, so a user can
    /// always force, wait out a disputed covering output, freeze and leave before an upgrade lands. Targets
    /// without code yet (predicted addresses at deployment) are skipped; they are checked again after every
    /// executed call, and the deployer checks them once everything is deployed (`checkTargets`).
    function _checkTargets(SecurityCouncilStorage storage $) private view {
        address bridge = $.l1Bridge;
        uint256 window = $.forcedInclusionWindow;
        if (bridge.code.length != 0) {
            uint256 bridgeMax = IL1Bridge(bridge).maxPause();
            uint256 bridgeCooldown = IL1Bridge(bridge).pauseCooldown();
            if (bridgeCooldown == 0 || bridgeMax + bridgeCooldown > $.exitWindow) {
                revert InvalidParameters("bridge pause bounds");
            }
            window = IL1Bridge(bridge).forcedInclusionWindow();
            if (window > $.forcedInclusionWindow) revert InvalidParameters("bridge forcedInclusionWindow");
        }
        address oracle = $.outputOracle;
        if (oracle.code.length != 0) {
            uint256 period = IOutputOracle(oracle).challengePeriod();
            if (period > $.challengePeriod) revert InvalidParameters("oracle challengePeriod");
            uint256 response = IOutputOracle(oracle).councilResponseWindow();
            if (uint256($.upgradeDelay) < period + window + response + $.exitWindow) {
                revert InvalidParameters("upgradeDelay below live windows");
            }
        }
    }

    /// @notice Reverts with `InvalidParameters(reason)` if the targets' parameters break an invariant
    /// against the council's (see `execute`); view helper for tools.
    function checkTargets() external view {
        _checkTargets(_s());
    }

    function _s() internal pure returns (SecurityCouncilStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @notice The EIP-712 digest of an action under this contract's domain (what the members sign).
    function actionDigest(
        uint8 kind,
        address target,
        bytes calldata data,
        uint256 actionNonce,
        uint256 deadline
    ) external view returns (bytes32) {
        return _digest(kind, target, keccak256(data), actionNonce, deadline);
    }

    /// @notice The EIP-712 domain separator ("Drawbridge Security Council", "1", chain id, this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @notice The nonce the next action must carry.
    function nonce() external view returns (uint256) {
        return _s().nonce;
    }

    /// @notice The group key: its x coordinate and the parity of its y coordinate.
    function groupKey() external view returns (uint256 x, uint8 parity) {
        SecurityCouncilStorage storage $ = _s();
        return ($.keyX, $.keyParity ? 1 : 0);
    }

    /// @notice End of the current or last pause ordered by the council (or the unpause time); 0 if none.
    function pausedUntil() external view returns (uint64) {
        return _s().pausedUntil;
    }

    /// @notice The current parameters.
    function params() external view returns (Params memory p) {
        SecurityCouncilStorage storage $ = _s();
        p = Params({
            upgradeDelay: $.upgradeDelay,
            challengePeriod: $.challengePeriod,
            forcedInclusionWindow: $.forcedInclusionWindow,
            exitWindow: $.exitWindow,
            maxPause: $.maxPause,
            pauseCooldown: $.pauseCooldown,
            threshold: $.threshold,
            members: $.members,
            mainnet: $.mainnet
        });
    }

    /// @notice The timelock delay of scheduled calls.
    function upgradeDelay() external view returns (uint64) {
        return _s().upgradeDelay;
    }

    /// @notice The L1 bridge paused by the council (zero on L2).
    function l1Bridge() external view returns (address) {
        return _s().l1Bridge;
    }

    /// @notice The OutputOracle whose disputes the council resolves (zero on L2).
    function outputOracle() external view returns (address) {
        return _s().outputOracle;
    }

    /// @notice The scheduled call `id` (`eta == 0`: none).
    function operation(bytes32 id) external view returns (Operation memory) {
        return _s().operations[id];
    }
}
