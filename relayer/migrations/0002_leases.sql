-- Several relayers on one database (PostgreSQL), one active per role; what submissions cost.
-- Same portable SQL as 0001: it runs unchanged on SQLite and PostgreSQL.

-- One row per role. `holder` is the relayer id holding it, `token` the fencing token (incremented
-- by every takeover), `expires_at` / `acquired_at` unix milliseconds on the database clock. A
-- relayer takes a role over only once `expires_at` has passed (0 after a graceful release).
CREATE TABLE leases (
    role TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);

-- Which relayer recorded a submission and under which fencing token; what its receipt cost.
ALTER TABLE submissions ADD COLUMN holder TEXT;
ALTER TABLE submissions ADD COLUMN lease_token BIGINT;
ALTER TABLE submissions ADD COLUMN gas_used BIGINT;
ALTER TABLE submissions ADD COLUMN fee_wei TEXT;

-- At most one live (not failed) transaction per account nonce and chain, whichever relayer or
-- role signed it: two relayers sharing a key can never both broadcast nonce N.
CREATE UNIQUE INDEX submissions_one_live_per_nonce ON submissions (chain, sender, tx_nonce)
    WHERE state <> 'failed';

-- Lookups of the HTTP API.
CREATE INDEX withdrawals_by_leaf ON withdrawals (leaf);
CREATE INDEX withdrawals_by_tx ON withdrawals (l2_tx);
