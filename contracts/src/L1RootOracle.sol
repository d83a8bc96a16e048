// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {IL1RootOracle} from "./interfaces/IL1RootOracle.sol";
import {Governed} from "./lib/Governed.sol";

/// @title Roots of the L1 message tree known on L2.
/// @notice The publisher (the sequencer in the devnet) publishes roots that `L1Bridge.commitMessageRoot`
/// committed on L1, with the number of messages each covers; a watchdog checks every one against
/// `L1Bridge.messageRootCount`. In production the L2's native view of L1 replaces this contract.
/// UUPS implementation behind an ERC1967Proxy; state in one ERC-7201 namespaced struct (STORAGE.md).
contract L1RootOracle is IL1RootOracle, Initializable, Governed {
    /// @custom:storage-location erc7201:drawbridge.storage.L1RootOracle
    struct L1RootOracleStorage {
        // slot 0
        address governance;
        // slot 1
        address publisher;
        uint64 latestCount;
        // slot 2
        bytes32 latestRoot;
        // slot 3
        mapping(bytes32 root => uint64 count) rootCount;
    }

    // keccak256(abi.encode(uint256(keccak256("drawbridge.storage.L1RootOracle")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0xaedf15fa774474911dfad0570c587ef2a3ed3fd1003446006a78f51a1f75a200;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy with its governance (upgrade admin) and publisher.
    function initialize(address governance_, address publisher_) external initializer {
        if (governance_ == address(0)) revert InvalidParameters("governance");
        if (publisher_ == address(0)) revert InvalidParameters("publisher");
        L1RootOracleStorage storage $ = _s();
        $.governance = governance_;
        $.publisher = publisher_;
        emit GovernanceChanged(governance_);
        emit PublisherChanged(publisher_);
    }

    /// @inheritdoc IL1RootOracle
    /// @dev Rejects a zero root and a zero count. Republishing a known root with the same count is a no-op;
    /// with another count it reverts. `latestRoot` follows the largest count published.
    function publishRoot(bytes32 root, uint64 count) external {
        L1RootOracleStorage storage $ = _s();
        if (msg.sender != $.publisher) revert NotPublisher();
        if (root == bytes32(0)) revert ZeroRoot();
        if (count == 0) revert ZeroCount();
        uint64 known = $.rootCount[root];
        if (known != 0) {
            if (known != count) revert RootCountMismatch(root, known, count);
            return;
        }
        $.rootCount[root] = count;
        if (count >= $.latestCount) {
            $.latestCount = count;
            $.latestRoot = root;
        }
        emit RootPublished(root, count);
    }

    /// @inheritdoc IL1RootOracle
    function setPublisher(address newPublisher) external onlyGovernance {
        if (newPublisher == address(0)) revert InvalidParameters("publisher");
        _s().publisher = newPublisher;
        emit PublisherChanged(newPublisher);
    }

    /// @inheritdoc IL1RootOracle
    function rootCount(bytes32 root) external view returns (uint64) {
        return _s().rootCount[root];
    }

    /// @inheritdoc IL1RootOracle
    function isKnownRoot(bytes32 root) external view returns (bool) {
        return _s().rootCount[root] != 0;
    }

    /// @inheritdoc IL1RootOracle
    function latestRoot() external view returns (bytes32) {
        return _s().latestRoot;
    }

    /// @inheritdoc IL1RootOracle
    function latestCount() external view returns (uint64) {
        return _s().latestCount;
    }

    /// @inheritdoc IL1RootOracle
    function publisher() external view returns (address) {
        return _s().publisher;
    }

    /// @dev `Governed`'s view of `governance`, kept in this contract's struct (slot 0).
    function _governance() internal view override returns (address) {
        return _s().governance;
    }

    function _setGovernance(address newGovernance) internal override {
        _s().governance = newGovernance;
    }

    function _s() private pure returns (L1RootOracleStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
