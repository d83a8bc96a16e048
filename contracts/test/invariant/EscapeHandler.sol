// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Vm} from "../utils/Vm.sol";
import {HandlerBase} from "../utils/HandlerBase.sol";
import {MerkleRef} from "../utils/MerkleRef.sol";
import {Mpt} from "../utils/Mpt.sol";
import {L1RootOracle} from "../../src/L1RootOracle.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {IOutputOracle} from "../../src/interfaces/IOutputOracle.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice Drives both chains (one EVM, chain ids 900/901) through deposits, L2 withdrawals and transfers,
/// forced withdrawals, relaying, honest outputs, pauses, freezes, escapes, refunds ("reclaims") and
/// finalizations in random order, with adversaries (issue 9): a ROGUE L1RootOracle publisher that publishes
/// made-up roots and relays forged deposits to itself on L2 (then withdraws them), a lying proposer (outputs
/// the watchdog challenges at once), a LATE or silent honest proposer (proposes at the very end of inclusion
/// windows, or not at all), last-second challengers (at proposedAt + challengePeriod - 1) and a council that
/// rules correctly but slowly (only after long waits, sometimes never). Every output carries a real Merkle-Patricia state root: the handler
/// builds the L2 state trie of the bridged tokens (their real storage words: users' balances, total supply,
/// name, symbol; real code hashes) with the test trie builder, and escapes prove balances in it.
/// Ghost accounting per token: `deposited` (credited) and `paid` (every finalization, escape and refund,
/// cross-checked against what the recipient received). Calls that must fail are tried and recorded in a
/// flag the invariants check.
contract EscapeHandler is HandlerBase {
    uint256 internal constant USERS = 4;
    address internal constant WATCHDOG = address(0xD06);
    address internal constant GRIEFER = address(0x6121EF);
    bytes32 internal constant WITHDRAWAL_INITIATED =
        keccak256("WithdrawalInitiated(uint64,address,address,address,uint256,bytes32)");

    /// @dev A censoring operator relays nothing from the first pending forced withdrawal on.
    bool public censoring;
    /// @dev A silent proposer proposes nothing.
    bool public silent;

    // ---- ghost state ----
    mapping(address l1Token => uint256) public deposited;
    mapping(address l1Token => uint256) public paid;

    mapping(uint256 nonce => uint64) internal requestedAt; // forced withdrawals
    uint64[] internal forcedNonces;
    mapping(uint256 nonce => bool) public refunded;

    mapping(uint256 nonce => bool) public finalized;

    /// @dev The L2 state an output was proposed from.
    struct Snap {
        uint64 processed;
        uint64 withdrawalCount;
        address[2] l2Tokens; // zero while not deployed
        uint256[4][2] balances;
        bytes32[3][2] words; // slots 2, 3, 4
        bytes32[2] codeHash;
    }

    mapping(uint256 outputIndex => Snap) internal snaps;
    mapping(address l1Token => mapping(address account => bool)) public escapedGhost;

    /// @dev L1 messages L2 really processed (a forgery makes L2 skip L1's message at the forged nonce).
    mapping(uint256 nonce => bool) internal processedOnL2;
    /// @dev The leaves L2 consumed, in order (L1's leaves, and forged ones).
    bytes32[] internal l2Leaves;
    /// @dev Forged coins minted on L2, per L1 token; forgeries so far.
    mapping(address l1Token => uint256) public forgedMinted;
    uint256 public forgeries;
    uint64 internal _firstForgedNonce;
    /// @dev Outputs the lying proposer posted (never final), when each output was challenged, and disputes
    /// the slow council will never rule on.
    mapping(uint256 outputIndex => bool) internal bogus;
    mapping(uint256 outputIndex => uint256) internal challengedAt;
    mapping(uint256 outputIndex => bool) internal ignored;

    /// @dev Finality ghosts (beside HandlerBase's): the highest output index a withdrawal was paid against;
    /// how often each withdrawal nonce was paid.
    bool public anyPaidAgainstOutput;
    uint256 public maxPaidIndex;
    mapping(uint256 nonce => uint256) public paidCount;

    // ---- violations (must stay false) ----
    bool public mustFailSucceeded;
    string public mustFailWhat;
    bool public payoutMismatch;
    bool public freezeRuleBroken;
    bool public bogusFinal;

    // ---- coverage ----
    uint256 public freezes;
    uint256 public escapes;
    uint256 public refunds;
    uint256 public finalizations;
    uint256 public forced;
    uint256 public proposals;
    uint256 public relayed;
    uint256 public l2Withdrawals;
    uint256 public lies;
    uint256 public lastSecondChallenges;
    uint256 public verdicts;
    uint256 public lateProposals;

    constructor(Deployment memory d) HandlerBase(d) {}

    /// @dev A lying output is never final.
    function _newlyFinal(uint256 i) internal override {
        if (bogus[i]) bogusFinal = true;
    }

    function user(uint256 seed) public pure returns (address) {
        return address(uint160(0xA000 + (seed % USERS)));
    }

    function l1TokenAt(uint256 t) public view returns (address) {
        return t % 2 == 0 ? address(0) : address(token);
    }

    function _mustFail(string memory what) internal {
        if (!mustFailSucceeded) mustFailWhat = what;
        mustFailSucceeded = true;
    }

    // ------------------------------------------------------------------------------------------------
    // L1 users
    // ------------------------------------------------------------------------------------------------

    function deposit(uint256 userSeed, uint256 tokenSeed, uint256 amount) external onL1 {
        address u = user(userSeed);
        address t = l1TokenAt(tokenSeed);
        amount = 1 + amount % 50 ether;
        bool frozen = l1.frozen();
        vm.recordLogs();
        bool ok;
        if (t == address(0)) {
            vm.deal(u, u.balance + amount);
            vm.prank(u);
            try l1.depositETH{value: amount}(u) {
                ok = true;
            } catch {}
        } else {
            token.mint(u, amount);
            vm.prank(u);
            IERC20(address(token)).approve(address(l1), amount);
            vm.prank(u);
            try l1.depositERC20(address(token), u, amount) {
                ok = true;
            } catch {}
        }
        if (!ok) return; // paused or frozen
        if (frozen) _mustFail("deposit while frozen");
        deposited[t] += amount;
        _recordSent();
    }

    function force(uint256 userSeed, uint256 tokenSeed, uint256 amount) external onL1 {
        address u = user(userSeed);
        address t = l1TokenAt(tokenSeed);
        amount = 1 + amount % 60 ether;
        bool frozen = l1.frozen();
        vm.recordLogs();
        vm.prank(u, u); // an externally owned account, in its own transaction
        try l1.requestForcedWithdrawal(t, amount) returns (uint64 nonce) {
            if (frozen) _mustFail("forced request while frozen");
            requestedAt[nonce] = uint64(block.timestamp);
            forcedNonces.push(nonce);
            ++forced;
            _recordSent();
        } catch {}
    }

    /// @dev Rare (one call in five pauses), so that the campaign also spends time unpaused.
    function pause(uint256 duration) external onL1 {
        if (duration % 5 != 0) return;
        vm.prank(council);
        try l1.pause(uint64(1 + duration % 1 days)) {} catch {}
    }

    // ------------------------------------------------------------------------------------------------
    // relayer and L2 users
    // ------------------------------------------------------------------------------------------------

    function _recordWithdrawals() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(l2) || logs[i].topics[0] != WITHDRAWAL_INITIATED) continue;
            (address l1Token, uint256 amount, bytes32 leaf) =
                abi.decode(logs[i].data, (address, uint256, bytes32));
            uint64 nonce = uint64(uint256(logs[i].topics[1]));
            require(nonce == withdrawals.length, "handler: withdrawal order");
            withdrawals.push(
                IL1Bridge.Withdrawal({
                    nonce: nonce,
                    sender: address(uint160(uint256(logs[i].topics[2]))),
                    recipient: address(uint160(uint256(logs[i].topics[3]))),
                    l1Token: l1Token,
                    amount: amount
                })
            );
            withdrawalLeaves.push(leaf);
        }
    }

    function setCensoring(uint256 seed) external {
        censoring = seed % 2 == 0;
    }

    /// @dev Commits and publishes the L1 root, relays up to `n` pending messages (stopping before a forced
    /// withdrawal while censoring: processing is in order, so everything after it stalls too).
    function relay(uint256 n) external onL1 {
        if (messages.length == 0) return;
        (bytes32 root, uint64 count) = _commitAndPublish();
        uint256 from = l2.l1MessagesProcessed();
        if (from >= count) return;
        // Half the time everything the root covers (L2 then stands at a count L1 committed: proposable).
        uint256 to = (n >> 8) % 2 == 0 ? count : from + 1 + n % 6;
        if (to > count) to = count;
        if (censoring) {
            for (uint256 i = from; i < to; ++i) {
                if (messages[i].kind == 2) to = i;
            }
            if (to == from) return;
        }
        (L1Message[] memory batch, bytes32[][] memory proofs) = _batch(from, to, count);
        vm.recordLogs();
        l2.relayMessages(batch, root, proofs);
        _recordWithdrawals();
        for (uint256 i = from; i < to; ++i) {
            processedOnL2[i] = true;
            l2Leaves.push(messageLeaves[i]);
        }
        relayed += to - from;
    }

    function withdraw(uint256 userSeed, uint256 tokenSeed, uint256 amount) external onL2 {
        address u = user(userSeed);
        address t = l1TokenAt(tokenSeed);
        address l2Token = l2.bridgedToken(t);
        if (l2Token == address(0)) return;
        uint256 bal = IERC20(l2Token).balanceOf(u);
        if (bal == 0) return;
        amount = 1 + amount % bal;
        vm.recordLogs();
        vm.prank(u);
        l2.withdraw(t, u, amount);
        _recordWithdrawals();
        ++l2Withdrawals;
    }

    function transferL2(uint256 fromSeed, uint256 toSeed, uint256 tokenSeed, uint256 amount) external onL2 {
        address l2Token = l2.bridgedToken(l1TokenAt(tokenSeed));
        if (l2Token == address(0)) return;
        address from = user(fromSeed);
        uint256 bal = IERC20(l2Token).balanceOf(from);
        if (bal == 0) return;
        vm.prank(from);
        require(IERC20(l2Token).transfer(user(toSeed), 1 + amount % bal));
    }

    // ------------------------------------------------------------------------------------------------
    // proposer: outputs with real state roots
    // ------------------------------------------------------------------------------------------------

    function _balanceSlot(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode(account, uint256(0)));
    }

    function _storageEntries(Snap storage s, uint256 t) internal view returns (Mpt.Entry[] memory es) {
        es = new Mpt.Entry[](USERS + 3);
        uint256 n;
        for (uint256 i; i < USERS; ++i) {
            if (s.balances[t][i] != 0) es[n++] = Mpt.storageEntry(_balanceSlot(user(i)), s.balances[t][i]);
        }
        for (uint256 k; k < 3; ++k) {
            if (s.words[t][k] != 0) es[n++] = Mpt.storageEntry(bytes32(k + 2), uint256(s.words[t][k]));
        }
        assembly ("memory-safe") {
            mstore(es, n)
        }
    }

    /// @dev Accounts of the state trie: the deployed bridged tokens and, so that the trie has more than one
    /// level, the users (plain accounts).
    function _stateEntries(Snap storage s) internal view returns (Mpt.Entry[] memory es) {
        es = new Mpt.Entry[](2 + USERS);
        uint256 n;
        for (uint256 t; t < 2; ++t) {
            if (s.l2Tokens[t] == address(0)) continue;
            es[n++] = Mpt.accountEntry(s.l2Tokens[t], 1, 0, Mpt.root(_storageEntries(s, t)), s.codeHash[t]);
        }
        for (uint256 i; i < USERS; ++i) {
            es[n++] = Mpt.accountEntry(user(i), 0, 1 ether, keccak256(hex"80"), keccak256(""));
        }
        assembly ("memory-safe") {
            mstore(es, n)
        }
    }

    /// @dev The honest proposer: only an L2 state whose consumed-message root L1 committed for exactly its
    /// processed count can be proposed (otherwise it waits for a later one; after a forgery, forever).
    function propose() external onL2 {
        _proposeHonest();
    }

    /// @dev The late proposer: waits until the very end of the inclusion window of the newest forced withdrawal
    /// still ahead of it (allowed) and proposes then.
    function proposeLate(uint256 seed) external onL2 {
        uint256 n = forcedNonces.length;
        if (n == 0) return;
        uint256 end = uint256(requestedAt[forcedNonces[(seed % n)]]) + l1.forcedInclusionWindow();
        if (end > currentTime && end - currentTime <= 2 days) {
            currentTime = end;
            vm.warp(currentTime);
        }
        if (_proposeHonest()) ++lateProposals;
    }

    function setSilent(uint256 seed) external {
        silent = seed % 3 == 0;
    }

    function _proposeHonest() internal returns (bool proposed) {
        if (silent) return false;
        Snap memory m;
        m.processed = l2.l1MessagesProcessed();
        bytes32 messageRoot = l2.l1MessageRoot();
        m.withdrawalCount = l2.withdrawalCount();
        bytes32 wRoot = l2.withdrawalRoot();
        for (uint256 t; t < 2; ++t) {
            address l2Token = l2.bridgedToken(l1TokenAt(t));
            if (l2Token == address(0)) continue;
            m.l2Tokens[t] = l2Token;
            m.codeHash[t] = l2Token.codehash;
            for (uint256 i; i < USERS; ++i) {
                m.balances[t][i] = uint256(vm.load(l2Token, _balanceSlot(user(i))));
            }
            for (uint256 k; k < 3; ++k) {
                m.words[t][k] = vm.load(l2Token, bytes32(k + 2));
            }
        }
        vm.chainId(L1_CHAIN_ID);
        if (m.processed != 0 && l1.messageRootCount(messageRoot) != m.processed) {
            vm.chainId(L2_CHAIN_ID);
            return false;
        }
        uint256 idx = oracle.outputCount();
        snaps[idx] = m;
        bytes32 stateRoot = Mpt.root(_stateEntries(snaps[idx]));
        bool frozen = l1.frozen();
        uint256 bond = oracle.proposerBond();
        vm.deal(proposer, proposer.balance + bond);
        vm.prank(proposer);
        try oracle.propose{value: bond}(
            nextBlock, keccak256(abi.encode("block", nextBlock)), stateRoot, wRoot, m.processed, messageRoot
        ) {
            if (frozen) _mustFail("proposal while frozen");
            if (forgeries != 0 && m.processed > _firstForgedNonce) _mustFail("output of a forged L2 state");
            _resetOutput(idx);
            ++nextBlock;
            ++proposals;
            proposed = true;
        } catch {
            delete snaps[idx];
        }
        vm.chainId(L2_CHAIN_ID);
    }

    /// @dev A reused index starts fresh (its previous output was deleted).
    function _resetOutput(uint256 idx) internal {
        bogus[idx] = false;
        challengedAt[idx] = 0;
        ignored[idx] = false;
    }

    function warp(uint256 secs) external {
        currentTime += 1 + secs % 1 days;
        vm.warp(currentTime);
        _trackFinality();
    }

    // ------------------------------------------------------------------------------------------------
    // adversaries (issue 9)
    // ------------------------------------------------------------------------------------------------

    /// @dev The ROGUE root publisher: publishes a root L1 never committed, of the leaves L2 consumed plus a
    /// made-up deposit of `amount` to ATTACKER at L2's next nonce, and relays it on L2 (minting unbacked coins).
    /// An output of the resulting L2 state, with the root L2 now reports, must be refused.
    function forge(uint256 tokenSeed, uint256 amount) external onL2 {
        if (forgeries >= 3 || (tokenSeed >> 8) % 2 == 1) return; // at most three, in about half the calls
        address t = l1TokenAt(tokenSeed);
        if (l2.bridgedToken(t) == address(0)) return; // a forged first deposit would need metadata
        uint64 nonce = l2.l1MessagesProcessed();
        amount = 1 + amount % 40 ether;
        L1Message memory m = L1Message({
            kind: 1, nonce: nonce, sender: ATTACKER, recipient: ATTACKER, token: t, amount: amount, data: ""
        });
        bytes32 leaf = Hashing.l1MessageLeaf(
            L1_CHAIN_ID, address(l1), 1, nonce, ATTACKER, ATTACKER, t, amount, keccak256("")
        );
        l2Leaves.push(leaf);
        bytes32[] memory leaves = l2Leaves;
        bytes32 root = MerkleRef.root(leaves, nonce + 1);
        vm.prank(publisher);
        rootOracle.publishRoot(root, nonce + 1);
        L1Message[] memory batch = new L1Message[](1);
        batch[0] = m;
        bytes32[][] memory proofs = new bytes32[][](1);
        proofs[0] = MerkleRef.proof(leaves, nonce + 1, nonce);
        vm.prank(ATTACKER);
        l2.relayMessages(batch, root, proofs);
        if (l2.l1MessageRoot() != root) _mustFail("L2's consumed root is not the tree of what it consumed");
        if (forgeries == 0) _firstForgedNonce = nonce;
        ++forgeries;
        forgedMinted[t] += amount;
        // Anyone proposing this L2 state with L2's own consumed root is refused: L1 never committed it.
        bytes32 wRoot = l2.withdrawalRoot();
        vm.chainId(L1_CHAIN_ID);
        uint256 bond = oracle.proposerBond();
        vm.deal(proposer, proposer.balance + bond);
        vm.prank(proposer);
        try oracle.propose{value: bond}(
            nextBlock, keccak256("forged block"), keccak256("forged state"), wRoot, nonce + 1, root
        ) {
            _mustFail("output with a root L1 never committed");
        } catch {}
        vm.chainId(L2_CHAIN_ID);
    }

    /// @dev The attacker withdraws (some of) its forged coins on L2: no honest output can ever hold them.
    function attackerWithdraw(uint256 tokenSeed, uint256 amount) external onL2 {
        address t = l1TokenAt(tokenSeed);
        address l2Token = l2.bridgedToken(t);
        if (l2Token == address(0)) return;
        uint256 bal = IERC20(l2Token).balanceOf(ATTACKER);
        if (bal == 0) return;
        vm.recordLogs();
        vm.prank(ATTACKER);
        l2.withdraw(t, ATTACKER, 1 + amount % bal);
        _recordWithdrawals();
    }

    /// @dev A lying proposer posts an output at L1's latest committed count and root (which the oracle
    /// accepts) with a made-up state and a withdrawal root paying ATTACKER the whole escrow; the watchdog
    /// challenges it in the same block. It must never become final.
    function proposeLying(uint256 seed) external onL1 {
        if (l1.frozen() || seed % 4 != 0) return; // one call in four: lies are rarer than honest outputs
        (bytes32 root, uint64 count) = l1.lastCommittedRoot();
        uint256 idx = oracle.outputCount();
        if (idx != 0 && snaps[idx - 1].processed > count) return;
        IL1Bridge.Withdrawal memory w = _bogusWithdrawal();
        bytes32 lieRoot = _bogusRoot();
        uint256 bond = oracle.proposerBond();
        vm.deal(proposer, proposer.balance + bond);
        vm.prank(proposer);
        oracle.propose{value: bond}(
            nextBlock, keccak256(abi.encode("lie", nextBlock)), keccak256("lie"), lieRoot, count, root
        );
        ++nextBlock;
        delete snaps[idx];
        snaps[idx].processed = count; // withdrawalCount 0: no honest claim is ever made against it
        _resetOutput(idx);
        bogus[idx] = true;
        _challengeNow(WATCHDOG, idx);
        ++lies;
        // Cashing the made-up withdrawal fails now and at any time (the output never becomes final).
        try l1.finalizeWithdrawal(w, idx, new bytes32[](0)) {
            _mustFail("paid through a lying output");
        } catch {}
    }

    function _challengeNow(address who, uint256 idx) internal {
        uint256 bond = oracle.challengerBond();
        vm.deal(who, who.balance + bond);
        vm.prank(who);
        oracle.challenge{value: bond}(idx);
        challengedAt[idx] = block.timestamp;
        // The council will never rule on one dispute in eight (decided once, when it opens).
        ignored[idx] = uint256(keccak256(abi.encode(idx, block.timestamp, who))) % 8 == 0;
    }

    /// @dev A last-second challenger disputes a random unchallenged output at proposedAt + challengePeriod - 1
    /// (time moves forward to it; if it has passed, the output cannot be challenged any more); one call in four
    /// it disputes at once instead (an early griefer).
    function challengeLastSecond(uint256 seed) external onL1 {
        uint256 n = oracle.outputCount();
        if (n == 0 || (seed >> 128) % 2 == 1) return; // in about half the calls
        uint256 idx = seed % n;
        IOutputOracle.Output memory o = oracle.getOutput(idx);
        uint256 last = uint256(o.proposedAt) + oracle.challengePeriod() - 1;
        if (o.status != IOutputOracle.OutputStatus.Proposed || currentTime > last) return;
        if ((seed >> 136) % 4 != 0) currentTime = last;
        vm.warp(currentTime);
        _challengeNow(GRIEFER, idx);
        ++lastSecondChallenges;
    }

    /// @dev The council rules correctly (lying outputs invalid, honest ones valid) but slowly: on each open
    /// dispute (lowest first) only once it has been open for an hour, the council-response window or two days
    /// (by seed; one call in eight it rules on whatever is open at once), and on one dispute in eight never.
    function councilRule(uint256 seed) external onL1 {
        uint256 k = (seed >> 8) % 8;
        uint256 wait = k == 0 ? 0 : k < 4 ? 1 hours : k < 6 ? oracle.councilResponseWindow() : 2 days;
        uint256 count = oracle.outputCount();
        for (uint256 idx; idx < count; ++idx) {
            if (oracle.getOutput(idx).status != IOutputOracle.OutputStatus.Challenged || ignored[idx]) {
                continue;
            }
            if (currentTime < challengedAt[idx] + wait) continue;
            bool valid = !bogus[idx];
            vm.prank(council);
            oracle.resolveDispute(idx, valid);
            ++verdicts;
            if (!valid) {
                for (uint256 i = idx; i < count; ++i) {
                    _resetOutput(i);
                }
                return; // everything from idx on is deleted
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // freeze
    // ------------------------------------------------------------------------------------------------

    /// @dev The newest final output, computed here by asking `isFinal` of every output.
    function _newestFinal() internal view returns (bool has, uint256 idx) {
        uint256 n = oracle.outputCount();
        for (uint256 i = n; i > 0;) {
            --i;
            if (oracle.isFinal(i)) return (true, i);
        }
    }

    /// @dev The freeze rule, computed here from the outputs: due at requestedAt + forcedInclusionWindow +
    /// challengePeriod unless the newest final output covers the request; while the lowest output covering it
    /// was proposed within the inclusion window and is not final, councilResponseWindow later.
    function _overdue(uint64 nonce, bool has, uint256 idx) internal view returns (bool) {
        if (l1.frozen()) return false;
        uint256 window = l1.forcedInclusionWindow();
        uint256 dueAt = uint256(requestedAt[nonce]) + window + oracle.challengePeriod();
        if (block.timestamp < dueAt || (has && snaps[idx].processed > nonce)) return false;
        uint256 n = oracle.outputCount();
        for (uint256 i; i < n; ++i) {
            if (snaps[i].processed <= nonce) continue;
            if (oracle.getOutput(i).proposedAt <= uint256(requestedAt[nonce]) + window && !oracle.isFinal(i))
            {
                dueAt += oracle.councilResponseWindow();
            }
            break;
        }
        return block.timestamp >= dueAt;
    }

    /// @dev Checks the freeze rule for every forced withdrawal (from a random one on): `canFreeze` and
    /// `freeze` must agree with the rule computed here; the first that may freeze does.
    function freeze(uint256 seed) external onL1 {
        uint256 n = forcedNonces.length;
        for (uint256 k; k < n; ++k) {
            uint64 nonce = forcedNonces[(seed % n + k) % n];
            (bool has, uint256 idx) = _newestFinal();
            bool overdue = _overdue(nonce, has, idx);
            if (l1.canFreeze(nonce) != overdue) freezeRuleBroken = true;
            try l1.freeze(nonce) {
                if (!overdue) freezeRuleBroken = true;
                ++freezes;
                (bool h, uint256 i,,,) = l1.escapeOutput();
                if (h != has || (has && i != idx)) freezeRuleBroken = true;
            } catch {
                if (overdue) freezeRuleBroken = true;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // escape, refunds, finalization
    // ------------------------------------------------------------------------------------------------

    function _escapeOutput() internal view returns (bool frozenWithOutput, uint256 idx) {
        if (!l1.frozen()) return (false, 0);
        bool has;
        (has, idx,,,) = l1.escapeOutput();
        frozenWithOutput = has;
    }

    function _proofs(Snap storage s, uint256 t, address account)
        internal
        view
        returns (bytes[] memory accountProof, bytes[] memory storageProof)
    {
        accountProof = Mpt.proof(_stateEntries(s), keccak256(abi.encodePacked(s.l2Tokens[t])));
        storageProof = Mpt.proof(_storageEntries(s, t), keccak256(abi.encode(_balanceSlot(account))));
    }

    function _received(address t, address who) internal view returns (uint256) {
        return t == address(0) ? who.balance : token.balanceOf(who);
    }

    /// @dev From a random (account, token) on: tries an already escaped one again, another account's proof and
    /// a submission by another user (all must fail), then escapes the first claim not paid yet, submitted by the
    /// account itself as an EOA, sometimes without the account proof once the token's storage root is stored.
    function escape(uint256 seed, uint256 callerSeed) external onL1 {
        (bool ok, uint256 idx) = _escapeOutput();
        if (!ok) return;
        for (uint256 k; k < 2 * USERS; ++k) {
            uint256 c = (seed % (2 * USERS) + k) % (2 * USERS);
            if (_escapeOne(snaps[idx], c % 2, c / 2, callerSeed)) return;
        }
    }

    /// @dev Whether it paid the claim of user `ui` in token `t`.
    function _escapeOne(Snap storage s, uint256 t, uint256 ui, uint256 callerSeed) internal returns (bool) {
        address account = user(ui);
        address l1Token = l1TokenAt(t);
        uint256 bal = s.balances[t][ui];
        if (s.l2Tokens[t] == address(0) || bal == 0) return false;
        (bytes[] memory ap, bytes[] memory sp) = _proofs(s, t, account);
        if (escapedGhost[l1Token][account]) {
            vm.prank(account, account);
            try l1.escape(l1Token, account, ap, sp) {
                _mustFail("second escape");
            } catch {}
            return false;
        }
        if (s.balances[t][(ui + 1) % USERS] != 0) {
            (, bytes[] memory otherSp) = _proofs(s, t, user(ui + 1));
            vm.prank(account, account);
            try l1.escape(l1Token, account, ap, otherSp) {
                _mustFail("escape with another account's proof");
            } catch {}
        }
        address caller = user(callerSeed);
        if (caller != account) {
            vm.prank(caller, caller);
            try l1.escape(l1Token, account, ap, sp) {
                _mustFail("escape submitted by another account");
            } catch {}
        }
        if (callerSeed % 3 == 0 && l1.escapeStorageRoot(l1Token) != bytes32(0)) ap = new bytes[](0);
        uint256 before = _received(l1Token, account);
        vm.prank(account, account);
        uint256 amount = l1.escape(l1Token, account, ap, sp);
        if (amount != bal || _received(l1Token, account) != before + bal) payoutMismatch = true;
        escapedGhost[l1Token][account] = true;
        paid[l1Token] += bal;
        ++escapes;
        return true;
    }

    /// @dev Refunds ("reclaims") the first deposit from a random nonce on that the escape output did not
    /// process; every message passed on the way (processed, forced or refunded) must be refused.
    function reclaim(uint256 seed) external onL1 {
        if (!l1.frozen() || messages.length == 0) return;
        (bool has,,,, uint64 processed) = l1.escapeOutput();
        uint256 from = has ? processed : 0;
        bytes32[] memory leaves = messageLeaves;
        uint256 count = leaves.length;
        bool triedRefused;
        for (uint256 k; k < count; ++k) {
            uint256 nonce = (seed % count + k) % count;
            L1Message memory m = messages[nonce];
            bool refundable = nonce >= from && m.kind == 1 && !refunded[nonce];
            if (!refundable && triedRefused) continue;
            bytes32[] memory proof = MerkleRef.proof(leaves, count, nonce);
            if (!refundable) {
                triedRefused = true; // one refused attempt per call keeps the campaign fast
                try l1.refundDeposit(m, proof) {
                    _mustFail("refund of a processed, forced or refunded message");
                } catch {}
                continue;
            }
            uint256 before = _received(m.token, m.sender);
            l1.refundDeposit(m, proof);
            if (_received(m.token, m.sender) != before + m.amount) payoutMismatch = true;
            refunded[nonce] = true;
            paid[m.token] += m.amount;
            ++refunds;
            return;
        }
    }

    /// @dev Pays the first unpaid withdrawal from a random nonce on that some final output holds.
    function finalize(uint256 seed) external onL1 {
        uint256 nw = withdrawals.length;
        for (uint256 k; k < nw; ++k) {
            uint256 nonce = (seed % nw + k) % nw;
            if (!finalized[nonce] && withdrawals[nonce].sender != ATTACKER && _finalizeOne(nonce)) return;
        }
    }

    /// @dev Whether a final output held withdrawal `nonce` (then it was paid, or refused as it must be).
    function _finalizeOne(uint256 nonce) internal returns (bool) {
        (bool frozenWithOutput, uint256 escapeIdx) = _escapeOutput();
        bool frozen = l1.frozen();
        uint256 n = oracle.outputCount();
        bytes32[] memory leaves = withdrawalLeaves;
        for (uint256 i = n; i > 0;) {
            --i;
            Snap storage s = snaps[i];
            if (s.withdrawalCount <= nonce || !oracle.isFinal(i)) continue;
            IL1Bridge.Withdrawal memory w = withdrawals[nonce];
            bytes32[] memory proof = MerkleRef.proof(leaves, s.withdrawalCount, nonce);
            bool allowed = !frozen || (frozenWithOutput && i <= escapeIdx);
            if (!allowed) {
                try l1.finalizeWithdrawal(w, i, proof) {
                    _mustFail("finalization against an output after the escape output");
                } catch {}
                continue;
            }
            uint256 before = _received(w.l1Token, w.recipient);
            try l1.finalizeWithdrawal(w, i, proof) {
                if (_received(w.l1Token, w.recipient) != before + w.amount) payoutMismatch = true;
                finalized[nonce] = true;
                ++paidCount[nonce];
                paid[w.l1Token] += w.amount;
                anyPaidAgainstOutput = true;
                if (i > maxPaidIndex) maxPaidIndex = i;
                ++finalizations;
            } catch {} // paused (before the freeze)
            return true;
        }
        return false;
    }

    /// @dev Paying a withdrawal again must fail, against every output that holds it.
    function finalizeTwice(uint256 seed) external onL1 {
        uint256 nw = withdrawals.length;
        if (nw == 0) return;
        uint256 nonce = seed % nw;
        if (!finalized[nonce]) return;
        bytes32[] memory leaves = withdrawalLeaves;
        uint256 n = oracle.outputCount();
        for (uint256 i; i < n; ++i) {
            Snap storage s = snaps[i];
            if (s.withdrawalCount <= nonce) continue;
            try l1.finalizeWithdrawal(
                withdrawals[nonce], i, MerkleRef.proof(leaves, s.withdrawalCount, nonce)
            ) {
                _mustFail("a withdrawal paid twice");
                ++paidCount[nonce];
            } catch {}
        }
    }

    // ------------------------------------------------------------------------------------------------
    // views for the invariants
    // ------------------------------------------------------------------------------------------------

    /// @dev What the bridge still owes for `l1Token` once frozen: balances at the escape output not escaped,
    /// withdrawals in the escape output not finalized, deposits it did not process not refunded.
    function outstandingAfterFreeze(address l1Token) external view returns (uint256 sum) {
        (bool has, uint256 idx,,, uint64 processed) = l1.escapeOutput();
        uint256 t = l1Token == address(0) ? 0 : 1;
        if (has) {
            Snap storage s = snaps[idx];
            for (uint256 i; i < USERS; ++i) {
                if (!escapedGhost[l1Token][user(i)]) sum += s.balances[t][i];
            }
            for (uint256 n; n < s.withdrawalCount; ++n) {
                if (!finalized[n] && withdrawals[n].l1Token == l1Token) sum += withdrawals[n].amount;
            }
        }
        for (uint256 n = has ? processed : 0; n < messages.length; ++n) {
            if (messages[n].kind == 1 && !refunded[n] && messages[n].token == l1Token) {
                sum += messages[n].amount;
            }
        }
    }

    /// @dev Before the freeze: L2 supply + withdrawals not finalized + deposits L2 did not process, minus the
    /// forged coins minted on L2 (in the supply or in withdrawals no output will ever hold).
    function outstandingBeforeFreeze(address l1Token) external view returns (uint256 sum) {
        address l2Token = l2.bridgedToken(l1Token);
        if (l2Token != address(0)) sum = IERC20(l2Token).totalSupply();
        for (uint256 n; n < withdrawals.length; ++n) {
            if (!finalized[n] && withdrawals[n].l1Token == l1Token) sum += withdrawals[n].amount;
        }
        for (uint256 n; n < messages.length; ++n) {
            if (!processedOnL2[n] && messages[n].kind == 1 && messages[n].token == l1Token) {
                sum += messages[n].amount;
            }
        }
        sum -= forgedMinted[l1Token];
    }

    /// @dev No L2 funds paid twice: no withdrawal nonce paid more than once, and once frozen every withdrawal
    /// paid (before or after the freeze) is in the escape output's withdrawal tree (its coins were burnt before
    /// the escape state, so no escape pays them again) and was paid against an output at or below it.
    function paidTwice() external view returns (bool twice, string memory what) {
        for (uint256 n; n < withdrawals.length; ++n) {
            if (paidCount[n] > 1) return (true, "a withdrawal nonce paid twice");
        }
        if (!l1.frozen()) return (false, "");
        (bool has, uint256 idx,,,) = l1.escapeOutput();
        if (!anyPaidAgainstOutput) return (false, "");
        if (!has) return (true, "paid against an output, then frozen without escape output");
        if (maxPaidIndex > idx) return (true, "escape state older than an output already paid against");
        for (uint256 n; n < withdrawals.length; ++n) {
            if (finalized[n] && n >= snaps[idx].withdrawalCount) {
                return (true, "a paid withdrawal is not in the escape state (paid and escapable)");
            }
        }
    }
}
