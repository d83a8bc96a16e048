// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGoverned} from "./IGoverned.sol";

/// @title L2 outputs posted to L1 with a bond, challengeable for `challengePeriod`.
/// @dev Governance (`setGovernance`, `governance`, `GovernanceChanged`, `NotGovernance`, `InvalidParameters`)
/// comes from `IGoverned`.
interface IOutputOracle is IGoverned {
    enum OutputStatus {
        None,
        Proposed,
        Challenged,
        Upheld
    }

    struct Output {
        bytes32 l2BlockHash;
        bytes32 l2StateRoot;
        bytes32 withdrawalRoot;
        uint64 l2BlockNumber;
        uint64 l1MessagesProcessed;
        uint64 proposedAt;
        OutputStatus status;
        address proposer;
        address challenger;
    }

    struct InitParams {
        address governance;
        address council;
        address proposer;
        address l1Bridge;
        uint64 challengePeriod;
        uint64 proposerTimeout;
        uint256 proposerBond;
        uint256 challengerBond;
        /// @notice How long a freeze waits for the council's verdict on a timely covering output.
        uint64 councilResponseWindow;
    }

    event OutputProposed(
        uint256 indexed index,
        uint64 indexed l2BlockNumber,
        address indexed proposer,
        bytes32 l2BlockHash,
        bytes32 l2StateRoot,
        bytes32 withdrawalRoot,
        uint64 l1MessagesProcessed,
        bytes32 l1MessageRoot
    );
    event OutputChallenged(uint256 indexed index, address indexed challenger);
    event DisputeResolved(uint256 indexed index, bool valid);
    event OutputsDeleted(uint256 indexed fromIndex, uint256 count);
    event BondReleased(uint256 indexed index, address indexed proposer, uint256 amount);
    event BondCredited(address indexed account, uint256 amount);
    event BondWithdrawn(address indexed account, uint256 amount);
    /// @notice The bonds of deleted outputs in `[fromIndex, toIndex)` were credited back (or had been).
    event DeletedBondsRefunded(uint256 fromIndex, uint256 toIndex);
    /// @notice Added: role changes (governance only).
    event CouncilChanged(address council);
    event ProposerChanged(address proposer);

    error NotProposer();
    error NotCouncil();
    error WrongBond(uint256 sent, uint256 required);
    error BlockNumberNotIncreasing(uint64 l2BlockNumber, uint64 last);
    error MessagesProcessedDecreasing(uint64 l1MessagesProcessed, uint64 last);
    error MessagesProcessedTooHigh(uint64 l1MessagesProcessed, uint64 sent);
    error ZeroRoot();
    error UnknownOutput(uint256 index);
    error ChallengeWindowClosed(uint256 index);
    error NotChallenged(uint256 index);
    error NotFinal(uint256 index);
    error BondAlreadyReleased(uint256 index);
    error NothingToWithdraw();
    error TransferFailed();
    error BridgeFrozen();
    /// @notice Added: an output can be challenged once.
    error AlreadyChallenged(uint256 index);
    /// @notice `l1MessageRoot` is not the root L1 committed for exactly `l1MessagesProcessed` messages.
    error MessageRootMismatch(bytes32 l1MessageRoot, uint64 l1MessagesProcessed);
    /// @notice `refundDeletedBonds` found nothing pending.
    error NothingPending();

    /// @notice Posts an output with exactly `proposerBond`. `l1MessageRoot` is `L2Bridge.l1MessageRoot()` at
    /// `l2BlockNumber`: it must be the root L1 committed for exactly `l1MessagesProcessed` messages.
    function propose(
        uint64 l2BlockNumber,
        bytes32 l2BlockHash,
        bytes32 l2StateRoot,
        bytes32 withdrawalRoot,
        uint64 l1MessagesProcessed,
        bytes32 l1MessageRoot
    ) external payable returns (uint256 index);
    /// @notice Disputes an output inside its challenge window with exactly `challengerBond`.
    function challenge(uint256 index) external payable;
    /// @notice Council verdict on a challenged output.
    function resolveDispute(uint256 index, bool valid) external;
    /// @notice Credits a final output's bond back to its proposer.
    function releaseBond(uint256 index) external;
    /// @notice Pays out the caller's credited bonds.
    function withdrawBond() external;

    /// @notice Number of live outputs (deleted ones excluded); the next proposal gets this index.
    function outputCount() external view returns (uint256);
    /// @notice Output `index`; reverts `UnknownOutput` if it does not exist.
    function getOutput(uint256 index) external view returns (Output memory);
    /// @notice Whether output `index` is final now: its challenge window has passed and no dispute at or below
    /// it is open (docs/design.md "Outputs"). Once true, true forever.
    function isFinal(uint256 index) external view returns (bool);
    /// @notice `withdrawalRoot` of output `index`; reverts with `NotFinal` unless it is final.
    function finalWithdrawalRoot(uint256 index) external view returns (bytes32);
    /// @notice Index of the newest final output; reverts with `NotFinal(0)` when none is.
    function latestFinalIndex() external view returns (uint256);
    /// @notice Bonds credited to `account`, to be pulled with `withdrawBond`.
    function bondCredit(address account) external view returns (uint256);
    /// @notice Length of the challenge window, in seconds.
    function challengePeriod() external view returns (uint64);
    /// @notice Seconds of proposer silence after which anyone may propose.
    function proposerTimeout() external view returns (uint64);
    /// @notice Exact value `propose` requires.
    function proposerBond() external view returns (uint256);
    /// @notice Exact value `challenge` requires.
    function challengerBond() external view returns (uint256);
    /// @notice The configured proposer.
    function proposer() external view returns (address);
    /// @notice The only account that may resolve disputes.
    function council() external view returns (address);
    /// @notice Time of the last proposal (initialization time before the first).
    function lastProposedAt() external view returns (uint64);

    // ---- Added beyond the original interface (see docs/design.md "Interface additions") ----

    /// @notice Changes the council (governance only).
    function setCouncil(address newCouncil) external;
    /// @notice Changes the configured proposer (governance only).
    function setProposer(address newProposer) external;
    /// @notice Lowest index with an open (unresolved) dispute; `exists` is false when there is none.
    function firstOpenDispute() external view returns (bool exists, uint256 index);
    /// @notice `withdrawalRoot` of the final output `index` and whether it is settled (it can never again stop
    /// being final or be deleted: always true for a final output, kept for callers). Reverts `NotFinal`
    /// unless the output is final.
    function finalWithdrawalRootInfo(uint256 index)
        external
        view
        returns (bytes32 withdrawalRoot, bool settled);
    /// @notice Seconds a freeze waits past its due time while a timely output covering the forced withdrawal is
    /// not final (its dispute, or a lower one, awaits the council).
    function councilResponseWindow() external view returns (uint64);
    /// @notice The lowest live output with `l1MessagesProcessed > nonce` (binary search).
    function firstCovering(uint64 nonce) external view returns (bool found, uint256 index, uint64 proposedAt);
    /// @notice Credits back the bonds of up to `maxCount` deleted outputs still pending a refund; anyone.
    /// @return done How many pending records were processed.
    function refundDeletedBonds(uint256 maxCount) external returns (uint256 done);
    /// @notice Indices `[from, to)` of deleted outputs whose bonds may still be pending a refund.
    function pendingRefunds() external view returns (uint64 from, uint64 to);
    /// @notice The L1Bridge.
    function l1Bridge() external view returns (address);
}
