-- The decoded state of every other gpunet account type, one table per type. Like `devices`,
-- each row is written in the same transaction as its account row and only replaces an older
-- (slot, write_version). A closed account keeps its last row with `closed_slot` set (the
-- slot of the transaction that closed it), so explorers still see finished leases.

CREATE TABLE network (
    address                BYTEA    PRIMARY KEY,
    admin                  BYTEA    NOT NULL,
    pending_admin          BYTEA,
    payment_mint           BYTEA    NOT NULL,
    stake_mint             BYTEA    NOT NULL,
    treasury               BYTEA    NOT NULL,
    renter_fee_bps         INTEGER  NOT NULL,
    supplier_fee_bps       INTEGER  NOT NULL,
    inference_fee_bps      INTEGER  NOT NULL,
    epoch_seconds          BIGINT   NOT NULL,
    epoch_anchor           BIGINT   NOT NULL,
    epoch_anchor_timestamp BIGINT   NOT NULL,
    genesis_timestamp      BIGINT   NOT NULL,
    verifiers              INTEGER  NOT NULL,
    verifier_quorum        SMALLINT NOT NULL,
    paused                 BOOLEAN  NOT NULL,
    slot                   BIGINT   NOT NULL,
    write_version          BIGINT   NOT NULL,
    closed_slot            BIGINT
);

CREATE TABLE staking_config (
    address                  BYTEA   PRIMARY KEY,
    stake_mint               BYTEA   NOT NULL,
    base_stake_per_gpu       BIGINT  NOT NULL,
    default_multiplier_bps   BIGINT  NOT NULL,
    cooldown_seconds         BIGINT  NOT NULL,
    challenge_window_seconds BIGINT  NOT NULL,
    missed_epoch_bps         INTEGER NOT NULL,
    renter_share_bps         INTEGER NOT NULL,
    emission_start_epoch     BIGINT  NOT NULL,
    emission_per_epoch       BIGINT  NOT NULL,
    emission_cap             BIGINT  NOT NULL,
    allocated                BIGINT  NOT NULL,
    grace_epochs             BIGINT  NOT NULL,
    slot                     BIGINT  NOT NULL,
    write_version            BIGINT  NOT NULL,
    closed_slot              BIGINT
);

-- Stake-mint base units throughout.
CREATE TABLE stakes (
    address              BYTEA   PRIMARY KEY,
    device               BYTEA   NOT NULL,
    owner                BYTEA   NOT NULL,
    active               BIGINT  NOT NULL,
    cooling              BIGINT  NOT NULL,
    unlock_at            BIGINT  NOT NULL,
    pending_slashes      INTEGER NOT NULL,
    pending_slash_amount BIGINT  NOT NULL,
    slashes_proposed     BIGINT  NOT NULL,
    slashed_total        BIGINT  NOT NULL,
    rewards_claimed      BIGINT  NOT NULL,
    -- Epochs registered and not yet claimed.
    pending_rewards      INTEGER NOT NULL,
    slot                 BIGINT  NOT NULL,
    write_version        BIGINT  NOT NULL,
    closed_slot          BIGINT
);
CREATE INDEX stakes_device ON stakes (device);
CREATE INDEX stakes_owner ON stakes (owner);

CREATE TABLE epoch_rewards (
    address       BYTEA   PRIMARY KEY,
    epoch         BIGINT  NOT NULL,
    emission      BIGINT  NOT NULL,
    total_weight  BIGINT  NOT NULL,
    devices       INTEGER NOT NULL,
    claimed       BIGINT  NOT NULL,
    slot          BIGINT  NOT NULL,
    write_version BIGINT  NOT NULL,
    closed_slot   BIGINT
);
CREATE INDEX epoch_rewards_epoch ON epoch_rewards (epoch);

CREATE TABLE slashes (
    address       BYTEA   PRIMARY KEY,
    stake         BYTEA   NOT NULL,
    device        BYTEA   NOT NULL,
    slash_id      BIGINT  NOT NULL,
    amount        BIGINT  NOT NULL,
    -- 'missed_epochs' (with missed_epochs set) or 'fraud'.
    reason        TEXT    NOT NULL,
    missed_epochs BIGINT,
    evidence      BYTEA   NOT NULL,
    beneficiary   BYTEA,
    proposed_at   BIGINT  NOT NULL,
    -- 'pending', 'cancelled' or 'finalized'.
    status        TEXT    NOT NULL,
    taken         BIGINT  NOT NULL,
    slot          BIGINT  NOT NULL,
    write_version BIGINT  NOT NULL,
    closed_slot   BIGINT
);
CREATE INDEX slashes_device ON slashes (device);

-- Payment-mint base units throughout.
CREATE TABLE leases (
    address                BYTEA   PRIMARY KEY,
    renter                 BYTEA   NOT NULL,
    lease_id               BIGINT  NOT NULL,
    name                   TEXT    NOT NULL,
    payment_mint           BYTEA   NOT NULL,
    vault                  BYTEA   NOT NULL,
    max_price_per_gpu_hour BIGINT  NOT NULL,
    created_at             BIGINT  NOT NULL,
    terminated_at_epoch    BIGINT,
    hires                  INTEGER NOT NULL,
    active_hires           INTEGER NOT NULL,
    deposited              BIGINT  NOT NULL,
    paid_to_owners         BIGINT  NOT NULL,
    fees                   BIGINT  NOT NULL,
    refunded               BIGINT  NOT NULL,
    slot                   BIGINT  NOT NULL,
    write_version          BIGINT  NOT NULL,
    closed_slot            BIGINT
);
CREATE INDEX leases_renter ON leases (renter);

CREATE TABLE hires (
    address            BYTEA   PRIMARY KEY,
    lease              BYTEA   NOT NULL,
    device             BYTEA   NOT NULL,
    owner              BYTEA   NOT NULL,
    gpu_count          INTEGER NOT NULL,
    price_per_gpu_hour BIGINT  NOT NULL,
    -- Per epoch: what the renter pays the owner, and the two fees on top/taken from it.
    epoch_price        BIGINT  NOT NULL,
    renter_fee         BIGINT  NOT NULL,
    supplier_fee       BIGINT  NOT NULL,
    start_epoch        BIGINT  NOT NULL,
    end_epoch          BIGINT  NOT NULL,
    settled_through    BIGINT  NOT NULL,
    released           BOOLEAN NOT NULL,
    epochs_paid        BIGINT  NOT NULL,
    epochs_missed      BIGINT  NOT NULL,
    paid_to_owner      BIGINT  NOT NULL,
    fees               BIGINT  NOT NULL,
    refunded           BIGINT  NOT NULL,
    slot               BIGINT  NOT NULL,
    write_version      BIGINT  NOT NULL,
    closed_slot        BIGINT
);
CREATE INDEX hires_lease ON hires (lease);
CREATE INDEX hires_device ON hires (device);

CREATE TABLE models (
    address        BYTEA   PRIMARY KEY,
    owner          BYTEA   NOT NULL,
    model_id       BIGINT  NOT NULL,
    royalty_bps    INTEGER NOT NULL,
    -- Payment-mint base units per compute unit (GPU-millisecond).
    price_per_unit BIGINT  NOT NULL,
    metadata_uri   TEXT    NOT NULL,
    metadata_hash  BYTEA   NOT NULL,
    slot           BIGINT  NOT NULL,
    write_version  BIGINT  NOT NULL,
    closed_slot    BIGINT
);
CREATE INDEX models_owner ON models (owner);

CREATE TABLE sessions (
    address       BYTEA  PRIMARY KEY,
    consumer      BYTEA  NOT NULL,
    session_id    BIGINT NOT NULL,
    model         BYTEA  NOT NULL,
    authorizer    BYTEA  NOT NULL,
    payment_mint  BYTEA  NOT NULL,
    vault         BYTEA  NOT NULL,
    deposited     BIGINT NOT NULL,
    spent         BIGINT NOT NULL,
    closing_at    BIGINT,
    slot          BIGINT NOT NULL,
    write_version BIGINT NOT NULL,
    closed_slot   BIGINT
);
CREATE INDEX sessions_consumer ON sessions (consumer);
CREATE INDEX sessions_model ON sessions (model);
