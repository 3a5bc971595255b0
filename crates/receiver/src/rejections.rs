//! The security log, gathered in memory: a rejected request costs a map update, not a
//! database write. A flood of wrong tokens would otherwise put one write per request into
//! the same store (and, in team mode, the same connection pool) that real deliveries wait
//! on, and make them time out into 503s. Rejections are counted by address, reason and
//! minute (the log's own rows) and written once a second, and at a stop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{DeliverySink, RejectionTally, SecurityEntry};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often what was gathered is written.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The most (address, reason, minute) rows gathered between two writes. Beyond it new
/// rows are counted only in the total dropped (said in the log): a flood from many
/// addresses cannot grow memory without bound.
const MAX_PENDING: usize = 10_000;

type Key = (i64, String, String);

#[derive(Default)]
struct Pending {
    tallies: HashMap<Key, RejectionTally>,
    dropped: u64,
}

#[derive(Default)]
pub(crate) struct RejectionLog {
    pending: Mutex<Pending>,
    /// One write at a time, in order: the timer's and a stop's.
    writing: tokio::sync::Mutex<()>,
}

impl RejectionLog {
    /// Counts one rejected request. Never waits on the store.
    pub fn note(&self, peer: SocketAddr, reason: &str) {
        let at = Timestamp::now();
        let key = (at.unix_millis().div_euclid(60_000), peer.ip().to_string(), reason.to_owned());
        let Ok(mut pending) = self.pending.lock() else { return };
        let full = pending.tallies.len() >= MAX_PENDING;
        match pending.tallies.get_mut(&key) {
            Some(tally) => {
                tally.count = tally.count.saturating_add(1);
                tally.last = at;
            }
            None if full => pending.dropped += 1,
            None => {
                let entry = SecurityEntry { at, peer: Some(peer.to_string()), reason: reason.to_owned() };
                pending.tallies.insert(key, entry.into());
            }
        }
    }

    /// Writes what was gathered; what cannot be written is said in the log and let go (the
    /// security log is a record for a person, never a reason to hold deliveries up).
    pub async fn flush(&self, store: &dyn DeliverySink) {
        let _one_at_a_time = self.writing.lock().await;
        let (tallies, dropped) = match self.pending.lock() {
            Ok(mut pending) => (std::mem::take(&mut pending.tallies), std::mem::take(&mut pending.dropped)),
            Err(_) => return,
        };
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "rejected requests from too many addresses at once: some not written to the security log"
            );
        }
        let mut tallies: Vec<RejectionTally> = tallies.into_values().collect();
        tallies.sort_by_key(|t| t.entry.at);
        for tally in tallies {
            tracing::warn!(peer = tally.entry.peer.as_deref(), reason = %tally.entry.reason, count = tally.count, "rejected deliveries");
            if let Err(e) = store.log_security(tally).await {
                tracing::error!(error = %e, "could not write the security log");
            }
        }
    }

    /// Writes every [`FLUSH_EVERY`] until `stop` turns true, then once more.
    pub fn spawn_writer(
        self: &Arc<Self>,
        store: Arc<dyn DeliverySink>,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let log = self.clone();
        tokio::spawn(async move {
            loop {
                let stopping = tokio::select! {
                    _ = tokio::time::sleep(FLUSH_EVERY) => false,
                    _ = stop.wait_for(|stopped| *stopped) => true,
                };
                log.flush(store.as_ref()).await;
                if stopping {
                    break;
                }
            }
        })
    }
}
