-- Pruning deletes deliveries; with foreign keys on, SQLite looks for events that name each
-- deleted delivery in `confirmed_by`. Without an index that is a scan of every event per
-- delivery. Only the few confirmed steps have one, so the index is partial and small.
CREATE INDEX events_confirmed_by ON events (confirmed_by) WHERE confirmed_by IS NOT NULL;
