// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {IL2Bridge} from "./interfaces/IL2Bridge.sol";

/// @title The L2 representation of one L1 token (ETH included), minted and burned by the L2 bridge only.
/// @notice Not upgradeable. Storage is OpenZeppelin ERC20's and nothing precedes it, so balances are the
/// mapping at slot 0: the balance of `account` is at `keccak256(abi.encode(account, uint256(0)))`, which
/// the escape proofs rely on (docs/design.md, contracts/STORAGE.md).
/// Deployed by L2Bridge with CREATE2, salt `bytes32(uint256(uint160(l1Token)))` and no constructor
/// arguments: the constructor reads its parameters back from the deploying bridge, so the address depends
/// on the L1 token alone.
contract BridgedToken is ERC20 {
    /// @notice The L2 bridge that deployed this token; the only account that may mint and burn.
    address public immutable bridge;
    /// @notice The L1 token this token represents (`address(0)` for ETH).
    address public immutable l1Token;
    uint8 private immutable _decimals;

    error OnlyBridge();

    constructor() ERC20(_name(), _symbol()) {
        (address token,,, uint8 decimals_) = IL2Bridge(msg.sender).bridgedTokenParams();
        bridge = msg.sender;
        l1Token = token;
        _decimals = decimals_;
    }

    /// @notice Mints `amount` to `to` (bridge only).
    function mint(address to, uint256 amount) external {
        if (msg.sender != bridge) revert OnlyBridge();
        _mint(to, amount);
    }

    /// @notice Burns `amount` from `from` (bridge only); reverts if `from` holds less.
    function burn(address from, uint256 amount) external {
        if (msg.sender != bridge) revert OnlyBridge();
        _burn(from, amount);
    }

    /// @notice Decimals of the L1 token as announced on its first deposit.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function _name() private view returns (string memory name_) {
        (, name_,,) = IL2Bridge(msg.sender).bridgedTokenParams();
    }

    function _symbol() private view returns (string memory symbol_) {
        (,, symbol_,) = IL2Bridge(msg.sender).bridgedTokenParams();
    }
}
