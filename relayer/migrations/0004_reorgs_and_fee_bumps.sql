-- Reorg detection and fee bumping (same portable SQL as 0001).

-- The recent headers each role followed on each chain (`role` is the role that acts on the chain's
-- data: deliver on L1, propose and finalize on L2). Every new header must name the stored header
-- below it as its parent; a stored header whose hash is no longer the chain's is a reorg. Kept from
-- a little below the confirmed boundary up to the newest head seen.
CREATE TABLE headers (
    role TEXT NOT NULL,
    chain TEXT NOT NULL,
    number BIGINT NOT NULL,
    hash TEXT NOT NULL,
    parent_hash TEXT NOT NULL,
    PRIMARY KEY (role, chain, number)
);

-- Replacements of a stuck submission: the same account nonce and call re-signed with higher fees.
-- The first transaction stays the `submissions` row (its `tx_hash` names the submission); each
-- bump adds a row here, recorded before it is broadcast. `attempt` counts from 1.
CREATE TABLE submission_attempts (
    tx_hash TEXT PRIMARY KEY,
    submission TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    raw_tx TEXT NOT NULL,
    max_fee_per_gas TEXT NOT NULL,
    max_priority_fee_per_gas TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX submission_attempts_in_order ON submission_attempts (submission, attempt);

-- Which of a submission's transactions was mined (the first one or a replacement).
ALTER TABLE submissions ADD COLUMN mined_tx_hash TEXT;
