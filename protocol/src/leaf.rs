//! Leaf types and their double-hashed typed encodings (docs/design.md, "Leaves and the tree").
//!
//! ```text
//! inner = keccak256(abi.encode(TYPEHASH, sourceChainId, sourceBridge, ...fields))
//! leaf  = keccak256(abi.encode(inner))          // = keccak256 of the 32-byte inner hash
//! ```

use alloy::primitives::{Address, B256, Bytes, ChainId, U256, b256, keccak256};
use alloy::sol;
use alloy::sol_types::SolValue;
use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// EIP-712-style type string of an L1->L2 message; its hash is [`L1_MESSAGE_TYPEHASH`].
pub const L1_MESSAGE_TYPE: &str = "Drawbridge.L1Message(uint256 sourceChainId,address sourceBridge,uint8 kind,uint64 nonce,address sender,address recipient,address token,uint256 amount,bytes32 dataHash)";

/// EIP-712-style type string of an L2->L1 withdrawal; its hash is [`WITHDRAWAL_TYPEHASH`].
pub const WITHDRAWAL_TYPE: &str = "Drawbridge.Withdrawal(uint256 sourceChainId,address sourceBridge,uint64 nonce,address sender,address recipient,address l1Token,uint256 amount)";

/// `keccak256(L1_MESSAGE_TYPE)` (a unit test pins it to the string).
pub const L1_MESSAGE_TYPEHASH: B256 =
    b256!("0xc9b558d99d468d5c56a2e0846c37be28e28a84f45aff7dbdd8727c0941af3e39");

/// `keccak256(WITHDRAWAL_TYPE)` (a unit test pins it to the string).
pub const WITHDRAWAL_TYPEHASH: B256 =
    b256!("0xb8c253aaab002dd98682b9b4a9934cd76557ddea781225075b55322e330092b3");

/// `keccak256` of [`L1_MESSAGE_TYPE`], computed.
pub fn l1_message_typehash() -> B256 {
    keccak256(L1_MESSAGE_TYPE)
}

/// `keccak256` of [`WITHDRAWAL_TYPE`], computed.
pub fn withdrawal_typehash() -> B256 {
    keccak256(WITHDRAWAL_TYPE)
}

/// The outer hash shared by every leaf: `keccak256(abi.encode(inner))`, i.e. keccak256 of the 32
/// bytes of `inner`. A leaf is the hash of 32 bytes and an internal node the hash of 64, so a leaf
/// can never be read as a node.
pub fn leaf_from_inner(inner: B256) -> B256 {
    keccak256(inner)
}

sol! {
    /// `abi.encode` layout of the L1 message inner hash preimage (all static words).
    struct L1MessagePreimage {
        bytes32 typehash;
        uint256 sourceChainId;
        address sourceBridge;
        uint8 kind;
        uint64 nonce;
        address sender;
        address recipient;
        address token;
        uint256 amount;
        bytes32 dataHash;
    }

    /// `abi.encode` layout of the withdrawal inner hash preimage (all static words).
    struct WithdrawalPreimage {
        bytes32 typehash;
        uint256 sourceChainId;
        address sourceBridge;
        uint64 nonce;
        address sender;
        address recipient;
        address l1Token;
        uint256 amount;
    }
}

/// Kind of an L1->L2 message (`uint8` on chain).
///
/// JSON: `"deposit"` / `"forcedWithdrawal"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[repr(u8)]
pub enum MessageKind {
    /// Deposit of ETH or an ERC-20 on L1, minted on L2.
    Deposit = 1,
    /// Forced withdrawal requested on L1 by a (possibly censored) L2 account.
    ForcedWithdrawal = 2,
}

impl MessageKind {
    /// The on-chain `uint8` value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

impl From<MessageKind> for u8 {
    fn from(kind: MessageKind) -> Self {
        kind.as_u8()
    }
}

impl TryFrom<u8> for MessageKind {
    type Error = ProtocolError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            1 => Ok(Self::Deposit),
            2 => Ok(Self::ForcedWithdrawal),
            other => Err(ProtocolError::UnknownMessageKind(other)),
        }
    }
}

/// An L1->L2 message exactly as `L1Bridge` hashes it and `L2Bridge` receives it
/// (`IL2Bridge.L1Message`).
///
/// JSON uses camelCase field names; addresses, `amount` and `data` are `0x` hex strings, `nonce`
/// is a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Message {
    /// Deposit or forced withdrawal.
    pub kind: MessageKind,
    /// Sequential nonce on L1; also the leaf's index in the L1 message tree.
    pub nonce: u64,
    /// L1 caller (for a forced withdrawal also the L2 account and the L1 recipient).
    pub sender: Address,
    /// L2 recipient of a deposit; L1 recipient of a forced withdrawal.
    pub recipient: Address,
    /// L1 token address (`address(0)` for ETH).
    pub token: Address,
    /// Amount credited (for a deposit, what actually arrived in escrow).
    pub amount: U256,
    /// `abi.encode(string name, string symbol, uint8 decimals)` on a token's first deposit,
    /// empty otherwise.
    pub data: Bytes,
}

impl L1Message {
    /// Inner hash: `keccak256(abi.encode(L1_MESSAGE_TYPEHASH, l1ChainId, l1Bridge, kind, nonce,
    /// sender, recipient, token, amount, keccak256(data)))`.
    pub fn inner_hash(&self, l1_chain_id: ChainId, l1_bridge: Address) -> B256 {
        let encoded = L1MessagePreimage {
            typehash: L1_MESSAGE_TYPEHASH,
            sourceChainId: U256::from(l1_chain_id),
            sourceBridge: l1_bridge,
            kind: self.kind.as_u8(),
            nonce: self.nonce,
            sender: self.sender,
            recipient: self.recipient,
            token: self.token,
            amount: self.amount,
            dataHash: keccak256(&self.data),
        }
        .abi_encode();
        keccak256(encoded)
    }

    /// The leaf of this message in the L1 message tree of the bridge `l1_bridge` on chain
    /// `l1_chain_id`.
    pub fn leaf(&self, l1_chain_id: ChainId, l1_bridge: Address) -> B256 {
        leaf_from_inner(self.inner_hash(l1_chain_id, l1_bridge))
    }
}

/// An L2->L1 withdrawal exactly as `L2Bridge` hashes it and `L1Bridge` finalizes it
/// (`IL1Bridge.Withdrawal`).
///
/// JSON uses camelCase field names (`l1Token`); addresses and `amount` are `0x` hex strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    /// Sequential nonce on L2; also the leaf's index in the withdrawal tree.
    pub nonce: u64,
    /// L2 account that burned the tokens.
    pub sender: Address,
    /// L1 recipient.
    pub recipient: Address,
    /// L1 token address (`address(0)` for ETH).
    pub l1_token: Address,
    /// Amount paid on L1.
    pub amount: U256,
}

impl Withdrawal {
    /// Inner hash: `keccak256(abi.encode(WITHDRAWAL_TYPEHASH, l2ChainId, l2Bridge, nonce, sender,
    /// recipient, l1Token, amount))`.
    pub fn inner_hash(&self, l2_chain_id: ChainId, l2_bridge: Address) -> B256 {
        let encoded = WithdrawalPreimage {
            typehash: WITHDRAWAL_TYPEHASH,
            sourceChainId: U256::from(l2_chain_id),
            sourceBridge: l2_bridge,
            nonce: self.nonce,
            sender: self.sender,
            recipient: self.recipient,
            l1Token: self.l1_token,
            amount: self.amount,
        }
        .abi_encode();
        keccak256(encoded)
    }

    /// The leaf of this withdrawal in the withdrawal tree of the bridge `l2_bridge` on chain
    /// `l2_chain_id`.
    pub fn leaf(&self, l2_chain_id: ChainId, l2_bridge: Address) -> B256 {
        leaf_from_inner(self.inner_hash(l2_chain_id, l2_bridge))
    }
}

/// Leaf of `message` under the L1 chain id and L1 bridge address (same as [`L1Message::leaf`]).
pub fn l1_message_leaf(l1_chain_id: ChainId, l1_bridge: Address, message: &L1Message) -> B256 {
    message.leaf(l1_chain_id, l1_bridge)
}

/// Leaf of `withdrawal` under the L2 chain id and L2 bridge address (same as
/// [`Withdrawal::leaf`]).
pub fn withdrawal_leaf(l2_chain_id: ChainId, l2_bridge: Address, withdrawal: &Withdrawal) -> B256 {
    withdrawal.leaf(l2_chain_id, l2_bridge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    fn message() -> L1Message {
        L1Message {
            kind: MessageKind::Deposit,
            nonce: 7,
            sender: address!("0x1111111111111111111111111111111111111111"),
            recipient: address!("0x2222222222222222222222222222222222222222"),
            token: Address::ZERO,
            amount: U256::from(10u64).pow(U256::from(18u64)),
            data: Bytes::new(),
        }
    }

    /// An address as one ABI word (left-padded).
    fn address_word(a: Address) -> B256 {
        B256::left_padding_from(a.as_slice())
    }

    /// An integer as one ABI word (big-endian).
    fn uint_word(v: U256) -> B256 {
        B256::from(v.to_be_bytes::<32>())
    }

    /// The words every leaf preimage starts with: type hash, source chain id, source bridge.
    fn head(typehash: B256, chain_id: u64, bridge: Address) -> [B256; 3] {
        [
            typehash,
            uint_word(U256::from(chain_id)),
            address_word(bridge),
        ]
    }

    /// `inner` is the keccak of `words` (the static ABI words of the preimage) and `leaf` the
    /// keccak of `inner`.
    fn assert_encoding(words: &[B256], inner: B256, leaf: B256) {
        let preimage = words.concat();
        assert_eq!(preimage.len(), 32 * words.len());
        assert_eq!(inner, keccak256(&preimage));
        assert_eq!(leaf, keccak256(inner));
    }

    #[test]
    fn typehashes_match_type_strings() {
        assert_eq!(L1_MESSAGE_TYPEHASH, l1_message_typehash());
        assert_eq!(WITHDRAWAL_TYPEHASH, withdrawal_typehash());
    }

    #[test]
    fn l1_message_encoding_is_ten_static_words() {
        let m = message();
        let bridge = address!("0x3333333333333333333333333333333333333333");
        let words = [
            &head(L1_MESSAGE_TYPEHASH, 900, bridge)[..],
            &[
                uint_word(U256::from(1u8)),
                uint_word(U256::from(7u64)),
                address_word(m.sender),
                address_word(m.recipient),
                B256::ZERO,
                uint_word(m.amount),
                keccak256([]),
            ],
        ]
        .concat();
        assert_encoding(&words, m.inner_hash(900, bridge), m.leaf(900, bridge));
        assert_eq!(l1_message_leaf(900, bridge, &m), m.leaf(900, bridge));
    }

    /// The withdrawal the encoding tests and `cast` agree on.
    fn withdrawal() -> Withdrawal {
        Withdrawal {
            nonce: 3,
            sender: address!("0x4444444444444444444444444444444444444444"),
            recipient: address!("0x5555555555555555555555555555555555555555"),
            l1_token: address!("0x6666666666666666666666666666666666666666"),
            amount: U256::from(12345u64),
        }
    }

    #[test]
    fn withdrawal_encoding_is_eight_static_words() {
        let w = withdrawal();
        let bridge = address!("0x7777777777777777777777777777777777777777");
        let words = [
            &head(WITHDRAWAL_TYPEHASH, 901, bridge)[..],
            &[
                uint_word(U256::from(3u64)),
                address_word(w.sender),
                address_word(w.recipient),
                address_word(w.l1_token),
                uint_word(w.amount),
            ],
        ]
        .concat();
        assert_encoding(&words, w.inner_hash(901, bridge), w.leaf(901, bridge));
        assert_eq!(withdrawal_leaf(901, bridge, &w), w.leaf(901, bridge));
    }

    /// Leaves computed independently with `cast abi-encode` and `cast keccak`.
    #[test]
    fn leaves_match_cast() {
        let m = L1Message {
            kind: MessageKind::ForcedWithdrawal,
            nonce: 7,
            sender: address!("0x1111111111111111111111111111111111111111"),
            recipient: address!("0x2222222222222222222222222222222222222222"),
            token: address!("0x6666666666666666666666666666666666666666"),
            amount: U256::from(10u64).pow(U256::from(18u64)),
            data: Bytes::from(vec![0xab, 0xcd]),
        };
        assert_eq!(
            m.leaf(900, address!("0x3333333333333333333333333333333333333333")),
            b256!("0x26b7fbf477d963d0625022d2beaef9b94eaab270be290c16deddd6e5ae23b3f9")
        );
        let w = withdrawal();
        assert_eq!(
            w.leaf(901, address!("0x7777777777777777777777777777777777777777")),
            b256!("0x3c116f0e9eec4d63aeb48c6ff809b78f77de256e01a9ca7f264c207c4182210f")
        );
    }

    #[test]
    fn data_is_hashed_not_inlined() {
        let a = message();
        let mut b = message();
        b.data = Bytes::from(vec![0u8; 1]);
        assert_ne!(a.leaf(900, Address::ZERO), b.leaf(900, Address::ZERO));
    }

    #[test]
    fn message_kind_u8_round_trip() {
        for kind in [MessageKind::Deposit, MessageKind::ForcedWithdrawal] {
            assert_eq!(MessageKind::try_from(u8::from(kind)).unwrap(), kind);
        }
        assert_eq!(MessageKind::Deposit.as_u8(), 1);
        assert_eq!(MessageKind::ForcedWithdrawal.as_u8(), 2);
        for bad in [0u8, 3, 255] {
            assert_eq!(
                MessageKind::try_from(bad),
                Err(ProtocolError::UnknownMessageKind(bad))
            );
        }
    }

    #[test]
    fn json_round_trip() {
        let mut m = message();
        m.data = Bytes::from(vec![0xab, 0xcd]);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["kind"], "deposit");
        assert_eq!(json["nonce"], 7);
        assert_eq!(json["data"], "0xabcd");
        assert_eq!(json["amount"], "0xde0b6b3a7640000");
        assert_eq!(serde_json::from_value::<L1Message>(json).unwrap(), m);

        let w = Withdrawal {
            nonce: 1,
            sender: Address::ZERO,
            recipient: Address::ZERO,
            l1_token: Address::ZERO,
            amount: U256::from(5u64),
        };
        let json = serde_json::to_value(w).unwrap();
        assert!(json.get("l1Token").is_some());
        assert_eq!(serde_json::from_value::<Withdrawal>(json).unwrap(), w);

        let forced = serde_json::to_value(MessageKind::ForcedWithdrawal).unwrap();
        assert_eq!(forced, "forcedWithdrawal");
    }
}
