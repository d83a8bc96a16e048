//! [`TestBed`] for the censorship, escape and forged-message flows: the devnet's own supervised
//! relayer, providers through the sequencer gate, the exit prover binary, and raw reads of L1's
//! message tree, every proposed output and balance proofs.

use std::process::Output;

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use drawbridge_bindings::IL2Bridge;

use crate::bed::TestBed;
use crate::binaries::{binary, free_listen_address, read_log};

/// Censorship and escape (issue 4): the devnet's own relayer, whose L1 message delivery
/// `Devnet::stop_l1_messages` switches off; providers through the sequencer gate, where
/// `Devnet::censor` applies; and the `drawbridge-exit-prover` binary.
impl TestBed {
    /// Starts the devnet's supervised relayer process (`Devnet::start_relayer`, the real binary)
    /// on `devnet-relayer.sqlite` in the scratch directory, polling every 300 ms.
    pub fn start_devnet_relayer(&self) {
        self.start_devnet_relayer_with_args(vec!["--poll-interval".into(), "300ms".into()]);
    }

    /// The devnet's supervised relayer on `devnet-relayer.sqlite` in the scratch directory, with
    /// `extra_args` on its command line.
    fn start_devnet_relayer_with_args(&self, extra_args: Vec<String>) {
        self.devnet
            .start_relayer(drawbridge_devnet::sequencer::RelayerOptions {
                binary: binary("drawbridge-relayer"),
                deployment_file: self.dir.path().join("devnet-relayer-deployment.json"),
                database_url: format!(
                    "sqlite://{}?mode=rwc",
                    self.dir.path().join("devnet-relayer.sqlite").display()
                ),
                log: self.dir.path().join("devnet-relayer.log"),
                extra_args,
            })
            .expect("the devnet relayer starts");
    }

    /// The devnet relayer's log so far (for assertion messages).
    pub fn devnet_relayer_log(&self) -> String {
        read_log(&self.dir.path().join("devnet-relayer.log"))
    }

    /// An L2 provider that signs as `signer` and talks to the public L2 endpoint (the sequencer
    /// gate, where censorship applies), as users and the CLI do.
    pub fn l2_via_sequencer(&self, signer: &PrivateKeySigner) -> DynProvider {
        crate::chain::provider(self.devnet.l2_rpc_url(), signer)
    }

    /// Runs the `drawbridge-exit-prover` binary on this devnet's deployment file, signing as
    /// `signer` (if any).
    pub fn exit_prover(&self, signer: Option<&PrivateKeySigner>, args: &[&str]) -> Output {
        self.run_binary("drawbridge-exit-prover", signer, args)
    }

    /// Runs the exit prover with `--json`, asserts success and parses the output.
    pub fn exit_prover_json(
        &self,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
    ) -> serde_json::Value {
        self.binary_json("drawbridge-exit-prover", signer, args)
    }

    /// Runs the exit prover, asserts it fails with `expected` in its error; returns the error.
    pub fn exit_prover_fails(
        &self,
        signer: Option<&PrivateKeySigner>,
        args: &[&str],
        expected: &str,
    ) -> String {
        let out = self.exit_prover(signer, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "drawbridge-exit-prover {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr.contains(expected),
            "drawbridge-exit-prover {args:?}: expected {expected:?} in {stderr}"
        );
        stderr
    }

    /// Timestamp of the latest L1 block (the clock freeze deadlines run on).
    pub async fn l1_time(&self) -> u64 {
        self.l1
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("latest L1 block")
            .expect("a latest L1 block")
            .header
            .timestamp
    }
}

/// Forged L1 messages (issue 9): the L1 message tree as L1 hashes it, every output ever proposed,
/// and raw balance proofs at any L2 block.
impl TestBed {
    /// Every L1 message so far, rebuilt from `MessageSent` logs in nonce order; each one's leaf
    /// (computed with the `protocol` crate) is checked against the leaf L1 emitted.
    pub async fn l1_messages(&self) -> Vec<drawbridge_protocol::L1Message> {
        let d = &self.devnet.deployment;
        let events = crate::reads::message_sent(&self.l1, d).await;
        let mut messages = Vec::with_capacity(events.len());
        for e in events {
            assert_eq!(e.nonce, messages.len() as u64, "MessageSent logs in order");
            let message = crate::manual::message_from_event(&e);
            assert_eq!(
                message.leaf(d.l1.chain_id, d.l1.l1_bridge),
                e.leaf,
                "the protocol crate hashes message {} as L1 did",
                e.nonce
            );
            messages.push(message);
        }
        messages
    }

    /// Every `OutputProposed` event of the `OutputOracle` since its deployment, deleted outputs
    /// included.
    pub async fn proposed_outputs(
        &self,
    ) -> Vec<drawbridge_bindings::IOutputOracle::OutputProposed> {
        use alloy::sol_types::SolEvent;
        use drawbridge_bindings::IOutputOracle;
        let d = &self.devnet.deployment;
        let filter = alloy::rpc::types::Filter::new()
            .address(d.l1.output_oracle)
            .event_signature(IOutputOracle::OutputProposed::SIGNATURE_HASH)
            .from_block(d.l1.deploy_block)
            .to_block(alloy::eips::BlockNumberOrTag::Latest);
        self.l1
            .get_logs(&filter)
            .await
            .expect("OutputProposed logs")
            .iter()
            .map(|log| {
                log.log_decode::<IOutputOracle::OutputProposed>()
                    .expect("an OutputProposed log")
                    .inner
                    .data
            })
            .collect()
    }

    /// `eth_getProof` of `account`'s balance of the bridged `l1_token` at L2 block `block` (the
    /// slot `keccak256(abi.encode(account, 0))` of OpenZeppelin's `_balances`): the account proof
    /// of the token contract, the storage proof of the slot, and the balance the node answered.
    pub async fn l2_balance_proof(
        &self,
        l1_token: Address,
        account: Address,
        block: u64,
    ) -> (
        Vec<alloy::primitives::Bytes>,
        Vec<alloy::primitives::Bytes>,
        U256,
    ) {
        use alloy::sol_types::SolValue;
        let token = IL2Bridge::new(self.devnet.deployment.l2.l2_bridge, &self.l2)
            .bridgedToken(l1_token)
            .call()
            .await
            .expect("bridgedToken");
        let slot = alloy::primitives::keccak256((account, U256::ZERO).abi_encode());
        let response = self
            .l2
            .get_proof(token, vec![slot])
            .block_id(block.into())
            .await
            .expect("eth_getProof");
        let storage = response
            .storage_proof
            .into_iter()
            .next()
            .expect("a storage proof");
        (response.account_proof, storage.proof, storage.value)
    }
}

impl TestBed {
    /// [`TestBed::start_devnet_relayer`] with the relayer's HTTP API (`/health`, `/metrics`, ...)
    /// on a free local port; returns the API's base URL (`http://127.0.0.1:PORT`).
    pub fn start_devnet_relayer_with_api(&self) -> String {
        let listen = free_listen_address();
        self.start_devnet_relayer_with_args(vec![
            "--poll-interval".into(),
            "300ms".into(),
            "--api-listen".into(),
            listen.clone(),
        ]);
        format!("http://{listen}")
    }
}
