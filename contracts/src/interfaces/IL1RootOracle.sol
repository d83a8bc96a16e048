// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGoverned} from "./IGoverned.sol";

/// @title Roots of the L1 message tree known on L2 (the sequencer publishes them in the devnet).
/// @dev Governance (`setGovernance`, `governance`, `GovernanceChanged`, `NotGovernance`, `InvalidParameters`)
/// comes from `IGoverned`.
interface IL1RootOracle is IGoverned {
    event RootPublished(bytes32 indexed root, uint64 count);
    event PublisherChanged(address publisher);

    error NotPublisher();
    error ZeroRoot();
    /// @notice Added: a root must cover at least one message.
    error ZeroCount();
    /// @notice Added: a root that is already known cannot be republished with another count.
    error RootCountMismatch(bytes32 root, uint64 known, uint64 given);

    /// @notice Makes `root` (covering `count` L1 messages) known on L2. Publisher only.
    function publishRoot(bytes32 root, uint64 count) external;
    /// @notice Number of messages `root` covers, zero when unknown.
    function rootCount(bytes32 root) external view returns (uint64);
    /// @notice Whether `root` was published (`rootCount(root) != 0`).
    function isKnownRoot(bytes32 root) external view returns (bool);
    /// @notice The published root with the largest count.
    function latestRoot() external view returns (bytes32);
    /// @notice The only account that may publish roots.
    function publisher() external view returns (address);

    // ---- Added beyond the original interface (see docs/design.md "Interface additions") ----

    /// @notice Changes the publisher (governance only).
    function setPublisher(address newPublisher) external;
    /// @notice Number of messages covered by `latestRoot()` (the largest published so far).
    function latestCount() external view returns (uint64);
}
