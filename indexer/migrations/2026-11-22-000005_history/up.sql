-- History, from the programs' events (every state change is emitted through `emit_cpi!`,
-- recorded as an inner instruction of the transaction). Keyed by where the event sits in
-- its transaction, so a replayed transaction is a no-op.
CREATE TABLE events (
    signature TEXT    NOT NULL,
    -- Position among the transaction's events, in execution order.
    ordinal   INTEGER NOT NULL,
    slot      BIGINT  NOT NULL,
    program   BYTEA   NOT NULL,
    -- The Anchor event name ('HireSettled', ...).
    name      TEXT    NOT NULL,
    -- Discriminator and borsh body, as the sdk decodes them.
    data      BYTEA   NOT NULL,
    finalized BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (signature, ordinal)
);
CREATE INDEX events_name_slot ON events (name, slot);
CREATE INDEX events_unfinalized ON events (slot) WHERE NOT finalized;

-- Per device and epoch, the "why did I earn this" view: the attestation, the reward weight
-- registered, the reward paid at claim, and whether a hired epoch was missed (and what
-- slash was proposed for it).
CREATE TABLE device_epochs (
    device              BYTEA   NOT NULL,
    epoch               BIGINT  NOT NULL,
    uptime_minutes      INTEGER,
    pow_digest          BYTEA,
    reliability_bps     INTEGER,
    verifier_signatures SMALLINT,
    attested_signature  TEXT,
    weight              BIGINT,
    -- Stake-mint base units paid for this epoch by a claim.
    reward              BIGINT,
    -- A hired epoch that settlement found unattested.
    missed_hired        BOOLEAN NOT NULL DEFAULT false,
    -- Stake-mint base units proposed to be slashed for it.
    slash_proposed      BIGINT,
    PRIMARY KEY (device, epoch)
);

-- Every hire settlement: which epochs, how many attested or missed, and where the money went
-- (payment-mint base units).
CREATE TABLE settlements (
    hire        BYTEA  NOT NULL,
    from_epoch  BIGINT NOT NULL,
    to_epoch    BIGINT NOT NULL,
    lease       BYTEA  NOT NULL,
    device      BYTEA  NOT NULL,
    attested    BIGINT NOT NULL,
    missed      BIGINT NOT NULL,
    missed_mask BIGINT NOT NULL,
    to_owner    BIGINT NOT NULL,
    to_treasury BIGINT NOT NULL,
    to_renter   BIGINT NOT NULL,
    signature   TEXT   NOT NULL,
    slot        BIGINT NOT NULL,
    PRIMARY KEY (hire, from_epoch)
);
CREATE INDEX settlements_device ON settlements (device);
CREATE INDEX settlements_lease ON settlements (lease);

ALTER TABLE receipts ADD COLUMN finalized BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX receipts_device_time ON receipts (device, timestamp);
CREATE INDEX receipts_unfinalized ON receipts (slot) WHERE NOT finalized;

-- Aggregates kept with the receipts (in the same transaction, counting only rows newly
-- inserted), so network, model and supplier totals never scan every receipt.
CREATE TABLE receipt_totals (
    device        BYTEA  NOT NULL,
    model         BYTEA  NOT NULL,
    -- 'inference' or 'lease_job'.
    kind          TEXT   NOT NULL,
    receipts      BIGINT NOT NULL,
    compute_units BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    worker        BIGINT NOT NULL,
    royalty       BIGINT NOT NULL,
    fee           BIGINT NOT NULL,
    PRIMARY KEY (device, model, kind)
);
CREATE INDEX receipt_totals_model ON receipt_totals (model);
