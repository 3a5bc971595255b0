//! Which calls' failures the desktop app has dealt with, so that none is notified twice.
//!
//! A claim is written through the one writer like a delivery, so it is as durable: a call
//! claimed before a crash stays claimed after it.

use calleague_events::Timestamp;
use rusqlite::params;

use crate::model::AlertHow;
use crate::rows::{event_row, EVENT_COLUMNS};
use crate::writer::Write;
use crate::{FeedItem, IngestOutcome, Result, Store, StoreError};

impl Store {
    /// Claims the failures of `calls` for one way of dealing with them and returns the ones
    /// that were not claimed before, in the order given. A call claimed once is never
    /// returned again.
    pub async fn claim_alerts(&self, calls: Vec<String>, how: AlertHow) -> Result<Vec<String>> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        match self.submit(Write::ClaimAlerts { calls, how, at: Timestamp::now() }).await? {
            IngestOutcome::Claimed { calls } => Ok(calls),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }

    /// The events received since `since` of calls not claimed yet, each with its call as it
    /// is now, oldest first, at most `limit`: the feed again, for a watcher that fell behind.
    pub fn unclaimed_since(&self, since: Timestamp, limit: u32) -> Result<Vec<FeedItem>> {
        let events = self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.id
                 WHERE d.received_ms >= ?1 AND e.call_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM alerted_calls a WHERE a.call_id = e.call_id)
                 ORDER BY d.received_ms, d.id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![since.unix_millis(), limit], event_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let mut items = Vec::with_capacity(events.len());
        for event in events {
            let call = match &event.call_id {
                Some(id) => self.call(id)?.map(Box::new),
                None => None,
            };
            items.push(FeedItem::Event { event: Box::new(event), call });
        }
        Ok(items)
    }

    /// Whether a call's failure was claimed (for tests and support).
    pub fn alert_claimed(&self, call_id: &str) -> Result<Option<String>> {
        self.with_reader(|conn| {
            use rusqlite::OptionalExtension;
            Ok(conn
                .prepare_cached("SELECT how FROM alerted_calls WHERE call_id = ?1")?
                .query_row([call_id], |r| r.get(0))
                .optional()?)
        })
    }
}
