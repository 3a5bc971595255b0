//! How much history the database keeps, and the background task that keeps it so: calls
//! older than N days, or the oldest calls while the data exceeds N GB. The store prunes in
//! small steps through its writer, so deliveries never wait behind a prune.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;
use calleague_store::{Store, StoreSize};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::error::{AppError, AppResult};
use crate::Engine;

/// How often retention is applied besides right after a change of it.
const EVERY: Duration = Duration::from_secs(60 * 60);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Keep everything (the default), or within these limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Retention {
    /// Calls whose last event is older than this many days are removed.
    pub keep_days: Option<u32>,
    /// The oldest calls are removed while the data takes more than this many GB.
    pub max_gb: Option<f64>,
}

/// Where the data lives, how big it is, and what retention last did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DataInfo {
    pub path: String,
    pub size: StoreSize,
    pub retention: Retention,
    pub last_prune: Option<PruneReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub at: Timestamp,
    pub calls: u64,
    pub events: u64,
    /// Why the last prune failed, if it did (it is tried again within the hour).
    pub error: Option<String>,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::new(ErrorCode::SettingInvalid, message).on_field(field)
}

pub fn validated(r: Retention) -> AppResult<Retention> {
    if r.keep_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
        return Err(invalid("keepDays", "Keep from 1 day to 100 years, or everything."));
    }
    if r.max_gb.is_some_and(|g| !g.is_finite() || !(0.01..=100_000.0).contains(&g)) {
        return Err(invalid("maxGb", "Choose at least 0.01 GB (10 MB), or no limit."));
    }
    Ok(r)
}

/// The background task: prunes on start, after each change, and every hour.
pub(crate) struct Pruner {
    settings: watch::Sender<Retention>,
    last: Arc<Mutex<Option<PruneReport>>>,
}

impl Pruner {
    pub fn start(store: Arc<Store>, retention: Retention) -> Self {
        let (settings, mut changes) = watch::channel(retention);
        let last = Arc::new(Mutex::new(None));
        let report = last.clone();
        tokio::spawn(async move {
            loop {
                let retention = *changes.borrow_and_update();
                if retention != Retention::default() {
                    let result = prune(&store, retention).await;
                    if let Ok(mut last) = report.lock() {
                        *last = Some(result);
                    }
                }
                tokio::select! {
                    changed = changes.changed() => if changed.is_err() { return },
                    _ = tokio::time::sleep(EVERY) => {}
                }
            }
        });
        Self { settings, last }
    }
}

async fn prune(store: &Store, retention: Retention) -> PruneReport {
    let mut report = PruneReport { at: Timestamp::now(), calls: 0, events: 0, error: None };
    let mut step = async || -> calleague_store::Result<()> {
        if let Some(days) = retention.keep_days {
            let cutoff = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - i64::from(days) * DAY_MS)
                .map_err(|e| calleague_store::StoreError::Corrupt(e.to_string()))?;
            let pruned = store.prune_before(cutoff).await?;
            report.calls += pruned.calls;
            report.events += pruned.events;
        }
        if let Some(gb) = retention.max_gb {
            let pruned = store.prune_to_size((gb * 1e9) as u64).await?;
            report.calls += pruned.calls;
            report.events += pruned.events;
        }
        Ok(())
    };
    if let Err(e) = step().await {
        tracing::warn!(code = %e.code(), error = %e, "retention could not prune");
        report.error = Some(e.to_string());
    }
    if report.calls > 0 {
        tracing::info!(calls = report.calls, events = report.events, "retention pruned old calls");
    }
    report
}

impl Engine {
    /// Starts applying the saved retention in the background. Once; inside the runtime.
    pub async fn start_retention(&self) {
        let retention = self.settings.lock().await.retention;
        let store = self.store().clone();
        self.pruner.get_or_init(|| Pruner::start(store, retention));
    }

    /// Checks, saves, then applies at once (in the background).
    pub async fn apply_retention(&self, retention: Retention) -> AppResult<()> {
        let retention = validated(retention)?;
        self.update_settings(|s| s.retention = retention).await?;
        if let Some(pruner) = self.pruner.get() {
            pruner.settings.send_replace(retention);
        }
        Ok(())
    }

    pub async fn data_info(&self) -> AppResult<DataInfo> {
        let store = self.store().clone();
        let size = tokio::task::spawn_blocking(move || store.size())
            .await
            .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))??;
        Ok(DataInfo {
            path: self.store().path().display().to_string(),
            size,
            retention: self.settings.lock().await.retention,
            last_prune: self.pruner.get().and_then(|p| p.last.lock().ok().and_then(|l| l.clone())),
        })
    }

    /// Applies the saved retention now and waits for it: what it removed.
    pub async fn prune_now(&self) -> PruneReport {
        let retention = self.settings.lock().await.retention;
        let report = prune(self.store(), retention).await;
        if let Some(last) = self.pruner.get().and_then(|p| p.last.lock().ok()).as_mut() {
            **last = Some(report.clone());
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_by_field() {
        assert!(validated(Retention::default()).is_ok());
        assert!(validated(Retention { keep_days: Some(30), max_gb: Some(2.5) }).is_ok());
        let field = |r| validated(r).unwrap_err().field.unwrap();
        assert_eq!(field(Retention { keep_days: Some(0), max_gb: None }), "keepDays");
        assert_eq!(field(Retention { keep_days: None, max_gb: Some(0.0) }), "maxGb");
        assert_eq!(field(Retention { keep_days: None, max_gb: Some(f64::NAN) }), "maxGb");
    }
}
