//! The live feed to a window: one long-lived channel per window. A quiet feed sends an item
//! at once; a busy one sends at most one batch per 100 ms (or per 500 items), because one
//! message per item costs the webview far more than one per batch.

use std::time::Duration;

use calleague_store::FeedItem;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

const MAX_BATCH: usize = 500;
const MAX_WAIT: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedBatch {
    pub items: Vec<FeedItem>,
    /// The UI fell behind and items were dropped: it should re-read from the store.
    pub resync: bool,
}

/// Forwards a store's feed (`Engine::subscribe_feed`) in batches to `send` until it
/// returns false (the window went away) or the store closes. `send` is the window's IPC
/// channel in the app.
pub fn forward(
    mut feed: Receiver<FeedItem>,
    mut send: impl FnMut(FeedBatch) -> bool + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let now = Instant::now();
        let mut last_sent = now.checked_sub(MAX_WAIT).unwrap_or(now);
        while let Some(batch) = next_batch(&mut feed, last_sent).await {
            if !send(batch) {
                tracing::debug!("the window's feed channel closed");
                return;
            }
            last_sent = Instant::now();
        }
    })
}

/// Waits for the first item without a deadline, then gathers until MAX_WAIT after the last
/// send: after a quiet spell, only what is already queued. `None` once the feed is closed.
pub async fn next_batch(feed: &mut Receiver<FeedItem>, last_sent: Instant) -> Option<FeedBatch> {
    let mut batch = FeedBatch { items: Vec::new(), resync: false };
    match feed.recv().await {
        Ok(item) => batch.items.push(item),
        Err(RecvError::Lagged(_)) => batch.resync = true,
        Err(RecvError::Closed) => return None,
    }
    let deadline = (last_sent + MAX_WAIT).max(Instant::now());
    while batch.items.len() < MAX_BATCH {
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Ok(Ok(item)) => batch.items.push(item),
            Ok(Err(RecvError::Lagged(_))) => batch.resync = true,
            Ok(Err(RecvError::Closed)) | Err(_) => break,
        }
    }
    Some(batch)
}

#[cfg(test)]
mod tests {
    //! On tokio's paused clock: time moves only when every task waits, so these check when
    //! a batch is cut without measuring any real time.
    use super::*;
    use tokio::sync::broadcast;

    fn item(id: i64) -> FeedItem {
        FeedItem::Quarantined { id }
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_feed_sends_at_once_with_what_is_queued() {
        let (tx, mut rx) = broadcast::channel(16);
        tx.send(item(1)).unwrap();
        tx.send(item(2)).unwrap();
        let long_ago = Instant::now() - Duration::from_secs(5);
        let begun = Instant::now();
        let batch = next_batch(&mut rx, long_ago).await.unwrap();
        assert_eq!(batch.items, vec![item(1), item(2)]);
        assert_eq!(Instant::now(), begun, "no wait after a quiet spell");
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_feed_sends_one_batch_per_interval() {
        let (tx, mut rx) = broadcast::channel(16);
        let just_sent = Instant::now();
        tx.send(item(1)).unwrap();
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            tx.send(item(2)).unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.send(item(3)).unwrap();
        });
        let batch = next_batch(&mut rx, just_sent).await.unwrap();
        assert_eq!(batch.items, vec![item(1), item(2)], "gathered for the rest of the interval");
        assert_eq!(Instant::now(), just_sent + MAX_WAIT);
        let batch = next_batch(&mut rx, Instant::now()).await.unwrap();
        assert_eq!(batch.items, vec![item(3)]);
        sender.await.unwrap();
        assert!(next_batch(&mut rx, Instant::now()).await.is_none(), "closed with the sender");
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscriber_that_fell_behind_is_told_to_resync() {
        let (tx, mut rx) = broadcast::channel(2);
        for id in 0..5 {
            tx.send(item(id)).unwrap();
        }
        let batch = next_batch(&mut rx, Instant::now() - Duration::from_secs(1)).await.unwrap();
        assert!(batch.resync);
        assert_eq!(batch.items, vec![item(3), item(4)]);
    }
}
