-- The calls whose failure the desktop app has dealt with: notified singly, in a summary, or
-- passed over (paused, switched off). One row per call, so no call is notified twice, not
-- after a retried delivery and not after a restart.
CREATE TABLE alerted_calls (
    call_id TEXT    PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    how     TEXT    NOT NULL                 -- 'notified' | 'catchup' | 'paused' | 'off' | 'before'
) WITHOUT ROWID;

-- Calls that had failed before the app could notify are old news: never notified late.
INSERT INTO alerted_calls (call_id, at_ms, how)
    SELECT call_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'before' FROM calls WHERE phase = 'failed';
