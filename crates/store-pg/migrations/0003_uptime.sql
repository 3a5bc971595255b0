-- When receivers were up: one row per run of each receiver, its last heartbeat moved
-- forward as it runs. The fleet was down only when no run covered the time. A run that
-- has not stopped cleanly is taken to be up for one more interval after its last beat
-- (its next beat is due then): two receivers starting together are no downtime.
CREATE TABLE uptime (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_ms    BIGINT  NOT NULL,
    last_beat_ms  BIGINT  NOT NULL,
    interval_ms   BIGINT  NOT NULL,
    stopped       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX uptime_started ON uptime (started_ms);

-- Downtime windows already read back from the REST API (by whichever receiver).
CREATE TABLE catchup_windows (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_ms       BIGINT NOT NULL,
    to_ms         BIGINT NOT NULL,
    finished_ms   BIGINT NOT NULL,
    calls_merged  BIGINT NOT NULL
);
