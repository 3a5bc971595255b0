//! Calleague Monitor's durable store.
//!
//! All SQL lives here, behind [`Store`]: ingest (through one group-commit writer),
//! timeline and call queries with keyset paging, counts, and export. SQLite specifics
//! (pragmas, WAL) stay inside, so another backend could stand behind the same interface.

mod agent_model;
mod agent_writes;
mod agents;
mod agents_page;
mod alert_firings;
mod alert_log;
mod alert_model;
mod alert_writes;
mod alerts;
mod backlog;
mod breakdown;
mod checkpoint;
mod concurrency;
mod dimension_count;
mod dimensions;
mod error;
mod export;
mod forward_writes;
mod forwarding;
mod held;
mod inbox;
mod ingest;
mod model;
mod overview;
mod private;
mod projection;
mod prune;
mod query;
mod ranges;
mod reader;
mod readiness;
mod retention;
mod rollup;
mod rows;
mod rule_counts;
mod schema;
mod sink;
mod status;
mod tracked;
mod uptime;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{broadcast, oneshot};

pub use agent_model::{AgentName, AgentRound};
pub use agents::AgentBook;
pub use agents_page::{AgentSummary, AgentsCounter, AgentsPage, Percentiles};
pub use alert_log::AlertLog;
pub use alert_model::{FiringRecorded, FiringRow, NewFiring, NoticeAttempt, OwedNotice};
pub use breakdown::{Breakdown, BreakdownCounter, ValueOutcomes};
pub use concurrency::{InProgressSpan, PeakCounter};
pub use dimensions::{check_dimension_fields, DimensionStatus, SeenField};
pub use error::{Result, StoreError};
pub use export::{ExportFormat, ExportWhat, ExportWriter};
pub use model::{
    AfterAttempt, AlertHow, AttemptFilter, CallDetail, CallRow, DimensionFacet, EventDetail, EventRow, Facets,
    FeedItem, ForwardAttempt, ForwardAttemptRow, ForwardDelivery, ForwardStep, ForwardTargetStats, ForwardedBatch,
    InProgress, IncomingDelivery, IngestOutcome, ListedAttempt, Pruned, QuarantineItem, QuarantineRow, RejectionTally,
    ReplaySelection, RetryState, SecurityEntry, SecurityRow, Source, StatusCounts, ValueCount,
};
pub use overview::{
    DowntimeGap, Outcomes, Overview, OverviewBar, OverviewCounter, Spread, SpreadStep, Tally, WebhookHealth, GAP_MIN_MS,
};
pub use query::{
    like_pattern, CallCursor, CallFilter, EventCursor, EventFilter, MetadataMatch, Order, Page, PageRequest, TimeRange,
    Walk,
};
pub use reader::TimelineReader;
pub use retention::StoreSize;
pub use rollup::{DIMENSIONS, DURATION_EDGES_MS, WAIT_EDGES_MS};
pub use rows::headers_from_json;
pub use rule_counts::{CallsScope, CountsQuery, RuleCounts, SpreadKind};
pub use schema::Durability;
pub use sink::{dedupe_key, headers_json, new_event_row, DeliverySink, StoreFuture, UptimeLog};
pub use tracked::{
    check_field as check_dimension_field, dimension_value, metadata_value, MAX_DIMENSIONS, METADATA_PREFIX,
};

use writer::{Job, Write};

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a write waits for a lock held by another process before the store reports
    /// itself unavailable (and the receiver answers 503).
    pub busy_timeout: Duration,
    /// How many live-feed items a slow subscriber may fall behind before it must resync.
    pub feed_capacity: usize,
    /// Deliveries per second above which the writer takes a burst into the inbox first
    /// (`docs/ingest.md`); a test lowers it to be sure of a burst on a slow build.
    pub burst_rate: u32,
    /// Calls counted per step when a dimension is added (`dimensions.rs`); a test makes it
    /// small to interleave the count with deliveries.
    pub dimension_step: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            feed_capacity: 8192,
            burst_rate: writer::BURST_RATE,
            dimension_step: dimension_count::BUILD_STEP,
        }
    }
}

/// The store. Cheap to share behind an `Arc`; reads use a small pool of read-only
/// connections, writes go through the one writer thread.
pub struct Store {
    path: PathBuf,
    options: StoreOptions,
    durability: Durability,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    feed: broadcast::Sender<model::FeedItem>,
    readers: Mutex<Vec<Connection>>,
    /// How many deliveries the writer has acknowledged but not projected (as of its last pass).
    behind: Arc<std::sync::atomic::AtomicUsize>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and runs its migrations.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Arc<Self>> {
        let path = path.as_ref().to_path_buf();
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            private::create_dir(parent).map_err(|e| open_error(e.to_string()))?;
        }
        private::create_file(&path).map_err(|e| open_error(e.to_string()))?;
        let mut conn = Connection::open(&path).map_err(|e| open_error(e.to_string()))?;
        let busy_ms = options.busy_timeout.as_millis() as u64;
        schema::configure(&conn, busy_ms).map_err(|e| open_error(e.to_string()))?;
        schema::migrate(&mut conn).map_err(|e| match e {
            StoreError::TooNew { .. } => e,
            other => open_error(other.to_string()),
        })?;

        // What the writer's own connection runs with, read back from it: an acknowledgement
        // follows a commit that is synced to disk only with WAL and synchronous=FULL.
        let durability = schema::durability(&conn).map_err(|e| open_error(e.to_string()))?;
        if !durability.journal_mode.eq_ignore_ascii_case("wal") {
            return Err(open_error(format!(
                "SQLite would not use its write-ahead log here (journal mode {:?}); the database must be on a local file system",
                durability.journal_mode
            )));
        }

        // The WAL and its index exist now; SQLite gives them the database's mode, but an
        // older install may have made them with the default one.
        private::restrict(&path).map_err(|e| open_error(e.to_string()))?;

        checkpoint::disable_automatic(&conn).map_err(|e| open_error(e.to_string()))?;
        let checkpointer = checkpoint::Checkpointer::start(&path, busy_ms).map_err(|e| open_error(e.to_string()))?;

        let (feed, _) = broadcast::channel(options.feed_capacity.max(16));
        let (tx, rx) = mpsc::channel();
        let writer_feed = feed.clone();
        let burst_rate = f64::from(options.burst_rate.max(1));
        let behind = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let writer_behind = behind.clone();
        let dimension_step = options.dimension_step.max(1);
        let writer_thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                writer::run(
                    conn,
                    rx,
                    writer_feed,
                    checkpointer,
                    writer::Pace { burst_rate, dimension_step },
                    writer_behind,
                )
            })
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Arc::new(Self {
            path,
            options,
            durability,
            jobs: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(Some(writer_thread)),
            feed,
            readers: Mutex::new(Vec::new()),
            behind,
        }))
    }

    /// Deliveries acknowledged but not yet on the timeline (a burst's inbox and the
    /// projection's lag), as of the writer's last pass.
    pub fn backlog(&self) -> usize {
        self.behind.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Opens an existing database for reading only (export, viewers). Never migrates.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Arc<Self>> {
        let path = path.as_ref().to_path_buf();
        if !path.is_file() {
            return Err(StoreError::Open { path: path.display().to_string(), reason: "no such file".into() });
        }
        let store = Self {
            path,
            options: StoreOptions::default(),
            durability: Durability::default(),
            jobs: Mutex::new(None),
            writer_thread: Mutex::new(None),
            feed: broadcast::channel(16).0,
            readers: Mutex::new(Vec::new()),
            behind: Arc::default(),
        };
        // Fail now, with the path in the message, if it is not a readable database.
        store
            .with_reader(|conn| {
                conn.query_row("SELECT count(*) FROM deliveries", [], |r| r.get::<_, i64>(0)).map_err(StoreError::from)
            })
            .map_err(|e| StoreError::Open { path: store.path.display().to_string(), reason: e.to_string() })?;
        Ok(Arc::new(store))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal mode and sync level of the writer's connection (empty for a read-only store).
    pub fn durability(&self) -> &Durability {
        &self.durability
    }

    /// Live feed of what each commit added. A subscriber that lags gets
    /// `RecvError::Lagged` and should re-read from the store.
    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.feed.subscribe()
    }

    /// Stores a verified delivery. Returns once it is committed (or known to be a repeat).
    pub async fn ingest(&self, item: IncomingDelivery) -> Result<IngestOutcome> {
        self.submit(Write::Delivery(Box::new(item))).await
    }

    /// Resolves once every delivery acknowledged before the call is on the timeline (the
    /// projection caught up). Deliveries are projected within moments by themselves; this
    /// is for a reader that must see all of them, such as a test or a benchmark's count.
    pub async fn settle(&self) -> Result<()> {
        self.submit(Write::Settle).await.map(|_| ())
    }

    pub async fn quarantine(&self, item: QuarantineItem) -> Result<IngestOutcome> {
        self.submit(Write::Quarantine(item)).await
    }

    /// Records rejected requests (never a body or token): one address, reason and minute.
    pub async fn log_security(&self, tally: RejectionTally) -> Result<IngestOutcome> {
        self.submit(Write::Security(tally)).await
    }

    pub(crate) async fn submit(&self, write: Write) -> Result<IngestOutcome> {
        let (reply, outcome) = oneshot::channel();
        {
            let jobs = self.jobs.lock().map_err(|_| StoreError::WriterStopped)?;
            let sender = jobs.as_ref().ok_or(StoreError::WriterStopped)?;
            sender.send(Job { write, reply }).map_err(|_| StoreError::WriterStopped)?;
        }
        outcome.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Stops taking writes, lets the writer finish what is queued, and waits for it.
    pub fn close(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().ok().and_then(|mut pool| pool.pop());
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(self.options.busy_timeout)?;
                tracked::add_functions(&conn)?;
                conn
            }
        };
        let result = f(&conn);
        if let Ok(mut pool) = self.readers.lock() {
            if pool.len() < 8 {
                pool.push(conn);
            }
        }
        result
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}
