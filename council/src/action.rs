//! Council actions: what the members sign, computed exactly as `SecurityCouncil.sol` does
//! (`actionDigest`, `domainSeparator`; docs/council.md "Actions" is binding), builders for every
//! kind, the entry-point calldata that carries a signature on chain, and a decoding for display.
//!
//! A member never signs a digest it did not compute itself: it receives the action's fields,
//! checks them ([`Action::check`]), shows [`Action::describe`] and signs [`Action::digest`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::json_abi::{Function, JsonAbi, Param};
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::sol_types::{SolCall, SolValue};
use drawbridge_bindings::SecurityCouncil;
use serde::{Deserialize, Serialize};

use crate::contract::SignatureExport;
use crate::error::{CouncilError, Result};

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
    fn new(
        domain: Domain,
        kind: ActionKind,
        target: Address,
        data: Vec<u8>,
        nonce: u64,
        deadline: u64,
    ) -> Self {
        Action {
            domain,
            kind,
            target,
            data: data.into(),
            nonce,
            deadline,
        }
    }

    /// Kind 1: pause `l1_bridge` (the council's `l1Bridge()`) for `duration` seconds.
    pub fn pause(
        domain: Domain,
        l1_bridge: Address,
        duration: u64,
        nonce: u64,
        deadline: u64,
    ) -> Self {
        let data = (duration,).abi_encode_params();
        Self::new(domain, ActionKind::Pause, l1_bridge, data, nonce, deadline)
    }

    /// Kind 2: end the pause of `l1_bridge`.
    pub fn unpause(domain: Domain, l1_bridge: Address, nonce: u64, deadline: u64) -> Self {
        Self::new(
            domain,
            ActionKind::Unpause,
            l1_bridge,
            Vec::new(),
            nonce,
            deadline,
        )
    }

    /// Kind 3: resolve the dispute over `output_index` on `output_oracle` (the council's
    /// `outputOracle()`); `valid` upholds the output.
    pub fn resolve_dispute(
        domain: Domain,
        output_oracle: Address,
        output_index: U256,
        valid: bool,
        nonce: u64,
        deadline: u64,
    ) -> Self {
        let data = (output_index, valid).abi_encode_params();
        Self::new(
            domain,
            ActionKind::ResolveDispute,
            output_oracle,
            data,
            nonce,
            deadline,
        )
    }

    /// Kind 4: schedule `call` on `target` behind the timelock.
    pub fn schedule(
        domain: Domain,
        target: Address,
        call: Bytes,
        nonce: u64,
        deadline: u64,
    ) -> Self {
        let data = (target, call).abi_encode_params();
        Self::new(domain, ActionKind::Schedule, target, data, nonce, deadline)
    }

    /// Kind 5: cancel the scheduled call `id` (target: the council itself).
    pub fn cancel(domain: Domain, id: B256, nonce: u64, deadline: u64) -> Self {
        let data = (id,).abi_encode_params();
        Self::new(
            domain,
            ActionKind::Cancel,
            domain.council,
            data,
            nonce,
            deadline,
        )
    }

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

    /// Calldata of the council entry point that submits this action with `sig`
    /// (`pause`, `unpause`, `resolveDispute`, `schedule` or `cancel`).
    pub fn calldata(&self, sig: &SignatureExport) -> Result<Bytes> {
        let sig = SecurityCouncil::Signature {
            rx: U256::from_be_bytes(sig.r.x),
            ry: U256::from_be_bytes(sig.r.y),
            z: U256::from_be_bytes(sig.z),
        };
        let nonce = U256::from(self.nonce);
        let deadline = U256::from(self.deadline);
        let data = match self.args()? {
            ActionArgs::Pause { duration } => SecurityCouncil::pauseCall {
                duration,
                actionNonce: nonce,
                deadline,
                sig,
            }
            .abi_encode(),
            ActionArgs::Unpause => SecurityCouncil::unpauseCall {
                actionNonce: nonce,
                deadline,
                sig,
            }
            .abi_encode(),
            ActionArgs::ResolveDispute {
                output_index,
                valid,
            } => SecurityCouncil::resolveDisputeCall {
                outputIndex: output_index,
                valid,
                actionNonce: nonce,
                deadline,
                sig,
            }
            .abi_encode(),
            ActionArgs::Schedule { target, call } => SecurityCouncil::scheduleCall {
                target,
                call,
                actionNonce: nonce,
                deadline,
                sig,
            }
            .abi_encode(),
            ActionArgs::Cancel { id } => SecurityCouncil::cancelCall {
                id,
                actionNonce: nonce,
                deadline,
                sig,
            }
            .abi_encode(),
        };
        Ok(data.into())
    }

    /// Decodes the action for display ([`ActionView::to_text`] renders it), with the deadline
    /// relative to `now` (unix seconds).
    pub fn describe_at(&self, now: u64) -> Result<ActionView> {
        let args = self.check()?;
        let details = match &args {
            ActionArgs::Pause { duration } => vec![(
                "duration".to_string(),
                format!("{duration} s ({})", human_duration(*duration)),
            )],
            ActionArgs::Unpause => Vec::new(),
            ActionArgs::ResolveDispute {
                output_index,
                valid,
            } => vec![
                ("output index".to_string(), output_index.to_string()),
                (
                    "verdict".to_string(),
                    if *valid {
                        "valid: the output is upheld".to_string()
                    } else {
                        "invalid: the output and every later output are deleted".to_string()
                    },
                ),
            ],
            ActionArgs::Schedule { target, .. } => {
                let mut d = vec![("call target".to_string(), target.to_string())];
                if *target == self.domain.council {
                    d[0].1.push_str(" (the council itself)");
                }
                d.push((
                    "scheduled id".to_string(),
                    self.schedule_id()?.unwrap_or_default().to_string(),
                ));
                d
            }
            ActionArgs::Cancel { id } => vec![("scheduled id".to_string(), id.to_string())],
        };
        let call = match &args {
            ActionArgs::Schedule { call, .. } => Some(decode_call(call)),
            _ => None,
        };
        Ok(ActionView {
            kind: self.kind.name().to_string(),
            kind_code: self.kind.code(),
            target: self.target,
            chain_id: self.domain.chain_id,
            council: self.domain.council,
            nonce: self.nonce,
            deadline: self.deadline,
            deadline_utc: utc(self.deadline),
            seconds_left: self.deadline as i128 - now as i128,
            details,
            call,
            digest: self.digest(),
        })
    }

    /// [`Action::describe_at`] now.
    pub fn describe(&self) -> Result<ActionView> {
        self.describe_at(unix_now())
    }
}

/// Id of a scheduled call: `keccak256(abi.encode(target, call, nonce))`.
pub fn schedule_id(target: Address, call: &[u8], nonce: u64) -> B256 {
    keccak256((target, Bytes::copy_from_slice(call), U256::from(nonce)).abi_encode_params())
}

/// Calls to schedule with [`Action::schedule`] (target: the contract named in each).
pub mod calls {
    use super::*;

    /// `SecurityCouncil.rotateKey(x, y)` (target: the council itself): the new group key as an
    /// affine point, e.g. from [`crate::contract::GroupKeyExport`].
    pub fn rotate_key(key: &crate::contract::GroupKeyExport) -> Bytes {
        SecurityCouncil::rotateKeyCall {
            x: U256::from_be_bytes(key.0.x),
            y: U256::from_be_bytes(key.0.y),
        }
        .abi_encode()
        .into()
    }

    /// `upgradeToAndCall(newImplementation, data)` of any Drawbridge proxy (UUPS; target: the
    /// proxy). `data` is empty or a call run on the new implementation.
    pub fn upgrade_to_and_call(new_implementation: Address, data: Bytes) -> Bytes {
        SecurityCouncil::upgradeToAndCallCall {
            newImplementation: new_implementation,
            data,
        }
        .abi_encode()
        .into()
    }

    /// `SecurityCouncil.setTargets(l1Bridge, outputOracle)` (target: the council itself).
    pub fn set_targets(l1_bridge: Address, output_oracle: Address) -> Bytes {
        SecurityCouncil::setTargetsCall {
            newL1Bridge: l1_bridge,
            newOutputOracle: output_oracle,
        }
        .abi_encode()
        .into()
    }
}

/// An action decoded for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    /// Entry point name (`pause`, ...).
    pub kind: String,
    /// The kind's `uint8`.
    pub kind_code: u8,
    /// Target contract.
    pub target: Address,
    /// Chain id of the council.
    pub chain_id: u64,
    /// The council (EIP-712 verifying contract).
    pub council: Address,
    /// Action nonce.
    pub nonce: u64,
    /// Deadline, unix seconds.
    pub deadline: u64,
    /// Deadline as `YYYY-MM-DD hh:mm:ss UTC`.
    pub deadline_utc: String,
    /// Seconds from now to the deadline (negative: expired).
    pub seconds_left: i128,
    /// Kind-specific fields, in display order.
    pub details: Vec<(String, String)>,
    /// A scheduled call, decoded where the ABI is known.
    pub call: Option<DecodedCall>,
    /// The EIP-712 digest the members sign.
    pub digest: B256,
}

impl ActionView {
    /// Readable multi-line rendering.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "action:    {} (kind {})", self.kind, self.kind_code);
        let _ = writeln!(s, "chain id:  {}", self.chain_id);
        let _ = writeln!(s, "council:   {}", self.council);
        let _ = writeln!(s, "target:    {}", self.target);
        for (k, v) in &self.details {
            let _ = writeln!(s, "{:<10} {v}", format!("{k}:"));
        }
        if let Some(call) = &self.call {
            s.push_str(&call.to_text(1));
        }
        let _ = writeln!(s, "nonce:     {}", self.nonce);
        let left = if self.seconds_left < 0 {
            format!("EXPIRED {} s ago", -self.seconds_left)
        } else {
            format!(
                "{} s left ({})",
                self.seconds_left,
                human_duration(self.seconds_left as u64)
            )
        };
        let _ = writeln!(
            s,
            "deadline:  {} ({}) {left}",
            self.deadline_utc, self.deadline
        );
        let _ = writeln!(s, "digest:    {}", self.digest);
        s
    }
}

/// A call decoded against the Drawbridge contracts' ABIs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecodedCall {
    /// The 4-byte selector, 0x-hex (empty for calldata shorter than 4 bytes).
    pub selector: String,
    /// Function signature (`upgradeToAndCall(address,bytes)`), if a known ABI has the selector
    /// and the arguments decode canonically.
    pub function: Option<String>,
    /// The contracts whose ABI has this function.
    pub contracts: Vec<String>,
    /// Arguments: name, type, rendered value, and a decoded nested call for `bytes` arguments
    /// that are themselves a known call (e.g. `upgradeToAndCall`'s `data`).
    pub args: Vec<DecodedArg>,
    /// The raw calldata, 0x-hex.
    pub raw: Bytes,
}

/// One decoded argument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecodedArg {
    /// Parameter name.
    pub name: String,
    /// Solidity type.
    pub ty: String,
    /// Rendered value.
    pub value: String,
    /// Nested call, if this is `bytes` holding a known call.
    pub call: Option<Box<DecodedCall>>,
}

impl DecodedCall {
    fn to_text(&self, depth: usize) -> String {
        let pad = "  ".repeat(depth);
        let mut s = String::new();
        match &self.function {
            Some(f) => {
                let _ = writeln!(
                    s,
                    "{pad}call:     {f} [selector {}; in {}]",
                    self.selector,
                    self.contracts.join(", ")
                );
                for a in &self.args {
                    let _ = writeln!(s, "{pad}  {} {} = {}", a.ty, a.name, a.value);
                    if let Some(c) = &a.call {
                        s.push_str(&c.to_text(depth + 2));
                    }
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "{pad}call:     UNKNOWN function, selector {} (no Drawbridge ABI has it)",
                    if self.selector.is_empty() {
                        "(none)"
                    } else {
                        &self.selector
                    }
                );
                let _ = writeln!(s, "{pad}  raw calldata {}", self.raw);
            }
        }
        s
    }
}

/// (contract name, ABI) of every contract a council action may call.
static KNOWN_ABIS: LazyLock<Vec<(&'static str, JsonAbi)>> = LazyLock::new(|| {
    let parse = |name: &'static str, text: &str| {
        let v: serde_json::Value =
            serde_json::from_str(text).expect("committed bindings artifact is JSON");
        let abi: JsonAbi = serde_json::from_value(v["abi"].clone())
            .expect("committed bindings artifact has an ABI");
        (name, abi)
    };
    vec![
        parse(
            "SecurityCouncil",
            include_str!("../../bindings/artifacts/SecurityCouncil.json"),
        ),
        parse(
            "L1Bridge",
            include_str!("../../bindings/artifacts/L1Bridge.json"),
        ),
        parse(
            "OutputOracle",
            include_str!("../../bindings/artifacts/OutputOracle.json"),
        ),
        parse(
            "L2Bridge",
            include_str!("../../bindings/artifacts/L2Bridge.json"),
        ),
        parse(
            "L1RootOracle",
            include_str!("../../bindings/artifacts/L1RootOracle.json"),
        ),
    ]
});

/// A known function and the contracts whose ABI has it.
type KnownFunction = (Function, Vec<&'static str>);

/// Known functions by selector.
static KNOWN_FUNCTIONS: LazyLock<BTreeMap<[u8; 4], Vec<KnownFunction>>> = LazyLock::new(|| {
    let mut map: BTreeMap<[u8; 4], Vec<KnownFunction>> = BTreeMap::new();
    for (name, abi) in KNOWN_ABIS.iter() {
        for f in abi.functions() {
            let entry = map.entry(f.selector().0).or_default();
            match entry
                .iter_mut()
                .find(|(g, _)| g.signature() == f.signature())
            {
                Some((_, contracts)) => contracts.push(name),
                None => entry.push((f.clone(), vec![name])),
            }
        }
    }
    map
});

/// Decodes `call` against the ABIs of SecurityCouncil, L1Bridge, OutputOracle, L2Bridge and
/// L1RootOracle (the committed bindings artifacts): the function whose selector matches and
/// whose arguments decode canonically, else only the selector and the raw bytes.
pub fn decode_call(call: &[u8]) -> DecodedCall {
    decode_call_depth(call, 0)
}

fn decode_call_depth(call: &[u8], depth: usize) -> DecodedCall {
    let raw = Bytes::copy_from_slice(call);
    let Some(selector) = call
        .get(..4)
        .map(|s| <[u8; 4]>::try_from(s).expect("4 bytes"))
    else {
        return DecodedCall {
            selector: String::new(),
            function: None,
            contracts: Vec::new(),
            args: Vec::new(),
            raw,
        };
    };
    let unknown = DecodedCall {
        selector: format!("0x{}", hex::encode(selector)),
        function: None,
        contracts: Vec::new(),
        args: Vec::new(),
        raw: raw.clone(),
    };
    let Some(candidates) = KNOWN_FUNCTIONS.get(&selector) else {
        return unknown;
    };
    for (f, contracts) in candidates {
        let Ok(values) = f.abi_decode_input(&call[4..]) else {
            continue;
        };
        // Only the canonical encoding counts as "decoded": trailing or reordered bytes would be
        // ignored by the decoder but still be part of what is signed.
        if f.abi_encode_input(&values).ok().as_deref() != Some(call) {
            continue;
        }
        let args = f
            .inputs
            .iter()
            .zip(&values)
            .map(|(p, v)| DecodedArg {
                name: p.name.clone(),
                ty: p.selector_type().into_owned(),
                value: render(v, p),
                call: match v {
                    DynSolValue::Bytes(b) if depth < 2 && b.len() >= 4 => {
                        let inner = decode_call_depth(b, depth + 1);
                        inner.function.is_some().then(|| Box::new(inner))
                    }
                    _ => None,
                },
            })
            .collect();
        return DecodedCall {
            selector: unknown.selector.clone(),
            function: Some(f.signature()),
            contracts: contracts.iter().map(|c| c.to_string()).collect(),
            args,
            raw,
        };
    }
    unknown
}

fn render(v: &DynSolValue, p: &Param) -> String {
    match v {
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::FixedBytes(w, n) => format!("0x{}", hex::encode(&w[..*n])),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Tuple(items) if items.len() == p.components.len() => {
            let parts: Vec<String> = items
                .iter()
                .zip(&p.components)
                .map(|(v, c)| format!("{}: {}", c.name, render(v, c)))
                .collect();
            format!("({})", parts.join(", "))
        }
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            let parts: Vec<String> = items.iter().map(|v| render(v, p)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// Unix time now, in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD hh:mm:ss UTC` of a unix timestamp (proleptic Gregorian; days-from-civil inverse).
pub fn utc(ts: u64) -> String {
    let days = (ts / 86_400) as i64;
    let secs = ts % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `1d 2h 3m 4s`-style rendering.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
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
