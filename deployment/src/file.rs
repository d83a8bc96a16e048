//! The deployment file: one JSON document with both chains, every address, the roles and the
//! parameters. The devnet writes it; the relayer, the CLI and the tests read it.

use std::path::Path;

use alloy::primitives::{Address, U256, uint};
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

/// The accounts that hold roles. When councils govern ([`Deployment::council`]), `governance`
/// and `council` are the L1 `SecurityCouncil`, and the L2 proxies' governance is the L2 one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roles {
    /// May upgrade the proxies.
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
    /// The security councils, when `SecurityCouncil`s govern both sides (absent when plain
    /// accounts govern, and in files written before councils were deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub council: Option<CouncilDeployment>,
}

/// The two `SecurityCouncil` proxies and their group key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouncilDeployment {
    /// The L1 council: upgrade admin of `L1Bridge` and `OutputOracle`, the bridge's pauser and
    /// the oracle's council.
    pub l1: Address,
    /// The L2 council: upgrade admin of `L2Bridge` and `L1RootOracle` (same key, its own EIP-712
    /// domain and nonce, no targets).
    pub l2: Address,
    /// The group key both verify.
    pub group_key: CouncilKey,
}

/// secp256k1 field prime p.
const P: U256 = uint!(0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f_U256);
/// secp256k1 group order n.
const N: U256 = uint!(0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141_U256);

/// A security council's FROST(secp256k1, KECCAK256) group public key as its `SecurityCouncil`
/// stores it: the affine point `(x, y)` (docs/council.md; the `groupKey` of the council crate's
/// `public.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilKey {
    /// x coordinate, `0 < x < n` (the contract uses it as an `ecrecover` r value).
    pub x: U256,
    /// y coordinate.
    pub y: U256,
}

impl CouncilKey {
    /// Refuses what `SecurityCouncil.initialize` would refuse (so a bad key fails before any
    /// transaction): `x = 0`, `x >= n`, or a point off the curve.
    pub fn validate(&self) -> Result<(), DeploymentError> {
        let bad = |reason: &str| {
            Err(DeploymentError::InvalidParameter {
                name: "councilKey",
                reason: reason.into(),
            })
        };
        if self.x.is_zero() || self.x >= N {
            return bad("x must be in 1..n (secp256k1 group order)");
        }
        if self.y >= P {
            return bad("y must be below the field prime");
        }
        let x3 = self.x.mul_mod(self.x, P).mul_mod(self.x, P);
        if self.y.mul_mod(self.y, P) != x3.add_mod(U256::from(7), P) {
            return bad("(x, y) is not a point of secp256k1");
        }
        Ok(())
    }
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
        if let Some(council) = &deployment.council {
            council.group_key.validate()?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    /// The secp256k1 generator: a valid key.
    fn generator() -> CouncilKey {
        CouncilKey {
            x: uint!(0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798_U256),
            y: uint!(0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8_U256),
        }
    }

    fn deployment(council: Option<CouncilDeployment>) -> Deployment {
        Deployment {
            l1: L1Side {
                chain_id: 900,
                rpc_url: "http://127.0.0.1:8545".into(),
                l1_bridge: Address::repeat_byte(1),
                output_oracle: Address::repeat_byte(2),
                test_token: None,
                deploy_block: 3,
            },
            l2: L2Side {
                chain_id: 901,
                rpc_url: "http://127.0.0.1:9545".into(),
                l2_bridge: Address::repeat_byte(4),
                root_oracle: Address::repeat_byte(5),
                deploy_block: 6,
            },
            roles: Roles {
                governance: Address::repeat_byte(7),
                council: Address::repeat_byte(7),
                proposer: Address::repeat_byte(8),
                root_publisher: Address::repeat_byte(8),
            },
            params: Params::preset(Preset::Devnet),
            council,
        }
    }

    #[test]
    fn council_key_refuses_what_the_contract_refuses() {
        generator().validate().unwrap();
        let refused = |key: CouncilKey| key.validate().unwrap_err().to_string();
        let g = generator();
        assert!(refused(CouncilKey { x: U256::ZERO, ..g }).contains("councilKey"));
        assert!(refused(CouncilKey { x: N, ..g }).contains("1..n"));
        assert!(
            refused(CouncilKey {
                y: g.y + U256::from(1),
                ..g
            })
            .contains("not a point")
        );
        assert!(refused(CouncilKey { y: P, ..g }).contains("below the field prime"));
        // (x, p - y) is the other point with the same x: valid.
        CouncilKey { y: P - g.y, ..g }.validate().unwrap();
    }

    #[test]
    fn council_round_trips_and_older_files_without_it_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.json");
        let with = deployment(Some(CouncilDeployment {
            l1: Address::repeat_byte(7),
            l2: Address::repeat_byte(9),
            group_key: generator(),
        }));
        with.save(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            json["council"]["l2"],
            "0x0909090909090909090909090909090909090909"
        );
        assert!(json["council"]["groupKey"]["x"].is_string(), "{json}");
        assert_eq!(Deployment::load(&path).unwrap(), with);

        // A file from before councils: no `council` key at all.
        let without = deployment(None);
        without.save(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(json.get("council").is_none(), "{json}");
        assert_eq!(Deployment::load(&path).unwrap(), without);
    }

    #[test]
    fn file_with_a_bad_council_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deployment.json");
        let mut key = generator();
        key.y += U256::from(1);
        deployment(Some(CouncilDeployment {
            l1: Address::repeat_byte(7),
            l2: Address::repeat_byte(9),
            group_key: key,
        }))
        .save(&path)
        .unwrap();
        let err = Deployment::load(&path).unwrap_err().to_string();
        assert!(err.contains("councilKey"), "{err}");
    }
}
