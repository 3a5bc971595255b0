//! The single ingest writer.
//!
//! One thread owns the write connection. Requests queue on a channel; the writer takes
//! everything that is waiting (up to a cap) into one transaction, commits once, and only
//! then tells each waiting request its outcome. While one commit is being synced to disk the
//! next batch is already queueing, so the cost of `synchronous=FULL` is shared.

use std::sync::mpsc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{broadcast, oneshot};

use crate::ingest::{
    write_catchup, write_claims, write_delivery, write_heartbeat, write_quarantine, write_security, DeliveryWrite,
};
use crate::model::{AlertHow, FeedItem, IncomingDelivery, IngestOutcome, QuarantineItem, SecurityEntry};
use crate::prune::write_prune;
use crate::{Result, StoreError};

/// The most writes one transaction takes.
const MAX_BATCH: usize = 512;

pub(crate) enum Write {
    Delivery(Box<IncomingDelivery>),
    Quarantine(QuarantineItem),
    Security(SecurityEntry),
    Heartbeat {
        session: Option<i64>,
        at: calleague_events::Timestamp,
    },
    CatchupDone {
        from: calleague_events::Timestamp,
        to: calleague_events::Timestamp,
        calls_merged: i64,
    },
    ClaimAlerts {
        calls: Vec<String>,
        how: AlertHow,
        at: calleague_events::Timestamp,
    },
    /// One step of pruning: small, so that deliveries queued meanwhile wait little.
    Prune {
        before_ms: i64,
        limit: usize,
    },
}

pub(crate) struct Job {
    pub write: Write,
    pub reply: oneshot::Sender<Result<IngestOutcome>>,
}

pub(crate) fn run(mut conn: Connection, jobs: mpsc::Receiver<Job>, feed: broadcast::Sender<FeedItem>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch, &feed);
    }
    tracing::debug!("ingest writer stopped: every handle was dropped");
}

fn commit_batch(conn: &mut Connection, batch: Vec<Job>, feed: &broadcast::Sender<FeedItem>) {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return fail_all(batch, &e.to_string()),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        // A savepoint per write, so one bad write fails alone and not its whole batch.
        let outcome = (|| {
            let sp = tx.savepoint()?;
            let outcome = apply(&sp, &job.write)?;
            sp.commit()?;
            Ok(outcome)
        })();
        results.push(outcome);
    }
    if let Err(e) = tx.commit() {
        return fail_all(batch, &e.to_string());
    }
    for (job, result) in batch.into_iter().zip(results) {
        let reply = match result {
            Ok((outcome, item)) => {
                if let Some(item) = item {
                    // No subscriber is fine: the feed is best effort, the store is the truth.
                    let _ = feed.send(item);
                }
                Ok(outcome)
            }
            Err(e) => Err(e),
        };
        let _ = job.reply.send(reply);
    }
}

fn fail_all(batch: Vec<Job>, reason: &str) {
    tracing::error!(reason, writes = batch.len(), "the store could not commit");
    for job in batch {
        let _ = job.reply.send(Err(StoreError::Unavailable(reason.to_owned())));
    }
}

fn apply(conn: &Connection, write: &Write) -> Result<(IngestOutcome, Option<FeedItem>)> {
    Ok(match write {
        Write::Delivery(item) => match write_delivery(conn, item)? {
            DeliveryWrite::New(event, call) => {
                (IngestOutcome::Stored(event.clone()), Some(FeedItem::Event { event, call }))
            }
            DeliveryWrite::Repeat { id, attempts } => {
                (IngestOutcome::Duplicate { id, attempts }, Some(FeedItem::Repeat { id, attempts }))
            }
            DeliveryWrite::Known => (IngestOutcome::AlreadyKnown, None),
        },
        Write::Heartbeat { session, at } => (IngestOutcome::Logged { id: write_heartbeat(conn, *session, *at)? }, None),
        Write::CatchupDone { from, to, calls_merged } => {
            (IngestOutcome::Logged { id: write_catchup(conn, *from, *to, *calls_merged)? }, None)
        }
        Write::ClaimAlerts { calls, how, at } => {
            (IngestOutcome::Claimed { calls: write_claims(conn, calls, *how, *at)? }, None)
        }
        Write::Prune { before_ms, limit } => (IngestOutcome::Pruned(write_prune(conn, *before_ms, *limit)?), None),
        Write::Quarantine(item) => {
            let id = write_quarantine(conn, item)?;
            (IngestOutcome::Quarantined { id }, Some(FeedItem::Quarantined { id }))
        }
        Write::Security(entry) => {
            // Only a new row is news for a window; a repeat only counts.
            let (id, new) = write_security(conn, entry)?;
            (IngestOutcome::Logged { id }, new.then(|| FeedItem::Rejected { entry: entry.clone() }))
        }
    })
}
