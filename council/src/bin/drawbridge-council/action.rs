//! `action ...`: build an action file (what the members sign) or show one. The arguments map to
//! an [`ActionSpec`] and [`ActionSettings`]; building, checking and encoding are the library's
//! ([`drawbridge_council::action`]).

use std::path::PathBuf;

use alloy::primitives::{Address, B256, Bytes, U256};
use clap::{ArgAction, Args, Subcommand};
use drawbridge_council::action::{Action, ActionSettings, ActionSpec};
use drawbridge_council::contract::GroupKeyExport;
use drawbridge_council::files::{self, PublicFile};
use drawbridge_council::{Result, chain};
use serde_json::json;

use crate::common::emit;

#[derive(Args, Clone, Debug)]
pub struct ActionCommon {
    /// The council proxy (EIP-712 verifying contract).
    #[arg(long)]
    council: Address,
    /// Read chain id, nonce and targets from the council on this chain.
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_RPC_URL")]
    rpc_url: Option<String>,
    /// Chain id [default: from --rpc-url].
    #[arg(long)]
    chain_id: Option<u64>,
    /// Action nonce [default: the council's nonce() from --rpc-url].
    #[arg(long)]
    nonce: Option<u64>,
    /// Deadline, unix seconds [default: now + --valid-for].
    #[arg(long)]
    deadline: Option<u64>,
    /// Seconds the action stays valid when --deadline is not given.
    #[arg(long, default_value_t = 3600)]
    valid_for: u64,
    /// Write the action here (else print it).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl ActionCommon {
    fn settings(&self) -> ActionSettings {
        ActionSettings {
            council: self.council,
            rpc_url: self.rpc_url.clone(),
            chain_id: self.chain_id,
            nonce: self.nonce,
            deadline: self.deadline,
            valid_for: self.valid_for,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ActionCommand {
    /// Kind 1: pause the L1 bridge for --duration seconds.
    Pause {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        duration: u64,
        /// The council's l1Bridge() [default: read with --rpc-url].
        #[arg(long)]
        l1_bridge: Option<Address>,
    },
    /// Kind 2: end the current pause.
    Unpause {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        l1_bridge: Option<Address>,
    },
    /// Kind 3: resolve the dispute over an output (valid: uphold; invalid: delete it and later ones).
    Resolve {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        output_index: U256,
        #[arg(long, action = ArgAction::Set)]
        valid: bool,
        /// The council's outputOracle() [default: read with --rpc-url].
        #[arg(long)]
        output_oracle: Option<Address>,
    },
    /// Kind 4: schedule a raw call behind the timelock.
    Schedule {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        target: Address,
        /// Calldata, 0x-hex.
        #[arg(long)]
        call: Bytes,
    },
    /// Kind 5: cancel a scheduled call.
    Cancel {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        id: B256,
    },
    /// Schedule a key rotation to the group key of a public file (e.g. from a new DKG).
    RotateKey {
        #[command(flatten)]
        common: ActionCommon,
        /// Public file of the new group.
        #[arg(long)]
        public: PathBuf,
    },
    /// Schedule `upgradeToAndCall(implementation, data)` on a proxy (the council's own or a bridge's).
    Upgrade {
        #[command(flatten)]
        common: ActionCommon,
        #[arg(long)]
        proxy: Address,
        #[arg(long)]
        implementation: Address,
        /// Call run on the new implementation, 0x-hex.
        #[arg(long, default_value = "0x")]
        data: Bytes,
    },
    /// Decode and show an action file.
    Show {
        #[arg(long)]
        action: PathBuf,
    },
}

/// What an `action` command asks for: an action to build, or one to show.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per run
pub enum Request {
    /// Build `spec` with the common flags.
    Build(ActionCommon, ActionSpec),
    /// Decode and show the action file.
    Show(PathBuf),
}

impl ActionCommand {
    /// The arguments as a [`Request`] (reads the public file of `rotate-key`).
    pub fn request(self) -> Result<Request> {
        let (common, spec) = match self {
            ActionCommand::Show { action } => return Ok(Request::Show(action)),
            ActionCommand::Pause {
                common,
                duration,
                l1_bridge,
            } => (
                common,
                ActionSpec::Pause {
                    duration,
                    l1_bridge,
                },
            ),
            ActionCommand::Unpause { common, l1_bridge } => {
                (common, ActionSpec::Unpause { l1_bridge })
            }
            ActionCommand::Resolve {
                common,
                output_index,
                valid,
                output_oracle,
            } => (
                common,
                ActionSpec::Resolve {
                    output_index,
                    valid,
                    output_oracle,
                },
            ),
            ActionCommand::Schedule {
                common,
                target,
                call,
            } => (common, ActionSpec::Schedule { target, call }),
            ActionCommand::Cancel { common, id } => (common, ActionSpec::Cancel { id }),
            ActionCommand::RotateKey { common, public } => {
                let p: PublicFile = files::read_json(&public)?;
                let key = GroupKeyExport::from_verifying_key(p.package()?.verifying_key())?;
                (common, ActionSpec::RotateKey { key })
            }
            ActionCommand::Upgrade {
                common,
                proxy,
                implementation,
                data,
            } => (
                common,
                ActionSpec::Upgrade {
                    proxy,
                    implementation,
                    data,
                },
            ),
        };
        Ok(Request::Build(common, spec))
    }

    pub async fn run(self, json: bool) -> Result<()> {
        let (common, spec) = match self.request()? {
            Request::Show(path) => {
                let a: Action = files::read_json(&path)?;
                let view = a.describe()?;
                return emit(json, &view, || view.to_text());
            }
            Request::Build(common, spec) => (common, spec),
        };
        let state = match &common.rpc_url {
            Some(url) => Some(chain::council_state(url, common.council).await?),
            None => None,
        };
        let a = spec.build_with(&common.settings(), state.as_ref())?;
        // Nobody should sign what the chain would refuse (too long a pause, the cooldown, no
        // dispute to resolve ...): checked against the chain before the action is written.
        if let Some(url) = &common.rpc_url {
            chain::preflight(url, &a).await?;
        }
        let view = a.describe()?;
        match &common.out {
            Some(out) => {
                files::write_json(out, &a)?;
                emit(
                    json,
                    &json!({ "action": a, "view": view, "out": out }),
                    || format!("{}wrote {}", view.to_text(), out.display()),
                )
            }
            None => {
                eprint!("{}", view.to_text());
                emit(true, &a, String::new)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn request(args: &[&str]) -> Request {
        let cli = Cli::try_parse_from([&["drawbridge-council", "action"], args].concat()).unwrap();
        match cli.command {
            Command::Action(cmd) => cmd.request().unwrap(),
            _ => panic!("not an action command"),
        }
    }

    fn spec(args: &[&str]) -> (ActionSettings, ActionSpec) {
        match request(args) {
            Request::Build(common, spec) => (common.settings(), spec),
            Request::Show(_) => panic!("show"),
        }
    }

    const COUNCIL: &str = "0xcccccccccccccccccccccccccccccccccccccccc";
    const OTHER: &str = "0x1111111111111111111111111111111111111111";
    /// A pause on chain 900 at nonce 3, its own arguments to follow.
    const PAUSE: &[&str] = &[
        "pause",
        "--council",
        COUNCIL,
        "--chain-id",
        "900",
        "--nonce",
        "3",
    ];

    #[test]
    fn each_kind_maps_to_its_spec() {
        let (settings, s) = spec(&[PAUSE, &["--duration", "60"]].concat());
        assert_eq!(
            s,
            ActionSpec::Pause {
                duration: 60,
                l1_bridge: None
            }
        );
        assert_eq!(settings.council, COUNCIL.parse::<Address>().unwrap());
        assert_eq!(
            (settings.chain_id, settings.nonce, settings.deadline),
            (Some(900), Some(3), None)
        );
        assert_eq!(settings.valid_for, 3600);
        let (_, s) = spec(&["unpause", "--council", COUNCIL, "--l1-bridge", OTHER]);
        assert_eq!(
            s,
            ActionSpec::Unpause {
                l1_bridge: Some(OTHER.parse().unwrap())
            }
        );
        let (_, s) = spec(&[
            "resolve",
            "--council",
            COUNCIL,
            "--output-index",
            "7",
            "--valid",
            "false",
        ]);
        assert_eq!(
            s,
            ActionSpec::Resolve {
                output_index: U256::from(7),
                valid: false,
                output_oracle: None
            }
        );
        let (_, s) = spec(&[
            "schedule",
            "--council",
            COUNCIL,
            "--target",
            OTHER,
            "--call",
            "0xdeadbeef",
        ]);
        assert_eq!(
            s,
            ActionSpec::Schedule {
                target: OTHER.parse().unwrap(),
                call: vec![0xde, 0xad, 0xbe, 0xef].into()
            }
        );
        let (_, s) = spec(&[
            "cancel",
            "--council",
            COUNCIL,
            "--id",
            &B256::ZERO.to_string(),
        ]);
        assert_eq!(s, ActionSpec::Cancel { id: B256::ZERO });
        let (_, s) = spec(&[
            "upgrade",
            "--council",
            COUNCIL,
            "--proxy",
            OTHER,
            "--implementation",
            COUNCIL,
        ]);
        assert_eq!(
            s,
            ActionSpec::Upgrade {
                proxy: OTHER.parse().unwrap(),
                implementation: COUNCIL.parse().unwrap(),
                data: Bytes::new()
            }
        );
        assert!(matches!(
            request(&["show", "--action", "a.json"]),
            Request::Show(p) if p == std::path::Path::new("a.json")
        ));
    }

    #[test]
    fn a_built_pause_is_the_library_builders_action() {
        let (settings, s) = spec(
            &[
                PAUSE,
                &[
                    "--deadline",
                    "1000",
                    "--duration",
                    "60",
                    "--l1-bridge",
                    OTHER,
                ],
            ]
            .concat(),
        );
        let a = s.build_with(&settings, None).unwrap();
        let domain = drawbridge_council::action::Domain {
            chain_id: 900,
            council: COUNCIL.parse().unwrap(),
        };
        assert_eq!(
            a,
            Action::pause(domain, OTHER.parse().unwrap(), 60, 3, 1000)
        );
    }
}
