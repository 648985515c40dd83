-- The latest state of every account the gpunet programs own, as the Geyser stream last
-- delivered it. An update replaces a row only when its (slot, write_version) is newer, so a
-- replayed or late update never overwrites newer state.
CREATE TABLE accounts (
    pubkey        BYTEA   PRIMARY KEY,
    owner         BYTEA   NOT NULL,
    -- The Anchor account type ('Device', 'Lease', ...) or 'unknown'.
    kind          TEXT    NOT NULL,
    slot          BIGINT  NOT NULL,
    write_version BIGINT  NOT NULL,
    lamports      BIGINT  NOT NULL,
    data          BYTEA   NOT NULL,
    -- The transaction that wrote this state (none for startup snapshots).
    txn_signature BYTEA,
    -- Set once the slot is finalized (rooted); until then the row is confirmed only.
    finalized     BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX accounts_owner_kind ON accounts (owner, kind);
CREATE INDEX accounts_unfinalized ON accounts (slot) WHERE NOT finalized;

-- The last slot whose updates are all stored, written in the same transaction as they are;
-- a restarted indexer subscribes again from here.
CREATE TABLE ingest_cursor (
    id         SMALLINT    PRIMARY KEY CHECK (id = 1),
    slot       BIGINT      NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
