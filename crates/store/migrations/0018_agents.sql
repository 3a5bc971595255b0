-- The account's agents (assistants) as the REST API described them, so that an agent is
-- shown by name. `known` is 0 for an id the API answered 404 for: shown by its id, and not
-- asked for again until the next full listing names it. Entries are never deleted: an agent
-- removed from the account still names its past calls.
CREATE TABLE agents (
    agent_id    TEXT    PRIMARY KEY,
    name        TEXT,
    language    TEXT,
    known       INTEGER NOT NULL,
    fetched_ms  INTEGER NOT NULL
) WITHOUT ROWID;

-- When the agents were last listed in full, and last looked up one by one (ids seen in
-- calls with no entry above): a round is claimed here, so that processes sharing the
-- database do it once.
CREATE TABLE agent_rounds (
    kind        TEXT    PRIMARY KEY,
    at_ms       INTEGER NOT NULL
) WITHOUT ROWID;
