-- The account's agents by name, as the SQLite store keeps them (its migration 0018): one
-- receiver's refresher fills them for the fleet; a round is claimed in agent_rounds so that
-- receivers sharing the database list the agents once.
CREATE TABLE agents (
    agent_id    TEXT    PRIMARY KEY,
    name        TEXT,
    language    TEXT,
    known       BOOLEAN NOT NULL,
    fetched_ms  BIGINT  NOT NULL
);

CREATE TABLE agent_rounds (
    kind        TEXT    PRIMARY KEY,
    at_ms       BIGINT  NOT NULL
);
