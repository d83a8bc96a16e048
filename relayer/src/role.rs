//! The four roles a relayer can hold (deliver, propose, finalize, watchdog) and their names.

use std::fmt;

use serde::Deserialize;

/// What the relayer does; each role can run alone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Commit and publish L1 message roots; relay L1 messages to L2.
    Deliver,
    /// Propose L2 outputs to L1 with a bond; release and withdraw bonds.
    Propose,
    /// Finalize matured withdrawals on L1.
    Finalize,
    /// Re-check every proposed output against the L2 node and challenge a wrong one with the
    /// challenger bond; check every L1 root published on L2 exists on L1 (see `roles/watchdog`).
    Watchdog,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Deliver, Role::Propose, Role::Finalize, Role::Watchdog];
    /// The roles switched on when the configuration names none: the watchdog is off by default
    /// because it should run with its own key (it posts challenger bonds) and, ideally, its own L2
    /// node.
    pub const DEFAULT: [Role; 3] = [Role::Deliver, Role::Propose, Role::Finalize];

    /// Name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Deliver => "deliver",
            Role::Propose => "propose",
            Role::Finalize => "finalize",
            Role::Watchdog => "watchdog",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
