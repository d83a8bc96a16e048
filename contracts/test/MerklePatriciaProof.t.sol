// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TrieProof} from "@openzeppelin/contracts/utils/cryptography/TrieProof.sol";

import {Test} from "./utils/Test.sol";
import {Mpt} from "./utils/Mpt.sol";
import {MerklePatriciaProof} from "../src/lib/MerklePatriciaProof.sol";

/// @notice MerklePatriciaProof against OpenZeppelin's TrieProof (the reference) on random storage tries built
/// by the test trie builder (checked against anvil's tries in Escape.t.sol): both prove the same values,
/// both refuse absent keys, and any change to a proof is refused. The anvil vectors' real proofs and every
/// malformed-proof case run through `escape` in Escape.t.sol.
contract MerklePatriciaProofTest is Test {
    MptHarness internal harness = new MptHarness();

    function _trie(uint256 seed, uint256 size) internal pure returns (Mpt.Entry[] memory entries) {
        entries = new Mpt.Entry[](size);
        for (uint256 i; i < size; ++i) {
            // Values of every width, from one byte to a full word.
            uint256 word = uint256(keccak256(abi.encode(seed, i, "value"))) >> (8 * (i % 32));
            if (word == 0) word = 1;
            entries[i] = Mpt.storageEntry(keccak256(abi.encode(seed, i)), word);
        }
    }

    function testFuzz_get_agreesWithOpenZeppelin_succeeds(
        uint256 seed,
        uint8 sizeSeed,
        uint8 pick,
        bool present
    ) public view {
        uint256 size = 1 + uint256(sizeSeed) % 40;
        Mpt.Entry[] memory entries = _trie(seed, size);
        bytes32 root = Mpt.root(entries);
        // An absent key is asked with the proof of a present one (the builder makes inclusion proofs).
        bytes[] memory proof = Mpt.proof(entries, entries[pick % size].path);
        bytes32 key = present ? entries[pick % size].path : keccak256(abi.encode(seed, "absent"));
        (bool ok, bytes memory value) = harness.get(root, key, proof);
        // TrieProof answers "not proven" with an error code or, for some wrong keys, by reverting.
        bool ozOk;
        bytes memory ozValue;
        try harness.ozGet(root, key, proof) returns (bytes memory v, TrieProof.ProofError err) {
            (ozOk, ozValue) = (err == TrieProof.ProofError.NO_ERROR, v);
        } catch {}
        assertEq(ok, ozOk, "verdict differs from TrieProof");
        assertEq(ok, present, "present keys proven, absent keys not");
        if (ok) {
            assertEq(keccak256(value), keccak256(ozValue), "value differs from TrieProof");
            assertEq(keccak256(value), keccak256(entries[pick % size].value), "value differs from the entry");
        }
    }

    function testFuzz_get_changedProof_reverts(
        uint256 seed,
        uint8 sizeSeed,
        uint256 nodeSeed,
        uint256 at,
        uint8 x
    ) public view {
        vm.assume(x != 0);
        uint256 size = 1 + uint256(sizeSeed) % 40;
        Mpt.Entry[] memory entries = _trie(seed, size);
        bytes32 root = Mpt.root(entries);
        bytes32 key = entries[nodeSeed % size].path;
        bytes[] memory proof = Mpt.proof(entries, key);
        (bool ok,) = harness.get(root, key, proof);
        assertTrue(ok, "unchanged proof");
        // One byte of one node changed.
        bytes memory node = proof[nodeSeed % proof.length];
        node[at % node.length] ^= bytes1(x);
        (ok,) = harness.get(root, key, proof);
        assertFalse(ok, "changed byte accepted");
        node[at % node.length] ^= bytes1(x);
        // A node added after the leaf, or the leaf dropped.
        bytes[] memory longer = new bytes[](proof.length + 1);
        bytes[] memory shorter = new bytes[](proof.length - 1);
        for (uint256 i; i < proof.length; ++i) {
            longer[i] = proof[i];
            if (i + 1 < proof.length) shorter[i] = proof[i];
        }
        longer[proof.length] = proof[proof.length - 1];
        (ok,) = harness.get(root, key, longer);
        assertFalse(ok, "trailing node accepted");
        (ok,) = harness.get(root, key, shorter);
        assertFalse(ok, "proof without its leaf accepted");
        // Another key with the same proof.
        (ok,) = harness.get(root, bytes32(uint256(key) ^ 1), proof);
        assertFalse(ok, "another key accepted");
    }

    // ------------------------------------------------------------------------------------------------
    // canonical RLP only (issue 9 part 3, design F): every case builds a node whose only fault is a
    // non-canonical header and the root that commits to exactly those bytes, so only the encoding rule can
    // refuse it (the canonical twin of each is accepted)
    // ------------------------------------------------------------------------------------------------

    bytes32 internal constant KEY = keccak256("canonical rlp key");

    /// @dev RLP string header (short or long form, optionally with a leading zero length byte) and payload.
    function _str(bytes memory payload, bool longForm, bool leadingZero)
        internal
        pure
        returns (bytes memory)
    {
        return bytes.concat(_header(0x80, payload.length, longForm, leadingZero), payload);
    }

    function _list(bytes memory payload, bool longForm, bool leadingZero)
        internal
        pure
        returns (bytes memory)
    {
        return bytes.concat(_header(0xc0, payload.length, longForm, leadingZero), payload);
    }

    function _header(uint8 base, uint256 len, bool longForm, bool leadingZero)
        internal
        pure
        returns (bytes memory)
    {
        require(len < 256, "test: short payloads only");
        if (!longForm) {
            require(len < 56, "test: short form needs < 56 bytes");
            return abi.encodePacked(uint8(base + len));
        }
        if (leadingZero) return abi.encodePacked(uint8(base + 0x37 + 2), uint8(0), uint8(len));
        return abi.encodePacked(uint8(base + 0x37 + 1), uint8(len));
    }

    /// @dev A leaf for KEY (the whole 32-byte path, hex-prefix flag 2) with raw items.
    function _leaf(bytes memory pathItem, bytes memory valueItem, bool longForm, bool leadingZero)
        internal
        pure
        returns (bytes memory)
    {
        return _list(bytes.concat(pathItem, valueItem), longForm, leadingZero);
    }

    function _pathItem(bool longForm) internal pure returns (bytes memory) {
        return _str(abi.encodePacked(uint8(0x20), KEY), longForm, false);
    }

    /// @dev Whether the one-node proof `leaf` proves KEY under `keccak256(leaf)`, and the value.
    function _one(bytes memory leaf) internal view returns (bool ok, bytes memory value) {
        bytes[] memory proof = new bytes[](1);
        proof[0] = leaf;
        return harness.get(keccak256(leaf), KEY, proof);
    }

    function test_get_canonicalTwins_succeeds() public view {
        // The builder's encoding is the canonical one.
        Mpt.Entry[] memory es = new Mpt.Entry[](1);
        es[0] = Mpt.Entry({path: KEY, value: hex"05"});
        bytes memory leaf = _leaf(_pathItem(false), hex"05", false, false);
        assertEq(keccak256(leaf), Mpt.root(es), "same node as the builder");
        (bool ok, bytes memory v) = _one(leaf);
        assertTrue(ok, "canonical short leaf");
        assertEq(v, hex"05", "value");
        bytes memory word = abi.encodePacked(uint8(0xa0), keccak256("a full word"));
        (ok, v) = _one(_leaf(_pathItem(false), _str(word, false, false), true, false));
        assertTrue(ok, "canonical long list (payload >= 56)");
        assertEq(v, word, "value");
    }

    /// @dev A node under 56 bytes with a long-form list header (0xf8 len): refused.
    function test_get_longFormListHeaderForShortNode_reverts() public view {
        (bool ok,) = _one(_leaf(_pathItem(false), hex"05", true, false));
        assertFalse(ok, "long-form list header of a 35-byte node");
    }

    /// @dev A string under 56 bytes (the leaf's 33-byte path) with a long-form string header (0xb8 0x21).
    function test_get_longFormStringHeaderForShortString_reverts() public view {
        (bool ok,) = _one(_leaf(_pathItem(true), hex"05", false, false));
        assertFalse(ok, "long-form header of a 33-byte string");
    }

    /// @dev A long-form list length with a leading zero byte (0xf9 0x00 0x44 instead of 0xf8 0x44).
    function test_get_listLengthWithLeadingZero_reverts() public view {
        bytes memory word = abi.encodePacked(uint8(0xa0), keccak256("a full word"));
        (bool ok,) = _one(_leaf(_pathItem(false), _str(word, false, false), true, true));
        assertFalse(ok, "list length with a leading zero");
    }

    /// @dev A long-form string length with a leading zero byte (an account value of 70 bytes, 0xb9 0x00 0x46).
    function test_get_stringLengthWithLeadingZero_reverts() public view {
        bytes memory account = Mpt.accountEntry(address(0xBEEF), 1, 0, keccak256("s"), keccak256("c")).value;
        assertGe(account.length, 56, "a long string");
        (bool ok, bytes memory v) = _one(_leaf(_pathItem(false), _str(account, true, false), true, false));
        assertTrue(ok, "canonical twin");
        assertEq(v, account, "value");
        (ok,) = _one(_leaf(_pathItem(false), _str(account, true, true), true, false));
        assertFalse(ok, "string length with a leading zero");
    }

    /// @dev A single byte below 0x80 wrapped as a one-byte string (0x81 0x05 instead of 0x05).
    function test_get_wrappedSingleByte_reverts() public view {
        (bool ok,) = _one(_leaf(_pathItem(false), hex"8105", false, false));
        assertFalse(ok, "0x81 0x05");
        (ok,) = _one(_leaf(_pathItem(false), hex"817f", false, false));
        assertFalse(ok, "0x81 0x7f");
        (bool ok80, bytes memory v) = _one(_leaf(_pathItem(false), hex"8180", false, false));
        assertTrue(ok80, "0x81 0x80 is canonical (a byte >= 0x80 needs the prefix)");
        assertEq(v, hex"80", "value");
    }

    /// @dev The same faults in a branch node (the root of a real multi-entry trie), the path below unchanged.
    function test_get_nonCanonicalBranchHeader_reverts() public view {
        // A small trie whose root is a branch of under 256 bytes (header 0xf8 len).
        Mpt.Entry[] memory entries;
        bytes[] memory proof;
        for (uint256 seed;; ++seed) {
            entries = _trie(seed, 3);
            proof = Mpt.proof(entries, entries[1].path);
            if (uint8(proof[0][0]) == 0xf8 && proof.length > 1) break;
        }
        bytes memory branch = proof[0];
        (bool ok,) = harness.get(keccak256(branch), entries[1].path, proof);
        assertTrue(ok, "canonical");
        bytes memory payload = new bytes(branch.length - 2);
        for (uint256 i; i < payload.length; ++i) {
            payload[i] = branch[i + 2];
        }
        proof[0] = _list(payload, true, true); // 0xf9 0x00 len
        (ok,) = harness.get(keccak256(proof[0]), entries[1].path, proof);
        assertFalse(ok, "branch length with a leading zero");
    }

    /// @dev A non-canonical leaf below a real branch (its parent re-hashed to point at it): refused there too.
    function test_get_nonCanonicalLeafBelowBranch_reverts() public view {
        // An entry of a 12-entry trie whose leaf is short (< 56 bytes) but hashed in its parent (>= 32 bytes).
        Mpt.Entry[] memory entries = new Mpt.Entry[](12);
        for (uint256 i; i < entries.length; ++i) {
            entries[i] = Mpt.storageEntry(keccak256(abi.encode("small", i)), i + 1); // one-byte values
        }
        bytes32 key;
        bytes[] memory proof;
        bytes memory leaf;
        for (uint256 i;; ++i) {
            key = entries[i].path;
            proof = Mpt.proof(entries, key);
            leaf = proof[proof.length - 1];
            if (proof.length > 1 && uint8(leaf[0]) < 0xf8 && leaf.length >= 32) break;
        }
        bytes memory payload = new bytes(leaf.length - 1);
        for (uint256 i; i < payload.length; ++i) {
            payload[i] = leaf[i + 1];
        }
        (bytes[] memory changed, bytes32 root) = Mpt.replaceLast(proof, _list(payload, true, false));
        (bool ok,) = harness.get(root, key, changed);
        assertFalse(ok, "long-form header of a short leaf");
        (changed, root) = Mpt.replaceLast(proof, leaf);
        (ok,) = harness.get(root, key, changed);
        assertTrue(ok, "its canonical twin");
    }

    /// @dev Every proof a real anvil produced (escape vectors: three states, two tokens, five users, account
    /// and storage proofs) is still accepted.
    function test_get_realAnvilProofs_succeeds() public view {
        string memory json = vm.readFile("test/vectors/escape-vectors.json");
        string[3] memory states = ["A", "B", "C"];
        string[2] memory toks = ["eth", "tt"];
        uint256 checked;
        for (uint256 i; i < 3; ++i) {
            for (uint256 t; t < 2; ++t) {
                checked += _checkAnvilToken(json, states[i], toks[t]);
            }
        }
        assertGe(checked, 15, "real proofs checked");
    }

    /// @dev The account proof of the token and the five users' storage proofs at one state; returns how many
    /// inclusion proofs were checked.
    function _checkAnvilToken(string memory json, string memory state, string memory tok)
        internal
        view
        returns (uint256 checked)
    {
        string memory k = string.concat(".", state, ".", tok);
        (bool ok,) = harness.get(
            vm.parseJsonBytes32(json, string.concat(".", state, ".stateRoot")),
            keccak256(abi.encodePacked(vm.parseJsonAddress(json, string.concat(k, ".address")))),
            vm.parseJsonBytesArray(json, string.concat(k, ".accountProof"))
        );
        assertTrue(ok, "account proof");
        bytes32 storageRoot = vm.parseJsonBytes32(json, string.concat(k, ".storageHash"));
        string[5] memory users = ["alice", "bob", "carol", "dave", "erin"];
        for (uint256 u; u < 5; ++u) {
            if (_checkAnvilSlot(json, string.concat(k, ".", users[u]), storageRoot)) ++checked;
        }
    }

    function _checkAnvilSlot(string memory json, string memory ku, bytes32 storageRoot)
        internal
        view
        returns (bool ok)
    {
        uint256 value = vm.parseJsonUint(json, string.concat(ku, ".value"));
        bytes32 slot = vm.parseJsonBytes32(json, string.concat(ku, ".slot"));
        bytes memory v;
        (ok, v) = harness.get(
            storageRoot,
            keccak256(abi.encode(slot)),
            vm.parseJsonBytesArray(json, string.concat(ku, ".proof"))
        );
        assertEq(ok, value != 0, "storage proof (exclusion proofs of zero slots are not proofs)");
        if (ok) assertEq(keccak256(v), keccak256(Mpt.storageEntry(slot, value).value), "value");
    }

    function test_get_emptyProof_reverts() public view {
        (bool ok,) = harness.get(keccak256(hex"80"), bytes32(0), new bytes[](0));
        assertFalse(ok, "empty proof");
    }
}

contract MptHarness {
    function get(bytes32 root, bytes32 key, bytes[] calldata proof)
        external
        pure
        returns (bool ok, bytes memory v)
    {
        (ok, v) = MerklePatriciaProof.get(root, key, proof);
    }

    function ozGet(bytes32 root, bytes32 key, bytes[] calldata proof)
        external
        pure
        returns (bytes memory, TrieProof.ProofError)
    {
        return TrieProof.tryTraverse(root, abi.encodePacked(key), proof);
    }
}
