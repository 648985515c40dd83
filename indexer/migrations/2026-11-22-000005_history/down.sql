DROP INDEX receipts_unfinalized;
DROP INDEX receipts_device_time;
ALTER TABLE receipts DROP COLUMN finalized;
DROP TABLE receipt_totals, settlements, device_epochs, events;
