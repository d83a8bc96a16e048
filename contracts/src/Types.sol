// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice An L1->L2 message exactly as L1 hashes it into the message tree and L2 consumes it (the leaf is
/// `Hashing.l1MessageLeaf`). Declared once at file level, shared by `IL1Bridge` (`refundDeposit`) and
/// `IL2Bridge` (`relayMessages`, `l1MessageLeaf`); its ABI tuple is
/// `(uint8,uint64,address,address,address,uint256,bytes)`.
struct L1Message {
    uint8 kind;
    uint64 nonce;
    address sender;
    address recipient;
    address token;
    uint256 amount;
    bytes data;
}
