// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L1Message} from "../Types.sol";
import {IGoverned} from "./IGoverned.sol";

/// @title L2 side of Drawbridge: processes L1 messages in order, mints and burns bridged tokens.
/// @dev Governance (`setGovernance`, `governance`, `GovernanceChanged`, `NotGovernance`, `InvalidParameters`)
/// comes from `IGoverned`; `L1Message` is the file-level struct of `Types.sol`.
interface IL2Bridge is IGoverned {
    struct InitParams {
        address governance;
        address rootOracle;
        uint256 l1ChainId;
        address l1Bridge;
    }

    /// @notice L1 message `nonce` was processed; `leaf` is its leaf as L2 hashed it (compare it with L1's leaf at
    /// `nonce`) and now the last leaf of the consumed-message tree (`l1MessageRoot`).
    event MessageProcessed(
        uint64 indexed nonce,
        uint8 indexed kind,
        address indexed recipient,
        address l2Token,
        uint256 amount,
        bytes32 leaf
    );
    event BridgedTokenDeployed(
        address indexed l1Token, address indexed l2Token, string name, string symbol, uint8 decimals
    );
    event WithdrawalInitiated(
        uint64 indexed nonce,
        address indexed sender,
        address indexed recipient,
        address l1Token,
        uint256 amount,
        bytes32 leaf
    );

    /// @notice Forced withdrawal `nonce` was processed: `burnt = min(requested, balance)` of the bridged
    /// `l1Token` was burnt from `account` and, when non-zero, recorded as a withdrawal to `account` on L1.
    event ForcedWithdrawalProcessed(
        uint64 indexed nonce,
        address indexed account,
        address indexed l1Token,
        uint256 requested,
        uint256 burnt
    );

    error UnknownRoot(bytes32 root);
    error OutOfOrder(uint64 nonce, uint64 expected);
    error InvalidProof(uint64 nonce);
    error LengthMismatch();
    error EmptyBatch();
    error UnknownMessageKind(uint8 kind);
    error UnknownToken(address l1Token);
    error ZeroAmount();
    error ZeroRecipient();

    /// @notice Processes the next messages in nonce order, each proven against `root`.
    function relayMessages(L1Message[] calldata messages, bytes32 root, bytes32[][] calldata proofs) external;
    /// @notice Burns `amount` of the bridged `l1Token` and queues a withdrawal to `l1Recipient`.
    function withdraw(address l1Token, address l1Recipient, uint256 amount) external returns (uint64 nonce);

    /// @notice Number of L1 messages processed; the next one to process has this nonce.
    function l1MessagesProcessed() external view returns (uint64);
    /// @notice Number of withdrawals recorded; the next one gets this nonce.
    function withdrawalCount() external view returns (uint64);
    /// @notice Root of the withdrawal tree as it stands now (computed on demand).
    function withdrawalRoot() external view returns (bytes32);
    /// @notice Root of the tree of L1 message leaves processed so far (the same tree as L1's message tree,
    /// so it equals L1's root for `l1MessagesProcessed` messages exactly when L2 consumed L1's messages);
    /// zero while none was processed. Outputs carry it.
    function l1MessageRoot() external view returns (bytes32);
    /// @notice BridgedToken of `l1Token`, zero before its first deposit was processed.
    function bridgedToken(address l1Token) external view returns (address);
    /// @notice L1 token of a BridgedToken (zero for ETH and for unknown addresses).
    function l1Token(address l2Token) external view returns (address);
    /// @notice Leaf of `message` under this deployment's L1 chain id and L1 bridge.
    function l1MessageLeaf(L1Message calldata message) external view returns (bytes32);
    /// @notice The L1RootOracle whose roots messages are proven against.
    function rootOracle() external view returns (address);
    /// @notice Chain id of L1 (the sourceChainId of L1 message leaves).
    function l1ChainId() external view returns (uint256);
    /// @notice The L1Bridge.
    function l1Bridge() external view returns (address);

    // ---- Added beyond the original interface (see docs/design.md "Interface additions") ----

    /// @notice Parameters of the BridgedToken being deployed; the token's constructor reads them back.
    /// Only meaningful during that deployment (empty otherwise).
    function bridgedTokenParams()
        external
        view
        returns (address l1Token, string memory name, string memory symbol, uint8 decimals);
    /// @notice CREATE2 address of the BridgedToken for `l1Token`, whether deployed yet or not.
    function predictBridgedToken(address l1Token) external view returns (address);
}
