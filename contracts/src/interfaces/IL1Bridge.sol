// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L1Message} from "../Types.sol";
import {IGoverned} from "./IGoverned.sol";

/// @title L1 side of Drawbridge: escrow, the L1->L2 message tree and withdrawal finalization.
/// @dev Governance (`setGovernance`, `governance`, `GovernanceChanged`, `NotGovernance`, `InvalidParameters`)
/// comes from `IGoverned`; `L1Message` is the file-level struct of `Types.sol`.
interface IL1Bridge is IGoverned {
    /// @notice A withdrawal as recorded in the L2 withdrawal tree.
    struct Withdrawal {
        uint64 nonce;
        address sender;
        address recipient;
        address l1Token;
        uint256 amount;
    }

    /// @notice One item of a batch finalization.
    struct WithdrawalClaim {
        Withdrawal withdrawal;
        bytes32[] proof;
    }

    /// @notice Initialization parameters (proxy init data).
    struct InitParams {
        address governance;
        address pauser;
        address outputOracle;
        uint256 l2ChainId;
        address l2Bridge;
        uint64 maxPause;
        uint64 pauseCooldown;
        /// @notice Added: seconds the operator has to process a forced withdrawal (`1..=365 days`).
        uint64 forcedInclusionWindow;
    }

    event MessageSent(
        uint64 indexed nonce,
        uint8 indexed kind,
        address indexed sender,
        address recipient,
        address token,
        uint256 amount,
        bytes data,
        bytes32 leaf
    );
    event MessageRootCommitted(bytes32 indexed root, uint64 count);
    event TokenAnnounced(address indexed token, string name, string symbol, uint8 decimals);
    event WithdrawalFinalized(
        uint64 indexed nonce,
        address indexed recipient,
        address indexed l1Token,
        uint256 amount,
        uint256 outputIndex
    );
    event Paused(uint64 until);
    event Unpaused();
    event PauserChanged(address pauser);
    event PauseBoundsChanged(uint64 maxPause, uint64 pauseCooldown);
    /// @notice Added: the `withdrawalRoot` of a settled output was cached (see `cacheOutputRoot`).
    event OutputRootCached(uint256 indexed outputIndex, bytes32 withdrawalRoot);
    /// @notice A forced withdrawal became L1 message `nonce`; anyone may freeze from `freezeAt` on unless a
    /// final output has processed it by then.
    event ForcedWithdrawalRequested(
        uint64 indexed nonce, address indexed account, address indexed token, uint256 amount, uint64 freezeAt
    );
    /// @notice The bridge froze because forced withdrawal `forcedNonce` was overdue; the escape output is the
    /// newest output that was final at that moment (`hasEscapeOutput` false when none ever was).
    event Frozen(
        uint64 indexed forcedNonce,
        bool hasEscapeOutput,
        uint256 escapeOutputIndex,
        bytes32 l2StateRoot,
        bytes32 withdrawalRoot,
        uint64 l1MessagesProcessed
    );
    /// @notice The L2 balance of `account` in the bridged `l1Token` at the escape output was paid on L1.
    event Escaped(address indexed l1Token, address indexed account, uint256 amount);
    /// @notice Added: the first escape of `l1Token` proved its token contract's storage root under the escape
    /// state root; later escapes of that token may omit the account proof.
    event EscapeStorageRootProven(address indexed l1Token, bytes32 storageRoot);
    /// @notice A deposit the escape output had not processed was paid back to its L1 sender.
    event DepositRefunded(
        uint64 indexed nonce, address indexed sender, address indexed token, uint256 amount
    );

    error ZeroAmount();
    error ZeroRecipient();
    error InvalidToken(address token);
    error NothingArrived();
    error BridgePaused(uint64 until);
    error NotPauser();
    error PauseTooLong(uint64 duration, uint64 maxPause);
    error PauseCooldown(uint64 availableAt);
    error NotPaused();
    error NoMessages();
    error OutputNotFinal(uint256 outputIndex);
    error InvalidProof();
    error AlreadyFinalized(uint64 nonce);
    error EthTransferFailed(address recipient);
    error EmptyBatch();
    /// @notice Added: `cacheOutputRoot` needs a settled output (final and past its challenge window).
    error OutputNotSettled(uint256 outputIndex);
    /// @notice Added: deposits and forced withdrawal requests are refused once the bridge is frozen.
    error BridgeFrozen();
    /// @notice Added: a withdrawal asks for more than the bridge holds in escrow for its token.
    error InsufficientEscrow(address token, uint256 amount, uint256 available);
    /// @notice `freeze`: the forced withdrawal is not overdue (too early, or a final output processed it).
    error NotOverdue(uint64 forcedNonce);
    /// @notice `freeze`: message `nonce` is not a forced withdrawal.
    error NotForcedWithdrawal(uint64 nonce);
    /// @notice `escape` and `refundDeposit` need a frozen bridge.
    error NotFrozen();
    /// @notice `escape`: no output was final when the bridge froze, so there is no L2 state to prove against.
    error NoEscapeOutput();
    /// @notice `escape`: this (token, account) was paid already.
    error AlreadyEscaped(address l1Token, address account);
    /// @notice `escape`: the proven balance is zero.
    error NothingToEscape();
    /// @notice `escape`: the account or storage proof does not prove the balance slot under the escape root.
    error InvalidStateProof();
    /// @notice `refundDeposit`: the escape output processed this message on L2.
    error MessageWasProcessed(uint64 nonce);
    /// @notice `refundDeposit`: message `nonce` is not a deposit.
    error NotADeposit(uint64 nonce);
    /// @notice `refundDeposit`: this deposit was refunded already.
    error AlreadyRefunded(uint64 nonce);
    /// @notice Withdrawal finalization after the freeze: only outputs up to the escape output count.
    error OutputAfterEscape(uint256 outputIndex);
    /// @notice Forced withdrawals and escapes move the L2 funds of the caller's own address, which only an
    /// externally owned account controls on both chains (a contract's address may belong to someone else on L2).
    error SenderNotEOA(address sender);

    /// @notice Deposits `msg.value` ETH for `l2Recipient`.
    function depositETH(address l2Recipient) external payable returns (uint64 nonce);
    /// @notice Deposits `amount` of `token` (approved beforehand) for `l2Recipient`; credits what arrived.
    function depositERC20(address token, address l2Recipient, uint256 amount) external returns (uint64 nonce);
    /// @notice Records the current message root so that it can be published to L2. Anyone may call.
    function commitMessageRoot() external returns (bytes32 root, uint64 count);
    /// @notice Pays a withdrawal proven against the `withdrawalRoot` of the final output `outputIndex`.
    function finalizeWithdrawal(Withdrawal calldata withdrawal, uint256 outputIndex, bytes32[] calldata proof)
        external;
    /// @notice Pays many withdrawals proven against one final output.
    function finalizeWithdrawals(WithdrawalClaim[] calldata claims, uint256 outputIndex) external;
    /// @notice Pauses deposits and withdrawal finalization for `duration` seconds (pauser only, bounded).
    /// Never stops forced withdrawals, freeze, escape, refunds, or finalization after the freeze.
    function pause(uint64 duration) external;
    /// @notice Ends a pause early (pauser only).
    function unpause() external;

    /// @notice Number of L1->L2 messages sent so far; the next message gets this nonce.
    function messageCount() external view returns (uint64);
    /// @notice Root of the message tree as it stands now (not necessarily committed).
    function messageRoot() external view returns (bytes32);
    /// @notice Number of messages a committed root covers, zero for a root this bridge never committed.
    function messageRootCount(bytes32 root) external view returns (uint64);
    /// @notice Whether the withdrawal with this nonce has been paid.
    function isWithdrawalFinalized(uint64 nonce) external view returns (bool);
    /// @notice Leaf of a withdrawal under this deployment's L2 chain id and L2 bridge.
    function withdrawalLeaf(Withdrawal calldata withdrawal) external view returns (bytes32);
    /// @notice End of the current pause (0 or in the past when not paused).
    function pausedUntil() external view returns (uint64);
    /// @notice Escrowed amount per L1 token (`address(0)` for ETH).
    function escrowed(address token) external view returns (uint256);
    /// @notice The EscapeHatch whose code `freeze`, `escape` and `refundDeposit` run (by delegatecall, on this
    /// bridge's storage); deployed by this implementation.
    function escapeHatch() external view returns (address);
    /// @notice The OutputOracle whose final outputs withdrawals are proven against.
    function outputOracle() external view returns (address);
    /// @notice Chain id of the L2 (the sourceChainId of withdrawal leaves).
    function l2ChainId() external view returns (uint256);
    /// @notice The L2Bridge (the sourceBridge of withdrawal leaves).
    function l2Bridge() external view returns (address);
    /// @notice The account that may pause (the security council).
    function pauser() external view returns (address);

    // ---- Added beyond the original interface (see docs/design.md) ----

    /// @notice Changes the pauser (governance only).
    function setPauser(address newPauser) external;
    /// @notice Changes the pause bounds (governance only); both must be non-zero.
    function setPauseBounds(uint64 newMaxPause, uint64 newPauseCooldown) external;
    /// @notice Whether the bridge is frozen (no deposits, no forced requests, no new outputs). Terminal.
    function frozen() external view returns (bool);
    /// @notice The most recently committed message root and the number of messages it covers (zero before any commit).
    function lastCommittedRoot() external view returns (bytes32 root, uint64 count);
    /// @notice Whether a deposit of `token` has already carried its metadata to L2.
    function isTokenAnnounced(address token) external view returns (bool);
    /// @notice Caches the `withdrawalRoot` of a settled output (final and past its own challenge window, so it
    /// can never change again) so that later finalizations against it skip the OutputOracle call. Anyone may
    /// call; `finalizeWithdrawals` does it by itself. Idempotent.
    function cacheOutputRoot(uint256 outputIndex) external returns (bytes32 withdrawalRoot);
    /// @notice The cached `withdrawalRoot` of output `outputIndex`, zero when not cached.
    function cachedOutputRoot(uint256 outputIndex) external view returns (bytes32);
    /// @notice Longest pause allowed, in seconds.
    function maxPause() external view returns (uint64);
    /// @notice Seconds that must pass after a pause ended before the next one.
    function pauseCooldown() external view returns (uint64);

    // ---- Forced withdrawal, freeze, escape (docs/design.md "Forced withdrawal, freeze and escape") ----

    /// @notice Asks L2 to withdraw up to `amount` of the bridged `token` (`address(0)` = ETH) held by the L2
    /// account `msg.sender` to the same address on L1, as L1 message of kind 2. Not stopped by a pause;
    /// reverts `BridgeFrozen` once frozen, `ZeroAmount`, `InvalidToken` for a token never deposited,
    /// `SenderNotEOA` unless `msg.sender == tx.origin` (only a key controls the same address on both chains).
    function requestForcedWithdrawal(address token, uint256 amount) external returns (uint64 nonce);
    /// @notice `requestedAt + forcedInclusionWindow + OutputOracle.challengePeriod()` of forced withdrawal
    /// `nonce`; 0 if `nonce` is not a forced withdrawal.
    function forcedWithdrawalFreezeAt(uint64 nonce) external view returns (uint64);
    /// @notice Whether `freeze(forcedNonce)` would succeed now.
    function canFreeze(uint64 forcedNonce) external view returns (bool);
    /// @notice Freezes the bridge for good once forced withdrawal `forcedNonce` is overdue: its freeze time has
    /// come and no final output has `l1MessagesProcessed > forcedNonce`; while an output proposed within the
    /// forced-inclusion window covers it but awaits a verdict, not before `councilResponseWindow` more has
    /// passed. Anyone may call; not stopped by a pause. Snapshots the newest final output as the escape output.
    function freeze(uint64 forcedNonce) external;
    /// @notice The escape output snapshotted by `freeze` (all zero before the freeze).
    function escapeOutput()
        external
        view
        returns (
            bool hasEscapeOutput,
            uint256 outputIndex,
            bytes32 l2StateRoot,
            bytes32 withdrawalRoot,
            uint64 l1MessagesProcessed
        );
    /// @notice Pays `account` on L1 its L2 balance of the bridged `l1Token` at the escape output, proven by
    /// `eth_getProof`'s account proof of the token contract and storage proof of the balance slot under the
    /// escape output's `l2StateRoot`. Once per (token, account); not stopped by a pause. Only `account` itself,
    /// as an externally owned account (`msg.sender == tx.origin == account`, else `SenderNotEOA`): its key is
    /// what controls the address on L2 too.
    function escape(
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external returns (uint256 amount);
    /// @notice Proves and stores the storage root of `l1Token`'s bridged token under the escape output's
    /// `l2StateRoot` (what `escape` does on a token's first claim), so that every escape of the token needs
    /// only a storage proof: with mainnet-depth tries one escape carrying both proofs costs about 350,000 gas
    /// (its calldata alone), split this way each transaction stays under 250,000. Anyone; once per token
    /// (later calls return the stored root).
    function proveEscapeStorageRoot(address l1Token, bytes[] calldata accountProof)
        external
        returns (bytes32 storageRoot);
    /// @notice Whether `account`'s balance of `l1Token` was paid by `escape`.
    function hasEscaped(address l1Token, address account) external view returns (bool);
    /// @notice After the freeze, pays a deposit the escape output had not processed back to its L1 sender,
    /// proven against the message tree as it stands (`messageRoot()`). Once per nonce; anyone may submit.
    function refundDeposit(L1Message calldata message, bytes32[] calldata proof) external;
    /// @notice Whether deposit `nonce` was refunded.
    function isRefunded(uint64 nonce) external view returns (bool);
    /// @notice CREATE2 address of the BridgedToken of `l1Token` on L2, whether deployed yet or not.
    function l2TokenFor(address l1Token) external view returns (address);
    /// @notice Seconds the operator has to process a forced withdrawal before the challenge period starts to
    /// count towards its freeze time.
    function forcedInclusionWindow() external view returns (uint64);
    /// @notice Added: the L2 balance of `account` in the bridged `l1Token` proven under `l2StateRoot` (any
    /// state root, e.g. of a final output before the freeze: an exit prover checks its proofs with it).
    /// Reverts `InvalidStateProof` (or an RLP decoding error of OpenZeppelin's RLP) for an invalid proof.
    function verifyL2Balance(
        bytes32 l2StateRoot,
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external view returns (uint256 balance);
    /// @notice Added: the storage root of the bridged `l1Token`'s contract proven by `accountProof` under
    /// `l2StateRoot` (first half of `verifyL2Balance`).
    function l2TokenStorageRoot(bytes32 l2StateRoot, address l1Token, bytes[] calldata accountProof)
        external
        view
        returns (bytes32 storageRoot);
    /// @notice Added: the BridgedToken balance of `account` proven by `storageProof` under a token's
    /// `storageRoot` (second half of `verifyL2Balance`).
    function l2BalanceUnder(bytes32 storageRoot, address account, bytes[] calldata storageProof)
        external
        view
        returns (uint256 balance);
    /// @notice Added: the storage root of the bridged `l1Token` proven under the escape state root by an
    /// earlier escape (zero before): once set, `escape` of that token accepts an empty `accountProof`.
    function escapeStorageRoot(address l1Token) external view returns (bytes32);
}
