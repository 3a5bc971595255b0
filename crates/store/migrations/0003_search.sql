-- Substring search over a call's id and metadata, without scanning every call: a trigram
-- index (SQLite FTS5). Rows share the rowid of their call.
CREATE VIRTUAL TABLE calls_search USING fts5(call_id, metadata, tokenize = 'trigram');
INSERT INTO calls_search (rowid, call_id, metadata) SELECT rowid, call_id, coalesce(metadata, '') FROM calls;
