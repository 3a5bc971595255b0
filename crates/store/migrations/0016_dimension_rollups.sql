-- Calls by the value of a dimension of theirs (`direction`, `language`), by phase and
-- endedReason, at both levels of the overview's rollups: what an alert rule narrowed to
-- `direction = inbound` counts, read like overview_calls (never a scan of calls). Kept up
-- to date by the projection and pruning with the other rollups; '' stands for "none".
-- The key starts with the dimension and its value, so a scoped window is one range.
CREATE TABLE overview_dimensions (
    span          INTEGER NOT NULL,
    dimension     TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL,
    phase         TEXT    NOT NULL,
    ended_reason  TEXT    NOT NULL,
    calls         INTEGER NOT NULL,
    PRIMARY KEY (span, dimension, value, at_ms, phase, ended_reason)
) WITHOUT ROWID;

-- The calls already stored, counted once here (as rollup.rs counts a call).
INSERT INTO overview_dimensions (span, dimension, value, at_ms, phase, ended_reason, calls)
SELECT s.span, d.dimension,
       CASE d.dimension WHEN 'direction' THEN coalesce(c.direction, '') ELSE coalesce(c.language, '') END,
       (c.sort_ms - ((c.sort_ms % s.span) + s.span) % s.span), coalesce(c.phase, ''), coalesce(c.ended_reason, ''),
       count(*)
FROM calls c,
     (SELECT 60000 AS span UNION ALL SELECT 3600000) s,
     (SELECT 'direction' AS dimension UNION ALL SELECT 'language') d
GROUP BY 1, 2, 3, 4, 5, 6;
