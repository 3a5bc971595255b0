//! When the receiver was up, and which downtime windows were caught up.

use calleague_events::Timestamp;

use crate::query::TimeRange;
use crate::writer::Write;
use crate::{IngestOutcome, Result, Store, StoreError};

impl Store {
    /// Records the start of a run; returns its id for [`Store::heartbeat`].
    pub async fn start_uptime(&self, at: Timestamp) -> Result<i64> {
        self.session_write(Write::Heartbeat { session: None, at }).await
    }

    /// Moves a run's last-seen-alive time forward.
    pub async fn heartbeat(&self, session: i64, at: Timestamp) -> Result<()> {
        self.session_write(Write::Heartbeat { session: Some(session), at }).await.map(|_| ())
    }

    /// Notes that a downtime window was read back from the REST API.
    pub async fn record_catchup(&self, window: TimeRange, calls_merged: i64) -> Result<()> {
        let (Some(from), Some(to)) = (window.from, window.to) else {
            return Err(StoreError::Corrupt("a catch-up window needs both ends".into()));
        };
        self.session_write(Write::CatchupDone { from, to, calls_merged }).await.map(|_| ())
    }

    async fn session_write(&self, write: Write) -> Result<i64> {
        match self.submit(write).await? {
            IngestOutcome::Logged { id } => Ok(id),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }

    /// The gaps between runs longer than `min_gap_ms` that have not been caught up yet,
    /// oldest first. A gap runs from a run's last heartbeat to the next run's start.
    pub fn downtime_windows(&self, min_gap_ms: i64) -> Result<Vec<TimeRange>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT prev.last_beat_ms, next.started_ms FROM uptime next
                 JOIN uptime prev ON prev.id = (SELECT max(id) FROM uptime WHERE id < next.id)
                 WHERE next.started_ms - prev.last_beat_ms > ?1
                   AND NOT EXISTS (SELECT 1 FROM catchup_windows c
                                   WHERE c.from_ms <= prev.last_beat_ms AND c.to_ms >= next.started_ms)
                 ORDER BY next.id",
            )?;
            let rows = stmt.query_map([min_gap_ms], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
            let mut windows = Vec::new();
            for row in rows {
                let (from, to) = row?;
                windows.push(TimeRange {
                    from: Timestamp::from_unix_millis(from).ok(),
                    to: Timestamp::from_unix_millis(to).ok(),
                });
            }
            Ok(windows)
        })
    }
}
