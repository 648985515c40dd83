-- What a lease's devices run (escrow `Lease.job`, read by the worker agent):
-- 'cmd:<shell command>', 'image:<container image reference>', or '' for the agent's
-- built-in benchmark workload. Rows stored before the field existed read as ''.
ALTER TABLE leases ADD COLUMN job TEXT NOT NULL DEFAULT '';
