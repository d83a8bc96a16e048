//! Council actions: what the members sign, computed exactly as `SecurityCouncil.sol` does
//! (`actionDigest`, `domainSeparator`; docs/council.md "Actions" is binding).
//!
//! A member never signs a digest it did not compute itself: it receives the action's fields,
//! checks them ([`Action::check`]), shows [`Action::describe`] and signs [`Action::digest`].
//!
//! This module is the one place that knows the action kinds and their encodings:
//! - here: the kinds, the domain, the digest, and decoding and checking an action's `data`;
//! - [`build`]: building an action of every kind (also from the `action` commands' arguments,
//!   [`ActionSpec`]) and the calls to schedule ([`calls`]);
//! - [`encode`]: the entry-point calldata that carries an action and its signature on chain;
//! - [`display`]: decoding an action for a member to read ([`ActionView`]).
//!
//! It reads no files and talks to no chain: the `chain` module reads the council state the
//! builders take and submits.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::sol_types::SolValue;
use serde::{Deserialize, Serialize};

use crate::error::{CouncilError, Result};

pub mod build;
pub mod display;
pub mod encode;

pub use build::{ActionSettings, ActionSpec, CouncilState, calls};
pub use display::{
    ActionView, DecodedArg, DecodedCall, decode_call, human_duration, unix_now, utc,
};

/// `keccak256("Action(uint8 kind,address target,bytes data,uint256 nonce,uint256 deadline)")`.
pub const ACTION_TYPE: &str =
    "Action(uint8 kind,address target,bytes data,uint256 nonce,uint256 deadline)";
/// The EIP-712 domain type.
pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
/// EIP-712 domain name.
pub const DOMAIN_NAME: &str = "Drawbridge Security Council";
/// EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

/// The kinds of signed actions (docs/council.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
    /// 1: pause the L1 bridge for `duration` seconds.
    Pause,
    /// 2: end the current pause.
    Unpause,
    /// 3: uphold or delete a disputed output.
    ResolveDispute,
    /// 4: schedule a call behind the timelock.
    Schedule,
    /// 5: cancel a scheduled call.
    Cancel,
}

impl ActionKind {
    /// The `uint8` the contract uses.
    pub fn code(self) -> u8 {
        match self {
            ActionKind::Pause => 1,
            ActionKind::Unpause => 2,
            ActionKind::ResolveDispute => 3,
            ActionKind::Schedule => 4,
            ActionKind::Cancel => 5,
        }
    }

    /// Inverse of [`ActionKind::code`].
    pub fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            1 => ActionKind::Pause,
            2 => ActionKind::Unpause,
            3 => ActionKind::ResolveDispute,
            4 => ActionKind::Schedule,
            5 => ActionKind::Cancel,
            other => {
                return Err(CouncilError::InvalidAction(format!(
                    "unknown action kind {other}"
                )));
            }
        })
    }

    /// Name as in the contract's entry points.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Pause => "pause",
            ActionKind::Unpause => "unpause",
            ActionKind::ResolveDispute => "resolveDispute",
            ActionKind::Schedule => "schedule",
            ActionKind::Cancel => "cancel",
        }
    }
}

/// The EIP-712 domain of one `SecurityCouncil` proxy: its chain and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// Chain id of the chain the council lives on.
    pub chain_id: u64,
    /// The council proxy (EIP-712 `verifyingContract`).
    pub council: Address,
}

impl Domain {
    /// `domainSeparator()`: `keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256(name),
    /// keccak256(version), chainId, verifyingContract))`.
    pub fn separator(&self) -> B256 {
        keccak256(
            (
                keccak256(DOMAIN_TYPE),
                keccak256(DOMAIN_NAME),
                keccak256(DOMAIN_VERSION),
                U256::from(self.chain_id),
                self.council,
            )
                .abi_encode_params(),
        )
    }
}

/// A signed action: `Action(uint8 kind,address target,bytes data,uint256 nonce,uint256 deadline)`
/// under a [`Domain`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Which council and chain.
    pub domain: Domain,
    /// Kind.
    pub kind: ActionKind,
    /// The address the action acts on (docs/council.md "the target field").
    pub target: Address,
    /// ABI encoding of the kind's arguments.
    pub data: Bytes,
    /// Must equal the council's `nonce()` when submitted.
    pub nonce: u64,
    /// Last valid block timestamp (unix seconds).
    pub deadline: u64,
}

/// The arguments of an action, decoded from its `data`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ActionArgs {
    /// `pause(uint64 duration)`.
    Pause {
        /// Seconds.
        duration: u64,
    },
    /// `unpause()`.
    Unpause,
    /// `resolveDispute(uint256 outputIndex, bool valid)`.
    ResolveDispute {
        /// Output index on the OutputOracle.
        output_index: U256,
        /// `true` upholds the output, `false` deletes it and every later one.
        valid: bool,
    },
    /// `schedule(address target, bytes call)`.
    Schedule {
        /// Call target.
        target: Address,
        /// Calldata.
        call: Bytes,
    },
    /// `cancel(bytes32 id)`.
    Cancel {
        /// The scheduled call's id.
        id: B256,
    },
}

fn canonical<T>(data: &[u8], what: &str) -> Result<T>
where
    T: SolValue + From<<T::SolType as alloy::sol_types::SolType>::RustType>,
    for<'a> <T::SolType as alloy::sol_types::SolType>::Token<'a>:
        alloy::sol_types::abi::TokenSeq<'a>,
{
    let bad = |reason: String| CouncilError::InvalidAction(format!("{what}: {reason}"));
    let value = T::abi_decode_params(data).map_err(|e| bad(e.to_string()))?;
    // The contract encodes `data` itself from its arguments, so only the canonical encoding
    // can ever verify on chain: refuse anything else.
    if value.abi_encode_params() != data {
        return Err(bad("not the canonical ABI encoding".into()));
    }
    Ok(value)
}

impl Action {
    /// The struct hash: `keccak256(abi.encode(ACTION_TYPEHASH, kind, target, keccak256(data),
    /// nonce, deadline))`.
    pub fn struct_hash(&self) -> B256 {
        keccak256(
            (
                keccak256(ACTION_TYPE),
                U256::from(self.kind.code()),
                self.target,
                keccak256(&self.data),
                U256::from(self.nonce),
                U256::from(self.deadline),
            )
                .abi_encode_params(),
        )
    }

    /// `actionDigest(kind, target, data, nonce, deadline)` of the contract at [`Action::domain`]:
    /// `keccak256(0x1901 || domainSeparator || structHash)`. This is what the members sign.
    pub fn digest(&self) -> B256 {
        let mut m = Vec::with_capacity(66);
        m.extend_from_slice(&[0x19, 0x01]);
        m.extend_from_slice(self.domain.separator().as_slice());
        m.extend_from_slice(self.struct_hash().as_slice());
        keccak256(m)
    }

    /// Decodes `data` for the kind; refuses data that does not decode or is not the canonical
    /// encoding (the contract encodes `data` itself, so nothing else can verify).
    pub fn args(&self) -> Result<ActionArgs> {
        Ok(match self.kind {
            ActionKind::Pause => ActionArgs::Pause {
                duration: canonical::<(u64,)>(&self.data, "pause data")?.0,
            },
            ActionKind::Unpause => {
                if !self.data.is_empty() {
                    return Err(CouncilError::InvalidAction(
                        "unpause data must be empty".into(),
                    ));
                }
                ActionArgs::Unpause
            }
            ActionKind::ResolveDispute => {
                let (output_index, valid) =
                    canonical::<(U256, bool)>(&self.data, "resolveDispute data")?;
                ActionArgs::ResolveDispute {
                    output_index,
                    valid,
                }
            }
            ActionKind::Schedule => {
                let (target, call) = canonical::<(Address, Bytes)>(&self.data, "schedule data")?;
                ActionArgs::Schedule { target, call }
            }
            ActionKind::Cancel => ActionArgs::Cancel {
                id: canonical::<(B256,)>(&self.data, "cancel data")?.0,
            },
        })
    }

    /// Checks what can be checked without a chain: `data` decodes canonically for the kind, the
    /// `target` is the one the contract's entry point fills in where it follows from the action
    /// (a scheduled call's target, the council for a cancel), a pause is not empty, a schedule
    /// target is not zero, and the domain names a council.
    pub fn check(&self) -> Result<ActionArgs> {
        let bad = |m: String| Err(CouncilError::InvalidAction(m));
        if self.domain.council == Address::ZERO {
            return bad("the domain's council address is zero".into());
        }
        if self.domain.chain_id == 0 {
            return bad("the domain's chain id is zero".into());
        }
        let args = self.args()?;
        match &args {
            ActionArgs::Pause { duration } if *duration == 0 => {
                return bad("a pause of 0 seconds".into());
            }
            ActionArgs::Schedule { target, .. } if *target != self.target => {
                return bad(format!(
                    "schedule target {} differs from the call's target {target}",
                    self.target
                ));
            }
            ActionArgs::Schedule { target, .. } if *target == Address::ZERO => {
                return bad("schedule target is zero".into());
            }
            ActionArgs::Cancel { .. } if self.target != self.domain.council => {
                return bad(format!(
                    "cancel target {} is not the council {}",
                    self.target, self.domain.council
                ));
            }
            _ => {}
        }
        if matches!(
            self.kind,
            ActionKind::Pause | ActionKind::Unpause | ActionKind::ResolveDispute
        ) && self.target == Address::ZERO
        {
            return bad(format!("{} target is zero", self.kind.name()));
        }
        Ok(args)
    }

    /// For a schedule: the id the contract gives the scheduled call,
    /// `keccak256(abi.encode(target, call, nonce))`.
    pub fn schedule_id(&self) -> Result<Option<B256>> {
        match self.args()? {
            ActionArgs::Schedule { target, call } => {
                Ok(Some(schedule_id(target, &call, self.nonce)))
            }
            _ => Ok(None),
        }
    }
}

/// Id of a scheduled call: `keccak256(abi.encode(target, call, nonce))`.
pub fn schedule_id(target: Address, call: &[u8], nonce: u64) -> B256 {
    keccak256((target, Bytes::copy_from_slice(call), U256::from(nonce)).abi_encode_params())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Domain {
        Domain {
            chain_id: 900,
            council: Address::repeat_byte(0xcc),
        }
    }

    #[test]
    fn type_hashes_match_the_contract_constants() {
        // ACTION_TYPEHASH as written in SecurityCouncil.sol.
        assert_eq!(
            keccak256(ACTION_TYPE).to_string(),
            "0x7906491448458dc89c6988c54235dac361c38049ecfd8c9f598b0ebb1643cb45"
        );
    }

    #[test]
    fn builders_round_trip_through_args() {
        let d = domain();
        let bridge = Address::repeat_byte(1);
        let a = Action::pause(d, bridge, 3600, 7, 99);
        assert_eq!(a.check().unwrap(), ActionArgs::Pause { duration: 3600 });
        assert_eq!(a.data.len(), 32);
        let a = Action::unpause(d, bridge, 0, 1);
        assert_eq!(a.check().unwrap(), ActionArgs::Unpause);
        let a = Action::resolve_dispute(d, bridge, U256::from(5), false, 0, 1);
        assert_eq!(
            a.check().unwrap(),
            ActionArgs::ResolveDispute {
                output_index: U256::from(5),
                valid: false
            }
        );
        let call = calls::set_targets(bridge, Address::repeat_byte(2));
        let a = Action::schedule(d, d.council, call.clone(), 3, 1);
        assert_eq!(
            a.check().unwrap(),
            ActionArgs::Schedule {
                target: d.council,
                call: call.clone()
            }
        );
        assert_eq!(
            a.schedule_id().unwrap(),
            Some(schedule_id(d.council, &call, 3))
        );
        let a = Action::cancel(d, B256::repeat_byte(9), 0, 1);
        assert_eq!(a.target, d.council);
        assert_eq!(
            a.check().unwrap(),
            ActionArgs::Cancel {
                id: B256::repeat_byte(9)
            }
        );
    }

    #[test]
    fn inconsistent_or_non_canonical_actions_are_refused() {
        let d = domain();
        let bridge = Address::repeat_byte(1);
        // Trailing byte after the canonical encoding.
        let mut a = Action::pause(d, bridge, 60, 0, 1);
        let mut data = a.data.to_vec();
        data.push(0);
        a.data = data.into();
        assert!(
            matches!(a.check(), Err(CouncilError::InvalidAction(m)) if m.contains("pause data"))
        );
        // A uint64 with high bits set does not decode as uint64.
        let mut a = Action::pause(d, bridge, 60, 0, 1);
        let mut data = a.data.to_vec();
        data[0] = 1;
        a.data = data.into();
        assert!(a.check().is_err());
        // Schedule whose target differs from the call's target.
        let mut a = Action::schedule(d, bridge, calls::set_targets(bridge, bridge), 0, 1);
        a.target = Address::repeat_byte(3);
        assert!(matches!(a.check(), Err(CouncilError::InvalidAction(m)) if m.contains("differs")));
        // Cancel aimed elsewhere than the council.
        let mut a = Action::cancel(d, B256::ZERO, 0, 1);
        a.target = bridge;
        assert!(a.check().is_err());
        // Unpause with data; zero-length pause; zero council.
        let mut a = Action::unpause(d, bridge, 0, 1);
        a.data = vec![0u8; 32].into();
        assert!(a.check().is_err());
        assert!(Action::pause(d, bridge, 0, 0, 1).check().is_err());
        let z = Domain {
            chain_id: 1,
            council: Address::ZERO,
        };
        assert!(Action::pause(z, bridge, 1, 0, 1).check().is_err());
    }

    #[test]
    fn digest_changes_with_every_field() {
        let d = domain();
        let bridge = Address::repeat_byte(1);
        let base = Action::pause(d, bridge, 60, 0, 100);
        let variants = [
            Action::pause(d, bridge, 61, 0, 100),
            Action::pause(d, bridge, 60, 1, 100),
            Action::pause(d, bridge, 60, 0, 101),
            Action::pause(d, Address::repeat_byte(2), 60, 0, 100),
            Action::pause(Domain { chain_id: 901, ..d }, bridge, 60, 0, 100),
            Action::pause(
                Domain {
                    council: Address::repeat_byte(0xcd),
                    ..d
                },
                bridge,
                60,
                0,
                100,
            ),
        ];
        for v in variants {
            assert_ne!(v.digest(), base.digest(), "{v:?}");
        }
        let mut k = base.clone();
        k.kind = ActionKind::Unpause;
        assert_ne!(k.digest(), base.digest());
    }

    #[test]
    fn schedule_calls_are_decoded_by_selector() {
        let d = domain();
        let key = crate::signing::trusted_dealer(2, 3, &mut rand_core::OsRng)
            .unwrap()
            .export()
            .unwrap();
        let a = Action::schedule(d, d.council, calls::rotate_key(&key), 1, 1);
        let view = a.describe_at(0).unwrap();
        let call = view.call.as_ref().unwrap();
        assert_eq!(call.function.as_deref(), Some("rotateKey(uint256,uint256)"));
        assert_eq!(call.contracts, vec!["SecurityCouncil"]);
        assert_eq!(call.args[0].name, "x");
        assert_eq!(call.args[0].value, U256::from_be_bytes(key.0.x).to_string());
        assert!(view.to_text().contains("(the council itself)"));

        // upgradeToAndCall is in every UUPS contract; its data is decoded one level down.
        let inner = calls::set_targets(Address::repeat_byte(1), Address::repeat_byte(2));
        let up = calls::upgrade_to_and_call(Address::repeat_byte(7), inner);
        let c = decode_call(&up);
        assert_eq!(
            c.function.as_deref(),
            Some("upgradeToAndCall(address,bytes)")
        );
        assert!(c.contracts.contains(&"L1Bridge".to_string()));
        assert!(c.contracts.contains(&"SecurityCouncil".to_string()));
        let nested = c.args[1].call.as_ref().unwrap();
        assert_eq!(
            nested.function.as_deref(),
            Some("setTargets(address,address)")
        );

        // Unknown selector: selector and raw bytes only.
        let c = decode_call(&[0xde, 0xad, 0xbe, 0xef, 1, 2]);
        assert_eq!(c.function, None);
        assert_eq!(c.selector, "0xdeadbeef");
        let text = Action::schedule(
            d,
            Address::repeat_byte(5),
            vec![0xde, 0xad, 0xbe, 0xef].into(),
            0,
            1,
        )
        .describe_at(0)
        .unwrap()
        .to_text();
        assert!(
            text.contains("UNKNOWN function, selector 0xdeadbeef"),
            "{text}"
        );

        // A known selector with trailing garbage is not "decoded".
        let mut bad = calls::set_targets(Address::ZERO, Address::ZERO).to_vec();
        bad.push(1);
        assert_eq!(decode_call(&bad).function, None);
    }

    #[test]
    fn display_names_kind_target_chain_and_deadline() {
        let d = domain();
        let a = Action::resolve_dispute(
            d,
            Address::repeat_byte(4),
            U256::from(3),
            true,
            2,
            1_700_000_000,
        );
        let v = a.describe_at(1_700_000_000 - 90).unwrap();
        assert_eq!(v.deadline_utc, "2023-11-14 22:13:20 UTC");
        assert_eq!(v.seconds_left, 90);
        let t = v.to_text();
        for needle in [
            "resolveDispute (kind 3)",
            "chain id:  900",
            "output index: 3",
            "upheld",
            "90 s left (1m 30s)",
        ] {
            assert!(t.contains(needle), "{needle} in {t}");
        }
        let v = a.describe_at(1_700_000_010).unwrap();
        assert!(v.to_text().contains("EXPIRED 10 s ago"));
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
