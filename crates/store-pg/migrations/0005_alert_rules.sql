-- Alert rules (docs/alerts.md), as the SQLite store keeps them (its migration 0015):
-- firings, at most one open per rule (the unique index is what makes a fleet of receivers
-- record one firing), and the chat notices owed, written with their firing.
CREATE TABLE alert_firings (
    id              BIGSERIAL PRIMARY KEY,
    rule_id         TEXT             NOT NULL,
    rule_name       TEXT             NOT NULL,
    severity        TEXT             NOT NULL,
    started_ms      BIGINT           NOT NULL,
    resolved_ms     BIGINT,
    value           DOUBLE PRECISION NOT NULL,
    peak            DOUBLE PRECISION NOT NULL,
    threshold       DOUBLE PRECISION NOT NULL,
    window_from_ms  BIGINT           NOT NULL,
    window_to_ms    BIGINT           NOT NULL,
    notified        BOOLEAN          NOT NULL
);
CREATE INDEX alert_firings_by_rule ON alert_firings (rule_id, started_ms);
CREATE INDEX alert_firings_by_start ON alert_firings (started_ms);
CREATE UNIQUE INDEX alert_firings_open ON alert_firings (rule_id) WHERE resolved_ms IS NULL;

CREATE TABLE alert_notices (
    id           BIGSERIAL PRIMARY KEY,
    firing       BIGINT  NOT NULL,
    kind         TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    created_ms   BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    next_ms      BIGINT  NOT NULL,
    sent_ms      BIGINT,
    gave_up      BOOLEAN NOT NULL DEFAULT false,
    last_error   TEXT
);
CREATE INDEX alert_notices_owed ON alert_notices (id) WHERE sent_ms IS NULL AND NOT gave_up;
