// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {IncrementalMerkle} from "./lib/IncrementalMerkle.sol";
import {Hashing} from "./lib/Hashing.sol";
import {TokenMetadata} from "./lib/TokenMetadata.sol";
import {PauseWindow} from "./lib/PauseWindow.sol";
import {Governed} from "./lib/Governed.sol";
import {L1BridgeEscape} from "./L1BridgeEscape.sol";

/// @title Drawbridge L1 bridge: escrow, the L1->L2 message tree, withdrawal finalization, forced
/// withdrawals, freeze and escape.
/// @notice UUPS implementation behind an ERC1967Proxy; all state lives in one ERC-7201 namespaced struct
/// (see contracts/STORAGE.md). Deposits append one leaf to the message tree (one frontier slot and the
/// packed hot slot); anyone commits the current root with `commitMessageRoot`. Withdrawals are proven
/// against the `withdrawalRoot` of a final output of the OutputOracle and spent by nonce in a bitmap.
/// A forced withdrawal the operator leaves unprocessed past its freeze time lets anyone freeze the bridge
/// for good; then L2 balances at the last final output are paid against Merkle-Patricia proofs (`escape`)
/// and deposits L2 never processed are refunded (docs/design.md "Forced withdrawal, freeze and escape"): those
/// entry points and their views are in `L1BridgeEscape`, governance and upgrade authorization in `Governed`.
contract L1Bridge is L1BridgeEscape, Initializable, Governed, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using IncrementalMerkle for IncrementalMerkle.Tree;

    /// @dev `data` of the first ETH deposit: abi.encode("Ether", "ETH", uint8(18)).
    string private constant ETH_NAME = "Ether";
    string private constant ETH_SYMBOL = "ETH";
    uint8 private constant ETH_DECIMALS = 18;

    /// @notice Upper bound of `forcedInclusionWindow` (finite, like the OutputOracle's periods).
    uint64 public constant MAX_FORCED_INCLUSION_WINDOW = 365 days;

    /// @custom:oz-upgrades-unsafe-allow constructor
    /// @dev `L1BridgeEscape`'s constructor deploys the EscapeHatch first.
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy. Validates every parameter.
    /// @dev `outputOracle` and `l2Bridge` may not have code yet (both chains are deployed with predicted
    /// addresses), so only non-zero is checked.
    function initialize(InitParams calldata p) external initializer {
        if (p.governance == address(0)) revert InvalidParameters("governance");
        if (p.pauser == address(0)) revert InvalidParameters("pauser");
        if (p.outputOracle == address(0)) revert InvalidParameters("outputOracle");
        if (p.l2ChainId == 0 || p.l2ChainId > type(uint64).max || p.l2ChainId == block.chainid) {
            revert InvalidParameters("l2ChainId");
        }
        if (p.l2Bridge == address(0)) revert InvalidParameters("l2Bridge");
        if (p.maxPause == 0) revert InvalidParameters("maxPause");
        if (p.pauseCooldown == 0) revert InvalidParameters("pauseCooldown");
        if (p.forcedInclusionWindow == 0 || p.forcedInclusionWindow > MAX_FORCED_INCLUSION_WINDOW) {
            revert InvalidParameters("forcedInclusionWindow");
        }
        L1BridgeStorage storage $ = _s();
        $.governance = p.governance;
        $.pauser = p.pauser;
        $.outputOracle = p.outputOracle;
        $.l2ChainId = uint64(p.l2ChainId);
        $.l2Bridge = p.l2Bridge;
        $.maxPause = p.maxPause;
        $.pauseCooldown = p.pauseCooldown;
        $.forcedInclusionWindow = p.forcedInclusionWindow;
        emit GovernanceChanged(p.governance);
        emit PauserChanged(p.pauser);
        emit PauseBoundsChanged(p.maxPause, p.pauseCooldown);
    }

    // ------------------------------------------------------------------------------------------------
    // Deposits
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    function depositETH(address l2Recipient) external payable nonReentrant returns (uint64 nonce) {
        if (l2Recipient == address(0)) revert ZeroRecipient();
        if (msg.value == 0) revert ZeroAmount();
        L1BridgeStorage storage $ = _s();
        _checkOpen($);
        uint256 escrow = uint256($.ethEscrowed) + msg.value;
        if (escrow > type(uint112).max) revert InvalidParameters("eth escrow overflow");
        $.ethEscrowed = uint112(escrow);
        bytes memory data;
        if (!$.ethAnnounced) {
            $.ethAnnounced = true;
            data = abi.encode(ETH_NAME, ETH_SYMBOL, ETH_DECIMALS);
            emit TokenAnnounced(address(0), ETH_NAME, ETH_SYMBOL, ETH_DECIMALS);
        }
        nonce = _sendMessage($, Hashing.KIND_DEPOSIT, l2Recipient, address(0), msg.value, data);
    }

    /// @inheritdoc IL1Bridge
    /// @dev Credits the bridge's balance delta across `transferFrom` (fee-on-transfer tokens are credited
    /// what arrived). The first deposit of a token rejects code-less addresses and carries the token's
    /// metadata (read with fallbacks, see TokenMetadata) in `data`.
    function depositERC20(address token, address l2Recipient, uint256 amount)
        external
        nonReentrant
        returns (uint64 nonce)
    {
        if (l2Recipient == address(0)) revert ZeroRecipient();
        if (amount == 0) revert ZeroAmount();
        if (token == address(0)) revert InvalidToken(token);
        L1BridgeStorage storage $ = _s();
        _checkOpen($);
        TokenState memory state = $.tokens[token];
        bytes memory data;
        if (!state.announced) {
            if (token.code.length == 0) revert InvalidToken(token);
            (string memory name, string memory symbol, uint8 decimals) = TokenMetadata.read(token);
            data = abi.encode(name, symbol, decimals);
            state.announced = true;
            emit TokenAnnounced(token, name, symbol, decimals);
        }
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 afterBalance = IERC20(token).balanceOf(address(this));
        if (afterBalance <= before) revert NothingArrived();
        uint256 received = afterBalance - before;
        uint256 escrow = uint256(state.escrowed) + received;
        if (escrow > type(uint248).max) revert InvalidParameters("escrow overflow");
        state.escrowed = uint248(escrow);
        $.tokens[token] = state;
        nonce = _sendMessage($, Hashing.KIND_DEPOSIT, l2Recipient, token, received, data);
    }

    /// @dev Appends a message from `msg.sender` to the tree and bumps the count in the hot slot.
    function _sendMessage(
        L1BridgeStorage storage $,
        uint8 kind,
        address l2Recipient,
        address token,
        uint256 amount,
        bytes memory data
    ) private returns (uint64 nonce) {
        nonce = $.messageCount;
        bytes32 dataHash = data.length == 0 ? Hashing.EMPTY_DATA_HASH : keccak256(data);
        bytes32 leaf = Hashing.l1MessageLeaf(
            block.chainid, address(this), kind, nonce, msg.sender, l2Recipient, token, amount, dataHash
        );
        $.messageTree.push(nonce, leaf);
        unchecked {
            $.messageCount = nonce + 1; // push reverts long before 2^64
        }
        emit MessageSent(nonce, kind, msg.sender, l2Recipient, token, amount, data, leaf);
    }

    /// @dev Deposits need the bridge neither paused nor frozen. Reads the hot slot only.
    function _checkOpen(L1BridgeStorage storage $) private view {
        if ($.frozen) revert BridgeFrozen();
        uint64 until = $.pausedUntil;
        if (block.timestamp < until) revert BridgePaused(until);
    }

    // ------------------------------------------------------------------------------------------------
    // Message roots
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev Committing twice at the same count is a no-op returning the existing root. The empty tree is
    /// never committed (reverts `NoMessages`).
    function commitMessageRoot() external returns (bytes32 root, uint64 count) {
        L1BridgeStorage storage $ = _s();
        count = $.messageCount;
        if (count == 0) revert NoMessages();
        if (count == $.lastCommittedCount) return ($.lastCommittedRoot, count);
        root = $.messageTree.root(count);
        $.messageRootCount[root] = count;
        $.lastCommittedRoot = root;
        $.lastCommittedCount = count;
        emit MessageRootCommitted(root, count);
    }

    // ------------------------------------------------------------------------------------------------
    // Withdrawals
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev Reverts `OutputNotFinal` unless output `outputIndex` is final now, `InvalidProof` unless the
    /// short proof places the withdrawal's leaf at index `nonce` under its `withdrawalRoot`,
    /// `AlreadyFinalized` if this nonce was paid before, `InsufficientEscrow` if paying would exceed escrow.
    /// After the freeze: not stopped by a pause, and only for outputs up to the escape output.
    function finalizeWithdrawal(Withdrawal calldata withdrawal, uint256 outputIndex, bytes32[] calldata proof)
        external
        nonReentrant
    {
        L1BridgeStorage storage $ = _s();
        bytes32 root = _frozenOrUnpausedRoot($, outputIndex);
        if (root == bytes32(0)) root = _finalWithdrawalRoot($.outputOracle, outputIndex);
        bytes32 leaf = _withdrawalLeaf($, withdrawal);
        if (!IncrementalMerkle.verify(root, leaf, withdrawal.nonce, proof)) revert InvalidProof();
        if (!_markSpent($, withdrawal.nonce)) revert AlreadyFinalized(withdrawal.nonce);
        _release($, withdrawal, outputIndex);
    }

    /// @inheritdoc IL1Bridge
    /// @dev All-or-nothing, except that withdrawals already paid (for example by a competing relayer) are
    /// skipped silently. Any other failure reverts the whole batch.
    function finalizeWithdrawals(WithdrawalClaim[] calldata claims, uint256 outputIndex)
        external
        nonReentrant
    {
        uint256 n = claims.length;
        if (n == 0) revert EmptyBatch();
        L1BridgeStorage storage $ = _s();
        bytes32 root = _frozenOrUnpausedRoot($, outputIndex);
        if (root == bytes32(0)) root = _fetchAndCacheRoot($, outputIndex, false);
        uint256 chainId = $.l2ChainId;
        address bridge = $.l2Bridge;
        for (uint256 i; i < n; ++i) {
            WithdrawalClaim calldata claim = claims[i];
            Withdrawal calldata w = claim.withdrawal;
            bytes32 leaf =
                Hashing.withdrawalLeaf(chainId, bridge, w.nonce, w.sender, w.recipient, w.l1Token, w.amount);
            if (!IncrementalMerkle.verify(root, leaf, w.nonce, claim.proof)) revert InvalidProof();
            if (!_markSpent($, w.nonce)) continue;
            _release($, w, outputIndex);
        }
    }

    /// @dev The withdrawal root the bridge already knows for `outputIndex` (zero: ask the oracle).
    /// Not frozen: reverts while paused, then the settled-root cache. Frozen: the pause no longer applies;
    /// outputs after the escape output are refused (their withdrawals are not in the escape state, whose
    /// balances escape pays), the escape output's root is the snapshot taken by `freeze`.
    function _frozenOrUnpausedRoot(L1BridgeStorage storage $, uint256 outputIndex)
        private
        view
        returns (bytes32 root)
    {
        if (!$.frozen) {
            _checkNotPaused($);
        } else {
            if (!$.hasEscapeOutput || outputIndex > $.escapeOutputIndex) {
                revert OutputAfterEscape(outputIndex);
            }
            if (outputIndex == $.escapeOutputIndex) return $.escapeWithdrawalRoot;
        }
        root = $.settledRoots[outputIndex];
    }

    /// @inheritdoc IL1Bridge
    function cacheOutputRoot(uint256 outputIndex) external returns (bytes32 withdrawalRoot) {
        L1BridgeStorage storage $ = _s();
        withdrawalRoot = $.settledRoots[outputIndex];
        if (withdrawalRoot == bytes32(0)) withdrawalRoot = _fetchAndCacheRoot($, outputIndex, true);
    }

    /// @dev Asks the oracle for a final output's root and caches it when the output is settled (a settled
    /// output can never change, be deleted or stop being final, so the cache can never go stale).
    function _fetchAndCacheRoot(L1BridgeStorage storage $, uint256 outputIndex, bool requireSettled)
        private
        returns (bytes32 root)
    {
        bool settled;
        try IOutputOracle($.outputOracle).finalWithdrawalRootInfo(outputIndex) returns (bytes32 r, bool s) {
            (root, settled) = (r, s);
        } catch {
            revert OutputNotFinal(outputIndex);
        }
        if (settled && root != bytes32(0)) {
            $.settledRoots[outputIndex] = root;
            emit OutputRootCached(outputIndex, root);
        } else if (requireSettled) {
            revert OutputNotSettled(outputIndex);
        }
    }

    /// @dev Sets the spent bit of `nonce`; false if it was already set.
    function _markSpent(L1BridgeStorage storage $, uint64 nonce) private returns (bool) {
        uint256 word = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = $.spent[word];
        if (bits & bit != 0) return false;
        $.spent[word] = bits | bit;
        return true;
    }

    /// @dev Takes `amount` out of escrow, emits, then pays (checks-effects-interactions).
    function _release(L1BridgeStorage storage $, Withdrawal calldata w, uint256 outputIndex) private {
        _takeFromEscrow($, w.l1Token, w.amount);
        emit WithdrawalFinalized(w.nonce, w.recipient, w.l1Token, w.amount, outputIndex);
        _pay(w.l1Token, w.recipient, w.amount);
    }

    /// @dev `withdrawalRoot` of a final output; `OutputNotFinal` for anything else.
    function _finalWithdrawalRoot(address oracle, uint256 outputIndex) private view returns (bytes32 root) {
        try IOutputOracle(oracle).finalWithdrawalRoot(outputIndex) returns (bytes32 r) {
            root = r;
        } catch {
            revert OutputNotFinal(outputIndex);
        }
    }

    function _withdrawalLeaf(L1BridgeStorage storage $, Withdrawal calldata w)
        private
        view
        returns (bytes32)
    {
        return Hashing.withdrawalLeaf(
            $.l2ChainId, $.l2Bridge, w.nonce, w.sender, w.recipient, w.l1Token, w.amount
        );
    }

    /// @dev Withdrawal finalization stops while paused, before the freeze only.
    function _checkNotPaused(L1BridgeStorage storage $) private view {
        uint64 until = $.pausedUntil;
        if (block.timestamp < until) revert BridgePaused(until);
    }

    // ------------------------------------------------------------------------------------------------
    // Forced withdrawal (freeze and escape: L1BridgeEscape)
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev Kind 2 message: sender = recipient = `msg.sender`, empty data. Only tokens that were deposited
    /// before (so L2 processes their announcing deposit first); the requested amount is an upper bound,
    /// L2 burns what the account holds. Not stopped by a pause. Stores the request time (one slot).
    function requestForcedWithdrawal(address token, uint256 amount)
        external
        nonReentrant
        returns (uint64 nonce)
    {
        if (amount == 0) revert ZeroAmount();
        // Burns the L2 balance of the caller's address: only an externally owned account is the same owner
        // on both chains (a contract's address may be someone else's contract on L2: cross-chain replay).
        // slither-disable-next-line tx-origin
        if (msg.sender != tx.origin) revert SenderNotEOA(msg.sender);
        L1BridgeStorage storage $ = _s();
        if ($.frozen) revert BridgeFrozen();
        if (!(token == address(0) ? $.ethAnnounced : $.tokens[token].announced)) revert InvalidToken(token);
        nonce = _sendMessage($, Hashing.KIND_FORCED_WITHDRAWAL, msg.sender, token, amount, "");
        uint64 requestedAt = uint64(block.timestamp);
        $.forcedRequestedAt[nonce] = requestedAt;
        emit ForcedWithdrawalRequested(nonce, msg.sender, token, amount, _freezeAt($, requestedAt));
    }

    // ------------------------------------------------------------------------------------------------
    // Pause
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev At most `maxPause` seconds, and not before `pauseCooldown` has passed since the previous pause
    /// ended (a pause ends at `pausedUntil`, or when `unpause` is called).
    function pause(uint64 duration) external {
        L1BridgeStorage storage $ = _s();
        if (msg.sender != $.pauser) revert NotPauser();
        if (duration == 0) revert InvalidParameters("duration");
        if (duration > $.maxPause) revert PauseTooLong(duration, $.maxPause);
        uint64 last = $.pausedUntil;
        if (last != 0) PauseWindow.checkCooldown(last, $.pauseCooldown);
        uint64 until = uint64(block.timestamp) + duration;
        $.pausedUntil = until;
        emit Paused(until);
    }

    /// @inheritdoc IL1Bridge
    /// @dev The pause counts as ended now, which starts the cooldown.
    function unpause() external {
        L1BridgeStorage storage $ = _s();
        if (msg.sender != $.pauser) revert NotPauser();
        if (block.timestamp >= $.pausedUntil) revert NotPaused();
        $.pausedUntil = uint64(block.timestamp);
        emit Unpaused();
    }

    // ------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    function setPauser(address newPauser) external onlyGovernance {
        if (newPauser == address(0)) revert InvalidParameters("pauser");
        _s().pauser = newPauser;
        emit PauserChanged(newPauser);
    }

    /// @inheritdoc IL1Bridge
    function setPauseBounds(uint64 newMaxPause, uint64 newPauseCooldown) external onlyGovernance {
        if (newMaxPause == 0) revert InvalidParameters("maxPause");
        if (newPauseCooldown == 0) revert InvalidParameters("pauseCooldown");
        L1BridgeStorage storage $ = _s();
        $.maxPause = newMaxPause;
        $.pauseCooldown = newPauseCooldown;
        emit PauseBoundsChanged(newMaxPause, newPauseCooldown);
    }

    /// @dev Only governance may upgrade (`Governed`), and never once frozen: the freeze is terminal, so no new
    /// code can clear it or change what the escape pays (as StarkEx's proxy refuses upgrades once frozen).
    function _authorizeUpgrade(address newImplementation) internal view override {
        super._authorizeUpgrade(newImplementation);
        if (_s().frozen) revert BridgeFrozen();
    }

    /// @dev `Governed`'s view of `governance`, kept in the struct's slot 3.
    function _governance() internal view override returns (address) {
        return _s().governance;
    }

    function _setGovernance(address newGovernance) internal override {
        _s().governance = newGovernance;
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    function messageCount() external view returns (uint64) {
        return _s().messageCount;
    }

    /// @inheritdoc IL1Bridge
    function messageRoot() external view returns (bytes32) {
        L1BridgeStorage storage $ = _s();
        return $.messageTree.root($.messageCount);
    }

    /// @inheritdoc IL1Bridge
    function messageRootCount(bytes32 root) external view returns (uint64) {
        return _s().messageRootCount[root];
    }

    /// @inheritdoc IL1Bridge
    function lastCommittedRoot() external view returns (bytes32 root, uint64 count) {
        L1BridgeStorage storage $ = _s();
        return ($.lastCommittedRoot, $.lastCommittedCount);
    }

    /// @inheritdoc IL1Bridge
    function isWithdrawalFinalized(uint64 nonce) external view returns (bool) {
        return _s().spent[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IL1Bridge
    function withdrawalLeaf(Withdrawal calldata withdrawal) external view returns (bytes32) {
        return _withdrawalLeaf(_s(), withdrawal);
    }

    /// @inheritdoc IL1Bridge
    function pausedUntil() external view returns (uint64) {
        return _s().pausedUntil;
    }

    /// @inheritdoc IL1Bridge
    function escrowed(address token) external view returns (uint256) {
        L1BridgeStorage storage $ = _s();
        return token == address(0) ? $.ethEscrowed : $.tokens[token].escrowed;
    }

    /// @inheritdoc IL1Bridge
    function isTokenAnnounced(address token) external view returns (bool) {
        L1BridgeStorage storage $ = _s();
        return token == address(0) ? $.ethAnnounced : $.tokens[token].announced;
    }

    /// @inheritdoc IL1Bridge
    function frozen() external view returns (bool) {
        return _s().frozen;
    }

    /// @inheritdoc IL1Bridge
    function outputOracle() external view returns (address) {
        return _s().outputOracle;
    }

    /// @inheritdoc IL1Bridge
    function l2ChainId() external view returns (uint256) {
        return _s().l2ChainId;
    }

    /// @inheritdoc IL1Bridge
    function l2Bridge() external view returns (address) {
        return _s().l2Bridge;
    }

    /// @inheritdoc IL1Bridge
    function pauser() external view returns (address) {
        return _s().pauser;
    }

    /// @inheritdoc IL1Bridge
    function cachedOutputRoot(uint256 outputIndex) external view returns (bytes32) {
        return _s().settledRoots[outputIndex];
    }

    /// @inheritdoc IL1Bridge
    function maxPause() external view returns (uint64) {
        return _s().maxPause;
    }

    /// @inheritdoc IL1Bridge
    function pauseCooldown() external view returns (uint64) {
        return _s().pauseCooldown;
    }

    /// @inheritdoc IL1Bridge
    function forcedInclusionWindow() external view returns (uint64) {
        return _s().forcedInclusionWindow;
    }
}
