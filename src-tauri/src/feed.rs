//! The live feed to the UI: one long-lived Channel per window, carrying batches every
//! ~100 ms or 500 items, whichever comes first.

use std::sync::Arc;
use std::time::Duration;

use calleague_store::{FeedItem, Store};
use serde::Serialize;
use tauri::ipc::Channel;
use tokio::sync::broadcast::error::RecvError;

const MAX_BATCH: usize = 500;
const MAX_WAIT: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedBatch {
    pub items: Vec<FeedItem>,
    /// The UI fell behind and items were dropped: it should re-read from the store.
    pub resync: bool,
}

/// Forwards the store's feed to `channel` until the window goes away.
pub fn forward(store: Arc<Store>, channel: Channel<FeedBatch>) {
    let mut feed = store.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let mut batch = FeedBatch { items: Vec::new(), resync: false };
            // Wait for the first item without a deadline, then gather for up to MAX_WAIT.
            match feed.recv().await {
                Ok(item) => batch.items.push(item),
                Err(RecvError::Lagged(_)) => batch.resync = true,
                Err(RecvError::Closed) => return,
            }
            let deadline = tokio::time::Instant::now() + MAX_WAIT;
            while batch.items.len() < MAX_BATCH {
                match tokio::time::timeout_at(deadline, feed.recv()).await {
                    Ok(Ok(item)) => batch.items.push(item),
                    Ok(Err(RecvError::Lagged(_))) => batch.resync = true,
                    Ok(Err(RecvError::Closed)) | Err(_) => break,
                }
            }
            if channel.send(batch).is_err() {
                tracing::debug!("the window's feed channel closed");
                return;
            }
        }
    });
}
