-- Team mode's schema: the SQLite store's log and projection, in PostgreSQL's types.
-- Times are kept twice as there: Unix milliseconds to sort and filter on, and the
-- RFC 3339 text that was received (exact, and what an export writes).

-- Every verified delivery, raw, once per dedupe key (see calleague_store::dedupe_key).
-- Several receivers insert here at once: the unique key makes a repeat that reaches two of
-- them one row whose attempts count both.
CREATE TABLE deliveries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key    TEXT    NOT NULL UNIQUE,
    delivery_id   TEXT,
    source        TEXT    NOT NULL,          -- 'webhook' | 'catchup'
    received_at   TEXT    NOT NULL,
    received_ms   BIGINT  NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 1,
    peer          TEXT,
    headers       TEXT    NOT NULL,          -- JSON array of [name, value], never Authorization
    body          BYTEA   NOT NULL,
    hidden        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX deliveries_received ON deliveries (received_ms);

-- The parsed event of each delivery.
CREATE TABLE events (
    id            BIGINT  PRIMARY KEY REFERENCES deliveries (id),
    event         TEXT    NOT NULL,
    event_name    TEXT    NOT NULL,
    known         BOOLEAN NOT NULL,
    call_id       TEXT,
    occurred_ms   BIGINT  NOT NULL,
    occurred_at   TEXT    NOT NULL,
    occurred_from_receipt BOOLEAN NOT NULL,
    tie           TEXT    NOT NULL,
    late          BOOLEAN NOT NULL,
    hidden        BOOLEAN NOT NULL,
    confirmed_by  BIGINT
);
CREATE INDEX events_timeline ON events (occurred_ms, tie, id);
CREATE INDEX events_by_call ON events (call_id, occurred_ms);

-- The call projection: the fold of each call's visible events. A row is locked (FOR
-- UPDATE) while one receiver folds an event into it, so two receivers folding events of
-- one call take turns.
CREATE TABLE calls (
    call_id       TEXT    PRIMARY KEY COLLATE "C",
    phase         TEXT,
    agent_id      TEXT,
    direction     TEXT,
    ended_reason  TEXT,
    language      TEXT,
    duration_sec  DOUBLE PRECISION,
    started_at    TEXT,
    connected_at  TEXT,
    ended_at      TEXT,
    metadata      TEXT,                      -- JSON, as received (key order kept)
    recording_id  TEXT,
    transcript_id TEXT,
    sort_ms       BIGINT  NOT NULL,
    last_ms       BIGINT  NOT NULL,
    last_received_at TEXT NOT NULL,
    event_count   BIGINT  NOT NULL,
    late_count    BIGINT  NOT NULL DEFAULT 0,
    caught_up     BOOLEAN NOT NULL DEFAULT FALSE,
    fold          TEXT    NOT NULL           -- serialized CallFold, as in SQLite
);
CREATE INDEX calls_timeline ON calls (sort_ms, call_id);
CREATE INDEX calls_by_phase ON calls (phase, sort_ms);
CREATE INDEX calls_by_agent ON calls (agent_id, sort_ms);
CREATE INDEX calls_by_reason ON calls (ended_reason, sort_ms);

-- Verified bodies that are not events: kept raw for a person to look at.
CREATE TABLE quarantine (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   TEXT    NOT NULL,
    peer          TEXT,
    reason        TEXT    NOT NULL,
    headers       TEXT    NOT NULL,
    body          BYTEA   NOT NULL
);

-- Rejected requests: when, from where, why. Never a body, never a token. One row per
-- address (without its port), reason and minute, counting its requests, as in SQLite.
CREATE TABLE security_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            TEXT    NOT NULL,
    at_ms         BIGINT  NOT NULL,
    peer          TEXT,
    reason        TEXT    NOT NULL,
    source        TEXT    NOT NULL,          -- the address, '' when unknown
    minute        BIGINT  NOT NULL,
    count         BIGINT  NOT NULL DEFAULT 1,
    last_ms       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX security_log_once ON security_log (minute, source, reason);
