//! Calleague Monitor's store on PostgreSQL: team mode, where several receivers write into
//! one database.
//!
//! It keeps the SQLite store's semantics (`calleague_store::DeliverySink`): a delivery is
//! acknowledged after PostgreSQL's COMMIT; its dedupe key is the same, so a repeat that
//! reaches two receivers is one row whose attempts count both; a call is the same fold of
//! its visible events. Unlike SQLite, where one writer thread logs first and projects
//! after, each delivery is one transaction that logs and projects it: PostgreSQL takes
//! many writers at once, and a row lock on the call makes two receivers folding events of
//! one call take turns.

mod agents;
mod agents_page;
mod alert_log;
mod announce;
mod breakdown;
mod config;
mod dimensions;
mod export;
mod forwarding;
mod ingest;
mod live;
mod locks;
mod migrate;
mod nul;
mod overview;
mod query;
mod read;
mod tls_options;
mod uptime;

use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{
    AgentName, AgentsPage, Breakdown, CallCursor, CallDetail, CallFilter, CallRow, DeliverySink, DimensionStatus,
    Facets, FeedItem, InProgress, IncomingDelivery, IngestOutcome, Overview, Page, PageRequest, QuarantineItem,
    QuarantineRow, RejectionTally, Result, SecurityRow, SeenField, StatusCounts, StoreError, StoreFuture,
    TimelineReader,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::broadcast;

pub use config::DatabaseUrl;
pub use migrate::SCHEMA_VERSION;
pub use read::DeliveryTotals;
pub use uptime::{FleetLock, CATCH_UP_LOCK_WAIT};

/// The channel committed deliveries are announced on (`NOTIFY`, see `announce.rs`), its
/// payload their ids, comma-separated: what a viewer's `LISTEN` wakes on.
pub const FEED_CHANNEL: &str = "calleague_feed";

#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections this process keeps open at most: the deliveries it commits at once.
    pub max_connections: usize,
    /// How long a delivery waits for a connection (or for a new one to open) before the
    /// store reports itself unavailable and the receiver answers 503.
    pub connect_timeout: Duration,
    /// How many live-feed items a slow subscriber may fall behind.
    pub feed_capacity: usize,
    /// How long a receiver waits at start for another session's migration lock (any role
    /// can take it: a bound, and the holder named, rather than a silent wait).
    pub migration_lock_wait: Duration,
    /// A viewer asks its listening connection a question this often and counts the link
    /// down when it is not answered within as long again.
    pub live_check_every: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            feed_capacity: 8192,
            migration_lock_wait: Duration::from_secs(30),
            live_check_every: Duration::from_secs(15),
        }
    }
}

/// A store on one PostgreSQL database. Cheap to share behind an `Arc`.
pub struct PgStore {
    pool: Pool,
    url: DatabaseUrl,
    feed: broadcast::Sender<FeedItem>,
    /// A receiver's announcer of what it commits.
    announce: Option<tokio::sync::mpsc::UnboundedSender<i64>>,
    /// A viewer's watcher of what every receiver commits (see `live.rs`).
    live: Option<tokio::task::JoinHandle<()>>,
    /// A viewer's live link: up and answering (always true for a receiver's store).
    link: tokio::sync::watch::Receiver<bool>,
}

impl PgStore {
    /// Connects, brings the schema up to date (under an advisory lock, so receivers that
    /// start together migrate once) and returns the store.
    pub async fn connect(url: &DatabaseUrl, options: PgOptions) -> Result<Arc<Self>> {
        let pool = pool(url, &options)?;
        {
            let mut client = pool.get().await.map_err(|e| open_error(url, config::pool_error(&e)))?;
            migrate::migrate(&mut client, options.migration_lock_wait).await.map_err(|e| opening(url, e))?;
        }
        let (feed, _) = broadcast::channel(options.feed_capacity.max(16));
        let announce = Some(announce::start(pool.clone()));
        Ok(Arc::new(Self { pool, url: url.clone(), feed, announce, live: None, link: always_up() }))
    }

    /// Connects to read only (an export, a check): never migrates; the schema must be
    /// there and not newer than this program.
    pub async fn connect_reader(url: &DatabaseUrl, options: PgOptions) -> Result<Arc<Self>> {
        let pool = checked_pool(url, &options).await?;
        let (feed, _) = broadcast::channel(16);
        Ok(Arc::new(Self { pool, url: url.clone(), feed, announce: None, live: None, link: always_up() }))
    }

    /// Connects as a viewer (team mode's desktop app): never migrates, and follows what
    /// every receiver commits through `LISTEN`, on [`PgStore::subscribe`]. Read-only twice
    /// over: every session is opened with `default_transaction_read_only`, and a role that
    /// could write the team's tables (a writer's, a superuser's) is refused, so that the
    /// password every desktop keeps cannot change or delete calls.
    pub async fn connect_viewer(url: &DatabaseUrl, options: PgOptions) -> Result<Arc<Self>> {
        let url = &url.read_only();
        let pool = checked_pool(url, &options).await?;
        refuse_a_writer(url, &pool).await?;
        let (feed, _) = broadcast::channel(options.feed_capacity.max(16));
        let (ready, listening) = tokio::sync::oneshot::channel();
        let (link_tx, link) = tokio::sync::watch::channel(false);
        let watched = url.clone();
        let store = Arc::new_cyclic(|store| Self {
            pool,
            url: url.clone(),
            feed,
            announce: None,
            live: Some(tokio::spawn(live::watch(store.clone(), watched, ready, link_tx, options.live_check_every))),
            link,
        });
        // Returned once LISTEN is in place, so that nothing committed after this is missed.
        match tokio::time::timeout(options.connect_timeout, listening).await {
            Ok(Ok(())) => Ok(store),
            _ => Err(open_error(url, "cannot LISTEN for live updates".into())),
        }
    }

    /// A viewer's live link to the database: true while its listening connection is up and
    /// answers within the check's time (see [`PgOptions::live_check_every`]); changes as
    /// the link goes down and comes back.
    pub fn live_link(&self) -> tokio::sync::watch::Receiver<bool> {
        self.link.clone()
    }

    /// Where this store is, without its password.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable(config::pool_error(&e)))
    }

    /// Stores a verified delivery; returns once PostgreSQL committed it.
    ///
    /// The transaction runs on a task of its own, to its end even when the caller stops
    /// waiting (hyper drops a request's future when its client hangs up): a transaction cut
    /// off between its statements would go back to the pool still open, and the next
    /// delivery's COMMIT would commit its first half. Committed but not acknowledged is
    /// then what it is in the SQLite store: Calleague's retry counts an attempt.
    pub async fn ingest(&self, item: IncomingDelivery) -> Result<IngestOutcome> {
        let item = nul::storable(item);
        let pool = self.pool.clone();
        let (outcome, feed) = tokio::spawn(async move {
            let mut client = pool.get().await.map_err(|e| StoreError::Unavailable(config::pool_error(&e)))?;
            ingest::delivery(&mut client, &item).await.map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("the delivery's transaction stopped: {e}")))??;
        if let (IngestOutcome::Stored(event), Some(announce)) = (&outcome, &self.announce) {
            let _ = announce.send(event.id);
        }
        if let Some(feed) = feed {
            // No subscriber is fine: the feed is best effort, the database is the truth.
            let _ = self.feed.send(feed);
        }
        Ok(outcome)
    }

    pub async fn quarantine(&self, item: QuarantineItem) -> Result<IngestOutcome> {
        let client = self.client().await?;
        let id = ingest::quarantine(&client, &item).await.map_err(unavailable)?;
        let _ = self.feed.send(FeedItem::Quarantined { id });
        Ok(IngestOutcome::Quarantined { id })
    }

    pub async fn log_security(&self, tally: RejectionTally) -> Result<IngestOutcome> {
        let client = self.client().await?;
        let (id, new) = ingest::security(&client, &tally).await.map_err(unavailable)?;
        if new {
            let _ = self.feed.send(FeedItem::Rejected { entry: tally.entry });
        }
        Ok(IngestOutcome::Logged { id })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.feed.subscribe()
    }

    /// Ok when a delivery would commit now: a pooled connection answers, and its server
    /// takes writes (not a standby in recovery). Bounded by the pool's timeouts.
    pub async fn check_ready(&self) -> Result<()> {
        let client = self.client().await?;
        let row = client.query_one("SELECT pg_is_in_recovery()", &[]).await.map_err(unavailable)?;
        if row.get::<_, bool>(0) {
            return Err(StoreError::Unavailable("the database is a standby in recovery: it takes no writes".into()));
        }
        Ok(())
    }

    /// The pool's connections: (idle, in use).
    pub fn connections(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.available, status.size.saturating_sub(status.available))
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            live.abort();
        }
    }
}

/// A pool on a database whose schema a receiver made, checked on one connection.
async fn checked_pool(url: &DatabaseUrl, options: &PgOptions) -> Result<Pool> {
    let pool = pool(url, options)?;
    let client = pool.get().await.map_err(|e| open_error(url, config::pool_error(&e)))?;
    migrate::check(&client).await.map_err(|e| opening(url, e))?;
    drop(client);
    Ok(pool)
}

/// A viewer's role must not be able to write: the role the docs set up for desktops is
/// `calleague_viewer`, with SELECT only.
async fn refuse_a_writer(url: &DatabaseUrl, pool: &Pool) -> Result<()> {
    let client = pool.get().await.map_err(|e| open_error(url, config::pool_error(&e)))?;
    let row = client
        .query_one(
            "SELECT current_user::text,
                    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                    OR EXISTS (SELECT 1 FROM unnest(ARRAY['deliveries', 'events', 'calls', 'quarantine', 'security_log', 'uptime']) t
                               WHERE to_regclass(t) IS NOT NULL
                                 AND has_table_privilege(t, 'INSERT, UPDATE, DELETE, TRUNCATE'))",
            &[],
        )
        .await
        .map_err(|e| open_error(url, config::db_error(&e)))?;
    let (role, writes): (String, bool) = (row.get(0), row.get(1));
    if writes {
        return Err(open_error(
            url,
            format!("the role {role} can change the team's calls; a desktop watches with a read-only role (calleague_viewer in docs/team-mode.md), whose password every desktop can keep safely"),
        ));
    }
    Ok(())
}

/// The link of a store that does not listen: up for as long as the store is.
fn always_up() -> tokio::sync::watch::Receiver<bool> {
    tokio::sync::watch::channel(true).1
}

fn open_error(url: &DatabaseUrl, reason: String) -> StoreError {
    StoreError::Open { path: url.to_string(), reason }
}

/// A failure while opening, with the database it concerns; a newer schema keeps its own error.
fn opening(url: &DatabaseUrl, e: StoreError) -> StoreError {
    match e {
        StoreError::TooNew { .. } => e,
        other => open_error(url, other.to_string()),
    }
}

fn pool(url: &DatabaseUrl, options: &PgOptions) -> Result<Pool> {
    // A connection the server closed is dropped when it comes back to the pool. Not
    // `Verified`: a query at each checkout is one more round trip per delivery.
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let config = url.config().clone();
    let manager = match url.connector().map_err(|e| open_error(url, e))? {
        Some(tls) => Manager::from_config(config, tls, manager_config),
        None => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
    };
    Pool::builder(manager)
        .max_size(options.max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.connect_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| open_error(url, e.to_string()))
}

/// A failed statement or commit: nothing was acknowledged, the receiver answers 503.
fn unavailable(e: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(config::db_error(&e))
}

impl DeliverySink for PgStore {
    fn ingest(&self, item: IncomingDelivery) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(PgStore::ingest(self, item))
    }

    fn quarantine(&self, item: QuarantineItem) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(PgStore::quarantine(self, item))
    }

    fn log_security(&self, tally: RejectionTally) -> StoreFuture<'_, IngestOutcome> {
        Box::pin(PgStore::log_security(self, tally))
    }

    fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        PgStore::subscribe(self)
    }

    fn check_ready(&self) -> StoreFuture<'_, ()> {
        Box::pin(PgStore::check_ready(self))
    }
}

impl TimelineReader for PgStore {
    fn calls_page(
        &self,
        filter: CallFilter,
        page: PageRequest<CallCursor>,
    ) -> StoreFuture<'_, Page<CallRow, CallCursor>> {
        Box::pin(async move { PgStore::calls_page(self, &filter, &page).await })
    }

    fn call_detail(&self, call_id: String) -> StoreFuture<'_, Option<CallDetail>> {
        Box::pin(async move { PgStore::call_detail(self, &call_id).await })
    }

    fn facets(&self) -> StoreFuture<'_, Facets> {
        Box::pin(PgStore::facets(self))
    }

    fn counts(&self, since: Timestamp) -> StoreFuture<'_, StatusCounts> {
        Box::pin(PgStore::counts(self, since))
    }

    fn in_progress(&self, stale_before: Timestamp) -> StoreFuture<'_, InProgress> {
        Box::pin(PgStore::in_progress(self, stale_before))
    }

    fn overview(&self, from: Timestamp, to: Timestamp, longest_call: Duration) -> StoreFuture<'_, Overview> {
        Box::pin(PgStore::overview(self, from, to, longest_call))
    }

    fn agents_page(&self, from: Timestamp, to: Timestamp, by: Option<String>) -> StoreFuture<'_, AgentsPage> {
        Box::pin(async move { PgStore::agents_page(self, from, to, by.as_deref()).await })
    }

    fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: String) -> StoreFuture<'_, Breakdown> {
        Box::pin(async move { PgStore::breakdown(self, from, to, &dimension).await })
    }

    fn quarantine_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<QuarantineRow>> {
        Box::pin(PgStore::quarantine_page(self, before_id, limit))
    }

    fn security_page(&self, before_id: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<SecurityRow>> {
        Box::pin(PgStore::security_page(self, before_id, limit))
    }

    fn agents(&self) -> StoreFuture<'_, Vec<AgentName>> {
        Box::pin(PgStore::agents(self))
    }

    fn dimensions(&self) -> StoreFuture<'_, Vec<DimensionStatus>> {
        Box::pin(PgStore::dimensions(self))
    }

    fn metadata_fields_seen(&self, sample: u32) -> StoreFuture<'_, Vec<SeenField>> {
        Box::pin(PgStore::metadata_fields_seen(self, sample))
    }
}
