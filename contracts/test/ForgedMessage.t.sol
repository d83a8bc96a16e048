// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {StateFixture} from "./utils/StateFixture.sol";
import {Vm} from "./utils/Vm.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {L2Bridge} from "../src/L2Bridge.sol";
import {L1RootOracle} from "../src/L1RootOracle.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../src/interfaces/IL2Bridge.sol";
import {IOutputOracle} from "../src/interfaces/IOutputOracle.sol";
import {L1Message} from "../src/Types.sol";

/// @notice Issue 9 part 1, the forged-message class, in Foundry: a rogue L1RootOracle publisher (its key
/// alone) publishes a root L1 never committed and relays a made-up deposit to itself on L2. L2's
/// consumed-message root (`L2Bridge.l1MessageRoot`) then differs from every root L1 committed at that count,
/// so no output of that L2 state is accepted unless it lies about the L2 state (claims L1's root), and a lie
/// is challengeable. Recovery: outputs stop, a forced withdrawal freezes the bridge at the last good output,
/// every honest coin comes back (escape, refunds) and the forged coins are never paid.
contract ForgedMessageTest is StateFixture {
    address internal attacker = _named("attacker");
    address internal carol = _named("carol");

    function setUp() public override {
        super.setUp();
        holders.push(alice);
        holders.push(bob);
        holders.push(carol);
        holders.push(attacker);
        (fresh, freshOracle) = _freshL2(); // once: each fuzz run starts from this state
    }

    /// @dev A second L2 bridge (and root oracle) reading the same L1, to replay altered messages on.
    L2Bridge internal fresh;
    L1RootOracle internal freshOracle;

    // ------------------------------------------------------------------------------------------------
    // helpers
    // ------------------------------------------------------------------------------------------------

    /// @dev The leaf of `m` as L2 computes it (L1's chain id and bridge).
    function _leaf(L1Message memory m) internal view returns (bytes32) {
        return l2.l1MessageLeaf(m);
    }

    function _forgedDeposit(uint64 nonce, uint256 amount) internal view returns (L1Message memory) {
        return L1Message({
            kind: Hashing.KIND_DEPOSIT,
            nonce: nonce,
            sender: attacker,
            recipient: attacker,
            token: address(0),
            amount: amount,
            data: ""
        });
    }

    /// @dev The rogue publisher publishes the root of L1's first `nonce` leaves plus a forged deposit of
    /// `amount` ETH to the attacker at `nonce`, and relays the forged message on L2. Returns that root.
    function _forge(uint64 nonce, uint256 amount) internal returns (bytes32 forgedRoot) {
        L1Message memory m = _forgedDeposit(nonce, amount);
        bytes32[] memory leaves = new bytes32[](nonce + 1);
        for (uint256 i; i < nonce; ++i) {
            leaves[i] = messageLeaves[i];
        }
        leaves[nonce] = _leaf(m);
        forgedRoot = MerkleRef.root(leaves, nonce + 1);
        onL2();
        vm.prank(publisher);
        rootOracle.publishRoot(forgedRoot, nonce + 1);
        L1Message[] memory batch = new L1Message[](1);
        batch[0] = m;
        bytes32[][] memory proofs = new bytes32[][](1);
        proofs[0] = MerkleRef.proof(leaves, nonce + 1, nonce);
        vm.prank(attacker);
        l2.relayMessages(batch, forgedRoot, proofs);
        onL1();
    }

    function _l2Eth(address who) internal returns (uint256 b) {
        onL2();
        b = IERC20(l2.bridgedToken(address(0))).balanceOf(who);
        onL1();
    }

    function _proposeRaw(uint64 processed, bytes32 messageRoot) internal returns (uint256) {
        onL2();
        bytes32 wRoot = l2.withdrawalRoot();
        onL1();
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        return oracle.propose{value: PROPOSER_BOND}(
            nextL2Block++, keccak256("block"), keccak256("state"), wRoot, processed, messageRoot
        );
    }

    function _proposeReverts(uint64 processed, bytes32 messageRoot) internal {
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IOutputOracle.MessageRootMismatch.selector, messageRoot, processed)
        );
        oracle.propose{value: PROPOSER_BOND}(
            nextL2Block, keccak256("block"), keccak256("state"), keccak256("w"), processed, messageRoot
        );
    }

    // ------------------------------------------------------------------------------------------------
    // the attack is refused
    // ------------------------------------------------------------------------------------------------

    /// @dev After the forged deposit L2's consumed root is the forged root: proposing it is refused (L1 never
    /// committed it), at any count; once L1 has a real message at that nonce and commits, proposing L2's root is
    /// still refused, and proposing L1's root is accepted only as a lie about the L2 state (L2 did not consume
    /// L1's messages), which the watchdog challenges and the council deletes.
    function test_forgedMessage_rogueRoot_proposalRefusedOrALie() public {
        depositETH(bob, bob, 5 ether); // nonce 0
        relayAll();
        proposeState();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        bytes32 forgedRoot = _forge(1, 4 ether);
        assertEq(_l2Eth(attacker), 4 ether, "minted on L2 without a deposit");
        onL2();
        assertEq(l2.l1MessagesProcessed(), 2, "L2 counts the forged message");
        bytes32 consumed = l2.l1MessageRoot();
        onL1();
        assertEq(consumed, forgedRoot, "L2's consumed root is the forged tree's");
        assertEq(l1.messageRootCount(forgedRoot), 0, "L1 never committed it");
        assertEq(l1.messageCount(), 1, "L1 sent one message");
        // Refused: L2's root, L1's root of one message, at counts 1 and 2.
        _proposeReverts(2, consumed);
        _proposeReverts(1, consumed);
        _proposeReverts(2, messageRootAt(1));
        // Anyone deposits 1 wei on L1: L1 now has a real message at nonce 1 and commits the root for 2.
        depositETH(carol, carol, 1);
        (bytes32 l1Root, uint64 count) = l1.commitMessageRoot();
        assertEq(count, 2, "count");
        assertTrue(l1Root != consumed, "L2 consumed another message at nonce 1 than L1 sent");
        _proposeReverts(2, consumed);
        // L1's root is accepted: the output claims L2 consumed L1's two messages, which is false.
        vm.recordLogs();
        uint256 lie = _proposeRaw(2, l1Root);
        bytes32 claimed = _claimedRoot();
        assertEq(claimed, l1Root, "the output carries L1's root");
        onL2();
        assertTrue(l2.l1MessageRoot() != claimed, "so it lies about the L2 state: challengeable");
        onL1();
        vm.deal(challenger, CHALLENGER_BOND);
        vm.prank(challenger);
        oracle.challenge{value: CHALLENGER_BOND}(lie);
        vm.prank(council);
        oracle.resolveDispute(lie, false);
        assertEq(oracle.outputCount(), 1, "the lie is deleted");
        assertEq(oracle.latestFinalIndex(), 0, "the last good output is still the newest final");
    }

    /// @dev The claimed `l1MessageRoot` (last field) of the last OutputProposed recorded.
    function _claimedRoot() internal returns (bytes32 root) {
        bytes32 topic =
            keccak256("OutputProposed(uint256,uint64,address,bytes32,bytes32,bytes32,uint64,bytes32)");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0;) {
            --i;
            if (logs[i].emitter != address(oracle) || logs[i].topics[0] != topic) continue;
            (,,,, root) = abi.decode(logs[i].data, (bytes32, bytes32, bytes32, uint64, bytes32));
            return root;
        }
        revert("no OutputProposed");
    }

    /// @dev Outputs can only be proposed at counts L1 committed: L1 sent 3 messages and committed at 1 and 3;
    /// the true root of the first 2 is refused (never committed), and so is any other root at a wrong count.
    function test_propose_countL1NeverCommitted_reverts() public {
        depositETH(alice, alice, 1 ether);
        l1.commitMessageRoot();
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        l1.commitMessageRoot();
        bytes32 r1 = messageRootAt(1);
        bytes32 r2 = messageRootAt(2);
        bytes32 r3 = messageRootAt(3);
        assertEq(l1.messageRootCount(r1), 1, "committed at 1");
        assertEq(l1.messageRootCount(r2), 0, "never committed at 2");
        assertEq(l1.messageRootCount(r3), 3, "committed at 3");
        _proposeReverts(2, r2);
        _proposeReverts(2, r1);
        _proposeReverts(2, r3);
        _proposeReverts(1, r3);
        _proposeReverts(0, r1); // no messages: the root must be zero
        _proposeReverts(1, bytes32(0));
        assertEq(oracle.outputCount(), 0, "nothing accepted");
        assertEq(_proposeRaw(0, bytes32(0)), 0, "zero messages, zero root");
        assertEq(_proposeRaw(1, r1), 1, "a committed count and its root");
        assertEq(_proposeRaw(3, r3), 2, "a committed count and its root");
    }

    // ------------------------------------------------------------------------------------------------
    // recovery: every honest coin back, nothing forged paid
    // ------------------------------------------------------------------------------------------------

    /// @dev The forged deposit is minted and withdrawn on L2; no honest output can follow (L2's consumed root
    /// differs from L1's at every later count); a forced withdrawal becomes overdue; anyone freezes at the last
    /// good output; bob escapes his 5 ETH, carol's deposit L2 never processed is refunded, the attacker gets
    /// nothing (no escape balance, no output holds its withdrawal); the escrow ends at exactly zero.
    function test_forgedMessage_recovery_everyHonestCoinBack() public {
        depositETH(bob, bob, 5 ether); // nonce 0
        relayAll();
        uint256 good = proposeState();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        _forge(1, 4 ether);
        withdrawOnL2(attacker, address(0), attacker, 4 ether); // withdrawal 0: the forged coins
        depositETH(carol, carol, 1); // nonce 1: L2 already "processed" a nonce 1, the forged one
        uint64 forced = requestForced(bob, address(0), 1 ether); // nonce 2
        // The relayer goes on: L2 accepts L1's nonce 2 (its next nonce) under L1's real root.
        relayAll();
        onL2();
        uint64 processed = l2.l1MessagesProcessed();
        bytes32 consumed = l2.l1MessageRoot();
        onL1();
        assertEq(processed, 3, "L2 processed 3 messages, one of them forged");
        assertEq(l1.messageRootCount(messageRootAt(3)), 3, "L1 committed its 3 messages");
        // The honest proposer's rule: L2's consumed root is not a root L1 committed for that count: it halts.
        assertTrue(l1.messageRootCount(consumed) != processed, "not proposable");
        _proposeReverts(processed, consumed);
        vm.warp(l1.forcedWithdrawalFreezeAt(forced));
        assertTrue(l1.canFreeze(forced), "overdue");
        l1.freeze(forced);
        (bool has, uint256 escapeIdx,,, uint64 escapeProcessed) = l1.escapeOutput();
        assertTrue(has && escapeIdx == good, "escape state: the last good output");
        assertEq(escapeProcessed, 1, "it processed L1's first message only");
        // Honest coins.
        assertEq(escapeAs(bob, 0), 5 ether, "bob's 5 ETH");
        l1.refundDeposit(sentAsL1(1), MerkleRef.proof(_leaves(), messageLeaves.length, 1));
        assertEq(carol.balance, 1, "carol's deposit refunded");
        // Forged coins: no balance at the escape state, no output holds the withdrawal.
        (bytes[] memory ap, bytes[] memory sp) = escapeProofs(good, 0, attacker);
        vm.prank(attacker, attacker);
        vm.expectRevert(IL1Bridge.InvalidStateProof.selector);
        l1.escape(address(0), attacker, ap, sp);
        IL1Bridge.Withdrawal memory w = sentWithdrawals[0];
        bytes32[] memory wp = withdrawalProof(0, 1);
        vm.expectRevert(IL1Bridge.InvalidProof.selector);
        l1.finalizeWithdrawal(w, good, wp);
        assertEq(attacker.balance, 0, "the attacker got nothing");
        assertEq(l1.escrowed(address(0)), 0, "escrow paid out exactly: 5 ETH + 1 wei");
        assertEq(address(l1).balance, 0, "bridge empty");
    }

    function _leaves() internal view returns (bytes32[] memory) {
        return messageLeaves;
    }

    // ------------------------------------------------------------------------------------------------
    // L2's consumed tree is L1's tree
    // ------------------------------------------------------------------------------------------------

    /// @dev A fresh L2 bridge (and root oracle) reading the same L1: to replay messages on it.
    function _freshL2() internal returns (L2Bridge bridge_, L1RootOracle oracle_) {
        onL2();
        oracle_ = L1RootOracle(
            address(
                new ERC1967Proxy(
                    address(new L1RootOracle()),
                    abi.encodeCall(L1RootOracle.initialize, (governance, publisher))
                )
            )
        );
        bridge_ = L2Bridge(
            address(
                new ERC1967Proxy(
                    address(new L2Bridge()),
                    abi.encodeCall(L2Bridge.initialize, (l2Params(address(oracle_), address(l1))))
                )
            )
        );
        onL1();
    }

    /// @dev Random deposits (ETH and the token, random amounts and recipients), committed and relayed in
    /// random batches: whenever L2 stands at a count L1 committed, its consumed root is exactly that committed
    /// root, and at the end L1's whole tree. The same messages with one leaf changed (any field of one message)
    /// replayed on a fresh L2 give a consumed root L1 never committed.
    function testFuzz_consumedRoot_equalsL1RootExactlyForL1Messages(uint256 seed, uint8 count, uint8 changeAt)
        public
    {
        uint256 n = bound(count, 1, 16);
        address[3] memory users = [alice, bob, carol];
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            address to = users[r % 3];
            if ((r >> 8) % 3 == 0) {
                depositToken(address(token), users[(r >> 16) % 3], to, 1 + (r >> 24) % 1e24);
            } else {
                depositETH(users[(r >> 16) % 3], to, 1 + (r >> 24) % 100 ether);
            }
            if ((r >> 96) % 3 == 0) {
                relayAll();
                onL2();
                uint64 processed = l2.l1MessagesProcessed();
                bytes32 consumed = l2.l1MessageRoot();
                onL1();
                assertEq(l1.messageRootCount(consumed), processed, "consumed root = L1's committed root");
                assertEq(consumed, messageRootAt(processed), "= the reference tree of L1's leaves");
            }
        }
        relayAll();
        onL2();
        bytes32 finalRoot = l2.l1MessageRoot();
        onL1();
        assertEq(finalRoot, l1.messageRoot(), "L1's whole tree");
        assertEq(l1.messageRootCount(finalRoot), n, "committed for exactly n");
        // One leaf differs: replay L1's messages on a fresh L2, message `k` altered, under a rogue root.
        uint256 k = changeAt % n;
        L1Message[] memory msgs = new L1Message[](n);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            msgs[i] = sentMessages[i];
        }
        uint256 field = (seed >> 128) % 4;
        if (field == 0) msgs[k].amount += 1;
        else if (field == 1) msgs[k].recipient = attacker;
        else if (field == 2) msgs[k].sender = attacker;
        else msgs[k].token = msgs[k].token == address(0) ? address(token) : address(0);
        for (uint256 i; i < n; ++i) {
            leaves[i] = _leaf(msgs[i]);
        }
        bytes32 rogue = MerkleRef.root(leaves, n);
        onL2();
        vm.prank(publisher);
        freshOracle.publishRoot(rogue, uint64(n));
        bytes32[][] memory proofs = new bytes32[][](n);
        for (uint256 i; i < n; ++i) {
            proofs[i] = MerkleRef.proof(leaves, n, i);
        }
        // A message whose token was switched may fail on L2 (a token never announced there): then only the
        // messages before it are consumed; their root is still not L1's at that count unless it is a prefix.
        try fresh.relayMessages(msgs, rogue, proofs) {
            assertEq(fresh.l1MessageRoot(), rogue, "the altered tree");
            assertTrue(fresh.l1MessageRoot() != finalRoot, "differs from L1's root");
            onL1();
            assertEq(l1.messageRootCount(rogue), 0, "a root L1 never committed");
        } catch {
            assertEq(field, 3, "only a switched token may fail on L2");
        }
    }

    /// @dev The event carries the leaf L2 processed, equal to L1's leaf at that nonce.
    function test_messageProcessed_carriesL1Leaf_succeeds() public {
        depositETH(alice, bob, 2 ether);
        depositETH(alice, carol, 3 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 2, count);
        onL2();
        vm.recordLogs();
        l2.relayMessages(msgs, root, proofs);
        bytes32 topic = keccak256("MessageProcessed(uint64,uint8,address,address,uint256,bytes32)");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(l2) || logs[i].topics[0] != topic) continue;
            (,, bytes32 leaf) = abi.decode(logs[i].data, (address, uint256, bytes32));
            assertEq(leaf, messageLeaves[uint256(logs[i].topics[1])], "L1's leaf at that nonce");
            ++seen;
        }
        assertEq(seen, 2, "two messages");
        assertEq(l2.l1MessageRoot(), root, "and the consumed root is L1's committed root");
    }
}
