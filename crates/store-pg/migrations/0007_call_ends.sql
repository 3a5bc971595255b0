-- When each ended call ended, in Unix milliseconds (calleague_store::InProgressSpan: its
-- endedAt, or its start plus its duration, or its start; never before its start): the
-- overview's peak of calls in progress reads the calls that ended in or after a range by
-- this index, instead of every call before it.
ALTER TABLE calls ADD COLUMN end_ms BIGINT;
UPDATE calls SET end_ms = greatest(sort_ms, coalesce(
        (extract(epoch FROM ended_at::timestamptz) * 1000)::bigint,
        CASE WHEN abs(duration_sec) < 1e12 THEN sort_ms + round(duration_sec * 1000)::bigint END,
        sort_ms))
WHERE phase IN ('completed', 'failed');
CREATE INDEX calls_by_end ON calls (end_ms) WHERE end_ms IS NOT NULL;
