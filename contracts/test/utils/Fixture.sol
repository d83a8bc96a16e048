// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Test} from "./Test.sol";
import {MerkleRef} from "./MerkleRef.sol";
import {Ghost} from "./Ghost.sol";
import {L1Bridge} from "../../src/L1Bridge.sol";
import {OutputOracle} from "../../src/OutputOracle.sol";
import {L2Bridge} from "../../src/L2Bridge.sol";
import {L1RootOracle} from "../../src/L1RootOracle.sol";
import {BridgedToken} from "../../src/BridgedToken.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {IOutputOracle} from "../../src/interfaces/IOutputOracle.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice Both chains in one EVM, deployed exactly as in production (implementation + ERC1967Proxy with
/// the initializer as constructor data, proxy addresses predicted from the deployer's nonce). The chain id
/// is switched with `vm.chainId` around every call: L1 is 900, L2 is 901 (the devnet's ids).
abstract contract Fixture is Test {
    uint256 internal constant L1_CHAIN_ID = 900;
    uint256 internal constant L2_CHAIN_ID = 901;

    uint64 internal constant MAX_PAUSE = 1 days;
    uint64 internal constant PAUSE_COOLDOWN = 2 days;
    uint64 internal constant CHALLENGE_PERIOD = 1 hours;
    /// @dev The bridge's forcedInclusionWindow (named apart from CouncilFixture's parameter of the same value).
    uint64 internal constant INCLUSION_WINDOW = 1 days;
    uint64 internal constant PROPOSER_TIMEOUT = 1 days;
    /// @dev How long a freeze waits for the council's verdict on a disputed timely covering output.
    uint64 internal constant COUNCIL_RESPONSE_WINDOW = 6 hours;
    uint256 internal constant PROPOSER_BOND = 1 ether;
    uint256 internal constant CHALLENGER_BOND = 0.5 ether;
    uint256 internal constant START_TIME = 1_700_000_000;

    address internal governance = _named("governance");
    address internal council = _named("council");
    address internal proposer = _named("proposer");
    address internal publisher = _named("publisher");
    address internal challenger = _named("challenger");
    address internal relayer = _named("relayer");
    address internal alice = _named("alice");
    address internal bob = _named("bob");

    L1Bridge internal l1;
    OutputOracle internal oracle;
    L2Bridge internal l2;
    L1RootOracle internal rootOracle;
    TestToken internal token;

    /// @dev Every L1 message sent so far, as emitted, and its leaf.
    L1Message[] internal sentMessages;
    bytes32[] internal messageLeaves;
    /// @dev Every L2 withdrawal so far and its leaf.
    IL1Bridge.Withdrawal[] internal sentWithdrawals;
    bytes32[] internal withdrawalLeaves;
    /// @dev Withdrawal count of the L2 state each output was proposed from.
    mapping(uint256 outputIndex => uint256 count) internal outputWithdrawalCount;
    uint64 internal nextL2Block = 1;

    function setUp() public virtual {
        vm.warp(START_TIME);
        deployAll();
        onL1();
        token = new TestToken("Test Token", "TT");
        vm.label(address(token), "TestToken");
    }

    function _named(string memory name) internal returns (address a) {
        a = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(a, name);
    }

    function onL1() internal {
        vm.chainId(L1_CHAIN_ID);
    }

    function onL2() internal {
        vm.chainId(L2_CHAIN_ID);
    }

    function deployAll() internal {
        onL1();
        address l1Impl = address(new L1Bridge());
        address oracleImpl = address(new OutputOracle());
        onL2();
        address rootImpl = address(new L1RootOracle());
        address l2Impl = address(new L2Bridge());
        uint256 n = vm.getNonce(address(this));
        address l1Addr = vm.computeCreateAddress(address(this), n);
        address oracleAddr = vm.computeCreateAddress(address(this), n + 1);
        address rootAddr = vm.computeCreateAddress(address(this), n + 2);
        address l2Addr = vm.computeCreateAddress(address(this), n + 3);

        onL1();
        l1 = L1Bridge(
            payable(address(
                    new ERC1967Proxy(
                        l1Impl, abi.encodeCall(L1Bridge.initialize, (l1Params(oracleAddr, l2Addr)))
                    )
                ))
        );
        oracle = OutputOracle(
            address(
                new ERC1967Proxy(oracleImpl, abi.encodeCall(OutputOracle.initialize, (oracleParams(l1Addr))))
            )
        );
        onL2();
        rootOracle = L1RootOracle(
            address(
                new ERC1967Proxy(rootImpl, abi.encodeCall(L1RootOracle.initialize, (governance, publisher)))
            )
        );
        l2 = L2Bridge(
            address(
                new ERC1967Proxy(l2Impl, abi.encodeCall(L2Bridge.initialize, (l2Params(rootAddr, l1Addr))))
            )
        );
        require(address(l1) == l1Addr && address(oracle) == oracleAddr, "L1 prediction");
        require(address(rootOracle) == rootAddr && address(l2) == l2Addr, "L2 prediction");
        vm.label(address(l1), "L1Bridge");
        vm.label(address(oracle), "OutputOracle");
        vm.label(address(rootOracle), "L1RootOracle");
        vm.label(address(l2), "L2Bridge");
        onL1();
    }

    function l1Params(address oracleAddr, address l2Addr)
        internal
        view
        returns (IL1Bridge.InitParams memory)
    {
        return IL1Bridge.InitParams({
            governance: governance,
            pauser: council,
            outputOracle: oracleAddr,
            l2ChainId: L2_CHAIN_ID,
            l2Bridge: l2Addr,
            maxPause: MAX_PAUSE,
            pauseCooldown: PAUSE_COOLDOWN,
            forcedInclusionWindow: INCLUSION_WINDOW
        });
    }

    function oracleParams(address l1Addr) internal view returns (IOutputOracle.InitParams memory) {
        return IOutputOracle.InitParams({
            governance: governance,
            council: council,
            proposer: proposer,
            l1Bridge: l1Addr,
            challengePeriod: CHALLENGE_PERIOD,
            proposerTimeout: PROPOSER_TIMEOUT,
            proposerBond: PROPOSER_BOND,
            challengerBond: CHALLENGER_BOND,
            councilResponseWindow: COUNCIL_RESPONSE_WINDOW
        });
    }

    function l2Params(address rootAddr, address l1Addr) internal view returns (IL2Bridge.InitParams memory) {
        return IL2Bridge.InitParams({
            governance: governance, rootOracle: rootAddr, l1ChainId: L1_CHAIN_ID, l1Bridge: l1Addr
        });
    }

    // ------------------------------------------------------------------------------------------------
    // L1 -> L2
    // ------------------------------------------------------------------------------------------------

    /// @dev Records the MessageSent events of the last call(s) since `vm.recordLogs()`.
    function _recordSent() internal {
        Ghost.recordSent(
            vm.getRecordedLogs(), address(l1), sentMessages, messageLeaves, true, "fixture: message order"
        );
    }

    function depositETH(address from, address to, uint256 amount) internal returns (uint64 nonce) {
        onL1();
        vm.deal(from, from.balance + amount);
        vm.recordLogs();
        vm.prank(from);
        nonce = l1.depositETH{value: amount}(to);
        _recordSent();
    }

    function depositToken(address tok, address from, address to, uint256 amount)
        internal
        returns (uint64 nonce)
    {
        onL1();
        TestToken(tok).mint(from, amount);
        vm.prank(from);
        IERC20(tok).approve(address(l1), amount);
        vm.recordLogs();
        vm.prank(from);
        nonce = l1.depositERC20(tok, to, amount);
        _recordSent();
    }

    /// @dev `from` (the L2 account) forces a withdrawal of up to `amount` of `tok` through L1, in its own
    /// transaction (`tx.origin == msg.sender`: only an externally owned account may force).
    function requestForced(address from, address tok, uint256 amount) internal returns (uint64 nonce) {
        onL1();
        vm.recordLogs();
        vm.prank(from, from);
        nonce = l1.requestForcedWithdrawal(tok, amount);
        _recordSent();
    }

    /// @dev Commits the L1 message root and publishes it on L2.
    function commitAndPublish() internal returns (bytes32 root, uint64 count) {
        onL1();
        (root, count) = l1.commitMessageRoot();
        onL2();
        if (rootOracle.rootCount(root) == 0) {
            vm.prank(publisher);
            rootOracle.publishRoot(root, count);
        }
        onL1();
    }

    function messageProofs(uint256 from, uint256 to, uint256 count)
        internal
        view
        returns (L1Message[] memory msgs, bytes32[][] memory proofs)
    {
        return Ghost.batch(sentMessages, messageLeaves, from, to, count);
    }

    /// @dev Commits, publishes and relays every message not processed yet.
    function relayAll() internal {
        (bytes32 root, uint64 count) = commitAndPublish();
        onL2();
        uint256 from = l2.l1MessagesProcessed();
        if (from < count) {
            (L1Message[] memory msgs, bytes32[][] memory proofs) = messageProofs(from, count, count);
            vm.prank(relayer);
            l2.relayMessages(msgs, root, proofs);
        }
        onL1();
    }

    // ------------------------------------------------------------------------------------------------
    // L2 -> L1
    // ------------------------------------------------------------------------------------------------

    function withdrawOnL2(address from, address l1Token, address to, uint256 amount)
        internal
        returns (uint64 nonce)
    {
        onL2();
        vm.prank(from);
        nonce = l2.withdraw(l1Token, to, amount);
        IL1Bridge.Withdrawal memory w = IL1Bridge.Withdrawal({
            nonce: nonce, sender: from, recipient: to, l1Token: l1Token, amount: amount
        });
        sentWithdrawals.push(w);
        withdrawalLeaves.push(
            keccak256(
                abi.encode(
                    keccak256(
                        abi.encode(
                            keccak256(
                                "Drawbridge.Withdrawal(uint256 sourceChainId,address sourceBridge,uint64 nonce,address sender,address recipient,address l1Token,uint256 amount)"
                            ),
                            L2_CHAIN_ID,
                            address(l2),
                            nonce,
                            from,
                            to,
                            l1Token,
                            amount
                        )
                    )
                )
            )
        );
        onL1();
    }

    /// @dev Root of L1's message tree over its first `count` messages (zero for none), from the recorded leaves.
    function messageRootAt(uint256 count) internal view returns (bytes32) {
        if (count == 0) return bytes32(0);
        bytes32[] memory leaves = messageLeaves;
        return MerkleRef.root(leaves, count);
    }

    /// @dev What an output of the current L2 state carries: its withdrawal root, processed message count,
    /// consumed-message root (`L2Bridge.l1MessageRoot()`) and withdrawal count. Leaves the chain at L1.
    function l2Summary()
        internal
        returns (bytes32 wRoot, uint64 processed, bytes32 consumedRoot, uint256 wCount)
    {
        onL2();
        wRoot = l2.withdrawalRoot();
        processed = l2.l1MessagesProcessed();
        consumedRoot = l2.l1MessageRoot();
        wCount = l2.withdrawalCount();
        onL1();
    }

    /// @dev The proposer posts an honest output of the current L2 state, with the root of the L1 messages L2
    /// consumed (`L2Bridge.l1MessageRoot()`, the root L1 committed for that count when L2 relayed them).
    function proposeOutput() internal returns (uint256 index) {
        (bytes32 wRoot, uint64 processed, bytes32 consumedRoot, uint256 wCount) = l2Summary();
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        index = oracle.propose{value: PROPOSER_BOND}(
            nextL2Block,
            keccak256(abi.encode("block", nextL2Block)),
            keccak256(abi.encode("state", nextL2Block)),
            wRoot,
            processed,
            consumedRoot
        );
        ++nextL2Block;
        outputWithdrawalCount[index] = wCount;
    }

    function proposeAndFinalize() internal returns (uint256 index) {
        index = proposeOutput();
        vm.warp(block.timestamp + CHALLENGE_PERIOD);
    }

    function withdrawalProof(uint256 nonce, uint256 count) internal view returns (bytes32[] memory) {
        bytes32[] memory leaves = withdrawalLeaves;
        return MerkleRef.proof(leaves, count, nonce);
    }

    function withdrawalProofAt(uint256 nonce, uint256 outputIndex) internal view returns (bytes32[] memory) {
        return withdrawalProof(nonce, outputWithdrawalCount[outputIndex]);
    }

    function bridged(address l1Token) internal returns (BridgedToken t) {
        onL2();
        t = BridgedToken(l2.bridgedToken(l1Token));
        onL1();
    }
}
