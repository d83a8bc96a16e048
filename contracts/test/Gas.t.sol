// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Fixture} from "./utils/Fixture.sol";
import {GasMeter} from "./utils/GasMeter.sol";
import {MerkleRef} from "./utils/MerkleRef.sol";
import {Hashing} from "../src/lib/Hashing.sol";
import {IL1Bridge} from "../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../src/interfaces/IL2Bridge.sol";
import {L1Message} from "../src/Types.sol";

/// @notice Gas per TRANSACTION of the hot paths, checked against the targets.
///
/// What a number includes: the 21,000 base cost, the calldata cost (EIP-2028 4/16 gas per zero/non-zero
/// byte, or the EIP-7623 floor of 10 gas per token when that is higher) and the execution with every
/// account and slot cold, as in a real transaction, BEFORE refunds (so an upper bound of the receipt's
/// gasUsed). Access lists are not used.
///
/// How: run with `--isolate` (every top-level call is then its own transaction and `vm.lastCallGas()`
/// reports the transaction's total gas; this is the command in contracts/README.md):
///     ../tools/bin/forge test --isolate --mc GasTest -vv
/// Without `--isolate` (the default `forge test`), each measured call is the first touch of every account
/// and slot in its test's transaction, `vm.lastCallGas()` reports the execution only, and the test adds
/// the base and calldata cost itself; both ways give the same figures to within a few hundred gas.
///
/// Scenarios (state prepared in setUp, which is a separate transaction):
///  - deposits: not the bridge's first deposit of the token; the depositor keeps a non-zero balance and
///    approved exactly the amount; the tree push writes branch[0] (about half of all deposits do that;
///    a deposit whose index ends in h one-bits also reads h branch slots, 2,100 gas each);
///  - finalization: a withdrawal tree of 1,000 leaves (short proofs of 10 siblings), another withdrawal in
///    the same bitmap word already paid (a fresh word, once every 256 nonces, costs 17,100 more), the
///    recipient an existing account (ETH) / already holding the token (ERC-20);
///  - batch: 50 withdrawals to 50 distinct existing recipients, all ETH.
contract GasTest is Fixture, GasMeter {
    uint256 internal constant TARGET_DEPOSIT_ETH = 60_000;
    uint256 internal constant TARGET_DEPOSIT_ERC20 = 75_000;
    uint256 internal constant TARGET_FINALIZE_ETH = 75_000;
    uint256 internal constant TARGET_FINALIZE_ERC20 = 95_000;
    uint256 internal constant TARGET_BATCH_PER_WITHDRAWAL = 40_000;
    /// @dev Regression bounds (no target in the issue): the measured figures plus a margin.
    uint256 internal constant BOUND_PROPOSE = 210_000;
    uint256 internal constant BOUND_RELAY_PER_MESSAGE = 40_000;

    bytes32 internal constant IMPLEMENTATION_SLOT =
        0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    uint256 internal constant TREE_SIZE = 1000;
    uint256 internal constant BATCH = 50;

    bytes32[] internal wLeaves;
    IL1Bridge.Withdrawal[] internal ws;
    uint256 internal outputIndex;

    function setUp() public override {
        super.setUp();
        // Earlier deposits: ETH and the token are announced, the bridge holds both.
        depositETH(alice, alice, 1000 ether);
        depositToken(address(token), bob, bob, 1000e18);
        depositETH(alice, alice, 1 ether);
        l1.commitMessageRoot(); // the output below processed these 3 messages: L1 committed their root
        depositETH(alice, alice, 1 ether); // message count 4: the next push writes branch[0] only
        vm.deal(alice, 10 ether);
        token.mint(bob, 10e18);
        vm.prank(bob);
        token.approve(address(l1), 1e18);

        // A synthetic L2 withdrawal tree of TREE_SIZE leaves: ETH everywhere except nonces 2 and 3 (token).
        for (uint256 i; i < TREE_SIZE; ++i) {
            address recipient = address(uint160(0x100000 + i));
            bool isToken = i == 2 || i == 3;
            IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
                nonce: uint64(i),
                sender: recipient,
                recipient: recipient,
                l1Token: isToken ? address(token) : address(0),
                amount: isToken ? 1e18 : 0.01 ether
            });
            ws.push(w);
            wLeaves.push(
                Hashing.withdrawalLeaf(
                    L2_CHAIN_ID, address(l2), w.nonce, w.sender, w.recipient, w.l1Token, w.amount
                )
            );
            vm.deal(recipient, 1 wei); // existing accounts
        }
        bytes32[] memory leaves = wLeaves;
        bytes32 root = MerkleRef.root(leaves, TREE_SIZE);
        vm.deal(proposer, PROPOSER_BOND);
        vm.prank(proposer);
        outputIndex = oracle.propose{value: PROPOSER_BOND}(
            1, bytes32(uint256(1)), bytes32(uint256(2)), root, 3, messageRootAt(3)
        );
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
        // Pay nonce 0 (ETH) and nonce 2 (token) now so that bitmap word 0 is non-zero; give the recipient
        // of nonce 3 some tokens so that it already holds the token. GAS_UNCACHED=true skips the root cache.
        if (vm.envOr("GAS_UNCACHED", false) == false) l1.cacheOutputRoot(outputIndex);
        l1.finalizeWithdrawal(ws[0], outputIndex, MerkleRef.proof(leaves, TREE_SIZE, 0));
        l1.finalizeWithdrawal(ws[2], outputIndex, MerkleRef.proof(leaves, TREE_SIZE, 2));
        vm.prank(address(l1));
        assertTrue(token.transfer(ws[3].recipient, 1)); // recipient of nonce 3 already holds the token
    }

    function _report(string memory what, bytes memory data, uint256 perItemDivisor, uint256 target)
        internal
        returns (uint256 total)
    {
        (uint256 gasTx, bool isolated) = txGas(data);
        total = gasTx / perItemDivisor;
        emit log_named_uint(
            string.concat(what, isolated ? " (isolated tx)" : " (execution + intrinsic)"), total
        );
        // GAS_UNCACHED=true measures the finalization paths without the settled-root cache: report only.
        if (!vm.envOr("GAS_UNCACHED", false)) assertLe(total, target, string.concat(what, " over target"));
    }

    function test_gas_depositETH_succeeds() public {
        bytes memory data = abi.encodeCall(l1.depositETH, (bob));
        vm.prank(alice);
        l1.depositETH{value: 1 ether}(bob);
        _report("depositETH", data, 1, TARGET_DEPOSIT_ETH);
    }

    /// @dev A proposal after the first (the usual case): six new output slots, the L1Bridge's committed-root
    /// check (`messageRootCount`, one call through its proxy) and the event.
    function test_gas_propose_succeeds() public {
        (bytes32 root, uint64 count) = l1.commitMessageRoot(); // the relayer committed the 4 messages
        bytes memory data = abi.encodeCall(
            oracle.propose, (2, keccak256("block 2"), keccak256("state 2"), keccak256("w 2"), count, root)
        );
        vm.deal(proposer, PROPOSER_BOND);
        // Without --isolate the commit above warmed the bridge: first touch again, as in a transaction of its own.
        address[2] memory proxies = [address(oracle), address(l1)];
        for (uint256 i; i < 2; ++i) {
            vm.cool(proxies[i]);
            vm.cool(address(uint160(uint256(vm.load(proxies[i], IMPLEMENTATION_SLOT)))));
        }
        vm.prank(proposer);
        oracle.propose{value: PROPOSER_BOND}(
            2, keccak256("block 2"), keccak256("state 2"), keccak256("w 2"), count, root
        );
        _report("propose (second output, committed root checked)", data, 1, BOUND_PROPOSE);
    }

    /// @dev relayMessages on L2: a batch of 10 ETH deposits (ETH's token already deployed, recipients already
    /// holding some), per message: the proof (4 siblings), the consumed-message tree push, the mint, events.
    function test_gas_relayMessagesPerMessage_succeeds() public {
        relayAll(); // the 4 deposits of setUp (deploys the bridged tokens)
        address[10] memory to;
        for (uint256 i; i < 10; ++i) {
            to[i] = address(uint160(0x200000 + i));
            depositETH(alice, to[i], 0.1 ether);
        }
        relayAll(); // recipients hold some already
        for (uint256 i; i < 10; ++i) {
            depositETH(alice, to[i], 0.1 ether);
        }
        (bytes32 root, uint64 count) = commitAndPublish();
        onL2();
        uint256 from = l2.l1MessagesProcessed();
        (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(from, count, count);
        bytes memory data = abi.encodeCall(l2.relayMessages, (msgs, root, proofs));
        address bridgeImpl = address(uint160(uint256(vm.load(address(l2), IMPLEMENTATION_SLOT))));
        address weth = l2.bridgedToken(address(0));
        // First touch of every account and slot, as in a transaction of its own.
        address[5] memory cold = [address(l2), bridgeImpl, address(rootOracle), weth, relayer];
        for (uint256 i; i < cold.length; ++i) {
            vm.cool(cold[i]);
        }
        vm.cool(address(uint160(uint256(vm.load(address(rootOracle), IMPLEMENTATION_SLOT)))));
        vm.prank(relayer);
        l2.relayMessages(msgs, root, proofs);
        _report("relayMessages, per message of 10 ETH deposits", data, msgs.length, BOUND_RELAY_PER_MESSAGE);
        onL1();
    }

    function test_gas_depositERC20_succeeds() public {
        bytes memory data = abi.encodeCall(l1.depositERC20, (address(token), alice, 1e18));
        vm.prank(bob);
        l1.depositERC20(address(token), alice, 1e18);
        _report("depositERC20", data, 1, TARGET_DEPOSIT_ERC20);
    }

    function test_gas_finalizeWithdrawalETH_succeeds() public {
        bytes32[] memory leaves = wLeaves;
        bytes32[] memory proof = MerkleRef.proof(leaves, TREE_SIZE, 1);
        IL1Bridge.Withdrawal memory w = ws[1];
        uint256 idx = outputIndex;
        bytes memory data = abi.encodeCall(l1.finalizeWithdrawal, (w, idx, proof));
        vm.prank(relayer);
        l1.finalizeWithdrawal(w, idx, proof);
        _report("finalizeWithdrawal ETH (10 siblings)", data, 1, TARGET_FINALIZE_ETH);
    }

    function test_gas_finalizeWithdrawalERC20_succeeds() public {
        bytes32[] memory leaves = wLeaves;
        bytes32[] memory proof = MerkleRef.proof(leaves, TREE_SIZE, 3);
        IL1Bridge.Withdrawal memory w = ws[3];
        uint256 idx = outputIndex;
        bytes memory data = abi.encodeCall(l1.finalizeWithdrawal, (w, idx, proof));
        vm.prank(relayer);
        l1.finalizeWithdrawal(w, idx, proof);
        _report("finalizeWithdrawal ERC-20 (10 siblings)", data, 1, TARGET_FINALIZE_ERC20);
    }

    function test_gas_finalizeWithdrawalsBatch50_succeeds() public {
        bytes32[] memory leaves = wLeaves;
        IL1Bridge.WithdrawalClaim[] memory claims = new IL1Bridge.WithdrawalClaim[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            uint256 nonce = 100 + i;
            claims[i] = IL1Bridge.WithdrawalClaim({
                withdrawal: ws[nonce], proof: MerkleRef.proof(leaves, TREE_SIZE, nonce)
            });
        }
        uint256 idx = outputIndex;
        bytes memory data = abi.encodeCall(l1.finalizeWithdrawals, (claims, idx));
        vm.prank(relayer);
        l1.finalizeWithdrawals(claims, idx);
        _report(
            "finalizeWithdrawals, per withdrawal of 50 ETH (10 siblings)",
            data,
            BATCH,
            TARGET_BATCH_PER_WITHDRAWAL
        );
    }
}
