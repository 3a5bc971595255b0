-- A burst's acknowledged write: each delivery appended here as it came (no index but the
-- row id, so a commit writes the table's last page and little else). The writer takes the
-- rows into the log (`deliveries`: deduplicated, then projected) in id order, deleting
-- them in the same transaction: a delivery is in exactly one of the two at any moment.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,          -- the receipt time exactly (Timestamp holds milliseconds)
    peer        TEXT,
    headers     TEXT    NOT NULL,          -- JSON, as in deliveries
    body        BLOB    NOT NULL,
    hidden      INTEGER NOT NULL
);
