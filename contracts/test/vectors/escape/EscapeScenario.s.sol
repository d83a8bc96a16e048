// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Vm} from "../../utils/Vm.sol";
import {MerkleRef} from "../../utils/MerkleRef.sol";
import {EscapeScenario} from "../../utils/EscapeScenario.sol";
import {L2Bridge} from "../../../src/L2Bridge.sol";
import {L1RootOracle} from "../../../src/L1RootOracle.sol";
import {IL2Bridge} from "../../../src/interfaces/IL2Bridge.sol";
import {L1Message} from "../../../src/Types.sol";

/// @notice Plays the L2 side of EscapeScenario on a real chain (anvil, chain id 901) with real
/// transactions: `run(1)` deploys the L2 contracts and reaches state A, `run(2)` state B, `run(3)` state C.
/// Driven by `generate.sh`, which reads state roots and `eth_getProof` proofs after each phase.
contract EscapeScenarioScript {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run(uint256 phase) external {
        if (phase == 1) {
            _deploy();
            _relay(0, EscapeScenario.PROCESSED_A);
            _withdraw("alice", address(0), 1 ether);
            vm.startBroadcast(EscapeScenario.key("carol"));
            require(IERC20(_l2Token(EscapeScenario.l1Token())).transfer(EscapeScenario.user("dave"), 20e18));
            vm.stopBroadcast();
        } else if (phase == 2) {
            _relay(EscapeScenario.PROCESSED_A, EscapeScenario.PROCESSED_B);
            _withdraw("alice", EscapeScenario.l1Token(), 100e18);
        } else if (phase == 3) {
            _relay(EscapeScenario.PROCESSED_B, EscapeScenario.PROCESSED_C);
            _withdraw("alice", address(0), 2 ether);
        } else {
            revert("phase is 1, 2 or 3");
        }
    }

    function _deploy() internal {
        address deployer = EscapeScenario.l2Deployer();
        require(block.chainid == EscapeScenario.L2_CHAIN_ID, "run on chain 901");
        require(vm.getNonce(deployer) == 0, "fresh chain expected");
        vm.startBroadcast(EscapeScenario.L2_DEPLOYER_KEY);
        address rootImpl = address(new L1RootOracle());
        address l2Impl = address(new L2Bridge());
        new ERC1967Proxy(rootImpl, abi.encodeCall(L1RootOracle.initialize, (deployer, deployer)));
        new ERC1967Proxy(
            l2Impl,
            abi.encodeCall(
                L2Bridge.initialize,
                (IL2Bridge.InitParams({
                        governance: deployer,
                        rootOracle: EscapeScenario.rootOracle(),
                        l1ChainId: EscapeScenario.L1_CHAIN_ID,
                        l1Bridge: EscapeScenario.l1Bridge()
                    }))
            )
        );
        // Gas money for the users' own L2 transactions.
        string[3] memory users = ["alice", "carol", "dave"];
        for (uint256 i; i < users.length; ++i) {
            payable(EscapeScenario.user(users[i])).transfer(1 ether);
        }
        vm.stopBroadcast();
        require(L2Bridge(EscapeScenario.l2Bridge()).l1Bridge() == EscapeScenario.l1Bridge(), "addresses");
    }

    /// @dev Publishes the root of the first `to` messages and relays messages `from..to-1` against it.
    function _relay(uint256 from, uint256 to) internal {
        L1Message[] memory all = EscapeScenario.messages();
        bytes32[] memory leaves = EscapeScenario.leaves();
        bytes32 root = MerkleRef.root(leaves, to);
        L1Message[] memory batch = new L1Message[](to - from);
        bytes32[][] memory proofs = new bytes32[][](to - from);
        for (uint256 i = from; i < to; ++i) {
            batch[i - from] = all[i];
            proofs[i - from] = MerkleRef.proof(leaves, to, i);
        }
        vm.startBroadcast(EscapeScenario.L2_DEPLOYER_KEY);
        L1RootOracle(EscapeScenario.rootOracle()).publishRoot(root, uint64(to));
        L2Bridge(EscapeScenario.l2Bridge()).relayMessages(batch, root, proofs);
        vm.stopBroadcast();
    }

    function _withdraw(string memory who, address l1Token, uint256 amount) internal {
        vm.startBroadcast(EscapeScenario.key(who));
        L2Bridge(EscapeScenario.l2Bridge()).withdraw(l1Token, EscapeScenario.user(who), amount);
        vm.stopBroadcast();
    }

    function _l2Token(address l1Token) internal view returns (address) {
        return L2Bridge(EscapeScenario.l2Bridge()).bridgedToken(l1Token);
    }
}
