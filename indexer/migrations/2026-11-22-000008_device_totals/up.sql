-- Per device, what its work earned and did, kept with the settlements and receipts it sums
-- (in the same transaction, counting only rows newly inserted, as `receipt_totals` is), so
-- a device's or a supplier's earnings are one indexed row each instead of sums over its
-- settlements and receipt aggregates at every request.
CREATE TABLE device_totals (
    device             BYTEA  PRIMARY KEY,
    -- Payment-mint base units paid to the owner by hire settlements, and the epochs
    -- those settlements found attested (paid) or missed.
    lease_earnings     BIGINT NOT NULL DEFAULT 0,
    epochs_paid        BIGINT NOT NULL DEFAULT 0,
    epochs_missed      BIGINT NOT NULL DEFAULT 0,
    -- The worker's share of inference receipts, and how many.
    inference_earnings BIGINT NOT NULL DEFAULT 0,
    inferences         BIGINT NOT NULL DEFAULT 0,
    job_receipts       BIGINT NOT NULL DEFAULT 0,
    compute_units      BIGINT NOT NULL DEFAULT 0
);
-- Filled from the stored settlements and receipt aggregates after migrating
-- (`totals::rebuild`).
