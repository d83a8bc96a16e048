// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

import {IL2Bridge} from "./interfaces/IL2Bridge.sol";
import {L1Message} from "./Types.sol";
import {Governed} from "./lib/Governed.sol";
import {IL1RootOracle} from "./interfaces/IL1RootOracle.sol";
import {IncrementalMerkle} from "./lib/IncrementalMerkle.sol";
import {Hashing} from "./lib/Hashing.sol";
import {BridgedToken} from "./BridgedToken.sol";

/// @title Drawbridge L2 bridge: processes L1 messages in nonce order, mints and burns bridged tokens and
/// keeps the L2->L1 withdrawal tree.
/// @notice Every L1 message is proven against a root the L1RootOracle knows and processed exactly once, in
/// order. Processing never depends on anything a user controls after the L1 deposit: a valid message
/// always goes through (bridged tokens are plain ERC-20s without hooks; malformed token metadata falls back
/// to defaults instead of reverting).
/// UUPS implementation behind an ERC1967Proxy; state in one ERC-7201 namespaced struct (STORAGE.md).
contract L2Bridge is IL2Bridge, Initializable, Governed, ReentrancyGuardTransient {
    using IncrementalMerkle for IncrementalMerkle.Tree;

    /// @custom:storage-location erc7201:drawbridge.storage.L2Bridge
    struct L2BridgeStorage {
        // slot 0
        uint64 l1MessagesProcessed;
        uint64 withdrawalCount;
        // slot 1
        address rootOracle;
        // slot 2
        address l1Bridge;
        uint64 l1ChainId;
        // slot 3
        address governance;
        // slots 4..35
        IncrementalMerkle.Tree withdrawalTree;
        // slot 36
        mapping(address l1Token => address l2Token) bridgedToken;
        // slot 37
        mapping(address l2Token => address l1Token) l1TokenOf;
        // slots 38..40: parameters of the BridgedToken being deployed (empty outside a deployment)
        address pendingL1Token;
        uint8 pendingDecimals;
        string pendingName;
        string pendingSymbol;
        // slots 41..72: the tree of L1 message leaves processed so far (`l1MessageRoot`), in nonce order.
        IncrementalMerkle.Tree consumedTree;
    }

    // keccak256(abi.encode(uint256(keccak256("drawbridge.storage.L2Bridge")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0xd44cfb5e7d47c344c3be13c1b544ab01adc9a0bb97731444af05d4a74f36e200;

    /// @notice Metadata used when a first deposit's `data` cannot be decoded (never the case for messages
    /// produced by L1Bridge).
    uint8 public constant DEFAULT_DECIMALS = 18;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initializes the proxy. Validates every parameter.
    /// @dev `rootOracle` and `l1Bridge` may not have code yet (addresses are predicted).
    function initialize(InitParams calldata p) external initializer {
        if (p.governance == address(0)) revert InvalidParameters("governance");
        if (p.rootOracle == address(0)) revert InvalidParameters("rootOracle");
        if (p.l1ChainId == 0 || p.l1ChainId > type(uint64).max || p.l1ChainId == block.chainid) {
            revert InvalidParameters("l1ChainId");
        }
        if (p.l1Bridge == address(0)) revert InvalidParameters("l1Bridge");
        L2BridgeStorage storage $ = _s();
        $.governance = p.governance;
        $.rootOracle = p.rootOracle;
        $.l1ChainId = uint64(p.l1ChainId);
        $.l1Bridge = p.l1Bridge;
        emit GovernanceChanged(p.governance);
    }

    // ------------------------------------------------------------------------------------------------
    // L1 -> L2
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL2Bridge
    /// @dev `messages[0].nonce` must be `l1MessagesProcessed` and the nonces consecutive (`OutOfOrder`);
    /// `root` must be known to the L1RootOracle (`UnknownRoot`); each message needs a short proof of its
    /// leaf at index `nonce` under `root`, with `nonce` below the root's count (`InvalidProof`).
    function relayMessages(L1Message[] calldata messages, bytes32 root, bytes32[][] calldata proofs)
        external
        nonReentrant
    {
        uint256 n = messages.length;
        if (n == 0) revert EmptyBatch();
        if (proofs.length != n) revert LengthMismatch();
        L2BridgeStorage storage $ = _s();
        uint64 rootCount = IL1RootOracle($.rootOracle).rootCount(root);
        if (rootCount == 0) revert UnknownRoot(root);
        uint64 expected = $.l1MessagesProcessed;
        uint256 chainId = $.l1ChainId;
        address source = $.l1Bridge;
        for (uint256 i; i < n; ++i) {
            L1Message calldata m = messages[i];
            uint64 nonce = m.nonce;
            if (nonce != expected) revert OutOfOrder(nonce, expected);
            bytes32 leaf = Hashing.l1MessageLeaf(
                chainId, source, m.kind, nonce, m.sender, m.recipient, m.token, m.amount, keccak256(m.data)
            );
            if (nonce >= rootCount || !IncrementalMerkle.verify(root, leaf, nonce, proofs[i])) {
                revert InvalidProof(nonce);
            }
            // The consumed-message tree equals L1's message tree exactly when L2 processed L1's messages.
            $.consumedTree.push(nonce, leaf);
            unchecked {
                ++expected;
            }
            $.l1MessagesProcessed = expected;
            _process($, m, leaf);
        }
    }

    /// @dev Dispatch on the message kind. Neither kind can revert for a message L1Bridge produced, so a
    /// valid message can never get stuck (L2Bridge has no pause either).
    function _process(L2BridgeStorage storage $, L1Message calldata m, bytes32 leaf) private {
        if (m.kind == Hashing.KIND_DEPOSIT) {
            _processDeposit($, m, leaf);
        } else if (m.kind == Hashing.KIND_FORCED_WITHDRAWAL) {
            _processForcedWithdrawal($, m, leaf);
        } else {
            revert UnknownMessageKind(m.kind);
        }
    }

    function _processDeposit(L2BridgeStorage storage $, L1Message calldata m, bytes32 leaf) private {
        address l2Token = $.bridgedToken[m.token];
        if (l2Token == address(0)) l2Token = _deployBridgedToken($, m.token, m.data);
        BridgedToken(l2Token).mint(m.recipient, m.amount);
        emit MessageProcessed(m.nonce, m.kind, m.recipient, l2Token, m.amount, leaf);
    }

    /// @dev Burns `min(amount, balance)` of the sender's bridged token (nothing for a token L2 never saw)
    /// and records a withdrawal of what was burnt to `recipient` (L1Bridge sets it to the sender) through
    /// the same path as `withdraw`. Counts as processed either way.
    function _processForcedWithdrawal(L2BridgeStorage storage $, L1Message calldata m, bytes32 leaf) private {
        address account = m.sender;
        address l2Token = $.bridgedToken[m.token];
        uint256 burnt;
        if (l2Token != address(0)) {
            uint256 balance = BridgedToken(l2Token).balanceOf(account);
            burnt = m.amount < balance ? m.amount : balance;
            if (burnt != 0) {
                BridgedToken(l2Token).burn(account, burnt);
                _recordWithdrawal($, account, m.recipient, m.token, burnt);
            }
        }
        emit ForcedWithdrawalProcessed(m.nonce, account, m.token, m.amount, burnt);
        emit MessageProcessed(m.nonce, m.kind, m.recipient, l2Token, burnt, leaf);
    }

    /// @dev CREATE2 with salt `bytes32(uint256(uint160(l1Token)))`; the token's constructor reads
    /// `bridgedTokenParams()` back.
    function _deployBridgedToken(L2BridgeStorage storage $, address l1Token_, bytes calldata data)
        private
        returns (address l2Token)
    {
        string memory name;
        string memory symbol;
        uint8 decimals = DEFAULT_DECIMALS;
        if (data.length != 0) {
            try this.decodeTokenMetadata(data) returns (string memory n, string memory s, uint8 d) {
                (name, symbol, decimals) = (n, s, d);
            } catch {}
        }
        $.pendingL1Token = l1Token_;
        $.pendingDecimals = decimals;
        $.pendingName = name;
        $.pendingSymbol = symbol;
        l2Token = address(new BridgedToken{salt: _salt(l1Token_)}());
        delete $.pendingL1Token;
        delete $.pendingDecimals;
        delete $.pendingName;
        delete $.pendingSymbol;
        $.bridgedToken[l1Token_] = l2Token;
        $.l1TokenOf[l2Token] = l1Token_;
        emit BridgedTokenDeployed(l1Token_, l2Token, name, symbol, decimals);
    }

    /// @notice Decodes a first deposit's `data` (`abi.encode(string name, string symbol, uint8 decimals)`).
    /// @dev External so that malformed data can be caught with try/catch.
    function decodeTokenMetadata(bytes calldata data)
        external
        pure
        returns (string memory name, string memory symbol, uint8 decimals)
    {
        return abi.decode(data, (string, string, uint8));
    }

    // ------------------------------------------------------------------------------------------------
    // L2 -> L1
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL2Bridge
    function withdraw(address l1Token_, address l1Recipient, uint256 amount) external returns (uint64 nonce) {
        if (l1Recipient == address(0)) revert ZeroRecipient();
        if (amount == 0) revert ZeroAmount();
        L2BridgeStorage storage $ = _s();
        address l2Token = $.bridgedToken[l1Token_];
        if (l2Token == address(0)) revert UnknownToken(l1Token_);
        BridgedToken(l2Token).burn(msg.sender, amount);
        nonce = _recordWithdrawal($, msg.sender, l1Recipient, l1Token_, amount);
    }

    /// @dev Appends a withdrawal leaf (one frontier slot) and bumps the count.
    function _recordWithdrawal(
        L2BridgeStorage storage $,
        address sender,
        address l1Recipient,
        address l1Token_,
        uint256 amount
    ) private returns (uint64 nonce) {
        nonce = $.withdrawalCount;
        bytes32 leaf = Hashing.withdrawalLeaf(
            block.chainid, address(this), nonce, sender, l1Recipient, l1Token_, amount
        );
        $.withdrawalTree.push(nonce, leaf);
        unchecked {
            $.withdrawalCount = nonce + 1;
        }
        emit WithdrawalInitiated(nonce, sender, l1Recipient, l1Token_, amount, leaf);
    }

    // ------------------------------------------------------------------------------------------------
    // Governance
    // ------------------------------------------------------------------------------------------------

    // ------------------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------------------

    /// @inheritdoc IL2Bridge
    function l1MessagesProcessed() external view returns (uint64) {
        return _s().l1MessagesProcessed;
    }

    /// @inheritdoc IL2Bridge
    function withdrawalCount() external view returns (uint64) {
        return _s().withdrawalCount;
    }

    /// @inheritdoc IL2Bridge
    function withdrawalRoot() external view returns (bytes32) {
        L2BridgeStorage storage $ = _s();
        return $.withdrawalTree.root($.withdrawalCount);
    }

    /// @inheritdoc IL2Bridge
    function l1MessageRoot() external view returns (bytes32) {
        L2BridgeStorage storage $ = _s();
        uint64 processed = $.l1MessagesProcessed;
        return processed == 0 ? bytes32(0) : $.consumedTree.root(processed);
    }

    /// @inheritdoc IL2Bridge
    function bridgedToken(address l1Token_) external view returns (address) {
        return _s().bridgedToken[l1Token_];
    }

    /// @inheritdoc IL2Bridge
    /// @dev `address(0)` both for ETH's bridged token and for an address that is no bridged token.
    function l1Token(address l2Token) external view returns (address) {
        return _s().l1TokenOf[l2Token];
    }

    /// @inheritdoc IL2Bridge
    function l1MessageLeaf(L1Message calldata m) external view returns (bytes32) {
        L2BridgeStorage storage $ = _s();
        return Hashing.l1MessageLeaf($.l1ChainId, $.l1Bridge, m);
    }

    /// @inheritdoc IL2Bridge
    function bridgedTokenParams()
        external
        view
        returns (address l1Token_, string memory name, string memory symbol, uint8 decimals)
    {
        L2BridgeStorage storage $ = _s();
        return ($.pendingL1Token, $.pendingName, $.pendingSymbol, $.pendingDecimals);
    }

    /// @inheritdoc IL2Bridge
    function predictBridgedToken(address l1Token_) external view returns (address) {
        return Create2.computeAddress(_salt(l1Token_), keccak256(type(BridgedToken).creationCode));
    }

    /// @inheritdoc IL2Bridge
    function rootOracle() external view returns (address) {
        return _s().rootOracle;
    }

    /// @inheritdoc IL2Bridge
    function l1ChainId() external view returns (uint256) {
        return _s().l1ChainId;
    }

    /// @inheritdoc IL2Bridge
    function l1Bridge() external view returns (address) {
        return _s().l1Bridge;
    }

    /// @dev `Governed`'s view of `governance`, kept in this contract's struct (slot 3).
    function _governance() internal view override returns (address) {
        return _s().governance;
    }

    function _setGovernance(address newGovernance) internal override {
        _s().governance = newGovernance;
    }

    function _salt(address l1Token_) private pure returns (bytes32) {
        return bytes32(uint256(uint160(l1Token_)));
    }

    function _s() private pure returns (L2BridgeStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
