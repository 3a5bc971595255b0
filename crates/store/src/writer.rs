//! The single ingest writer.
//!
//! One thread owns the write connection. Requests queue on a channel; the writer takes
//! everything that is waiting (up to a cap) into one transaction, commits once, and only
//! then tells each waiting request its outcome. While one commit is being synced to disk the
//! next batch is already queueing, so the cost of `synchronous=FULL` is shared.
//!
//! A webhook delivery's acknowledged write is small: the delivery appended to the log. Its
//! projection (event, call, search index; see `projection.rs`) follows in log order: before
//! the reply when deliveries come a few at a time (so a lone delivery is on the timeline
//! when its acknowledgement goes out, as before), after it in a burst (`docs/ingest.md` has
//! the rules). In a burst the acknowledged write is smaller still: the delivery appended
//! to the inbox (`inbox.rs`), taken into the log between acknowledgements. Writes that read
//! what the projection holds (catch-up, pruning, `settle`) wait until both are through.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{broadcast, oneshot};

use crate::backlog::Backlog;
use crate::checkpoint::{self, Checkpointer};
use crate::inbox::Inbox;
use crate::ingest::{
    log_delivery, write_catchup, write_check, write_claims, write_delivery, write_heartbeat, write_quarantine,
    write_security, DeliveryWrite, Logged,
};
use crate::model::{
    AlertHow, EventRow, FeedItem, IncomingDelivery, IngestOutcome, QuarantineItem, RejectionTally, Source,
};
use crate::projection::Projected;
use crate::prune::write_prune;
use crate::{Result, StoreError};

/// The most writes one transaction takes.
const MAX_BATCH: usize = 512;

pub(crate) enum Write {
    Delivery(Box<IncomingDelivery>),
    Quarantine(QuarantineItem),
    Security(RejectionTally),
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
    /// What a round of forwarding did (`forwarding.rs`).
    Forwarded(Box<crate::model::ForwardStep>),
    /// A person's retry of what a target gave up on.
    ForwardRetryGivenUp {
        target: String,
        now_ms: i64,
    },
    /// An alert rule began to fire (`alert_firings.rs`).
    AlertFired(Box<crate::alert_model::NewFiring>),
    AlertPeak {
        firing: i64,
        peak: f64,
    },
    AlertResolved {
        firing: i64,
        at_ms: i64,
        chat: Option<String>,
    },
    AlertNoticeTried {
        notice: i64,
        at_ms: i64,
        attempt: crate::alert_model::NoticeAttempt,
    },
    /// The metadata fields calls are counted by (`dimensions.rs`); new ones are counted in
    /// idle moments after.
    SetDimensions(Vec<String>),
    /// What the REST API said of agents (`agents.rs`).
    PutAgents {
        agents: Vec<crate::AgentName>,
        at_ms: i64,
    },
    ClaimAgentRound {
        round: crate::AgentRound,
        now_ms: i64,
        every_ms: i64,
    },
    /// Answers once everything logged before it is projected.
    Settle,
    /// A small synced write, for the readiness check (`readiness.rs`).
    CheckReady,
}

impl Write {
    fn is_log_append(&self) -> bool {
        matches!(self, Write::Delivery(item) if item.source == Source::Webhook)
    }

    /// Reads what the projection holds, so it must be complete first.
    fn needs_projection(&self) -> bool {
        match self {
            Write::Delivery(item) => item.source.is_from_api(),
            Write::Prune { .. } | Write::Settle => true,
            _ => false,
        }
    }
}

/// Deliveries arriving faster than this (per second, over the last [`RATE_WINDOW`]) are a
/// burst: appended to the inbox and acknowledged, then logged and projected between
/// acknowledgements. Below it, the writer logs and projects
/// each batch at once (about what one core sustains doing both, measured on two cores:
/// 7,000–11,000/s); the size of a batch says little, since handlers short of CPU hand over
/// a few deliveries at a time however many wait.
pub(crate) const BURST_RATE: u32 = 5_000;
const RATE_WINDOW: Duration = Duration::from_millis(100);
/// Behind by at most this, light load keeps the projection up with every batch.
const KEEP_UP: usize = 4_096;
/// How long the queue stays empty before the projection takes a step of `IDLE_CHUNK`: a
/// delivery arriving meanwhile waits at most one such step.
const IDLE: Duration = Duration::from_millis(2);
const IDLE_CHUNK: usize = 256;
/// Behind by more than this (inbox and projection), a step is taken between batches even under load,
/// so that it never falls behind without bound: a burst of this many is acknowledged at
/// the log's rate, and the timeline trails it by the time the projection takes to catch up
/// (measured in `cargo xtask bench ingest`).
const MAX_BEHIND: usize = 200_000;

/// How fast deliveries have been arriving: counted over windows of [`RATE_WINDOW`].
struct Arrivals {
    burst_rate: f64,
    since: std::time::Instant,
    count: usize,
    burst: bool,
}

impl Arrivals {
    fn new(burst_rate: f64) -> Self {
        Self { burst_rate, since: std::time::Instant::now(), count: 0, burst: false }
    }

    /// Counts `n` arriving deliveries; returns whether the writer is in a burst.
    fn add(&mut self, n: usize) -> bool {
        self.count += n;
        let elapsed = self.since.elapsed();
        if elapsed >= RATE_WINDOW {
            self.burst = self.count as f64 / elapsed.as_secs_f64() > self.burst_rate;
            self.since = std::time::Instant::now();
            self.count = 0;
        } else if self.count as f64 > self.burst_rate * RATE_WINDOW.as_secs_f64() {
            // Already more than a window's worth: a burst has begun.
            self.burst = true;
        }
        self.burst
    }
}

pub(crate) struct Job {
    pub write: Write,
    pub reply: oneshot::Sender<Result<IngestOutcome>>,
}

/// How the writer paces itself (from `StoreOptions`).
pub(crate) struct Pace {
    pub burst_rate: f64,
    /// Calls per step of a dimension's count.
    pub dimension_step: usize,
}

pub(crate) fn run(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    feed: broadcast::Sender<FeedItem>,
    checkpointer: Checkpointer,
    pace: Pace,
    behind: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let mut backlog = match Backlog::open(&conn) {
        Ok(backlog) => backlog,
        Err(e) => {
            tracing::error!(error = %e, "the projection's position or the inbox cannot be read; the writer stops");
            return;
        }
    };
    let mut carried: Option<Job> = None;
    let mut arrivals = Arrivals::new(pace.burst_rate);
    // A dimension chosen by the user still has calls to count, in idle moments.
    let mut counting = crate::dimension_count::is_counting(&conn).unwrap_or(false);
    loop {
        // Every pass commits something (a batch, a projection step): the checkpointer
        // looks at the log shortly after; it may ask for a checkpoint here, between two
        // batches, so that the log can start over (see checkpoint.rs).
        checkpointer.committed();
        // For the metrics' backlog gauge: a relaxed store per pass costs nothing.
        behind.store(backlog.behind(), std::sync::atomic::Ordering::Relaxed);
        if checkpointer.take_restart_request() {
            if let Err(e) = checkpoint::passive(&conn) {
                tracing::warn!(error = %e, "the writer's checkpoint failed");
            }
        }
        let first = match carried.take() {
            Some(job) => job,
            None if backlog.is_done() && !counting => match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
            // Nothing behind, a count to go on with: a step once the queue is quiet.
            None if backlog.is_done() => match jobs.recv_timeout(IDLE) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    counting = crate::dimension_count::count_step(&mut conn, pace.dimension_step)
                        .inspect_err(|e| tracing::error!(error = %e, "a dimension's calls could not be counted"))
                        .unwrap_or(false);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            },
            // Behind: a step once no write has come for a moment. Under a burst the moment
            // never comes, and acknowledgements go first.
            None => match jobs.recv_timeout(IDLE) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    backlog.step(&mut conn, IDLE_CHUNK, &feed);
                    backlog.sync_when_idle(&conn);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        counting |= batch.iter().any(|job| matches!(job.write, Write::SetDimensions(_)));
        if batch.iter().any(|job| job.write.needs_projection()) {
            let _ = backlog.finish(&mut conn, &feed);
            backlog.sync_when_idle(&conn);
        }
        let arriving = batch.iter().filter(|job| job.write.is_log_append()).count();
        let light = !arrivals.add(arriving);
        // In a burst, and after one while its deliveries are still in the inbox (so that
        // none is overtaken), webhook deliveries go to the inbox.
        let to_inbox = !light || !backlog.inbox.is_empty();
        let waiting = commit_batch(&mut conn, batch, &feed, &mut backlog, to_inbox);
        carried = jobs.try_recv().ok();
        // Light load, nothing else queued, nothing older behind: projected before the
        // acknowledgements go out, so they carry the projected rows and a reader after one
        // finds its call.
        if light && carried.is_none() && backlog.behind() <= waiting.logged.len() {
            let projected = backlog.finish(&mut conn, &feed);
            waiting.reply(projected);
            continue;
        }
        waiting.reply(Vec::new());
        if light && carried.is_none() && backlog.behind() <= KEEP_UP {
            // Light load a little behind: catch up a few times the batch's size at a time.
            // Further behind is a burst's backlog, taken when the queue gives a moment.
            backlog.step(&mut conn, 4 * arriving + 16, &feed);
        } else if backlog.behind() > MAX_BEHIND {
            // A burst: acknowledgements first; past MAX_BEHIND a step of at least the
            // batch's size between batches, so that the backlog stops growing, without one
            // long pause.
            backlog.step(&mut conn, arriving.max(IDLE_CHUNK), &feed);
        }
    }
    // Every handle is gone: what was acknowledged is projected before the thread ends.
    let _ = backlog.finish(&mut conn, &feed);
    backlog.sync_when_idle(&conn);
    tracing::debug!("ingest writer stopped: every handle was dropped");
}

/// Acknowledgements of logged deliveries, sent after the projection had its chance.
struct Waiting {
    logged: Vec<(i64, Box<EventRow>, oneshot::Sender<Result<IngestOutcome>>)>,
}

impl Waiting {
    /// Each logged delivery's outcome: its event as projected when the projection took it
    /// before the reply, else as logged (not yet `late`, which only the projection knows).
    fn reply(self, projected: Projected) {
        let mut projected: std::collections::HashMap<i64, Box<EventRow>> = projected.into_iter().collect();
        for (id, logged, reply) in self.logged {
            let event = projected.remove(&id).unwrap_or(logged);
            let _ = reply.send(Ok(IngestOutcome::Stored(event)));
        }
    }
}

/// Commits one batch; a webhook delivery goes to the inbox when `to_inbox`, else to the log.
fn commit_batch(
    conn: &mut Connection,
    batch: Vec<Job>,
    feed: &broadcast::Sender<FeedItem>,
    backlog: &mut Backlog,
    to_inbox: bool,
) -> Waiting {
    let mut waiting = Waiting { logged: Vec::new() };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            fail_all(batch, &e.to_string());
            return waiting;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        // A savepoint per write, so one bad write fails alone and not its whole batch. Not
        // for appending a webhook delivery to the log: one insert, which fails only as the
        // whole transaction would (disk full, I/O), and the hot path's cost.
        let outcome = if job.write.is_log_append() {
            match &job.write {
                Write::Delivery(item) if to_inbox => Inbox::append(&tx, item).map(Applied::Queued),
                write => apply(&tx, write),
            }
        } else {
            (|| {
                let sp = tx.savepoint()?;
                let outcome = apply(&sp, &job.write)?;
                sp.commit()?;
                Ok(outcome)
            })()
        };
        results.push(outcome);
    }
    if let Err(e) = tx.commit() {
        fail_all(batch, &e.to_string());
        return waiting;
    }
    for (job, result) in batch.into_iter().zip(results) {
        let reply = match result {
            Ok(Applied::Done(outcome, item)) => {
                if let Some(item) = item {
                    // No subscriber is fine: the feed is best effort, the store is the truth.
                    let _ = feed.send(item);
                }
                Ok(outcome)
            }
            Ok(Applied::Queued(id)) => {
                let Write::Delivery(item) = job.write else { unreachable!("only deliveries are queued") };
                backlog.inbox.appended(id, item);
                Ok(IngestOutcome::Accepted)
            }
            Ok(Applied::Logged(id)) => {
                let Write::Delivery(item) = job.write else { unreachable!("only deliveries are logged") };
                let logged = crate::ingest::logged_event(id, &item);
                backlog.projection.logged(id, item);
                waiting.logged.push((id, Box::new(logged), job.reply));
                continue;
            }
            Err(e) => Err(e),
        };
        let _ = job.reply.send(reply);
    }
    waiting
}

fn fail_all(batch: Vec<Job>, reason: &str) {
    tracing::error!(reason, writes = batch.len(), "the store could not commit");
    for job in batch {
        let _ = job.reply.send(Err(StoreError::Unavailable(reason.to_owned())));
    }
}

/// What one write did: done (with its outcome), logged for the projection, or appended to
/// the inbox.
enum Applied {
    Done(IngestOutcome, Option<FeedItem>),
    Logged(i64),
    Queued(i64),
}

fn apply(conn: &Connection, write: &Write) -> Result<Applied> {
    let done = |outcome, item| Ok(Applied::Done(outcome, item));
    match write {
        Write::Delivery(item) if item.source == Source::Webhook => match log_delivery(conn, item)? {
            Logged::New(id) => Ok(Applied::Logged(id)),
            Logged::Repeat { id, attempts } => {
                done(IngestOutcome::Duplicate { id, attempts }, Some(FeedItem::Repeat { id, attempts }))
            }
        },
        Write::Delivery(item) => match write_delivery(conn, item)? {
            DeliveryWrite::New(event, call) => {
                done(IngestOutcome::Stored(event.clone()), Some(FeedItem::Event { event, call }))
            }
            DeliveryWrite::Repeat { id, attempts } => {
                done(IngestOutcome::Duplicate { id, attempts }, Some(FeedItem::Repeat { id, attempts }))
            }
            DeliveryWrite::Known => done(IngestOutcome::AlreadyKnown, None),
        },
        Write::Heartbeat { session, at } => {
            done(IngestOutcome::Logged { id: write_heartbeat(conn, *session, *at)? }, None)
        }
        Write::CatchupDone { from, to, calls_merged } => {
            done(IngestOutcome::Logged { id: write_catchup(conn, *from, *to, *calls_merged)? }, None)
        }
        Write::ClaimAlerts { calls, how, at } => {
            done(IngestOutcome::Claimed { calls: write_claims(conn, calls, *how, *at)? }, None)
        }
        Write::Prune { before_ms, limit } => done(IngestOutcome::Pruned(write_prune(conn, *before_ms, *limit)?), None),
        Write::Settle => done(IngestOutcome::Settled, None),
        Write::SetDimensions(fields) => {
            crate::dimension_count::write_set(conn, fields, calleague_events::Timestamp::now().unix_millis())?;
            done(IngestOutcome::Logged { id: 0 }, None)
        }
        Write::PutAgents { agents, at_ms } => {
            crate::agent_writes::write_agents(conn, agents, *at_ms)?;
            done(IngestOutcome::Logged { id: 0 }, None)
        }
        Write::ClaimAgentRound { round, now_ms, every_ms } => done(
            IngestOutcome::Logged { id: crate::agent_writes::write_claim(conn, *round, *now_ms, *every_ms)? },
            None,
        ),
        Write::Forwarded(step) => {
            crate::forward_writes::write_forwarded(conn, step)?;
            done(IngestOutcome::Logged { id: 0 }, None)
        }
        Write::ForwardRetryGivenUp { target, now_ms } => done(
            IngestOutcome::Logged { id: crate::forward_writes::write_retry_given_up(conn, target, *now_ms)? },
            None,
        ),
        Write::AlertFired(firing) => done(IngestOutcome::Firing(crate::alert_writes::write_fired(conn, firing)?), None),
        Write::AlertPeak { firing, peak } => {
            crate::alert_writes::write_peak(conn, *firing, *peak)?;
            done(IngestOutcome::Logged { id: 0 }, None)
        }
        Write::AlertResolved { firing, at_ms, chat } => done(
            IngestOutcome::Logged { id: crate::alert_writes::write_resolved(conn, *firing, *at_ms, chat.as_deref())? },
            None,
        ),
        Write::AlertNoticeTried { notice, at_ms, attempt } => {
            crate::alert_writes::write_notice_tried(conn, *notice, *at_ms, attempt)?;
            done(IngestOutcome::Logged { id: 0 }, None)
        }
        Write::CheckReady => done(
            IngestOutcome::Logged { id: write_check(conn, calleague_events::Timestamp::now().unix_millis())? },
            None,
        ),
        Write::Quarantine(item) => {
            let id = write_quarantine(conn, item)?;
            done(IngestOutcome::Quarantined { id }, Some(FeedItem::Quarantined { id }))
        }
        Write::Security(tally) => {
            // Only a new row is news for a window; a repeat only counts.
            let (id, new) = write_security(conn, tally)?;
            done(IngestOutcome::Logged { id }, new.then(|| FeedItem::Rejected { entry: tally.entry.clone() }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_told_by_the_arrival_rate_not_by_the_size_of_a_batch() {
        let mut arrivals = Arrivals::new(f64::from(BURST_RATE));
        // A few at a time, slowly: light, however many batches.
        assert!(!arrivals.add(3));
        // More than a window's worth at 5,000/s within one window: a burst, at once.
        assert!(arrivals.add(600));
        // A quiet spell ends it: 604 over at least 150 ms is at most 4,027/s.
        std::thread::sleep(Duration::from_millis(150));
        assert!(!arrivals.add(1));
        std::thread::sleep(RATE_WINDOW);
        assert!(!arrivals.add(1));
    }
}
