//! Decoding for display: what a member reads before signing ([`Action::describe`],
//! [`ActionView::to_text`]), with scheduled calls decoded by selector against the Drawbridge
//! contracts' ABIs ([`decode_call`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::dyn_abi::{DynSolValue, JsonAbiExt};
use alloy::json_abi::{Function, JsonAbi, Param};
use alloy::primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};

use super::{Action, ActionArgs};
use crate::error::Result;

impl Action {
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
            include_str!("../../../bindings/artifacts/SecurityCouncil.json"),
        ),
        parse(
            "L1Bridge",
            include_str!("../../../bindings/artifacts/L1Bridge.json"),
        ),
        parse(
            "OutputOracle",
            include_str!("../../../bindings/artifacts/OutputOracle.json"),
        ),
        parse(
            "L2Bridge",
            include_str!("../../../bindings/artifacts/L2Bridge.json"),
        ),
        parse(
            "L1RootOracle",
            include_str!("../../../bindings/artifacts/L1RootOracle.json"),
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

/// `YYYY-MM-DD hh:mm:ss UTC` of a unix timestamp.
pub fn utc(ts: u64) -> String {
    // A timestamp past jiff's range (year 9999) prints as the number.
    match jiff::Timestamp::from_second(i64::try_from(ts).unwrap_or(i64::MAX)) {
        Ok(time) => time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => format!("unix time {ts}"),
    }
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
