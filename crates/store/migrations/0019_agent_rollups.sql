-- The Agents page (docs/agents.md): one row per agent for a range, read from rollups.
-- Each agent's histograms of durations and waits, as overview_spread keeps them for all
-- calls (`measure` 0 the duration, 1 the wait; `step` as rollup.rs's edges).
CREATE TABLE agent_spread (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    agent_id      TEXT    NOT NULL,
    measure       INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, at_ms, agent_id, measure, step)
) WITHOUT ROWID;

-- Each agent's calls by minute and hour, whatever their outcome: the page's chart reads one
-- row per agent and bar here (overview_calls has a row per phase and reason too).
CREATE TABLE agent_calls (
    span          INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    agent_id      TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, at_ms, agent_id)
) WITHOUT ROWID;

-- agent_spread and overview_calls are kept at a third level, the day (span 86400000, UTC),
-- so that a week reads a few day rows per agent instead of every hour's. Counted anew from
-- the stored calls and deliveries when the store opens (rollup.rs, `build_if_needed`), as a
-- database from before the rollups was.
DELETE FROM overview_calls;
DELETE FROM overview_spread;
DELETE FROM overview_deliveries;
UPDATE overview_built SET built = 0 WHERE id = 1;
