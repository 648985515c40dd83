DROP TABLE ingest_cursor;
DROP TABLE accounts;
