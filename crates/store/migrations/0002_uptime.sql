-- When the receiver was up: one row per run, its last heartbeat moved forward as it runs.
CREATE TABLE uptime (
    id            INTEGER PRIMARY KEY,
    started_ms    INTEGER NOT NULL,
    last_beat_ms  INTEGER NOT NULL
);

-- Downtime windows already read back from the REST API.
CREATE TABLE catchup_windows (
    id            INTEGER PRIMARY KEY,
    from_ms       INTEGER NOT NULL,
    to_ms         INTEGER NOT NULL,
    finished_ms   INTEGER NOT NULL,
    calls_merged  INTEGER NOT NULL
);
