//! What a webhook receiver needs of a store, as one interface: SQLite ([`Store`]) and
//! PostgreSQL (`calleague-store-pg`, team mode) both stand behind it, so the receiver and
//! its response rules are the same code over either.
//!
//! The semantics both keep: a delivery is acknowledged only after a durable commit; a
//! repeat (same [`dedupe_key`]) only counts an attempt; a call is the fold of its visible
//! events (`calleague_events::CallFold`), in whatever order they arrive.

use std::future::Future;
use std::pin::Pin;

use tokio::sync::broadcast;

use calleague_events::Timestamp;

use crate::model::{FeedItem, IncomingDelivery, IngestOutcome, QuarantineItem, RejectionTally};
use crate::query::TimeRange;
use crate::{Result, Store};

/// A store call in flight (boxed, so that the receiver can hold `Arc<dyn DeliverySink>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

pub trait DeliverySink: Send + Sync {
    /// Stores a verified delivery; resolves once it is durably committed (or known to be a
    /// repeat). An error means nothing was acknowledged: the receiver answers 503.
    fn ingest(&self, item: IncomingDelivery) -> StoreFuture<'_, IngestOutcome>;
    /// Keeps a verified body that is not an event, raw, for a person to look at.
    fn quarantine(&self, item: QuarantineItem) -> StoreFuture<'_, IngestOutcome>;
    /// Records rejected requests (never a body or token), gathered by address, reason and
    /// minute.
    fn log_security(&self, tally: RejectionTally) -> StoreFuture<'_, IngestOutcome>;
    /// What this process committed, as it commits it.
    fn subscribe(&self) -> broadcast::Receiver<FeedItem>;
    /// Ok when a delivery would commit now (the receiver's `/readyz`): SQLite writes a row
    /// through its writer with room to spare on the disk; PostgreSQL asks its pool for a
    /// working connection.
    fn check_ready(&self) -> StoreFuture<'_, ()>;
    /// Deliveries acknowledged but not yet on the timeline (0 where each is projected in
    /// the transaction that stores it).
    fn backlog(&self) -> usize {
        0
    }
}

impl DeliverySink for Store {
    fn ingest(&self, item: IncomingDelivery) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(Store::ingest(self, item))
    }

    fn quarantine(&self, item: QuarantineItem) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(Store::quarantine(self, item))
    }

    fn log_security(&self, tally: RejectionTally) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(Store::log_security(self, tally))
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        Store::subscribe(self)
    }

    fn check_ready(&self) -> StoreFuture<'_, ()> {
        Box::pin(Store::check_ready(self))
    }

    fn backlog(&self) -> usize {
        Store::backlog(self)
    }
}

/// When receivers were up, for catch-up after downtime: both stores keep it (in team
/// mode, the downtime is when no receiver of the fleet was up).
pub trait UptimeLog: Send + Sync {
    /// Records the start of a run that will beat every `interval`; returns its id for
    /// [`UptimeLog::heartbeat`].
    fn start_uptime(&self, at: Timestamp, interval: std::time::Duration) -> StoreFuture<'_, i64>;
    /// Moves a run's last-seen-alive time forward.
    fn heartbeat(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()>;
    /// The run's last beat, as it stops cleanly.
    fn end_uptime(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        self.heartbeat(session, at)
    }
    /// The gaps longer than `min_gap_ms` with no run up, not caught up yet, oldest first.
    fn downtime_windows(&self, min_gap_ms: i64) -> StoreFuture<'_, Vec<TimeRange>>;
    /// Notes that a downtime window was read back from the REST API.
    fn record_catchup(&self, window: TimeRange, calls_merged: i64) -> StoreFuture<'_, ()>;
}

impl UptimeLog for Store {
    /// One receiver: a gap runs from its last beat to its next start, whatever the interval.
    fn start_uptime(&self, at: Timestamp, _interval: std::time::Duration) -> StoreFuture<'_, i64> {
        Box::pin(Store::start_uptime(self, at))
    }

    fn heartbeat(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(Store::heartbeat(self, session, at))
    }

    fn downtime_windows(&self, min_gap_ms: i64) -> StoreFuture<'_, Vec<TimeRange>> {
        Box::pin(async move { Store::downtime_windows(self, min_gap_ms) })
    }

    fn record_catchup(&self, window: TimeRange, calls_merged: i64) -> StoreFuture<'_, ()> {
        Box::pin(Store::record_catchup(self, window, calls_merged))
    }
}

impl<T: UptimeLog + ?Sized> UptimeLog for std::sync::Arc<T> {
    fn start_uptime(&self, at: Timestamp, interval: std::time::Duration) -> StoreFuture<'_, i64> {
        (**self).start_uptime(at, interval)
    }

    fn heartbeat(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        (**self).heartbeat(session, at)
    }

    fn end_uptime(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        (**self).end_uptime(session, at)
    }

    fn downtime_windows(&self, min_gap_ms: i64) -> StoreFuture<'_, Vec<TimeRange>> {
        (**self).downtime_windows(min_gap_ms)
    }

    fn record_catchup(&self, window: TimeRange, calls_merged: i64) -> StoreFuture<'_, ()> {
        (**self).record_catchup(window, calls_merged)
    }
}

/// A shared store is a store (so `&Arc<Store>` goes where a sink is asked for).
impl<T: DeliverySink + ?Sized> DeliverySink for std::sync::Arc<T> {
    fn ingest(&self, item: IncomingDelivery) -> StoreFuture<'_, IngestOutcome> {
        (**self).ingest(item)
    }

    fn quarantine(&self, item: QuarantineItem) -> StoreFuture<'_, IngestOutcome> {
        (**self).quarantine(item)
    }

    fn log_security(&self, tally: RejectionTally) -> StoreFuture<'_, IngestOutcome> {
        (**self).log_security(tally)
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        (**self).subscribe()
    }

    fn check_ready(&self) -> StoreFuture<'_, ()> {
        (**self).check_ready()
    }

    fn backlog(&self) -> usize {
        (**self).backlog()
    }
}

/// The key a delivery is deduplicated on, the same in every backend: `d:` + `deliveryId`,
/// else `c:` + `callId` + `|` + event (Calleague's advice), else `b:` + the body's SHA-256.
pub fn dedupe_key(item: &IncomingDelivery) -> String {
    crate::ingest::dedupe_key(item)
}

/// A new delivery's event row as the delivery alone tells it (`late` is the backend's to
/// set: only it sees the call's other events).
pub fn new_event_row(id: i64, item: &IncomingDelivery) -> crate::EventRow {
    crate::ingest::logged_event(id, item)
}

/// The header list as both backends keep it: a JSON array of `[name, value]` pairs.
pub fn headers_json(headers: &[(String, String)]) -> String {
    crate::ingest::headers_json(headers)
}
