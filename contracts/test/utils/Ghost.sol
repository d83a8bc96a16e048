// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Vm.sol";
import {MerkleRef} from "./MerkleRef.sol";
import {L1Message} from "../../src/Types.sol";

/// @notice Ghost bookkeeping shared by the fixtures and the invariant handlers: the L1 messages read back
/// from L1Bridge's MessageSent events, and relay batches of them with their proofs.
library Ghost {
    bytes32 internal constant MESSAGE_SENT_TOPIC =
        keccak256("MessageSent(uint64,uint8,address,address,address,uint256,bytes,bytes32)");

    /// @notice Appends the message and leaf of every MessageSent event of `l1` in `logs` to `messages` and
    /// `leaves`; with `inOrder`, a nonce other than the next one reverts with `orderError`.
    function recordSent(
        Vm.Log[] memory logs,
        address l1,
        L1Message[] storage messages,
        bytes32[] storage leaves,
        bool inOrder,
        string memory orderError
    ) internal {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != l1 || logs[i].topics[0] != MESSAGE_SENT_TOPIC) {
                continue;
            }
            (address recipient, address tok, uint256 amount, bytes memory data, bytes32 leaf) =
                abi.decode(logs[i].data, (address, address, uint256, bytes, bytes32));
            uint64 nonce = uint64(uint256(logs[i].topics[1]));
            require(!inOrder || nonce == messages.length, orderError);
            messages.push(
                L1Message({
                    kind: uint8(uint256(logs[i].topics[2])),
                    nonce: nonce,
                    sender: address(uint160(uint256(logs[i].topics[3]))),
                    recipient: recipient,
                    token: tok,
                    amount: amount,
                    data: data
                })
            );
            leaves.push(leaf);
        }
    }

    /// @notice Messages `[from, to)` of `messages` and their proofs under the root of the first `count` leaves.
    function batch(
        L1Message[] storage messages,
        bytes32[] storage leaves,
        uint256 from,
        uint256 to,
        uint256 count
    ) internal view returns (L1Message[] memory msgs, bytes32[][] memory proofs) {
        bytes32[] memory all = leaves;
        msgs = new L1Message[](to - from);
        proofs = new bytes32[][](to - from);
        for (uint256 i = from; i < to; ++i) {
            msgs[i - from] = messages[i];
            proofs[i - from] = MerkleRef.proof(all, count, i);
        }
    }
}
