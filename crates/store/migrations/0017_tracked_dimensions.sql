-- The user's own dimensions: metadata fields (at most five) calls are also counted by in
-- overview_dimensions, as `metadata.<field>`. A field chosen when calls are stored already is
-- counted in the background, the calls taken in call_id order: `counted_to` is the last
-- call_id counted ('' before the first), NULL once every call is. Until then the projection
-- and pruning count the field only for calls up to `counted_to`, so each call is counted
-- once whichever reaches it first (see dimensions.rs).
CREATE TABLE tracked_dimensions (
    field          TEXT    PRIMARY KEY,
    position       INTEGER NOT NULL,
    counted_to     TEXT,
    counted_calls  INTEGER NOT NULL DEFAULT 0,
    added_ms       INTEGER NOT NULL
);
