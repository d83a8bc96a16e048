//! Escape proofs: the Merkle-Patricia proofs that an account held a bridged token on L2 under an
//! output's `l2StateRoot`, fetched with `eth_getProof` and checked locally with `alloy-trie`
//! before anything is sent to L1.
//!
//! An escape proof is two proofs (docs/design.md, "Forced withdrawal, freeze and escape"):
//! - the **account proof** of the L2 `BridgedToken` contract: the path from the state root to the
//!   leaf at `keccak256(token)` whose value is the RLP of the account `[nonce, balance,
//!   storageRoot, codeHash]`;
//! - the **storage proof** of the account's balance slot `keccak256(abi.encode(account, 0))`
//!   (OpenZeppelin ERC20's `_balances` mapping sits at slot 0 of `BridgedToken`): the path from the
//!   token's `storageRoot` to the leaf at `keccak256(slot)` whose value is the RLP of the balance.
//!
//! Nothing the node says is trusted: the account fields and the balance it reports are only used as
//! the values the proofs must prove, so a lying or buggy node yields an error naming the proof that
//! failed, never a wrong [`EscapeProof`].

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::rpc::types::EIP1186AccountProofResponse;
use alloy::sol_types::SolValue;
use alloy_trie::proof::{ProofVerificationError, verify_proof};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, Nibbles, TrieAccount};
use drawbridge_client::ChainClient;
use serde::{Deserialize, Serialize};

use crate::ExitError;

/// Storage slot of OpenZeppelin ERC20's `_balances` mapping in `BridgedToken` (contracts/STORAGE.md).
pub const BALANCES_SLOT: u64 = 0;

/// The storage slot holding `account`'s balance in a `BridgedToken`:
/// `keccak256(abi.encode(account, uint256(0)))`.
pub fn balance_slot(account: Address) -> B256 {
    keccak256((account, U256::from(BALANCES_SLOT)).abi_encode())
}

/// The account of the L2 token contract as the state trie holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenAccount {
    /// The contract's nonce.
    pub nonce: u64,
    /// Its native balance.
    pub balance: U256,
    /// Root of its storage trie: the storage proof is checked against it.
    pub storage_root: B256,
    /// Hash of its code.
    pub code_hash: B256,
}

impl TokenAccount {
    /// The RLP encoding the state trie stores at the account's leaf.
    pub fn rlp(&self) -> Vec<u8> {
        alloy::rlp::encode(TrieAccount::new(
            self.nonce,
            self.balance,
            self.storage_root,
            self.code_hash,
        ))
    }

    /// Whether this is the empty account (what nodes report for an address that does not exist).
    pub fn is_empty(&self) -> bool {
        self.nonce == 0
            && self.balance.is_zero()
            && self.storage_root == EMPTY_ROOT_HASH
            && (self.code_hash == KECCAK_EMPTY || self.code_hash.is_zero())
    }
}

/// What to prove: one account's balance of one bridged token under one output's state root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapeTarget {
    /// The L1 token (`address(0)` for ETH).
    pub l1_token: Address,
    /// Its `BridgedToken` on L2.
    pub l2_token: Address,
    /// The L2 account (also the L1 account paid by `escape`).
    pub account: Address,
    /// Index of the output in the `OutputOracle`.
    pub output_index: u64,
    /// The output's L2 block: `eth_getProof` is asked at this block.
    pub l2_block_number: u64,
    /// The output's `l2StateRoot`: the proofs must verify against it.
    pub l2_state_root: B256,
}

/// A checked escape proof, ready for `L1Bridge.escape(l1Token, account, accountProof,
/// storageProof)`. JSON: camelCase; addresses, hashes, amounts and proof nodes as `0x` hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapeProof {
    /// What it proves: the token, the account (also the L1 account paid), and the output proven
    /// against with its L2 block and `l2StateRoot` (flattened into the JSON).
    #[serde(flatten)]
    pub target: EscapeTarget,
    /// The proven balance in the token's base units.
    pub balance: U256,
    /// The balance slot (`keccak256(abi.encode(account, 0))`).
    pub slot: B256,
    /// The token contract's account as proven by `account_proof`.
    pub token_account: TokenAccount,
    /// Account proof of the L2 token contract: RLP trie nodes from the state root down.
    pub account_proof: Vec<Bytes>,
    /// Storage proof of the balance slot: RLP trie nodes from the token's storage root down.
    pub storage_proof: Vec<Bytes>,
}

impl EscapeProof {
    /// What this proof proves.
    pub fn target(&self) -> EscapeTarget {
        self.target
    }

    /// Checks both proofs against the proof's own `l2_state_root` and that the balance is not
    /// zero. Callers compare `l2_state_root` with the root on L1 (see [`EscapeProof::verify_against`]).
    pub fn verify(&self) -> Result<U256, ExitError> {
        if self.slot != balance_slot(self.target.account) {
            return Err(ExitError::ProofMismatch(format!(
                "slot {} is not the balance slot {} of {}",
                self.slot,
                balance_slot(self.target.account),
                self.target.account
            )));
        }
        verify_account(
            self.target.l2_state_root,
            self.target.l2_token,
            Some(&self.token_account),
            &self.account_proof,
        )?;
        verify_balance(
            &self.token_account,
            self.target.l2_token,
            self.target.account,
            self.balance,
            &self.storage_proof,
        )?;
        if self.balance.is_zero() {
            return Err(ExitError::ZeroBalance {
                account: self.target.account,
                l2_token: self.target.l2_token,
                output_index: self.target.output_index,
                l2_block: self.target.l2_block_number,
            });
        }
        Ok(self.balance)
    }

    /// Checks that the proof is for `target` (the L1 escape output, token and account) and that
    /// both proofs verify against `target.l2_state_root`. Returns the proven balance.
    pub fn verify_against(&self, target: &EscapeTarget) -> Result<U256, ExitError> {
        let own = self.target();
        let differences: Vec<String> = [
            (
                own.account == target.account,
                format!("account {} (asked {})", own.account, target.account),
            ),
            (
                own.l1_token == target.l1_token,
                format!("L1 token {} (asked {})", own.l1_token, target.l1_token),
            ),
            (
                own.l2_token == target.l2_token,
                format!("L2 token {} (L1 says {})", own.l2_token, target.l2_token),
            ),
            (
                own.output_index == target.output_index,
                format!(
                    "output {} (the escape output is {})",
                    own.output_index, target.output_index
                ),
            ),
            (
                own.l2_state_root == target.l2_state_root,
                format!(
                    "state root {} (the output's is {})",
                    own.l2_state_root, target.l2_state_root
                ),
            ),
        ]
        .into_iter()
        .filter_map(|(same, difference)| (!same).then_some(difference))
        .collect();
        if !differences.is_empty() {
            return Err(ExitError::ProofMismatch(format!(
                "it is for {}",
                differences.join(", ")
            )));
        }
        self.verify()
    }

    /// Reads a proof written by `prove --out` (JSON).
    pub fn load(path: &std::path::Path) -> Result<Self, ExitError> {
        let err = |reason: String| ExitError::ProofFile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| err(format!("not an escape proof: {e}")))
    }

    /// Writes the proof as JSON, atomically (a reader never sees half a file).
    pub fn save(&self, path: &std::path::Path) -> Result<(), ExitError> {
        let err = |e: std::io::Error| ExitError::ProofFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let tmp = path.with_extension("tmp");
        let text = serde_json::to_string_pretty(self).expect("an escape proof always serializes");
        std::fs::write(&tmp, text + "\n").map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}

fn reason(e: &ProofVerificationError, root: B256) -> String {
    // alloy-trie starts its walk from the RLP of the root hash, so a first node that does not hash
    // to the root shows up as a value mismatch expecting that RLP.
    let root_rlp = alloy_trie::nodes::RlpNode::word_rlp(&root);
    match e {
        ProofVerificationError::RootMismatch { got, expected } => {
            format!("the proof's first node hashes to {got}, not to the root {expected}")
        }
        ProofVerificationError::ValueMismatch {
            expected: Some(expected),
            ..
        } if expected.as_ref() == root_rlp.as_slice() => {
            format!("the proof's first node does not hash to the root {root}")
        }
        ProofVerificationError::ValueMismatch {
            got: None,
            expected: Some(_),
            ..
        } => {
            "the proof shows no value at the key (it proves absence, or is for another key)".into()
        }
        ProofVerificationError::ValueMismatch {
            got: Some(_),
            expected: None,
            ..
        } => "the proof shows a value at a key expected to be absent".into(),
        ProofVerificationError::ValueMismatch { got, expected, .. } => format!(
            "the proof leads to value {} but {} was expected (tampered node, or a proof for another key)",
            got.as_ref().map(|b| b.to_string()).unwrap_or_default(),
            expected.as_ref().map(|b| b.to_string()).unwrap_or_default()
        ),
        ProofVerificationError::UnexpectedEmptyRoot => "unexpected empty root node".into(),
        ProofVerificationError::Rlp(e) => format!("a node is not valid RLP: {e}"),
    }
}

/// Verifies the account proof of `l2_token` against `state_root`: that the state trie holds
/// `account` at `keccak256(l2_token)`, or (with `None`) that it holds nothing there.
pub fn verify_account(
    state_root: B256,
    l2_token: Address,
    account: Option<&TokenAccount>,
    proof: &[Bytes],
) -> Result<(), ExitError> {
    let key = Nibbles::unpack(keccak256(l2_token));
    verify_proof(state_root, key, account.map(TokenAccount::rlp), proof).map_err(|e| {
        ExitError::AccountProof {
            l2_token,
            state_root,
            reason: reason(&e, state_root),
        }
    })
}

/// Verifies the storage proof that `account`'s balance slot in the token holds `balance` (zero:
/// the slot is absent) under `token.storage_root`.
pub fn verify_balance(
    token: &TokenAccount,
    l2_token: Address,
    account: Address,
    balance: U256,
    proof: &[Bytes],
) -> Result<(), ExitError> {
    let slot = balance_slot(account);
    let key = Nibbles::unpack(keccak256(slot));
    let value = (!balance.is_zero()).then(|| alloy::rlp::encode(balance));
    verify_proof(token.storage_root, key, value, proof).map_err(|e| ExitError::StorageProof {
        account,
        slot,
        reason: format!(
            "against the storage root {} of {l2_token}: {}",
            token.storage_root,
            reason(&e, token.storage_root)
        ),
    })
}

/// Turns an `eth_getProof` answer into a checked [`EscapeProof`] for `target`.
///
/// Fails with [`ExitError::AccountProof`] / [`ExitError::StorageProof`] when a proof does not
/// verify (or answers for another address or slot), [`ExitError::TokenNotDeployed`] when the
/// proofs show the token contract did not exist, and [`ExitError::ZeroBalance`] when they show a
/// zero balance.
pub fn build_escape_proof(
    target: &EscapeTarget,
    response: EIP1186AccountProofResponse,
) -> Result<EscapeProof, ExitError> {
    if response.address != target.l2_token {
        return Err(ExitError::AccountProof {
            l2_token: target.l2_token,
            state_root: target.l2_state_root,
            reason: format!(
                "the node answered for another address, {}",
                response.address
            ),
        });
    }
    let slot = balance_slot(target.account);
    let token_account = TokenAccount {
        nonce: response.nonce,
        balance: response.balance,
        storage_root: response.storage_hash,
        code_hash: response.code_hash,
    };
    if token_account.is_empty() {
        // The node says the contract does not exist; believe it only if the trie proves absence.
        verify_account(
            target.l2_state_root,
            target.l2_token,
            None,
            &response.account_proof,
        )?;
        return Err(ExitError::TokenNotDeployed {
            l1_token: target.l1_token,
            l2_token: target.l2_token,
            l2_block: target.l2_block_number,
        });
    }
    let [storage] =
        <[_; 1]>::try_from(response.storage_proof).map_err(|proofs| ExitError::StorageProof {
            account: target.account,
            slot,
            reason: format!("the node returned {} storage proofs, not 1", proofs.len()),
        })?;
    if storage.key.as_b256() != slot {
        return Err(ExitError::StorageProof {
            account: target.account,
            slot,
            reason: format!(
                "the node answered for another slot, {}",
                storage.key.as_b256()
            ),
        });
    }
    let proof = EscapeProof {
        target: *target,
        balance: storage.value,
        slot,
        token_account,
        account_proof: response.account_proof,
        storage_proof: storage.proof,
    };
    proof.verify()?;
    Ok(proof)
}

/// Fetches and checks the escape proof for `target` from an L2 node: the block at
/// `target.l2_block_number` must carry `target.l2_state_root` (else
/// [`ExitError::StateRootMismatch`]), then `eth_getProof(l2Token, [balanceSlot], block)` is asked
/// and checked with [`build_escape_proof`].
pub async fn fetch_escape_proof(
    l2: &ChainClient,
    target: &EscapeTarget,
) -> Result<EscapeProof, ExitError> {
    use alloy::providers::Provider;
    let block = target.l2_block_number;
    let header = l2
        .provider
        .get_block_by_number(block.into())
        .await
        .map_err(|e| l2.transport_error(format!("reading L2 block {block}"), &e))?
        .ok_or_else(|| {
            l2.rpc_error(
                format!("reading L2 block {block}"),
                "the node does not have this block (not synced that far, or another chain)",
            )
        })?
        .header;
    if header.state_root != target.l2_state_root {
        return Err(ExitError::StateRootMismatch {
            output_index: target.output_index,
            l2_block: block,
            output_root: target.l2_state_root,
            node_root: header.state_root,
        });
    }
    let response = l2
        .provider
        .get_proof(target.l2_token, vec![balance_slot(target.account)])
        .block_id(block.into())
        .await
        .map_err(|e| {
            l2.transport_error(
                format!("eth_getProof for {} at L2 block {block}", target.l2_token),
                &e,
            )
        })?;
    build_escape_proof(target, response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;
    use alloy::rpc::types::EIP1186StorageProof;
    use alloy_trie::HashBuilder;
    use alloy_trie::proof::ProofRetainer;
    use proptest::prelude::*;

    /// A trie built from `(key, value)` pairs (keys hashed), with proofs of `targets`.
    fn trie(entries: &[(B256, Vec<u8>)], targets: &[B256]) -> (B256, Vec<Vec<Bytes>>) {
        let mut leaves: Vec<(Nibbles, &Vec<u8>)> = entries
            .iter()
            .map(|(k, v)| (Nibbles::unpack(keccak256(k)), v))
            .collect();
        leaves.sort_by_key(|a| a.0);
        let target_keys: Vec<Nibbles> = targets
            .iter()
            .map(|k| Nibbles::unpack(keccak256(k)))
            .collect();
        let mut builder =
            HashBuilder::default().with_proof_retainer(ProofRetainer::new(target_keys.clone()));
        for (k, v) in &leaves {
            builder.add_leaf(*k, v);
        }
        let root = builder.root();
        let nodes = builder.take_proof_nodes();
        let proofs = target_keys
            .iter()
            .map(|t| {
                nodes
                    .matching_nodes_sorted(t)
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect()
            })
            .collect();
        (root, proofs)
    }

    /// A state with a token holding `balances` and `others` unrelated accounts; the proof of
    /// `holders[who]`'s balance.
    struct World {
        state_root: B256,
        token: Address,
        token_account: TokenAccount,
        holders: Vec<(Address, U256)>,
        account_proof: Vec<Bytes>,
        storage_proofs: Vec<Vec<Bytes>>,
    }

    fn world(holders: Vec<(Address, U256)>, others: usize) -> World {
        let token = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        let storage: Vec<(B256, Vec<u8>)> = holders
            .iter()
            .filter(|(_, b)| !b.is_zero())
            .map(|(a, b)| (balance_slot(*a), alloy::rlp::encode(*b)))
            .collect();
        let slots: Vec<B256> = holders.iter().map(|(a, _)| balance_slot(*a)).collect();
        let (storage_root, storage_proofs) = trie(&storage, &slots);
        let token_account = TokenAccount {
            nonce: 1,
            balance: U256::ZERO,
            storage_root,
            code_hash: keccak256(b"BridgedToken code"),
        };
        let mut accounts: Vec<(B256, Vec<u8>)> = vec![(token.into_word(), token_account.rlp())];
        for i in 0..others {
            let other = Address::with_last_byte(i as u8 + 1);
            let acct = TokenAccount {
                nonce: i as u64,
                balance: U256::from(i * 1000 + 7),
                storage_root: EMPTY_ROOT_HASH,
                code_hash: KECCAK_EMPTY,
            };
            accounts.push((other.into_word(), acct.rlp()));
        }
        // The state trie is keyed by keccak256(address); `trie` hashes the 32-byte key, so feed
        // it the address bytes through a helper that hashes 20 bytes.
        let (state_root, account_proofs) = address_trie(&accounts, token);
        World {
            state_root,
            token,
            token_account,
            holders,
            account_proof: account_proofs,
            storage_proofs,
        }
    }

    fn address_trie(accounts: &[(B256, Vec<u8>)], target: Address) -> (B256, Vec<Bytes>) {
        let mut leaves: Vec<(Nibbles, &Vec<u8>)> = accounts
            .iter()
            .map(|(k, v)| (Nibbles::unpack(keccak256(Address::from_word(*k))), v))
            .collect();
        leaves.sort_by_key(|a| a.0);
        let t = Nibbles::unpack(keccak256(target));
        let mut builder = HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![t]));
        for (k, v) in &leaves {
            builder.add_leaf(*k, v);
        }
        let root = builder.root();
        let proof = builder
            .take_proof_nodes()
            .matching_nodes_sorted(&t)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        (root, proof)
    }

    fn target(w: &World, account: Address) -> EscapeTarget {
        EscapeTarget {
            l1_token: Address::ZERO,
            l2_token: w.token,
            account,
            output_index: 3,
            l2_block_number: 42,
            l2_state_root: w.state_root,
        }
    }

    fn response(w: &World, who: usize) -> EIP1186AccountProofResponse {
        let (account, balance) = w.holders[who];
        EIP1186AccountProofResponse {
            address: w.token,
            balance: w.token_account.balance,
            code_hash: w.token_account.code_hash,
            nonce: w.token_account.nonce,
            storage_hash: w.token_account.storage_root,
            account_proof: w.account_proof.clone(),
            storage_proof: vec![EIP1186StorageProof {
                key: balance_slot(account).into(),
                value: balance,
                proof: w.storage_proofs[who].clone(),
            }],
        }
    }

    fn holders(n: usize) -> Vec<(Address, U256)> {
        (0..n)
            .map(|i| {
                (
                    Address::repeat_byte(0x10 + i as u8),
                    U256::from(10u64.pow(18)) * U256::from(i + 1),
                )
            })
            .collect()
    }

    #[test]
    fn balance_slot_is_the_mapping_slot_zero() {
        let a = address!("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
        let mut preimage = [0u8; 64];
        preimage[12..32].copy_from_slice(a.as_slice());
        assert_eq!(balance_slot(a), keccak256(preimage));
    }

    #[test]
    fn a_valid_proof_is_accepted() {
        let w = world(holders(5), 6);
        for who in 0..5 {
            let (account, balance) = w.holders[who];
            let proof = build_escape_proof(&target(&w, account), response(&w, who)).unwrap();
            assert_eq!(proof.balance, balance);
            assert_eq!(proof.verify().unwrap(), balance);
            // JSON round trip keeps it valid.
            let json = serde_json::to_string(&proof).unwrap();
            let back: EscapeProof = serde_json::from_str(&json).unwrap();
            assert_eq!(back, proof);
            assert_eq!(back.verify_against(&target(&w, account)).unwrap(), balance);
        }
    }

    #[test]
    fn a_lie_about_the_balance_is_a_storage_proof_error() {
        let w = world(holders(3), 2);
        let mut r = response(&w, 1);
        r.storage_proof[0].value += U256::from(1u8);
        let err = build_escape_proof(&target(&w, w.holders[1].0), r).unwrap_err();
        assert!(matches!(err, ExitError::StorageProof { .. }), "{err}");
    }

    #[test]
    fn a_proof_for_another_account_is_rejected() {
        let w = world(holders(3), 2);
        // Holder 0's proof and balance presented as holder 1's.
        let mut r = response(&w, 0);
        r.storage_proof[0].key = balance_slot(w.holders[1].0).into();
        let err = build_escape_proof(&target(&w, w.holders[1].0), r).unwrap_err();
        assert!(matches!(err, ExitError::StorageProof { .. }), "{err}");
        // The node answering for another slot is caught before the trie check.
        let r = response(&w, 0);
        let err = build_escape_proof(&target(&w, w.holders[1].0), r).unwrap_err();
        assert!(err.to_string().contains("another slot"), "{err}");
        // A whole proof file re-labelled with another account fails on the slot.
        let mut p = build_escape_proof(&target(&w, w.holders[0].0), response(&w, 0)).unwrap();
        p.target.account = w.holders[1].0;
        assert!(matches!(p.verify(), Err(ExitError::ProofMismatch(_))));
        p.slot = balance_slot(w.holders[1].0);
        assert!(matches!(p.verify(), Err(ExitError::StorageProof { .. })));
    }

    #[test]
    fn a_proof_for_another_contract_is_rejected() {
        let w = world(holders(2), 3);
        let mut t = target(&w, w.holders[0].0);
        t.l2_token = Address::with_last_byte(2);
        let mut r = response(&w, 0);
        r.address = t.l2_token;
        let err = build_escape_proof(&t, r).unwrap_err();
        assert!(matches!(err, ExitError::AccountProof { .. }), "{err}");
    }

    #[test]
    fn a_proof_against_another_root_is_rejected() {
        let w = world(holders(2), 3);
        let other = world(holders(3), 3);
        let mut t = target(&w, w.holders[0].0);
        t.l2_state_root = other.state_root;
        let err = build_escape_proof(&t, response(&w, 0)).unwrap_err();
        match err {
            ExitError::AccountProof { reason, .. } => {
                assert!(reason.contains("does not hash to the root"), "{reason}")
            }
            other => panic!("{other}"),
        }
        let p = build_escape_proof(&target(&w, w.holders[0].0), response(&w, 0)).unwrap();
        let err = p.verify_against(&t).unwrap_err();
        assert!(err.to_string().contains("state root"), "{err}");
    }

    #[test]
    fn a_zero_balance_is_proven_and_refused() {
        let mut h = holders(3);
        h[2].1 = U256::ZERO;
        let w = world(h, 2);
        let err = build_escape_proof(&target(&w, w.holders[2].0), response(&w, 2)).unwrap_err();
        assert!(matches!(err, ExitError::ZeroBalance { .. }), "{err}");
        // Claiming a balance where the trie proves absence fails the storage proof.
        let mut r = response(&w, 2);
        r.storage_proof[0].value = U256::from(5u8);
        let err = build_escape_proof(&target(&w, w.holders[2].0), r).unwrap_err();
        assert!(matches!(err, ExitError::StorageProof { .. }), "{err}");
    }

    #[test]
    fn a_missing_token_contract_is_proven_absent() {
        let w = world(holders(2), 3);
        let missing = Address::with_last_byte(0xee);
        let (_, absent_proof) = {
            // Proof for an address that is not in the trie.
            let mut accounts: Vec<(B256, Vec<u8>)> =
                vec![(w.token.into_word(), w.token_account.rlp())];
            for i in 0..3usize {
                let acct = TokenAccount {
                    nonce: i as u64,
                    balance: U256::from(i * 1000 + 7),
                    storage_root: EMPTY_ROOT_HASH,
                    code_hash: KECCAK_EMPTY,
                };
                accounts.push((Address::with_last_byte(i as u8 + 1).into_word(), acct.rlp()));
            }
            address_trie(&accounts, missing)
        };
        let mut t = target(&w, w.holders[0].0);
        t.l2_token = missing;
        let r = EIP1186AccountProofResponse {
            address: missing,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
            nonce: 0,
            storage_hash: EMPTY_ROOT_HASH,
            account_proof: absent_proof,
            storage_proof: vec![],
        };
        let err = build_escape_proof(&t, r).unwrap_err();
        assert!(matches!(err, ExitError::TokenNotDeployed { .. }), "{err}");
        // A node hiding an existing token behind an "empty account" answer is caught.
        let mut r = response(&w, 0);
        r.nonce = 0;
        r.code_hash = KECCAK_EMPTY;
        r.storage_hash = EMPTY_ROOT_HASH;
        let err = build_escape_proof(&target(&w, w.holders[0].0), r).unwrap_err();
        assert!(matches!(err, ExitError::AccountProof { .. }), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Flipping any bit of any node of either proof makes the proof fail.
        #[test]
        fn any_tampered_node_is_rejected(
            n in 1usize..12,
            others in 0usize..20,
            who_seed in any::<usize>(),
            which in any::<bool>(),
            node_seed in any::<usize>(),
            byte_seed in any::<usize>(),
            bit in 0u8..8,
        ) {
            let w = world(holders(n), others);
            let who = who_seed % n;
            let account = w.holders[who].0;
            let mut r = response(&w, who);
            let nodes = if which { &mut r.account_proof } else { &mut r.storage_proof[0].proof };
            let i = node_seed % nodes.len();
            let mut node = nodes[i].to_vec();
            let j = byte_seed % node.len();
            node[j] ^= 1 << bit;
            nodes[i] = node.into();
            let result = build_escape_proof(&target(&w, account), r);
            prop_assert!(
                matches!(result, Err(ExitError::AccountProof { .. } | ExitError::StorageProof { .. })),
                "tampered proof accepted or wrong error: {:?}", result.map(|p| p.balance)
            );
        }

        /// Every holder's proof verifies and yields exactly its balance.
        #[test]
        fn every_holder_is_proven(n in 1usize..16, others in 0usize..16, seed in any::<u64>()) {
            let mut h = holders(n);
            for (i, (_, b)) in h.iter_mut().enumerate() {
                *b = U256::from(seed.wrapping_mul(i as u64 + 1) | 1);
            }
            let w = world(h, others);
            for who in 0..n {
                let p = build_escape_proof(&target(&w, w.holders[who].0), response(&w, who)).unwrap();
                prop_assert_eq!(p.balance, w.holders[who].1);
            }
        }
    }
}
