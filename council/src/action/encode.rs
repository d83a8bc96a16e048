//! Encoding per kind: the calldata of the council entry point (`pause`, `unpause`,
//! `resolveDispute`, `schedule`, `cancel`) that submits an action with its signature.

use alloy::primitives::{Bytes, U256};
use alloy::sol_types::SolCall;
use drawbridge_bindings::SecurityCouncil;

use super::{Action, ActionArgs};
use crate::contract::SignatureExport;
use crate::error::Result;

impl Action {
    /// Calldata of the council entry point that submits this action with `sig`
    /// (`pause`, `unpause`, `resolveDispute`, `schedule` or `cancel`).
    pub fn calldata(&self, sig: &SignatureExport) -> Result<Bytes> {
        let sig = contract_signature(sig);
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
}

/// A signature as the council's entry points take it (`Signature(rx, ry, z)`).
pub fn contract_signature(sig: &SignatureExport) -> SecurityCouncil::Signature {
    SecurityCouncil::Signature {
        rx: U256::from_be_bytes(sig.r.x),
        ry: U256::from_be_bytes(sig.r.y),
        z: U256::from_be_bytes(sig.z),
    }
}
