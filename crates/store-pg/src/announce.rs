//! Announcing commits to viewers: `NOTIFY calleague_feed` with the ids of the deliveries
//! this receiver committed, a few at a time, after their commits.
//!
//! Not inside each delivery's transaction: PostgreSQL holds one cluster-wide lock from a
//! notifying transaction's pre-commit to its end, so every notifying commit waits for the
//! previous one's flush to disk and commits stop sharing flushes. Measured with one
//! NOTIFY per delivery (`cargo xtask bench team`): about 1,000 deliveries/s, whatever the
//! number of receivers. Batched here, that lock is taken a few dozen times a second.
//!
//! Best effort, like the SQLite store's feed: a receiver that dies between a commit and
//! its announcement leaves those deliveries to the viewers' next read of the database.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::mpsc;

use crate::FEED_CHANNEL;

/// How long committed ids gather before one NOTIFY takes them: the most a viewer's live
/// update waits for it.
const GATHER: Duration = Duration::from_millis(20);
/// A NOTIFY payload must stay under 8,000 bytes.
const PAYLOAD: usize = 7_000;

/// The announcer's end: committed ids go in, NOTIFYs come out on a task of its own.
pub(crate) fn start(pool: Pool) -> mpsc::UnboundedSender<i64> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(pool, rx));
    tx
}

async fn run(pool: Pool, mut ids: mpsc::UnboundedReceiver<i64>) {
    while let Some(first) = ids.recv().await {
        tokio::time::sleep(GATHER).await;
        let mut batch = vec![first];
        while let Ok(id) = ids.try_recv() {
            batch.push(id);
        }
        for payload in payloads(&batch) {
            let sent = match pool.get().await {
                Ok(client) => client.execute("SELECT pg_notify($1, $2)", &[&FEED_CHANNEL, &payload]).await.map(|_| ()),
                Err(e) => {
                    tracing::debug!(error = %e, "live updates: no connection to announce commits");
                    continue;
                }
            };
            if let Err(e) = sent {
                tracing::debug!(error = %crate::config::db_error(&e), "live updates: cannot announce commits");
            }
        }
    }
}

/// Comma-separated ids, split so that each payload stays under the limit.
pub(crate) fn payloads(ids: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for id in ids {
        let text = id.to_string();
        if !current.is_empty() && current.len() + 1 + text.len() > PAYLOAD {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&text);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The ids of one payload (anything unreadable is left out).
pub(crate) fn parse(payload: &str) -> Vec<i64> {
    payload.split(',').filter_map(|id| id.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_under_the_limit_and_read_back() {
        let ids: Vec<i64> = (1_000_000_000..1_000_003_000).collect();
        let payloads = payloads(&ids);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= PAYLOAD));
        let back: Vec<i64> = payloads.iter().flat_map(|p| parse(p)).collect();
        assert_eq!(back, ids);
        assert_eq!(parse("12,x,13"), vec![12, 13]);
        assert!(super::payloads(&[]).is_empty());
    }
}
