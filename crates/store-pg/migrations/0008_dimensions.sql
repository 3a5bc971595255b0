-- The team's dimensions: the metadata fields (at most five, in order) the fleet's windows
-- offer to filter and group calls by and export as columns. Chosen with
-- `calleague-receiver dimensions --database … FIELD…` (a writer's role; viewers only read).
-- Nothing is counted ahead: PostgreSQL reads a field from the calls themselves.
CREATE TABLE dimensions (
    field       TEXT    PRIMARY KEY,
    position    INTEGER NOT NULL,
    chosen_ms   BIGINT  NOT NULL
);
