-- The watchdog role's view of the bridge (same portable SQL as 0001).

-- One row per `OutputProposed` event of the OutputOracle. An output index is reused after a
-- council verdict deletes outputs, so the key is the event's position; `output_id` hashes the
-- index, proposer and fields (what a challenge submission names). `status`: proposed, challenged,
-- upheld, deleted. `council_verdict`: valid / invalid once the council ruled. `verdict` is the
-- watchdog's: NULL until its L2 node has the block, then ok or wrong (`reason` says what differs).
CREATE TABLE watched_outputs (
    l1_block BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    output_index BIGINT NOT NULL,
    output_id TEXT NOT NULL,
    proposer TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    l2_block_hash TEXT NOT NULL,
    l2_state_root TEXT NOT NULL,
    withdrawal_root TEXT NOT NULL,
    l1_messages_processed BIGINT NOT NULL,
    status TEXT NOT NULL,
    challenger TEXT,
    council_verdict TEXT,
    verdict TEXT,
    reason TEXT,
    checked_at BIGINT,
    PRIMARY KEY (l1_block, log_index)
);

CREATE INDEX watched_outputs_by_index ON watched_outputs (output_index, status);
CREATE INDEX watched_outputs_by_id ON watched_outputs (output_id);

-- One row per L1 root published on L2 (`RootPublished` of the L1RootOracle). `l1_count` is
-- `L1Bridge.messageRootCount(root)` when last checked (NULL before the first check; 0: L1 never
-- committed it, an alert).
CREATE TABLE watched_roots (
    root TEXT PRIMARY KEY,
    message_count BIGINT NOT NULL,
    l2_block BIGINT NOT NULL,
    l1_count BIGINT,
    checked_at BIGINT
);
