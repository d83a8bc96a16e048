-- The escape kit: checked escape proofs for listed accounts and tokens at final outputs, kept so
-- that `escape` works after the L2 node is gone. Addresses and hashes are 0x-prefixed lowercase
-- hex; balances are decimal text.

-- What this kit was made for (L1 chain id and L1 bridge): a kit of another deployment is refused.
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per (output, L1 token, account). `status` is `proven` (proof holds the EscapeProof
-- JSON, checked before it was stored), `zero` (the trie proves a zero balance) or `noToken` (the
-- trie proves the bridged token did not exist at that block); the last two have no proof.
CREATE TABLE proofs (
    output_index BIGINT NOT NULL,
    l1_token TEXT NOT NULL,
    account TEXT NOT NULL,
    l2_token TEXT NOT NULL,
    l2_block BIGINT NOT NULL,
    l2_state_root TEXT NOT NULL,
    balance TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proven', 'zero', 'noToken')),
    proof TEXT,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (output_index, l1_token, account)
);

CREATE INDEX proofs_by_account ON proofs (account, l1_token, output_index);
