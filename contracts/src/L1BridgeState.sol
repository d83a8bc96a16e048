// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {IncrementalMerkle} from "./lib/IncrementalMerkle.sol";

/// @title The L1 bridge's storage and the payout code shared by L1Bridge and its EscapeHatch.
/// @notice Both contracts run on the L1Bridge proxy's storage (the hatch by delegatecall), so both read the
/// one ERC-7201 struct declared here (layout: contracts/STORAGE.md) and pay out through the same
/// escrow-checked functions.
abstract contract L1BridgeState {
    using SafeERC20 for IERC20;

    /// @notice Escrow and announcement flag of an ERC-20, packed in one slot.
    struct TokenState {
        uint248 escrowed;
        bool announced;
    }

    /// @custom:storage-location erc7201:drawbridge.storage.L1Bridge
    struct L1BridgeStorage {
        // slot 0, the hot slot: everything a deposit and an ETH withdrawal touch besides the tree.
        uint64 messageCount;
        uint64 pausedUntil;
        uint112 ethEscrowed;
        bool ethAnnounced;
        bool frozen;
        // slot 1
        address outputOracle;
        uint64 l2ChainId;
        // slot 2
        address l2Bridge;
        // slot 3
        address governance;
        // slot 4
        address pauser;
        uint64 maxPause;
        // slot 5
        uint64 pauseCooldown;
        uint64 lastCommittedCount;
        // slot 6
        bytes32 lastCommittedRoot;
        // slots 7..38
        IncrementalMerkle.Tree messageTree;
        // slot 39
        mapping(bytes32 root => uint64 count) messageRootCount;
        // slot 40
        mapping(address token => TokenState) tokens;
        // slot 41: bit (nonce & 255) of word (nonce >> 8) is set once withdrawal `nonce` is paid.
        mapping(uint256 word => uint256 bits) spent;
        // slot 42: withdrawal roots of settled outputs (see cacheOutputRoot).
        mapping(uint256 outputIndex => bytes32 withdrawalRoot) settledRoots;
        // slot 43: the parameter and the escape output's scalars (written once, by freeze).
        uint64 forcedInclusionWindow;
        uint64 escapeOutputIndex;
        uint64 escapeMessagesProcessed;
        bool hasEscapeOutput;
        // slot 44
        bytes32 escapeStateRoot;
        // slot 45
        bytes32 escapeWithdrawalRoot;
        // slot 46: block.timestamp of each forced withdrawal request (zero for every other nonce).
        mapping(uint64 nonce => uint64 requestedAt) forcedRequestedAt;
        // slot 47
        mapping(address l1Token => mapping(address account => bool)) escaped;
        // slot 48: bit (nonce & 255) of word (nonce >> 8) is set once deposit `nonce` is refunded.
        mapping(uint256 word => uint256 bits) refunded;
        // slot 49: storage roots of bridged tokens proven under the escape state root (see escape).
        mapping(address l1Token => bytes32 storageRoot) escapeStorageRoots;
    }

    // keccak256(abi.encode(uint256(keccak256("drawbridge.storage.L1Bridge")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0xb707303b2b5e1d0a3fab0ff3177954319b7d7b0b6cc252c12aeca645d17b4000;

    /// @dev Lowers the escrow of `token` by `amount`; `InsufficientEscrow` if it holds less: the bridge
    /// never pays out more than was deposited, whatever an output or a state proof claims.
    function _takeFromEscrow(L1BridgeStorage storage $, address token, uint256 amount) internal {
        if (token == address(0)) {
            uint256 available = $.ethEscrowed;
            if (amount > available) revert IL1Bridge.InsufficientEscrow(token, amount, available);
            unchecked {
                $.ethEscrowed = uint112(available - amount);
            }
        } else {
            TokenState storage state = $.tokens[token];
            uint256 available = state.escrowed;
            if (amount > available) revert IL1Bridge.InsufficientEscrow(token, amount, available);
            unchecked {
                state.escrowed = uint248(available - amount);
            }
        }
    }

    /// @dev Sends `amount` of `token` (`address(0)`: ETH, with all gas) to `recipient`.
    function _pay(address token, address recipient, uint256 amount) internal {
        if (token == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(gas(), recipient, amount, 0, 0, 0, 0)
            }
            if (!ok) revert IL1Bridge.EthTransferFailed(recipient);
        } else {
            IERC20(token).safeTransfer(recipient, amount);
        }
    }

    /// @dev CREATE2 address of the BridgedToken of `l1Token` deployed by `l2Bridge` (see L2Bridge);
    /// `codeHash` is keccak256 of BridgedToken's creation code.
    function _l2TokenFor(bytes32 codeHash, address l2Bridge, address l1Token)
        internal
        pure
        returns (address)
    {
        return Create2.computeAddress(bytes32(uint256(uint160(l1Token))), codeHash, l2Bridge);
    }

    /// @dev `requestedAt + forcedInclusionWindow + challengePeriod`: an output covering the request that is
    /// proposed by the end of the window is final exactly then, so an operator who processed it in time is
    /// never frozen. Both parameters are bounded by 365 days, so this fits a uint64.
    function _freezeAt(L1BridgeStorage storage $, uint64 requestedAt) internal view returns (uint64) {
        return requestedAt + $.forcedInclusionWindow + IOutputOracle($.outputOracle).challengePeriod();
    }

    /// @dev When forced withdrawal `nonce` (requested at `requestedAt`) may be frozen, given that no final output
    /// covers it: `_freezeAt`, or `councilResponseWindow` later while the first output covering it was proposed
    /// within the forced-inclusion window (timely) and awaits a verdict (not final), so that one last-second
    /// challenge cannot freeze an honest operator; a slow council or a lying timely proposer delays the freeze
    /// by at most that window.
    function _freezeAtWithVerdict(L1BridgeStorage storage $, uint64 nonce, uint64 requestedAt)
        internal
        view
        returns (uint256)
    {
        uint256 at = _freezeAt($, requestedAt);
        IOutputOracle oracle = IOutputOracle($.outputOracle);
        (bool found, uint256 index, uint64 proposedAt) = oracle.firstCovering(nonce);
        if (found && proposedAt <= uint256(requestedAt) + $.forcedInclusionWindow && !oracle.isFinal(index)) {
            at += oracle.councilResponseWindow();
        }
        return at;
    }

    /// @dev The newest final output, if any. Only the oracle's own "none is final" answer (`NotFinal(0)`)
    /// means none: any other failure (for example running out of gas inside the call) reverts, so a caller
    /// cannot make the freeze snapshot "no output" by starving the call.
    function _newestFinalOutput(address oracle)
        internal
        view
        returns (bool has, uint256 index, IOutputOracle.Output memory o)
    {
        try IOutputOracle(oracle).latestFinalIndex() returns (uint256 i) {
            (has, index) = (true, i);
        } catch (bytes memory reason) {
            if (keccak256(reason) != keccak256(abi.encodeWithSelector(IOutputOracle.NotFinal.selector, 0))) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
        if (has) o = IOutputOracle(oracle).getOutput(index);
    }

    function _s() internal pure returns (L1BridgeStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
