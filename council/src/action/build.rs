//! Building actions: one builder per kind ([`Action::pause`] ...), the calls a schedule carries
//! ([`calls`]), and [`ActionSpec`], an action as the `drawbridge-council action ...` commands
//! describe it, completed from [`ActionSettings`] and the council's [`CouncilState`].

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol_types::{SolCall, SolValue};
use drawbridge_bindings::SecurityCouncil;

use super::{Action, ActionKind, Domain};
use crate::contract::GroupKeyExport;
use crate::error::{CouncilError, Result};

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

/// A council's on-chain state that actions depend on (read by `chain::council_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouncilState {
    /// Chain id.
    pub chain_id: u64,
    /// The nonce the next action must carry.
    pub nonce: u64,
    /// The L1 bridge the council pauses (zero on L2).
    pub l1_bridge: Address,
    /// The OutputOracle whose disputes it resolves (zero on L2).
    pub output_oracle: Address,
    /// Timelock delay of scheduled calls.
    pub upgrade_delay: u64,
}

/// An action as the `action` commands describe it: the kind and its arguments, with the targets
/// the council knows (`l1Bridge()`, `outputOracle()`) optional when they can be read from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionSpec {
    /// Kind 1: pause the L1 bridge for `duration` seconds.
    Pause {
        /// Seconds.
        duration: u64,
        /// The council's `l1Bridge()`, else read from [`CouncilState`].
        l1_bridge: Option<Address>,
    },
    /// Kind 2: end the current pause.
    Unpause {
        /// The council's `l1Bridge()`, else read from [`CouncilState`].
        l1_bridge: Option<Address>,
    },
    /// Kind 3: resolve the dispute over an output.
    Resolve {
        /// Output index on the OutputOracle.
        output_index: U256,
        /// `true` upholds the output, `false` deletes it and every later one.
        valid: bool,
        /// The council's `outputOracle()`, else read from [`CouncilState`].
        output_oracle: Option<Address>,
    },
    /// Kind 4: schedule a raw call behind the timelock.
    Schedule {
        /// Call target.
        target: Address,
        /// Calldata.
        call: Bytes,
    },
    /// Kind 5: cancel a scheduled call.
    Cancel {
        /// The scheduled call's id.
        id: B256,
    },
    /// Schedule `rotateKey` to `key` on the council itself.
    RotateKey {
        /// The new group key.
        key: GroupKeyExport,
    },
    /// Schedule `upgradeToAndCall(implementation, data)` on `proxy`.
    Upgrade {
        /// The proxy to upgrade.
        proxy: Address,
        /// The new implementation.
        implementation: Address,
        /// Call run on the new implementation (may be empty).
        data: Bytes,
    },
}

/// Where an action goes and how long it stays valid, each field given or read from the council.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSettings {
    /// The council proxy (EIP-712 verifying contract).
    pub council: Address,
    /// Where [`CouncilState`] was read, for error messages.
    pub rpc_url: Option<String>,
    /// Chain id, else the council's.
    pub chain_id: Option<u64>,
    /// Action nonce, else the council's `nonce()`.
    pub nonce: Option<u64>,
    /// Deadline (unix seconds), else now + `valid_for`.
    pub deadline: Option<u64>,
    /// Seconds the action stays valid when `deadline` is not given.
    pub valid_for: u64,
}

impl ActionSpec {
    /// The action under `domain` with `nonce` and `deadline`; targets not given are taken from
    /// `state` (refused when neither names one).
    pub fn build(
        &self,
        domain: Domain,
        nonce: u64,
        deadline: u64,
        state: Option<&CouncilState>,
    ) -> Result<Action> {
        let (d, n, dl) = (domain, nonce, deadline);
        Ok(match self {
            ActionSpec::Pause {
                duration,
                l1_bridge,
            } => {
                let bridge = target(*l1_bridge, state.map(|s| s.l1_bridge), "--l1-bridge")?;
                Action::pause(d, bridge, *duration, n, dl)
            }
            ActionSpec::Unpause { l1_bridge } => {
                let bridge = target(*l1_bridge, state.map(|s| s.l1_bridge), "--l1-bridge")?;
                Action::unpause(d, bridge, n, dl)
            }
            ActionSpec::Resolve {
                output_index,
                valid,
                output_oracle,
            } => {
                let oracle = target(
                    *output_oracle,
                    state.map(|s| s.output_oracle),
                    "--output-oracle",
                )?;
                Action::resolve_dispute(d, oracle, *output_index, *valid, n, dl)
            }
            ActionSpec::Schedule { target, call } => {
                Action::schedule(d, *target, call.clone(), n, dl)
            }
            ActionSpec::Cancel { id } => Action::cancel(d, *id, n, dl),
            ActionSpec::RotateKey { key } => {
                Action::schedule(d, d.council, calls::rotate_key(key), n, dl)
            }
            ActionSpec::Upgrade {
                proxy,
                implementation,
                data,
            } => Action::schedule(
                d,
                *proxy,
                calls::upgrade_to_and_call(*implementation, data.clone()),
                n,
                dl,
            ),
        })
    }

    /// The action with its domain, nonce and deadline from `settings`, each not given there taken
    /// from `state` (the council read at `settings.rpc_url`); a chain id that contradicts the
    /// council's is refused.
    pub fn build_with(
        &self,
        settings: &ActionSettings,
        state: Option<&CouncilState>,
    ) -> Result<Action> {
        let chain_id = match (settings.chain_id, state) {
            (Some(c), Some(s)) if c != s.chain_id => {
                return Err(CouncilError::Parameters(format!(
                    "--chain-id {c} but {} is chain {}",
                    settings.rpc_url.as_deref().unwrap_or_default(),
                    s.chain_id
                )));
            }
            (Some(c), _) => c,
            (None, Some(s)) => s.chain_id,
            (None, None) => {
                return Err(CouncilError::Parameters(
                    "--chain-id (or --rpc-url) is required".into(),
                ));
            }
        };
        let nonce = settings
            .nonce
            .or(state.map(|s| s.nonce))
            .ok_or_else(|| CouncilError::Parameters("--nonce (or --rpc-url) is required".into()))?;
        let deadline = settings
            .deadline
            .unwrap_or_else(|| super::unix_now() + settings.valid_for);
        let domain = Domain {
            chain_id,
            council: settings.council,
        };
        self.build(domain, nonce, deadline, state)
    }
}

/// The target given, else the one read from the council; zero counts as none.
fn target(given: Option<Address>, read: Option<Address>, flag: &str) -> Result<Address> {
    given
        .or(read)
        .filter(|a| *a != Address::ZERO)
        .ok_or_else(|| {
            CouncilError::Parameters(format!("{flag} (or --rpc-url to read it) is required"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ActionSettings {
        ActionSettings {
            council: Address::repeat_byte(0xcc),
            rpc_url: None,
            chain_id: Some(900),
            nonce: Some(4),
            deadline: Some(99),
            valid_for: 3600,
        }
    }

    #[test]
    fn specs_take_missing_targets_from_the_council_state() {
        let state = CouncilState {
            chain_id: 900,
            nonce: 7,
            l1_bridge: Address::repeat_byte(1),
            output_oracle: Address::repeat_byte(2),
            upgrade_delay: 60,
        };
        let pause = ActionSpec::Pause {
            duration: 60,
            l1_bridge: None,
        };
        let s = ActionSettings {
            nonce: None,
            ..settings()
        };
        let a = pause.build_with(&s, Some(&state)).unwrap();
        assert_eq!(a.target, state.l1_bridge);
        assert_eq!(a.nonce, 7);
        assert_eq!(a, Action::pause(a.domain, state.l1_bridge, 60, 7, 99));
        let resolve = ActionSpec::Resolve {
            output_index: U256::from(3),
            valid: true,
            output_oracle: None,
        };
        assert_eq!(
            resolve
                .build_with(&settings(), Some(&state))
                .unwrap()
                .target,
            state.output_oracle
        );
        let err = resolve.build_with(&settings(), None).unwrap_err();
        assert!(err.to_string().contains("--output-oracle"), "{err}");
    }

    #[test]
    fn settings_must_name_chain_and_nonce_consistently() {
        let cancel = ActionSpec::Cancel { id: B256::ZERO };
        let no_chain = ActionSettings {
            chain_id: None,
            ..settings()
        };
        assert!(cancel.build_with(&no_chain, None).is_err());
        let no_nonce = ActionSettings {
            nonce: None,
            ..settings()
        };
        assert!(cancel.build_with(&no_nonce, None).is_err());
        let state = CouncilState {
            chain_id: 901,
            nonce: 0,
            l1_bridge: Address::ZERO,
            output_oracle: Address::ZERO,
            upgrade_delay: 0,
        };
        let err = cancel.build_with(&settings(), Some(&state)).unwrap_err();
        assert!(err.to_string().contains("--chain-id 900"), "{err}");
        let a = cancel.build_with(&settings(), None).unwrap();
        assert_eq!((a.domain.chain_id, a.nonce, a.deadline), (900, 4, 99));
    }
}
