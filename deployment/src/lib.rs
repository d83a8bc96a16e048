//! Drawbridge deployment: the parameter presets and the invariants docs/design.md requires of them,
//! the deployment file that every tool reads, and the deployer that puts the contracts on both
//! chains behind their proxies, governed by plain accounts ([`Roles`]) or, given a
//! [`CouncilKey`], by a `SecurityCouncil` on each chain ([`CouncilDeployment`]).
//!
//! It must not hold protocol rules beyond the parameters' invariants, and it signs only with the
//! deployer key it is given, which it never prints or stores.
//!
//! It must not hold protocol rules beyond the parameters' invariants, and it signs only with the
//! deployer key it is given, which it never prints or stores.

mod deploy;
mod file;
mod params;

pub use deploy::{DeployRequest, deploy};
pub use file::{CouncilDeployment, CouncilKey, Deployment, L1Side, L2Side, Roles};
pub use params::{Params, Preset};

/// Everything that can go wrong while loading, checking or deploying.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// A parameter breaks an invariant; `name` is the parameter as the contracts spell it.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The deployment file could not be read or written.
    #[error("deployment file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The deployment file is not valid JSON of the expected shape.
    #[error("deployment file {path} is malformed: {source}")]
    Malformed {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// An RPC call or transaction failed.
    #[error("{step}: {message}")]
    Chain {
        /// What the deployer was doing.
        step: String,
        /// What the node answered.
        message: String,
    },
}
