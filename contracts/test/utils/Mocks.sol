// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";

/// @notice A bare ERC-20 whose metadata getters (and anything else unknown) answer from a table of raw
/// return data, revert, or burn all gas: for the defensive metadata reads of L1Bridge.
contract RawMetadataToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(bytes4 => bytes) internal raw;
    mapping(bytes4 => bool) internal reverts;
    mapping(bytes4 => bool) internal burns;

    bytes4 internal constant NAME = 0x06fdde03;
    bytes4 internal constant SYMBOL = 0x95d89b41;
    bytes4 internal constant DECIMALS = 0x313ce567;

    function setRaw(bytes4 selector, bytes calldata data) external {
        raw[selector] = data;
    }

    function setReverts(bytes4 selector) external {
        reverts[selector] = true;
    }

    function setBurnsGas(bytes4 selector) external {
        burns[selector] = true;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    fallback() external {
        bytes4 selector = msg.sig;
        if (burns[selector]) {
            while (true) {}
        }
        if (reverts[selector]) revert("no metadata");
        bytes memory r = raw[selector];
        assembly {
            return(add(r, 32), mload(r))
        }
    }
}

/// @notice transferFrom succeeds without moving anything.
contract NoArriveToken {
    function balanceOf(address) external pure returns (uint256) {
        return 1000;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }

    function name() external pure returns (string memory) {
        return "Nothing";
    }
}

/// @notice Re-enters the bridge from transferFrom.
contract ReentrantToken {
    IL1Bridge public bridge;
    uint256 public mode; // 0: re-enter depositERC20, 1: re-enter depositETH
    mapping(address => uint256) public balanceOf;

    constructor(IL1Bridge bridge_) {
        bridge = bridge_;
    }

    function setMode(uint256 mode_) external {
        mode = mode_;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        if (mode == 0) bridge.depositERC20(address(this), from, 1);
        else bridge.depositETH{value: 0}(from);
        return true;
    }
}

/// @notice Refuses ETH.
contract RejectETH {
    receive() external payable {
        revert("no ETH");
    }

    function execute(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
