//! Outputs as the bridge judges them, without I/O: the status code `IOutputOracle` stores
//! ([`OutputStatus`]) and which output pays a withdrawal ([`paying_output`]), the rule of
//! `L1Bridge.finalizeWithdrawal`:
//!
//! - a withdrawal is paid against a *final* output whose L2 block is at or after the withdrawal's
//!   (`OutputOracle.latestFinalIndex` is the newest final one);
//! - after a freeze, only outputs up to the escape output pay (later ones revert
//!   `OutputAfterEscape`); a freeze without an escape output pays nothing;
//! - otherwise nothing pays yet, and a later output may (unless the bridge is frozen).

use crate::ProtocolError;

/// `IOutputOracle.OutputStatus`: the bindings see the Solidity enum as its `uint8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum OutputStatus {
    /// No output at this index (deleted by a council verdict, or never proposed).
    None = 0,
    /// Proposed; its challenge window runs or has run unchallenged.
    Proposed = 1,
    /// Challenged: waits for the security council's verdict.
    Challenged = 2,
    /// Challenged and upheld by the council.
    Upheld = 3,
}

impl OutputStatus {
    /// The on-chain `uint8` value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The status for a contract's `uint8`; unknown values read as [`OutputStatus::None`] (the
    /// contract never stores them).
    pub fn from_u8_lossy(value: u8) -> Self {
        Self::try_from(value).unwrap_or(Self::None)
    }

    /// Lowercase name, as APIs show it: `none`, `proposed`, `challenged`, `upheld`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Proposed => "proposed",
            Self::Challenged => "challenged",
            Self::Upheld => "upheld",
        }
    }
}

impl From<OutputStatus> for u8 {
    fn from(status: OutputStatus) -> Self {
        status.as_u8()
    }
}

impl TryFrom<u8> for OutputStatus {
    type Error = ProtocolError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(Self::None),
            1 => Ok(Self::Proposed),
            2 => Ok(Self::Challenged),
            3 => Ok(Self::Upheld),
            other => Err(ProtocolError::UnknownOutputStatus(other)),
        }
    }
}

/// Whether `L1Bridge` is frozen, and the output its freeze snapshotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Freeze {
    /// Not frozen: every final output pays.
    Open,
    /// Frozen: outputs up to `escape_output` pay; `None` when no output was final at the freeze
    /// (then none pays).
    Frozen {
        /// `L1Bridge.escapeOutput().outputIndex` when `hasEscapeOutput`.
        escape_output: Option<u64>,
    },
}

impl Freeze {
    /// Whether the bridge is frozen.
    pub const fn is_frozen(self) -> bool {
        matches!(self, Self::Frozen { .. })
    }
}

/// The newest output `L1Bridge.finalizeWithdrawal` accepts: the newest final output
/// (`latest_final`, `None` when none is final), or after a freeze the escape output when that is
/// older (a freeze records a final output, so the escape output is the one when nothing is final
/// any more). `None`: no output pays anything.
pub fn newest_payable_output(latest_final: Option<u64>, freeze: Freeze) -> Option<u64> {
    match freeze {
        Freeze::Open => latest_final,
        Freeze::Frozen {
            escape_output: None,
        } => None,
        Freeze::Frozen {
            escape_output: Some(escape),
        } => Some(latest_final.map_or(escape, |index| index.min(escape))),
    }
}

/// Why no output pays a withdrawal (see [`paying_output`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unpaid {
    /// Not frozen, and the newest final output (`newest_payable`, `None` when none is final) ends
    /// before the withdrawal's L2 block: a later output will pay once final.
    NotYetCovered {
        /// The newest payable output, if any.
        newest_payable: Option<u64>,
    },
    /// Frozen, and no output the bridge still pays against covers the withdrawal: `finalize` will
    /// never pay it; the L2 balance is escaped instead.
    FrozenUncovered {
        /// The newest output the frozen bridge pays against (`None`: no output was final at the
        /// freeze).
        newest_payable: Option<u64>,
    },
}

/// Which output pays a withdrawal initiated in L2 block `withdrawal_l2_block`, given the newest
/// final output (`latest_final`), the freeze state, and `output_l2_block(index)`, the
/// `l2BlockNumber` of an output (asked at most once, for the newest payable output). Outputs'
/// L2 blocks strictly increase, so the newest payable output pays whenever any does.
///
/// This is the rule alone: whether that output's `withdrawalRoot` matches L2 is for the caller to
/// check (an older final output may be the right one when a wrong one went unchallenged).
pub fn paying_output(
    latest_final: Option<u64>,
    freeze: Freeze,
    output_l2_block: impl FnOnce(u64) -> u64,
    withdrawal_l2_block: u64,
) -> Result<u64, Unpaid> {
    let newest_payable = newest_payable_output(latest_final, freeze);
    if let Some(index) = newest_payable
        && output_l2_block(index) >= withdrawal_l2_block
    {
        return Ok(index);
    }
    Err(if freeze.is_frozen() {
        Unpaid::FrozenUncovered { newest_payable }
    } else {
        Unpaid::NotYetCovered { newest_payable }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn status_codes_round_trip() {
        for status in [
            OutputStatus::None,
            OutputStatus::Proposed,
            OutputStatus::Challenged,
            OutputStatus::Upheld,
        ] {
            assert_eq!(OutputStatus::try_from(status.as_u8()), Ok(status));
            assert_eq!(OutputStatus::from_u8_lossy(u8::from(status)), status);
        }
        assert_eq!(OutputStatus::Challenged.as_u8(), 2);
        assert_eq!(OutputStatus::Challenged.name(), "challenged");
        assert_eq!(
            OutputStatus::try_from(4),
            Err(ProtocolError::UnknownOutputStatus(4))
        );
        assert_eq!(OutputStatus::from_u8_lossy(9), OutputStatus::None);
    }

    #[test]
    fn the_newest_final_output_pays_while_open() {
        let blocks = |i: u64| 10 * (i + 1);
        assert_eq!(paying_output(Some(3), Freeze::Open, blocks, 40), Ok(3));
        assert_eq!(paying_output(Some(3), Freeze::Open, blocks, 1), Ok(3));
        assert_eq!(
            paying_output(Some(3), Freeze::Open, blocks, 41),
            Err(Unpaid::NotYetCovered {
                newest_payable: Some(3)
            })
        );
        assert_eq!(
            paying_output(None, Freeze::Open, blocks, 1),
            Err(Unpaid::NotYetCovered {
                newest_payable: None
            })
        );
    }

    #[test]
    fn a_frozen_bridge_pays_up_to_the_escape_output_only() {
        let blocks = |i: u64| 10 * (i + 1);
        let frozen = |e| Freeze::Frozen { escape_output: e };
        // A newer final output does not pay after the freeze: OutputAfterEscape.
        assert_eq!(paying_output(Some(5), frozen(Some(2)), blocks, 30), Ok(2));
        assert_eq!(
            paying_output(Some(5), frozen(Some(2)), blocks, 31),
            Err(Unpaid::FrozenUncovered {
                newest_payable: Some(2)
            })
        );
        // The escape output pays when nothing is final any more (outputs deleted).
        assert_eq!(paying_output(None, frozen(Some(2)), blocks, 5), Ok(2));
        // An older newest final output (a deletion after the freeze) is the limit.
        assert_eq!(paying_output(Some(1), frozen(Some(2)), blocks, 20), Ok(1));
        assert_eq!(
            paying_output(Some(4), frozen(None), blocks, 1),
            Err(Unpaid::FrozenUncovered {
                newest_payable: None
            })
        );
    }

    proptest! {
        #[test]
        fn the_payer_is_payable_and_covers(
            latest_final in proptest::option::of(0u64..50),
            frozen in any::<bool>(),
            escape in proptest::option::of(0u64..50),
            step in 1u64..20,
            l2_block in 0u64..1_200,
        ) {
            let freeze = if frozen { Freeze::Frozen { escape_output: escape } } else { Freeze::Open };
            let blocks = |i: u64| step * (i + 1);
            match paying_output(latest_final, freeze, blocks, l2_block) {
                Ok(index) => {
                    prop_assert!(blocks(index) >= l2_block);
                    prop_assert_eq!(Some(index), newest_payable_output(latest_final, freeze));
                    if let Some(f) = latest_final { prop_assert!(index <= f || frozen); }
                    if frozen { prop_assert!(escape.is_some_and(|e| index <= e)); }
                }
                Err(Unpaid::NotYetCovered { newest_payable }) => {
                    prop_assert!(!frozen);
                    prop_assert_eq!(newest_payable, latest_final);
                    prop_assert!(newest_payable.is_none_or(|i| blocks(i) < l2_block));
                }
                Err(Unpaid::FrozenUncovered { newest_payable }) => {
                    prop_assert!(frozen);
                    prop_assert!(newest_payable.is_none_or(|i| blocks(i) < l2_block));
                }
            }
        }
    }
}
