// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A plain 18-decimals ERC-20 anyone can mint, for the devnet and tests. Never deploy it anywhere
/// that matters.
contract TestToken is ERC20 {
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`. Open to anyone.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @title A mintable ERC-20 that burns `feeBps` basis points of every transfer, for tests of the
/// balance-delta crediting in L1Bridge.depositERC20.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        require(feeBps_ <= 10_000, "fee");
        feeBps = feeBps_;
    }

    /// @notice Mints `amount` to `to`. Open to anyone.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value * feeBps / 10_000;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}
