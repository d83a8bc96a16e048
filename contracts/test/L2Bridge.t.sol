// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {Fixture} from "./utils/Fixture.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {L2Bridge} from "../src/L2Bridge.sol";
import {BridgedToken} from "../src/BridgedToken.sol";
import {IL2Bridge} from "../src/interfaces/IL2Bridge.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {L1Message} from "../src/Types.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

contract L2BridgeTest is Fixture {
    function setUp() public override {
        super.setUp();
        onL2();
    }

    // ------------------------------------------------------------------------------------------------
    // synthetic L1 messages (hashed for the real L1 bridge address and chain id)
    // ------------------------------------------------------------------------------------------------

    L1Message[] internal synth;
    bytes32[] internal synthLeaves;

    function _synth(uint8 kind, address tok, address recipient, uint256 amount, bytes memory data) internal {
        L1Message memory m = L1Message({
            kind: kind,
            nonce: uint64(synth.length),
            sender: alice,
            recipient: recipient,
            token: tok,
            amount: amount,
            data: data
        });
        synth.push(m);
        synthLeaves.push(
            Hashing.l1MessageLeaf(
                L1_CHAIN_ID, address(l1), kind, m.nonce, alice, recipient, tok, amount, keccak256(data)
            )
        );
    }

    function _publishSynth(uint256 count) internal returns (bytes32 root) {
        bytes32[] memory leaves = synthLeaves;
        root = MerkleRef.root(leaves, count);
        onL2();
        vm.prank(publisher);
        rootOracle.publishRoot(root, uint64(count));
    }

    function _synthBatch(uint256 from, uint256 to, uint256 count)
        internal
        view
        returns (L1Message[] memory msgs, bytes32[][] memory proofs)
    {
        bytes32[] memory leaves = synthLeaves;
        msgs = new L1Message[](to - from);
        proofs = new bytes32[][](to - from);
        for (uint256 i = from; i < to; ++i) {
            msgs[i - from] = synth[i];
            proofs[i - from] = MerkleRef.proof(leaves, count, i);
        }
    }

    function _relaySynth(uint256 from, uint256 to, bytes32 root, uint256 count) internal {
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _synthBatch(from, to, count);
        onL2();
        l2.relayMessages(msgs, root, proofs);
    }

    // ------------------------------------------------------------------------------------------------
    // initialize
    // ------------------------------------------------------------------------------------------------

    function _expectInvalid(IL2Bridge.InitParams memory p, string memory reason) internal {
        address impl = address(new L2Bridge());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, reason));
        new ERC1967Proxy(impl, abi.encodeCall(L2Bridge.initialize, (p)));
    }

    function test_initialize_validParams_succeeds() public view {
        assertEq(l2.governance(), governance);
        assertEq(l2.rootOracle(), address(rootOracle));
        assertEq(l2.l1ChainId(), L1_CHAIN_ID);
        assertEq(l2.l1Bridge(), address(l1));
        assertEq(l2.l1MessagesProcessed(), 0);
        assertEq(l2.withdrawalCount(), 0);
        assertEq(l2.withdrawalRoot(), MerkleRef.zero(32), "empty tree root");
    }

    function test_initialize_zeroGovernance_reverts() public {
        IL2Bridge.InitParams memory p = l2Params(address(rootOracle), address(l1));
        p.governance = address(0);
        _expectInvalid(p, "governance");
    }

    function test_initialize_zeroRootOracle_reverts() public {
        _expectInvalid(l2Params(address(0), address(l1)), "rootOracle");
    }

    function test_initialize_zeroL1ChainId_reverts() public {
        IL2Bridge.InitParams memory p = l2Params(address(rootOracle), address(l1));
        p.l1ChainId = 0;
        _expectInvalid(p, "l1ChainId");
    }

    function test_initialize_l1ChainIdIsOwnChain_reverts() public {
        IL2Bridge.InitParams memory p = l2Params(address(rootOracle), address(l1));
        p.l1ChainId = L2_CHAIN_ID;
        _expectInvalid(p, "l1ChainId");
    }

    function test_initialize_l1ChainIdTooLarge_reverts() public {
        IL2Bridge.InitParams memory p = l2Params(address(rootOracle), address(l1));
        p.l1ChainId = uint256(type(uint64).max) + 1;
        _expectInvalid(p, "l1ChainId");
    }

    function test_initialize_zeroL1Bridge_reverts() public {
        _expectInvalid(l2Params(address(rootOracle), address(0)), "l1Bridge");
    }

    function test_initialize_twice_reverts() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        l2.initialize(l2Params(address(rootOracle), address(l1)));
    }

    function test_initialize_onImplementation_reverts() public {
        L2Bridge impl = new L2Bridge();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(l2Params(address(rootOracle), address(l1)));
    }

    // ------------------------------------------------------------------------------------------------
    // relayMessages: happy paths (real L1 deposits)
    // ------------------------------------------------------------------------------------------------

    function test_relayMessages_firstEthDepositDeploysToken_succeeds() public {
        depositETH(alice, bob, 2 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        onL2();
        address predicted = l2.predictBridgedToken(address(0));
        vm.expectEmit(address(l2));
        emit IL2Bridge.BridgedTokenDeployed(address(0), predicted, "Ether", "ETH", 18);
        vm.expectEmit(address(l2));
        emit IL2Bridge.MessageProcessed(0, 1, bob, predicted, 2 ether, messageLeaves[0]);
        vm.prank(relayer);
        l2.relayMessages(msgs, root, proofs);
        BridgedToken weth = BridgedToken(predicted);
        assertEq(l2.bridgedToken(address(0)), predicted);
        assertEq(l2.l1Token(predicted), address(0));
        assertEq(weth.name(), "Ether");
        assertEq(weth.symbol(), "ETH");
        assertEq(weth.decimals(), 18);
        assertEq(weth.l1Token(), address(0));
        assertEq(weth.bridge(), address(l2));
        assertEq(weth.balanceOf(bob), 2 ether);
        assertEq(weth.totalSupply(), 2 ether);
        assertEq(l2.l1MessagesProcessed(), 1);
    }

    function test_relayMessages_erc20Deposits_succeeds() public {
        depositToken(address(token), alice, alice, 5e18);
        depositToken(address(token), bob, alice, 7e18);
        depositETH(bob, bob, 1 ether);
        relayAll();
        onL2();
        BridgedToken tt = BridgedToken(l2.bridgedToken(address(token)));
        assertEq(address(tt), l2.predictBridgedToken(address(token)));
        assertEq(tt.name(), "Test Token");
        assertEq(tt.symbol(), "TT");
        assertEq(tt.l1Token(), address(token));
        assertEq(l2.l1Token(address(tt)), address(token));
        assertEq(tt.balanceOf(alice), 12e18);
        assertEq(l2.l1MessagesProcessed(), 3);
    }

    function test_relayMessages_inSeveralBatchesAndRoots_succeeds() public {
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        (bytes32 root2, uint64 count2) = commitAndPublish();
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        (bytes32 root4, uint64 count4) = commitAndPublish();
        // first message against the older root, the next two against the newer one, the last alone
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count2);
        onL2();
        l2.relayMessages(msgs, root2, proofs);
        (msgs, proofs) = messageProofs(1, 3, count4);
        onL2();
        l2.relayMessages(msgs, root4, proofs);
        (msgs, proofs) = messageProofs(3, 4, count4);
        onL2();
        l2.relayMessages(msgs, root4, proofs);
        assertEq(l2.l1MessagesProcessed(), 4);
        assertEq(BridgedToken(l2.bridgedToken(address(0))).balanceOf(alice), 4 ether);
    }

    function test_relayMessages_anyoneMayRelay_succeeds() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        onL2();
        vm.prank(address(0xABCD));
        l2.relayMessages(msgs, root, proofs);
        assertEq(l2.l1MessagesProcessed(), 1);
    }

    // ------------------------------------------------------------------------------------------------
    // relayMessages: reverts
    // ------------------------------------------------------------------------------------------------

    function test_relayMessages_unknownRoot_reverts() public {
        depositETH(alice, alice, 1 ether);
        onL1();
        (bytes32 root, uint64 count) = l1.commitMessageRoot(); // committed on L1, never published on L2
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.UnknownRoot.selector, root));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_zeroRoot_reverts() public {
        depositETH(alice, alice, 1 ether);
        (, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.UnknownRoot.selector, bytes32(0)));
        l2.relayMessages(msgs, bytes32(0), proofs);
    }

    function test_relayMessages_skipsAhead_reverts() public {
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(1, 2, count);
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.OutOfOrder.selector, uint64(1), uint64(0)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_replay_reverts() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        onL2();
        l2.relayMessages(msgs, root, proofs);
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.OutOfOrder.selector, uint64(0), uint64(1)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_gapInsideBatch_reverts() public {
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 3, count);
        msgs[1] = msgs[2];
        proofs[1] = proofs[2];
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.OutOfOrder.selector, uint64(2), uint64(1)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_tamperedAmount_reverts() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        msgs[0].amount = 100 ether;
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(0)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_tamperedRecipient_reverts() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        msgs[0].recipient = bob;
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(0)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_tamperedData_reverts() public {
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        msgs[0].data = abi.encode("Fake", "FAKE", uint8(2));
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(0)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_wrongSibling_reverts() public {
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        (bytes32 root, uint64 count) = commitAndPublish();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 1, count);
        proofs[0][0] = keccak256("wrong");
        onL2();
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(0)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_otherL1BridgeMessage_reverts() public {
        // A message hashed for another L1 bridge, under a root the oracle knows, is refused.
        bytes32 foreign = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(0xBEEF), 1, 0, alice, alice, address(0), 1 ether, Hashing.EMPTY_DATA_HASH
        );
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = foreign;
        bytes32 root = MerkleRef.root(leaves, 1);
        vm.prank(publisher);
        rootOracle.publishRoot(root, 1);
        L1Message[] memory msgs = new L1Message[](1);
        msgs[0] = L1Message(1, 0, alice, alice, address(0), 1 ether, "");
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(0)));
        l2.relayMessages(msgs, root, new bytes32[][](1));
    }

    function test_relayMessages_nonceNotBelowRootCount_reverts() public {
        // The publisher published the 2-message root claiming it covers only 1 message.
        depositETH(alice, alice, 1 ether);
        depositETH(alice, alice, 1 ether);
        onL1();
        (bytes32 root,) = l1.commitMessageRoot();
        onL2();
        vm.prank(publisher);
        rootOracle.publishRoot(root, 1);
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(0, 2, 2);
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.InvalidProof.selector, uint64(1)));
        l2.relayMessages(msgs, root, proofs);
    }

    function test_relayMessages_lengthMismatch_reverts() public {
        vm.expectRevert(IL2Bridge.LengthMismatch.selector);
        l2.relayMessages(new L1Message[](1), keccak256("r"), new bytes32[][](2));
    }

    function test_relayMessages_emptyBatch_reverts() public {
        vm.expectRevert(IL2Bridge.EmptyBatch.selector);
        l2.relayMessages(new L1Message[](0), keccak256("r"), new bytes32[][](0));
    }

    /// @dev A forced withdrawal of a token L2 never saw burns nothing, records no withdrawal, and still
    /// counts as processed (L1Bridge refuses such requests; L2 must not get stuck on one either).
    function test_relayMessages_forcedWithdrawalOfUnknownToken_succeeds() public {
        _synth(2, address(0x7777), alice, 1, "");
        bytes32 root = _publishSynth(1);
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _synthBatch(0, 1, 1);
        vm.expectEmit(address(l2));
        emit IL2Bridge.ForcedWithdrawalProcessed(0, alice, address(0x7777), 1, 0);
        l2.relayMessages(msgs, root, proofs);
        assertEq(l2.l1MessagesProcessed(), 1);
        assertEq(l2.withdrawalCount(), 0);
    }

    function test_relayMessages_unknownKind_reverts() public {
        _synth(7, address(0), alice, 1, "");
        bytes32 root = _publishSynth(1);
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _synthBatch(0, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.UnknownMessageKind.selector, uint8(7)));
        l2.relayMessages(msgs, root, proofs);
    }

    // ------------------------------------------------------------------------------------------------
    // relayMessages: processing never gets stuck on metadata
    // ------------------------------------------------------------------------------------------------

    function test_relayMessages_malformedMetadataFallsBack_succeeds() public {
        address t = address(0x7777);
        _synth(1, t, bob, 5, hex"deadbeef");
        bytes32 root = _publishSynth(1);
        _relaySynth(0, 1, root, 1);
        BridgedToken bt = BridgedToken(l2.bridgedToken(t));
        assertEq(bt.name(), "");
        assertEq(bt.symbol(), "");
        assertEq(bt.decimals(), 18);
        assertEq(bt.balanceOf(bob), 5);
    }

    function test_relayMessages_decimalsOver255FallsBack_succeeds() public {
        address t = address(0x7777);
        _synth(1, t, bob, 5, abi.encode("N", "S", uint256(300)));
        bytes32 root = _publishSynth(1);
        _relaySynth(0, 1, root, 1);
        assertEq(BridgedToken(l2.bridgedToken(t)).decimals(), 18);
        assertEq(BridgedToken(l2.bridgedToken(t)).name(), "");
    }

    function test_relayMessages_emptyDataOnFirstSightUsesDefaults_succeeds() public {
        address t = address(0x7777);
        _synth(1, t, bob, 5, "");
        bytes32 root = _publishSynth(1);
        _relaySynth(0, 1, root, 1);
        assertEq(BridgedToken(l2.bridgedToken(t)).decimals(), 18);
    }

    function test_relayMessages_metadataOfKnownTokenIgnored_succeeds() public {
        address t = address(0x7777);
        _synth(1, t, bob, 5, abi.encode("First", "F", uint8(6)));
        _synth(1, t, bob, 6, abi.encode("Second", "S", uint8(9)));
        bytes32 root = _publishSynth(2);
        _relaySynth(0, 2, root, 2);
        BridgedToken bt = BridgedToken(l2.bridgedToken(t));
        assertEq(bt.name(), "First");
        assertEq(bt.decimals(), 6);
        assertEq(bt.balanceOf(bob), 11);
    }

    function test_bridgedTokenParams_emptyOutsideDeployment_succeeds() public {
        depositETH(alice, alice, 1 ether);
        relayAll();
        onL2();
        (address t, string memory n, string memory s, uint8 d) = l2.bridgedTokenParams();
        assertEq(t, address(0));
        assertEq(n, "");
        assertEq(s, "");
        assertEq(d, 0);
    }

    function test_decodeTokenMetadata_malformed_reverts() public {
        vm.expectRevert();
        l2.decodeTokenMetadata(hex"01");
    }

    function test_l1MessageLeaf_matchesHashing_succeeds() public view {
        L1Message memory m = L1Message(1, 3, alice, bob, address(token), 9, hex"1234");
        assertEq(
            l2.l1MessageLeaf(m),
            Hashing.l1MessageLeaf(
                L1_CHAIN_ID, address(l1), 1, 3, alice, bob, address(token), 9, keccak256(hex"1234")
            )
        );
    }

    // ------------------------------------------------------------------------------------------------
    // withdraw
    // ------------------------------------------------------------------------------------------------

    function test_withdraw_burnsAndRecords_succeeds() public {
        depositETH(alice, alice, 3 ether);
        relayAll();
        onL2();
        BridgedToken weth = BridgedToken(l2.bridgedToken(address(0)));
        bytes32 leaf = Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), 0, alice, bob, address(0), 1 ether);
        vm.expectEmit(address(l2));
        emit IL2Bridge.WithdrawalInitiated(0, alice, bob, address(0), 1 ether, leaf);
        vm.prank(alice);
        uint64 nonce = l2.withdraw(address(0), bob, 1 ether);
        assertEq(nonce, 0);
        assertEq(weth.balanceOf(alice), 2 ether);
        assertEq(weth.totalSupply(), 2 ether);
        assertEq(l2.withdrawalCount(), 1);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        assertEq(l2.withdrawalRoot(), MerkleRef.root(leaves, 1));
    }

    function testFuzz_withdraw_treeMatchesReference(uint8 n, uint64 seed) public {
        n = uint8(bound(n, 1, 40));
        depositETH(alice, alice, 1000 ether);
        relayAll();
        for (uint256 i; i < n; ++i) {
            withdrawOnL2(
                alice, address(0), address(uint160(uint256(keccak256(abi.encode(seed, i))) | 1)), 1 + i
            );
        }
        onL2();
        bytes32[] memory leaves = withdrawalLeaves;
        assertEq(l2.withdrawalRoot(), MerkleRef.root(leaves, n));
        assertEq(l2.withdrawalCount(), n);
    }

    function test_withdraw_treeMatchesReference_succeeds() public {
        testFuzz_withdraw_treeMatchesReference(33, 99);
    }

    function test_withdraw_zeroRecipient_reverts() public {
        vm.expectRevert(IL2Bridge.ZeroRecipient.selector);
        l2.withdraw(address(0), address(0), 1);
    }

    function test_withdraw_zeroAmount_reverts() public {
        vm.expectRevert(IL2Bridge.ZeroAmount.selector);
        l2.withdraw(address(0), alice, 0);
    }

    function test_withdraw_unknownToken_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IL2Bridge.UnknownToken.selector, address(token)));
        l2.withdraw(address(token), alice, 1);
    }

    function test_withdraw_moreThanBalance_reverts() public {
        depositETH(alice, alice, 1 ether);
        relayAll();
        onL2();
        address weth = l2.bridgedToken(address(0));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, 0, 1));
        l2.withdraw(address(0), bob, 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, alice, 1 ether, 1 ether + 1
            )
        );
        l2.withdraw(address(0), alice, 1 ether + 1);
        assertTrue(weth != address(0));
    }

    // ------------------------------------------------------------------------------------------------
    // governance
    // ------------------------------------------------------------------------------------------------

    function test_setGovernance_byGovernance_succeeds() public {
        vm.expectEmit(address(l2));
        emit IGoverned.GovernanceChanged(bob);
        vm.prank(governance);
        l2.setGovernance(bob);
        assertEq(l2.governance(), bob);
    }

    function test_setGovernance_notGovernance_reverts() public {
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l2.setGovernance(bob);
    }

    function test_setGovernance_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "governance"));
        l2.setGovernance(address(0));
    }

    function test_upgradeToAndCall_byGovernance_succeeds() public {
        depositETH(alice, alice, 1 ether);
        relayAll();
        onL2();
        address impl = address(new L2Bridge());
        vm.prank(governance);
        l2.upgradeToAndCall(impl, "");
        assertEq(l2.l1MessagesProcessed(), 1);
    }

    function test_upgradeToAndCall_notGovernance_reverts() public {
        address impl = address(new L2Bridge());
        vm.prank(publisher);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        l2.upgradeToAndCall(impl, "");
    }
}
