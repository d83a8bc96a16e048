// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

import {IGoverned} from "../interfaces/IGoverned.sol";

/// @title Governance and UUPS upgrade authorization of the governed Drawbridge proxies.
/// @notice One governance account (the council timelock) may upgrade the contract and change its roles.
/// @dev No storage of its own: each contract keeps `governance` where its ERC-7201 struct has it
/// (contracts/STORAGE.md) and exposes it through `_governance` / `_setGovernance`, so inheriting this base
/// leaves every storage layout as it was.
abstract contract Governed is IGoverned, UUPSUpgradeable {
    /// @dev Reverts `NotGovernance` unless the caller is the governance account.
    modifier onlyGovernance() {
        if (msg.sender != _governance()) revert NotGovernance();
        _;
    }

    /// @inheritdoc IGoverned
    function setGovernance(address newGovernance) external onlyGovernance {
        if (newGovernance == address(0)) revert InvalidParameters("governance");
        _setGovernance(newGovernance);
        emit GovernanceChanged(newGovernance);
    }

    /// @inheritdoc IGoverned
    function governance() external view returns (address) {
        return _governance();
    }

    /// @dev Only governance may upgrade (a contract may add conditions, calling this first).
    function _authorizeUpgrade(address) internal view virtual override onlyGovernance {}

    /// @dev The governance account, read from the contract's own storage struct.
    function _governance() internal view virtual returns (address);

    /// @dev Writes the governance account into the contract's own storage struct.
    function _setGovernance(address newGovernance) internal virtual;
}
