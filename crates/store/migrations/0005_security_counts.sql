-- A flood of rejected requests must not grow the database without bound: repeats of one
-- rejection (same peer address, reason and minute) are one row with a count, and the
-- writer keeps only the newest rows (see ingest.rs, SECURITY_LOG_ROWS).
ALTER TABLE security_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE security_log ADD COLUMN last_ms INTEGER;
ALTER TABLE security_log ADD COLUMN source TEXT;
ALTER TABLE security_log ADD COLUMN minute INTEGER;
UPDATE security_log SET last_ms = at_ms, source = peer, minute = at_ms / 60000;
CREATE INDEX security_by_source ON security_log (minute, source, reason);
