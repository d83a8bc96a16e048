// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Vm} from "../utils/Vm.sol";
import {MerkleRef} from "../utils/MerkleRef.sol";
import {Mpt} from "../utils/Mpt.sol";
import {L1Bridge} from "../../src/L1Bridge.sol";
import {OutputOracle} from "../../src/OutputOracle.sol";
import {L2Bridge} from "../../src/L2Bridge.sol";
import {L1RootOracle} from "../../src/L1RootOracle.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";

/// @notice Drives both chains (one EVM, chain ids 900/901) through deposits, L2 withdrawals and transfers,
/// forced withdrawals, relaying, honest outputs, pauses, freezes, escapes, refunds ("reclaims") and
/// finalizations in random order. Every output carries a real Merkle-Patricia state root: the handler
/// builds the L2 state trie of the bridged tokens (their real storage words: users' balances, total supply,
/// name, symbol; real code hashes) with the test trie builder, and escapes prove balances in it.
/// Ghost accounting per token: `deposited` (credited) and `paid` (every finalization, escape and refund,
/// cross-checked against what the recipient received). Calls that must fail are tried and recorded in a
/// flag the invariants check.
contract EscapeHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant L1_CHAIN_ID = 900;
    uint256 internal constant L2_CHAIN_ID = 901;
    uint256 internal constant USERS = 4;
    bytes32 internal constant MESSAGE_SENT =
        keccak256("MessageSent(uint64,uint8,address,address,address,uint256,bytes,bytes32)");
    bytes32 internal constant WITHDRAWAL_INITIATED =
        keccak256("WithdrawalInitiated(uint64,address,address,address,uint256,bytes32)");

    L1Bridge public immutable l1;
    OutputOracle public immutable oracle;
    L2Bridge public immutable l2;
    L1RootOracle public immutable rootOracle;
    TestToken public immutable token;
    address internal immutable proposer;
    address internal immutable publisher;
    address internal immutable council;

    uint256 public currentTime;
    uint64 internal nextBlock = 1;
    /// @dev A censoring operator relays nothing from the first pending forced withdrawal on.
    bool public censoring;

    // ---- ghost state ----
    mapping(address l1Token => uint256) public deposited;
    mapping(address l1Token => uint256) public paid;

    IL2Bridge.L1Message[] internal messages;
    bytes32[] internal messageLeaves;
    mapping(uint256 nonce => uint64) internal requestedAt; // forced withdrawals
    uint64[] internal forcedNonces;
    mapping(uint256 nonce => bool) public refunded;

    IL1Bridge.Withdrawal[] internal withdrawals;
    bytes32[] internal withdrawalLeaves;
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

    // ---- violations (must stay false) ----
    bool public mustFailSucceeded;
    string public mustFailWhat;
    bool public payoutMismatch;
    bool public freezeRuleBroken;

    // ---- coverage ----
    uint256 public freezes;
    uint256 public escapes;
    uint256 public refunds;
    uint256 public finalizations;
    uint256 public forced;
    uint256 public proposals;
    uint256 public relayed;
    uint256 public l2Withdrawals;

    constructor(
        L1Bridge l1_,
        OutputOracle oracle_,
        L2Bridge l2_,
        L1RootOracle rootOracle_,
        TestToken token_,
        address proposer_,
        address publisher_,
        address council_
    ) {
        (l1, oracle, l2, rootOracle, token) = (l1_, oracle_, l2_, rootOracle_, token_);
        (proposer, publisher, council) = (proposer_, publisher_, council_);
        currentTime = block.timestamp;
    }

    modifier onL1() {
        vm.warp(currentTime);
        vm.chainId(L1_CHAIN_ID);
        _;
    }

    modifier onL2() {
        vm.warp(currentTime);
        vm.chainId(L2_CHAIN_ID);
        _;
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

    function _recordSent() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(l1) || logs[i].topics[0] != MESSAGE_SENT) continue;
            (address recipient, address tok, uint256 amount, bytes memory data, bytes32 leaf) =
                abi.decode(logs[i].data, (address, address, uint256, bytes, bytes32));
            messages.push(
                IL2Bridge.L1Message({
                    kind: uint8(uint256(logs[i].topics[2])),
                    nonce: uint64(uint256(logs[i].topics[1])),
                    sender: address(uint160(uint256(logs[i].topics[3]))),
                    recipient: recipient,
                    token: tok,
                    amount: amount,
                    data: data
                })
            );
            messageLeaves.push(leaf);
        }
    }

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
        vm.prank(u);
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
        (bytes32 root, uint64 count) = l1.commitMessageRoot();
        vm.chainId(L2_CHAIN_ID);
        if (rootOracle.rootCount(root) == 0) {
            vm.prank(publisher);
            rootOracle.publishRoot(root, count);
        }
        uint256 from = l2.l1MessagesProcessed();
        if (from >= count) return;
        uint256 to = from + 1 + n % 6;
        if (to > count) to = count;
        if (censoring) {
            for (uint256 i = from; i < to; ++i) {
                if (messages[i].kind == 2) to = i;
            }
            if (to == from) return;
        }
        bytes32[] memory leaves = messageLeaves;
        IL2Bridge.L1Message[] memory batch = new IL2Bridge.L1Message[](to - from);
        bytes32[][] memory proofs = new bytes32[][](to - from);
        for (uint256 i = from; i < to; ++i) {
            batch[i - from] = messages[i];
            proofs[i - from] = MerkleRef.proof(leaves, count, i);
        }
        vm.recordLogs();
        l2.relayMessages(batch, root, proofs);
        _recordWithdrawals();
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

    function propose() external onL2 {
        Snap memory m;
        m.processed = l2.l1MessagesProcessed();
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
        uint256 idx = oracle.outputCount();
        snaps[idx] = m;
        bytes32 stateRoot = Mpt.root(_stateEntries(snaps[idx]));
        bool frozen = l1.frozen();
        uint256 bond = oracle.proposerBond();
        vm.deal(proposer, proposer.balance + bond);
        vm.prank(proposer);
        try oracle.propose{value: bond}(
            nextBlock, keccak256(abi.encode("block", nextBlock)), stateRoot, wRoot, m.processed
        ) {
            if (frozen) _mustFail("proposal while frozen");
            ++nextBlock;
            ++proposals;
        } catch {
            delete snaps[idx];
        }
    }

    function warp(uint256 secs) external {
        currentTime += 1 + secs % 1 days;
        vm.warp(currentTime);
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

    /// @dev Checks the freeze rule for every forced withdrawal (from a random one on): `canFreeze` and
    /// `freeze` must agree with the rule computed here; the first that may freeze does.
    function freeze(uint256 seed) external onL1 {
        uint256 n = forcedNonces.length;
        for (uint256 k; k < n; ++k) {
            uint64 nonce = forcedNonces[(seed % n + k) % n];
            bool wasFrozen = l1.frozen();
            (bool has, uint256 idx) = _newestFinal();
            bool overdue = !wasFrozen
                && block.timestamp
                    >= uint256(requestedAt[nonce]) + l1.forcedInclusionWindow() + oracle.challengePeriod()
                && (!has || snaps[idx].processed <= nonce);
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

    /// @dev From a random (account, token) on: tries an already escaped one again and another account's
    /// proof (both must fail), then escapes the first claim not paid yet, submitted by a random caller,
    /// sometimes without the account proof once the token's storage root is stored.
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
            try l1.escape(l1Token, account, ap, sp) {
                _mustFail("second escape");
            } catch {}
            return false;
        }
        if (s.balances[t][(ui + 1) % USERS] != 0) {
            (, bytes[] memory otherSp) = _proofs(s, t, user(ui + 1));
            try l1.escape(l1Token, account, ap, otherSp) {
                _mustFail("escape with another account's proof");
            } catch {}
        }
        if (callerSeed % 3 == 0 && l1.escapeStorageRoot(l1Token) != bytes32(0)) ap = new bytes[](0);
        uint256 before = _received(l1Token, account);
        vm.prank(user(callerSeed));
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
            IL2Bridge.L1Message memory m = messages[nonce];
            bool refundable = nonce >= from && m.kind == 1 && !refunded[nonce];
            if (!refundable && triedRefused) continue;
            IL1Bridge.L1Message memory asL1 = IL1Bridge.L1Message({
                kind: m.kind,
                nonce: m.nonce,
                sender: m.sender,
                recipient: m.recipient,
                token: m.token,
                amount: m.amount,
                data: m.data
            });
            bytes32[] memory proof = MerkleRef.proof(leaves, count, nonce);
            if (!refundable) {
                triedRefused = true; // one refused attempt per call keeps the campaign fast
                try l1.refundDeposit(asL1, proof) {
                    _mustFail("refund of a processed, forced or refunded message");
                } catch {}
                continue;
            }
            uint256 before = _received(m.token, m.sender);
            l1.refundDeposit(asL1, proof);
            if (_received(m.token, m.sender) != before + m.amount) payoutMismatch = true;
            refunded[nonce] = true;
            paid[m.token] += m.amount;
            ++refunds;
            return;
        }
    }

    function finalize(uint256 seed) external onL1 {
        uint256 nw = withdrawals.length;
        if (nw == 0) return;
        uint256 nonce = seed % nw;
        if (finalized[nonce]) return;
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
                paid[w.l1Token] += w.amount;
                ++finalizations;
            } catch {} // paused (before the freeze)
            return;
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

    /// @dev Before the freeze: L2 supply + withdrawals not finalized + deposits not processed.
    function outstandingBeforeFreeze(address l1Token) external view returns (uint256 sum) {
        address l2Token = l2.bridgedToken(l1Token);
        if (l2Token != address(0)) sum = IERC20(l2Token).totalSupply();
        for (uint256 n; n < withdrawals.length; ++n) {
            if (!finalized[n] && withdrawals[n].l1Token == l1Token) sum += withdrawals[n].amount;
        }
        for (uint256 n = l2.l1MessagesProcessed(); n < messages.length; ++n) {
            if (messages[n].kind == 1 && messages[n].token == l1Token) sum += messages[n].amount;
        }
    }
}
