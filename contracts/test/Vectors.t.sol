// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {MerkleHarness} from "./utils/MerkleHarness.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {IncrementalMerkle} from "../src/lib/IncrementalMerkle.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {L1Message} from "../src/Types.sol";

/// @title Cross-implementation vectors: test/vectors/merkle-vectors.json
/// @notice Computes the vectors with the real libraries (Hashing, IncrementalMerkle) and compares them with
/// the committed file; `WRITE_VECTORS=1 ../tools/bin/forge test --mc VectorsTest` rewrites the file instead.
///
/// JSON layout (every hash, address and byte string is a 0x-prefixed hex string; hashes and amounts are
/// 32 bytes = 64 hex digits, amounts big-endian; addresses are EIP-55 checksummed; chain ids, kinds,
/// nonces, indices and counts are JSON numbers):
/// {
///   "version": 1,
///   "l1ChainId": 900,                 // sourceChainId of every L1 message leaf
///   "l1Bridge": "0x..",               // sourceBridge of every L1 message leaf
///   "l2ChainId": 901,                 // sourceChainId of every withdrawal leaf
///   "l2Bridge": "0x..",               // sourceBridge of every withdrawal leaf
///   "l1MessageTypehash": "0x..",
///   "withdrawalTypehash": "0x..",
///   "zeroHashes": ["0x..", ...],      // 33 entries: zero[0] = 0 .. zero[32] = root of the empty tree
///   "l1Messages": [                   // nonces 0..9, in order
///     { "kind": 1, "nonce": 0, "sender": "0x..", "recipient": "0x..", "token": "0x..",
///       "amount": "0x<64 hex>", "data": "0x..", "dataHash": "0x..", "inner": "0x..", "leaf": "0x.." }, ...
///   ],
///   "withdrawals": [                  // nonces 0..9, in order
///     { "nonce": 0, "sender": "0x..", "recipient": "0x..", "l1Token": "0x..", "amount": "0x<64 hex>",
///       "inner": "0x..", "leaf": "0x.." }, ...
///   ],
///   "tree": {
///     "leaves": ["0x..", ...],        // 70 entries: leaves[i] = keccak256(abi.encode(uint256(i)))
///     "roots": ["0x..", ...]          // 71 entries: roots[n] = root of the tree of leaves[0..n), n = 0..70
///   },
///   "proofs": [                       // short proofs in the tree above: bitlen(count - 1) siblings
///     { "index": 0, "count": 1, "leaf": "0x..", "root": "0x..", "siblings": [] }, ...
///   ]
/// }
/// `inner` is keccak256(abi.encode(TYPEHASH, ...fields)) and `leaf` = keccak256(abi.encode(inner)) as in
/// docs/design.md; `dataHash` = keccak256(data). A first deposit's `data` is
/// abi.encode(string name, string symbol, uint8 decimals).
contract VectorsTest is Test {
    string internal constant PATH = "test/vectors/merkle-vectors.json";

    uint256 internal constant L1_CHAIN_ID = 900;
    uint256 internal constant L2_CHAIN_ID = 901;
    address internal constant L1_BRIDGE = 0x1111111111111111111111111111111111111111;
    address internal constant L2_BRIDGE = 0x2222222222222222222222222222222222222222;
    address internal constant ALICE = 0xA11cea11CEA11CEA11cEa11CeA11ceA11CEA11Ce;
    address internal constant BOB = 0xB0B0b0B0B0B0B0b0B0B0B0b0b0b0b0B0b0b0B0B0;
    address internal constant CAROL = 0xCA401ca401Ca401CA401CA401cA401CA401ca401;
    address internal constant TOKEN_A = 0x7070707070707070707070707070707070707070;
    address internal constant TOKEN_B = 0x8080808080808080808080808080808080808080;

    uint256 internal constant TREE_LEAVES = 70;

    MerkleHarness internal harness;

    function setUp() public {
        harness = new MerkleHarness();
    }

    // ------------------------------------------------------------------------------------------------
    // The vectors
    // ------------------------------------------------------------------------------------------------

    function messages() internal pure returns (L1Message[] memory m) {
        m = new L1Message[](10);
        // first ETH deposit: announces ETH
        m[0] = L1Message(1, 0, ALICE, ALICE, address(0), 1 ether, abi.encode("Ether", "ETH", uint8(18)));
        // later ETH deposit: empty data
        m[1] = L1Message(1, 1, ALICE, BOB, address(0), 0.5 ether, "");
        // first deposit of TOKEN_A with its metadata
        m[2] = L1Message(1, 2, BOB, BOB, TOKEN_A, 1000e18, abi.encode("Test Token", "TT", uint8(18)));
        m[3] = L1Message(1, 3, BOB, ALICE, TOKEN_A, 1, "");
        // first deposit of TOKEN_B, 6 decimals
        m[4] = L1Message(1, 4, CAROL, CAROL, TOKEN_B, 2_500_000, abi.encode("USD Coin", "USDC", uint8(6)));
        // forced withdrawal (kind 2): sender = recipient, empty data
        m[5] = L1Message(2, 5, CAROL, CAROL, TOKEN_A, 5e18, "");
        m[6] = L1Message(1, 6, ALICE, CAROL, TOKEN_B, type(uint256).max, "");
        // metadata with non-ASCII UTF-8 and zero decimals
        m[7] = L1Message(
            1,
            7,
            BOB,
            BOB,
            address(0x9090909090909090909090909090909090909090),
            42,
            abi.encode(unicode"Ünïcødé Tøkén", unicode"ÜNÏ", uint8(0))
        );
        m[8] = L1Message(1, 8, ALICE, address(0xdead), address(0), 1, "");
        m[9] = L1Message(2, 9, ALICE, ALICE, address(0), 0.25 ether, "");
    }

    function withdrawals() internal pure returns (IL1Bridge.Withdrawal[] memory w) {
        w = new IL1Bridge.Withdrawal[](10);
        w[0] = IL1Bridge.Withdrawal(0, ALICE, ALICE, address(0), 1 ether);
        w[1] = IL1Bridge.Withdrawal(1, BOB, ALICE, TOKEN_A, 10e18);
        w[2] = IL1Bridge.Withdrawal(2, CAROL, CAROL, TOKEN_B, 1);
        w[3] = IL1Bridge.Withdrawal(3, ALICE, BOB, address(0), 0.3 ether);
        w[4] = IL1Bridge.Withdrawal(4, BOB, BOB, TOKEN_A, type(uint256).max);
        w[5] = IL1Bridge.Withdrawal(5, CAROL, address(0xdead), address(0), 7);
        w[6] = IL1Bridge.Withdrawal(6, ALICE, CAROL, TOKEN_B, 123_456_789);
        w[7] = IL1Bridge.Withdrawal(7, BOB, BOB, address(0), 2 ether);
        w[8] = IL1Bridge.Withdrawal(8, CAROL, ALICE, TOKEN_A, 0);
        w[9] = IL1Bridge.Withdrawal(9, ALICE, ALICE, address(0), 1 gwei);
    }

    function proofPairs() internal pure returns (uint256[2][] memory p) {
        p = new uint256[2][](16);
        p[0] = [uint256(0), 1];
        p[1] = [uint256(0), 2];
        p[2] = [uint256(1), 2];
        p[3] = [uint256(2), 3];
        p[4] = [uint256(3), 4];
        p[5] = [uint256(4), 5];
        p[6] = [uint256(7), 8];
        p[7] = [uint256(8), 9];
        p[8] = [uint256(5), 13];
        p[9] = [uint256(31), 32];
        p[10] = [uint256(32), 33];
        p[11] = [uint256(63), 64];
        p[12] = [uint256(64), 65];
        p[13] = [uint256(0), 70];
        p[14] = [uint256(37), 70];
        p[15] = [uint256(69), 70];
    }

    function messageInner(L1Message memory m) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                Hashing.L1_MESSAGE_TYPEHASH,
                L1_CHAIN_ID,
                L1_BRIDGE,
                m.kind,
                m.nonce,
                m.sender,
                m.recipient,
                m.token,
                m.amount,
                keccak256(m.data)
            )
        );
    }

    function messageLeaf(L1Message memory m) internal view returns (bytes32 leaf) {
        leaf = harness.l1MessageLeaf(L1_CHAIN_ID, L1_BRIDGE, m);
        // The assembly implementation agrees with the plain abi.encode definition.
        require(leaf == keccak256(abi.encode(messageInner(m))), "message leaf != definition");
    }

    function withdrawalInner(IL1Bridge.Withdrawal memory w) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                Hashing.WITHDRAWAL_TYPEHASH,
                L2_CHAIN_ID,
                L2_BRIDGE,
                w.nonce,
                w.sender,
                w.recipient,
                w.l1Token,
                w.amount
            )
        );
    }

    function withdrawalLeaf(IL1Bridge.Withdrawal memory w) internal pure returns (bytes32 leaf) {
        leaf = Hashing.withdrawalLeaf(
            L2_CHAIN_ID, L2_BRIDGE, w.nonce, w.sender, w.recipient, w.l1Token, w.amount
        );
        require(leaf == keccak256(abi.encode(withdrawalInner(w))), "withdrawal leaf != definition");
    }

    function treeLeaves() internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](TREE_LEAVES);
        for (uint256 i; i < TREE_LEAVES; ++i) {
            leaves[i] = keccak256(abi.encode(i));
        }
    }

    /// @dev Roots after every count 0..70 from the storage tree (IncrementalMerkle), checked against MerkleRef.
    function treeRoots(bytes32[] memory leaves) internal returns (bytes32[] memory roots) {
        MerkleHarness fresh = new MerkleHarness();
        roots = new bytes32[](TREE_LEAVES + 1);
        roots[0] = fresh.root();
        for (uint256 i; i < TREE_LEAVES; ++i) {
            fresh.push(leaves[i]);
            roots[i + 1] = fresh.root();
        }
        for (uint256 n; n <= TREE_LEAVES; n += 7) {
            require(roots[n] == MerkleRef.root(leaves, n), "incremental root != reference root");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // JSON
    // ------------------------------------------------------------------------------------------------

    function _s(bytes32 x) internal pure returns (string memory) {
        return string.concat('"', vm.toString(x), '"');
    }

    function _s(address x) internal pure returns (string memory) {
        return string.concat('"', vm.toString(x), '"');
    }

    function _s(bytes memory x) internal pure returns (string memory) {
        return string.concat('"', vm.toString(x), '"');
    }

    function _n(uint256 x) internal pure returns (string memory) {
        return vm.toString(x);
    }

    function _array(bytes32[] memory xs, string memory indent) internal pure returns (string memory out) {
        if (xs.length == 0) return "[]";
        out = "[\n";
        for (uint256 i; i < xs.length; ++i) {
            out = string.concat(out, indent, "  ", _s(xs[i]), i + 1 < xs.length ? ",\n" : "\n");
        }
        out = string.concat(out, indent, "]");
    }

    function _messagesJson(L1Message[] memory ms) internal view returns (string memory out) {
        out = "[\n";
        for (uint256 i; i < ms.length; ++i) {
            L1Message memory m = ms[i];
            string memory a = string.concat(
                '    {"kind": ',
                _n(m.kind),
                ', "nonce": ',
                _n(m.nonce),
                ', "sender": ',
                _s(m.sender),
                ', "recipient": ',
                _s(m.recipient),
                ', "token": ',
                _s(m.token),
                ', "amount": ',
                _s(bytes32(m.amount))
            );
            string memory b = string.concat(
                ', "data": ',
                _s(m.data),
                ', "dataHash": ',
                _s(keccak256(m.data)),
                ', "inner": ',
                _s(messageInner(m)),
                ', "leaf": ',
                _s(messageLeaf(m)),
                i + 1 < ms.length ? "},\n" : "}\n"
            );
            out = string.concat(out, a, b);
        }
        out = string.concat(out, "  ]");
    }

    function _withdrawalsJson(IL1Bridge.Withdrawal[] memory ws) internal pure returns (string memory out) {
        out = "[\n";
        for (uint256 i; i < ws.length; ++i) {
            IL1Bridge.Withdrawal memory w = ws[i];
            string memory a = string.concat(
                '    {"nonce": ',
                _n(w.nonce),
                ', "sender": ',
                _s(w.sender),
                ', "recipient": ',
                _s(w.recipient),
                ', "l1Token": ',
                _s(w.l1Token),
                ', "amount": ',
                _s(bytes32(w.amount))
            );
            string memory b = string.concat(
                ', "inner": ',
                _s(withdrawalInner(w)),
                ', "leaf": ',
                _s(withdrawalLeaf(w)),
                i + 1 < ws.length ? "},\n" : "}\n"
            );
            out = string.concat(out, a, b);
        }
        out = string.concat(out, "  ]");
    }

    function _proofsJson(bytes32[] memory leaves, bytes32[] memory roots)
        internal
        view
        returns (string memory out)
    {
        uint256[2][] memory pairs = proofPairs();
        out = "[\n";
        for (uint256 i; i < pairs.length; ++i) {
            (uint256 index, uint256 count) = (pairs[i][0], pairs[i][1]);
            bytes32[] memory siblings = MerkleRef.proof(leaves, count, index);
            require(harness.verify(roots[count], leaves[index], index, siblings), "proof does not verify");
            out = string.concat(
                out,
                '    {"index": ',
                _n(index),
                ', "count": ',
                _n(count),
                ', "leaf": ',
                _s(leaves[index]),
                ', "root": ',
                _s(roots[count]),
                ', "siblings": ',
                _array(siblings, "    "),
                i + 1 < pairs.length ? "},\n" : "}\n"
            );
        }
        out = string.concat(out, "  ]");
    }

    function buildJson() internal returns (string memory) {
        bytes32[] memory zeros = new bytes32[](33);
        for (uint256 h; h <= 32; ++h) {
            zeros[h] = IncrementalMerkle.zeroHash(h);
            require(zeros[h] == MerkleRef.zero(h), "zero table");
        }
        bytes32[] memory leaves = treeLeaves();
        bytes32[] memory roots = treeRoots(leaves);
        string memory head = string.concat(
            "{\n",
            '  "version": 1,\n',
            '  "l1ChainId": ',
            _n(L1_CHAIN_ID),
            ",\n",
            '  "l1Bridge": ',
            _s(L1_BRIDGE),
            ",\n",
            '  "l2ChainId": ',
            _n(L2_CHAIN_ID),
            ",\n",
            '  "l2Bridge": ',
            _s(L2_BRIDGE),
            ",\n",
            '  "l1MessageTypehash": ',
            _s(Hashing.L1_MESSAGE_TYPEHASH),
            ",\n",
            '  "withdrawalTypehash": ',
            _s(Hashing.WITHDRAWAL_TYPEHASH),
            ",\n"
        );
        string memory body = string.concat(
            '  "zeroHashes": ',
            _array(zeros, "  "),
            ",\n",
            '  "l1Messages": ',
            _messagesJson(messages()),
            ",\n",
            '  "withdrawals": ',
            _withdrawalsJson(withdrawals()),
            ",\n",
            '  "tree": {\n    "leaves": ',
            _array(leaves, "    "),
            ',\n    "roots": ',
            _array(roots, "    "),
            "\n  },\n",
            '  "proofs": ',
            _proofsJson(leaves, roots),
            "\n}\n"
        );
        return string.concat(head, body);
    }

    // ------------------------------------------------------------------------------------------------
    // The test
    // ------------------------------------------------------------------------------------------------

    function test_vectors_matchCommittedFile_succeeds() public {
        string memory generated = buildJson();
        if (vm.envOr("WRITE_VECTORS", false)) {
            vm.writeFile(PATH, generated);
            return;
        }
        string memory json = vm.readFile(PATH);
        // Field by field, so that a reformatted file still compares.
        assertEq(vm.parseJsonUint(json, ".version"), 1, "version");
        assertEq(vm.parseJsonUint(json, ".l1ChainId"), L1_CHAIN_ID, "l1ChainId");
        assertEq(vm.parseJsonUint(json, ".l2ChainId"), L2_CHAIN_ID, "l2ChainId");
        assertEq(vm.parseJsonAddress(json, ".l1Bridge"), L1_BRIDGE, "l1Bridge");
        assertEq(vm.parseJsonAddress(json, ".l2Bridge"), L2_BRIDGE, "l2Bridge");
        assertEq(vm.parseJsonBytes32(json, ".l1MessageTypehash"), Hashing.L1_MESSAGE_TYPEHASH, "typehash");
        assertEq(vm.parseJsonBytes32(json, ".withdrawalTypehash"), Hashing.WITHDRAWAL_TYPEHASH, "typehash");

        _checkZeroHashes(json);
        _checkMessages(json);
        _checkWithdrawals(json);
        (bytes32[] memory leaves, bytes32[] memory roots) = _checkTree(json);
        _checkProofs(json, leaves, roots);
    }

    /// @dev The array at `key` has exactly `n` entries.
    function _checkLength(string memory json, string memory key, uint256 n) internal view {
        assertTrue(
            vm.keyExistsJson(json, string.concat(key, "[", vm.toString(n - 1), "]")), "array too short"
        );
        assertFalse(vm.keyExistsJson(json, string.concat(key, "[", vm.toString(n), "]")), "array too long");
    }

    function _checkZeroHashes(string memory json) internal pure {
        bytes32[] memory zeros = vm.parseJsonBytes32Array(json, ".zeroHashes");
        assertEq(zeros.length, 33, "zeroHashes length");
        for (uint256 h; h <= 32; ++h) {
            assertEq(zeros[h], IncrementalMerkle.zeroHash(h), "zero hash");
        }
    }

    function _checkMessages(string memory json) internal view {
        L1Message[] memory ms = messages();
        _checkLength(json, ".l1Messages", ms.length);
        for (uint256 i; i < ms.length; ++i) {
            string memory k = string.concat(".l1Messages[", vm.toString(i), "]");
            assertEq(vm.parseJsonUint(json, string.concat(k, ".kind")), ms[i].kind, "kind");
            assertEq(vm.parseJsonUint(json, string.concat(k, ".nonce")), ms[i].nonce, "nonce");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".sender")), ms[i].sender, "sender");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".recipient")), ms[i].recipient, "recipient");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".token")), ms[i].token, "token");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".amount")), bytes32(ms[i].amount), "amount");
            assertEq(vm.parseJsonBytes(json, string.concat(k, ".data")), ms[i].data, "data");
            assertEq(
                vm.parseJsonBytes32(json, string.concat(k, ".dataHash")), keccak256(ms[i].data), "dataHash"
            );
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".inner")), messageInner(ms[i]), "inner");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".leaf")), messageLeaf(ms[i]), "message leaf");
        }
    }

    function _checkWithdrawals(string memory json) internal view {
        IL1Bridge.Withdrawal[] memory ws = withdrawals();
        _checkLength(json, ".withdrawals", ws.length);
        for (uint256 i; i < ws.length; ++i) {
            string memory k = string.concat(".withdrawals[", vm.toString(i), "]");
            assertEq(vm.parseJsonUint(json, string.concat(k, ".nonce")), ws[i].nonce, "nonce");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".sender")), ws[i].sender, "sender");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".recipient")), ws[i].recipient, "recipient");
            assertEq(vm.parseJsonAddress(json, string.concat(k, ".l1Token")), ws[i].l1Token, "l1Token");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".amount")), bytes32(ws[i].amount), "amount");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".inner")), withdrawalInner(ws[i]), "inner");
            assertEq(
                vm.parseJsonBytes32(json, string.concat(k, ".leaf")), withdrawalLeaf(ws[i]), "withdrawal leaf"
            );
        }
    }

    function _checkTree(string memory json)
        internal
        returns (bytes32[] memory leaves, bytes32[] memory roots)
    {
        leaves = treeLeaves();
        roots = treeRoots(leaves);
        bytes32[] memory fileLeaves = vm.parseJsonBytes32Array(json, ".tree.leaves");
        bytes32[] memory fileRoots = vm.parseJsonBytes32Array(json, ".tree.roots");
        assertEq(fileLeaves.length, leaves.length, "tree.leaves length");
        assertEq(fileRoots.length, roots.length, "tree.roots length");
        for (uint256 i; i < leaves.length; ++i) {
            assertEq(fileLeaves[i], leaves[i], "tree leaf");
        }
        for (uint256 i; i < roots.length; ++i) {
            assertEq(fileRoots[i], roots[i], "tree root");
        }
    }

    function _checkProofs(string memory json, bytes32[] memory leaves, bytes32[] memory roots) internal view {
        uint256[2][] memory pairs = proofPairs();
        _checkLength(json, ".proofs", pairs.length);
        for (uint256 i; i < pairs.length; ++i) {
            (uint256 index, uint256 count) = (pairs[i][0], pairs[i][1]);
            string memory k = string.concat(".proofs[", vm.toString(i), "]");
            assertEq(vm.parseJsonUint(json, string.concat(k, ".index")), index, "proof index");
            assertEq(vm.parseJsonUint(json, string.concat(k, ".count")), count, "proof count");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".leaf")), leaves[index], "proof leaf");
            assertEq(vm.parseJsonBytes32(json, string.concat(k, ".root")), roots[count], "proof root");
            bytes32[] memory siblings = MerkleRef.proof(leaves, count, index);
            bytes32[] memory fileSiblings = siblings.length == 0
                ? new bytes32[](0)
                : vm.parseJsonBytes32Array(json, string.concat(k, ".siblings"));
            assertEq(fileSiblings.length, siblings.length, "siblings length");
            for (uint256 j; j < siblings.length; ++j) {
                assertEq(fileSiblings[j], siblings[j], "sibling");
            }
            assertTrue(
                harness.verify(roots[count], leaves[index], index, fileSiblings), "file proof verifies"
            );
        }
    }
}
