// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IncrementalMerkle} from "../../src/lib/IncrementalMerkle.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice External wrapper around IncrementalMerkle so tests can pass calldata proofs and keep a tree in
/// storage exactly as the bridges do; also exposes Hashing's leaf of a calldata L1 message.
contract MerkleHarness {
    using IncrementalMerkle for IncrementalMerkle.Tree;

    IncrementalMerkle.Tree internal tree;
    uint256 public count;

    function push(bytes32 leaf) external {
        tree.push(count, leaf);
        ++count;
    }

    function pushAt(uint256 index, bytes32 leaf) external {
        tree.push(index, leaf);
    }

    function root() external view returns (bytes32) {
        return tree.root(count);
    }

    function rootAt(uint256 n) external view returns (bytes32) {
        return tree.root(n);
    }

    function branch(uint256 h) external view returns (bytes32) {
        return tree.branch[h];
    }

    function verify(bytes32 expectedRoot, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return IncrementalMerkle.verify(expectedRoot, leaf, index, proof);
    }

    function computeRoot(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return IncrementalMerkle.computeRoot(leaf, index, proof);
    }

    function zeroHash(uint256 h) external pure returns (bytes32) {
        return IncrementalMerkle.zeroHash(h);
    }

    /// @notice `Hashing.l1MessageLeaf` of `m` through its struct overload (which takes calldata).
    function l1MessageLeaf(uint256 sourceChainId, address sourceBridge, L1Message calldata m)
        external
        pure
        returns (bytes32)
    {
        return Hashing.l1MessageLeaf(sourceChainId, sourceBridge, m);
    }
}
