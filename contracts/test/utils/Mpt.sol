// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Memory} from "@openzeppelin/contracts/utils/Memory.sol";
import {RLP} from "@openzeppelin/contracts/utils/RLP.sol";

/// @notice A memory-only Ethereum Merkle-Patricia trie for tests: builds the trie of a set of entries
/// (already-hashed 32-byte paths, as in the secure state and storage tries) and returns its root and
/// `eth_getProof`-style proofs (the root node, then every node on the path whose encoding is 32 bytes or
/// longer; shorter nodes are inlined in their parent). Nodes are canonical RLP: leaves and extensions
/// `[hexPrefix(path), value]`, branches of 17 items with an empty value. `test/Escape.t.sol` checks that it
/// reproduces the storage roots a real anvil reported.
/// Also rewrites real proofs: replace the last node and re-hash every ancestor.
library Mpt {
    using RLP for bytes;
    using Memory for bytes;
    using Memory for Memory.Slice;
    using RLP for Memory.Slice;

    struct Entry {
        bytes32 path;
        bytes value;
    }

    /// @dev RLP of the empty string: an empty branch child and the empty branch value.
    bytes internal constant EMPTY = hex"80";

    // ------------------------------------------------------------------------------------------------
    // values
    // ------------------------------------------------------------------------------------------------

    /// @dev A storage-trie entry: path `keccak256(slot)`, value the canonical RLP of the word.
    function storageEntry(bytes32 slot, uint256 word) internal pure returns (Entry memory) {
        return Entry({path: keccak256(abi.encode(slot)), value: RLP.encode(word)});
    }

    /// @dev A state-trie entry: path `keccak256(account)`, value `[nonce, balance, storageRoot, codeHash]`.
    function accountEntry(
        address account,
        uint256 nonce,
        uint256 balance,
        bytes32 storageRoot,
        bytes32 codeHash
    ) internal pure returns (Entry memory) {
        bytes[] memory f = new bytes[](4);
        f[0] = RLP.encode(nonce);
        f[1] = RLP.encode(balance);
        f[2] = RLP.encode(storageRoot);
        f[3] = RLP.encode(codeHash);
        return Entry({path: keccak256(abi.encodePacked(account)), value: RLP.encode(f)});
    }

    // ------------------------------------------------------------------------------------------------
    // building
    // ------------------------------------------------------------------------------------------------

    function root(Entry[] memory entries) internal pure returns (bytes32) {
        if (entries.length == 0) return keccak256(EMPTY);
        Entry[] memory es = _sorted(entries);
        return keccak256(_node(es, 0, es.length, 0));
    }

    /// @dev Proof of `path` (inclusion if present; otherwise the nodes up to where it leaves the trie).
    function proof(Entry[] memory entries, bytes32 path) internal pure returns (bytes[] memory out) {
        Entry[] memory es = _sorted(entries);
        out = new bytes[](66);
        uint256 n;
        uint256 lo;
        uint256 hi = es.length;
        uint256 depth;
        while (hi > lo) {
            bytes memory node = _node(es, lo, hi, depth);
            if (n == 0 || node.length >= 32) out[n++] = node;
            if (hi - lo == 1) break; // leaf
            uint256 p = _commonPrefix(es[lo].path, es[hi - 1].path, depth);
            if (p > 0) {
                depth += p; // extension: same entries, deeper
                continue;
            }
            uint256 nib = nibble(path, depth);
            uint256 i = lo;
            while (i < hi && nibble(es[i].path, depth) < nib) ++i;
            uint256 j = i;
            while (j < hi && nibble(es[j].path, depth) == nib) ++j;
            (lo, hi) = (i, j);
            ++depth;
        }
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }

    /// @dev Root and proof of `e` in a trie as deep as a large real one: `branches` full branch nodes (every
    /// other child a pseudo-random hash from `seed`, as in a trie of millions of keys) above `e`'s leaf. Gives
    /// proofs of the size a mainnet-scale state or storage trie has, for gas measurements.
    function deepProof(Entry memory e, uint256 branches, uint256 seed)
        internal
        pure
        returns (bytes32 rootHash, bytes[] memory proofNodes)
    {
        proofNodes = new bytes[](branches + 1);
        bytes memory node = _pair(_hexPrefix(e.path, branches, 64, true), RLP.encode(e.value));
        proofNodes[branches] = node;
        for (uint256 d = branches; d > 0; --d) {
            bytes[] memory items = new bytes[](17);
            uint256 onPath = nibble(e.path, d - 1);
            for (uint256 nib; nib < 16; ++nib) {
                items[nib] = nib == onPath ? _ref(node) : RLP.encode(keccak256(abi.encode(seed, d, nib)));
            }
            items[16] = EMPTY;
            node = RLP.encode(items);
            proofNodes[d - 1] = node;
        }
        rootHash = keccak256(node);
    }

    function nibble(bytes32 path, uint256 i) internal pure returns (uint256) {
        uint8 b = uint8(path[i / 2]);
        return i % 2 == 0 ? b >> 4 : b & 0x0f;
    }

    function _node(Entry[] memory es, uint256 lo, uint256 hi, uint256 depth)
        private
        pure
        returns (bytes memory)
    {
        if (hi - lo == 1) {
            return _pair(_hexPrefix(es[lo].path, depth, 64, true), RLP.encode(es[lo].value));
        }
        uint256 p = _commonPrefix(es[lo].path, es[hi - 1].path, depth);
        if (p > 0) {
            return _pair(_hexPrefix(es[lo].path, depth, depth + p, false), _ref(_node(es, lo, hi, depth + p)));
        }
        bytes[] memory items = new bytes[](17);
        uint256 i = lo;
        for (uint256 nib; nib < 16; ++nib) {
            uint256 j = i;
            while (j < hi && nibble(es[j].path, depth) == nib) ++j;
            items[nib] = j > i ? _ref(_node(es, i, j, depth + 1)) : EMPTY;
            i = j;
        }
        items[16] = EMPTY;
        return RLP.encode(items);
    }

    function _pair(bytes memory encodedPath, bytes memory second) private pure returns (bytes memory) {
        bytes[] memory items = new bytes[](2);
        items[0] = RLP.encode(encodedPath);
        items[1] = second;
        return RLP.encode(items);
    }

    /// @dev A child reference: the node itself when shorter than 32 bytes, else its hash as a 32-byte string.
    function _ref(bytes memory node) private pure returns (bytes memory) {
        return node.length < 32 ? node : RLP.encode(keccak256(node));
    }

    /// @dev Hex-prefix encoding of nibbles `[from, to)` of `path`.
    function _hexPrefix(bytes32 path, uint256 from, uint256 to, bool leaf)
        private
        pure
        returns (bytes memory out)
    {
        uint256 n = to - from;
        uint256 flag = leaf ? 2 : 0;
        out = new bytes(n / 2 + 1);
        uint256 k = from;
        if (n % 2 == 1) {
            out[0] = bytes1(uint8(((flag + 1) << 4) | nibble(path, k++)));
        } else {
            out[0] = bytes1(uint8(flag << 4));
        }
        for (uint256 b = 1; b < out.length; ++b) {
            out[b] = bytes1(uint8((nibble(path, k) << 4) | nibble(path, k + 1)));
            k += 2;
        }
    }

    function _commonPrefix(bytes32 a, bytes32 b, uint256 depth) private pure returns (uint256 p) {
        while (depth + p < 64 && nibble(a, depth + p) == nibble(b, depth + p)) ++p;
    }

    function _sorted(Entry[] memory entries) private pure returns (Entry[] memory es) {
        es = new Entry[](entries.length);
        for (uint256 i; i < entries.length; ++i) {
            Entry memory e = entries[i];
            uint256 j = i;
            while (j > 0 && es[j - 1].path > e.path) {
                es[j] = es[j - 1];
                --j;
            }
            require(j == 0 || es[j - 1].path != e.path, "Mpt: duplicate path");
            es[j] = e;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // rewriting real proofs
    // ------------------------------------------------------------------------------------------------

    /// @dev The proof with its last node replaced by `newLast` and every ancestor's reference re-hashed
    /// (every reference on the path must be a 32-byte hash, as in the vectors), and the new root.
    function replaceLast(bytes[] memory proofNodes, bytes memory newLast)
        internal
        pure
        returns (bytes[] memory out, bytes32 newRoot)
    {
        uint256 n = proofNodes.length;
        out = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            out[i] = proofNodes[i];
        }
        out[n - 1] = newLast;
        for (uint256 i = n - 1; i > 0; --i) {
            out[i - 1] = _replaceRef(out[i - 1], keccak256(proofNodes[i]), keccak256(out[i]));
        }
        newRoot = keccak256(out[0]);
    }

    /// @dev Replaces the single occurrence of `0xa0 ++ oldHash` in `node` by `0xa0 ++ newHash`.
    function _replaceRef(bytes memory node, bytes32 oldHash, bytes32 newHash)
        private
        pure
        returns (bytes memory out)
    {
        out = bytes.concat(node);
        uint256 found;
        for (uint256 i; i + 33 <= node.length; ++i) {
            if (node[i] != 0xa0) continue;
            bytes32 w;
            assembly ("memory-safe") {
                w := mload(add(add(node, 0x21), i))
            }
            if (w != oldHash) continue;
            ++found;
            assembly ("memory-safe") {
                mstore(add(add(out, 0x21), i), newHash)
            }
        }
        require(found == 1, "Mpt: reference not found exactly once");
    }

    /// @dev A leaf or extension `[path, value]` with its value string replaced by `newValue`.
    function withValue(bytes memory leaf, bytes memory newValue) internal pure returns (bytes memory) {
        Memory.Slice[] memory items = leaf.decodeList();
        require(items.length == 2, "Mpt: not a leaf");
        bytes[] memory out = new bytes[](2);
        out[0] = items[0].toBytes();
        out[1] = RLP.encode(newValue);
        return RLP.encode(out);
    }

    /// @dev The value (decoded string) of a leaf `[path, value]`.
    function valueOf(bytes memory leaf) internal pure returns (bytes memory) {
        Memory.Slice[] memory items = leaf.decodeList();
        require(items.length == 2, "Mpt: not a leaf");
        return items[1].readBytes();
    }

    /// @dev An account value `[nonce, balance, storageRoot, codeHash]` with another storage root.
    function withStorageRoot(bytes memory accountRlp, bytes32 storageRoot)
        internal
        pure
        returns (bytes memory)
    {
        Memory.Slice[] memory f = accountRlp.decodeList();
        require(f.length == 4, "Mpt: not an account");
        bytes[] memory out = new bytes[](4);
        out[0] = f[0].toBytes();
        out[1] = f[1].toBytes();
        out[2] = RLP.encode(storageRoot);
        out[3] = f[3].toBytes();
        return RLP.encode(out);
    }

    /// @dev The storage root field of an account value.
    function storageRootOf(bytes memory accountRlp) internal pure returns (bytes32) {
        return accountRlp.decodeList()[2].readBytes32();
    }
}
