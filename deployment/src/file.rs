//! The deployment file: one JSON document with both chains, every address, the roles and the
//! parameters. The devnet writes it; the relayer, the CLI and the tests read it.

use std::path::Path;

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

use crate::{DeploymentError, Params};

/// Where and what one chain's side of the bridge is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Side {
    /// Chain id of L1.
    pub chain_id: u64,
    /// JSON-RPC endpoint of L1 (a default; every tool can override it).
    pub rpc_url: String,
    /// `L1Bridge` proxy.
    pub l1_bridge: Address,
    /// `OutputOracle` proxy.
    pub output_oracle: Address,
    /// A mintable ERC-20 deployed for demos and tests, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_token: Option<Address>,
    /// Block the bridge was deployed in: followers start scanning here.
    pub deploy_block: u64,
}

/// Where and what the L2 side of the bridge is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2Side {
    /// Chain id of L2.
    pub chain_id: u64,
    /// JSON-RPC endpoint of L2 (a default; every tool can override it).
    pub rpc_url: String,
    /// `L2Bridge` proxy.
    pub l2_bridge: Address,
    /// `L1RootOracle` proxy.
    pub root_oracle: Address,
    /// Block the bridge was deployed in.
    pub deploy_block: u64,
}

/// The accounts that hold roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roles {
    /// May upgrade the proxies (the council's timelock once the council is deployed).
    pub governance: Address,
    /// May resolve disputes and pause.
    pub council: Address,
    /// The designated output proposer.
    pub proposer: Address,
    /// Publishes L1 message roots to L2 (the sequencer).
    pub root_publisher: Address,
}

/// A whole deployment across both chains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The L1 side.
    pub l1: L1Side,
    /// The L2 side.
    pub l2: L2Side,
    /// Who holds which role.
    pub roles: Roles,
    /// The parameters the contracts were initialized with.
    pub params: Params,
}

impl Deployment {
    /// Reads and checks a deployment file.
    pub fn load(path: &Path) -> Result<Self, DeploymentError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeploymentError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let deployment: Self =
            serde_json::from_str(&text).map_err(|source| DeploymentError::Malformed {
                path: path.display().to_string(),
                source,
            })?;
        deployment.params.validate()?;
        if deployment.l1.chain_id == deployment.l2.chain_id {
            return Err(DeploymentError::InvalidParameter {
                name: "chainId",
                reason: format!("L1 and L2 share chain id {}", deployment.l1.chain_id),
            });
        }
        Ok(deployment)
    }

    /// Writes the file atomically (a reader never sees half of it).
    pub fn save(&self, path: &Path) -> Result<(), DeploymentError> {
        let io = |source| DeploymentError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("a deployment always serializes");
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
