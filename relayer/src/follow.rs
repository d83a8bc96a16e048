//! Following a chain: scan the bridge's logs up to `head - confirmations` in bounded ranges,
//! check every leaf (and, on L1, the whole scan against L1 state read by `eth_call` at the
//! confirmed block's hash), store what was scanned atomically with the cursor, then extend the
//! in-memory tree.

use alloy::eips::BlockId;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use drawbridge_bindings::{IL1Bridge, IL2Bridge};
use drawbridge_protocol::{Frontier, L1Message, MessageKind, Withdrawal};
use tracing::{debug, error, warn};

use crate::chain::SigningChain;
use crate::context::{Context, Layer};
use crate::error::{Error, Result};
use crate::heads::Followed;
use crate::role::Role;
use crate::store::{Cursor, MessageRow, RootRow, WithdrawalRow};

/// L1 messages and committed roots read from logs and checked against L1 state, with the cursor
/// to store with them.
#[derive(Debug)]
pub(crate) struct L1Scan {
    pub messages: Vec<MessageRow>,
    pub roots: Vec<RootRow>,
    pub next: Cursor,
}

/// One range of a scan ([`Context::next_logs`]): blocks `from..=to`, their logs in chain order,
/// and the cursor past them.
#[derive(Debug)]
pub(crate) struct LogRange {
    pub from: u64,
    pub to: u64,
    pub logs: Vec<Log>,
    pub next: Cursor,
}

/// Logs in chain order.
fn sort_logs(logs: &mut [Log]) {
    logs.sort_by_key(|log| (log.block_number, log.log_index));
}

fn position(chain: &SigningChain, log: &Log) -> Result<(u64, B256, u64)> {
    match (log.block_number, log.transaction_hash, log.log_index) {
        (Some(block), Some(tx), Some(index)) => Ok((block, tx, index)),
        _ => Err(chain.rpc("a log without block number, transaction hash or index")),
    }
}

/// The message of a `MessageSent` event, refused unless its nonce is the next one, its kind is
/// known and the leaf computed from its fields equals the event's leaf.
pub(crate) fn checked_message(
    event: IL1Bridge::MessageSent,
    expected_nonce: u64,
    l1_chain_id: u64,
    l1_bridge: Address,
    block: u64,
) -> Result<L1Message> {
    let kind = MessageKind::try_from(event.kind).map_err(|_| {
        Error::Inconsistent(format!(
            "L1 message {} has unknown kind {}",
            event.nonce, event.kind
        ))
    })?;
    if event.nonce != expected_nonce {
        return Err(Error::Inconsistent(format!(
            "L1 message nonce {} in block {block} where {expected_nonce} was expected",
            event.nonce
        )));
    }
    let message = L1Message {
        kind,
        nonce: event.nonce,
        sender: event.sender,
        recipient: event.recipient,
        token: event.token,
        amount: event.amount,
        data: event.data,
    };
    let computed = message.leaf(l1_chain_id, l1_bridge);
    if computed != event.leaf {
        error!(chain = "L1", nonce = event.nonce, event_leaf = %event.leaf, %computed, "ALERT: leaf mismatch; refusing the message");
        return Err(Error::LeafMismatch {
            chain: "L1",
            nonce: event.nonce,
            event_leaf: event.leaf,
            computed,
        });
    }
    Ok(message)
}

/// The withdrawal of a `WithdrawalInitiated` event, refused unless its nonce is the next one and
/// the leaf computed from its fields equals the event's leaf.
pub(crate) fn checked_withdrawal(
    event: &IL2Bridge::WithdrawalInitiated,
    expected_nonce: u64,
    l2_chain_id: u64,
    l2_bridge: Address,
    block: u64,
) -> Result<Withdrawal> {
    if event.nonce != expected_nonce {
        return Err(Error::Inconsistent(format!(
            "withdrawal nonce {} in L2 block {block} where {expected_nonce} was expected",
            event.nonce
        )));
    }
    let withdrawal = Withdrawal {
        nonce: event.nonce,
        sender: event.sender,
        recipient: event.recipient,
        l1_token: event.l1Token,
        amount: event.amount,
    };
    let computed = withdrawal.leaf(l2_chain_id, l2_bridge);
    if computed != event.leaf {
        error!(chain = "L2", nonce = event.nonce, event_leaf = %event.leaf, %computed, "ALERT: leaf mismatch; refusing the withdrawal");
        return Err(Error::LeafMismatch {
            chain: "L2",
            nonce: event.nonce,
            event_leaf: event.leaf,
            computed,
        });
    }
    Ok(withdrawal)
}

impl Context {
    /// The next range of a scan of the logs `filter` selects (an address and event signatures,
    /// no block range) on `side` from `cursor` up to block `target`: at most `max_log_range`
    /// blocks, its logs in chain order and the cursor past it, to be stored together. `None` when
    /// caught up; an `eth_getLogs` error is returned. The watchdog's scans loop on it; the roles'
    /// own ([`Context::follow_l1`], [`Context::follow_l2`]) narrow the range on errors instead.
    pub(crate) async fn next_logs(
        &self,
        side: Layer,
        cursor: &Cursor,
        target: u64,
        filter: &Filter,
    ) -> Result<Option<LogRange>> {
        let Some((from, to)) = Self::next_range(cursor, target, self.config.max_log_range) else {
            return Ok(None);
        };
        let chain = self.chain(side);
        let mut logs = chain
            .provider
            .get_logs(&filter.clone().from_block(from).to_block(to))
            .await
            .map_err(|e| chain.rpc(format!("eth_getLogs({from}..={to}): {e}")))?;
        sort_logs(&mut logs);
        let (to_hash, _) = chain.block(to).await?;
        Ok(Some(LogRange {
            from,
            to,
            logs,
            next: Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            },
        }))
    }

    /// Where scanning of `side` resumes.
    async fn cursor_of(&self, side: Layer) -> Result<Cursor> {
        let chain = self.chain(side);
        let deploy_block = match side {
            Layer::L1 => self.config.deployment.l1.deploy_block,
            Layer::L2 => self.config.deployment.l2.deploy_block,
        };
        Ok(self.store.cursor(chain.key).await?.unwrap_or(Cursor {
            next_block: deploy_block,
            last_block_hash: None,
        }))
    }

    /// Refuses to go on when the last scanned block changed hash: a reorg deeper than the
    /// confirmation depth, which the relayer does not unwind (the role halts).
    async fn check_reorg(&self, side: Layer, role: Role, cursor: &Cursor) -> Result<()> {
        let chain = self.chain(side);
        let Some(expected) = cursor.last_block_hash else {
            return Ok(());
        };
        let number = cursor.next_block.saturating_sub(1);
        let actual = crate::heads::header(chain, number).await?.map(|h| h.hash);
        if actual != Some(expected) {
            error!(chain = chain.name, %role, block = number, %expected, actual = ?actual, "ALERT: a block this role ingested changed hash: reorg deeper than the confirmation depth; halting the role");
            return Err(Error::DeepReorg {
                chain: chain.name,
                role,
                block: number,
                expected,
                actual,
                depth: 0,
                confirmations: chain.confirmations,
            });
        }
        Ok(())
    }

    /// The next range to scan, `from..=to`, or `None` when caught up with the confirmed head.
    fn next_range(cursor: &Cursor, target: u64, range: u64) -> Option<(u64, u64)> {
        let from = cursor.next_block;
        (from <= target).then(|| (from, target.min(from.saturating_add(range - 1))))
    }

    /// Fetches logs, halving this chain's range on failure (a node limiting ranges or results)
    /// down to one block, after which the error is returned.
    async fn fetch_logs(
        &mut self,
        side: Layer,
        filter: &Filter,
        from: u64,
        to: u64,
    ) -> Result<Option<Vec<Log>>> {
        let chain = self.chain(side).clone();
        match chain.provider.get_logs(filter).await {
            Ok(mut logs) => {
                sort_logs(&mut logs);
                let max = self.config.max_log_range;
                let range = match side {
                    Layer::L1 => &mut self.l1_range,
                    Layer::L2 => &mut self.l2_range,
                };
                *range = (*range * 2).min(max);
                Ok(Some(logs))
            }
            Err(e) => {
                let range = match side {
                    Layer::L1 => &mut self.l1_range,
                    Layer::L2 => &mut self.l2_range,
                };
                if *range > 1 {
                    *range = (*range / 2).max(1);
                    warn!(chain = chain.name, from, to, error = %e, new_range = *range, "eth_getLogs failed; narrowing the range");
                    Ok(None)
                } else {
                    Err(chain.rpc(format!("eth_getLogs({from}..={to}): {e}")))
                }
            }
        }
    }

    /// Ingests confirmed `MessageSent` and `MessageRootCommitted` events of the L1 bridge.
    ///
    /// Every range up to the confirmed block `B` is fetched and each message checked (nonce, kind,
    /// leaf); then the whole is checked against L1 state read by `eth_call` at `B`'s hash (see
    /// [`Relayer::check_l1_scan`]) before anything is stored: a made-up, altered or missing log
    /// stores nothing, leaves the cursor where it was and halts the role with
    /// [`Error::L1LogsInconsistent`] until the node tells the truth again.
    pub(crate) async fn follow_l1(&mut self) -> Result<()> {
        let fence = self.fence(Role::Deliver)?;
        // Another relayer may have ingested while this one stood by.
        self.store.extend_message_tree(&mut self.messages).await?;
        let chain = self.l1.clone();
        let cursor = self.cursor_of(Layer::L1).await?;
        let followed = self
            .track_head(Role::Deliver, &chain, cursor.next_block)
            .await?;
        self.check_reorg(Layer::L1, Role::Deliver, &cursor).await?;
        let frontier = self.messages.frontier();
        let Some(scan) = self
            .scan_l1_messages(&cursor, followed.confirmed, Some(&followed), frontier)
            .await?
        else {
            return Ok(());
        };
        self.store
            .ingest_l1(&fence, &scan.messages, &scan.roots, scan.next)
            .await?;
        for m in &scan.messages {
            self.messages.push(m.leaf)?;
        }
        if !scan.messages.is_empty() || !scan.roots.is_empty() {
            debug!(
                from = cursor.next_block,
                to = scan.next.next_block - 1,
                messages = scan.messages.len(),
                roots = scan.roots.len(),
                total = self.messages.len(),
                "L1 range ingested"
            );
        }
        Ok(())
    }

    /// Fetches the L1 bridge's `MessageSent` and `MessageRootCommitted` logs from `cursor` up to
    /// block `target` in bounded ranges, checks each message (the next nonce after the `frontier`'s
    /// leaves, a known kind, the leaf of its fields) and then the whole against L1 state at
    /// `target` ([`Relayer::check_l1_scan`]). `None` when there is nothing to scan.
    pub(crate) async fn scan_l1_messages(
        &mut self,
        cursor: &Cursor,
        target: u64,
        followed: Option<&Followed>,
        frontier: Frontier,
    ) -> Result<Option<L1Scan>> {
        let chain = self.l1.clone();
        let bridge = self.config.deployment.l1.l1_bridge;
        let l1_chain_id = self.config.deployment.l1.chain_id;
        let mut next_nonce = frontier.count();
        let mut messages = Vec::new();
        let mut roots = Vec::new();
        let mut scanned: Option<(u64, B256)> = None;
        let mut next_block = cursor.next_block;
        while let Some((from, to)) = Self::next_range(
            &Cursor {
                next_block,
                last_block_hash: None,
            },
            target,
            self.l1_range,
        ) {
            let filter = Filter::new()
                .address(bridge)
                .event_signature(vec![
                    IL1Bridge::MessageSent::SIGNATURE_HASH,
                    IL1Bridge::MessageRootCommitted::SIGNATURE_HASH,
                ])
                .from_block(from)
                .to_block(to);
            let Some(logs) = self.fetch_logs(Layer::L1, &filter, from, to).await? else {
                continue;
            };
            let (to_hash, _) = chain.block(to).await?;
            if let Some(followed) = followed {
                followed.check(&chain, to, to_hash)?;
                for log in &logs {
                    if let (Some(number), Some(hash)) = (log.block_number, log.block_hash) {
                        followed.check(&chain, number, hash)?;
                    }
                }
            }
            for log in &logs {
                let (block, tx, log_index) = position(&chain, log)?;
                if !(from..=to).contains(&block) {
                    return Err(Error::L1LogsInconsistent(format!(
                        "eth_getLogs({from}..={to}) answered a log of block {block}"
                    )));
                }
                match log.topic0() {
                    Some(&IL1Bridge::MessageSent::SIGNATURE_HASH) => {
                        let event = log
                            .log_decode::<IL1Bridge::MessageSent>()
                            .map_err(|e| {
                                chain.rpc(format!("undecodable MessageSent in block {block}: {e}"))
                            })?
                            .inner
                            .data;
                        let message =
                            checked_message(event, next_nonce, l1_chain_id, bridge, block)?;
                        let computed = message.leaf(l1_chain_id, bridge);
                        next_nonce += 1;
                        messages.push(MessageRow {
                            message,
                            leaf: computed,
                            l1_block: block,
                            l1_tx: tx,
                            log_index,
                        });
                    }
                    Some(&IL1Bridge::MessageRootCommitted::SIGNATURE_HASH) => {
                        let event = log
                            .log_decode::<IL1Bridge::MessageRootCommitted>()
                            .map_err(|e| {
                                chain.rpc(format!(
                                    "undecodable MessageRootCommitted in block {block}: {e}"
                                ))
                            })?
                            .inner
                            .data;
                        roots.push(RootRow {
                            root: event.root,
                            count: event.count,
                            l1_block: block,
                        });
                    }
                    _ => {}
                }
            }
            scanned = Some((to, to_hash));
            next_block = to + 1;
        }
        let Some((to, to_hash)) = scanned else {
            return Ok(None);
        };
        self.check_l1_scan(frontier, &messages, &roots, to, to_hash)
            .await?;
        Ok(Some(L1Scan {
            messages,
            roots,
            next: Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            },
        }))
    }

    /// Checks messages and committed roots read from logs up to block `block` (hash `hash`)
    /// against L1 state read by `eth_call` at that hash: the tree of the `frontier`'s leaves and
    /// the new ones must have exactly `L1Bridge.messageRoot()` and `messageCount()`, and every
    /// committed root must have `messageRootCount(root) == count`. On any difference the
    /// `l1_logs_inconsistent` error names it (the caller stores nothing).
    pub(crate) async fn check_l1_scan(
        &self,
        mut frontier: Frontier,
        messages: &[MessageRow],
        roots: &[RootRow],
        block: u64,
        hash: B256,
    ) -> Result<()> {
        let at = BlockId::hash(hash);
        let bridge = self.l1_bridge();
        let l1 = |what: &'static str| {
            move |e: alloy::contract::Error| self.l1.rpc(format!("{what} at block {block}: {e}"))
        };
        let count = bridge
            .messageCount()
            .block(at)
            .call()
            .await
            .map_err(l1("messageCount"))?;
        let root = bridge
            .messageRoot()
            .block(at)
            .call()
            .await
            .map_err(l1("messageRoot"))?;
        for m in messages {
            frontier.push(m.leaf)?;
        }
        let inconsistent = |reason: String| {
            error!(block, %reason, "ALERT: the L1 node's logs contradict L1 state; storing nothing from them");
            Err(Error::L1LogsInconsistent(reason))
        };
        if frontier.count() != count {
            return inconsistent(format!(
                "the logs up to block {block} hold {} messages but L1Bridge.messageCount() is {count} there",
                frontier.count()
            ));
        }
        if frontier.root() != root {
            return inconsistent(format!(
                "the {count} messages of the logs up to block {block} hash to {} but L1Bridge.messageRoot() is {root} there",
                frontier.root()
            ));
        }
        for r in roots {
            let l1_count = bridge
                .messageRootCount(r.root)
                .block(at)
                .call()
                .await
                .map_err(l1("messageRootCount"))?;
            if l1_count != r.count {
                return inconsistent(format!(
                    "a MessageRootCommitted log of block {} commits root {} for {} messages but L1Bridge.messageRootCount of it is {l1_count} at block {block}",
                    r.l1_block, r.root, r.count
                ));
            }
        }
        Ok(())
    }

    /// Ingests confirmed `WithdrawalInitiated` events of the L2 bridge.
    pub(crate) async fn follow_l2(&mut self) -> Result<()> {
        let fence = self.fence(Role::Finalize)?;
        self.store
            .extend_withdrawal_tree(&mut self.withdrawals)
            .await?;
        let chain = self.l2.clone();
        let mut cursor = self.cursor_of(Layer::L2).await?;
        let followed = self
            .track_head(Role::Finalize, &chain, cursor.next_block)
            .await?;
        let target = followed.confirmed;
        self.check_reorg(Layer::L2, Role::Finalize, &cursor).await?;
        let bridge = self.config.deployment.l2.l2_bridge;
        let l2_chain_id = self.config.deployment.l2.chain_id;
        while let Some((from, to)) = Self::next_range(&cursor, target, self.l2_range) {
            let filter = Filter::new()
                .address(bridge)
                .event_signature(IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH)
                .from_block(from)
                .to_block(to);
            let Some(logs) = self.fetch_logs(Layer::L2, &filter, from, to).await? else {
                continue;
            };
            let (to_hash, _) = chain.block(to).await?;
            followed.check(&chain, to, to_hash)?;
            for log in &logs {
                if let (Some(number), Some(hash)) = (log.block_number, log.block_hash) {
                    followed.check(&chain, number, hash)?;
                }
            }
            let mut next_nonce = self.withdrawals.len();
            let mut rows = Vec::new();
            for log in &logs {
                if log.topic0() != Some(&IL2Bridge::WithdrawalInitiated::SIGNATURE_HASH) {
                    continue;
                }
                let (block, tx, log_index) = position(&chain, log)?;
                let event = log
                    .log_decode::<IL2Bridge::WithdrawalInitiated>()
                    .map_err(|e| {
                        chain.rpc(format!(
                            "undecodable WithdrawalInitiated in block {block}: {e}"
                        ))
                    })?
                    .inner
                    .data;
                let withdrawal =
                    checked_withdrawal(&event, next_nonce, l2_chain_id, bridge, block)?;
                let computed = event.leaf;
                next_nonce += 1;
                rows.push(WithdrawalRow {
                    withdrawal,
                    leaf: computed,
                    l2_block: block,
                    l2_tx: tx,
                    log_index,
                    finalized: false,
                });
            }
            let next = Cursor {
                next_block: to + 1,
                last_block_hash: Some(to_hash),
            };
            self.store.ingest_l2(&fence, &rows, next).await?;
            for w in &rows {
                self.withdrawals.push(w.leaf)?;
            }
            if !rows.is_empty() {
                debug!(
                    from,
                    to,
                    withdrawals = rows.len(),
                    total = self.withdrawals.len(),
                    "L2 range ingested"
                );
            }
            cursor = next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `MessageSent` event whose leaf is computed for `leaf_kind` while the event says `kind`.
    fn sent_as(nonce: u64, kind: u8, leaf_kind: MessageKind) -> IL1Bridge::MessageSent {
        let message = L1Message {
            kind: leaf_kind,
            nonce,
            sender: Address::repeat_byte(0xaa),
            recipient: Address::repeat_byte(0xbb),
            token: Address::ZERO,
            amount: alloy::primitives::U256::from(5u64),
            data: alloy::primitives::Bytes::from(vec![1, 2]),
        };
        IL1Bridge::MessageSent {
            nonce,
            kind,
            sender: message.sender,
            recipient: message.recipient,
            token: message.token,
            amount: message.amount,
            data: message.data.clone(),
            leaf: message.leaf(900, Address::repeat_byte(1)),
        }
    }

    fn sent(nonce: u64, kind: u8) -> IL1Bridge::MessageSent {
        sent_as(nonce, kind, MessageKind::Deposit)
    }

    #[test]
    fn forced_withdrawals_are_ingested_like_deposits() {
        let bridge = Address::repeat_byte(1);
        // Kind 2: sender = recipient = the L2 account, token = the L1 token, empty data.
        let account = Address::repeat_byte(0x42);
        let message = L1Message {
            kind: MessageKind::ForcedWithdrawal,
            nonce: 5,
            sender: account,
            recipient: account,
            token: Address::repeat_byte(0x70),
            amount: alloy::primitives::U256::from(123u64),
            data: alloy::primitives::Bytes::new(),
        };
        let event = IL1Bridge::MessageSent {
            nonce: 5,
            kind: 2,
            sender: account,
            recipient: account,
            token: message.token,
            amount: message.amount,
            data: message.data.clone(),
            leaf: message.leaf(900, bridge),
        };
        let checked = checked_message(event.clone(), 5, 900, bridge, 10).unwrap();
        assert_eq!(checked, message);
        assert_eq!(checked.kind.as_u8(), 2);
        // The kind is part of the leaf: a kind-2 event carrying a deposit's leaf is refused, and
        // so is a deposit event carrying a forced withdrawal's leaf.
        assert!(matches!(
            checked_message(sent_as(5, 2, MessageKind::Deposit), 5, 900, bridge, 10),
            Err(Error::LeafMismatch { nonce: 5, .. })
        ));
        assert!(matches!(
            checked_message(
                sent_as(5, 1, MessageKind::ForcedWithdrawal),
                5,
                900,
                bridge,
                10
            ),
            Err(Error::LeafMismatch { nonce: 5, .. })
        ));
        assert!(
            checked_message(
                sent_as(5, 2, MessageKind::ForcedWithdrawal),
                5,
                900,
                bridge,
                10
            )
            .is_ok()
        );
        // A forged amount is refused as for deposits.
        let mut forged = event;
        forged.amount = alloy::primitives::U256::from(124u64);
        assert!(matches!(
            checked_message(forged, 5, 900, bridge, 10),
            Err(Error::LeafMismatch { .. })
        ));
    }

    #[test]
    fn l1_messages_are_checked_before_ingestion() {
        let bridge = Address::repeat_byte(1);
        let m = checked_message(sent(3, 1), 3, 900, bridge, 10).unwrap();
        assert_eq!(m.nonce, 3);
        assert_eq!(m.leaf(900, bridge), sent(3, 1).leaf);
        // A leaf that does not match the fields is refused.
        let mut forged = sent(3, 1);
        forged.amount = alloy::primitives::U256::from(6u64);
        assert!(matches!(
            checked_message(forged, 3, 900, bridge, 10),
            Err(Error::LeafMismatch { nonce: 3, .. })
        ));
        // Another deployment's leaf (chain id or bridge) is refused.
        assert!(matches!(
            checked_message(sent(3, 1), 3, 901, bridge, 10),
            Err(Error::LeafMismatch { .. })
        ));
        assert!(matches!(
            checked_message(sent(3, 1), 3, 900, Address::repeat_byte(2), 10),
            Err(Error::LeafMismatch { .. })
        ));
        // A gap or a replay in the nonces is refused.
        assert!(matches!(
            checked_message(sent(4, 1), 3, 900, bridge, 10),
            Err(Error::Inconsistent(_))
        ));
        assert!(matches!(
            checked_message(sent(2, 1), 3, 900, bridge, 10),
            Err(Error::Inconsistent(_))
        ));
        // An unknown kind is refused.
        assert!(matches!(
            checked_message(sent(3, 7), 3, 900, bridge, 10),
            Err(Error::Inconsistent(_))
        ));
    }

    #[test]
    fn withdrawals_are_checked_before_ingestion() {
        let bridge = Address::repeat_byte(3);
        let w = Withdrawal {
            nonce: 0,
            sender: Address::repeat_byte(0xcc),
            recipient: Address::repeat_byte(0xdd),
            l1_token: Address::ZERO,
            amount: alloy::primitives::U256::from(9u64),
        };
        let event = IL2Bridge::WithdrawalInitiated {
            nonce: 0,
            sender: w.sender,
            recipient: w.recipient,
            l1Token: w.l1_token,
            amount: w.amount,
            leaf: w.leaf(901, bridge),
        };
        assert_eq!(checked_withdrawal(&event, 0, 901, bridge, 5).unwrap(), w);
        let mut forged = event.clone();
        forged.recipient = Address::repeat_byte(0xee);
        assert!(matches!(
            checked_withdrawal(&forged, 0, 901, bridge, 5),
            Err(Error::LeafMismatch { chain: "L2", .. })
        ));
        assert!(matches!(
            checked_withdrawal(&event, 1, 901, bridge, 5),
            Err(Error::Inconsistent(_))
        ));
    }

    #[test]
    fn ranges_are_bounded_and_stop_at_the_target() {
        let at = |next_block| Cursor {
            next_block,
            last_block_hash: None,
        };
        assert_eq!(Context::next_range(&at(0), 10, 4), Some((0, 3)));
        assert_eq!(Context::next_range(&at(8), 10, 4), Some((8, 10)));
        assert_eq!(Context::next_range(&at(10), 10, 1), Some((10, 10)));
        assert_eq!(Context::next_range(&at(11), 10, 4), None);
        assert_eq!(Context::next_range(&at(5), 0, 4), None);
    }
}
