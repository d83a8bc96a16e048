// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {RLP} from "@openzeppelin/contracts/utils/RLP.sol";
import {TrieProof} from "@openzeppelin/contracts/utils/cryptography/TrieProof.sol";

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {IncrementalMerkle} from "./lib/IncrementalMerkle.sol";
import {Hashing} from "./lib/Hashing.sol";
import {TokenMetadata} from "./lib/TokenMetadata.sol";
import {BridgedToken} from "./BridgedToken.sol";

/// @title Drawbridge L1 bridge: escrow, the L1->L2 message tree, withdrawal finalization, forced
/// withdrawals, freeze and escape.
/// @notice UUPS implementation behind an ERC1967Proxy; all state lives in one ERC-7201 namespaced struct
/// (see contracts/STORAGE.md). Deposits append one leaf to the message tree (one frontier slot and the
/// packed hot slot); anyone commits the current root with `commitMessageRoot`. Withdrawals are proven
/// against the `withdrawalRoot` of a final output of the OutputOracle and spent by nonce in a bitmap.
/// A forced withdrawal the operator leaves unprocessed past its freeze time lets anyone freeze the bridge
/// for good; then L2 balances at the last final output are paid against Merkle-Patricia proofs (`escape`)
/// and deposits L2 never processed are refunded (docs/protocol.md "Forced withdrawal, freeze and escape").
contract L1Bridge is IL1Bridge, Initializable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using IncrementalMerkle for IncrementalMerkle.Tree;
    using RLP for bytes;
    using Memory for Memory.Slice;

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

    /// @dev `data` of the first ETH deposit: abi.encode("Ether", "ETH", uint8(18)).
    string private constant ETH_NAME = "Ether";
    string private constant ETH_SYMBOL = "ETH";
    uint8 private constant ETH_DECIMALS = 18;

    /// @notice Upper bound of `forcedInclusionWindow` (finite, like the OutputOracle's periods).
    uint64 public constant MAX_FORCED_INCLUSION_WINDOW = 365 days;

    /// @dev keccak256 of BridgedToken's creation code (it takes no constructor arguments), the init code hash
    /// of every bridged token's CREATE2 address on L2. Compiled from the same source as L2Bridge's copy;
    /// test/Escape.t.sol checks `l2TokenFor` against `L2Bridge.predictBridgedToken`.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    bytes32 private immutable BRIDGED_TOKEN_CODE_HASH;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        BRIDGED_TOKEN_CODE_HASH = keccak256(type(BridgedToken).creationCode);
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

    /// @dev Lowers the escrow of `token` by `amount`; `InsufficientEscrow` if it holds less: the bridge
    /// never pays out more than was deposited, whatever an output or a state proof claims.
    function _takeFromEscrow(L1BridgeStorage storage $, address token, uint256 amount) private {
        if (token == address(0)) {
            uint256 available = $.ethEscrowed;
            if (amount > available) revert InsufficientEscrow(token, amount, available);
            unchecked {
                $.ethEscrowed = uint112(available - amount);
            }
        } else {
            TokenState storage state = $.tokens[token];
            uint256 available = state.escrowed;
            if (amount > available) revert InsufficientEscrow(token, amount, available);
            unchecked {
                state.escrowed = uint248(available - amount);
            }
        }
    }

    /// @dev Sends `amount` of `token` (`address(0)`: ETH, with all gas) to `recipient`.
    function _pay(address token, address recipient, uint256 amount) private {
        if (token == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(gas(), recipient, amount, 0, 0, 0, 0)
            }
            if (!ok) revert EthTransferFailed(recipient);
        } else {
            IERC20(token).safeTransfer(recipient, amount);
        }
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
    // Forced withdrawal and freeze
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
        L1BridgeStorage storage $ = _s();
        if ($.frozen) revert BridgeFrozen();
        if (!(token == address(0) ? $.ethAnnounced : $.tokens[token].announced)) revert InvalidToken(token);
        nonce = _sendMessage($, Hashing.KIND_FORCED_WITHDRAWAL, msg.sender, token, amount, "");
        uint64 requestedAt = uint64(block.timestamp);
        $.forcedRequestedAt[nonce] = requestedAt;
        emit ForcedWithdrawalRequested(nonce, msg.sender, token, amount, _freezeAt($, requestedAt));
    }

    /// @inheritdoc IL1Bridge
    /// @dev Anyone; not stopped by a pause. `BridgeFrozen` if already frozen, `NotForcedWithdrawal` for
    /// another nonce, `NotOverdue` before the freeze time or when the newest final output (outputs'
    /// `l1MessagesProcessed` never decreases, so it has the largest) processed the forced withdrawal.
    function freeze(uint64 forcedNonce) external {
        L1BridgeStorage storage $ = _s();
        if ($.frozen) revert BridgeFrozen();
        uint64 requestedAt = $.forcedRequestedAt[forcedNonce];
        if (requestedAt == 0) revert NotForcedWithdrawal(forcedNonce);
        if (block.timestamp < _freezeAt($, requestedAt)) revert NotOverdue(forcedNonce);
        (bool has, uint256 index, IOutputOracle.Output memory o) = _newestFinalOutput($.outputOracle);
        if (has && o.l1MessagesProcessed > forcedNonce) revert NotOverdue(forcedNonce);
        $.frozen = true;
        if (has) {
            $.hasEscapeOutput = true;
            $.escapeOutputIndex = uint64(index); // the oracle counts outputs in a uint64
            $.escapeMessagesProcessed = o.l1MessagesProcessed;
            $.escapeStateRoot = o.l2StateRoot;
            $.escapeWithdrawalRoot = o.withdrawalRoot;
        }
        emit Frozen(forcedNonce, has, index, o.l2StateRoot, o.withdrawalRoot, o.l1MessagesProcessed);
    }

    /// @inheritdoc IL1Bridge
    function canFreeze(uint64 forcedNonce) external view returns (bool) {
        L1BridgeStorage storage $ = _s();
        if ($.frozen) return false;
        uint64 requestedAt = $.forcedRequestedAt[forcedNonce];
        if (requestedAt == 0 || block.timestamp < _freezeAt($, requestedAt)) return false;
        (bool has,, IOutputOracle.Output memory o) = _newestFinalOutput($.outputOracle);
        return !has || o.l1MessagesProcessed <= forcedNonce;
    }

    /// @dev `requestedAt + forcedInclusionWindow + challengePeriod`: an output covering the request that is
    /// proposed by the end of the window is final exactly then, so an operator who processed it in time is
    /// never frozen. Both parameters are bounded by 365 days, so this fits a uint64.
    function _freezeAt(L1BridgeStorage storage $, uint64 requestedAt) private view returns (uint64) {
        return requestedAt + $.forcedInclusionWindow + IOutputOracle($.outputOracle).challengePeriod();
    }

    /// @dev The newest final output, if any. Only the oracle's own "none is final" answer (`NotFinal(0)`)
    /// means none: any other failure (for example running out of gas inside the call) reverts, so a caller
    /// cannot make the freeze snapshot "no output" by starving the call.
    function _newestFinalOutput(address oracle)
        private
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

    // ------------------------------------------------------------------------------------------------
    // Escape and refunds (frozen only)
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL1Bridge
    /// @dev `NotFrozen`, `NoEscapeOutput`, `AlreadyEscaped`, `InvalidStateProof` (any proof failure,
    /// including RLP the proof libraries cannot decode), `NothingToEscape`, `InsufficientEscrow`,
    /// `EthTransferFailed`. Pays `account` (the L2 account's own address on L1), whoever submits.
    /// The first escape of a token with a (non-empty, verified) account proof stores the token's storage
    /// root (`escapeStorageRoot`); later escapes of that token may pass an empty `accountProof`, which halves
    /// their calldata. A non-empty account proof is always verified.
    function escape(
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external nonReentrant returns (uint256 amount) {
        L1BridgeStorage storage $ = _s();
        if (!$.frozen) revert NotFrozen();
        if (!$.hasEscapeOutput) revert NoEscapeOutput();
        if ($.escaped[l1Token][account]) revert AlreadyEscaped(l1Token, account);
        bytes32 storageRoot = $.escapeStorageRoots[l1Token];
        // External self-calls, so that a revert inside the RLP decoder surfaces as InvalidStateProof too.
        if (accountProof.length != 0) {
            bytes32 proven;
            try this.l2TokenStorageRoot($.escapeStateRoot, l1Token, accountProof) returns (bytes32 r) {
                proven = r;
            } catch {
                revert InvalidStateProof();
            }
            if (storageRoot == bytes32(0)) {
                $.escapeStorageRoots[l1Token] = proven;
                emit EscapeStorageRootProven(l1Token, proven);
            }
            storageRoot = proven; // equal to a stored root: both were proven under the same state root
        } else if (storageRoot == bytes32(0)) {
            revert InvalidStateProof();
        }
        try this.l2BalanceUnder(storageRoot, account, storageProof) returns (uint256 balance) {
            amount = balance;
        } catch {
            revert InvalidStateProof();
        }
        if (amount == 0) revert NothingToEscape();
        $.escaped[l1Token][account] = true;
        _takeFromEscrow($, l1Token, amount);
        emit Escaped(l1Token, account, amount);
        _pay(l1Token, account, amount);
    }

    /// @inheritdoc IL1Bridge
    function verifyL2Balance(
        bytes32 l2StateRoot,
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external view returns (uint256 balance) {
        return _balanceUnder(_tokenStorageRoot(l2StateRoot, l1Token, accountProof), account, storageProof);
    }

    /// @inheritdoc IL1Bridge
    function l2TokenStorageRoot(bytes32 l2StateRoot, address l1Token, bytes[] calldata accountProof)
        external
        view
        returns (bytes32 storageRoot)
    {
        return _tokenStorageRoot(l2StateRoot, l1Token, accountProof);
    }

    /// @inheritdoc IL1Bridge
    function l2BalanceUnder(bytes32 storageRoot, address account, bytes[] calldata storageProof)
        external
        pure
        returns (uint256 balance)
    {
        return _balanceUnder(storageRoot, account, storageProof);
    }

    /// @dev The account proof is `eth_getProof`'s `accountProof` of `l2TokenFor(l1Token)` (trie key
    /// `keccak256(token)`), its value the RLP list `[nonce, balance, storageRoot, codeHash]`. OpenZeppelin's
    /// TrieProof checks every node against its parent's reference and rejects nodes after the value; on top
    /// of OpenZeppelin's permissive RLP the account must have exactly four fields and a 32-byte storage root.
    function _tokenStorageRoot(bytes32 l2StateRoot, address l1Token, bytes[] calldata accountProof)
        private
        view
        returns (bytes32 storageRoot)
    {
        address l2Token = _l2TokenFor(_s().l2Bridge, l1Token);
        (bytes memory accountRlp, TrieProof.ProofError err) = TrieProof.tryTraverse(
            l2StateRoot, abi.encodePacked(keccak256(abi.encodePacked(l2Token))), accountProof
        );
        if (err != TrieProof.ProofError.NO_ERROR) revert InvalidStateProof();
        Memory.Slice[] memory fields = accountRlp.decodeList();
        if (fields.length != 4 || fields[2].length() != 33 || uint8(bytes1(fields[2].load(0))) != 0xa0) {
            revert InvalidStateProof();
        }
        storageRoot = fields[2].load(1);
    }

    /// @dev The storage proof is `eth_getProof`'s `storageProof[0].proof` of BridgedToken's balance slot
    /// `keccak256(abi.encode(account, uint256(0)))` (trie key its keccak256); the value must be a canonical
    /// RLP integer. A slot that holds zero is absent from the trie, so its (exclusion) proof fails.
    function _balanceUnder(bytes32 storageRoot, address account, bytes[] calldata storageProof)
        private
        pure
        returns (uint256)
    {
        bytes32 slot = keccak256(abi.encode(account, uint256(0)));
        (bytes memory value, TrieProof.ProofError err) =
            TrieProof.tryTraverse(storageRoot, abi.encodePacked(keccak256(abi.encode(slot))), storageProof);
        if (err != TrieProof.ProofError.NO_ERROR) revert InvalidStateProof();
        return _canonicalUint(value);
    }

    /// @dev Decodes a canonical RLP integer: one byte below 0x80, or `0x80 + n` followed by exactly `n <= 32`
    /// bytes without a leading zero (n = 1 needs a byte >= 0x80); `0x80` alone is zero. Anything else is
    /// `InvalidStateProof`.
    function _canonicalUint(bytes memory rlp) private pure returns (uint256 v) {
        uint256 len = rlp.length;
        if (len == 0) revert InvalidStateProof();
        uint256 prefix = uint8(rlp[0]);
        if (prefix < 0x80) {
            if (len != 1) revert InvalidStateProof();
            return prefix;
        }
        uint256 n = prefix - 0x80;
        if (n > 32 || len != n + 1) revert InvalidStateProof();
        if (n == 0) return 0;
        uint256 first = uint8(rlp[1]);
        if (first == 0 || (n == 1 && first < 0x80)) revert InvalidStateProof();
        assembly ("memory-safe") {
            v := shr(sub(256, mul(8, n)), mload(add(rlp, 0x21)))
        }
    }

    /// @inheritdoc IL1Bridge
    /// @dev `NotFrozen`, `NotADeposit`, `MessageWasProcessed` (nonce below the escape output's
    /// `l1MessagesProcessed`; all deposits are refundable when no output was ever final), `InvalidProof`
    /// (short proof against the current full tree, the same leaf as the deposit), `AlreadyRefunded`,
    /// `InsufficientEscrow`, `EthTransferFailed`. Pays `message.sender`, whoever submits.
    function refundDeposit(L1Message calldata message, bytes32[] calldata proof) external nonReentrant {
        L1BridgeStorage storage $ = _s();
        if (!$.frozen) revert NotFrozen();
        uint64 nonce = message.nonce;
        if (message.kind != Hashing.KIND_DEPOSIT) revert NotADeposit(nonce);
        if (nonce < $.escapeMessagesProcessed) revert MessageWasProcessed(nonce);
        uint64 count = $.messageCount;
        // The tree cannot grow any more: the last committed root is current if it covers every message.
        bytes32 root = count == $.lastCommittedCount ? $.lastCommittedRoot : $.messageTree.root(count);
        bytes32 leaf = _messageLeaf(message);
        if (nonce >= count || !IncrementalMerkle.verify(root, leaf, nonce, proof)) revert InvalidProof();
        uint256 word = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = $.refunded[word];
        if (bits & bit != 0) revert AlreadyRefunded(nonce);
        $.refunded[word] = bits | bit;
        _takeFromEscrow($, message.token, message.amount);
        emit DepositRefunded(nonce, message.sender, message.token, message.amount);
        _pay(message.token, message.sender, message.amount);
    }

    /// @dev Leaf of a message of this bridge, the same function the deposit used.
    function _messageLeaf(L1Message calldata m) private view returns (bytes32) {
        return Hashing.l1MessageLeaf(
            block.chainid,
            address(this),
            m.kind,
            m.nonce,
            m.sender,
            m.recipient,
            m.token,
            m.amount,
            keccak256(m.data)
        );
    }

    /// @dev CREATE2 address of the BridgedToken of `l1Token` deployed by `l2Bridge_` (see L2Bridge).
    function _l2TokenFor(address l2Bridge_, address l1Token) private view returns (address) {
        return Create2.computeAddress(bytes32(uint256(uint160(l1Token))), BRIDGED_TOKEN_CODE_HASH, l2Bridge_);
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
        if (last != 0) {
            uint256 availableAt = uint256(last) + $.pauseCooldown;
            if (block.timestamp < availableAt) revert PauseCooldown(uint64(availableAt));
        }
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

    /// @inheritdoc IL1Bridge
    function setGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert InvalidParameters("governance");
        _s().governance = newGovernance;
        emit GovernanceChanged(newGovernance);
    }

    /// @dev Only governance may upgrade, and never once frozen: the freeze is terminal, so no new code can
    /// clear it or change what the escape pays (as StarkEx's proxy refuses upgrades once frozen).
    function _authorizeUpgrade(address) internal view override onlyGovernance {
        if (_s().frozen) revert BridgeFrozen();
    }

    modifier onlyGovernance() {
        if (msg.sender != _s().governance) revert NotGovernance();
        _;
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
    function governance() external view returns (address) {
        return _s().governance;
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
        return _l2TokenFor(_s().l2Bridge, l1Token);
    }

    function _s() private pure returns (L1BridgeStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
