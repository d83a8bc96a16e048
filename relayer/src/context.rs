//! The state every role works on ([`Context`]): configuration, database, both chains, the Merkle
//! trees rebuilt from the database, the lease fences, the metrics, and what the roles remember
//! between rounds; with the contract handles and chain reads the roles share. It knows no role: the
//! roles (`roles/`) add their rounds to it, and [`Relayer`](crate::Relayer) schedules them.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy::eips::BlockId;
use alloy::primitives::{B256, Bytes, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::SolInterface;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge, IOutputOracle};
use drawbridge_protocol::{MerkleTree, OutputStatus};

use crate::chain::{SigningChain, Work};
use crate::claim::{Claim, output_id};
use crate::config::RelayerConfig;
use crate::error::{Error, Result};
use crate::lease::Leases;
use crate::metrics::Metrics;
use crate::role::Role;
use crate::store::{Fence, Store};

/// How [`Context::read_claim`] names the block it reads the L2 bridge at, in the calls and in
/// their RPC errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimAt {
    /// By hash (`L2Bridge at 0x…: …`): the propose role, which checked the hash against the L2
    /// head it follows, so a reorg cannot change what it reads.
    Hash,
    /// By number (`L2Bridge at block N: …`): the checks of outputs, below the confirmed head.
    Number,
}

/// Which chain: the protocol's one name for it.
pub(crate) use drawbridge_protocol::Layer;

/// How a submission of work ended for the role that asked.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Mined successfully, or reverted because the work had been done meanwhile.
    Done,
    /// The simulation reverted: nothing was signed or sent.
    WouldRevert(Bytes),
    /// Mined, reverted, and the work is still not done.
    Reverted,
    /// Broadcast but not mined within `tx_timeout`; it stays in flight for the next round.
    Pending,
    /// An earlier transaction on this chain is still in flight: nothing was sent.
    Blocked,
}

/// Decodes revert data with an interface's custom errors, for logs.
pub(crate) fn describe_revert<E: SolInterface + std::fmt::Debug>(data: &[u8]) -> String {
    match E::abi_decode(data) {
        Ok(error) => format!("{error:?}"),
        Err(_) if data.is_empty() => "reverted without data".to_string(),
        Err(_) => format!("reverted with {}", alloy::hex::encode_prefixed(data)),
    }
}

/// What the roles work with: configuration, database, both chains and the two Merkle trees
/// rebuilt from the database.
pub(crate) struct Context {
    pub(crate) config: RelayerConfig,
    pub(crate) store: Store,
    pub(crate) l1: SigningChain,
    pub(crate) l2: SigningChain,
    /// Leaves of every confirmed L1 message, by nonce.
    pub(crate) messages: MerkleTree,
    /// Leaves of every confirmed withdrawal, by nonce.
    pub(crate) withdrawals: MerkleTree,
    /// Leaves of the L1 messages the watchdog ingested (its own checked copy), by nonce.
    pub(crate) watched_messages: MerkleTree,
    /// The watchdog's leaf comparison resumes at this nonce (every leaf below matched L1's).
    pub(crate) watch_leaves_checked: u64,
    /// The conservation monitor's schedule and last findings.
    pub(crate) conservation: ConservationState,
    /// What the finalize role knows about the final outputs it checks before paying against them.
    pub(crate) final_checks: FinalChecks,
    /// Current `eth_getLogs` range per chain (halved on errors, grown back on success).
    pub(crate) l1_range: u64,
    pub(crate) l2_range: u64,
    /// This relayer's id in the leases table.
    pub(crate) holder: Arc<str>,
    /// The roles this process holds right now.
    pub(crate) leases: Arc<Leases>,
    /// What `/metrics` and `/status` report of this process.
    pub(crate) metrics: Arc<Metrics>,
}

/// The monitor's state between rounds.
#[derive(Debug, Default)]
pub(crate) struct ConservationState {
    /// When it may run again.
    pub next_run: Option<tokio::time::Instant>,
    /// Its findings, kept until the next run.
    pub problems: BTreeMap<String, String>,
}

/// What the finalize role concluded about one final output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Good,
    /// Wrong, and why.
    Wrong(String),
}

/// The finalize role's memory of its checks (rebuilt from the chains after a restart).
#[derive(Debug, Default)]
pub(crate) struct FinalChecks {
    /// The leaf L2 consumed at each nonce (`MessageProcessed`), in nonce order, from the L2 bridge's
    /// logs in blocks below `next_block`.
    pub(crate) processed: Vec<B256>,
    /// The next L2 block to scan for `MessageProcessed` (0: from the deployment block).
    pub(crate) next_block: u64,
    /// Every consumed leaf below this nonce is L1's leaf at that nonce.
    pub(crate) matched: u64,
    /// The first nonce whose consumed leaf is not L1's: (nonce, L2's leaf, L1's leaf).
    pub(crate) forged: Option<(u64, B256, Option<B256>)>,
    /// Verdicts by (output index, output identity, withdrawal root paid against).
    pub(crate) verdicts: BTreeMap<(u64, B256, B256), Verdict>,
}

impl Context {
    /// The lease `role` acts under, or [`Error::LeaseLost`].
    pub(crate) fn fence(&self, role: Role) -> Result<Fence> {
        self.leases.get(role).ok_or(Error::LeaseLost { role })
    }

    pub(crate) fn chain(&self, side: Layer) -> &SigningChain {
        match side {
            Layer::L1 => &self.l1,
            Layer::L2 => &self.l2,
        }
    }

    pub(crate) fn l1_bridge(&self) -> IL1Bridge::IL1BridgeInstance<DynProvider> {
        IL1Bridge::new(
            self.config.deployment.l1.l1_bridge,
            self.l1.provider.clone(),
        )
    }

    pub(crate) fn output_oracle(&self) -> IOutputOracle::IOutputOracleInstance<DynProvider> {
        IOutputOracle::new(
            self.config.deployment.l1.output_oracle,
            self.l1.provider.clone(),
        )
    }

    pub(crate) fn l2_bridge(&self) -> IL2Bridge::IL2BridgeInstance<DynProvider> {
        IL2Bridge::new(
            self.config.deployment.l2.l2_bridge,
            self.l2.provider.clone(),
        )
    }

    pub(crate) fn root_oracle(&self) -> IL1RootOracle::IL1RootOracleInstance<DynProvider> {
        IL1RootOracle::new(
            self.config.deployment.l2.root_oracle,
            self.l2.provider.clone(),
        )
    }

    /// Whether the chain shows `work` as done (so a revert of it counts as success).
    pub(crate) async fn already_done(&self, work: &Work) -> Result<bool> {
        let l1 = |e: alloy::contract::Error| self.l1.rpc(e);
        let l2 = |e: alloy::contract::Error| self.l2.rpc(e);
        Ok(match work {
            Work::CommitRoot { messages } => {
                self.l1_bridge()
                    .lastCommittedRoot()
                    .call()
                    .await
                    .map_err(l1)?
                    .count
                    >= *messages
            }
            Work::PublishRoot { root, .. } => {
                self.root_oracle()
                    .rootCount(*root)
                    .call()
                    .await
                    .map_err(l2)?
                    != 0
            }
            Work::RelayMessages { last, .. } => {
                self.l2_bridge()
                    .l1MessagesProcessed()
                    .call()
                    .await
                    .map_err(l2)?
                    > *last
            }
            Work::Propose { l2_block } => self
                .last_output_block()
                .await?
                .is_some_and(|b| b >= *l2_block),
            Work::ReleaseBond { .. } => false,
            Work::WithdrawBond => self
                .output_oracle()
                .bondCredit(self.l1.from)
                .call()
                .await
                .map_err(l1)?
                .is_zero(),
            Work::FinalizeWithdrawals { nonces, .. } => {
                let bridge = self.l1_bridge();
                for nonce in nonces {
                    if !bridge
                        .isWithdrawalFinalized(*nonce)
                        .call()
                        .await
                        .map_err(l1)?
                    {
                        return Ok(false);
                    }
                }
                true
            }
            Work::Challenge {
                output_index,
                output,
            } => self.challenge_done(*output_index, *output).await?,
        })
    }

    /// L2 block number of the newest output on L1, if any.
    pub(crate) async fn last_output_block(&self) -> Result<Option<u64>> {
        let oracle = self.output_oracle();
        let count = oracle
            .outputCount()
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("outputCount: {e}")))?;
        if count.is_zero() {
            return Ok(None);
        }
        let output = oracle
            .getOutput(count - U256::from(1))
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("getOutput: {e}")))?;
        Ok(Some(output.l2BlockNumber))
    }

    /// Whether the challenge of output `index` (identity `id`) needs doing no more: the output is
    /// no longer `Proposed` (someone challenged it, or the council ruled) or no longer exists.
    pub(crate) async fn challenge_done(&self, index: u64, id: B256) -> Result<bool> {
        match self
            .output_oracle()
            .getOutput(U256::from(index))
            .call()
            .await
        {
            Ok(o) => Ok(
                OutputStatus::from_u8_lossy(o.status) != OutputStatus::Proposed
                    || output_id(index, o.proposer, &Claim::of(&o)) != id,
            ),
            Err(e) if e.as_revert_data().is_some() => Ok(true),
            Err(e) => Err(self.l1.rpc(format!("getOutput({index}): {e}"))),
        }
    }

    /// The confirmed L1 block (`head - l1_confirmations`): its number and hash, at which the
    /// relayer reads the L1 state it acts on.
    pub(crate) async fn l1_confirmed_block(&self) -> Result<(u64, B256)> {
        let number = self.l1.confirmed_head().await?;
        let (hash, _) = self.l1.block(number).await?;
        Ok((number, hash))
    }

    /// What the L2 node says about block `l2_block`, or `None` while that block is not confirmed
    /// on it yet. The finalize role checks final outputs with it too (`roles/finalize.rs`).
    pub(crate) async fn recompute(&self, l2_block: u64) -> Result<Option<Claim>> {
        if l2_block > self.l2.confirmed_head().await? {
            return Ok(None);
        }
        let (block_hash, state_root) = self.l2.block(l2_block).await?;
        if l2_block < self.config.deployment.l2.deploy_block {
            // No bridge yet: no withdrawal tree and nothing processed; any claim of a root is wrong.
            return Ok(Some(Claim {
                l2_block,
                block_hash,
                state_root,
                withdrawal_root: B256::ZERO,
                l1_messages_processed: 0,
                l1_message_root: Some(B256::ZERO),
            }));
        }
        self.read_claim(l2_block, block_hash, state_root, ClaimAt::Number)
            .await
            .map(Some)
    }

    /// The claim about L2 block `l2_block` (hash `block_hash`, state root `state_root`, as the L2
    /// node gave them): the L2 bridge's `withdrawalRoot()`, `l1MessagesProcessed()` and
    /// `l1MessageRoot()` read at that block, named as `at` says. What the propose role posts and
    /// what the watchdog and the finalize role compare outputs with ([`Context::recompute`]).
    pub(crate) async fn read_claim(
        &self,
        l2_block: u64,
        block_hash: B256,
        state_root: B256,
        at: ClaimAt,
    ) -> Result<Claim> {
        let (id, name) = match at {
            ClaimAt::Hash => {
                let id = BlockId::hash(block_hash);
                (id, format!("L2Bridge at {id}"))
            }
            ClaimAt::Number => (
                BlockId::number(l2_block),
                format!("L2Bridge at block {l2_block}"),
            ),
        };
        let bridge = self.l2_bridge();
        let l2 = |e: alloy::contract::Error| self.l2.rpc(format!("{name}: {e}"));
        let withdrawal_root = bridge.withdrawalRoot().block(id).call().await.map_err(l2)?;
        let l1_messages_processed = bridge
            .l1MessagesProcessed()
            .block(id)
            .call()
            .await
            .map_err(l2)?;
        let l1_message_root = bridge.l1MessageRoot().block(id).call().await.map_err(l2)?;
        Ok(Claim {
            l2_block,
            block_hash,
            state_root,
            withdrawal_root,
            l1_messages_processed,
            l1_message_root: Some(l1_message_root),
        })
    }
}
