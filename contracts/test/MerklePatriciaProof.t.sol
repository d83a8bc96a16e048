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
