-- Deliveries read by the REST source while running (REST-only polling, reconciliation),
-- counted apart from catch-up's after a downtime: the overview's "found via REST".
ALTER TABLE overview_deliveries ADD COLUMN from_rest INTEGER NOT NULL DEFAULT 0;
