-- The overview's rollups: what its charts count, kept up to date by the projection (and by
-- pruning) so that a range's numbers are read from a few rows per minute or hour instead of
-- every call in it. `span` is 60000 (a minute) or 3600000 (an hour); `at_ms` the bucket's
-- start. A call counts in the bucket of its place on the timeline (`sort_ms`), as the
-- timeline's own time filter places it; a delivery in the bucket it was received in.
-- Empty strings stand for "none" so that the keys can be primary keys.
CREATE TABLE overview_calls (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    phase         TEXT    NOT NULL,
    ended_reason  TEXT    NOT NULL,
    agent_id      TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, at_ms, phase, ended_reason, agent_id)
) WITHOUT ROWID;

-- Histograms: `measure` 0 is the call's duration, 1 the wait from call.started to
-- call.connected; `step` the bucket of the ladder in overview.rs.
CREATE TABLE overview_spread (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    measure       INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, at_ms, measure, step)
) WITHOUT ROWID;

CREATE TABLE overview_deliveries (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    webhooks      INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    late          INTEGER NOT NULL DEFAULT 0,
    caught_up     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (span, at_ms)
) WITHOUT ROWID;

-- Quarantined bodies counted by time for the overview's webhook health.
CREATE INDEX quarantine_received ON quarantine (received_at);

-- Filled from the existing rows by the store when it opens (overview.rs, `rebuild`).
CREATE TABLE overview_built (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    built         INTEGER NOT NULL
);
INSERT INTO overview_built (id, built) VALUES (1, 0);
