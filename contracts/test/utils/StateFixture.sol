// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./Fixture.sol";
import {Mpt} from "./Mpt.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice Fixture whose outputs carry REAL Merkle-Patricia state roots of the L2 side, so that `escape` can
/// be played after a freeze: at each proposal the L2 storage of the bridged tokens (ETH and the test token)
/// is read (balances of `holders`, total supply, name, symbol: the token's real storage words; the real code
/// hash) and the state trie is built with the test trie builder (as EscapeHandler does). The snapshot is kept
/// per output index, for escape proofs against the escape output.
abstract contract StateFixture is Fixture {
    /// @dev L2 accounts whose balances the state trie holds (the tests' users).
    address[] internal holders;

    struct TokenSnap {
        address l2Token; // zero while the bridged token is not deployed
        bytes32 codeHash;
        bytes32[3] words; // slots 2, 3, 4
    }

    mapping(uint256 outputIndex => mapping(uint256 t => TokenSnap)) internal snapTokens;
    mapping(uint256 outputIndex => mapping(uint256 t => mapping(address account => uint256))) internal
        snapBalance;

    function l1TokenAt(uint256 t) internal view returns (address) {
        return t == 0 ? address(0) : address(token);
    }

    function _balanceSlot(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode(account, uint256(0)));
    }

    /// @dev Records the L2 state of both bridged tokens as output `idx` (reads L2 storage).
    function _snapshot(uint256 idx) internal {
        onL2();
        for (uint256 t; t < 2; ++t) {
            address l2Token = l2.bridgedToken(l1TokenAt(t));
            TokenSnap storage ts = snapTokens[idx][t];
            ts.l2Token = l2Token;
            if (l2Token == address(0)) continue;
            ts.codeHash = l2Token.codehash;
            for (uint256 k; k < 3; ++k) {
                ts.words[k] = vm.load(l2Token, bytes32(k + 2));
            }
            for (uint256 i; i < holders.length; ++i) {
                snapBalance[idx][t][holders[i]] = uint256(vm.load(l2Token, _balanceSlot(holders[i])));
            }
        }
        onL1();
    }

    function _storageEntries(uint256 idx, uint256 t) internal view returns (Mpt.Entry[] memory es) {
        es = new Mpt.Entry[](holders.length + 3);
        uint256 n;
        for (uint256 i; i < holders.length; ++i) {
            uint256 b = snapBalance[idx][t][holders[i]];
            if (b != 0) es[n++] = Mpt.storageEntry(_balanceSlot(holders[i]), b);
        }
        TokenSnap storage ts = snapTokens[idx][t];
        for (uint256 k; k < 3; ++k) {
            if (ts.words[k] != 0) es[n++] = Mpt.storageEntry(bytes32(k + 2), uint256(ts.words[k]));
        }
        assembly ("memory-safe") {
            mstore(es, n)
        }
    }

    /// @dev The state trie: the deployed bridged tokens and the holders as plain accounts.
    function _stateEntries(uint256 idx) internal view returns (Mpt.Entry[] memory es) {
        es = new Mpt.Entry[](2 + holders.length);
        uint256 n;
        for (uint256 t; t < 2; ++t) {
            TokenSnap storage ts = snapTokens[idx][t];
            if (ts.l2Token == address(0)) continue;
            es[n++] = Mpt.accountEntry(ts.l2Token, 1, 0, Mpt.root(_storageEntries(idx, t)), ts.codeHash);
        }
        for (uint256 i; i < holders.length; ++i) {
            es[n++] = Mpt.accountEntry(holders[i], 0, 1 ether, keccak256(hex"80"), keccak256(""));
        }
        assembly ("memory-safe") {
            mstore(es, n)
        }
    }

    function stateRootOf(uint256 idx) internal view returns (bytes32) {
        return Mpt.root(_stateEntries(idx));
    }

    /// @dev The proposer posts the current L2 state with its real state root (an honest output).
    function proposeState() internal returns (uint256 index) {
        index = oracle.outputCount();
        _snapshot(index);
        (bytes32 wRoot, uint64 processed, bytes32 consumedRoot, uint256 wCount) = l2Summary();
        bytes32 stateRoot = stateRootOf(index);
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        require(
            oracle.propose{value: PROPOSER_BOND}(
                nextL2Block,
                keccak256(abi.encode("block", nextL2Block)),
                stateRoot,
                wRoot,
                processed,
                consumedRoot
            ) == index,
            "fixture: output index"
        );
        ++nextL2Block;
        outputWithdrawalCount[index] = wCount;
    }

    /// @dev Account proof of the bridged token `t` and storage proof of `account`'s balance at output `idx`.
    function escapeProofs(uint256 idx, uint256 t, address account)
        internal
        view
        returns (bytes[] memory accountProof, bytes[] memory storageProof)
    {
        accountProof = Mpt.proof(_stateEntries(idx), keccak256(abi.encodePacked(snapTokens[idx][t].l2Token)));
        storageProof = Mpt.proof(_storageEntries(idx, t), keccak256(abi.encode(_balanceSlot(account))));
    }

    /// @dev `account` escapes its balance of token `t` at the escape output, in its own transaction.
    function escapeAs(address account, uint256 t) internal returns (uint256) {
        (, uint256 idx,,,) = l1.escapeOutput();
        (bytes[] memory ap, bytes[] memory sp) = escapeProofs(idx, t, account);
        vm.prank(account, account);
        return l1.escape(l1TokenAt(t), account, ap, sp);
    }

    /// @dev L1 message `nonce` as IL1Bridge's struct (for refundDeposit).
    function sentAsL1(uint256 nonce) internal view returns (L1Message memory) {
        return L1Message({
            kind: sentMessages[nonce].kind,
            nonce: sentMessages[nonce].nonce,
            sender: sentMessages[nonce].sender,
            recipient: sentMessages[nonce].recipient,
            token: sentMessages[nonce].token,
            amount: sentMessages[nonce].amount,
            data: sentMessages[nonce].data
        });
    }

    /// @dev Records the withdrawal a processed forced withdrawal created on L2 (Fixture records only
    /// `withdrawOnL2`'s).
    function recordForcedWithdrawal(address account, address l1Token, uint256 amount, uint64 nonce) internal {
        sentWithdrawals.push(
            IL1Bridge.Withdrawal({
                nonce: nonce, sender: account, recipient: account, l1Token: l1Token, amount: amount
            })
        );
        withdrawalLeaves.push(
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), nonce, account, account, l1Token, amount)
        );
    }
}
