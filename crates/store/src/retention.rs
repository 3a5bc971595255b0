//! Keeping the database within the user's limits: calls older than N days, or the oldest
//! calls while it holds more than N bytes. Pruning goes through the one writer in small
//! steps, so deliveries queued meanwhile are committed between them, never behind it all.

use calleague_events::Timestamp;

use crate::model::Pruned;
use crate::writer::Write;
use crate::{IngestOutcome, Result, Store, StoreError};

/// Calls per prune step: a step takes milliseconds, so a delivery waits at most that long.
const STEP: usize = 200;

/// How big the database is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreSize {
    /// The database file and its write-ahead log on disk.
    pub file_bytes: u64,
    /// The pages that hold data; freed pages are reused before the file grows again.
    pub used_bytes: u64,
}

impl Store {
    /// Removes every call whose last event happened before `cutoff`, whole, and events
    /// of no call from before it. Returns what went.
    pub async fn prune_before(&self, cutoff: Timestamp) -> Result<Pruned> {
        let mut total = Pruned::default();
        loop {
            let step = self.prune_step(cutoff.unix_millis()).await?;
            total.calls += step.calls;
            total.events += step.events;
            if step == Pruned::default() {
                return Ok(total);
            }
        }
    }

    /// Removes the oldest calls, whole, while the data takes more than `max_bytes`.
    pub async fn prune_to_size(&self, max_bytes: u64) -> Result<Pruned> {
        let mut total = Pruned::default();
        while self.size()?.used_bytes > max_bytes {
            let step = self.prune_step(i64::MAX).await?;
            if step == Pruned::default() {
                break;
            }
            total.calls += step.calls;
            total.events += step.events;
        }
        Ok(total)
    }

    async fn prune_step(&self, before_ms: i64) -> Result<Pruned> {
        match self.submit(Write::Prune { before_ms, limit: STEP }).await? {
            IngestOutcome::Pruned(step) => Ok(step),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }

    pub fn size(&self) -> Result<StoreSize> {
        let on_disk = |suffix: &str| {
            let mut path = self.path().as_os_str().to_owned();
            path.push(suffix);
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        };
        let used = self.with_reader(|conn| {
            let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
            let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
            let size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
            Ok(((pages - free).max(0) * size) as u64)
        })?;
        Ok(StoreSize { file_bytes: on_disk("") + on_disk("-wal"), used_bytes: used })
    }
}
