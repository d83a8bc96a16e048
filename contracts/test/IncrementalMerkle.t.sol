// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {MerkleHarness} from "./utils/MerkleHarness.sol";
import {IncrementalMerkle} from "../src/lib/IncrementalMerkle.sol";
import {Hashing} from "../src/lib/Hashing.sol";

contract IncrementalMerkleTest is Test {
    MerkleHarness internal h;

    function setUp() public {
        h = new MerkleHarness();
    }

    function _leaves(uint256 n, uint256 seed) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = keccak256(abi.encode(seed, i));
        }
    }

    function test_zeroHash_matchesComputed_succeeds() public view {
        bytes32 z;
        for (uint256 i; i <= 32; ++i) {
            assertEq(h.zeroHash(i), z, "zero table");
            z = keccak256(abi.encodePacked(z, z));
        }
    }

    function test_zeroHash_heightOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IncrementalMerkle.HeightOutOfRange.selector, 33));
        h.zeroHash(33);
    }

    function test_root_emptyTree_succeeds() public view {
        assertEq(h.root(), MerkleRef.zero(32));
        assertEq(h.root(), 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757);
    }

    function testFuzz_push_rootsMatchReference(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 80));
        bytes32[] memory leaves = _leaves(n, seed);
        for (uint256 i; i < n; ++i) {
            h.push(leaves[i]);
            assertEq(h.root(), MerkleRef.root(leaves, i + 1), "root after push");
        }
    }

    function test_push_rootsMatchReference_succeeds() public {
        testFuzz_push_rootsMatchReference(70, 0);
    }

    function test_push_writesExactlyOneSlot_succeeds() public {
        bytes32[] memory leaves = _leaves(16, 7);
        for (uint256 i; i < 16; ++i) {
            vm.record();
            h.pushAt(i, leaves[i]);
            (, bytes32[] memory writes) = vm.accesses(address(h));
            assertEq(writes.length, 1, "one storage write per push");
            // branch[trailing ones of i]
            uint256 height;
            while ((i >> height) & 1 == 1) {
                ++height;
            }
            assertTrue(h.branch(height) != bytes32(0), "the written branch");
        }
    }

    function test_push_treeFull_reverts() public {
        vm.expectRevert(IncrementalMerkle.TreeFull.selector);
        h.pushAt((1 << 32) - 1, keccak256("x"));
    }

    function test_push_lastIndex_succeeds() public {
        // the last index the tree accepts, 2^32 - 2, ends in a zero bit: it writes branch[0]
        h.pushAt((1 << 32) - 2, keccak256("x"));
        assertEq(h.branch(0), keccak256("x"));
    }

    function test_rootAt_beyondCapacity_reverts() public {
        vm.expectRevert(IncrementalMerkle.TreeFull.selector);
        h.rootAt(1 << 32);
    }

    function testFuzz_verify_shortProof(uint8 count, uint8 index, uint256 seed) public view {
        count = uint8(bound(count, 1, 70));
        index = uint8(bound(index, 0, count - 1));
        bytes32[] memory leaves = _leaves(count, seed);
        bytes32 root = MerkleRef.root(leaves, count);
        bytes32[] memory proof = MerkleRef.proof(leaves, count, index);
        assertEq(proof.length, MerkleRef.proofLength(count), "bitlen(count - 1) siblings");
        assertTrue(h.verify(root, leaves[index], index, proof), "short proof");
        assertEq(h.computeRoot(leaves[index], index, proof), root);
        // padded with zero subtrees up to 32 it still verifies
        bytes32[] memory full = new bytes32[](32);
        for (uint256 i; i < 32; ++i) {
            full[i] = i < proof.length ? proof[i] : MerkleRef.zero(i);
        }
        assertTrue(h.verify(root, leaves[index], index, full), "full proof");
        // the same leaf cannot be placed at index + 2^k with a k-sibling proof
        assertFalse(
            h.verify(root, leaves[index], uint256(index) + (1 << proof.length), proof), "aliased index"
        );
        // another leaf, another index or another root do not verify
        assertFalse(h.verify(root, keccak256("other"), index, proof), "other leaf");
        assertFalse(h.verify(keccak256("other root"), leaves[index], index, proof), "other root");
        if (count > 1) {
            assertFalse(h.verify(root, leaves[index], (uint256(index) + 1) % count, proof), "other index");
        }
    }

    function test_verify_shortProof_succeeds() public view {
        testFuzz_verify_shortProof(70, 37, 1);
        testFuzz_verify_shortProof(1, 0, 2);
        testFuzz_verify_shortProof(64, 63, 3);
        testFuzz_verify_shortProof(65, 64, 4);
    }

    function test_verify_singleLeafEmptyProof_succeeds() public view {
        bytes32 leaf = keccak256("only");
        bytes32 root = leaf;
        for (uint256 i; i < 32; ++i) {
            root = keccak256(abi.encodePacked(root, MerkleRef.zero(i)));
        }
        assertTrue(h.verify(root, leaf, 0, new bytes32[](0)));
        assertFalse(h.verify(root, leaf, 1, new bytes32[](0)), "index 1 needs a sibling");
    }

    function test_verify_proofTooLong_succeeds() public view {
        assertFalse(h.verify(keccak256("r"), keccak256("l"), 0, new bytes32[](33)));
    }

    function test_verify_zeroRoot_succeeds() public view {
        assertFalse(h.verify(bytes32(0), keccak256("l"), 0, new bytes32[](0)));
    }

    function test_computeRoot_proofTooLong_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IncrementalMerkle.ProofTooLong.selector, 33));
        h.computeRoot(keccak256("l"), 0, new bytes32[](33));
    }

    function test_computeRoot_indexOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IncrementalMerkle.IndexOutOfRange.selector, 4, 2));
        h.computeRoot(keccak256("l"), 4, new bytes32[](2));
    }

    function test_computeRoot_index2Pow32WithFullProof_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IncrementalMerkle.IndexOutOfRange.selector, 1 << 32, 32));
        h.computeRoot(keccak256("l"), 1 << 32, new bytes32[](32));
    }

    // ---- Hashing ----

    function test_typehashes_matchSignatures_succeeds() public pure {
        assertEq(
            Hashing.L1_MESSAGE_TYPEHASH,
            keccak256(
                "Drawbridge.L1Message(uint256 sourceChainId,address sourceBridge,uint8 kind,uint64 nonce,address sender,address recipient,address token,uint256 amount,bytes32 dataHash)"
            )
        );
        assertEq(
            Hashing.WITHDRAWAL_TYPEHASH,
            keccak256(
                "Drawbridge.Withdrawal(uint256 sourceChainId,address sourceBridge,uint64 nonce,address sender,address recipient,address l1Token,uint256 amount)"
            )
        );
        assertEq(Hashing.EMPTY_DATA_HASH, keccak256(""));
    }

    function testFuzz_l1MessageLeaf_matchesAbiEncode(
        uint256 chainId,
        address bridge,
        uint8 kind,
        uint64 nonce,
        address sender,
        address recipient,
        address tok,
        uint256 amount,
        bytes32 dataHash
    ) public pure {
        bytes32 inner = keccak256(
            abi.encode(
                Hashing.L1_MESSAGE_TYPEHASH,
                chainId,
                bridge,
                kind,
                nonce,
                sender,
                recipient,
                tok,
                amount,
                dataHash
            )
        );
        assertEq(
            Hashing.l1MessageLeaf(chainId, bridge, kind, nonce, sender, recipient, tok, amount, dataHash),
            keccak256(abi.encode(inner))
        );
    }

    function test_l1MessageLeaf_matchesAbiEncode_succeeds() public pure {
        testFuzz_l1MessageLeaf_matchesAbiEncode(
            900, address(0x11), 1, 5, address(0x22), address(0x33), address(0), 1 ether, keccak256("")
        );
    }

    function testFuzz_withdrawalLeaf_matchesAbiEncode(
        uint256 chainId,
        address bridge,
        uint64 nonce,
        address sender,
        address recipient,
        address tok,
        uint256 amount
    ) public pure {
        bytes32 inner = keccak256(
            abi.encode(Hashing.WITHDRAWAL_TYPEHASH, chainId, bridge, nonce, sender, recipient, tok, amount)
        );
        assertEq(
            Hashing.withdrawalLeaf(chainId, bridge, nonce, sender, recipient, tok, amount),
            keccak256(abi.encode(inner))
        );
    }

    function test_withdrawalLeaf_matchesAbiEncode_succeeds() public pure {
        testFuzz_withdrawalLeaf_matchesAbiEncode(
            901, address(0x11), 5, address(0x22), address(0x33), address(0), 7
        );
    }

    function test_leaves_separateKindsAndDeployments_succeeds() public pure {
        bytes32 a =
            Hashing.l1MessageLeaf(900, address(1), 1, 0, address(2), address(3), address(0), 1, bytes32(0));
        assertTrue(
            a
                != Hashing.l1MessageLeaf(
                    900, address(1), 2, 0, address(2), address(3), address(0), 1, bytes32(0)
                )
        );
        assertTrue(
            a
                != Hashing.l1MessageLeaf(
                    901, address(1), 1, 0, address(2), address(3), address(0), 1, bytes32(0)
                )
        );
        assertTrue(
            a
                != Hashing.l1MessageLeaf(
                    900, address(9), 1, 0, address(2), address(3), address(0), 1, bytes32(0)
                )
        );
    }
}
