//! Live updates for a viewer: `LISTEN` on the channel every receiver `NOTIFY`s at each
//! commit, each announced delivery read back, and handed to this process's feed, as the
//! SQLite store's writer hands over what it commits.
//!
//! Notifications arrive only while the connection is up. After it drops, the watcher
//! reconnects and first reads what was committed after the last delivery it saw, so a
//! viewer misses nothing that committed in order. (Two receivers can commit ids out of
//! order; a delivery whose transaction began before and committed after a reconnect is
//! still on the timeline, which reads the database, but may not come through the feed.)

use std::sync::Weak;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::FeedItem;
use tokio::sync::mpsc;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{AsyncMessage, Socket};

use crate::{DatabaseUrl, PgStore, FEED_CHANNEL};

/// The most deliveries read back in one query.
const BATCH: usize = 256;

/// Runs until the store is dropped. `ready` is told once the first LISTEN is in place,
/// with the newest event id then: later commits all come through.
pub(crate) async fn watch(store: Weak<PgStore>, url: DatabaseUrl, ready: tokio::sync::oneshot::Sender<()>) {
    let mut ready = Some(ready);
    let mut last_seen: Option<i64> = None;
    // The newest event when listening began: a receiver announces its commits a moment
    // after them, so an announcement heard now may be of one committed before; that is
    // history (a desktop that was closed reads it back with `feed_since`), not news.
    let mut before_listening: Option<i64> = None;
    let mut failures = 0u32;
    loop {
        let listening = match url.connector() {
            Ok(Some(tls)) => listen(url.config(), tls).await,
            Ok(None) => listen(url.config(), tokio_postgres::NoTls).await,
            // Checked when the store connected; a file changed since is reported here.
            Err(reason) => Err(reason),
        };
        let (_client, ids, connection_task) = match listening {
            Ok(listening) => listening,
            Err(reason) => {
                if failures == 0 {
                    tracing::warn!(error = %reason, "live updates: cannot listen; retrying");
                }
                failures += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
                if store.upgrade().is_none() {
                    return;
                }
                continue;
            }
        };
        if failures > 0 {
            tracing::info!("live updates: listening again");
        }
        failures = 0;
        if let Some(ready) = ready.take() {
            if let Some(store) = store.upgrade() {
                last_seen = store.newest_event_id().await.ok();
                before_listening = last_seen;
            }
            let _ = ready.send(());
        } else if let (Some(after), Some(store)) = (last_seen, store.upgrade()) {
            // Listening again: what committed while nobody listened.
            if let Ok(missed) = store.event_ids_after(after).await {
                forward(&store, &missed, &mut last_seen).await;
            }
        }
        if !receive(&store, ids, &mut last_seen, before_listening).await {
            connection_task.abort();
            return;
        }
        connection_task.abort();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

type Listening = (tokio_postgres::Client, mpsc::UnboundedReceiver<i64>, tokio::task::JoinHandle<()>);

/// A connection of its own that listens (kept open while its client is held); its
/// notifications' payloads (delivery ids) come through the channel, which closes when the
/// connection does.
async fn listen<T>(config: &tokio_postgres::Config, tls: T) -> Result<Listening, String>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let failed = |e: tokio_postgres::Error| crate::config::db_error(&e);
    let (client, mut connection) = config.connect(tls).await.map_err(failed)?;
    let (tx, rx) = mpsc::unbounded_channel();
    // The client's own statements go through this loop too, so it runs from the start.
    let task = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(note)) => {
                    for id in crate::announce::parse(note.payload()) {
                        if tx.send(id).is_err() {
                            return;
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %crate::config::db_error(&e), "live updates: the connection failed");
                    return;
                }
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {FEED_CHANNEL}")).await {
        task.abort();
        return Err(failed(e));
    }
    Ok((client, rx, task))
}

/// Forwards notified deliveries newer than `before_listening` until the connection ends
/// (`true`) or the store is dropped (`false`).
async fn receive(
    store: &Weak<PgStore>,
    mut ids: mpsc::UnboundedReceiver<i64>,
    last_seen: &mut Option<i64>,
    before_listening: Option<i64>,
) -> bool {
    loop {
        let Some(first) = ids.recv().await else { return store.upgrade().is_some() };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match ids.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        batch.retain(|id| before_listening.is_none_or(|before| *id > before));
        if batch.is_empty() {
            continue;
        }
        let Some(store) = store.upgrade() else { return false };
        forward(&store, &batch, last_seen).await;
    }
}

/// Reads these deliveries' events and their calls, and sends them to the feed.
async fn forward(store: &PgStore, ids: &[i64], last_seen: &mut Option<i64>) {
    let items = match store.feed_items(ids).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "live updates: cannot read the announced deliveries");
            return;
        }
    };
    for item in items {
        if let FeedItem::Event { event, .. } = &item {
            *last_seen = Some(last_seen.map_or(event.id, |seen| seen.max(event.id)));
        }
        let _ = store.feed.send(item);
    }
}

impl PgStore {
    /// These deliveries' events, each with its call as it now is, as the feed carries them.
    async fn feed_items(&self, ids: &[i64]) -> calleague_store::Result<Vec<FeedItem>> {
        let events = self.events_by_id(ids).await?;
        // The batch's calls in one query (not one per event: a busy fleet sends hundreds).
        let mut call_ids: Vec<&str> =
            events.iter().filter(|e| !e.hidden).filter_map(|e| e.call_id.as_deref()).collect();
        call_ids.sort_unstable();
        call_ids.dedup();
        let calls = self.calls_by_id(&call_ids).await?;
        Ok(events
            .into_iter()
            .map(|event| {
                let call = match &event.call_id {
                    Some(call_id) if !event.hidden => calls.get(call_id).cloned().map(Box::new),
                    _ => None,
                };
                FeedItem::Event { event: Box::new(event), call }
            })
            .collect())
    }

    /// The feed again for what was received from `since` on (at most `limit` deliveries,
    /// oldest first): for a desktop that was not watching meanwhile.
    pub async fn feed_since(&self, since: Timestamp, limit: u32) -> calleague_store::Result<Vec<FeedItem>> {
        let ids = self.delivery_ids_since(since.unix_millis(), limit).await?;
        self.feed_items(&ids).await
    }
}
