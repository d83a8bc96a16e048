// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IOutputOracle} from "./interfaces/IOutputOracle.sol";
import {IL1Bridge} from "./interfaces/IL1Bridge.sol";

/// @title Drawbridge output oracle: L2 outputs posted to L1 with a bond, challengeable for `challengePeriod`.
/// @notice Rules (docs/protocol.md "Outputs"):
///  - an output is final when (upheld by the council, or unchallenged and
///    `block.timestamp >= proposedAt + challengePeriod`) and no output at a lower or equal index has an
///    open dispute;
///  - a challenge is accepted while `block.timestamp < proposedAt + challengePeriod`;
///  - an `invalid` verdict deletes the output and every later one; their indices are reused;
///  - bonds are credited and pulled with `withdrawBond`.
/// UUPS implementation behind an ERC1967Proxy; state in one ERC-7201 namespaced struct (STORAGE.md).
contract OutputOracle is IOutputOracle, Initializable, UUPSUpgradeable, ReentrancyGuardTransient {
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
        OutputOracleStorage storage $ = _s();
        $.governance = p.governance;
        $.council = p.council;
        $.proposer = p.proposer;
        $.l1Bridge = p.l1Bridge;
        $.challengePeriod = p.challengePeriod;
        $.proposerTimeout = p.proposerTimeout;
        $.proposerBond = p.proposerBond;
        $.challengerBond = p.challengerBond;
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
    /// `l1MessagesProcessed` never decreases and is at most `L1Bridge.messageCount()`; the three roots are
    /// non-zero; refused while the bridge is frozen.
    function propose(
        uint64 l2BlockNumber,
        bytes32 l2BlockHash,
        bytes32 l2StateRoot,
        bytes32 withdrawalRoot,
        uint64 l1MessagesProcessed
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
        uint64 sent = bridge.messageCount();
        if (l1MessagesProcessed > sent) revert MessagesProcessedTooHigh(l1MessagesProcessed, sent);

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
            index, l2BlockNumber, msg.sender, l2BlockHash, l2StateRoot, withdrawalRoot, l1MessagesProcessed
        );
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
        uint64 fd = $.firstDisputePlusOne;
        if (fd == 0 || index + 1 < fd) $.firstDisputePlusOne = uint64(index + 1);
        emit OutputChallenged(index, msg.sender);
    }

    /// @inheritdoc IOutputOracle
    /// @dev `valid`: upheld (final unless a lower dispute is open), the challenger's bond is credited to
    /// the proposer. `invalid`: the output and every later one are deleted; the challenger is credited
    /// both bonds of this output; later outputs' unreleased proposer bonds and open challengers' bonds are
    /// credited back. Costs O(number of deleted outputs).
    function resolveDispute(uint256 index, bool valid) external {
        OutputOracleStorage storage $ = _s();
        if (msg.sender != $.council) revert NotCouncil();
        uint256 count = $.outputCount;
        if (index >= count) revert UnknownOutput(index);
        StoredOutput storage o = $.outputs[index];
        if (o.status != OutputStatus.Challenged) revert NotChallenged(index);
        emit DisputeResolved(index, valid);
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
            _credit($, o.challenger, uint256(o.challengerBond) + o.proposerBond);
            for (uint256 j = index + 1; j < count; ++j) {
                StoredOutput storage later = $.outputs[j];
                if (!later.bondReleased) _credit($, later.proposer, later.proposerBond);
                if (later.status == OutputStatus.Challenged) {
                    _credit($, later.challenger, later.challengerBond);
                }
            }
        }
    }

    /// @dev `index + 1` of the first output in `[from, count)` with an open dispute, 0 if none.
    function _nextDispute(OutputOracleStorage storage $, uint256 from, uint256 count)
        private
        view
        returns (uint256)
    {
        for (uint256 j = from; j < count; ++j) {
            if ($.outputs[j].status == OutputStatus.Challenged) return j + 1;
        }
        return 0;
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
        // Every lower output was proposed no later, so its window has passed too: nothing at or below
        // `index` can be challenged any more, and no dispute is open there (the output is final).
        settled = block.timestamp >= uint256(o.proposedAt) + $.challengePeriod;
    }

    /// @inheritdoc IOutputOracle
    /// @dev Scans down from the newest output that no open dispute blocks; in practice it only passes the
    /// outputs still inside their challenge window.
    function latestFinalIndex() external view returns (uint256) {
        OutputOracleStorage storage $ = _s();
        uint256 end = $.outputCount;
        uint256 fd = $.firstDisputePlusOne;
        if (fd != 0 && fd - 1 < end) end = fd - 1;
        uint256 period = $.challengePeriod;
        for (uint256 i = end; i > 0;) {
            --i;
            StoredOutput storage o = $.outputs[i];
            OutputStatus status = o.status;
            if (
                status == OutputStatus.Upheld
                    || (status == OutputStatus.Proposed && block.timestamp >= uint256(o.proposedAt) + period)
            ) return i;
        }
        revert NotFinal(0);
    }

    function _isFinal(OutputOracleStorage storage $, uint256 index) private view returns (bool) {
        if (index >= $.outputCount) return false;
        uint256 fd = $.firstDisputePlusOne;
        if (fd != 0 && index + 1 >= fd) return false;
        StoredOutput storage o = $.outputs[index];
        OutputStatus status = o.status;
        if (status == OutputStatus.Upheld) return true;
        return status == OutputStatus.Proposed && block.timestamp >= uint256(o.proposedAt) + $.challengePeriod;
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

    /// @inheritdoc IOutputOracle
    function setGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert InvalidParameters("governance");
        _s().governance = newGovernance;
        emit GovernanceChanged(newGovernance);
    }

    /// @dev Only governance may upgrade.
    function _authorizeUpgrade(address) internal view override onlyGovernance {}

    modifier onlyGovernance() {
        if (msg.sender != _s().governance) revert NotGovernance();
        _;
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
    function l1Bridge() external view returns (address) {
        return _s().l1Bridge;
    }

    /// @inheritdoc IOutputOracle
    function governance() external view returns (address) {
        return _s().governance;
    }

    function _s() private pure returns (OutputOracleStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
