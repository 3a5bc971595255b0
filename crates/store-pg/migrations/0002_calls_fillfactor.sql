-- Room on each page for a call's next version: an update that changes no indexed column
-- (the upsert that locks a call, a recording or a transcript arriving) then stays on its
-- page and skips the indexes (a HOT update).
ALTER TABLE calls SET (fillfactor = 70);
