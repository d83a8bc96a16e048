//! The deliver role: commit L1 message roots, publish them to L2, relay messages in order.

use alloy::eips::BlockId;
use alloy::primitives::B256;
use alloy::sol_types::SolCall;
use drawbridge_bindings::{IL1Bridge, IL1RootOracle, IL2Bridge};
use tracing::{debug, error, info, warn};

use crate::chain::{Call, Work};
use crate::context::{Context, Layer, Outcome, describe_revert};
use crate::error::{Error, Result};

impl Context {
    /// Follow L1, then commit, publish and relay.
    pub(crate) async fn deliver_round(&mut self) -> Result<()> {
        self.reconcile_role(crate::role::Role::Deliver).await?;
        self.follow_l1().await?;
        self.commit_root().await?;
        self.publish_root().await?;
        self.relay_messages().await
    }

    /// Sends `commitMessageRoot()` when confirmed messages exist beyond the last committed count.
    pub(crate) async fn commit_root(&self) -> Result<()> {
        let confirmed = self.messages.len();
        if confirmed == 0 {
            return Ok(());
        }
        let bridge = self.l1_bridge();
        let committed = bridge
            .lastCommittedRoot()
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("lastCommittedRoot: {e}")))?
            .count;
        if committed >= confirmed {
            return Ok(());
        }
        // The stored messages were checked against L1 state when ingested; L1 must still count
        // them all, or the commit would not cover them (and would be sent again every round).
        let sent = bridge
            .messageCount()
            .call()
            .await
            .map_err(|e| self.l1.rpc(format!("messageCount: {e}")))?;
        if sent < confirmed {
            return Err(Error::Inconsistent(format!(
                "the database holds {confirmed} L1 messages but L1Bridge.messageCount() is {sent}: not committing"
            )));
        }
        debug!(committed, confirmed, "committing the L1 message root");
        let call = Call::new(
            *bridge.address(),
            IL1Bridge::commitMessageRootCall {}.abi_encode(),
        );
        let work = Work::CommitRoot {
            messages: confirmed,
        };
        if let Outcome::WouldRevert(data) = self.submit(Layer::L1, work, call).await? {
            warn!(reason = %describe_revert::<IL1Bridge::IL1BridgeErrors>(&data), "commitMessageRoot would revert");
        }
        Ok(())
    }

    /// Publishes the largest confirmed committed root to `L1RootOracle` when L2 does not know it
    /// and knows nothing larger, after checking it is the root of the relayer's own tree.
    pub(crate) async fn publish_root(&self) -> Result<()> {
        let Some(latest) = self.store.latest_root().await? else {
            return Ok(());
        };
        let oracle = self.root_oracle();
        let rpc = |e: alloy::contract::Error| self.l2.rpc(format!("L1RootOracle: {e}"));
        if oracle.rootCount(latest.root).call().await.map_err(rpc)? != 0 {
            return Ok(());
        }
        if oracle.latestCount().call().await.map_err(rpc)? >= latest.count {
            return Ok(());
        }
        if latest.count > self.messages.len() {
            return Err(Error::Inconsistent(format!(
                "committed root {} covers {} messages but only {} are confirmed",
                latest.root,
                latest.count,
                self.messages.len()
            )));
        }
        let ours = self.messages.root_at(latest.count)?;
        if ours != latest.root {
            error!(committed = %latest.root, ours = %ours, count = latest.count, "ALERT: L1 committed a root that is not the root of the messages it emitted");
            return Err(Error::Inconsistent(format!(
                "L1 committed root {} for {} messages, but those messages hash to {ours}: not publishing it",
                latest.root, latest.count
            )));
        }
        let publisher = oracle.publisher().call().await.map_err(rpc)?;
        if publisher != self.l2.from {
            debug!(%publisher, root = %latest.root, "not the root publisher; waiting for it to publish");
            return Ok(());
        }
        // Right before publishing, L1 itself (not its logs) must show the root committed for
        // exactly that count, at a confirmed block.
        let (block, hash) = self.l1_confirmed_block().await?;
        if latest.l1_block > block {
            // The node's head went back (a reorg inside the window): wait for it to be confirmed.
            debug!(root = %latest.root, committed_in = latest.l1_block, confirmed = block, "the root's block is not confirmed on the node now; waiting");
            return Ok(());
        }
        let l1_count = self
            .l1_bridge()
            .messageRootCount(latest.root)
            .block(BlockId::hash(hash))
            .call()
            .await
            .map_err(|e| {
                self.l1
                    .rpc(format!("messageRootCount at block {block}: {e}"))
            })?;
        if l1_count != latest.count {
            error!(root = %latest.root, count = latest.count, l1_count, block, "ALERT: L1 has not committed this root for this count; not publishing it");
            return Err(Error::L1LogsInconsistent(format!(
                "root {} for {} messages: L1Bridge.messageRootCount is {l1_count} at confirmed block {block}; not publishing it",
                latest.root, latest.count
            )));
        }
        let call = Call::new(
            *oracle.address(),
            IL1RootOracle::publishRootCall {
                root: latest.root,
                count: latest.count,
            }
            .abi_encode(),
        );
        let work = Work::PublishRoot {
            root: latest.root,
            count: latest.count,
        };
        if let Outcome::WouldRevert(data) = self.submit(Layer::L2, work, call).await? {
            warn!(reason = %describe_revert::<IL1RootOracle::IL1RootOracleErrors>(&data), "publishRoot would revert");
        }
        Ok(())
    }

    /// Relays messages from `l1MessagesProcessed` up to the count of the newest root L2 knows, in
    /// batches, each proven against that root.
    async fn relay_messages(&self) -> Result<()> {
        let oracle = self.root_oracle();
        let bridge = self.l2_bridge();
        let rpc = |e: alloy::contract::Error| self.l2.rpc(e);
        let root = oracle.latestRoot().call().await.map_err(rpc)?;
        if root == B256::ZERO {
            return Ok(());
        }
        let count = oracle.rootCount(root).call().await.map_err(rpc)?;
        if count == 0 {
            return Ok(());
        }
        if count > self.messages.len() {
            debug!(
                count,
                confirmed = self.messages.len(),
                "L2 knows a root beyond the confirmed messages; waiting"
            );
            return Ok(());
        }
        let ours = self.messages.root_at(count)?;
        if ours != root {
            error!(l2_root = %root, ours = %ours, count, "ALERT: L2's latest L1 root is not the root of the L1 messages");
            return Err(Error::Inconsistent(format!(
                "L1RootOracle's latest root {root} for {count} messages differs from the L1 messages' root {ours}: not relaying"
            )));
        }
        let batch = self.config.delivery_batch_size as u64;
        loop {
            // Chain state decides where to start, right before each send.
            let processed = bridge.l1MessagesProcessed().call().await.map_err(rpc)?;
            if processed >= count {
                return Ok(());
            }
            let end = count.min(processed + batch);
            let (work, call) = self.relay_batch(root, count, processed, end).await?;
            match self.submit(Layer::L2, work, call).await? {
                Outcome::Done => {
                    info!(first = processed, last = end - 1, root = %root, "L1 messages delivered")
                }
                Outcome::WouldRevert(data) => {
                    warn!(first = processed, last = end - 1, reason = %describe_revert::<IL2Bridge::IL2BridgeErrors>(&data), "relayMessages would revert");
                    return Ok(());
                }
                Outcome::Reverted | Outcome::Pending | Outcome::Blocked => return Ok(()),
            }
        }
    }

    /// The `relayMessages` call of nonces `first..end`, each proven against the root of the first
    /// `count` messages.
    pub(crate) async fn relay_batch(
        &self,
        root: B256,
        count: u64,
        first: u64,
        end: u64,
    ) -> Result<(Work, Call)> {
        let rows = self.store.messages(first, end).await?;
        if rows.len() as u64 != end - first
            || rows
                .iter()
                .zip(first..)
                .any(|(row, nonce)| row.message.nonce != nonce)
        {
            return Err(Error::Inconsistent(format!(
                "the database lacks L1 messages {first}..{end}"
            )));
        }
        let mut messages = Vec::with_capacity(rows.len());
        let mut proofs = Vec::with_capacity(rows.len());
        for row in rows {
            proofs.push(self.messages.proof(row.message.nonce, count)?);
            let m = row.message;
            messages.push(IL2Bridge::L1Message {
                kind: m.kind.as_u8(),
                nonce: m.nonce,
                sender: m.sender,
                recipient: m.recipient,
                token: m.token,
                amount: m.amount,
                data: m.data,
            });
        }
        let call = Call::new(
            self.config.deployment.l2.l2_bridge,
            IL2Bridge::relayMessagesCall {
                messages,
                root,
                proofs,
            }
            .abi_encode(),
        );
        let work = Work::RelayMessages {
            root,
            first,
            last: end - 1,
        };
        Ok((work, call))
    }
}
