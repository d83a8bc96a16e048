// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IL1Bridge} from "./interfaces/IL1Bridge.sol";
import {L1Message} from "./Types.sol";
import {IncrementalMerkle} from "./lib/IncrementalMerkle.sol";
import {Hashing} from "./lib/Hashing.sol";
import {MerklePatriciaProof} from "./lib/MerklePatriciaProof.sol";
import {L1BridgeState} from "./L1BridgeState.sol";
import {IOutputOracle} from "./interfaces/IOutputOracle.sol";

/// @title The L1 bridge's freeze and the code for after it: escape against Merkle-Patricia proofs and
/// deposit refunds.
/// @notice Deployed by each L1Bridge implementation's constructor and run by the bridge with delegatecall,
/// on the bridge's storage (L1BridgeState): the bridge with this code would exceed the 24,576-byte code size
/// limit of EIP-170. Calling `freeze`, `escape` or `refundDeposit` on the hatch itself reverts `DirectCall`; the proof
/// checks `tokenStorageRoot` and `balanceUnder` are pure and open to anyone.
contract EscapeHatch is L1BridgeState, ReentrancyGuardTransient {
    using IncrementalMerkle for IncrementalMerkle.Tree;

    /// @notice `freeze`, `escape` or `refundDeposit` called on the hatch instead of through the bridge.
    error DirectCall();

    /// @dev The hatch's own address, to tell a delegatecall from a direct call and to call its proof checks.
    address private immutable SELF;

    /// @dev keccak256 of BridgedToken's creation code (see L1Bridge).
    bytes32 private immutable BRIDGED_TOKEN_CODE_HASH;

    /// @param bridgedTokenCodeHash keccak256 of BridgedToken's creation code, the L2 tokens' CREATE2 init code.
    constructor(bytes32 bridgedTokenCodeHash) {
        SELF = address(this);
        BRIDGED_TOKEN_CODE_HASH = bridgedTokenCodeHash;
    }

    modifier onlyDelegated() {
        if (address(this) == SELF) revert DirectCall();
        _;
    }

    /// @notice `IL1Bridge.freeze`, run on the bridge's storage.
    /// @dev Anyone; not stopped by a pause. `BridgeFrozen` if already frozen, `NotForcedWithdrawal` for
    /// another nonce, `NotOverdue` before the freeze time or when the newest final output (outputs'
    /// `l1MessagesProcessed` never decreases, so it has the largest) processed the forced withdrawal, and
    /// `councilResponseWindow` longer while a timely output covering it awaits a verdict. The snapshot is the
    /// newest final output: finality never goes backwards, so it is at least every output already paid against.
    function freeze(uint64 forcedNonce) external onlyDelegated {
        L1BridgeStorage storage $ = _s();
        if ($.frozen) revert IL1Bridge.BridgeFrozen();
        uint64 requestedAt = $.forcedRequestedAt[forcedNonce];
        if (requestedAt == 0) revert IL1Bridge.NotForcedWithdrawal(forcedNonce);
        if (block.timestamp < _freezeAt($, requestedAt)) revert IL1Bridge.NotOverdue(forcedNonce);
        (bool has, uint256 index, IOutputOracle.Output memory o) = _newestFinalOutput($.outputOracle);
        if (has && o.l1MessagesProcessed > forcedNonce) revert IL1Bridge.NotOverdue(forcedNonce);
        if (block.timestamp < _freezeAtWithVerdict($, forcedNonce, requestedAt)) {
            revert IL1Bridge.NotOverdue(forcedNonce);
        }
        $.frozen = true;
        if (has) {
            $.hasEscapeOutput = true;
            $.escapeOutputIndex = uint64(index); // the oracle counts outputs in a uint64
            $.escapeMessagesProcessed = o.l1MessagesProcessed;
            $.escapeStateRoot = o.l2StateRoot;
            $.escapeWithdrawalRoot = o.withdrawalRoot;
        }
        emit IL1Bridge.Frozen(forcedNonce, has, index, o.l2StateRoot, o.withdrawalRoot, o.l1MessagesProcessed);
    }

    /// @notice `IL1Bridge.escape`, run on the bridge's storage.
    /// @dev Reverts `NotFrozen`, `NoEscapeOutput`, `AlreadyEscaped`, `InvalidStateProof` (any proof failure,
    /// including RLP the proof libraries cannot decode), `NothingToEscape`, `InsufficientEscrow`,
    /// `EthTransferFailed`, `SenderNotEOA` unless sent by `account` itself as an externally owned account.
    /// Pays `account` (the L2 account's own address on L1).
    /// The first escape of a token with a (non-empty, verified) account proof stores the token's storage
    /// root (`escapeStorageRoot`); later escapes of that token may pass an empty `accountProof`, which halves
    /// their calldata. A non-empty account proof is always verified.
    function escape(
        address l1Token,
        address account,
        bytes[] calldata accountProof,
        bytes[] calldata storageProof
    ) external onlyDelegated nonReentrant returns (uint256 amount) {
        // Only the key of `account` claims its L2 balance: an externally owned account is the same owner on
        // both chains, a contract address need not be (cross-chain address replay).
        // slither-disable-next-line tx-origin
        if (msg.sender != account || tx.origin != account) revert IL1Bridge.SenderNotEOA(msg.sender);
        L1BridgeStorage storage $ = _s();
        if (!$.frozen) revert IL1Bridge.NotFrozen();
        if (!$.hasEscapeOutput) revert IL1Bridge.NoEscapeOutput();
        if ($.escaped[l1Token][account]) revert IL1Bridge.AlreadyEscaped(l1Token, account);
        bytes32 storageRoot = $.escapeStorageRoots[l1Token];
        if (accountProof.length != 0) {
            bytes32 proven = _proveStorageRoot($, l1Token, accountProof);
            if (storageRoot == bytes32(0)) _storeStorageRoot($, l1Token, proven);
            storageRoot = proven; // equal to a stored root: both were proven under the same state root
        } else if (storageRoot == bytes32(0)) {
            revert IL1Bridge.InvalidStateProof();
        }
        // An external call to the hatch's own address, so that any revert inside it is InvalidStateProof.
        EscapeHatch self = EscapeHatch(SELF);
        try self.balanceUnder(storageRoot, account, storageProof) returns (uint256 balance) {
            amount = balance;
        } catch {
            revert IL1Bridge.InvalidStateProof();
        }
        if (amount == 0) revert IL1Bridge.NothingToEscape();
        $.escaped[l1Token][account] = true;
        _takeFromEscrow($, l1Token, amount);
        emit IL1Bridge.Escaped(l1Token, account, amount);
        _pay(l1Token, account, amount);
    }

    /// @notice `IL1Bridge.proveEscapeStorageRoot`, run on the bridge's storage.
    /// @dev Reverts `NotFrozen`, `NoEscapeOutput`, `InvalidStateProof`. Returns the stored root without
    /// checking `accountProof` when the token's root is already proven.
    function proveEscapeStorageRoot(address l1Token, bytes[] calldata accountProof)
        external
        onlyDelegated
        nonReentrant
        returns (bytes32 storageRoot)
    {
        L1BridgeStorage storage $ = _s();
        if (!$.frozen) revert IL1Bridge.NotFrozen();
        if (!$.hasEscapeOutput) revert IL1Bridge.NoEscapeOutput();
        storageRoot = $.escapeStorageRoots[l1Token];
        if (storageRoot != bytes32(0)) return storageRoot;
        storageRoot = _proveStorageRoot($, l1Token, accountProof);
        _storeStorageRoot($, l1Token, storageRoot);
    }

    /// @dev Storage root of `l1Token`'s bridged token under the escape state root (external call to the hatch's
    /// own address, so that any revert inside it is InvalidStateProof).
    function _proveStorageRoot(L1BridgeStorage storage $, address l1Token, bytes[] calldata accountProof)
        private
        view
        returns (bytes32)
    {
        address l2Token = _l2TokenFor(BRIDGED_TOKEN_CODE_HASH, $.l2Bridge, l1Token);
        try EscapeHatch(SELF).tokenStorageRoot($.escapeStateRoot, l2Token, accountProof) returns (bytes32 r) {
            return r;
        } catch {
            revert IL1Bridge.InvalidStateProof();
        }
    }

    function _storeStorageRoot(L1BridgeStorage storage $, address l1Token, bytes32 storageRoot) private {
        $.escapeStorageRoots[l1Token] = storageRoot;
        emit IL1Bridge.EscapeStorageRootProven(l1Token, storageRoot);
    }

    /// @notice `IL1Bridge.refundDeposit`, run on the bridge's storage.
    /// @dev `NotFrozen`, `NotADeposit`, `MessageWasProcessed` (nonce below the escape output's
    /// `l1MessagesProcessed`; all deposits are refundable when no output was ever final), `InvalidProof`
    /// (short proof against the current full tree, the same leaf as the deposit), `AlreadyRefunded`,
    /// `InsufficientEscrow`, `EthTransferFailed`. Pays `message.sender`, whoever submits.
    function refundDeposit(L1Message calldata message, bytes32[] calldata proof)
        external
        onlyDelegated
        nonReentrant
    {
        L1BridgeStorage storage $ = _s();
        if (!$.frozen) revert IL1Bridge.NotFrozen();
        uint64 nonce = message.nonce;
        if (message.kind != Hashing.KIND_DEPOSIT) revert IL1Bridge.NotADeposit(nonce);
        if (nonce < $.escapeMessagesProcessed) revert IL1Bridge.MessageWasProcessed(nonce);
        uint64 count = $.messageCount;
        // The tree cannot grow any more: the last committed root is current if it covers every message.
        bytes32 root = count == $.lastCommittedCount ? $.lastCommittedRoot : $.messageTree.root(count);
        bytes32 leaf = _messageLeaf(message);
        if (nonce >= count || !IncrementalMerkle.verify(root, leaf, nonce, proof)) {
            revert IL1Bridge.InvalidProof();
        }
        uint256 word = nonce >> 8;
        uint256 bit = 1 << (nonce & 0xff);
        uint256 bits = $.refunded[word];
        if (bits & bit != 0) revert IL1Bridge.AlreadyRefunded(nonce);
        $.refunded[word] = bits | bit;
        _takeFromEscrow($, message.token, message.amount);
        emit IL1Bridge.DepositRefunded(nonce, message.sender, message.token, message.amount);
        _pay(message.token, message.sender, message.amount);
    }

    /// @dev Leaf of a message of this bridge, the same function the deposit used. The fields are passed one by
    /// one (not `Hashing.l1MessageLeaf(chainId, bridge, m)`, which costs `refundDeposit` about 50 gas more).
    function _messageLeaf(L1Message calldata m) private view returns (bytes32) {
        return Hashing.l1MessageLeaf(
            block.chainid,
            address(this),
            m.kind,
            m.nonce,
            m.sender,
            m.recipient,
            m.token,
            m.amount,
            keccak256(m.data)
        );
    }

    /// @notice Storage root of the L2 account `l2Token` under `l2StateRoot`.
    /// @dev The account proof is `eth_getProof`'s `accountProof` of `l2Token` (trie key `keccak256(l2Token)`),
    /// its value the RLP list `[nonce, balance, storageRoot, codeHash]` with exactly four items and a 32-byte
    /// storage root. Proof rules: MerklePatriciaProof. Reverts `InvalidStateProof` for anything else.
    /// @param l2StateRoot The L2 state root the proof starts from.
    /// @param l2Token The L2 account (a BridgedToken) whose storage root is proven.
    /// @param accountProof The account proof's RLP nodes, root first.
    /// @return storageRoot The account's storage root.
    function tokenStorageRoot(bytes32 l2StateRoot, address l2Token, bytes[] calldata accountProof)
        external
        pure
        returns (bytes32 storageRoot)
    {
        (bool found, bytes calldata account) =
            MerklePatriciaProof.get(l2StateRoot, keccak256(abi.encodePacked(l2Token)), accountProof);
        bool ok;
        if (found) (ok, storageRoot) = MerklePatriciaProof.accountStorageRoot(account);
        if (!ok) revert IL1Bridge.InvalidStateProof();
    }

    /// @notice BridgedToken balance of `account` under a token's storage root.
    /// @dev The storage proof is `eth_getProof`'s `storageProof[0].proof` of BridgedToken's balance slot
    /// `keccak256(abi.encode(account, uint256(0)))` (trie key its keccak256); the value must be a canonical
    /// RLP integer. A slot that holds zero is absent from the trie, so its (exclusion) proof fails.
    /// @param storageRoot The token's storage root (see `tokenStorageRoot`).
    /// @param account The L2 account whose balance is proven.
    /// @param storageProof The storage proof's RLP nodes, root first.
    /// @return balance The proven balance (zero only if the slot's value is an RLP zero).
    function balanceUnder(bytes32 storageRoot, address account, bytes[] calldata storageProof)
        external
        pure
        returns (uint256 balance)
    {
        bytes32 slot = keccak256(abi.encode(account, uint256(0)));
        (bool found, bytes calldata value) =
            MerklePatriciaProof.get(storageRoot, keccak256(abi.encode(slot)), storageProof);
        bool ok;
        if (found) (ok, balance) = MerklePatriciaProof.canonicalUint(value);
        if (!ok) revert IL1Bridge.InvalidStateProof();
    }
}
