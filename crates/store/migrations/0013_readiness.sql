-- One row the readiness check (/readyz) rewrites: a commit synced to disk proves the
-- store can take a delivery now.
CREATE TABLE readiness (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_ms INTEGER NOT NULL
);
