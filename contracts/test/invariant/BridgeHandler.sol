// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {HandlerBase} from "../utils/HandlerBase.sol";
import {MerkleRef} from "../utils/MerkleRef.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {IOutputOracle} from "../../src/interfaces/IOutputOracle.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {TestToken, FeeOnTransferToken} from "../../src/devnet/TestToken.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice Drives both chains at once for the invariant campaign, in the roles of users (deposit,
/// withdraw), a relayer (commit + publish roots, relay messages, finalize withdrawals), an honest proposer,
/// a dishonest proposer, a watchdog that challenges every bogus output at once, a griefing challenger and
/// the council. It also probes what must fail (unknown/zero roots, out-of-order relays, double
/// finalization, finalization one second before the challenge window ends, theft through a bogus output)
/// and records any such call that succeeded in a flag the invariants check.
contract BridgeHandler is HandlerBase {
    FeeOnTransferToken public immutable fot;
    address internal immutable challenger;

    address[] internal users;

    // ---- ghost state ----
    mapping(uint256 nonce => uint256) public processedCount;
    mapping(uint256 nonce => uint256) public finalizedCount;

    struct GhostOutput {
        bool honest;
        uint256 withdrawalCount;
    }

    mapping(uint256 index => GhostOutput) internal outputs;

    // ---- violations (must stay false) ----
    bool public badRootAccepted;
    bool public outOfOrderAccepted;
    bool public doubleFinalization;
    bool public finalizedWhileNotFinal;
    bool public boundaryViolated;
    bool public theft;

    // ---- coverage counters ----
    uint256 public relayed;
    uint256 public finalized;
    uint256 public boundaryChecks;
    uint256 public deletions;
    uint256 public notProposable;

    constructor(Deployment memory d, FeeOnTransferToken fot_, address challenger_) HandlerBase(d) {
        (fot, challenger) = (fot_, challenger_);
        for (uint256 i; i < 4; ++i) {
            users.push(address(uint160(0xA000 + i)));
        }
    }

    /// @dev A bogus output final is a finality violation (and caught as theft too).
    function _newlyFinal(uint256 i) internal override {
        if (!outputs[i].honest) finalityWentBack = true;
    }

    function _user(uint256 seed) internal view returns (address) {
        return users[seed % users.length];
    }

    function _l1Token(uint256 seed) internal view returns (address) {
        uint256 k = seed % 3;
        return k == 0 ? address(0) : k == 1 ? address(token) : address(fot);
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }

    // ------------------------------------------------------------------------------------------------
    // users on L1
    // ------------------------------------------------------------------------------------------------

    function depositETH(uint256 userSeed, uint256 amount) external onL1 {
        address user = _user(userSeed);
        amount = _bound(amount, 1, 100 ether);
        vm.deal(user, user.balance + amount);
        vm.recordLogs();
        vm.prank(user);
        l1.depositETH{value: amount}(user);
        _recordSent();
    }

    function depositToken(uint256 userSeed, uint256 tokenSeed, uint256 amount) external onL1 {
        address user = _user(userSeed);
        TestToken t = tokenSeed % 2 == 0 ? token : TestToken(address(fot));
        amount = _bound(amount, 1000, 1e24);
        t.mint(user, amount);
        vm.prank(user);
        IERC20(address(t)).approve(address(l1), amount);
        vm.recordLogs();
        vm.prank(user);
        l1.depositERC20(address(t), user, amount);
        _recordSent();
    }

    // ------------------------------------------------------------------------------------------------
    // relayer: roots and messages
    // ------------------------------------------------------------------------------------------------

    function commitAndPublish() external onL1 {
        if (l1.messageCount() == 0) return;
        _commitAndPublish();
    }

    function relay(uint256 n) external onL2 {
        // The relayer commits and publishes a fresh root first when L1 has messages the latest lacks.
        if (n % 4 != 0 && rootOracle.latestCount() < messages.length) _commitAndPublish();
        uint256 count = rootOracle.latestCount();
        uint256 from = l2.l1MessagesProcessed();
        if (from >= count) return;
        // Half the time everything the root covers (L2 then stands at a count L1 committed: proposable).
        uint256 to = (n >> 8) % 2 == 0 ? count : from + _bound(n, 1, 8);
        if (to > count) to = count;
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _batch(from, to, count);
        l2.relayMessages(msgs, rootOracle.latestRoot(), proofs);
        for (uint256 i = from; i < to; ++i) {
            ++processedCount[i];
        }
        relayed += to - from;
    }

    /// @dev Relaying against a zero root, a root nobody published, or a committed-but-unpublished root
    /// must fail.
    function relayWithBadRoot(uint256 seed) external onL2 {
        uint256 from = l2.l1MessagesProcessed();
        if (from >= messages.length) return;
        uint256 count = messages.length;
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _batch(from, from + 1, count);
        bytes32 root;
        uint256 k = seed % 3;
        if (k == 1) root = keccak256(abi.encode("unknown", seed));
        if (k == 2) root = MerkleRef.root(messageLeaves, count); // the true root, maybe never published
        if (rootOracle.rootCount(root) != 0) return;
        try l2.relayMessages(msgs, root, proofs) {
            badRootAccepted = true;
        } catch {}
    }

    /// @dev Replaying a processed message or skipping one must fail.
    function relayOutOfOrder(uint256 seed) external onL2 {
        uint256 count = rootOracle.latestCount();
        uint256 processed = l2.l1MessagesProcessed();
        uint256 from;
        if (seed % 2 == 0) {
            if (processed == 0) return;
            from = seed % processed; // replay
        } else {
            if (processed + 1 >= count) return;
            from = processed + 1 + (seed % (count - processed - 1)); // skip ahead
        }
        (L1Message[] memory msgs, bytes32[][] memory proofs) = _batch(from, from + 1, count);
        try l2.relayMessages(msgs, rootOracle.latestRoot(), proofs) {
            outOfOrderAccepted = true;
        } catch {}
    }

    // ------------------------------------------------------------------------------------------------
    // users on L2
    // ------------------------------------------------------------------------------------------------

    function withdraw(uint256 userSeed, uint256 tokenSeed, uint256 amount) external onL2 {
        address user = _user(userSeed);
        address l1Token = _l1Token(tokenSeed);
        address l2Token = l2.bridgedToken(l1Token);
        if (l2Token == address(0)) return;
        uint256 balance = IERC20(l2Token).balanceOf(user);
        if (balance == 0) return;
        amount = _bound(amount, 1, balance);
        vm.prank(user);
        uint64 nonce = l2.withdraw(l1Token, user, amount);
        withdrawals.push(
            IL1Bridge.Withdrawal({
                nonce: nonce, sender: user, recipient: user, l1Token: l1Token, amount: amount
            })
        );
        withdrawalLeaves.push(
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), nonce, user, user, l1Token, amount)
        );
    }

    // ------------------------------------------------------------------------------------------------
    // proposers, challengers, council
    // ------------------------------------------------------------------------------------------------

    function _propose(bytes32 wRoot, uint64 processed, bytes32 messageRoot) internal returns (uint256 idx) {
        uint256 bond = oracle.proposerBond();
        vm.deal(proposer, proposer.balance + bond);
        vm.prank(proposer);
        idx = oracle.propose{value: bond}(
            nextBlock,
            keccak256(abi.encode("block", nextBlock)),
            keccak256(abi.encode("state", nextBlock)),
            wRoot,
            processed,
            messageRoot
        );
        ++nextBlock;
    }

    /// @dev The honest proposer posts the current L2 state when its processed count is one L1 committed (an
    /// output carries L2's consumed-message root, which L1 must know for exactly that count); otherwise the
    /// state is not proposable and it waits.
    function proposeHonest() external onL2 {
        bytes32 wRoot = l2.withdrawalRoot();
        uint64 processed = l2.l1MessagesProcessed();
        bytes32 messageRoot = l2.l1MessageRoot();
        uint256 wCount = l2.withdrawalCount();
        vm.chainId(L1_CHAIN_ID);
        if (processed != 0 && l1.messageRootCount(messageRoot) != processed) {
            ++notProposable;
            return;
        }
        uint256 idx = _propose(wRoot, processed, messageRoot);
        outputs[idx] = GhostOutput({honest: true, withdrawalCount: wCount});
    }

    /// @dev A dishonest proposer posts a root that would pay ATTACKER the whole ETH escrow as withdrawal 0
    /// (at L2's message count and root when L1 committed it, else at the previous output's, which the oracle
    /// accepts); the watchdog challenges it in the same block.
    function proposeBogus() external onL1 {
        vm.chainId(L2_CHAIN_ID);
        uint64 count = l2.l1MessagesProcessed();
        bytes32 messageRoot = l2.l1MessageRoot();
        vm.chainId(L1_CHAIN_ID);
        if (count != 0 && l1.messageRootCount(messageRoot) != count) {
            uint256 n = oracle.outputCount();
            count = n == 0 ? 0 : oracle.getOutput(n - 1).l1MessagesProcessed;
            bytes32[] memory leaves = messageLeaves;
            messageRoot = count == 0 ? bytes32(0) : MerkleRef.root(leaves, count);
        }
        uint256 idx = _propose(_bogusRoot(), count, messageRoot);
        outputs[idx] = GhostOutput({honest: false, withdrawalCount: 0});
        uint256 bond = oracle.challengerBond();
        vm.deal(challenger, challenger.balance + bond);
        vm.prank(challenger);
        oracle.challenge{value: bond}(idx);
    }

    /// @dev Tries to cash the bogus withdrawal against every live bogus output.
    function stealThroughBogusOutput() external onL1 {
        IL1Bridge.Withdrawal memory w = _bogusWithdrawal();
        if (w.amount == 0) return;
        uint256 n = oracle.outputCount();
        for (uint256 i; i < n; ++i) {
            if (outputs[i].honest) continue;
            try l1.finalizeWithdrawal(w, i, new bytes32[](0)) {
                theft = true;
            } catch {}
        }
    }

    /// @dev A griefing challenger disputes an honest output still in its window; at the last second of
    /// the window this must succeed, at its end it must fail.
    function challengeHonest(uint256 seed) external onL1 {
        uint256 n = oracle.outputCount();
        if (n == 0) return;
        uint256 idx = seed % n;
        IOutputOracle.Output memory o = oracle.getOutput(idx);
        if (!outputs[idx].honest || o.status != IOutputOracle.OutputStatus.Proposed) return;
        uint256 deadline = uint256(o.proposedAt) + oracle.challengePeriod();
        if (currentTime >= deadline) return;
        bool atBoundary = (seed >> 8) % 2 == 1;
        currentTime = atBoundary ? deadline : deadline - 1;
        vm.warp(currentTime);
        uint256 bond = oracle.challengerBond();
        vm.deal(challenger, challenger.balance + bond);
        vm.prank(challenger);
        try oracle.challenge{value: bond}(idx) {
            if (atBoundary) boundaryViolated = true;
        } catch {
            if (!atBoundary) boundaryViolated = true;
        }
        ++boundaryChecks;
    }

    /// @dev The council resolves the lowest open dispute: bogus outputs are invalid, honest ones valid.
    function resolve() external onL1 {
        (bool exists, uint256 idx) = oracle.firstOpenDispute();
        if (!exists) return;
        bool valid = outputs[idx].honest;
        uint256 before = oracle.outputCount();
        vm.prank(council);
        oracle.resolveDispute(idx, valid);
        if (!valid) {
            for (uint256 i = idx; i < before; ++i) {
                delete outputs[i];
            }
            ++deletions;
        }
    }

    function warp(uint256 seconds_) external {
        currentTime += _bound(seconds_, 1, 2 * oracle.challengePeriod());
        vm.warp(currentTime);
        _trackFinality();
    }

    // ------------------------------------------------------------------------------------------------
    // relayer: finalization
    // ------------------------------------------------------------------------------------------------

    /// @dev A pending withdrawal and the newest final honest output that contains it, if any.
    function _pick(uint256 seed) internal view returns (bool found, uint256 nonce, uint256 idx) {
        uint256 nw = withdrawals.length;
        if (nw == 0) return (false, 0, 0);
        nonce = seed % nw;
        if (finalizedCount[nonce] != 0) return (false, 0, 0);
        uint256 n = oracle.outputCount();
        for (uint256 i = n; i > 0;) {
            --i;
            if (outputs[i].honest && outputs[i].withdrawalCount > nonce && oracle.isFinal(i)) {
                return (true, nonce, i);
            }
        }
        return (false, 0, 0);
    }

    function _proof(uint256 nonce, uint256 idx) internal view returns (bytes32[] memory) {
        bytes32[] memory leaves = withdrawalLeaves;
        return MerkleRef.proof(leaves, outputs[idx].withdrawalCount, nonce);
    }

    function finalize(uint256 seed) external onL1 {
        (bool found, uint256 nonce, uint256 idx) = _pick(seed);
        if (!found) return;
        bool wasFinal = oracle.isFinal(idx);
        l1.finalizeWithdrawal(withdrawals[nonce], idx, _proof(nonce, idx));
        if (!wasFinal) finalizedWhileNotFinal = true;
        ++finalizedCount[nonce];
        ++finalized;
    }

    function finalizeBatch(uint256 seed) external onL1 {
        (bool found, uint256 nonce, uint256 idx) = _pick(seed);
        if (!found) return;
        uint256 wCount = outputs[idx].withdrawalCount;
        IL1Bridge.WithdrawalClaim[] memory claims = new IL1Bridge.WithdrawalClaim[](wCount);
        uint256 k;
        for (uint256 i = nonce; i < wCount && k < 5; ++i) {
            if (finalizedCount[i] != 0) continue;
            claims[k++] = IL1Bridge.WithdrawalClaim({withdrawal: withdrawals[i], proof: _proof(i, idx)});
        }
        assembly {
            mstore(claims, k)
        }
        l1.finalizeWithdrawals(claims, idx);
        for (uint256 j; j < k; ++j) {
            ++finalizedCount[claims[j].withdrawal.nonce];
        }
        finalized += k;
    }

    /// @dev Paying a withdrawal a second time must fail, against any output.
    function finalizeTwice(uint256 seed) external onL1 {
        uint256 nw = withdrawals.length;
        if (nw == 0) return;
        uint256 nonce = seed % nw;
        if (finalizedCount[nonce] == 0) return;
        uint256 n = oracle.outputCount();
        for (uint256 i; i < n; ++i) {
            if (!outputs[i].honest || outputs[i].withdrawalCount <= nonce) continue;
            try l1.finalizeWithdrawal(withdrawals[nonce], i, _proof(nonce, i)) {
                doubleFinalization = true;
            } catch {}
        }
    }

    /// @dev The finalization boundary: one second before the window ends it fails, at the end it succeeds.
    function finalizeAtBoundary(uint256 seed) external onL1 {
        uint256 nw = withdrawals.length;
        uint256 n = oracle.outputCount();
        if (nw == 0 || n == 0) return;
        uint256 idx = n - 1;
        IOutputOracle.Output memory o = oracle.getOutput(idx);
        (bool disputed, uint256 first) = oracle.firstOpenDispute();
        if (
            !outputs[idx].honest || o.status != IOutputOracle.OutputStatus.Proposed
                || (disputed && first <= idx)
        ) {
            return;
        }
        uint256 deadline = uint256(o.proposedAt) + oracle.challengePeriod();
        if (currentTime >= deadline) return;
        uint256 wCount = outputs[idx].withdrawalCount;
        if (wCount == 0) return;
        uint256 nonce = seed % wCount;
        if (finalizedCount[nonce] != 0) return;
        IL1Bridge.Withdrawal memory w = withdrawals[nonce];
        bytes32[] memory proof = _proof(nonce, idx);
        currentTime = deadline - 1;
        vm.warp(currentTime);
        try l1.finalizeWithdrawal(w, idx, proof) {
            boundaryViolated = true;
            ++finalizedCount[nonce];
            return;
        } catch {}
        currentTime = deadline;
        vm.warp(currentTime);
        try l1.finalizeWithdrawal(w, idx, proof) {
            ++finalizedCount[nonce];
            ++finalized;
        } catch {
            boundaryViolated = true;
        }
        ++boundaryChecks;
    }

    // ------------------------------------------------------------------------------------------------
    // views for the invariants
    // ------------------------------------------------------------------------------------------------

    function messageCount() external view returns (uint256) {
        return messages.length;
    }

    function withdrawalCount() external view returns (uint256) {
        return withdrawals.length;
    }

    /// @dev Amount of `l1Token` in withdrawals not finalized yet.
    function pendingWithdrawals(address l1Token) external view returns (uint256 sum) {
        for (uint256 i; i < withdrawals.length; ++i) {
            if (finalizedCount[i] == 0 && withdrawals[i].l1Token == l1Token) sum += withdrawals[i].amount;
        }
    }

    /// @dev Amount of `l1Token` in deposits L2 has not processed yet.
    function unprocessedDeposits(address l1Token, uint256 processed) external view returns (uint256 sum) {
        for (uint256 i = processed; i < messages.length; ++i) {
            if (messages[i].token == l1Token) sum += messages[i].amount;
        }
    }
}
