//! The second stage of ingest: deliveries already in the log (acknowledged) brought into the
//! events, the calls and the search index, in log order, by the writer thread when it has
//! no acknowledgement waiting.
//!
//! What is logged but not projected yet is held parsed in memory while it is little; beyond
//! that, and after a restart, it is read back from the log. `projection.projected_to` moves
//! in the same transaction as the rows it covers, so a crash at any moment resumes exactly
//! where the projection stood. Its transactions run with `synchronous=NORMAL`: everything
//! in them can be rebuilt from the log, so their commits need no sync of their own (the next
//! acknowledged commit, `FULL`, syncs the write-ahead log they are in). Not `OFF`: that would
//! let a checkpoint copy acknowledged pages into the database without syncing it before the
//! write-ahead log is reused (the fsync test in `crates/headless/tests/faults.rs` saw an
//! acknowledgement go out with no sync before it).

use calleague_events::{parse_delivery, Timestamp};
use rusqlite::{params, Connection, TransactionBehavior};
use tokio::sync::broadcast;

use crate::held::Held;
use crate::ingest::{project_delivery, Pending};
use crate::model::{EventRow, FeedItem, IncomingDelivery, Source};
use crate::schema;
use crate::Result;

/// Each projected delivery's id with its event (for a webhook that confirmed a caught-up
/// step, that step).
pub(crate) type Projected = Vec<(i64, Box<EventRow>)>;

/// How many deliveries one projection transaction takes.
pub(crate) const CHUNK: usize = 2_048;

pub(crate) struct Projection {
    /// Logged, not projected, in log order: a cache of the log after `projected_to`.
    held: Held,
    projected_to: i64,
    /// The newest log id this writer knows of.
    last_logged: i64,
}

impl Projection {
    /// Where the projection stands in the database; anything after it is read from the log.
    pub fn open(conn: &Connection) -> Result<Self> {
        let projected_to: i64 = conn.query_row("SELECT projected_to FROM projection WHERE id = 1", [], |r| r.get(0))?;
        let last: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM deliveries", [], |r| r.get(0))?;
        Ok(Self { held: Held::new(last > projected_to), projected_to, last_logged: last })
    }

    /// A delivery just logged as `id` (ids grow with the log's order).
    pub fn logged(&mut self, id: i64, item: Box<IncomingDelivery>) {
        self.last_logged = self.last_logged.max(id);
        self.held.push(id, item);
    }

    /// How many logged deliveries the projection is behind: exact while they are held;
    /// when some are in the log only, estimated from log ids (which catch-up's own writes,
    /// projected at once, also take: at most a little over).
    pub fn behind(&self) -> usize {
        if self.held.in_table_only() {
            usize::try_from(self.last_logged - self.projected_to).unwrap_or(0).max(self.held.len())
        } else {
            self.held.len()
        }
    }

    pub fn is_done(&self) -> bool {
        self.held.is_done()
    }

    /// Projects up to `limit` deliveries in one transaction and announces them on the feed.
    pub fn step(
        &mut self,
        conn: &mut Connection,
        limit: usize,
        feed: &broadcast::Sender<FeedItem>,
    ) -> Result<Projected> {
        if self.held.needs_read_back() {
            self.read_back(conn, limit)?;
        }
        let take = self.held.len().min(limit);
        if take == 0 {
            return Ok(Vec::new());
        }
        let (items, projected) = schema::unsynced(conn, |conn| self.project(conn, take))?;
        for item in items {
            let _ = feed.send(item);
        }
        Ok(projected)
    }

    /// Projects everything logged so far.
    pub fn finish(&mut self, conn: &mut Connection, feed: &broadcast::Sender<FeedItem>) -> Result<Projected> {
        let mut all = Vec::new();
        while !self.is_done() {
            let step = self.step(conn, CHUNK, feed)?;
            if step.is_empty() && self.held.is_empty() {
                // The log has nothing more after projected_to after all.
                self.held.read_through();
            }
            all.extend(step);
        }
        Ok(all)
    }

    /// One transaction for the chunk, without a savepoint per delivery: a savepoint makes
    /// the search index (FTS5) flush at each release and writes a statement journal, which
    /// cost more than all the rest (measured with perf). Should one delivery fail, the
    /// chunk is rolled back and done again one savepoint each, so that only it is skipped.
    fn project(&mut self, conn: &mut Connection, take: usize) -> Result<(Vec<FeedItem>, Projected)> {
        match self.project_chunk(conn, take, false) {
            Ok(done) => Ok(done),
            Err(e) => {
                tracing::warn!(error = %e, "a projection step failed; taking its deliveries one by one");
                self.project_chunk(conn, take, true)
            }
        }
    }

    fn project_chunk(
        &mut self,
        conn: &mut Connection,
        take: usize,
        isolated: bool,
    ) -> Result<(Vec<FeedItem>, Projected)> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut items = Vec::with_capacity(take);
        let mut projected = Vec::with_capacity(take);
        let mut last = self.projected_to;
        let mut pending = Pending::new(&tx)?;
        for (id, item) in self.held.first(take) {
            let result = if isolated {
                // A delivery that cannot be projected is logged and passed over, never a
                // projection stuck behind it; its raw delivery stays in the log.
                let sp = tx.savepoint()?;
                let mut one = Pending::new(&sp)?;
                match project_delivery(&sp, *id, item, &mut one).and_then(|done| one.apply(&sp).map(|_| done)) {
                    Ok(done) => sp.commit().map(|_| Some(done)).map_err(Into::into),
                    Err(e) => {
                        tracing::error!(delivery = id, error = %e, "a logged delivery could not be projected");
                        Ok(None)
                    }
                }
            } else {
                project_delivery(&tx, *id, item, &mut pending).map(Some)
            };
            if let Some((event, call)) = result? {
                projected.push((*id, event.clone()));
                items.push(FeedItem::Event { event, call });
            }
            last = *id;
        }
        pending.apply(&tx)?;
        tx.prepare_cached("UPDATE projection SET projected_to = ?1 WHERE id = 1")?.execute([last])?;
        tx.commit()?;
        self.held.take(take).for_each(drop);
        self.projected_to = last;
        Ok((items, projected))
    }

    /// Loads the next `limit` logged deliveries after `projected_to` from the log.
    fn read_back(&mut self, conn: &Connection, limit: usize) -> Result<()> {
        let mut stmt = conn.prepare_cached(
            // Catch-up writes a delivery and its projection at once: such a delivery already
            // has its event (or confirmed one) and is passed over.
            "SELECT id, received_at, peer, headers, body, hidden, source FROM deliveries d
             WHERE id > ?1
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.id)
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.confirmed_by = d.id)
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![self.projected_to, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut count = 0;
        for row in rows {
            let (id, received_at, peer, headers, body, hidden, source) = row?;
            count += 1;
            let (Ok(received_at), Ok(parsed)) = (Timestamp::parse(&received_at), parse_delivery(&body)) else {
                tracing::error!(delivery = id, "a logged delivery cannot be read back; passed over");
                continue;
            };
            let item = IncomingDelivery {
                received_at,
                peer,
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                body,
                parsed,
                hidden,
                source: Source::parse(&source),
            };
            self.held.push_read_back(id, Box::new(item));
        }
        if count < limit {
            self.held.read_through();
        }
        Ok(())
    }
}
