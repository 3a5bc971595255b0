-- Each agent's calls by the value of each dimension (direction, language, the user's
-- metadata fields), by phase: the Agents page grouped by a dimension (agents_page.rs). Kept
-- with overview_dimensions: by the projection, pruning and a field's background count.
CREATE TABLE agent_dimensions (
    span          INTEGER NOT NULL,
    dimension     TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL,
    agent_id      TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    phase         TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, dimension, at_ms, agent_id, value, phase)
) WITHOUT ROWID;

-- Calls in progress over time (concurrency.rs): by minute, hour and day (UTC), the calls
-- that started there, that ended there, and that started there and have not ended (`open`,
-- stale once older than the longest a call can last, a setting applied when reading).
CREATE TABLE in_progress_edges (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    started       INTEGER NOT NULL,
    ended         INTEGER NOT NULL,
    open          INTEGER NOT NULL,
    PRIMARY KEY (span, at_ms)
) WITHOUT ROWID;

-- Both counted from the stored calls when the store opens (rollup.rs, `build_if_needed`),
-- with the other rollups counted anew.
DELETE FROM overview_calls;
DELETE FROM overview_spread;
DELETE FROM overview_deliveries;
DELETE FROM agent_spread;
DELETE FROM agent_calls;
UPDATE overview_built SET built = 0 WHERE id = 1;
