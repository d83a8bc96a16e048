// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Plain, slow, memory-only reference for the Drawbridge tree (docs/design.md): full levels,
/// zero subtrees past the leaf count. Used to cross-check IncrementalMerkle and to build proofs in tests.
library MerkleRef {
    uint256 internal constant DEPTH = 32;

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(a, b));
    }

    /// @notice zero[h] computed by hashing (not from a table).
    function zero(uint256 h) internal pure returns (bytes32 z) {
        for (uint256 i; i < h; ++i) {
            z = hashPair(z, z);
        }
    }

    /// @notice Depth-32 root of the first `count` entries of `leaves`.
    function root(bytes32[] memory leaves, uint256 count) internal pure returns (bytes32) {
        require(count <= leaves.length, "MerkleRef: count");
        bytes32[] memory layer = _prefix(leaves, count);
        bytes32 z;
        for (uint256 h; h < DEPTH; ++h) {
            layer = _parents(layer, z);
            z = hashPair(z, z);
        }
        return layer.length == 0 ? z : layer[0];
    }

    /// @notice Number of siblings a prover sends for a tree of `count >= 1` leaves: bitlen(count - 1).
    function proofLength(uint256 count) internal pure returns (uint256 k) {
        require(count >= 1, "MerkleRef: empty");
        uint256 x = count - 1;
        while (x != 0) {
            ++k;
            x >>= 1;
        }
    }

    /// @notice Short proof of `leaves[index]` under the root of the first `count` leaves.
    function proof(bytes32[] memory leaves, uint256 count, uint256 index)
        internal
        pure
        returns (bytes32[] memory p)
    {
        require(index < count && count <= leaves.length, "MerkleRef: index");
        uint256 k = proofLength(count);
        p = new bytes32[](k);
        bytes32[] memory layer = _prefix(leaves, count);
        bytes32 z;
        uint256 idx = index;
        for (uint256 h; h < k; ++h) {
            uint256 sib = idx ^ 1;
            p[h] = sib < layer.length ? layer[sib] : z;
            layer = _parents(layer, z);
            z = hashPair(z, z);
            idx >>= 1;
        }
    }

    /// @dev A copy of the first `count` entries of `leaves`.
    function _prefix(bytes32[] memory leaves, uint256 count) private pure returns (bytes32[] memory layer) {
        layer = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            layer[i] = leaves[i];
        }
    }

    /// @dev The layer above `layer`, whose missing right siblings are the zero subtree `z`.
    function _parents(bytes32[] memory layer, bytes32 z) private pure returns (bytes32[] memory next) {
        uint256 n = (layer.length + 1) / 2;
        next = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 left = layer[2 * i];
            bytes32 right = 2 * i + 1 < layer.length ? layer[2 * i + 1] : z;
            next[i] = hashPair(left, right);
        }
    }
}
