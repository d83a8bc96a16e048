// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roots of the L1 message tree known on L2 (the sequencer publishes them in the devnet).
interface IL1RootOracle {
    event RootPublished(bytes32 indexed root, uint64 count);
    event PublisherChanged(address publisher);

    error NotPublisher();
    error ZeroRoot();
    error NotGovernance();

    /// @notice Makes `root` (covering `count` L1 messages) known on L2. Publisher only.
    function publishRoot(bytes32 root, uint64 count) external;
    /// @notice Number of messages `root` covers, zero when unknown.
    function rootCount(bytes32 root) external view returns (uint64);
    function isKnownRoot(bytes32 root) external view returns (bool);
    function latestRoot() external view returns (bytes32);
    function publisher() external view returns (address);
}
