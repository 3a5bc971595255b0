//! Live updates for a viewer: `LISTEN` on the channel every receiver `NOTIFY`s at each
//! commit, each announced delivery read back, and handed to this process's feed, as the
//! SQLite store's writer hands over what it commits.
//!
//! Notifications arrive only while the connection is up. After it drops, the watcher
//! reconnects and first reads what was committed after the last delivery it saw, so a
//! viewer misses nothing that committed in order. (Two receivers can commit ids out of
//! order; a delivery whose transaction began before and committed after a reconnect is
//! still on the timeline, which reads the database, but may not come through the feed.)
//!
//! NOTIFY needs no privilege: any role on the database can send the channel anything, as
//! often as it likes. What is heard is therefore kept bounded and coalesced ([`Heard`]):
//! at most [`MAX_HEARD`] ids wait to be read; past that, only "something after the last
//! delivery seen changed" is kept, and the database is asked what that was.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::FeedItem;
use tokio::sync::Notify;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{AsyncMessage, Socket};

use crate::{DatabaseUrl, PgStore, FEED_CHANNEL};

/// The most deliveries read back in one query.
const BATCH: usize = 256;
/// The most announced ids that wait to be read back; beyond them a flood is coalesced.
pub(crate) const MAX_HEARD: usize = 4096;

/// What the listening connection heard and the watcher has not read yet: bounded, whatever
/// is sent to the channel.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Heard {
    pub ids: BTreeSet<i64>,
    /// More was announced than [`MAX_HEARD`] holds: read everything after the last seen.
    pub overflowed: bool,
    /// The connection ended.
    pub closed: bool,
}

impl Heard {
    pub(crate) fn hear(&mut self, id: i64) {
        if self.ids.len() < MAX_HEARD || self.ids.contains(&id) {
            self.ids.insert(id);
        } else {
            self.overflowed = true;
        }
    }
}

/// The heard ids, shared between the connection's task and the watcher.
#[derive(Default)]
struct Hearing {
    heard: Mutex<Heard>,
    wake: Notify,
}

impl Hearing {
    fn update(&self, f: impl FnOnce(&mut Heard)) {
        if let Ok(mut heard) = self.heard.lock() {
            f(&mut heard);
        }
        self.wake.notify_one();
    }

    fn take(&self) -> Heard {
        self.heard.lock().map(|mut heard| std::mem::take(&mut *heard)).unwrap_or_default()
    }
}

/// Runs until the store is dropped. `ready` is told once the first LISTEN is in place,
/// with the newest event id then: later commits all come through. `link` says whether the
/// listening connection is up and answering; it is asked every `check_every` (a half-open
/// link sends nothing and fails nothing: only a question with a time limit finds it).
pub(crate) async fn watch(
    store: Weak<PgStore>,
    url: DatabaseUrl,
    ready: tokio::sync::oneshot::Sender<()>,
    link: tokio::sync::watch::Sender<bool>,
    check_every: Duration,
) {
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
        let (client, ids, connection_task) = match listening {
            Ok(listening) => listening,
            Err(reason) => {
                link.send_replace(false);
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
        link.send_replace(true);
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
        let received = tokio::select! {
            received = receive(&store, ids, &mut last_seen, before_listening) => received,
            () = unanswered(&client, check_every) => {
                tracing::warn!("live updates: the team database stopped answering; reconnecting");
                true
            }
        };
        link.send_replace(false);
        connection_task.abort();
        if !received {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks the listening connection a question every `every`; returns when one was not
/// answered within `every` (or failed).
async fn unanswered(client: &tokio_postgres::Client, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        match tokio::time::timeout(every, client.simple_query("SELECT 1")).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
    }
}

type Listening = (tokio_postgres::Client, Arc<Hearing>, tokio::task::JoinHandle<()>);

/// A connection of its own that listens (kept open while its client is held); its
/// notifications' payloads (delivery ids) are gathered in the [`Hearing`], which says
/// `closed` when the connection ends.
async fn listen<T>(config: &tokio_postgres::Config, tls: T) -> Result<Listening, String>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let failed = |e: tokio_postgres::Error| crate::config::db_error(&e);
    let (client, mut connection) = config.connect(tls).await.map_err(failed)?;
    let hearing = Arc::new(Hearing::default());
    let heard = hearing.clone();
    // The client's own statements go through this loop too, so it runs from the start.
    let task = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(note)) => {
                    let ids = crate::announce::parse(note.payload());
                    heard.update(|heard| ids.into_iter().for_each(|id| heard.hear(id)));
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %crate::config::db_error(&e), "live updates: the connection failed");
                    break;
                }
            }
        }
        heard.update(|heard| heard.closed = true);
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {FEED_CHANNEL}")).await {
        task.abort();
        return Err(failed(e));
    }
    Ok((client, hearing, task))
}

/// Forwards notified deliveries newer than `before_listening` until the connection ends
/// (`true`) or the store is dropped (`false`).
async fn receive(
    store: &Weak<PgStore>,
    hearing: Arc<Hearing>,
    last_seen: &mut Option<i64>,
    before_listening: Option<i64>,
) -> bool {
    loop {
        hearing.wake.notified().await;
        let heard = hearing.take();
        let Some(store) = store.upgrade() else { return false };
        let mut ids: Vec<i64> =
            heard.ids.into_iter().filter(|id| before_listening.is_none_or(|before| *id > before)).collect();
        if heard.overflowed {
            // A flood (or a very busy fleet): what committed after the last seen, from the
            // database itself rather than from what was heard (from the start when nothing
            // was there to see yet).
            if let Ok(newer) = store.event_ids_after(last_seen.unwrap_or(0)).await {
                ids.extend(newer);
            }
            ids.sort_unstable();
            ids.dedup();
        }
        for batch in ids.chunks(BATCH) {
            forward(&store, batch, last_seen).await;
        }
        if heard.closed {
            return true;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_announcements_is_held_in_bounded_memory() {
        let mut heard = Heard::default();
        for id in 0..1_000_000 {
            heard.hear(id);
        }
        assert_eq!(heard.ids.len(), MAX_HEARD);
        assert!(heard.overflowed, "the rest is only 'something changed'");
        // Repeats of an id already held are no overflow.
        let mut repeats = Heard::default();
        for _ in 0..100_000 {
            repeats.hear(7);
        }
        assert_eq!((repeats.ids.len(), repeats.overflowed), (1, false));
    }
}
