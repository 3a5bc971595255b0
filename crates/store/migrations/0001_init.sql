-- Every delivery that passed verification, raw, exactly once per dedupe key.
CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    dedupe_key    TEXT    NOT NULL UNIQUE,
    delivery_id   TEXT,
    source        TEXT    NOT NULL,          -- 'webhook' | 'catchup'
    received_at   TEXT    NOT NULL,
    received_ms   INTEGER NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 1,
    peer          TEXT,
    headers       TEXT    NOT NULL,          -- JSON object, never Authorization
    body          BLOB    NOT NULL
);
CREATE INDEX deliveries_received ON deliveries (received_ms);

-- The parsed event of each delivery.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY REFERENCES deliveries (id),
    event         TEXT    NOT NULL,          -- canonical name ('call.ended' reads as 'call.completed')
    event_name    TEXT    NOT NULL,          -- as sent
    known         INTEGER NOT NULL,
    call_id       TEXT,
    occurred_ms   INTEGER NOT NULL,
    occurred_at   TEXT    NOT NULL,
    occurred_from_receipt INTEGER NOT NULL,  -- 1 when occurredAt was missing or unreadable
    tie           TEXT    NOT NULL,          -- deliveryId, else the dedupe key
    late          INTEGER NOT NULL,
    hidden        INTEGER NOT NULL           -- 1 when not in the user's subscriptions
);
CREATE INDEX events_timeline ON events (occurred_ms, tie, id);
CREATE INDEX events_by_call ON events (call_id, occurred_ms);
CREATE INDEX events_by_name ON events (event, occurred_ms);

-- The call projection: the fold of each call's visible events.
CREATE TABLE calls (
    call_id       TEXT    PRIMARY KEY,
    state         TEXT,
    agent_id      TEXT,
    direction     TEXT,
    ended_reason  TEXT,
    language      TEXT,
    duration_sec  REAL,
    started_at    TEXT,
    connected_at  TEXT,
    ended_at      TEXT,
    metadata      TEXT,                      -- JSON
    recording_id  TEXT,
    transcript_id TEXT,
    sort_ms       INTEGER NOT NULL,          -- earliest occurredAt: the call's place on the timeline
    last_ms       INTEGER NOT NULL,          -- latest occurredAt
    last_received_at TEXT NOT NULL,
    event_count   INTEGER NOT NULL,
    late_count    INTEGER NOT NULL DEFAULT 0,
    caught_up     INTEGER NOT NULL DEFAULT 0,
    fold          TEXT    NOT NULL           -- serialized CallState
);
CREATE INDEX calls_timeline ON calls (sort_ms, call_id);
CREATE INDEX calls_by_state ON calls (state, sort_ms);
CREATE INDEX calls_by_agent ON calls (agent_id, sort_ms);
CREATE INDEX calls_by_reason ON calls (ended_reason, sort_ms);

-- Verified bodies we could not read as an event: kept raw, shown in the UI.
CREATE TABLE quarantine (
    id            INTEGER PRIMARY KEY,
    received_at   TEXT    NOT NULL,
    peer          TEXT,
    reason        TEXT    NOT NULL,
    headers       TEXT    NOT NULL,
    body          BLOB    NOT NULL
);

-- Rejected requests: when, from where, why. Never a body, never a token.
CREATE TABLE security_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL,
    peer          TEXT,
    reason        TEXT    NOT NULL
);
