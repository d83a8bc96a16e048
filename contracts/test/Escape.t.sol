// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {RLP} from "@openzeppelin/contracts/utils/RLP.sol";

import {EscapeFixture} from "./utils/EscapeFixture.sol";
import {EscapeScenario} from "./utils/EscapeScenario.sol";
import {Mpt} from "./utils/Mpt.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {RejectETH} from "./utils/Mocks.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {EscapeHatch} from "../src/EscapeHatch.sol";
import {L1Bridge} from "../src/L1Bridge.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";
import {L1Message} from "../src/Types.sol";

/// @notice Freeze, escape, refunds and finalization after the freeze, on L1, against proofs a real anvil
/// produced (`test/vectors/escape-vectors.json`, see EscapeFixture and EscapeScenario). The bridge freezes
/// on alice's unprocessed forced withdrawal (nonce 8); the escape output is L2 state B (output 1); state C
/// (output 2) was proposed too late to be final at the freeze. Balances at B: ETH alice 9, bob 3, dave 3;
/// TT alice 900, carol 30, dave 20. Every rejection is its own test and checks that nothing changed.
contract EscapeTest is EscapeFixture {
    uint256 internal constant OUT_A = 0;
    uint256 internal constant OUT_B = 1;
    uint256 internal constant OUT_C = 2;
    uint64 internal constant FREEZE_NONCE = 8;

    /// @dev Scenario messages 0..8 sent, outputs A (final), B (final), C (not final yet), frozen on nonce 8.
    /// @dev Sends the scenario with honest outputs A (after 4 messages) and B (after all 9).
    function _proposeAB() internal {
        sendScenario(4);
        proposeState("A");
        sendScenario(9);
        proposeState("B");
    }

    function _freezeAtB() internal {
        _freeze(stateRootOf("B"), true, true);
    }

    /// @dev Sends the scenario, posts A (optional), B with `bRoot`, C (optional, too late to be final), and
    /// freezes on nonce 8 at its freeze time.
    function _freeze(bytes32 bRoot, bool withA, bool withC) internal {
        sendScenario(4);
        if (withA) proposeState("A");
        sendScenario(9);
        proposeState("B", bRoot);
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(FREEZE_NONCE);
        assertEq(freezeAt, START_TIME + INCLUSION_WINDOW + CHALLENGE_PERIOD, "freezeAt");
        if (withC) {
            vm.warp(freezeAt - CHALLENGE_PERIOD + 1);
            proposeState("C");
        }
        vm.warp(freezeAt);
        l1.freeze(FREEZE_NONCE);
    }

    struct Snap {
        uint256 ethEscrow;
        uint256 ttEscrow;
        uint256 ethHeld;
        uint256 ttHeld;
        uint256 aliceEth;
        uint256 aliceTt;
    }

    function _snap() internal view returns (Snap memory s) {
        s.ethEscrow = l1.escrowed(address(0));
        s.ttEscrow = l1.escrowed(address(token));
        s.ethHeld = address(l1).balance;
        s.ttHeld = token.balanceOf(address(l1));
        s.aliceEth = alice.balance;
        s.aliceTt = token.balanceOf(alice);
    }

    function _assertUnchanged(Snap memory s) internal view {
        Snap memory n = _snap();
        assertEq(n.ethEscrow, s.ethEscrow, "ETH escrow changed");
        assertEq(n.ttEscrow, s.ttEscrow, "TT escrow changed");
        assertEq(n.ethHeld, s.ethHeld, "bridge ETH changed");
        assertEq(n.ttHeld, s.ttHeld, "bridge TT changed");
        assertEq(n.aliceEth, s.aliceEth, "alice ETH changed");
        assertEq(n.aliceTt, s.aliceTt, "alice TT changed");
        assertFalse(l1.hasEscaped(address(0), alice), "escaped flag set");
        assertFalse(l1.hasEscaped(address(token), alice), "escaped flag set");
        assertEq(l1.escapeStorageRoot(address(token)), bytes32(0), "storage root stored");
        assertEq(l1.escapeStorageRoot(address(0)), bytes32(0), "storage root stored");
    }

    /// @dev escape expecting `err`, then nothing changed.
    function _escapeReverts(
        address l1Token,
        address account,
        bytes[] memory accountProof,
        bytes[] memory storageProof,
        bytes memory err
    ) internal {
        Snap memory s = _snap();
        vm.expectRevert(err);
        vm.prank(account, account); // the account itself, as an EOA: rejections are for the proofs
        l1.escape(l1Token, account, accountProof, storageProof);
        _assertUnchanged(s);
    }

    /// @dev `account` escapes its own balance in its own transaction (`msg.sender == tx.origin == account`).
    function _escape(
        address l1Token,
        address account,
        bytes[] memory accountProof,
        bytes[] memory storageProof
    ) internal returns (uint256) {
        vm.prank(account, account);
        return l1.escape(l1Token, account, accountProof, storageProof);
    }

    function _invalid() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IL1Bridge.InvalidStateProof.selector);
    }

    // ------------------------------------------------------------------------------------------------
    // the vectors and the helpers agree with the real chain
    // ------------------------------------------------------------------------------------------------

    function test_l2TokenFor_namesTheTokensAnvilDeployed_succeeds() public view {
        assertEq(l1.l2TokenFor(address(0)), vm.parseJsonAddress(vectors, ".B.eth.address"), "ETH token");
        assertEq(l1.l2TokenFor(address(token)), vm.parseJsonAddress(vectors, ".B.tt.address"), "TT token");
    }

    /// @dev The scenario's withdrawals hash to the withdrawal roots anvil's L2 bridge reported.
    function test_vectors_withdrawalRootsMatchScenario_succeeds() public view {
        bytes32[] memory leaves = EscapeScenario.withdrawalLeaves();
        string[3] memory states = ["A", "B", "C"];
        uint256[3] memory counts =
            [EscapeScenario.WITHDRAWALS_A, EscapeScenario.WITHDRAWALS_B, EscapeScenario.WITHDRAWALS_C];
        for (uint256 i; i < 3; ++i) {
            string memory k = string.concat(".", states[i]);
            assertEq(vm.parseJsonUint(vectors, string.concat(k, ".withdrawalCount")), counts[i], "count");
            assertEq(
                vm.parseJsonBytes32(vectors, string.concat(k, ".withdrawalRoot")),
                _merkleRoot(leaves, counts[i]),
                "withdrawal root"
            );
        }
    }

    function _merkleRoot(bytes32[] memory leaves, uint256 count) internal pure returns (bytes32) {
        return MerkleRef.root(leaves, count);
    }

    /// @dev The test trie builder reproduces the storage roots anvil reported (every non-zero slot of both
    /// tokens at every state) and exactly the storage proof nodes of eth_getProof.
    function test_mpt_reproducesAnvilStorageTries_succeeds() public view {
        string[3] memory states = ["A", "B", "C"];
        string[2] memory toks = ["eth", "tt"];
        for (uint256 i; i < 3; ++i) {
            for (uint256 t; t < 2; ++t) {
                string memory k = string.concat(".", states[i], ".", toks[t]);
                bytes32[] memory slots = vm.parseJsonBytes32Array(vectors, string.concat(k, ".slots"));
                bytes32[] memory values = vm.parseJsonBytes32Array(vectors, string.concat(k, ".values"));
                Mpt.Entry[] memory es = new Mpt.Entry[](slots.length);
                uint256 n;
                for (uint256 j; j < slots.length; ++j) {
                    if (values[j] != bytes32(0)) es[n++] = Mpt.storageEntry(slots[j], uint256(values[j]));
                }
                assembly ("memory-safe") {
                    mstore(es, n)
                }
                assertEq(Mpt.root(es), vm.parseJsonBytes32(vectors, string.concat(k, ".storageHash")), "root");
                bytes[] memory real = vm.parseJsonBytesArray(vectors, string.concat(k, ".alice.proof"));
                bytes32 aliceSlot = vm.parseJsonBytes32(vectors, string.concat(k, ".alice.slot"));
                bytes[] memory built = Mpt.proof(es, keccak256(abi.encode(aliceSlot)));
                if (vm.parseJsonUint(vectors, string.concat(k, ".alice.value")) == 0) continue;
                assertEq(built.length, real.length, "proof length");
                for (uint256 j; j < real.length; ++j) {
                    assertEq(built[j], real[j], "proof node");
                }
            }
        }
    }

    /// @dev Before any freeze, any state root (here output A's) can be checked with the view.
    function test_verifyL2Balance_olderState_succeeds() public view {
        (bytes[] memory ap, bytes[] memory sp, uint256 bal) = proofOf("A", "eth", "bob");
        assertEq(bal, 5 ether, "vector");
        assertEq(l1.verifyL2Balance(stateRootOf("A"), address(0), bob, ap, sp), 5 ether);
    }

    // ------------------------------------------------------------------------------------------------
    // freeze snapshot
    // ------------------------------------------------------------------------------------------------

    function test_freeze_snapshotsNewestFinalOutput_succeeds() public {
        _proposeAB();
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(FREEZE_NONCE);
        vm.warp(freezeAt - CHALLENGE_PERIOD + 1);
        proposeState("C");
        vm.warp(freezeAt);
        assertTrue(l1.canFreeze(FREEZE_NONCE), "canFreeze");
        vm.expectEmit(address(l1));
        emit IL1Bridge.Frozen(
            FREEZE_NONCE,
            true,
            OUT_B,
            stateRootOf("B"),
            vm.parseJsonBytes32(vectors, ".B.withdrawalRoot"),
            uint64(EscapeScenario.PROCESSED_B)
        );
        vm.prank(bob); // anyone
        l1.freeze(FREEZE_NONCE);
        assertTrue(l1.frozen(), "frozen");
        (bool has, uint256 idx, bytes32 sr, bytes32 wr, uint64 processed) = l1.escapeOutput();
        assertTrue(has, "has");
        assertEq(idx, OUT_B, "index");
        assertEq(sr, stateRootOf("B"), "state root");
        assertEq(wr, vm.parseJsonBytes32(vectors, ".B.withdrawalRoot"), "withdrawal root");
        assertEq(processed, EscapeScenario.PROCESSED_B, "processed");
        assertFalse(l1.canFreeze(FREEZE_NONCE), "canFreeze after");
    }

    /// @dev Bob's forced withdrawal (nonce 4) was processed by the final output B: never overdue.
    function test_freeze_processedForcedWithdrawal_reverts() public {
        sendScenario(9);
        proposeState("B");
        vm.warp(l1.forcedWithdrawalFreezeAt(4) + 30 days);
        assertFalse(l1.canFreeze(4), "canFreeze");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotOverdue.selector, uint64(4)));
        l1.freeze(4);
        assertFalse(l1.frozen(), "frozen");
    }

    function test_propose_afterFreeze_reverts() public {
        _freezeAtB();
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(IOutputOracle.BridgeFrozen.selector);
        oracle.propose{value: PROPOSER_BOND}(
            100, bytes32(uint256(1)), bytes32(uint256(2)), bytes32(uint256(3)), 9, messageRootAt(9)
        );
        assertEq(oracle.outputCount(), 3, "output count");
    }

    // ------------------------------------------------------------------------------------------------
    // escape: success
    // ------------------------------------------------------------------------------------------------

    function test_escape_eth_paysProvenBalanceToAccount_succeeds() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp, uint256 bal) = proofOf("B", "eth", "alice");
        assertEq(bal, 9 ether, "vector");
        uint256 escrow = l1.escrowed(address(0));
        uint256 before = alice.balance;
        vm.expectEmit(address(l1));
        emit IL1Bridge.EscapeStorageRootProven(address(0), vm.parseJsonBytes32(vectors, ".B.eth.storageHash"));
        vm.expectEmit(address(l1));
        emit IL1Bridge.Escaped(address(0), alice, 9 ether);
        assertEq(_escape(address(0), alice, ap, sp), 9 ether, "amount"); // alice herself, as an EOA
        assertEq(alice.balance, before + 9 ether, "alice paid");
        assertEq(l1.escrowed(address(0)), escrow - 9 ether, "escrow");
        assertTrue(l1.hasEscaped(address(0), alice), "flag");
        assertFalse(l1.hasEscaped(address(token), alice), "other token untouched");
    }

    /// @dev Only the key holder of `account` claims its L2 balance: a third party (here an EOA relayer
    /// submitting alice's valid proofs) is refused, and nothing changes.
    function test_escape_byThirdParty_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        Snap memory s = _snap();
        vm.prank(relayer, relayer);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, relayer));
        l1.escape(address(0), alice, ap, sp);
        _assertUnchanged(s);
    }

    /// @dev A contract cannot escape, neither for another account nor for its own address (on L2 the same
    /// address may be someone else's contract): alice's transaction through a contract is refused, and so is
    /// alice's address called in someone else's transaction (`tx.origin` differs).
    function test_escape_byContract_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        Snap memory s = _snap();
        RejectETH wallet = new RejectETH();
        vm.prank(alice, alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, address(wallet)));
        wallet.execute(address(l1), abi.encodeCall(IL1Bridge.escape, (address(0), alice, ap, sp)));
        vm.prank(alice, relayer);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, alice));
        l1.escape(address(0), alice, ap, sp);
        _assertUnchanged(s);
        // The wallet's own address holds nothing on L2 here, but even its own claim is refused.
        vm.prank(address(wallet), alice);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, address(wallet)));
        l1.escape(address(0), address(wallet), ap, sp);
        // Alice herself, as an EOA, is paid.
        assertEq(_escape(address(0), alice, ap, sp), 9 ether, "alice");
    }

    function test_escape_erc20_paysProvenBalanceToAccount_succeeds() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "tt", "alice");
        uint256 escrow = l1.escrowed(address(token));
        vm.expectEmit(address(l1));
        emit IL1Bridge.Escaped(address(token), alice, 900e18);
        _escape(address(token), alice, ap, sp);
        assertEq(token.balanceOf(alice), 900e18, "alice paid");
        assertEq(l1.escrowed(address(token)), escrow - 900e18, "escrow");
        assertEq(
            l1.escapeStorageRoot(address(token)), vm.parseJsonBytes32(vectors, ".B.tt.storageHash"), "root"
        );
    }

    /// @dev After the first escape of a token proved its storage root, later ones may omit the account proof.
    function test_escape_emptyAccountProofAfterFirstEscape_succeeds() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "tt", "alice");
        _escape(address(token), alice, ap, sp);
        (, bytes[] memory spCarol,) = proofOf("B", "tt", "carol");
        assertEq(_escape(address(token), carol, new bytes[](0), spCarol), 30e18, "carol");
        assertEq(token.balanceOf(carol), 30e18);
    }

    function test_escape_emptyAccountProofBeforeAnyEscape_reverts() public {
        _freezeAtB();
        (, bytes[] memory sp,) = proofOf("B", "tt", "alice");
        _escapeReverts(address(token), alice, new bytes[](0), sp, _invalid());
    }

    /// @dev Escape needs no unpaused bridge: a pause stops none of it.
    function test_escape_whilePaused_succeeds() public {
        _freezeAtB();
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "dave");
        assertEq(_escape(address(0), dave, ap, sp), 3 ether);
    }

    /// @dev Every claim of the scenario: escapes of all six balances, the withdrawals of outputs A and B,
    /// refunds of the two unprocessed deposits; the escrow of both tokens ends at exactly zero, and the
    /// withdrawal made after B (in output C) cannot be paid as well.
    function test_escape_everyClaimDrainsEscrowExactly_succeeds() public {
        _freezeAtB();
        string[3] memory ethHolders = ["alice", "bob", "dave"];
        string[3] memory ttHolders = ["alice", "carol", "dave"];
        for (uint256 i; i < 3; ++i) {
            (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", ethHolders[i]);
            _escape(address(0), EscapeScenario.user(ethHolders[i]), ap, sp);
            (ap, sp,) = proofOf("B", "tt", ttHolders[i]);
            _escape(address(token), EscapeScenario.user(ttHolders[i]), ap, sp);
        }
        l1.finalizeWithdrawal(scenarioWithdrawal(0), OUT_A, scenarioWithdrawalProof(0, "A"));
        l1.finalizeWithdrawal(scenarioWithdrawal(1), OUT_B, scenarioWithdrawalProof(1, "B"));
        l1.finalizeWithdrawal(scenarioWithdrawal(2), OUT_B, scenarioWithdrawalProof(2, "B"));
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        l1.refundDeposit(sentAsL1(7), messageProof(7));
        assertEq(l1.escrowed(address(0)), 0, "ETH escrow");
        assertEq(l1.escrowed(address(token)), 0, "TT escrow");
        assertEq(address(l1).balance, 0, "bridge ETH");
        assertEq(token.balanceOf(address(l1)), 0, "bridge TT");
        assertEq(alice.balance, 9 ether + 1 ether, "alice ETH: escape + withdrawal 0");
        assertEq(token.balanceOf(alice), 900e18 + 100e18, "alice TT: escape + withdrawal 2");
        assertEq(erin.balance, 1 ether, "erin refunded");
        // Withdrawal 4 (alice, 2 ETH after B) becomes final in output C: its funds were part of the 9 ETH.
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(OUT_C), "C final now");
        IL1Bridge.Withdrawal memory w4 = scenarioWithdrawal(4);
        bytes32[] memory p4 = scenarioWithdrawalProof(4, "C");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, OUT_C));
        l1.finalizeWithdrawal(w4, OUT_C, p4);
    }

    // ------------------------------------------------------------------------------------------------
    // escape: rejections (each leaves every balance, escrow and flag as it was)
    // ------------------------------------------------------------------------------------------------

    function test_escape_notFrozen_reverts() public {
        sendScenario(9);
        proposeState("B");
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(0), alice, ap, sp, abi.encodeWithSelector(IL1Bridge.NotFrozen.selector));
    }

    function test_escape_noEscapeOutput_reverts() public {
        sendScenario(9);
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        l1.freeze(FREEZE_NONCE);
        (bool has,,,,) = l1.escapeOutput();
        assertFalse(has, "no output was ever final");
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(0), alice, ap, sp, abi.encodeWithSelector(IL1Bridge.NoEscapeOutput.selector));
    }

    /// @dev Bob's balance proof submitted for alice.
    function test_escape_proofForAnotherAccount_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "bob");
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    /// @dev Alice's ETH proofs submitted as her TT balance.
    function test_escape_proofForAnotherToken_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(token), alice, ap, sp, _invalid());
    }

    /// @dev The TT token's real account proof with a storage proof of another slot (totalSupply, 950 TT).
    function test_escape_proofForAnotherSlot_reverts() public {
        _freezeAtB();
        (bytes[] memory ap,,) = proofOf("B", "tt", "alice");
        (, bytes[] memory sp, uint256 supply) = proofOf("B", "tt", "totalSupply");
        assertEq(supply, 950e18, "vector");
        _escapeReverts(address(token), alice, ap, sp, _invalid());
    }

    /// @dev The TT token's account proof with alice's balance-slot proof from the ETH token's storage (the
    /// same slot in another contract).
    function test_escape_proofForAnotherContract_reverts() public {
        _freezeAtB();
        (bytes[] memory ap,,) = proofOf("B", "tt", "alice");
        (, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(token), alice, ap, sp, _invalid());
    }

    function test_escape_extraTrailingStorageProofNode_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(0), alice, ap, _append(sp, sp[sp.length - 1]), _invalid());
    }

    function test_escape_extraTrailingAccountProofNode_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escapeReverts(address(0), alice, _append(ap, sp[0]), sp, _invalid());
    }

    function test_escape_missingLastProofNode_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        bytes[] memory shorter = new bytes[](sp.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = sp[i];
        }
        _escapeReverts(address(0), alice, ap, shorter, _invalid());
    }

    /// @dev The storage leaf re-encoded with a non-canonical balance (a leading zero byte: OpenZeppelin's RLP
    /// would read the same number), the root left as it is: the leaf no longer hashes to its reference.
    function test_escape_nonCanonicalLeafEncoding_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        sp[sp.length - 1] = Mpt.withValue(sp[sp.length - 1], _nonCanonical(9 ether));
        assertEq(RLP.decodeUint256(_nonCanonical(9 ether)), 9 ether, "OpenZeppelin reads the same number");
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    /// @dev Even a trie whose root commits to a non-canonical balance (rebuilt up to a state root that a
    /// final output carries) is refused: the bridge decodes balances strictly.
    function test_escape_nonCanonicalBalanceInCommittedTrie_reverts() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) =
            _rewrite("eth", "alice", _nonCanonical(9 ether));
        _freeze(root, false, false);
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    /// @dev The twin of the test above: the same rewrite with a canonical (different) balance is a valid trie.
    function test_escape_rewrittenTrieWithCanonicalBalance_succeeds() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) =
            _rewrite("eth", "alice", RLP.encode(uint256(4 ether)));
        _freeze(root, false, false);
        assertEq(_escape(address(0), alice, ap, sp), 4 ether);
    }

    function test_escape_balanceWithTrailingByte_reverts() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) =
            _rewrite("eth", "alice", bytes.concat(RLP.encode(uint256(9 ether)), hex"00"));
        _freeze(root, false, false);
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    /// @dev A single byte below 0x80 wrapped in a string prefix (`0x8105`): non-canonical.
    function test_escape_wrappedSmallBalance_reverts() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) = _rewrite("eth", "alice", hex"8105");
        _freeze(root, false, false);
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    /// @dev A trie that stores an explicit zero (Ethereum deletes zero slots instead) proves a zero balance.
    function test_escape_zeroBalance_reverts() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) = _rewrite("eth", "alice", hex"80");
        _freeze(root, false, false);
        _escapeReverts(address(0), alice, ap, sp, abi.encodeWithSelector(IL1Bridge.NothingToEscape.selector));
    }

    /// @dev A real exclusion proof (erin holds no ETH at B): absent slots are not provable balances.
    function test_escape_exclusionProofOfEmptySlot_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp, uint256 bal) = proofOf("B", "eth", "erin");
        assertEq(bal, 0, "vector");
        _escapeReverts(address(0), erin, ap, sp, _invalid());
    }

    /// @dev An account value with a fifth field (root recomputed).
    function test_escape_accountWithExtraField_reverts() public {
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        bytes memory accountRlp = Mpt.valueOf(ap[ap.length - 1]);
        bytes memory longer = _withExtraField(accountRlp);
        (bytes[] memory ap2, bytes32 root) = Mpt.replaceLast(ap, Mpt.withValue(ap[ap.length - 1], longer));
        _freeze(root, false, false);
        _escapeReverts(address(0), alice, ap2, sp, _invalid());
    }

    /// @dev Bob held 5 ETH at A and 3 at B: his proof of A is not accepted against the escape root.
    function test_escape_proofAgainstOlderRoot_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("A", "eth", "bob");
        _escapeReverts(address(0), bob, ap, sp, _invalid());
    }

    /// @dev A proof of the newer state C (not final at the freeze) is not accepted either.
    function test_escape_proofAgainstNewerRoot_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("C", "eth", "alice");
        _escapeReverts(address(0), alice, ap, sp, _invalid());
    }

    function test_escape_second_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escape(address(0), alice, ap, sp);
        Snap memory s = _snap();
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyEscaped.selector, address(0), alice));
        _escape(address(0), alice, ap, sp);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyEscaped.selector, address(0), alice));
        _escape(address(0), alice, new bytes[](0), sp);
        Snap memory n = _snap();
        assertEq(n.ethEscrow, s.ethEscrow, "escrow");
        assertEq(n.aliceEth, s.aliceEth, "alice");
    }

    /// @dev Alice escapes her 9 ETH of state B; the 2 ETH she withdrew on L2 after B (withdrawal 4, in
    /// output C, final only after the freeze) are part of them and are not paid again.
    function test_escape_thenNormalWithdrawalOfSameFunds_reverts() public {
        _freezeAtB();
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        _escape(address(0), alice, ap, sp);
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(OUT_C), "C final");
        IL1Bridge.Withdrawal memory w4 = scenarioWithdrawal(4);
        bytes32[] memory p4 = scenarioWithdrawalProof(4, "C");
        uint256 escrow = l1.escrowed(address(0));
        uint256 before = alice.balance;
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, OUT_C));
        l1.finalizeWithdrawal(w4, OUT_C, p4);
        assertEq(l1.escrowed(address(0)), escrow, "escrow");
        assertEq(alice.balance, before, "alice");
        assertFalse(l1.isWithdrawalFinalized(4), "spent bit");
    }

    /// @dev The other order: a withdrawal finalized before the freeze was burnt on L2 before B, so the escape
    /// pays only what is left (9 of alice's 10 ETH) and the withdrawal cannot be paid twice.
    function test_escape_afterNormalWithdrawal_paysOnlyTheRest_succeeds() public {
        sendScenario(4);
        proposeState("A");
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        l1.finalizeWithdrawal(scenarioWithdrawal(0), OUT_A, scenarioWithdrawalProof(0, "A"));
        assertEq(alice.balance, 1 ether, "withdrawal 0");
        sendScenario(9);
        proposeState("B");
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        l1.freeze(FREEZE_NONCE);
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        assertEq(_escape(address(0), alice, ap, sp), 9 ether, "the rest");
        IL1Bridge.Withdrawal memory w0 = scenarioWithdrawal(0);
        bytes32[] memory p0 = scenarioWithdrawalProof(0, "B");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyFinalized.selector, uint64(0)));
        l1.finalizeWithdrawal(w0, OUT_B, p0);
    }

    /// @dev A (wrong but final) state claiming more than the escrow holds: the bridge pays at most escrow.
    function test_escape_moreThanEscrow_reverts() public {
        (bytes32 root, bytes[] memory ap, bytes[] memory sp) =
            _rewrite("eth", "alice", RLP.encode(uint256(1000 ether)));
        _freeze(root, false, false);
        uint256 escrow = l1.escrowed(address(0));
        _escapeReverts(
            address(0),
            alice,
            ap,
            sp,
            abi.encodeWithSelector(IL1Bridge.InsufficientEscrow.selector, address(0), 1000 ether, escrow)
        );
    }

    // ------------------------------------------------------------------------------------------------
    // refunds
    // ------------------------------------------------------------------------------------------------

    function test_refundDeposit_unprocessedDeposits_succeeds() public {
        _freezeAtB();
        uint256 ethEscrow = l1.escrowed(address(0));
        vm.expectEmit(address(l1));
        emit IL1Bridge.DepositRefunded(6, erin, address(0), 1 ether);
        vm.prank(relayer); // anyone submits; the L1 sender is paid
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        assertEq(erin.balance, 1 ether, "erin");
        assertEq(l1.escrowed(address(0)), ethEscrow - 1 ether, "escrow");
        assertTrue(l1.isRefunded(6), "flag");
        uint256 bobTt = token.balanceOf(bob);
        l1.refundDeposit(sentAsL1(7), messageProof(7));
        assertEq(token.balanceOf(bob), bobTt + 7e18, "bob");
    }

    /// @dev With the last committed root covering every message, refunds use it (and agree).
    function test_refundDeposit_againstCommittedRoot_succeeds() public {
        _freezeAtB();
        (, uint64 count) = l1.commitMessageRoot();
        assertEq(count, 9, "count");
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        assertEq(erin.balance, 1 ether, "erin");
    }

    function test_refundDeposit_whilePaused_succeeds() public {
        _freezeAtB();
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        assertEq(erin.balance, 1 ether, "erin");
    }

    function test_refundDeposit_processedMessage_reverts() public {
        _freezeAtB();
        Snap memory s = _snap();
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.MessageWasProcessed.selector, uint64(5)));
        l1.refundDeposit(sentAsL1(5), messageProof(5));
        _assertUnchanged(s);
        assertFalse(l1.isRefunded(5), "flag");
    }

    function test_refundDeposit_twice_reverts() public {
        _freezeAtB();
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        uint256 escrow = l1.escrowed(address(0));
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.AlreadyRefunded.selector, uint64(6)));
        l1.refundDeposit(sentAsL1(6), messageProof(6));
        assertEq(l1.escrowed(address(0)), escrow, "escrow");
        assertEq(erin.balance, 1 ether, "erin once");
    }

    function test_refundDeposit_forcedWithdrawal_reverts() public {
        _freezeAtB();
        Snap memory s = _snap();
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.NotADeposit.selector, uint64(8)));
        l1.refundDeposit(sentAsL1(8), messageProof(8));
        _assertUnchanged(s);
    }

    function test_refundDeposit_notFrozen_reverts() public {
        sendScenario(9);
        Snap memory s = _snap();
        L1Message memory m = sentAsL1(6);
        bytes32[] memory p = messageProof(6);
        vm.expectRevert(IL1Bridge.NotFrozen.selector);
        l1.refundDeposit(m, p);
        _assertUnchanged(s);
    }

    /// @dev A forged amount (or any other field) changes the leaf.
    function test_refundDeposit_forgedAmount_reverts() public {
        _freezeAtB();
        L1Message memory m = sentAsL1(6);
        m.amount = 10 ether;
        Snap memory s = _snap();
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.refundDeposit(m, messageProof(6));
        _assertUnchanged(s);
        assertFalse(l1.isRefunded(6), "flag");
    }

    function test_refundDeposit_nonceBeyondCount_reverts() public {
        _freezeAtB();
        L1Message memory m = sentAsL1(6);
        m.nonce = 9;
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.refundDeposit(m, messageProof(6));
    }

    /// @dev No output was ever final: L1 knows no L2 state, every deposit is refunded.
    function test_refundDeposit_noEscapeOutputRefundsAll_succeeds() public {
        sendScenario(9);
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        l1.freeze(FREEZE_NONCE);
        l1.refundDeposit(sentAsL1(0), messageProof(0));
        assertEq(alice.balance, 10 ether, "alice");
    }

    // ------------------------------------------------------------------------------------------------
    // withdrawals after the freeze
    // ------------------------------------------------------------------------------------------------

    /// @dev Bob's forced withdrawal (withdrawal 1, in the escape output) finalizes as usual, even paused.
    function test_finalizeWithdrawal_forcedWithdrawalInEscapeOutputWhilePaused_succeeds() public {
        _freezeAtB();
        vm.prank(council);
        l1.pause(MAX_PAUSE);
        l1.finalizeWithdrawal(scenarioWithdrawal(1), OUT_B, scenarioWithdrawalProof(1, "B"));
        assertEq(bob.balance, 2 ether, "bob");
    }

    function test_finalizeWithdrawal_olderOutputAfterFreeze_succeeds() public {
        _freezeAtB();
        l1.finalizeWithdrawal(scenarioWithdrawal(0), OUT_A, scenarioWithdrawalProof(0, "A"));
        assertEq(alice.balance, 1 ether, "alice");
    }

    function test_finalizeWithdrawals_outputAfterEscape_reverts() public {
        _freezeAtB();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        IL1Bridge.WithdrawalClaim[] memory claims = new IL1Bridge.WithdrawalClaim[](1);
        claims[0] = IL1Bridge.WithdrawalClaim({
            withdrawal: scenarioWithdrawal(3), proof: scenarioWithdrawalProof(3, "C")
        });
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, OUT_C));
        l1.finalizeWithdrawals(claims, OUT_C);
    }

    /// @dev Output B was proposed too late to be final at the freeze: there is no escape output, and B's
    /// withdrawals are not paid even once B becomes final (every deposit is refunded instead).
    function test_finalizeWithdrawal_noEscapeOutput_reverts() public {
        sendScenario(9);
        uint256 freezeAt = l1.forcedWithdrawalFreezeAt(FREEZE_NONCE);
        vm.warp(freezeAt - CHALLENGE_PERIOD + 1);
        proposeState("B");
        vm.warp(freezeAt);
        l1.freeze(FREEZE_NONCE);
        (bool has,,,,) = l1.escapeOutput();
        assertFalse(has, "no escape output");
        vm.warp(freezeAt + CHALLENGE_PERIOD);
        assertTrue(oracle.isFinal(0), "B final now");
        IL1Bridge.Withdrawal memory w = scenarioWithdrawal(1);
        bytes32[] memory p = scenarioWithdrawalProof(1, "B");
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.OutputAfterEscape.selector, uint256(0)));
        l1.finalizeWithdrawal(w, 0, p);
    }

    // ------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------

    function _append(bytes[] memory a, bytes memory x) internal pure returns (bytes[] memory b) {
        b = new bytes[](a.length + 1);
        for (uint256 i; i < a.length; ++i) {
            b[i] = a[i];
        }
        b[a.length] = x;
    }

    /// @dev `value` as an RLP string with one leading zero byte.
    function _nonCanonical(uint256 value) internal pure returns (bytes memory) {
        bytes memory canonical = RLP.encode(value);
        require(canonical.length > 1 && canonical.length < 33, "small values only");
        bytes memory payload = new bytes(canonical.length); // leading zero + the canonical payload
        for (uint256 i = 1; i < canonical.length; ++i) {
            payload[i] = canonical[i];
        }
        return bytes.concat(bytes1(uint8(0x80 + payload.length)), payload);
    }

    /// @dev State B with `who`'s balance slot of `tok` holding `newValue` (raw trie value), every node up to
    /// the state root re-hashed: the new state root and the two proofs.
    function _rewrite(string memory tok, string memory who, bytes memory newValue)
        internal
        view
        returns (bytes32 stateRoot, bytes[] memory accountProof, bytes[] memory storageProof)
    {
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", tok, who);
        bytes32 storageRoot;
        (storageProof, storageRoot) = Mpt.replaceLast(sp, Mpt.withValue(sp[sp.length - 1], newValue));
        bytes memory accountLeaf = ap[ap.length - 1];
        bytes memory account = Mpt.withStorageRoot(Mpt.valueOf(accountLeaf), storageRoot);
        (accountProof, stateRoot) = Mpt.replaceLast(ap, Mpt.withValue(accountLeaf, account));
    }

    function _withExtraField(bytes memory accountRlp) internal pure returns (bytes memory) {
        // [nonce, balance, storageRoot, codeHash] -> [nonce, balance, storageRoot, codeHash, 0]
        bytes memory payload = new bytes(0);
        (uint256 offset, uint256 len) = _listPayload(accountRlp);
        payload = new bytes(len);
        for (uint256 i; i < len; ++i) {
            payload[i] = accountRlp[offset + i];
        }
        bytes memory longer = bytes.concat(payload, hex"80");
        return longer.length <= 55
            ? bytes.concat(bytes1(uint8(0xc0 + longer.length)), longer)
            : bytes.concat(hex"f8", bytes1(uint8(longer.length)), longer);
    }

    function _listPayload(bytes memory list) internal pure returns (uint256 offset, uint256 len) {
        uint8 p = uint8(list[0]);
        if (p <= 0xf7) return (1, p - 0xc0);
        uint256 ll = p - 0xf7;
        for (uint256 i; i < ll; ++i) {
            len = (len << 8) | uint8(list[1 + i]);
        }
        offset = 1 + ll;
    }

    // ------------------------------------------------------------------------------------------------
    // the escape hatch (freeze, escape and refunds run by delegatecall, see EscapeHatch)
    // ------------------------------------------------------------------------------------------------

    function test_proveEscapeStorageRoot_thenEscapesWithoutAccountProof_succeeds() public {
        _freezeAtB();
        (bytes[] memory ap,,) = proofOf("B", "tt", "alice");
        bytes32 expected = vm.parseJsonBytes32(vectors, ".B.tt.storageHash");
        vm.expectEmit(address(l1));
        emit IL1Bridge.EscapeStorageRootProven(address(token), expected);
        vm.prank(relayer);
        assertEq(l1.proveEscapeStorageRoot(address(token), ap), expected, "root");
        assertEq(l1.escapeStorageRoot(address(token)), expected, "stored");
        // Idempotent: a second call returns the stored root (even with no proof) and changes nothing.
        assertEq(l1.proveEscapeStorageRoot(address(token), new bytes[](0)), expected, "again");
        (, bytes[] memory spAlice,) = proofOf("B", "tt", "alice");
        (, bytes[] memory spCarol,) = proofOf("B", "tt", "carol");
        assertEq(_escape(address(token), alice, new bytes[](0), spAlice), 900e18, "alice");
        assertEq(_escape(address(token), carol, new bytes[](0), spCarol), 30e18, "carol");
    }

    function test_proveEscapeStorageRoot_invalidProof_reverts() public {
        _freezeAtB();
        (bytes[] memory ap,,) = proofOf("B", "eth", "alice"); // the ETH token's account, not TT's
        Snap memory s = _snap();
        vm.expectRevert(_invalid());
        l1.proveEscapeStorageRoot(address(token), ap);
        (ap,,) = proofOf("A", "tt", "alice"); // another state root
        vm.expectRevert(_invalid());
        l1.proveEscapeStorageRoot(address(token), ap);
        vm.expectRevert(_invalid());
        l1.proveEscapeStorageRoot(address(token), new bytes[](0));
        _assertUnchanged(s);
    }

    function test_proveEscapeStorageRoot_notFrozen_reverts() public {
        sendScenario(9);
        (bytes[] memory ap,,) = proofOf("B", "tt", "alice");
        vm.expectRevert(IL1Bridge.NotFrozen.selector);
        l1.proveEscapeStorageRoot(address(token), ap);
        assertEq(l1.escapeStorageRoot(address(token)), bytes32(0), "nothing stored");
    }

    /// @dev Both contracts deploy on a chain with the EIP-170 limit (the devnet's stock anvil enforces it).
    function test_codeSize_bridgeAndHatchUnderEip170_succeeds() public {
        L1Bridge implementation = new L1Bridge();
        assertLe(address(implementation).code.length, 24_576, "L1Bridge over EIP-170");
        assertLe(implementation.escapeHatch().code.length, 24_576, "EscapeHatch over EIP-170");
        assertTrue(implementation.escapeHatch().code.length > 0, "hatch deployed");
    }

    /// @dev Called on the hatch's own address the state-changing functions refuse (they would act on the
    /// hatch's empty storage), before and after the bridge froze.
    function test_escapeHatch_directCalls_revert() public {
        EscapeHatch hatch = EscapeHatch(l1.escapeHatch());
        for (uint256 frozen; frozen < 2; ++frozen) {
            if (frozen == 1) _freezeAtB();
            (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
            vm.expectRevert(EscapeHatch.DirectCall.selector);
            hatch.freeze(FREEZE_NONCE);
            vm.expectRevert(EscapeHatch.DirectCall.selector);
            hatch.escape(address(0), alice, ap, sp);
            vm.expectRevert(EscapeHatch.DirectCall.selector);
            hatch.proveEscapeStorageRoot(address(0), ap);
            L1Message memory m; // a real deposit's fields once the scenario was sent
            if (frozen == 1) m = sentAsL1(6);
            bytes32[] memory proof = frozen == 1 ? messageProof(6) : new bytes32[](0);
            vm.expectRevert(EscapeHatch.DirectCall.selector);
            hatch.refundDeposit(m, proof);
        }
        assertFalse(l1.hasEscaped(address(0), alice), "nothing escaped");
    }

    /// @dev The hatch's functions hold the bridge's reentrancy lock: an escaping account that re-enters the
    /// bridge from its ETH payment is refused, and the outer escape pays once.
    function test_escape_reentrantAccount_lockHolds_reverts() public {
        _freezeAtB();
        vm.etch(alice, type(EscapeReenterer).runtimeCode);
        EscapeReenterer(payable(alice)).arm(l1);
        (bytes[] memory ap, bytes[] memory sp,) = proofOf("B", "eth", "alice");
        uint256 escrow = l1.escrowed(address(0));
        vm.prank(alice, alice);
        l1.escape(address(0), alice, ap, sp);
        assertEq(
            bytes4(EscapeReenterer(payable(alice)).innerRevert()),
            ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector,
            "re-entry refused by the lock"
        );
        assertEq(l1.escrowed(address(0)), escrow - 9 ether, "paid once");
    }

    /// @dev The lock is released after each delegated call: freeze and two escapes (alice's ETH and TT) in one
    /// transaction. Alice sends it as an externally owned account whose code delegates to a batch contract
    /// (EIP-7702, here `vm.etch`): the escape rule compares addresses (`msg.sender == tx.origin == account`),
    /// so a key holder may batch its own claims.
    function test_escapeHatch_severalCallsInOneTransaction_succeeds() public {
        _proposeAB();
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        (bytes[] memory apE, bytes[] memory spE,) = proofOf("B", "eth", "alice");
        (bytes[] memory apT, bytes[] memory spT,) = proofOf("B", "tt", "alice");
        uint256 ethBefore = alice.balance;
        vm.etch(alice, address(new EscapeBatch()).code);
        vm.prank(alice, alice);
        EscapeBatch(payable(alice))
            .run(l1, FREEZE_NONCE, [address(0), address(token)], [apE, apT], [spE, spT]);
        assertTrue(l1.frozen(), "frozen");
        assertTrue(l1.hasEscaped(address(0), alice) && l1.hasEscaped(address(token), alice), "both escaped");
        assertEq(alice.balance, ethBefore + 9 ether, "alice ETH");
        assertEq(token.balanceOf(alice), 900e18, "alice TT");
    }

    /// @dev The same batch contract at a stranger's address (a contract, or a relayer's EIP-7702 code) cannot
    /// escape alice's balance: only alice's own transaction can (`SenderNotEOA`).
    function test_escapeHatch_batchForAnotherAccount_reverts() public {
        _proposeAB();
        vm.warp(l1.forcedWithdrawalFreezeAt(FREEZE_NONCE));
        (bytes[] memory apE, bytes[] memory spE,) = proofOf("B", "eth", "alice");
        EscapeBatch batch = new EscapeBatch();
        vm.prank(relayer, relayer);
        vm.expectRevert(abi.encodeWithSelector(IL1Bridge.SenderNotEOA.selector, address(batch)));
        batch.runFor(l1, FREEZE_NONCE, alice, apE, spE);
        assertFalse(l1.frozen(), "the whole transaction reverted");
        assertFalse(l1.hasEscaped(address(0), alice), "nothing escaped");
    }
}

/// @dev Placed at an escaping account's address: re-enters `escape` from its ETH payment and records why
/// the re-entry failed (without reverting, so the outer escape completes).
contract EscapeReenterer {
    IL1Bridge internal bridge;
    bytes public innerRevert;

    function arm(IL1Bridge bridge_) external {
        bridge = bridge_;
    }

    receive() external payable {
        try bridge.escape(address(0), address(this), new bytes[](0), new bytes[](0)) {}
        catch (bytes memory reason) {
            innerRevert = reason;
        }
    }
}

/// @dev Freezes the bridge and escapes two of its own (this address's) token balances in one transaction;
/// `runFor` tries to escape another account's balance.
contract EscapeBatch {
    function run(
        IL1Bridge bridge,
        uint64 forcedNonce,
        address[2] calldata tokens,
        bytes[][2] calldata accountProofs,
        bytes[][2] calldata storageProofs
    ) external {
        bridge.freeze(forcedNonce);
        for (uint256 i; i < 2; ++i) {
            bridge.escape(tokens[i], address(this), accountProofs[i], storageProofs[i]);
        }
    }

    function runFor(
        IL1Bridge bridge,
        uint64 forcedNonce,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external {
        bridge.freeze(forcedNonce);
        bridge.escape(address(0), account, accountProof, storageProof);
    }

    receive() external payable {}
}
