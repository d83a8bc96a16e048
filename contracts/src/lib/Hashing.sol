// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L1Message} from "../Types.sol";

/// @title Typed, double-hashed leaves of the two Drawbridge trees (docs/design.md "Leaves and the tree").
/// @notice `inner = keccak256(abi.encode(TYPEHASH, ...fields))`, `leaf = keccak256(abi.encode(inner))`.
/// A leaf is the hash of 32 bytes and an internal node the hash of 64 bytes, so a leaf is never a node;
/// the typehash separates the trees, chain id and bridge address separate deployments.
library Hashing {
    /// @notice keccak256("Drawbridge.L1Message(uint256 sourceChainId,address sourceBridge,uint8 kind,uint64 nonce,address sender,address recipient,address token,uint256 amount,bytes32 dataHash)")
    bytes32 internal constant L1_MESSAGE_TYPEHASH =
        0xc9b558d99d468d5c56a2e0846c37be28e28a84f45aff7dbdd8727c0941af3e39;
    /// @notice keccak256("Drawbridge.Withdrawal(uint256 sourceChainId,address sourceBridge,uint64 nonce,address sender,address recipient,address l1Token,uint256 amount)")
    bytes32 internal constant WITHDRAWAL_TYPEHASH =
        0xb8c253aaab002dd98682b9b4a9934cd76557ddea781225075b55322e330092b3;

    /// @notice keccak256("") : the `dataHash` of a message with empty data.
    bytes32 internal constant EMPTY_DATA_HASH =
        0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

    /// @notice L1->L2 message kinds.
    uint8 internal constant KIND_DEPOSIT = 1;
    uint8 internal constant KIND_FORCED_WITHDRAWAL = 2;

    /// @notice Leaf of an L1->L2 message. `dataHash` is `keccak256(data)`.
    function l1MessageLeaf(
        uint256 sourceChainId,
        address sourceBridge,
        uint8 kind,
        uint64 nonce,
        address sender,
        address recipient,
        address token,
        uint256 amount,
        bytes32 dataHash
    ) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            // Scratch space above the free memory pointer; the pointer is not moved.
            let p := mload(0x40)
            let m := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(p, L1_MESSAGE_TYPEHASH)
            mstore(add(p, 0x20), sourceChainId)
            mstore(add(p, 0x40), and(sourceBridge, m))
            mstore(add(p, 0x60), and(kind, 0xff))
            mstore(add(p, 0x80), and(nonce, 0xffffffffffffffff))
            mstore(add(p, 0xa0), and(sender, m))
            mstore(add(p, 0xc0), and(recipient, m))
            mstore(add(p, 0xe0), and(token, m))
            mstore(add(p, 0x100), amount)
            mstore(add(p, 0x120), dataHash)
            mstore(0x00, keccak256(p, 0x140))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @notice Leaf of the L1->L2 message `m` (`dataHash` is `keccak256(m.data)`).
    function l1MessageLeaf(uint256 sourceChainId, address sourceBridge, L1Message calldata m)
        internal
        pure
        returns (bytes32)
    {
        return l1MessageLeaf(
            sourceChainId,
            sourceBridge,
            m.kind,
            m.nonce,
            m.sender,
            m.recipient,
            m.token,
            m.amount,
            keccak256(m.data)
        );
    }

    /// @notice Leaf of an L2->L1 withdrawal.
    function withdrawalLeaf(
        uint256 sourceChainId,
        address sourceBridge,
        uint64 nonce,
        address sender,
        address recipient,
        address l1Token,
        uint256 amount
    ) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let m := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(p, WITHDRAWAL_TYPEHASH)
            mstore(add(p, 0x20), sourceChainId)
            mstore(add(p, 0x40), and(sourceBridge, m))
            mstore(add(p, 0x60), and(nonce, 0xffffffffffffffff))
            mstore(add(p, 0x80), and(sender, m))
            mstore(add(p, 0xa0), and(recipient, m))
            mstore(add(p, 0xc0), and(l1Token, m))
            mstore(add(p, 0xe0), amount)
            mstore(0x00, keccak256(p, 0x100))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @notice `data` of the first deposit of a token: `abi.encode(name, symbol, decimals)`.
    function tokenMetadata(string memory name, string memory symbol, uint8 decimals)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encode(name, symbol, decimals);
    }
}
