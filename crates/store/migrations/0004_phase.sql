-- One word for a call's position in its lifecycle (started, connected, completed, failed):
-- "phase", as in the Rust types, the simulator and the UI. The fold's own state stays in
-- `fold`.
ALTER TABLE calls RENAME COLUMN state TO phase;
DROP INDEX calls_by_state;
CREATE INDEX calls_by_phase ON calls (phase, sort_ms);
