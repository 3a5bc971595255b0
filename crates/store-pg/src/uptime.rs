//! When the fleet was up, and catch-up after downtime taken by one receiver at a time.
//!
//! Each receiver records its runs; the fleet was down where no run covered the time: a
//! window runs from the latest heartbeat of every run that started before (plus one
//! interval for a run that did not stop cleanly: its next beat was due), to the next
//! run's start. Catch-up holds an advisory lock for its whole duration, so when receivers
//! start together after a downtime one reads the window from the REST API and the others,
//! let in after it, find the window already caught up.

use calleague_events::Timestamp;
use calleague_store::{Result, StoreError, StoreFuture, TimeRange, UptimeLog};

use crate::{config, unavailable, PgStore};

/// Each run's start, and until when the runs that started before it covered the time:
/// their latest beat, plus one interval for a run that did not stop cleanly (its next beat
/// was due). Where a start is later than that, no receiver was up.
pub(crate) const RUNS: &str = "WITH runs AS (
    SELECT started_ms,
           max(last_beat_ms + CASE WHEN stopped THEN 0 ELSE interval_ms END) OVER (ORDER BY started_ms, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM uptime)";

/// The key of the catch-up lock, the same in every receiver ("catchup!").
const CATCH_UP_LOCK: i64 = 0x6361_7463_6875_7021;
/// The key of the REST source's lock: one receiver of the fleet reads the calls list
/// ("restsrc!").
const REST_SOURCE_LOCK: i64 = 0x7265_7374_7372_6321;
/// Held by the receiver that evaluates the fleet's alert rules.
const ALERT_RULES_LOCK: i64 = 0x616c_6572_7473_2121;

/// A lock one receiver of the fleet holds at a time; released when dropped (its
/// connection closes, so a receiver that dies holding it releases it too).
pub struct FleetLock {
    _client: deadpool_postgres::ClientWrapper,
}

/// The longest a receiver waits for the catch-up lock. Any role can take an advisory lock
/// (no privilege is needed), so the wait is bounded: past it, catch-up is left to the lock's
/// holder (a receiver catching the same window up records it; anything else is named in
/// the error) and tried again at the next start.
pub const CATCH_UP_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

impl PgStore {
    /// Waits (at most `wait`) until no other receiver is catching up, then holds the lock.
    pub async fn lock_catch_up(&self, wait: std::time::Duration) -> Result<FleetLock> {
        self.session_lock(CATCH_UP_LOCK, "catch-up", Some(wait)).await
    }

    /// Waits until no other receiver runs the REST source, then holds the lock: the
    /// receiver that holds it reconciles (or polls) for the fleet until it stops. Waiting
    /// is the point here (the next receiver takes over when the holder stops): no bound.
    pub async fn lock_rest_source(&self) -> Result<FleetLock> {
        self.session_lock(REST_SOURCE_LOCK, "REST source", None).await
    }

    /// Waits until no other receiver evaluates the alert rules, then holds the lock: the
    /// holder evaluates them (and posts to the chat webhook) for the fleet until it stops,
    /// and the next receiver takes over. No bound, as for the REST source.
    pub async fn lock_alert_rules(&self) -> Result<FleetLock> {
        self.session_lock(ALERT_RULES_LOCK, "alert rules", None).await
    }

    async fn session_lock(&self, key: i64, what: &str, wait: Option<std::time::Duration>) -> Result<FleetLock> {
        let pooled = self.pool.get().await.map_err(|e| StoreError::Unavailable(config::pool_error(&e)))?;
        // Out of the pool: a session lock must never go back to it with the connection.
        let client = deadpool_postgres::Object::take(pooled);
        let timeout_ms = wait.map_or(0, |w| w.as_millis().max(1) as i64);
        client.batch_execute(&format!("SET lock_timeout = {timeout_ms}")).await.map_err(unavailable)?;
        if let Err(e) = client.execute("SELECT pg_advisory_lock($1)", &[&key]).await {
            return Err(crate::locks::waited_too_long(&client, e, key, what, wait).await);
        }
        client.batch_execute("SET lock_timeout = 0").await.map_err(unavailable)?;
        Ok(FleetLock { _client: client })
    }

    /// Moves a run's last beat forward; `stopped` when it ends cleanly.
    async fn beat(&self, session: i64, at: Timestamp, stopped: bool) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE uptime SET last_beat_ms = greatest(last_beat_ms, $2), stopped = stopped OR $3 WHERE id = $1",
                &[&session, &at.unix_millis(), &stopped],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

fn window(from: i64, to: i64) -> TimeRange {
    TimeRange { from: Timestamp::from_unix_millis(from).ok(), to: Timestamp::from_unix_millis(to).ok() }
}

impl UptimeLog for PgStore {
    fn start_uptime(&self, at: Timestamp, interval: std::time::Duration) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let client = self.client().await?;
            let (ms, interval_ms) = (at.unix_millis(), interval.as_millis() as i64);
            let row = client
                .query_one(
                    "INSERT INTO uptime (started_ms, last_beat_ms, interval_ms) VALUES ($1, $1, $2) RETURNING id",
                    &[&ms, &interval_ms],
                )
                .await
                .map_err(unavailable)?;
            Ok(row.get(0))
        })
    }

    fn heartbeat(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(self.beat(session, at, false))
    }

    fn end_uptime(&self, session: i64, at: Timestamp) -> StoreFuture<'_, ()> {
        Box::pin(self.beat(session, at, true))
    }

    fn downtime_windows(&self, min_gap_ms: i64) -> StoreFuture<'_, Vec<TimeRange>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "{RUNS} SELECT covered_until, started_ms FROM runs
                     WHERE started_ms - covered_until > $1
                       AND NOT EXISTS (SELECT 1 FROM catchup_windows c
                                       WHERE c.from_ms <= runs.covered_until AND c.to_ms >= runs.started_ms)
                     ORDER BY started_ms"
                    ),
                    &[&min_gap_ms],
                )
                .await
                .map_err(unavailable)?;
            Ok(rows.iter().map(|row| window(row.get(0), row.get(1))).collect())
        })
    }

    fn record_catchup(&self, window: TimeRange, calls_merged: i64) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let (Some(from), Some(to)) = (window.from, window.to) else {
                return Err(StoreError::Corrupt("a catch-up window needs both ends".into()));
            };
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO catchup_windows (from_ms, to_ms, finished_ms, calls_merged) VALUES ($1, $2, $3, $4)",
                    &[&from.unix_millis(), &to.unix_millis(), &Timestamp::now().unix_millis(), &calls_merged],
                )
                .await
                .map_err(unavailable)?;
            Ok(())
        })
    }
}
