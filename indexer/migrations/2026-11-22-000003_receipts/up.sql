-- Every proof-of-compute record, rebuilt from the transaction that submitted it. Keyed by
-- (device, seq): the program refuses a seq twice, so a replayed transaction is a no-op.
CREATE TABLE receipts (
    device        BYTEA   NOT NULL,
    seq           BIGINT  NOT NULL,
    -- 'inference' or 'lease_job'.
    kind          TEXT    NOT NULL,
    -- The session (inference) or the hire (lease job).
    reference     BYTEA   NOT NULL,
    model         BYTEA   NOT NULL,
    -- GPU-milliseconds.
    compute_units BIGINT  NOT NULL,
    -- Payment-mint base units: amount = worker + royalty + fee (all 0 for lease jobs).
    amount        BIGINT  NOT NULL,
    worker        BIGINT  NOT NULL,
    royalty       BIGINT  NOT NULL,
    fee           BIGINT  NOT NULL,
    timestamp     BIGINT  NOT NULL,
    result_hash   BYTEA   NOT NULL,
    signature     TEXT    NOT NULL,
    slot          BIGINT  NOT NULL,
    -- The hash chain rebuilt through this record matches the device's on-chain ReceiptLog.
    verified      BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (device, seq)
);
CREATE INDEX receipts_model_time ON receipts (model, timestamp);
CREATE INDEX receipts_reference ON receipts (reference);
CREATE INDEX receipts_time ON receipts (timestamp);

-- Per device, the hash chain rebuilt from the stored batches: how many records, which head.
CREATE TABLE receipt_chains (
    device BYTEA  PRIMARY KEY,
    count  BIGINT NOT NULL,
    head   BYTEA  NOT NULL
);
