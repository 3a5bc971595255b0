//! The heartbeat that records when the receiver was up.

use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{StoreError, UptimeLog};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// A running heartbeat. `stop` writes a last beat, so a clean stop leaves no gap.
pub struct Uptime {
    session: i64,
    store: Arc<dyn UptimeLog>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Uptime {
    pub async fn start(store: Arc<dyn UptimeLog>, interval: Duration) -> Result<Self, StoreError> {
        let session = store.start_uptime(Timestamp::now(), interval).await?;
        let (stop, mut stopped) = watch::channel(false);
        let beating = store.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.tick().await;
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = ticker.tick() => {
                        if let Err(e) = beating.heartbeat(session, Timestamp::now()).await {
                            tracing::warn!(error = %e, "could not record the heartbeat");
                        }
                    }
                }
            }
        });
        Ok(Self { session, store, stop, task })
    }

    pub fn session(&self) -> i64 {
        self.session
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        if let Err(e) = self.store.end_uptime(self.session, Timestamp::now()).await {
            tracing::warn!(error = %e, "could not record the last heartbeat");
        }
    }
}
