-- The timeline's search: calls whose id or metadata contain the text typed, whatever its
-- case (ILIKE, as SQLite's trigram index matches), answered from trigram indexes rather
-- than by reading every call. pg_trgm ships with PostgreSQL and is a trusted extension;
-- docs/team-mode.md's set-up creates it, so a writer that does not own the database finds
-- it there.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX calls_search_id ON calls USING gin (call_id gin_trgm_ops);
CREATE INDEX calls_search_metadata ON calls USING gin (metadata gin_trgm_ops);
