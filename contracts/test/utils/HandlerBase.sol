// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Vm.sol";
import {Ghost} from "./Ghost.sol";
import {MerkleRef} from "./MerkleRef.sol";
import {L1Bridge} from "../../src/L1Bridge.sol";
import {OutputOracle} from "../../src/OutputOracle.sol";
import {L2Bridge} from "../../src/L2Bridge.sol";
import {L1RootOracle} from "../../src/L1RootOracle.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {Hashing} from "../../src/lib/Hashing.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice What the invariant handlers share: both chains in one EVM (chain ids 900/901, switched around
/// every action), the ghost record of L1 messages and L2 withdrawals, the finality ghost (outputs once final
/// stay final with the same withdrawal root) and the attacker's bogus withdrawal of the whole ETH escrow.
abstract contract HandlerBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant L1_CHAIN_ID = 900;
    uint256 internal constant L2_CHAIN_ID = 901;
    /// @dev The attacker's own account (on both chains); never a user, never in an honest state.
    address internal constant ATTACKER = address(0xBAD);

    /// @notice The deployed bridge a handler drives, and its roles.
    struct Deployment {
        L1Bridge l1;
        OutputOracle oracle;
        L2Bridge l2;
        L1RootOracle rootOracle;
        TestToken token;
        address proposer;
        address publisher;
        address council;
    }

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

    // ---- ghost state ----
    L1Message[] internal messages;
    bytes32[] internal messageLeaves;
    IL1Bridge.Withdrawal[] internal withdrawals;
    bytes32[] internal withdrawalLeaves;

    /// @dev Finality ghost: outputs [0, finalUpTo) were seen final, with these withdrawal roots.
    uint256 public finalUpTo;
    mapping(uint256 outputIndex => bytes32) internal finalRoot;
    /// @dev Violation (must stay false).
    bool public finalityWentBack;

    constructor(Deployment memory d) {
        (l1, oracle, l2, rootOracle, token) = (d.l1, d.oracle, d.l2, d.rootOracle, d.token);
        (proposer, publisher, council) = (d.proposer, d.publisher, d.council);
        currentTime = block.timestamp;
    }

    modifier onL1() {
        vm.warp(currentTime);
        vm.chainId(L1_CHAIN_ID);
        _;
        _trackFinality();
    }

    modifier onL2() {
        vm.warp(currentTime);
        vm.chainId(L2_CHAIN_ID);
        _;
        _trackFinality();
    }

    /// @dev Output `i` was just seen final for the first time.
    function _newlyFinal(uint256 i) internal virtual;

    /// @dev Finality never goes backwards (issue 9): every output once final stays final with the same
    /// withdrawal root, and `latestFinalIndex` never drops below the highest index seen final.
    function _trackFinality() internal {
        uint256 chain = block.chainid;
        vm.chainId(L1_CHAIN_ID);
        uint256 latestPlusOne;
        try oracle.latestFinalIndex() returns (uint256 latest) {
            latestPlusOne = latest + 1;
        } catch {}
        uint256 n = oracle.outputCount();
        if (latestPlusOne < finalUpTo || n < finalUpTo) finalityWentBack = true;
        // The highest output once final is still final with the same withdrawal root (a dispute at or below any
        // lower output would make it non-final too; a deletion of any of them shows as outputCount < finalUpTo),
        // and nothing above the final prefix is final (final outputs are exactly the prefix latestFinalIndex ends).
        if (finalUpTo != 0 && finalUpTo <= n) {
            if (
                !oracle.isFinal(finalUpTo - 1)
                    || oracle.getOutput(finalUpTo - 1).withdrawalRoot != finalRoot[finalUpTo - 1]
            ) {
                finalityWentBack = true;
            }
        }
        for (uint256 i = latestPlusOne; i < n; ++i) {
            if (oracle.isFinal(i)) finalityWentBack = true;
        }
        for (uint256 i = finalUpTo; i < latestPlusOne; ++i) {
            finalRoot[i] = oracle.getOutput(i).withdrawalRoot;
            _newlyFinal(i);
        }
        if (latestPlusOne > finalUpTo) finalUpTo = latestPlusOne;
        vm.chainId(chain);
    }

    /// @dev Records the MessageSent events since `vm.recordLogs()`.
    function _recordSent() internal {
        Ghost.recordSent(vm.getRecordedLogs(), address(l1), messages, messageLeaves, false, "");
    }

    /// @dev Commits L1's message root and publishes it on L2 unless it already is; ends on L2.
    function _commitAndPublish() internal returns (bytes32 root, uint64 count) {
        vm.chainId(L1_CHAIN_ID);
        (root, count) = l1.commitMessageRoot();
        vm.chainId(L2_CHAIN_ID);
        if (rootOracle.rootCount(root) == 0) {
            vm.prank(publisher);
            rootOracle.publishRoot(root, count);
        }
    }

    /// @dev Messages `[from, to)` and their proofs under the root of the first `count` messages.
    function _batch(uint256 from, uint256 to, uint256 count)
        internal
        view
        returns (L1Message[] memory msgs, bytes32[][] memory proofs)
    {
        return Ghost.batch(messages, messageLeaves, from, to, count);
    }

    /// @dev The withdrawal a lying output would pay: the whole ETH escrow to ATTACKER, as withdrawal 0.
    function _bogusWithdrawal() internal view returns (IL1Bridge.Withdrawal memory) {
        return IL1Bridge.Withdrawal({
            nonce: 0,
            sender: ATTACKER,
            recipient: ATTACKER,
            l1Token: address(0),
            amount: l1.escrowed(address(0))
        });
    }

    /// @dev The withdrawal root holding just the bogus withdrawal.
    function _bogusRoot() internal view returns (bytes32) {
        IL1Bridge.Withdrawal memory w = _bogusWithdrawal();
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] =
            Hashing.withdrawalLeaf(L2_CHAIN_ID, address(l2), 0, w.sender, w.recipient, w.l1Token, w.amount);
        return MerkleRef.root(leaves, 1);
    }
}
