-- Alert rules (docs/alerts.md). A rule lives in the settings (or the receiver's
-- rules file); what the store keeps is what it did. A firing runs from the moment the
-- rule's condition held to the moment it stopped holding; `window_*` is the window behind
-- the value when it fired (the calls a click opens), `notified` 0 when the rule's cooldown
-- held its notice back.
CREATE TABLE alert_firings (
    id              INTEGER PRIMARY KEY,
    rule_id         TEXT    NOT NULL,
    rule_name       TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    started_ms      INTEGER NOT NULL,
    resolved_ms     INTEGER,
    value           REAL    NOT NULL,
    peak            REAL    NOT NULL,
    threshold       REAL    NOT NULL,
    window_from_ms  INTEGER NOT NULL,
    window_to_ms    INTEGER NOT NULL,
    notified        INTEGER NOT NULL
);
CREATE INDEX alert_firings_by_rule ON alert_firings (rule_id, started_ms);
CREATE INDEX alert_firings_by_start ON alert_firings (started_ms);
-- At most one open firing per rule: the unique index is what makes a rule fire once per
-- firing, also across restarts.
CREATE UNIQUE INDEX alert_firings_open ON alert_firings (rule_id) WHERE resolved_ms IS NULL;

-- What the chat webhook is owed: one notice when a firing starts and one when it ends,
-- written in the same transaction as the firing, sent in order and retried until sent or
-- given up, so a restart in between neither loses nor repeats one.
CREATE TABLE alert_notices (
    id           INTEGER PRIMARY KEY,
    firing       INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_ms      INTEGER NOT NULL,
    sent_ms      INTEGER,
    gave_up      INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX alert_notices_owed ON alert_notices (next_ms) WHERE sent_ms IS NULL AND gave_up = 0;
