// Leaves of the Drawbridge trees (docs/design.md, "Leaves and the tree"): double-hashed typed
// encodings, `leaf = keccak256(abi.encode(keccak256(abi.encode(TYPEHASH, ...))))`.
import { encodeAbiParameters, keccak256, toHex, type Address, type Hex } from 'viem';

export const L1_MESSAGE_TYPE =
  'Drawbridge.L1Message(uint256 sourceChainId,address sourceBridge,uint8 kind,uint64 nonce,address sender,address recipient,address token,uint256 amount,bytes32 dataHash)';
export const WITHDRAWAL_TYPE =
  'Drawbridge.Withdrawal(uint256 sourceChainId,address sourceBridge,uint64 nonce,address sender,address recipient,address l1Token,uint256 amount)';

export const L1_MESSAGE_TYPEHASH: Hex = keccak256(toHex(L1_MESSAGE_TYPE));
export const WITHDRAWAL_TYPEHASH: Hex = keccak256(toHex(WITHDRAWAL_TYPE));

/** Message kinds of the L1 -> L2 message tree. */
export const MessageKind = { Deposit: 1, ForcedWithdrawal: 2 } as const;

export interface L1Message {
  kind: number;
  nonce: bigint;
  sender: Address;
  recipient: Address;
  token: Address;
  amount: bigint;
  /** The message's data (token metadata on a token's first deposit, else empty). */
  data: Hex;
}

export interface Withdrawal {
  nonce: bigint;
  sender: Address;
  recipient: Address;
  l1Token: Address;
  amount: bigint;
}

/** `keccak256(abi.encode(inner))`: the leaf is the hash of exactly 32 bytes. */
export function leafFromInner(inner: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }], [inner]));
}

export function l1MessageInner(l1ChainId: bigint, l1Bridge: Address, m: L1Message): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'uint8' },
        { type: 'uint64' },
        { type: 'address' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
        { type: 'bytes32' },
      ],
      [
        L1_MESSAGE_TYPEHASH,
        l1ChainId,
        l1Bridge,
        m.kind,
        m.nonce,
        m.sender,
        m.recipient,
        m.token,
        m.amount,
        keccak256(m.data),
      ],
    ),
  );
}

export function l1MessageLeaf(l1ChainId: bigint, l1Bridge: Address, m: L1Message): Hex {
  return leafFromInner(l1MessageInner(l1ChainId, l1Bridge, m));
}

export function withdrawalInner(l2ChainId: bigint, l2Bridge: Address, w: Withdrawal): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'uint256' },
        { type: 'address' },
        { type: 'uint64' },
        { type: 'address' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint256' },
      ],
      [WITHDRAWAL_TYPEHASH, l2ChainId, l2Bridge, w.nonce, w.sender, w.recipient, w.l1Token, w.amount],
    ),
  );
}

export function withdrawalLeaf(l2ChainId: bigint, l2Bridge: Address, w: Withdrawal): Hex {
  return leafFromInner(withdrawalInner(l2ChainId, l2Bridge, w));
}
