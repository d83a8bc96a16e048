// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IL1Bridge} from "../interfaces/IL1Bridge.sol";

/// @title The pause-window rule, shared by L1Bridge (`pause`) and SecurityCouncil (`pause`, which mirrors
/// the bridge's bookkeeping).
/// @notice A pause lasts `duration` seconds from now. A new pause may start only once `cooldown`
/// seconds have passed since the previous one ended at `last` (its end time, or the time it was lifted);
/// before that it reverts `PauseCooldown(availableAt)`. The first pause (`last == 0`) has nothing to wait for:
/// callers skip `checkCooldown` then, which also spares them reading the cooldown.
library PauseWindow {
    /// @dev Reverts `PauseCooldown(last + cooldown)` (`IL1Bridge.PauseCooldown`, which is also the council's
    /// error) while `block.timestamp < last + cooldown`. Only for `last != 0`.
    function checkCooldown(uint64 last, uint256 cooldown) internal view {
        uint256 availableAt = uint256(last) + cooldown;
        if (block.timestamp < availableAt) revert IL1Bridge.PauseCooldown(uint64(availableAt));
    }
}
