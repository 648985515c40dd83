DROP TABLE receipt_chains;
DROP TABLE receipts;
