// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The governance (upgrade admin) surface shared by every governed Drawbridge proxy: L1Bridge,
/// OutputOracle, L2Bridge and L1RootOracle (implemented once, in `Governed`).
interface IGoverned {
    /// @notice Added: the governance (upgrade admin) account changed.
    event GovernanceChanged(address governance);

    /// @notice The caller is not the governance account.
    error NotGovernance();
    /// @notice Initialization or a role change got an unusable value (`reason` names it).
    error InvalidParameters(string reason);

    /// @notice Hands governance (the upgrade admin) to another account (governance only).
    function setGovernance(address newGovernance) external;
    /// @notice The only account that may upgrade this contract and change its roles (the council timelock).
    function governance() external view returns (address);
}
