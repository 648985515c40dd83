-- Finality as one watermark instead of a flag on every row: a row (account state, event,
-- receipt) is finalized when its slot is at or below `finalized_slot`. Marking a rooted slot
-- is then one row's update instead of an UPDATE of every row written since the last one.
ALTER TABLE ingest_cursor ADD COLUMN finalized_slot BIGINT;
UPDATE ingest_cursor SET finalized_slot = (
    SELECT max(slot) FROM (
        SELECT max(slot) AS slot FROM accounts WHERE finalized
        UNION ALL SELECT max(slot) FROM events WHERE finalized
        UNION ALL SELECT max(slot) FROM receipts WHERE finalized
    ) marked
);
DROP INDEX accounts_unfinalized;
DROP INDEX events_unfinalized;
DROP INDEX receipts_unfinalized;
ALTER TABLE accounts DROP COLUMN finalized;
ALTER TABLE events DROP COLUMN finalized;
ALTER TABLE receipts DROP COLUMN finalized;
