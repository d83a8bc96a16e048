//! Protocol parameters, their presets and the invariants docs/design.md requires of them.

use alloy::primitives::U256;
use serde::{Deserialize, Serialize};

use crate::DeploymentError;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// A named set of parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Windows of seconds, for demos and tests on local chains.
    Devnet,
    /// Windows of hours, for public test networks.
    Testnet,
    /// Windows of days, as real funds need.
    Mainnet,
}

impl std::str::FromStr for Preset {
    type Err = DeploymentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "devnet" => Ok(Self::Devnet),
            "testnet" => Ok(Self::Testnet),
            "mainnet" => Ok(Self::Mainnet),
            other => Err(DeploymentError::InvalidParameter {
                name: "preset",
                reason: format!("unknown preset {other:?}; expected devnet, testnet or mainnet"),
            }),
        }
    }
}

/// Every tunable of the protocol. Times are in seconds, bonds in wei.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The preset these parameters were derived from; mainnet rules apply to `Mainnet`.
    pub preset: Preset,
    /// How long an output can be challenged before it is final.
    pub challenge_period: u64,
    /// Silence after which anyone may propose outputs.
    pub proposer_timeout: u64,
    /// Bond a proposer posts with each output.
    pub proposer_bond: U256,
    /// Bond a challenger posts with a challenge.
    pub challenger_bond: U256,
    /// Time the operator has to process a forced withdrawal.
    pub forced_inclusion_window: u64,
    /// How much longer a freeze waits while an output proposed within the forced-inclusion window
    /// covers the forced withdrawal but awaits the council's verdict (`OutputOracle`'s
    /// `councilResponseWindow`).
    pub council_response_window: u64,
    /// Time a user is guaranteed to leave in before an upgrade lands.
    pub exit_window: u64,
    /// Delay between scheduling and executing a council call.
    pub upgrade_delay: u64,
    /// Longest pause the council may impose.
    pub max_pause: u64,
    /// Unpaused time required between two pauses.
    pub pause_cooldown: u64,
    /// Council size `n`.
    pub council_size: u16,
    /// Council threshold `t`.
    pub council_threshold: u16,
}

impl Params {
    /// The parameters of a preset.
    pub fn preset(preset: Preset) -> Self {
        let ether = U256::from(10).pow(U256::from(18));
        match preset {
            Preset::Devnet => Self {
                preset,
                challenge_period: 6,
                proposer_timeout: 120,
                proposer_bond: ether,
                challenger_bond: ether / U256::from(2),
                forced_inclusion_window: 30,
                council_response_window: 6,
                exit_window: 60,
                upgrade_delay: 120,
                max_pause: 20,
                pause_cooldown: 10,
                council_size: 12,
                council_threshold: 9,
            },
            Preset::Testnet => Self {
                preset,
                challenge_period: HOUR,
                proposer_timeout: 6 * HOUR,
                proposer_bond: ether / U256::from(10),
                challenger_bond: ether / U256::from(20),
                forced_inclusion_window: 2 * HOUR,
                council_response_window: 2 * HOUR,
                exit_window: DAY,
                upgrade_delay: DAY + 5 * HOUR,
                max_pause: 12 * HOUR,
                pause_cooldown: 6 * HOUR,
                council_size: 12,
                council_threshold: 9,
            },
            Preset::Mainnet => Self {
                preset,
                challenge_period: 7 * DAY,
                proposer_timeout: 14 * DAY,
                proposer_bond: U256::from(5) * ether,
                challenger_bond: U256::from(2) * ether,
                forced_inclusion_window: DAY,
                council_response_window: 7 * DAY,
                exit_window: 30 * DAY,
                upgrade_delay: 45 * DAY,
                max_pause: 3 * DAY,
                pause_cooldown: 7 * DAY,
                council_size: 12,
                council_threshold: 9,
            },
        }
    }

    /// Checks every parameter invariant of docs/design.md; the error names the broken one.
    pub fn validate(&self) -> Result<(), DeploymentError> {
        let bad = |name: &'static str, reason: String| {
            Err(DeploymentError::InvalidParameter { name, reason })
        };
        if self.challenge_period == 0 || self.challenge_period > 365 * DAY {
            // OutputOracle.initialize refuses the same (MAX_PERIOD).
            return bad(
                "challengePeriod",
                "must be positive and finite (at most a year)".into(),
            );
        }
        if self.forced_inclusion_window == 0 || self.forced_inclusion_window > 365 * DAY {
            // L1Bridge.initialize refuses the same (MAX_FORCED_INCLUSION_WINDOW).
            return bad(
                "forcedInclusionWindow",
                "must be positive and finite (at most a year)".into(),
            );
        }
        if self.proposer_timeout == 0 || self.proposer_timeout > 365 * DAY {
            return bad(
                "proposerTimeout",
                "must be positive and finite (at most a year)".into(),
            );
        }
        if self.proposer_bond.is_zero() {
            return bad("proposerBond", "bonds must be positive".into());
        }
        if self.challenger_bond.is_zero() {
            return bad("challengerBond", "bonds must be positive".into());
        }
        if self.council_response_window == 0 || self.council_response_window > 365 * DAY {
            // OutputOracle.initialize refuses the same (MAX_PERIOD).
            return bad(
                "councilResponseWindow",
                "must be positive and finite (at most a year)".into(),
            );
        }
        let way_out = self.challenge_period
            + self.forced_inclusion_window
            + self.council_response_window
            + self.exit_window;
        if self.upgrade_delay < way_out {
            return bad(
                "upgradeDelay",
                format!(
                    "{} s is shorter than challengePeriod + forcedInclusionWindow + councilResponseWindow + exitWindow = {way_out} s: users could not force, wait out a disputed covering output, freeze and leave before an upgrade lands",
                    self.upgrade_delay
                ),
            );
        }
        if self.preset == Preset::Mainnet && self.exit_window < 30 * DAY {
            return bad(
                "exitWindow",
                format!(
                    "{} s is below the mainnet minimum of 30 days",
                    self.exit_window
                ),
            );
        }
        if self.pause_cooldown == 0 {
            return bad(
                "pauseCooldown",
                "must be positive so that pauses cannot be chained".into(),
            );
        }
        if self.max_pause == 0 {
            return bad("maxPause", "must be positive".into());
        }
        if self.max_pause + self.pause_cooldown > self.exit_window {
            return bad(
                "maxPause",
                format!(
                    "maxPause + pauseCooldown = {} s exceeds exitWindow = {} s: an exit window must hold unpaused time",
                    self.max_pause + self.pause_cooldown,
                    self.exit_window
                ),
            );
        }
        let n = u32::from(self.council_size);
        let t = u32::from(self.council_threshold);
        if n == 0 || t == 0 || t > n {
            return bad("councilThreshold", format!("{t}-of-{n} is not a threshold"));
        }
        if 4 * t < 3 * n {
            return bad(
                "councilThreshold",
                format!("{t}-of-{n} is below ceil(0.75 n) = {}", (3 * n).div_ceil(4)),
            );
        }
        if self.preset == Preset::Mainnet && n < 8 {
            return bad(
                "councilSize",
                format!("{n} members is below the mainnet minimum of 8"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for preset in [Preset::Devnet, Preset::Testnet, Preset::Mainnet] {
            Params::preset(preset).validate().unwrap();
        }
    }

    fn broken(change: impl FnOnce(&mut Params)) -> String {
        let mut p = Params::preset(Preset::Mainnet);
        change(&mut p);
        p.validate().unwrap_err().to_string()
    }

    #[test]
    fn each_invariant_is_enforced_and_named() {
        assert!(broken(|p| p.upgrade_delay = p.challenge_period).contains("upgradeDelay"));
        assert!(broken(|p| p.exit_window = 29 * DAY).contains("exitWindow"));
        assert!(broken(|p| p.pause_cooldown = 0).contains("pauseCooldown"));
        assert!(broken(|p| p.max_pause = p.exit_window).contains("maxPause"));
        assert!(broken(|p| p.council_threshold = 8).contains("councilThreshold"));
        assert!(
            broken(|p| {
                p.council_size = 4;
                p.council_threshold = 3
            })
            .contains("councilSize")
        );
        assert!(broken(|p| p.proposer_bond = U256::ZERO).contains("proposerBond"));
        assert!(broken(|p| p.challenger_bond = U256::ZERO).contains("challengerBond"));
        assert!(broken(|p| p.proposer_timeout = u64::MAX).contains("proposerTimeout"));
        assert!(broken(|p| p.forced_inclusion_window = 0).contains("forcedInclusionWindow"));
        assert!(
            broken(|p| p.forced_inclusion_window = 365 * DAY + 1).contains("forcedInclusionWindow")
        );
        assert!(broken(|p| p.council_response_window = 0).contains("councilResponseWindow"));
        assert!(
            broken(|p| p.council_response_window = 365 * DAY + 1).contains("councilResponseWindow")
        );
    }

    /// Lengthening any of the four windows past what `upgradeDelay` covers is refused, and the
    /// error names `upgradeDelay` (the parameter to raise) and the sum it must cover.
    #[test]
    fn upgrade_delay_covers_every_window_including_the_council_response() {
        for preset in [Preset::Devnet, Preset::Testnet, Preset::Mainnet] {
            let base = Params::preset(preset);
            let slack = base.upgrade_delay
                - (base.challenge_period
                    + base.forced_inclusion_window
                    + base.council_response_window
                    + base.exit_window);
            type Widen = fn(&mut Params, u64);
            let windows: [(&str, Widen); 4] = [
                ("challengePeriod", |p, s| p.challenge_period += s),
                ("forcedInclusionWindow", |p, s| {
                    p.forced_inclusion_window += s
                }),
                ("councilResponseWindow", |p, s| {
                    p.council_response_window += s
                }),
                ("exitWindow", |p, s| p.exit_window += s),
            ];
            for (name, widen) in windows {
                let mut p = base.clone();
                widen(&mut p, slack);
                p.validate()
                    .unwrap_or_else(|e| panic!("{preset:?} {name} + slack: {e}"));
                widen(&mut p, 1);
                let error = p.validate().unwrap_err().to_string();
                assert!(
                    error.contains("invalid parameter upgradeDelay")
                        && error.contains("councilResponseWindow"),
                    "{preset:?} {name}: {error}"
                );
            }
        }
    }

    #[test]
    fn threshold_boundary_is_ceil_three_quarters() {
        let mut p = Params::preset(Preset::Devnet);
        p.council_size = 12;
        p.council_threshold = 9;
        p.validate().unwrap();
        p.council_threshold = 8;
        assert!(p.validate().is_err());
        p.council_size = 10;
        p.council_threshold = 8; // ceil(7.5) = 8
        p.validate().unwrap();
        p.council_threshold = 7;
        assert!(p.validate().is_err());
    }

    #[test]
    fn upgrade_delay_boundary_is_inclusive() {
        let mut p = Params::preset(Preset::Devnet);
        p.upgrade_delay = p.challenge_period
            + p.forced_inclusion_window
            + p.council_response_window
            + p.exit_window;
        p.validate().unwrap();
        p.upgrade_delay -= 1;
        assert!(p.validate().is_err());
    }
}
