//! What the writer has acknowledged but not yet put on the timeline: a burst's deliveries
//! in the inbox, then the log's after the projection's position. The writer takes steps of
//! it between acknowledgements (`writer.rs` says when); this says how, and keeps the
//! write-ahead log synced while it does.

use rusqlite::Connection;
use tokio::sync::broadcast;

use crate::inbox::Inbox;
use crate::model::FeedItem;
use crate::projection::{Projected, Projection, CHUNK};
use crate::Result;

/// What is acknowledged but not on the timeline yet: the inbox's deliveries, then the
/// log's after the projection's position. Taken in that order, so that each delivery is
/// logged, and projected, in the order it arrived.
pub(crate) struct Backlog {
    pub inbox: Inbox,
    pub projection: Projection,
    /// Deliveries taken by steps whose commits were not synced (see `sync_when_idle`).
    unsynced: usize,
}

/// How many deliveries the steps take between two syncs of the log in idle time.
const SYNC_EVERY: usize = 8_192;

impl Backlog {
    pub fn open(conn: &Connection) -> Result<Self> {
        Ok(Self { inbox: Inbox::open(conn)?, projection: Projection::open(conn)?, unsynced: 0 })
    }

    pub fn behind(&self) -> usize {
        self.inbox.len() + self.projection.behind()
    }

    pub fn is_done(&self) -> bool {
        self.inbox.is_empty() && self.projection.is_done()
    }

    /// Up to `limit` deliveries from the inbox into the log, then up to `limit` of the log
    /// projected. Errors are logged: the step is taken again later.
    pub fn step(&mut self, conn: &mut Connection, limit: usize, feed: &broadcast::Sender<FeedItem>) {
        self.unsynced += limit;
        if !self.inbox.is_empty() {
            if let Err(e) = self.inbox.take_into_log(conn, limit, &mut self.projection, feed) {
                tracing::error!(error = %e, "the inbox could not be taken into the log; it tries again");
            }
        }
        if let Err(e) = self.projection.step(conn, limit, feed) {
            tracing::error!(error = %e, "the projection could not take a step; it tries again");
        }
    }

    /// The steps commit without a sync of their own; the next acknowledged commit's sync
    /// then flushes everything they wrote to the log, and after a burst's catch-up that took
    /// 0.3–0.8 s (measured: a delivery's acknowledgement waited that long). So the log is
    /// synced here, with no acknowledgement waiting, every few thousand deliveries and
    /// when the backlog is through.
    pub fn sync_when_idle(&mut self, conn: &Connection) {
        if self.unsynced == 0 || (self.unsynced < SYNC_EVERY && !self.is_done()) {
            return;
        }
        self.unsynced = 0;
        let Some(db) = conn.path() else { return };
        let log = format!("{db}-wal");
        if let Err(e) = std::fs::OpenOptions::new().write(true).open(&log).and_then(|f| f.sync_data()) {
            tracing::warn!(error = %e, "could not sync the write-ahead log in idle time");
        }
    }

    /// Everything acknowledged so far onto the timeline.
    pub fn finish(&mut self, conn: &mut Connection, feed: &broadcast::Sender<FeedItem>) -> Projected {
        self.unsynced += self.inbox.len();
        while !self.inbox.is_empty() {
            if let Err(e) = self.inbox.take_into_log(conn, CHUNK, &mut self.projection, feed) {
                tracing::error!(error = %e, "the inbox could not be taken into the log; it tries again");
                break;
            }
            // Projected as it goes, so that the deliveries stay held in memory.
            if let Err(e) = self.projection.step(conn, CHUNK, feed) {
                tracing::error!(error = %e, "the projection could not take a step; it tries again");
            }
        }
        self.unsynced += self.projection.behind();
        self.projection.finish(conn, feed).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the projection could not catch up; it tries again");
            Vec::new()
        })
    }
}
