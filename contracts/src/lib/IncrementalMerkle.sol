// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Depth-32 incremental binary Keccak Merkle tree, shared by both Drawbridge trees.
/// @notice Layout and hashing exactly as docs/design.md "Leaves and the tree":
///  - empty leaf `0`, `zero[0] = 0`, `zero[h+1] = keccak256(zero[h] ++ zero[h])`;
///  - internal node `keccak256(left ++ right)`, ordered by position;
///  - the root of `n` leaves is the depth-32 root with leaves `n..2^32-1` empty.
/// Storage holds only the frontier (`branch[h]`, eth2 deposit-contract style): `push` writes exactly one
/// branch slot and computes no root; `root` is computed on demand. The leaf count is NOT kept here:
/// each bridge packs it into its own hot storage slot and passes it in.
/// Proofs are short: `k <= 32` siblings from the leaf upwards, valid only for `index < 2^k`; levels
/// `k..31` are hashed with the known zero subtrees.
library IncrementalMerkle {
    uint256 internal constant DEPTH = 32;
    /// @dev The frontier algorithm holds at most `2^32 - 1` leaves.
    uint256 internal constant MAX_LEAVES = (1 << 32) - 1;

    /// @dev `branch[h]` is the root of the last complete left subtree of height `h` (valid where bit
    /// `h` of the count is set). 32 consecutive storage slots.
    struct Tree {
        bytes32[32] branch;
    }

    error TreeFull();
    error ProofTooLong(uint256 length);
    error IndexOutOfRange(uint256 index, uint256 proofLength);
    error HeightOutOfRange(uint256 height);

    bytes32 internal constant Z0 = 0x0000000000000000000000000000000000000000000000000000000000000000;
    bytes32 internal constant Z1 = 0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5;
    bytes32 internal constant Z2 = 0xb4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30;
    bytes32 internal constant Z3 = 0x21ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85;
    bytes32 internal constant Z4 = 0xe58769b32a1beaf1ea27375a44095a0d1fb664ce2dd358e7fcbfb78c26a19344;
    bytes32 internal constant Z5 = 0x0eb01ebfc9ed27500cd4dfc979272d1f0913cc9f66540d7e8005811109e1cf2d;
    bytes32 internal constant Z6 = 0x887c22bd8750d34016ac3c66b5ff102dacdd73f6b014e710b51e8022af9a1968;
    bytes32 internal constant Z7 = 0xffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83;
    bytes32 internal constant Z8 = 0x9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756af;
    bytes32 internal constant Z9 = 0xcefad4e508c098b9a7e1d8feb19955fb02ba9675585078710969d3440f5054e0;
    bytes32 internal constant Z10 = 0xf9dc3e7fe016e050eff260334f18a5d4fe391d82092319f5964f2e2eb7c1c3a5;
    bytes32 internal constant Z11 = 0xf8b13a49e282f609c317a833fb8d976d11517c571d1221a265d25af778ecf892;
    bytes32 internal constant Z12 = 0x3490c6ceeb450aecdc82e28293031d10c7d73bf85e57bf041a97360aa2c5d99c;
    bytes32 internal constant Z13 = 0xc1df82d9c4b87413eae2ef048f94b4d3554cea73d92b0f7af96e0271c691e2bb;
    bytes32 internal constant Z14 = 0x5c67add7c6caf302256adedf7ab114da0acfe870d449a3a489f781d659e8becc;
    bytes32 internal constant Z15 = 0xda7bce9f4e8618b6bd2f4132ce798cdc7a60e7e1460a7299e3c6342a579626d2;
    bytes32 internal constant Z16 = 0x2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f;
    bytes32 internal constant Z17 = 0xe1d3b5c807b281e4683cc6d6315cf95b9ade8641defcb32372f1c126e398ef7a;
    bytes32 internal constant Z18 = 0x5a2dce0a8a7f68bb74560f8f71837c2c2ebbcbf7fffb42ae1896f13f7c7479a0;
    bytes32 internal constant Z19 = 0xb46a28b6f55540f89444f63de0378e3d121be09e06cc9ded1c20e65876d36aa0;
    bytes32 internal constant Z20 = 0xc65e9645644786b620e2dd2ad648ddfcbf4a7e5b1a3a4ecfe7f64667a3f0b7e2;
    bytes32 internal constant Z21 = 0xf4418588ed35a2458cffeb39b93d26f18d2ab13bdce6aee58e7b99359ec2dfd9;
    bytes32 internal constant Z22 = 0x5a9c16dc00d6ef18b7933a6f8dc65ccb55667138776f7dea101070dc8796e377;
    bytes32 internal constant Z23 = 0x4df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652;
    bytes32 internal constant Z24 = 0xcdc72595f74c7b1043d0e1ffbab734648c838dfb0527d971b602bc216c9619ef;
    bytes32 internal constant Z25 = 0x0abf5ac974a1ed57f4050aa510dd9c74f508277b39d7973bb2dfccc5eeb0618d;
    bytes32 internal constant Z26 = 0xb8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0;
    bytes32 internal constant Z27 = 0x838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e;
    bytes32 internal constant Z28 = 0x662ee4dd2dd7b2bc707961b1e646c4047669dcb6584f0d8d770daf5d7e7deb2e;
    bytes32 internal constant Z29 = 0x388ab20e2573d171a88108e79d820e98f26c0b84aa8b2f4aa4968dbb818ea322;
    bytes32 internal constant Z30 = 0x93237c50ba75ee485f4c22adf2f741400bdf8d6a9cc7df7ecae576221665d735;
    bytes32 internal constant Z31 = 0x8448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9;
    bytes32 internal constant Z32 = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757;

    /// @notice Appends `leaf` at position `index` (which must equal the current leaf count).
    /// @dev Writes exactly one storage slot: `branch[h]` where `h` is the number of trailing one bits of
    /// `index`, after hashing `branch[0..h-1]` into the new node.
    function push(Tree storage tree, uint256 index, bytes32 leaf) internal {
        if (index >= MAX_LEAVES) revert TreeFull();
        assembly ("memory-safe") {
            let size := add(index, 1)
            let slot := tree.slot
            let node := leaf
            // size < 2^32 has a set bit below bit 32, so the loop ends within 32 iterations.
            for {} iszero(and(size, 1)) {} {
                mstore(0x00, sload(slot))
                mstore(0x20, node)
                node := keccak256(0x00, 0x40)
                size := shr(1, size)
                slot := add(slot, 1)
            }
            sstore(slot, node)
        }
    }

    /// @notice Root of the tree holding its first `count` leaves.
    function root(Tree storage tree, uint256 count) internal view returns (bytes32 node) {
        if (count > MAX_LEAVES) revert TreeFull();
        uint256 size = count;
        for (uint256 h; h < DEPTH; ++h) {
            if (size & 1 == 1) {
                node = hashPair(tree.branch[h], node);
            } else {
                node = hashPair(node, zeroHash(h));
            }
            size >>= 1;
        }
    }

    /// @notice Whether `proof` places `leaf` at `index` under `expectedRoot`.
    /// @dev False (never a revert) for a proof longer than 32 or an index that does not fit in `proof.length` bits.
    function verify(bytes32 expectedRoot, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        (bool ok, bytes32 computed) = tryComputeRoot(leaf, index, proof);
        return ok && computed == expectedRoot;
    }

    /// @notice Root implied by a short proof; reverts when the proof shape is invalid.
    function computeRoot(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32)
    {
        if (proof.length > DEPTH) revert ProofTooLong(proof.length);
        if (index >> proof.length != 0) revert IndexOutOfRange(index, proof.length);
        (, bytes32 computed) = tryComputeRoot(leaf, index, proof);
        return computed;
    }

    /// @notice Root implied by a short proof; `ok` is false when `proof.length > 32` or `index >= 2^proof.length`.
    function tryComputeRoot(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bool ok, bytes32 node)
    {
        uint256 k = proof.length;
        if (k > DEPTH || index >> k != 0) return (false, bytes32(0));
        ok = true;
        assembly ("memory-safe") {
            node := leaf
            let idx := index
            let p := proof.offset
            let end := add(p, shl(5, k))
            for {} lt(p, end) { p := add(p, 0x20) } {
                // bit 1: the node is a right child, sibling on the left.
                let right := and(idx, 1)
                mstore(shl(5, right), node)
                mstore(shl(5, xor(right, 1)), calldataload(p))
                node := keccak256(0x00, 0x40)
                idx := shr(1, idx)
            }
            // Levels k..31: the node is the leftmost subtree, its sibling an empty subtree.
            if lt(k, 1) {
                mstore(0x00, node)
                mstore(0x20, 0)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 2) {
                mstore(0x00, node)
                mstore(0x20, 0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 3) {
                mstore(0x00, node)
                mstore(0x20, 0xb4c11951957c6f8f642c4af61cd6b24640fec6dc7fc607ee8206a99e92410d30)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 4) {
                mstore(0x00, node)
                mstore(0x20, 0x21ddb9a356815c3fac1026b6dec5df3124afbadb485c9ba5a3e3398a04b7ba85)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 5) {
                mstore(0x00, node)
                mstore(0x20, 0xe58769b32a1beaf1ea27375a44095a0d1fb664ce2dd358e7fcbfb78c26a19344)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 6) {
                mstore(0x00, node)
                mstore(0x20, 0x0eb01ebfc9ed27500cd4dfc979272d1f0913cc9f66540d7e8005811109e1cf2d)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 7) {
                mstore(0x00, node)
                mstore(0x20, 0x887c22bd8750d34016ac3c66b5ff102dacdd73f6b014e710b51e8022af9a1968)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 8) {
                mstore(0x00, node)
                mstore(0x20, 0xffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 9) {
                mstore(0x00, node)
                mstore(0x20, 0x9867cc5f7f196b93bae1e27e6320742445d290f2263827498b54fec539f756af)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 10) {
                mstore(0x00, node)
                mstore(0x20, 0xcefad4e508c098b9a7e1d8feb19955fb02ba9675585078710969d3440f5054e0)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 11) {
                mstore(0x00, node)
                mstore(0x20, 0xf9dc3e7fe016e050eff260334f18a5d4fe391d82092319f5964f2e2eb7c1c3a5)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 12) {
                mstore(0x00, node)
                mstore(0x20, 0xf8b13a49e282f609c317a833fb8d976d11517c571d1221a265d25af778ecf892)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 13) {
                mstore(0x00, node)
                mstore(0x20, 0x3490c6ceeb450aecdc82e28293031d10c7d73bf85e57bf041a97360aa2c5d99c)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 14) {
                mstore(0x00, node)
                mstore(0x20, 0xc1df82d9c4b87413eae2ef048f94b4d3554cea73d92b0f7af96e0271c691e2bb)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 15) {
                mstore(0x00, node)
                mstore(0x20, 0x5c67add7c6caf302256adedf7ab114da0acfe870d449a3a489f781d659e8becc)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 16) {
                mstore(0x00, node)
                mstore(0x20, 0xda7bce9f4e8618b6bd2f4132ce798cdc7a60e7e1460a7299e3c6342a579626d2)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 17) {
                mstore(0x00, node)
                mstore(0x20, 0x2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 18) {
                mstore(0x00, node)
                mstore(0x20, 0xe1d3b5c807b281e4683cc6d6315cf95b9ade8641defcb32372f1c126e398ef7a)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 19) {
                mstore(0x00, node)
                mstore(0x20, 0x5a2dce0a8a7f68bb74560f8f71837c2c2ebbcbf7fffb42ae1896f13f7c7479a0)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 20) {
                mstore(0x00, node)
                mstore(0x20, 0xb46a28b6f55540f89444f63de0378e3d121be09e06cc9ded1c20e65876d36aa0)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 21) {
                mstore(0x00, node)
                mstore(0x20, 0xc65e9645644786b620e2dd2ad648ddfcbf4a7e5b1a3a4ecfe7f64667a3f0b7e2)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 22) {
                mstore(0x00, node)
                mstore(0x20, 0xf4418588ed35a2458cffeb39b93d26f18d2ab13bdce6aee58e7b99359ec2dfd9)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 23) {
                mstore(0x00, node)
                mstore(0x20, 0x5a9c16dc00d6ef18b7933a6f8dc65ccb55667138776f7dea101070dc8796e377)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 24) {
                mstore(0x00, node)
                mstore(0x20, 0x4df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 25) {
                mstore(0x00, node)
                mstore(0x20, 0xcdc72595f74c7b1043d0e1ffbab734648c838dfb0527d971b602bc216c9619ef)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 26) {
                mstore(0x00, node)
                mstore(0x20, 0x0abf5ac974a1ed57f4050aa510dd9c74f508277b39d7973bb2dfccc5eeb0618d)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 27) {
                mstore(0x00, node)
                mstore(0x20, 0xb8cd74046ff337f0a7bf2c8e03e10f642c1886798d71806ab1e888d9e5ee87d0)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 28) {
                mstore(0x00, node)
                mstore(0x20, 0x838c5655cb21c6cb83313b5a631175dff4963772cce9108188b34ac87c81c41e)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 29) {
                mstore(0x00, node)
                mstore(0x20, 0x662ee4dd2dd7b2bc707961b1e646c4047669dcb6584f0d8d770daf5d7e7deb2e)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 30) {
                mstore(0x00, node)
                mstore(0x20, 0x388ab20e2573d171a88108e79d820e98f26c0b84aa8b2f4aa4968dbb818ea322)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 31) {
                mstore(0x00, node)
                mstore(0x20, 0x93237c50ba75ee485f4c22adf2f741400bdf8d6a9cc7df7ecae576221665d735)
                node := keccak256(0x00, 0x40)
            }
            if lt(k, 32) {
                mstore(0x00, node)
                mstore(0x20, 0x8448818bb4ae4562849e949e17ac16e0be16688e156b5cf15e098c627c0056a9)
                node := keccak256(0x00, 0x40)
            }
        }
    }

    /// @notice `keccak256(left ++ right)`.
    function hashPair(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Root of an empty subtree of height `h` (`h <= 32`); `zeroHash(32)` is the empty tree's root.
    /// @dev A constant table: no storage reads, no hashing.
    function zeroHash(uint256 h) internal pure returns (bytes32) {
        if (h > DEPTH) revert HeightOutOfRange(h);
        if (h < 16) {
            if (h < 8) {
                if (h < 4) {
                    if (h < 2) {
                        if (h < 1) {
                            return Z0;
                        } else {
                            return Z1;
                        }
                    } else {
                        if (h < 3) {
                            return Z2;
                        } else {
                            return Z3;
                        }
                    }
                } else {
                    if (h < 6) {
                        if (h < 5) {
                            return Z4;
                        } else {
                            return Z5;
                        }
                    } else {
                        if (h < 7) {
                            return Z6;
                        } else {
                            return Z7;
                        }
                    }
                }
            } else {
                if (h < 12) {
                    if (h < 10) {
                        if (h < 9) {
                            return Z8;
                        } else {
                            return Z9;
                        }
                    } else {
                        if (h < 11) {
                            return Z10;
                        } else {
                            return Z11;
                        }
                    }
                } else {
                    if (h < 14) {
                        if (h < 13) {
                            return Z12;
                        } else {
                            return Z13;
                        }
                    } else {
                        if (h < 15) {
                            return Z14;
                        } else {
                            return Z15;
                        }
                    }
                }
            }
        } else {
            if (h < 24) {
                if (h < 20) {
                    if (h < 18) {
                        if (h < 17) {
                            return Z16;
                        } else {
                            return Z17;
                        }
                    } else {
                        if (h < 19) {
                            return Z18;
                        } else {
                            return Z19;
                        }
                    }
                } else {
                    if (h < 22) {
                        if (h < 21) {
                            return Z20;
                        } else {
                            return Z21;
                        }
                    } else {
                        if (h < 23) {
                            return Z22;
                        } else {
                            return Z23;
                        }
                    }
                }
            } else {
                if (h < 28) {
                    if (h < 26) {
                        if (h < 25) {
                            return Z24;
                        } else {
                            return Z25;
                        }
                    } else {
                        if (h < 27) {
                            return Z26;
                        } else {
                            return Z27;
                        }
                    }
                } else {
                    if (h < 30) {
                        if (h < 29) {
                            return Z28;
                        } else {
                            return Z29;
                        }
                    } else {
                        if (h < 31) {
                            return Z30;
                        } else {
                            if (h < 32) {
                                return Z31;
                            } else {
                                return Z32;
                            }
                        }
                    }
                }
            }
        }
    }
}
