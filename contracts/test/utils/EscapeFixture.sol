// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

import {Fixture} from "./Fixture.sol";
import {EscapeScenario} from "./EscapeScenario.sol";
import {MerkleRef} from "./MerkleRef.sol";
import {L1Bridge} from "../../src/L1Bridge.sol";
import {OutputOracle} from "../../src/OutputOracle.sol";
import {TestToken} from "../../src/devnet/TestToken.sol";
import {IL1Bridge} from "../../src/interfaces/IL1Bridge.sol";
import {IL2Bridge} from "../../src/interfaces/IL2Bridge.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice The L1 side of EscapeScenario against the real-anvil vectors in `test/vectors/escape-vectors.json`
/// (written by `test/vectors/escape/generate.sh`). Only L1 runs in this EVM: the L1 contracts are deployed
/// at the scenario's addresses (so `l2TokenFor` names the tokens anvil deployed), the scenario's L1 messages
/// are sent for real (and must produce the leaves anvil's L2 bridge accepted), and outputs carry the state
/// roots, withdrawal roots and message counts anvil reported.
///
/// Vector layout: `.l2Bridge`; `.A`, `.B`, `.C` one object per L2 state with `blockNumber`, `stateRoot`,
/// `withdrawalRoot`, `withdrawalCount`, `l1MessagesProcessed`, and per bridged token (`.eth`, `.tt`):
/// `address`, `storageHash`, `accountProof` (eth_getProof), `slots`/`values` (balance slots of the five users
/// and slots 2..4, words), and per user (`.alice` ... `.erin`) and `.totalSupply`: `slot`, `value`, `proof`
/// (the storage proof). A zero value comes with an exclusion proof.
abstract contract EscapeFixture is Fixture {
    string internal vectors;
    address internal carol = _named("carol");
    address internal dave = _named("dave");
    address internal erin = _named("erin");

    /// @dev Every L1 message of the scenario sent so far (Fixture records them in sentMessages).
    uint256 internal scenarioSent;

    function setUp() public virtual override {
        vm.warp(START_TIME);
        onL1();
        vectors = vm.readFile("test/vectors/escape-vectors.json");
        address deployer = EscapeScenario.l1Deployer();
        vm.startPrank(deployer);
        address l1Impl = address(new L1Bridge());
        address oracleImpl = address(new OutputOracle());
        IL1Bridge.InitParams memory p = l1Params(EscapeScenario.outputOracle(), EscapeScenario.l2Bridge());
        l1 = L1Bridge(payable(address(new ERC1967Proxy(l1Impl, abi.encodeCall(L1Bridge.initialize, (p))))));
        oracle = OutputOracle(
            address(
                new ERC1967Proxy(
                    oracleImpl, abi.encodeCall(OutputOracle.initialize, (oracleParams(address(l1))))
                )
            )
        );
        token = new TestToken("Test Token", "TT");
        vm.stopPrank();
        require(address(l1) == EscapeScenario.l1Bridge(), "fixture: L1 bridge address");
        require(address(oracle) == EscapeScenario.outputOracle(), "fixture: oracle address");
        require(address(token) == EscapeScenario.l1Token(), "fixture: L1 token address");
        require(
            vm.parseJsonAddress(vectors, ".l2Bridge") == EscapeScenario.l2Bridge(),
            "escape-vectors.json is stale: rerun test/vectors/escape/generate.sh"
        );
        vm.label(address(l1), "L1Bridge");
        vm.label(address(oracle), "OutputOracle");
        vm.label(address(token), "TT");
    }

    // ------------------------------------------------------------------------------------------------
    // L1 messages of the scenario
    // ------------------------------------------------------------------------------------------------

    /// @dev Sends the scenario's L1 messages up to (excluding) nonce `to`, in order, and checks each leaf
    /// against the one anvil's L2 bridge accepted.
    function sendScenario(uint256 to) internal {
        L1Message[] memory m = EscapeScenario.messages();
        bytes32[] memory expected = EscapeScenario.leaves();
        for (uint256 i = scenarioSent; i < to; ++i) {
            if (m[i].kind == 2) {
                requestForced(m[i].sender, m[i].token, m[i].amount);
            } else if (m[i].token == address(0)) {
                depositETH(m[i].sender, m[i].recipient, m[i].amount);
            } else {
                depositToken(m[i].token, m[i].sender, m[i].recipient, m[i].amount);
            }
            require(messageLeaves[i] == expected[i], "fixture: L1 leaf differs from the scenario's");
            // L1 commits its root at every count an L2 state of the scenario processed (A, B, C), as the
            // relayer did before L2 relayed the messages: outputs must carry a root L1 committed.
            if (
                i + 1 == EscapeScenario.PROCESSED_A || i + 1 == EscapeScenario.PROCESSED_B
                    || i + 1 == EscapeScenario.PROCESSED_C
            ) l1.commitMessageRoot();
        }
        scenarioSent = to;
    }

    // ------------------------------------------------------------------------------------------------
    // outputs from the vectors
    // ------------------------------------------------------------------------------------------------

    function stateRootOf(string memory state) internal view returns (bytes32) {
        return vm.parseJsonBytes32(vectors, string.concat(".", state, ".stateRoot"));
    }

    /// @dev The proposer posts L2 state `state` ("A", "B", "C") as the next output, optionally with another
    /// state root (for rewritten tries).
    function proposeState(string memory state, bytes32 stateRoot) internal returns (uint256 index) {
        onL1();
        string memory k = string.concat(".", state);
        uint64 blockNumber = uint64(vm.parseJsonUint(vectors, string.concat(k, ".blockNumber")));
        bytes32 wRoot = vm.parseJsonBytes32(vectors, string.concat(k, ".withdrawalRoot"));
        uint64 processed = uint64(vm.parseJsonUint(vectors, string.concat(k, ".l1MessagesProcessed")));
        vm.deal(proposer, proposer.balance + PROPOSER_BOND);
        vm.prank(proposer);
        index = oracle.propose{value: PROPOSER_BOND}(
            blockNumber,
            vm.parseJsonBytes32(vectors, string.concat(k, ".blockHash")),
            stateRoot,
            wRoot,
            processed,
            messageRootAt(processed)
        );
    }

    function proposeState(string memory state) internal returns (uint256) {
        return proposeState(state, stateRootOf(state));
    }

    /// @dev Account proof of the bridged `tok` ("eth" or "tt") and storage proof of `who`'s balance slot at
    /// `state`, with the balance anvil reported.
    function proofOf(string memory state, string memory tok, string memory who)
        internal
        view
        returns (bytes[] memory accountProof, bytes[] memory storageProof, uint256 balance)
    {
        string memory k = string.concat(".", state, ".", tok);
        accountProof = vm.parseJsonBytesArray(vectors, string.concat(k, ".accountProof"));
        storageProof = vm.parseJsonBytesArray(vectors, string.concat(k, ".", who, ".proof"));
        balance = vm.parseJsonUint(vectors, string.concat(k, ".", who, ".value"));
    }

    function l1TokenOf(string memory tok) internal view returns (address) {
        return keccak256(bytes(tok)) == keccak256("eth") ? address(0) : address(token);
    }

    // ------------------------------------------------------------------------------------------------
    // withdrawals of the scenario
    // ------------------------------------------------------------------------------------------------

    /// @dev Short proof of scenario withdrawal `nonce` in the withdrawal tree of state `state`.
    function scenarioWithdrawalProof(uint256 nonce, string memory state)
        internal
        view
        returns (bytes32[] memory)
    {
        uint256 count = vm.parseJsonUint(vectors, string.concat(".", state, ".withdrawalCount"));
        return MerkleRef.proof(EscapeScenario.withdrawalLeaves(), count, nonce);
    }

    function scenarioWithdrawal(uint256 nonce) internal pure returns (IL1Bridge.Withdrawal memory) {
        return EscapeScenario.withdrawals()[nonce];
    }

    /// @dev The L1 message `nonce` as IL1Bridge's struct (for refundDeposit).
    function sentAsL1(uint256 nonce) internal view returns (L1Message memory) {
        return sentMessages[nonce];
    }

    /// @dev Short proof of L1 message `nonce` in the full message tree as it stands.
    function messageProof(uint256 nonce) internal view returns (bytes32[] memory) {
        bytes32[] memory leaves = messageLeaves;
        return MerkleRef.proof(leaves, leaves.length, nonce);
    }
}
