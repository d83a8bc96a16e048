// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roots of the L1 message tree known on L2 (the sequencer publishes them in the devnet).
interface IL1RootOracle {
    event RootPublished(bytes32 indexed root, uint64 count);
    event PublisherChanged(address publisher);

    error NotPublisher();
    error ZeroRoot();
    error NotGovernance();
    /// @notice Added: initialization or a role change got an unusable value.
    error InvalidParameters(string reason);
    /// @notice Added: a root must cover at least one message.
    error ZeroCount();
    /// @notice Added: a root that is already known cannot be republished with another count.
    error RootCountMismatch(bytes32 root, uint64 known, uint64 given);
    /// @notice Added: governance (upgrade admin) changed.
    event GovernanceChanged(address governance);

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
    /// @notice Hands governance (the upgrade admin) to another account (governance only).
    function setGovernance(address newGovernance) external;
    /// @notice Number of messages covered by `latestRoot()` (the largest published so far).
    function latestCount() external view returns (uint64);
    /// @notice The only account that may upgrade this contract and change its roles (the council timelock).
    function governance() external view returns (address);
}
