// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {L1Message} from "./Types.sol";
import {BridgedToken} from "./BridgedToken.sol";
import {EscapeHatch} from "./EscapeHatch.sol";
import {L1BridgeState} from "./L1BridgeState.sol";

/// @title The L1 bridge's freeze and escape entry points and their views.
/// @notice Part of `L1Bridge` (its only user), split off along the escape seam: `freeze`, `escape`,
/// `proveEscapeStorageRoot` and `refundDeposit` run the code of this implementation's `EscapeHatch` by
/// delegatecall on the bridge's storage; the L2 state proof helpers and the escape views read it. No storage
/// of its own (the one struct is `L1BridgeState`'s, contracts/STORAGE.md); the two immutables live in the
/// implementation's code.
abstract contract L1BridgeEscape is IL1Bridge, L1BridgeState {
    /// @dev keccak256 of BridgedToken's creation code (it takes no constructor arguments), the init code hash
    /// of every bridged token's CREATE2 address on L2. Compiled from the same source as L2Bridge's copy;
    /// test/Escape.t.sol checks `l2TokenFor` against `L2Bridge.predictBridgedToken`.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    bytes32 private immutable BRIDGED_TOKEN_CODE_HASH;

    /// @dev The code of `escape` and `refundDeposit` (run by delegatecall) and the Merkle-Patricia proof
    /// checks, deployed by this implementation's constructor: with them the bridge would exceed the
    /// 24,576-byte code size limit of EIP-170. An upgrade brings its own hatch.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    EscapeHatch private immutable ESCAPE_HATCH;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        BRIDGED_TOKEN_CODE_HASH = keccak256(type(BridgedToken).creationCode);
        ESCAPE_HATCH = new EscapeHatch(BRIDGED_TOKEN_CODE_HASH);
    }

    // ------------------------------------------------------------------------------------------------
    // Freeze
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev Runs EscapeHatch's code on this contract's storage (delegatecall).
    function freeze(uint64) external {
        _runEscapeHatch();
    }

    /// @inheritdoc IL1Bridge
    function canFreeze(uint64 forcedNonce) external view returns (bool) {
        L1BridgeStorage storage $ = _s();
        if ($.frozen) return false;
        uint64 requestedAt = $.forcedRequestedAt[forcedNonce];
        if (requestedAt == 0 || block.timestamp < _freezeAt($, requestedAt)) return false;
        (bool has,, IOutputOracle.Output memory o) = _newestFinalOutput($.outputOracle);
        if (has && o.l1MessagesProcessed > forcedNonce) return false;
        return block.timestamp >= _freezeAtWithVerdict($, forcedNonce, requestedAt);
    }

    // ------------------------------------------------------------------------------------------------
    // Escape and refunds (frozen only)
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev Runs EscapeHatch's code on this contract's storage (delegatecall).
    function escape(address, address, bytes[] calldata, bytes[] calldata) external returns (uint256) {
        _runEscapeHatch();
    }

    /// @inheritdoc IL1Bridge
    /// @dev Runs EscapeHatch's code on this contract's storage (delegatecall).
    function proveEscapeStorageRoot(address, bytes[] calldata) external returns (bytes32) {
        _runEscapeHatch();
    }

    /// @inheritdoc IL1Bridge
    /// @dev Runs EscapeHatch's code on this contract's storage (delegatecall).
    function refundDeposit(L1Message calldata, bytes32[] calldata) external {
        _runEscapeHatch();
    }

    /// @dev Delegates the current call to ESCAPE_HATCH and returns or reverts with its result. The hatch's
    /// functions take the reentrancy lock themselves (transient storage of this contract).
    function _runEscapeHatch() private {
        address hatch = address(ESCAPE_HATCH);
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), hatch, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ------------------------------------------------------------------------------------------------
    // L2 state proofs
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    function verifyL2Balance(
        bytes32 l2StateRoot,
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external view returns (uint256 balance) {
        EscapeHatch hatch = ESCAPE_HATCH;
        return hatch.balanceUnder(
            hatch.tokenStorageRoot(
                l2StateRoot, _l2TokenFor(BRIDGED_TOKEN_CODE_HASH, _s().l2Bridge, l1Token), accountProof
            ),
            account,
            storageProof
        );
    }

    /// @inheritdoc IL1Bridge
    function l2TokenStorageRoot(bytes32 l2StateRoot, address l1Token, bytes[] calldata accountProof)
        external
        view
        returns (bytes32 storageRoot)
    {
        return ESCAPE_HATCH.tokenStorageRoot(
            l2StateRoot, _l2TokenFor(BRIDGED_TOKEN_CODE_HASH, _s().l2Bridge, l1Token), accountProof
        );
    }

    /// @inheritdoc IL1Bridge
    function l2BalanceUnder(bytes32 storageRoot, address account, bytes[] calldata storageProof)
        external
        view
        returns (uint256 balance)
    {
        return ESCAPE_HATCH.balanceUnder(storageRoot, account, storageProof);
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    function escapeHatch() external view returns (address) {
        return address(ESCAPE_HATCH);
    }

    /// @inheritdoc IL1Bridge
    function forcedWithdrawalFreezeAt(uint64 nonce) external view returns (uint64) {
        L1BridgeStorage storage $ = _s();
        uint64 requestedAt = $.forcedRequestedAt[nonce];
        return requestedAt == 0 ? 0 : _freezeAt($, requestedAt);
    }

    /// @inheritdoc IL1Bridge
    function escapeOutput()
        external
        view
        returns (
            bool hasEscapeOutput,
            uint256 outputIndex,
            bytes32 l2StateRoot,
            bytes32 withdrawalRoot,
            uint64 l1MessagesProcessed
        )
    {
        L1BridgeStorage storage $ = _s();
        return (
            $.hasEscapeOutput,
            $.escapeOutputIndex,
            $.escapeStateRoot,
            $.escapeWithdrawalRoot,
            $.escapeMessagesProcessed
        );
    }

    /// @inheritdoc IL1Bridge
    function hasEscaped(address l1Token, address account) external view returns (bool) {
        return _s().escaped[l1Token][account];
    }

    /// @inheritdoc IL1Bridge
    function escapeStorageRoot(address l1Token) external view returns (bytes32) {
        return _s().escapeStorageRoots[l1Token];
    }

    /// @inheritdoc IL1Bridge
    function isRefunded(uint64 nonce) external view returns (bool) {
        return _s().refunded[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IL1Bridge
    function l2TokenFor(address l1Token) external view returns (address) {
        return _l2TokenFor(BRIDGED_TOKEN_CODE_HASH, _s().l2Bridge, l1Token);
    }
}
