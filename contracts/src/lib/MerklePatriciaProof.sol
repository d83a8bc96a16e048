// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Merkle-Patricia proof verification on calldata.
/// @notice Reads `eth_getProof`-style proofs (RLP nodes, root first) in place, without copying or decoding
/// them into memory: OpenZeppelin's TrieProof costs about 24,000 gas per node, which puts an escape with
/// mainnet-depth proofs near 800,000 gas; this reads each node once (test/MerklePatriciaProof.t.sol checks
/// it against TrieProof on random tries, and test/EscapeGas.t.sol measures it).
///
/// Accepts only what a proof of a 32-byte (hashed) key in a real trie looks like, and reports anything else
/// as not proven (`ok == false`), never by reverting:
///  - node k is bound by its keccak256 to the root (k = 0) or to the 32-byte reference its parent holds;
///    a child embedded in its parent (a node shorter than 32 bytes) is refused: for hashed keys it needs a
///    shared key prefix of about 30 bytes, which no real trie has;
///  - every node is one RLP list that spans the node exactly, of 17 items (branch) or 2 (extension/leaf),
///    every item inside it; hex-prefix flags 0-3 with a zero pad nibble when even; no empty extension;
///  - every RLP header is canonical, as consensus clients require: a long form only for payloads of 56
///    bytes or more, its length without leading zero bytes, and no single byte below 0x80 wrapped as a
///    one-byte string (otherwise several encodings of one node would verify);
///  - the key is consumed nibble by nibble and ends exactly at the leaf, which must be the last node;
///    a branch's value slot is never the answer (keys are 32 bytes, they end at leaves).
library MerklePatriciaProof {
    /// @dev Proven value (the leaf's value string, a calldata slice of the last node) of `key` under `root`.
    function get(bytes32 root, bytes32 key, bytes[] calldata proof)
        internal
        pure
        returns (bool ok, bytes calldata value)
    {
        uint256 start;
        uint256 end;
        (ok, start, end) = _walk(root, key, proof);
        value = ok ? proof[proof.length - 1][start:end] : msg.data[0:0];
    }

    /// @dev `get`'s walk: the value's offsets in the last node when proven.
    function _walk(bytes32 root, bytes32 key, bytes[] calldata proof)
        private
        pure
        returns (bool ok, uint256 start, uint256 end)
    {
        bytes32 expected = root;
        uint256 depth; // nibbles of `key` consumed
        uint256[34] memory items; // start and end offset of each item of the current node, reused
        for (uint256 k; k < proof.length; ++k) {
            bytes calldata node = proof[k];
            if (keccak256(node) != expected) return (false, 0, 0);
            uint256 step;
            (step, depth, start, end) = _step(node, key, depth, items);
            if (step == STEP_FAIL) return (false, 0, 0);
            // At a leaf the key ends, and so must the proof.
            if (step == STEP_LEAF) return (k == proof.length - 1, start, end);
            expected = bytes32(node[start:end]);
        }
        return (false, 0, 0);
    }

    uint256 private constant STEP_FAIL = 0;
    uint256 private constant STEP_FOLLOW = 1;
    uint256 private constant STEP_LEAF = 2;

    /// @dev One node: STEP_FOLLOW with the 32-byte child reference at `[start, end)`, STEP_LEAF with the value
    /// at `[start, end)` (the key is consumed), or STEP_FAIL; and the depth after the node.
    function _step(bytes calldata node, bytes32 key, uint256 depth, uint256[34] memory items)
        private
        pure
        returns (uint256 step, uint256 newDepth, uint256 start, uint256 end)
    {
        (uint256 count, uint256 lists, bool ok) = _items(node, items);
        if (!ok) return (STEP_FAIL, 0, 0, 0);
        if (count == 17) {
            if (depth >= 64) return (STEP_FAIL, 0, 0, 0);
            uint256 c = _nibble(key, depth);
            (start, end) = (items[2 * c], items[2 * c + 1]);
            // A child is a 32-byte string; an empty one means the key is absent.
            if (end - start != 32 || lists & (1 << c) != 0) return (STEP_FAIL, 0, 0, 0);
            return (STEP_FOLLOW, depth + 1, start, end);
        }
        if (count != 2 || lists & 2 != 0) return (STEP_FAIL, 0, 0, 0);
        bool isLeaf;
        (ok, isLeaf, newDepth) = _followPath(node[items[0]:items[1]], key, depth);
        (start, end) = (items[2], items[3]);
        if (!ok) return (STEP_FAIL, 0, 0, 0);
        if (isLeaf) return (newDepth == 64 ? STEP_LEAF : STEP_FAIL, newDepth, start, end);
        if (end - start != 32) return (STEP_FAIL, 0, 0, 0);
        return (STEP_FOLLOW, newDepth, start, end);
    }

    /// @dev Storage root of an account value `[nonce, balance, storageRoot, codeHash]`: exactly four items in
    /// one list spanning `account`, the third a 32-byte string.
    function accountStorageRoot(bytes calldata account) internal pure returns (bool ok, bytes32 storageRoot) {
        uint256[34] memory items;
        (uint256 count, uint256 lists, bool itemsOk) = _items(account, items);
        if (!itemsOk || count != 4) return (false, bytes32(0));
        uint256 start = items[4];
        if (items[5] - start != 32 || lists & 4 != 0) return (false, bytes32(0));
        return (true, bytes32(account[start:items[5]]));
    }

    /// @dev A canonical RLP integer: one byte below 0x80, or `0x80 + n` followed by exactly `n <= 32` bytes
    /// without a leading zero (n = 1 needs a byte >= 0x80); `0x80` alone is zero.
    function canonicalUint(bytes calldata rlp) internal pure returns (bool ok, uint256 v) {
        uint256 len = rlp.length;
        if (len == 0) return (false, 0);
        uint256 prefix = uint8(rlp[0]);
        if (prefix < 0x80) return (len == 1, prefix);
        uint256 size = prefix - 0x80;
        if (size > 32 || len != size + 1) return (false, 0);
        if (size == 0) return (true, 0);
        uint256 first = uint8(rlp[1]);
        if (first == 0 || (size == 1 && first < 0x80)) return (false, 0);
        v = uint256(bytes32(rlp[1:len])) >> (256 - 8 * size);
        return (true, v);
    }

    /// @dev Splits `list`, which must be exactly one RLP list, into at most 17 items: start and end offsets
    /// of item i's payload in `items[2i]`, `items[2i + 1]`, bit i of `lists` set when item i is a list.
    /// Assembly: reading calldata byte by byte through Solidity's checked slices cost several times the gas.
    /// Every offset is checked against the end of its enclosing item, so nothing past `list` is read as data.
    function _items(bytes calldata list, uint256[34] memory items)
        private
        pure
        returns (uint256 count, uint256 lists, bool ok)
    {
        assembly ("memory-safe") {
            // The RLP item at `pos`, which must end by `limit`: whether it is a list, its payload's bounds.
            function header(base, pos, limit) -> isList, start, end, good {
                if lt(pos, limit) {
                    let p := byte(0, calldataload(add(base, pos)))
                    let len := 0
                    let lengthOfLength := 0
                    let canonical := 1
                    switch lt(p, 0x80)
                    case 1 {
                        start := pos
                        len := 1
                    }
                    default {
                        switch lt(p, 0xc0)
                        case 1 {
                            switch lt(p, 0xb8)
                            case 1 { len := sub(p, 0x80) }
                            default { lengthOfLength := sub(p, 0xb7) }
                        }
                        default {
                            isList := 1
                            switch lt(p, 0xf8)
                            case 1 { len := sub(p, 0xc0) }
                            default { lengthOfLength := sub(p, 0xf7) }
                        }
                        start := add(add(pos, 1), lengthOfLength)
                        switch lengthOfLength
                        case 0 {
                            // A one-byte string must hold a byte >= 0x80 (a lower byte is its own encoding).
                            if and(eq(p, 0x81), lt(add(pos, 1), limit)) {
                                if lt(byte(0, calldataload(add(add(base, pos), 1))), 0x80) { canonical := 0 }
                            }
                        }
                        default {
                            len := shr(sub(256, mul(8, lengthOfLength)), calldataload(add(add(base, pos), 1)))
                            // Long form only from 56 bytes, and its length without a leading zero byte.
                            if or(lt(len, 56), iszero(byte(0, calldataload(add(add(base, pos), 1))))) {
                                canonical := 0
                            }
                        }
                    }
                    // start <= limit and len <= limit keep start + len from overflowing.
                    end := add(start, len)
                    good := and(
                        canonical,
                        and(and(iszero(gt(start, limit)), iszero(gt(len, limit))), iszero(gt(end, limit)))
                    )
                }
            }
            let base := list.offset
            let isList, pos, end, good := header(base, 0, list.length)
            if and(and(good, isList), eq(end, list.length)) {
                ok := 1
                for {} lt(pos, end) {} {
                    if eq(count, 17) {
                        ok := 0
                        break
                    }
                    let itemIsList := 0
                    let start := add(pos, 1)
                    let itemEnd := 0
                    // Fast path for what branch nodes are made of: a 32-byte reference or an empty child.
                    switch byte(0, calldataload(add(base, pos)))
                    case 0xa0 { itemEnd := add(pos, 33) }
                    case 0x80 { itemEnd := start }
                    default {
                        let itemGood := 0
                        itemIsList, start, itemEnd, itemGood := header(base, pos, end)
                        if iszero(itemGood) {
                            ok := 0
                            break
                        }
                    }
                    if gt(itemEnd, end) {
                        ok := 0
                        break
                    }
                    let slot := add(items, shl(6, count))
                    mstore(slot, start)
                    mstore(add(slot, 0x20), itemEnd)
                    if itemIsList { lists := or(lists, shl(count, 1)) }
                    pos := itemEnd
                    count := add(count, 1)
                }
            }
            if iszero(ok) {
                count := 0
                lists := 0
            }
        }
    }

    /// @dev Matches the hex-prefix encoded `path` against `key` from nibble `depth`: whether it matches, whether
    /// the node is a leaf, and the depth after it. Compares all nibbles at once as 256-bit words.
    function _followPath(bytes calldata path, bytes32 key, uint256 depth)
        private
        pure
        returns (bool ok, bool isLeaf, uint256 newDepth)
    {
        if (path.length == 0) return (false, false, 0);
        uint256 first = uint8(path[0]);
        uint256 flag = first >> 4;
        if (flag > 3) return (false, false, 0);
        isLeaf = flag >= 2;
        bool odd = flag & 1 == 1;
        if (!odd && first & 0x0f != 0) return (false, false, 0);
        uint256 pathLength = 2 * (path.length - 1) + (odd ? 1 : 0);
        if (pathLength == 0 && !isLeaf) return (false, false, 0);
        newDepth = depth + pathLength;
        if (newDepth > 64) return (false, false, 0);
        uint256 keyBits = uint256(key) << (4 * depth); // the key's nibbles from `depth`, at the top
        uint256 pathBits;
        assembly ("memory-safe") {
            // The path's nibbles at the top (bytes after the path are masked off below).
            pathBits := calldataload(add(path.offset, 1))
            if odd { pathBits := or(shl(252, and(first, 0x0f)), shr(4, pathBits)) }
        }
        uint256 drop = 256 - 4 * pathLength; // 256 (compare nothing) for an empty leaf path
        ok = drop == 256 || (keyBits >> drop) == (pathBits >> drop);
    }

    function _nibble(bytes32 key, uint256 i) private pure returns (uint256) {
        return (uint256(key) >> (252 - 4 * i)) & 0x0f;
    }
}
