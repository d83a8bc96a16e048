-- Drawbridge relayer state. Plain portable SQL (TEXT and BIGINT only, `$n` parameters in the
-- queries) so that the same schema serves SQLite now and PostgreSQL later.
-- Hashes, addresses and byte strings are 0x-prefixed lowercase hex; amounts are decimal text.

-- What this database was made for (chain ids, bridge addresses, deploy block hashes): the relayer
-- refuses a database of another deployment. Also small counters such as the bond cursor.
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- How far each chain has been scanned: `next_block` is the first block not yet scanned and
-- `last_block_hash` the hash of the block before it (reorg detection).
CREATE TABLE cursors (
    chain TEXT PRIMARY KEY,
    next_block BIGINT NOT NULL,
    last_block_hash TEXT
);

-- Confirmed L1 `MessageSent` events; the leaf was recomputed and checked before insertion.
CREATE TABLE l1_messages (
    nonce BIGINT PRIMARY KEY,
    kind BIGINT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    token TEXT NOT NULL,
    amount TEXT NOT NULL,
    data TEXT NOT NULL,
    leaf TEXT NOT NULL,
    l1_block BIGINT NOT NULL,
    l1_tx TEXT NOT NULL,
    log_index BIGINT NOT NULL
);

-- Confirmed L1 `MessageRootCommitted` events.
CREATE TABLE message_roots (
    root TEXT PRIMARY KEY,
    message_count BIGINT NOT NULL,
    l1_block BIGINT NOT NULL
);

CREATE INDEX message_roots_by_count ON message_roots (message_count);

-- Confirmed L2 `WithdrawalInitiated` events; `finalized` (0/1) caches a true
-- `isWithdrawalFinalized` (it never turns false again on chain).
CREATE TABLE withdrawals (
    nonce BIGINT PRIMARY KEY,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    l1_token TEXT NOT NULL,
    amount TEXT NOT NULL,
    leaf TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    l2_tx TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    finalized BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX withdrawals_by_block ON withdrawals (l2_block);

-- Every transaction the relayer signed, recorded before it is broadcast.
-- state: queued (signed, maybe not broadcast) -> in-flight (broadcast) -> confirmed | failed.
-- outcome: ok, already-done (reverted because the work had been done), reverted, dropped, rejected.
CREATE TABLE submissions (
    tx_hash TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    work TEXT NOT NULL,
    sender TEXT NOT NULL,
    tx_nonce BIGINT NOT NULL,
    raw_tx TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    block_number BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX submissions_by_state ON submissions (state, chain);
