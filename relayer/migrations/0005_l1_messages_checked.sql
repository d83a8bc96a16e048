-- The watchdog's view of what L2 consumed and what L1 backs (same portable SQL as 0001).

-- What an output claims as `l1MessageRoot` (emitted in `OutputProposed`, not stored on chain);
-- NULL for rows ingested before this column existed.
ALTER TABLE watched_outputs ADD COLUMN l1_message_root TEXT;

-- L1 messages as the watchdog ingested them from `MessageSent` logs, each range checked against
-- `L1Bridge.messageRoot()` and `messageCount()` read at the confirmed block before it is stored
-- (the deliver role keeps its own `l1_messages`; a watchdog usually runs on its own database).
CREATE TABLE watched_l1_messages (
    nonce BIGINT PRIMARY KEY,
    kind BIGINT NOT NULL,
    token TEXT NOT NULL,
    leaf TEXT NOT NULL,
    l1_block BIGINT NOT NULL
);

-- `MessageProcessed` of the L2 bridge: the leaf L2 consumed at each nonce (compared with L1's).
CREATE TABLE watched_processed (
    nonce BIGINT PRIMARY KEY,
    leaf TEXT NOT NULL,
    l2_block BIGINT NOT NULL
);

-- `WithdrawalInitiated` of the L2 bridge, for the conservation monitor; `paid` (0/1) caches a true
-- `L1Bridge.isWithdrawalFinalized` read at a confirmed L1 block (it never turns false again).
CREATE TABLE watched_withdrawals (
    nonce BIGINT PRIMARY KEY,
    l1_token TEXT NOT NULL,
    amount TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX watched_withdrawals_unpaid ON watched_withdrawals (paid, l2_block);

-- L1 tokens with a BridgedToken on L2 (`BridgedTokenDeployed`), whatever L1 says about them.
CREATE TABLE watched_tokens (
    l1_token TEXT PRIMARY KEY,
    l2_token TEXT NOT NULL,
    l2_block BIGINT NOT NULL
);
