-- Devices decoded from their registry accounts, written in the same transaction as the
-- account row they come from and guarded the same way by (slot, write_version).
CREATE TABLE devices (
    address             BYTEA    PRIMARY KEY REFERENCES accounts (pubkey) ON DELETE CASCADE,
    owner               BYTEA    NOT NULL,
    device_id           BIGINT   NOT NULL,
    agent               BYTEA    NOT NULL,
    gpu_model           INTEGER  NOT NULL,
    gpu_count           INTEGER  NOT NULL,
    vram_mib            BIGINT   NOT NULL,
    cpu_cores           INTEGER  NOT NULL,
    ram_mib             BIGINT   NOT NULL,
    bandwidth_down_mbps BIGINT   NOT NULL,
    bandwidth_up_mbps   BIGINT   NOT NULL,
    -- ISO 3166-1 alpha-2, e.g. 'DE'.
    country             TEXT     NOT NULL,
    region              INTEGER  NOT NULL,
    supplier_group      SMALLINT NOT NULL,
    security_tier       SMALLINT NOT NULL,
    green               BOOLEAN  NOT NULL,
    connectivity_tier   SMALLINT NOT NULL,
    -- Payment-mint base units per GPU-hour.
    price_per_gpu_hour  BIGINT   NOT NULL,
    -- 'active', 'paused' or 'retired'.
    status              TEXT     NOT NULL,
    registered_at       BIGINT   NOT NULL,
    epochs_attested     BIGINT   NOT NULL,
    uptime_minutes      BIGINT   NOT NULL,
    reliability_bps     INTEGER  NOT NULL,
    slot                BIGINT   NOT NULL,
    write_version       BIGINT   NOT NULL
);
CREATE INDEX devices_owner ON devices (owner);
CREATE INDEX devices_supply ON devices (status, gpu_model, country, connectivity_tier);
