-- Drawbridge council coordinator: sessions and the signed messages it relays. Portable SQL (TEXT
-- and BIGINT only, `$n` parameters in the queries) so the same schema serves SQLite and PostgreSQL.
-- Envelopes are stored as the JSON the members sent; the coordinator never rewrites them.

-- One ceremony: a DKG or a signing session. `request` is the signed request envelope (JSON),
-- `result` the outcome (DKG: the agreed public key file; signing: the signature file), `error`
-- why it failed (or why the on-chain submission failed), `tx_hash` the submission.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    tx_hash TEXT,
    created_at BIGINT NOT NULL
);

-- Every accepted message, at most one per (session, kind, sender, recipient): a second one from
-- the same sender is refused as a duplicate. `recipient` is 0 for broadcasts.
CREATE TABLE messages (
    session TEXT NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL,
    sender BIGINT NOT NULL,
    recipient BIGINT NOT NULL,
    envelope TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (session, kind, sender, recipient)
);
