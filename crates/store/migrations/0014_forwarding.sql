-- Forwarding (docs/forwarding.md): each delivery of the log sent on to the user's own
-- handlers. A target is known by its URL. `forwarded_to` is how far along the log its
-- first attempts have gone: every log id up to it was answered 2xx, skipped (hidden, or an
-- event the target does not take), or is waiting in `forward_retries`. After a restart
-- the forwarder starts after it: what was in flight is sent again (at least once).
CREATE TABLE forward_targets (
    target        TEXT    PRIMARY KEY,
    forwarded_to  INTEGER NOT NULL
);

-- Deliveries a target has not answered 2xx yet: tried again at `next_ms`, until the
-- retry window is over; then `gave_up`, kept for a person to retry.
CREATE TABLE forward_retries (
    target        TEXT    NOT NULL,
    delivery      INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    next_ms       INTEGER NOT NULL,
    gave_up       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (target, delivery)
) WITHOUT ROWID;
CREATE INDEX forward_retries_due ON forward_retries (target, gave_up, next_ms);

-- Every attempt: when, how long, and what came back (status, headers, the start of the
-- body) or why nothing did.
CREATE TABLE forward_attempts (
    id               INTEGER PRIMARY KEY,
    target           TEXT    NOT NULL,
    delivery         INTEGER NOT NULL,
    attempt          INTEGER NOT NULL,
    replay           INTEGER NOT NULL DEFAULT 0,
    at_ms            INTEGER NOT NULL,
    latency_ms       INTEGER NOT NULL,
    status           INTEGER,                 -- NULL: no response
    error            TEXT,                    -- connection refused, timed out, TLS…
    response_headers TEXT    NOT NULL DEFAULT '[]',
    response_body    BLOB    NOT NULL DEFAULT x''
);
CREATE INDEX forward_attempts_by_delivery ON forward_attempts (delivery);
CREATE INDEX forward_attempts_by_target ON forward_attempts (target, at_ms);
