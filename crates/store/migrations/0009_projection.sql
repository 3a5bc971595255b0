-- Two stages: a delivery is acknowledged once it is in `deliveries` (the log); its event,
-- its call's row and the search index (the projection) follow in log order. `projected_to`
-- is the last log id the projection holds: after a crash the projection resumes from it.
ALTER TABLE deliveries ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET hidden = 1 WHERE id IN (SELECT id FROM events WHERE hidden = 1);
CREATE TABLE projection (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    projected_to INTEGER NOT NULL
);
INSERT INTO projection (id, projected_to) SELECT 1, coalesce(max(id), 0) FROM deliveries;
