// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {Governed} from "./lib/Governed.sol";
import {IL1Bridge} from "./interfaces/IL1Bridge.sol";

/// @title Drawbridge output oracle: L2 outputs posted to L1 with a bond, challengeable for `challengePeriod`.
/// @notice Rules (docs/design.md "Outputs"):
///  - an output claims an L2 state that consumed exactly L1's first `l1MessagesProcessed` messages: its
///    `l1MessageRoot` must be the root L1 committed for that count;
///  - an output is final when `block.timestamp >= proposedAt + challengePeriod` and no output at a lower or
///    equal index has an open dispute (an `upheld` verdict ends a dispute, it does not shorten the window):
///    finality never goes backwards;
///  - a challenge is accepted while `block.timestamp < proposedAt + challengePeriod`;
///  - an `invalid` verdict deletes the output and every later one; their indices are reused; the later
///    outputs' bonds are refunded lazily (`refundDeletedBonds`, or when `propose` reuses the index);
///  - bonds are credited and pulled with `withdrawBond`.
/// Every function does bounded work whatever the number of pending outputs.
/// UUPS implementation behind an ERC1967Proxy; state in one ERC-7201 namespaced struct (STORAGE.md).
contract OutputOracle is IOutputOracle, Initializable, Governed, ReentrancyGuardTransient {
    /// @dev An output as stored: six slots, bonds remembered per output so that a later change of the bond
    /// parameters can never pay back more or less than was paid in.
    struct StoredOutput {
        bytes32 l2BlockHash; // +0
        bytes32 l2StateRoot; // +1
        bytes32 withdrawalRoot; // +2
        address proposer; // +3
        uint64 proposedAt;
        OutputStatus status;
        bool bondReleased;
        address challenger; // +4
        uint64 l2BlockNumber;
        uint64 l1MessagesProcessed; // +5
        uint96 proposerBond;
        uint96 challengerBond;
    }

    /// @custom:storage-location erc7201:drawbridge.storage.OutputOracle
    struct OutputOracleStorage {
        // slot 0, read by every finality check
        uint64 outputCount;
        uint64 firstDisputePlusOne; // lowest index with an open dispute, plus one; 0 = none
        uint64 challengePeriod;
        uint64 lastProposedAt;
        // slot 1
        address l1Bridge;
        uint64 proposerTimeout;
        // slot 2
        address governance;
        // slot 3
        address council;
        // slot 4
        address proposer;
        // slot 5
        uint256 proposerBond;
        // slot 6
        uint256 challengerBond;
        // slot 7
        mapping(uint256 index => StoredOutput) outputs;
        // slot 8
        mapping(address account => uint256 amount) bondCredit;
        // slot 9: deleted outputs `[refundFrom, refundTo)` whose bonds may still be pending a refund.
        uint64 refundFrom;
        uint64 refundTo;
        uint64 councilResponseWindow;
        // slot 10: bit (index & 255) of word (index >> 8) is set while output `index` has an open dispute.
        mapping(uint256 word => uint256 bits) openDisputes;
    }

    // keccak256(abi.encode(uint256(keccak256("drawbridge.storage.OutputOracle")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0x26be1b334bfc4b621482b8f00ded7cd382492c6a9deb6639a5ff6399e96c9300;

    /// @notice Upper bound for `challengePeriod` and `proposerTimeout` (they must be finite).
    uint64 public constant MAX_PERIOD = 365 days;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy. Validates every parameter; the proposer timeout starts now.
    /// @dev `l1Bridge` may not have code yet (addresses are predicted), so only non-zero is checked.
    function initialize(InitParams calldata p) external initializer {
        if (p.governance == address(0)) revert InvalidParameters("governance");
        if (p.council == address(0)) revert InvalidParameters("council");
        if (p.proposer == address(0)) revert InvalidParameters("proposer");
        if (p.l1Bridge == address(0)) revert InvalidParameters("l1Bridge");
        if (p.challengePeriod == 0 || p.challengePeriod > MAX_PERIOD) {
            revert InvalidParameters("challengePeriod");
        }
        if (p.proposerTimeout == 0 || p.proposerTimeout > MAX_PERIOD) {
            revert InvalidParameters("proposerTimeout");
        }
        if (p.proposerBond == 0 || p.proposerBond > type(uint96).max) {
            revert InvalidParameters("proposerBond");
        }
        if (p.challengerBond == 0 || p.challengerBond > type(uint96).max) {
            revert InvalidParameters("challengerBond");
        }
        if (p.councilResponseWindow == 0 || p.councilResponseWindow > MAX_PERIOD) {
            revert InvalidParameters("councilResponseWindow");
        }
        OutputOracleStorage storage $ = _s();
        $.governance = p.governance;
        $.council = p.council;
        $.proposer = p.proposer;
        $.l1Bridge = p.l1Bridge;
        $.challengePeriod = p.challengePeriod;
        $.proposerTimeout = p.proposerTimeout;
        $.proposerBond = p.proposerBond;
        $.challengerBond = p.challengerBond;
        $.councilResponseWindow = p.councilResponseWindow;
        $.lastProposedAt = uint64(block.timestamp);
        emit GovernanceChanged(p.governance);
        emit CouncilChanged(p.council);
        emit ProposerChanged(p.proposer);
    }

    // ------------------------------------------------------------------------------------------------
    // Proposals and disputes
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IOutputOracle
    /// @dev Only the proposer, or anyone once `proposerTimeout` has passed since the last proposal (or
    /// since initialization). `l2BlockNumber` strictly increases (the first must be non-zero),
    /// `l1MessagesProcessed` never decreases and `l1MessageRoot` is the root L1 committed for exactly that
    /// many messages (zero for none); the three other roots are non-zero; refused while the bridge is frozen.
    /// Reusing the index of a deleted output first refunds that output's bonds if still pending.
    function propose(
        uint64 l2BlockNumber,
        bytes32 l2BlockHash,
        bytes32 l2StateRoot,
        bytes32 withdrawalRoot,
        uint64 l1MessagesProcessed,
        bytes32 l1MessageRoot
    ) external payable returns (uint256 index) {
        OutputOracleStorage storage $ = _s();
        if (msg.sender != $.proposer && block.timestamp < uint256($.lastProposedAt) + $.proposerTimeout) {
            revert NotProposer();
        }
        uint256 bond = $.proposerBond;
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        if (l2BlockHash == bytes32(0) || l2StateRoot == bytes32(0) || withdrawalRoot == bytes32(0)) {
            revert ZeroRoot();
        }
        index = $.outputCount;
        uint64 lastBlock;
        uint64 lastProcessed;
        if (index != 0) {
            StoredOutput storage prev = $.outputs[index - 1];
            lastBlock = prev.l2BlockNumber;
            lastProcessed = prev.l1MessagesProcessed;
        }
        if (l2BlockNumber <= lastBlock) revert BlockNumberNotIncreasing(l2BlockNumber, lastBlock);
        if (l1MessagesProcessed < lastProcessed) {
            revert MessagesProcessedDecreasing(l1MessagesProcessed, lastProcessed);
        }
        IL1Bridge bridge = IL1Bridge($.l1Bridge);
        if (bridge.frozen()) revert BridgeFrozen();
        _checkMessageRoot(bridge, l1MessagesProcessed, l1MessageRoot);

        _refundIfPending($, index);
        StoredOutput storage o = $.outputs[index];
        o.l2BlockHash = l2BlockHash;
        o.l2StateRoot = l2StateRoot;
        o.withdrawalRoot = withdrawalRoot;
        o.proposer = msg.sender;
        o.proposedAt = uint64(block.timestamp);
        o.status = OutputStatus.Proposed;
        o.bondReleased = false;
        o.challenger = address(0);
        o.l2BlockNumber = l2BlockNumber;
        o.l1MessagesProcessed = l1MessagesProcessed;
        o.proposerBond = uint96(bond);
        o.challengerBond = 0;
        $.outputCount = uint64(index + 1);
        $.lastProposedAt = uint64(block.timestamp);
        emit OutputProposed(
            index,
            l2BlockNumber,
            msg.sender,
            l2BlockHash,
            l2StateRoot,
            withdrawalRoot,
            l1MessagesProcessed,
            l1MessageRoot
        );
    }

    /// @dev The L2 state consumed exactly L1's first `count` messages only if their tree roots agree; L1 keeps
    /// the root of every count it committed (a count it never committed is refused too).
    function _checkMessageRoot(IL1Bridge bridge, uint64 count, bytes32 root) private view {
        bool matches = count == 0 ? root == bytes32(0) : bridge.messageRootCount(root) == count;
        if (!matches) revert MessageRootMismatch(root, count);
    }

    /// @inheritdoc IOutputOracle
    /// @dev Accepted while `block.timestamp < proposedAt + challengePeriod`; an output is challenged once.
    function challenge(uint256 index) external payable {
        OutputOracleStorage storage $ = _s();
        if (index >= $.outputCount) revert UnknownOutput(index);
        StoredOutput storage o = $.outputs[index];
        if (o.status != OutputStatus.Proposed) revert AlreadyChallenged(index);
        if (block.timestamp >= uint256(o.proposedAt) + $.challengePeriod) {
            revert ChallengeWindowClosed(index);
        }
        uint256 bond = $.challengerBond;
        if (msg.value != bond) revert WrongBond(msg.value, bond);
        o.status = OutputStatus.Challenged;
        o.challenger = msg.sender;
        o.challengerBond = uint96(bond);
        $.openDisputes[index >> 8] |= 1 << (index & 0xff);
        uint64 fd = $.firstDisputePlusOne;
        if (fd == 0 || index + 1 < fd) $.firstDisputePlusOne = uint64(index + 1);
        emit OutputChallenged(index, msg.sender);
    }

    /// @inheritdoc IOutputOracle
    /// @dev `valid`: upheld (final once its window has passed and no lower dispute is open), the challenger's
    /// bond is credited to the proposer. `invalid`: the output and every later one are deleted; the challenger
    /// is credited both bonds of this output; later outputs' bonds are refunded lazily (pending range).
    /// Bounded: at most one storage word per 256 outputs is read to find the next open dispute.
    function resolveDispute(uint256 index, bool valid) external {
        OutputOracleStorage storage $ = _s();
        if (msg.sender != $.council) revert NotCouncil();
        uint256 count = $.outputCount;
        if (index >= count) revert UnknownOutput(index);
        StoredOutput storage o = $.outputs[index];
        if (o.status != OutputStatus.Challenged) revert NotChallenged(index);
        emit DisputeResolved(index, valid);
        $.openDisputes[index >> 8] &= ~(1 << (index & 0xff));
        if (valid) {
            o.status = OutputStatus.Upheld;
            if ($.firstDisputePlusOne == index + 1) {
                $.firstDisputePlusOne = uint64(_nextDispute($, index + 1, count));
            }
            _credit($, o.proposer, o.challengerBond);
        } else {
            // Every open dispute was at an index >= the first one; if that was this output, none is left
            // below it once everything from `index` on is deleted.
            if ($.firstDisputePlusOne == index + 1) $.firstDisputePlusOne = 0;
            $.outputCount = uint64(index);
            emit OutputsDeleted(index, count - index);
            uint256 paid = uint256(o.challengerBond) + o.proposerBond;
            o.challengerBond = 0;
            o.proposerBond = 0;
            o.status = OutputStatus.Proposed; // its dispute is over; the record is dead (index >= count)
            _credit($, o.challenger, paid);
            // Later outputs: pending refunds, merged with any range still pending (records are refunded once).
            uint256 from = index + 1;
            uint256 to = count;
            if ($.refundFrom < $.refundTo) {
                if ($.refundFrom < from) from = $.refundFrom;
                if ($.refundTo > to) to = $.refundTo;
            }
            if (from < to) {
                $.refundFrom = uint64(from);
                $.refundTo = uint64(to);
            }
        }
    }

    /// @dev `index + 1` of the first output in `[from, count)` with an open dispute, 0 if none. Reads one word
    /// of the dispute bitmap per 256 outputs.
    function _nextDispute(OutputOracleStorage storage $, uint256 from, uint256 count)
        private
        view
        returns (uint256)
    {
        if (from >= count) return 0;
        uint256 lastWord = (count - 1) >> 8;
        uint256 word = from >> 8;
        uint256 bits = $.openDisputes[word] & (type(uint256).max << (from & 0xff));
        while (true) {
            if (bits != 0) {
                uint256 found = (word << 8) | _lowestBit(bits);
                return found < count ? found + 1 : 0;
            }
            if (word == lastWord) return 0;
            ++word;
            bits = $.openDisputes[word];
        }
        return 0;
    }

    /// @dev Index of the lowest set bit of a non-zero word.
    function _lowestBit(uint256 x) private pure returns (uint256 n) {
        x &= (~x + 1);
        if (x >= 1 << 128) (x, n) = (x >> 128, n + 128);
        if (x >= 1 << 64) (x, n) = (x >> 64, n + 64);
        if (x >= 1 << 32) (x, n) = (x >> 32, n + 32);
        if (x >= 1 << 16) (x, n) = (x >> 16, n + 16);
        if (x >= 1 << 8) (x, n) = (x >> 8, n + 8);
        if (x >= 1 << 4) (x, n) = (x >> 4, n + 4);
        if (x >= 1 << 2) (x, n) = (x >> 2, n + 2);
        if (x >= 1 << 1) n += 1;
    }

    /// @inheritdoc IOutputOracle
    /// @dev Processes the pending range from its front; reverts `NothingPending` when it is empty.
    function refundDeletedBonds(uint256 maxCount) external returns (uint256 done) {
        OutputOracleStorage storage $ = _s();
        uint256 from = $.refundFrom;
        uint256 to = $.refundTo;
        if (from >= to || maxCount == 0) revert NothingPending();
        uint256 end = to - from > maxCount ? from + maxCount : to;
        for (uint256 j = from; j < end; ++j) {
            _refundRecord($, j);
        }
        $.refundFrom = uint64(end);
        emit DeletedBondsRefunded(from, end);
        return end - from;
    }

    /// @dev Before `propose` overwrites the record at `index` (always `outputCount`, which is at most
    /// `refundFrom` while a range is pending), refunds it if it is the front of the pending range.
    function _refundIfPending(OutputOracleStorage storage $, uint256 index) private {
        if (index == $.refundFrom && index < $.refundTo) {
            _refundRecord($, index);
            $.refundFrom = uint64(index + 1);
            emit DeletedBondsRefunded(index, index + 1);
        }
    }

    /// @dev Credits a deleted output's unreleased proposer bond and an open challenger's bond, once: both bond
    /// fields are zeroed, so a record that was already refunded credits nothing.
    function _refundRecord(OutputOracleStorage storage $, uint256 j) private {
        StoredOutput storage later = $.outputs[j];
        if (!later.bondReleased) _credit($, later.proposer, later.proposerBond);
        later.proposerBond = 0;
        if (later.status == OutputStatus.Challenged) {
            _credit($, later.challenger, later.challengerBond);
            later.status = OutputStatus.Proposed;
            $.openDisputes[j >> 8] &= ~(1 << (j & 0xff));
        }
        later.challengerBond = 0;
    }

    // ------------------------------------------------------------------------------------------------
    // Bonds
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IOutputOracle
    /// @dev Anyone may call once output `index` is final; credits its proposer once.
    function releaseBond(uint256 index) external {
        OutputOracleStorage storage $ = _s();
        if (index >= $.outputCount) revert UnknownOutput(index);
        if (!_isFinal($, index)) revert NotFinal(index);
        StoredOutput storage o = $.outputs[index];
        if (o.bondReleased) revert BondAlreadyReleased(index);
        o.bondReleased = true;
        emit BondReleased(index, o.proposer, o.proposerBond);
        _credit($, o.proposer, o.proposerBond);
    }

    /// @inheritdoc IOutputOracle
    function withdrawBond() external nonReentrant {
        OutputOracleStorage storage $ = _s();
        uint256 amount = $.bondCredit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        $.bondCredit[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _credit(OutputOracleStorage storage $, address account, uint256 amount) private {
        if (amount == 0) return;
        $.bondCredit[account] += amount;
        emit BondCredited(account, amount);
    }

    // ------------------------------------------------------------------------------------------------
    // Finality
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IOutputOracle
    function isFinal(uint256 index) external view returns (bool) {
        return _isFinal(_s(), index);
    }

    /// @inheritdoc IOutputOracle
    function finalWithdrawalRoot(uint256 index) external view returns (bytes32) {
        OutputOracleStorage storage $ = _s();
        if (!_isFinal($, index)) revert NotFinal(index);
        return $.outputs[index].withdrawalRoot;
    }

    /// @inheritdoc IOutputOracle
    function finalWithdrawalRootInfo(uint256 index)
        external
        view
        returns (bytes32 withdrawalRoot, bool settled)
    {
        OutputOracleStorage storage $ = _s();
        if (!_isFinal($, index)) revert NotFinal(index);
        StoredOutput storage o = $.outputs[index];
        withdrawalRoot = o.withdrawalRoot;
        // Final means past its window with no dispute open at or below it: nothing at or below `index` can be
        // challenged any more, so it can never change, be deleted or stop being final.
        settled = true;
    }

    /// @inheritdoc IOutputOracle
    /// @dev `min(P, firstOpenDispute) - 1`, where `P` is the number of outputs whose window has passed (they are
    /// a prefix: `proposedAt` never decreases with the index), found by binary search.
    function latestFinalIndex() external view returns (uint256) {
        OutputOracleStorage storage $ = _s();
        uint256 end = _windowsPassed($);
        uint256 fd = $.firstDisputePlusOne;
        if (fd != 0 && fd - 1 < end) end = fd - 1;
        if (end == 0) revert NotFinal(0);
        return end - 1;
    }

    /// @dev Number of outputs whose challenge window has passed: O(log outputCount) reads.
    function _windowsPassed(OutputOracleStorage storage $) private view returns (uint256 lo) {
        uint256 hi = $.outputCount;
        uint256 period = $.challengePeriod;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (block.timestamp >= uint256($.outputs[mid].proposedAt) + period) lo = mid + 1;
            else hi = mid;
        }
    }

    /// @inheritdoc IOutputOracle
    /// @dev Binary search: `l1MessagesProcessed` never decreases with the index.
    function firstCovering(uint64 nonce)
        external
        view
        returns (bool found, uint256 index, uint64 proposedAt)
    {
        OutputOracleStorage storage $ = _s();
        uint256 lo;
        uint256 hi = $.outputCount;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if ($.outputs[mid].l1MessagesProcessed > nonce) hi = mid;
            else lo = mid + 1;
        }
        if (lo < $.outputCount) return (true, lo, $.outputs[lo].proposedAt);
    }

    /// @dev Final: its window has passed and no dispute at or below it is open. Windows pass in index order and
    /// a dispute can only open inside a window, so once true this stays true and the output is never deleted.
    function _isFinal(OutputOracleStorage storage $, uint256 index) private view returns (bool) {
        if (index >= $.outputCount) return false;
        uint256 fd = $.firstDisputePlusOne;
        if (fd != 0 && index + 1 >= fd) return false;
        return block.timestamp >= uint256($.outputs[index].proposedAt) + $.challengePeriod;
    }

    // ------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IOutputOracle
    function setCouncil(address newCouncil) external onlyGovernance {
        if (newCouncil == address(0)) revert InvalidParameters("council");
        _s().council = newCouncil;
        emit CouncilChanged(newCouncil);
    }

    /// @inheritdoc IOutputOracle
    function setProposer(address newProposer) external onlyGovernance {
        if (newProposer == address(0)) revert InvalidParameters("proposer");
        _s().proposer = newProposer;
        emit ProposerChanged(newProposer);
    }

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IOutputOracle
    function outputCount() external view returns (uint256) {
        return _s().outputCount;
    }

    /// @inheritdoc IOutputOracle
    /// @dev Reverts `UnknownOutput` for an index that does not exist (never proposed, or deleted).
    function getOutput(uint256 index) external view returns (Output memory out) {
        OutputOracleStorage storage $ = _s();
        if (index >= $.outputCount) revert UnknownOutput(index);
        StoredOutput storage o = $.outputs[index];
        out = Output({
            l2BlockHash: o.l2BlockHash,
            l2StateRoot: o.l2StateRoot,
            withdrawalRoot: o.withdrawalRoot,
            l2BlockNumber: o.l2BlockNumber,
            l1MessagesProcessed: o.l1MessagesProcessed,
            proposedAt: o.proposedAt,
            status: o.status,
            proposer: o.proposer,
            challenger: o.challenger
        });
    }

    /// @inheritdoc IOutputOracle
    function firstOpenDispute() external view returns (bool exists, uint256 index) {
        uint256 fd = _s().firstDisputePlusOne;
        return fd == 0 ? (false, 0) : (true, fd - 1);
    }

    /// @inheritdoc IOutputOracle
    function bondCredit(address account) external view returns (uint256) {
        return _s().bondCredit[account];
    }

    /// @inheritdoc IOutputOracle
    function challengePeriod() external view returns (uint64) {
        return _s().challengePeriod;
    }

    /// @inheritdoc IOutputOracle
    function proposerTimeout() external view returns (uint64) {
        return _s().proposerTimeout;
    }

    /// @inheritdoc IOutputOracle
    function proposerBond() external view returns (uint256) {
        return _s().proposerBond;
    }

    /// @inheritdoc IOutputOracle
    function challengerBond() external view returns (uint256) {
        return _s().challengerBond;
    }

    /// @inheritdoc IOutputOracle
    function proposer() external view returns (address) {
        return _s().proposer;
    }

    /// @inheritdoc IOutputOracle
    function council() external view returns (address) {
        return _s().council;
    }

    /// @inheritdoc IOutputOracle
    function lastProposedAt() external view returns (uint64) {
        return _s().lastProposedAt;
    }

    /// @inheritdoc IOutputOracle
    function councilResponseWindow() external view returns (uint64) {
        return _s().councilResponseWindow;
    }

    /// @inheritdoc IOutputOracle
    function pendingRefunds() external view returns (uint64 from, uint64 to) {
        OutputOracleStorage storage $ = _s();
        return ($.refundFrom, $.refundTo);
    }

    /// @inheritdoc IOutputOracle
    function l1Bridge() external view returns (address) {
        return _s().l1Bridge;
    }

    /// @dev `Governed`'s view of `governance`, kept in this contract's struct (slot 2).
    function _governance() internal view override returns (address) {
        return _s().governance;
    }

    function _setGovernance(address newGovernance) internal override {
        _s().governance = newGovernance;
    }

    function _s() private pure returns (OutputOracleStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
