//! The forwarder: one task per target, reading the log from the target's position,
//! sending, and recording each round (see the crate's documentation for the guarantees).

use std::sync::Arc;
use std::time::Duration;

use calleague_store::{AfterAttempt, ForwardAttempt, ForwardDelivery, ForwardStep, Store};
use tokio::sync::{broadcast, watch, Semaphore};
use tokio::task::JoinHandle;

use crate::attempt::{Answer, Sender};
use crate::{now_ms, ApiKey, ForwardTarget};

/// The first retry's wait; each further one doubles it, up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(300);
/// With nothing to send, the log is looked at again after this even when no feed item
/// said so (a burst's deliveries reach the log before the feed tells of them).
const IDLE_LOOK: Duration = Duration::from_secs(1);
/// After the store refused a read or a write: wait, then try the round again.
const STORE_PAUSE: Duration = Duration::from_secs(1);
/// In a burst (the store this far behind, its inbox and projection together), forwarding
/// gives way to acknowledgements: a round at most every `YIELD_EVERY`, so that it never
/// starves, and the rest once the burst is over (the log keeps every delivery meanwhile).
const YIELD_BACKLOG: usize = 1_000;
const YIELD_EVERY: Duration = Duration::from_secs(1);
const YIELD_PAUSE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct ForwardOptions {
    /// How long one attempt may take, answer included.
    pub timeout: Duration,
    /// Requests in flight to one target at once.
    pub in_flight: usize,
    /// How long after its receipt a delivery is still retried; after that a failure
    /// gives it up.
    pub retry_window: Duration,
    /// The most deliveries one round reads and records.
    pub round: u32,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), in_flight: 4, retry_window: Duration::from_secs(24 * 3600), round: 64 }
    }
}

/// How long to wait before the next attempt after `attempts` failed ones: 1 s, 2 s, 4 s…
/// up to 5 minutes.
pub fn retry_wait(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    (FIRST_WAIT * 2u32.pow(doublings)).min(LONGEST_WAIT)
}

/// The running forwarder: a task per enabled target.
pub struct Forwarder {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    health: Arc<std::sync::Mutex<Vec<TargetHealth>>>,
}

/// How a target is doing now, as its task last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealth {
    /// The target's key (its address).
    pub target: String,
    /// No answer at all since `since_ms`: only probes go out.
    pub down: bool,
    /// Rounds in a row where nothing was answered 2xx.
    pub failing_rounds: u32,
    /// The last failure's status or error, e.g. "500" or "connection refused".
    pub last_failure: Option<String>,
    /// When it started failing (Unix milliseconds).
    pub since_ms: Option<i64>,
}

impl Forwarder {
    /// Starts forwarding to every enabled target. `key` goes out as each request's Bearer
    /// token, as Calleague sends it. Returns once each target has its place in the log (a
    /// new one at the log's end): whatever is acknowledged after this returns is forwarded.
    pub async fn start(
        store: Arc<Store>,
        targets: Vec<ForwardTarget>,
        key: Option<ApiKey>,
        options: ForwardOptions,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let health = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sender = Sender::new(key, options.timeout);
        let mut tasks = Vec::new();
        for (slot, target) in targets.into_iter().filter(|t| t.enabled).enumerate() {
            if let Ok(mut health) = health.lock() {
                health.push(TargetHealth {
                    target: target.key().to_owned(),
                    down: false,
                    failing_rounds: 0,
                    last_failure: None,
                    since_ms: None,
                });
            }
            let lane = Lane {
                health: health.clone(),
                slot,
                store: store.clone(),
                target: Arc::new(target),
                options: options.clone(),
                sender: sender.clone(),
                down: None,
                flush: false,
            };
            // A store that cannot say now: the task asks again until it can.
            let position = lane.start_position().await.ok();
            tasks.push(tokio::spawn(lane.run(position, stopped.clone())));
        }
        Self { stop, tasks, health }
    }

    /// Each enabled target's health, in the order given.
    pub fn health(&self) -> Vec<TargetHealth> {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Stops every target's task. A round in flight is dropped unrecorded: its deliveries
    /// go out again after the next start.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// One target's task.
struct Lane {
    health: Arc<std::sync::Mutex<Vec<TargetHealth>>>,
    slot: usize,
    store: Arc<Store>,
    target: Arc<ForwardTarget>,
    options: ForwardOptions,
    sender: Sender,
    /// The last round got no answer at all: only one delivery is tried at a time, after a
    /// growing wait, until the target answers.
    down: Option<Down>,
    /// The target answers again: every delivery it is owed goes now, before new ones.
    flush: bool,
}

/// A target not answering.
#[derive(Debug, Clone, Copy)]
struct Down {
    /// Rounds without an answer in a row.
    rounds: u32,
    /// The next probe.
    until: tokio::time::Instant,
}

/// What a round found to do.
enum Round {
    /// Something was sent or skipped: look again at once.
    Busy,
    /// Nothing to send now.
    Idle,
}

impl Lane {
    async fn run(mut self, known: Option<i64>, mut stop: watch::Receiver<bool>) {
        let mut feed = self.store.subscribe();
        let mut position = loop {
            if let Some(position) = known {
                break position;
            }
            match self.start_position().await {
                Ok(position) => break position,
                Err(e) => {
                    tracing::warn!(target_url = %self.target.short_name(), error = %e, "forwarding cannot read its position; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(STORE_PAUSE) => continue,
                        _ = stop.changed() => return,
                    }
                }
            }
        };
        let mut last_round = tokio::time::Instant::now();
        loop {
            if self.store.backlog() > YIELD_BACKLOG && last_round.elapsed() < YIELD_EVERY {
                tokio::select! {
                    _ = tokio::time::sleep(YIELD_PAUSE) => continue,
                    _ = stop.changed() => return,
                }
            }
            last_round = tokio::time::Instant::now();
            let round = tokio::select! {
                round = self.round(&mut position) => round,
                _ = stop.changed() => return,
            };
            match round {
                Ok(Round::Busy) => continue,
                Ok(Round::Idle) => {}
                Err(e) => {
                    tracing::warn!(target_url = %self.target.short_name(), error = %e, "forwarding could not read or record a round; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(STORE_PAUSE) => continue,
                        _ = stop.changed() => return,
                    }
                }
            }
            // Nothing to do now: until the next probe of a target that is down; else until
            // the next retry is due, new deliveries arrive, or a second passes.
            let wait = match self.down {
                Some(down) => down.until.saturating_duration_since(tokio::time::Instant::now()),
                None => match self.store.forward_next_due(self.target.key()) {
                    Ok(Some(due)) => Duration::from_millis(due.saturating_sub(now_ms()).max(0) as u64).min(IDLE_LOOK),
                    _ => IDLE_LOOK,
                },
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = news(&mut feed), if self.down.is_none() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Where the target's first attempts stand; a new target starts at the log's end.
    async fn start_position(&self) -> calleague_store::Result<i64> {
        if let Some(position) = self.store.forward_position(self.target.key())? {
            return Ok(position);
        }
        let end = self.store.log_end()?;
        self.store
            .record_forwarding(ForwardStep {
                target: self.target.key().to_owned(),
                attempts: Vec::new(),
                forwarded_to: Some(end),
            })
            .await?;
        tracing::info!(target_url = %self.target.short_name(), from = end, "forwarding to a new target from the log's end");
        Ok(end)
    }

    /// Retries that are due first, then new deliveries after `position`. While the target
    /// is down, one probe at a time: the oldest delivery it is owed, after a growing wait.
    async fn round(&mut self, position: &mut i64) -> calleague_store::Result<Round> {
        let key = self.target.key().to_owned();
        if let Some(down) = self.down {
            if tokio::time::Instant::now() < down.until {
                return Ok(Round::Idle);
            }
            let probe = self.store.forward_due(&key, i64::MAX, 1)?;
            if probe.is_empty() {
                // Nothing owed (given up meanwhile): try new deliveries again.
                self.down = None;
                return Ok(Round::Busy);
            }
            let sends = probe.into_iter().map(|(delivery, state)| (delivery, state.attempts + 1)).collect();
            let attempts = self.send_all(sends).await;
            self.store.record_forwarding(ForwardStep { target: key, attempts, forwarded_to: None }).await?;
            return Ok(Round::Busy);
        }
        // Once back, what the target is owed goes first, whatever its own wait.
        let due_by = if self.flush { i64::MAX } else { now_ms() };
        let due = self.store.forward_due(&key, due_by, self.options.round)?;
        if !due.is_empty() {
            let sends = due.into_iter().map(|(delivery, state)| (delivery, state.attempts + 1)).collect();
            let attempts = self.send_all(sends).await;
            self.store.record_forwarding(ForwardStep { target: key, attempts, forwarded_to: None }).await?;
            return Ok(Round::Busy);
        }
        self.flush = false;
        let batch = self.store.forward_candidates(*position, self.options.round)?;
        if batch.read_to <= *position {
            return Ok(Round::Idle);
        }
        let sends = batch
            .deliveries
            .into_iter()
            .filter(|d| self.target.events.is_empty() || self.target.takes(&event_name(d)))
            .map(|d| (d, 1))
            .collect();
        let attempts = self.send_all(sends).await;
        self.store.record_forwarding(ForwardStep { target: key, attempts, forwarded_to: Some(batch.read_to) }).await?;
        *position = batch.read_to;
        Ok(Round::Busy)
    }

    /// Sends each delivery (with its attempt's number), at most `in_flight` at once, and
    /// returns the attempts in the order given. The target is down after this when none
    /// answered at all.
    async fn send_all(&mut self, sends: Vec<(ForwardDelivery, u32)>) -> Vec<ForwardAttempt> {
        if sends.is_empty() {
            return Vec::new();
        }
        let gate = Arc::new(Semaphore::new(self.options.in_flight.max(1)));
        let mut running = Vec::with_capacity(sends.len());
        for (delivery, attempt) in sends {
            let (sender, target) = (self.sender.clone(), self.target.clone());
            // Acquired here, in log order, so that requests start in that order.
            let permit = gate.clone().acquire_owned().await.expect("the gate is never closed");
            running.push(tokio::spawn(async move {
                let at_ms = now_ms();
                let answer = sender.send(&target, &delivery, &delivery.body, attempt, false).await;
                drop(permit);
                (delivery, attempt, at_ms, answer)
            }));
        }
        let mut attempts = Vec::with_capacity(running.len());
        let mut any_answered = false;
        for task in running {
            let Ok((delivery, attempt, at_ms, answer)) = task.await else { continue };
            any_answered |= !answer.is_unreachable();
            attempts.push(self.attempt(&delivery, attempt, at_ms, answer));
        }
        self.note_health(&attempts);
        let name = self.target.short_name();
        match (self.down, any_answered) {
            (None, true) => {}
            (Some(_), true) => {
                tracing::info!(target_url = %name, "forward target answering again");
                self.down = None;
                self.flush = true;
            }
            (down, false) => {
                let rounds = down.map_or(1, |d| d.rounds + 1);
                if down.is_none() {
                    let error = attempts.last().and_then(|a| a.error.as_deref()).unwrap_or("");
                    tracing::warn!(target_url = %name, error, "forward target not answering; trying again after a growing wait");
                }
                self.down = Some(Down { rounds, until: tokio::time::Instant::now() + retry_wait(rounds) });
            }
        }
        attempts
    }

    /// A round's outcome in the shared health: failing while nothing is answered 2xx.
    fn note_health(&self, attempts: &[ForwardAttempt]) {
        let ok = attempts.iter().any(|a| a.status.is_some_and(|s| (200..300).contains(&s)));
        let Ok(mut health) = self.health.lock() else { return };
        let Some(h) = health.get_mut(self.slot) else { return };
        if ok {
            *h = TargetHealth {
                target: h.target.clone(),
                down: false,
                failing_rounds: 0,
                last_failure: None,
                since_ms: None,
            };
            return;
        }
        h.failing_rounds += 1;
        h.down = attempts.iter().all(|a| a.status.is_none());
        h.since_ms = h.since_ms.or(attempts.first().map(|a| a.at_ms));
        h.last_failure = attempts.last().map(|a| match (a.status, &a.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        });
    }

    /// The record of one attempt and what it leaves owed.
    fn attempt(&self, delivery: &ForwardDelivery, attempt: u32, at_ms: i64, answer: Answer) -> ForwardAttempt {
        let then = if answer.is_success() {
            AfterAttempt::Settled
        } else {
            let next = now_ms() + retry_wait(attempt).as_millis() as i64;
            let window_ends = delivery.received_ms + self.options.retry_window.as_millis() as i64;
            if next > window_ends {
                AfterAttempt::GaveUp
            } else {
                AfterAttempt::RetryAt(next)
            }
        };
        answer.into_attempt(delivery.id, attempt, false, at_ms, then)
    }
}

/// The event a delivery names, as sent; empty when its body cannot be read as one (then
/// only targets that take every event get it).
fn event_name(delivery: &ForwardDelivery) -> String {
    calleague_events::parse_delivery(&delivery.body).map(|d| d.event_name).unwrap_or_default()
}

/// Resolves when the store says it committed something (or the feed lagged: also news).
async fn news(feed: &mut broadcast::Receiver<calleague_store::FeedItem>) {
    match feed.recv().await {
        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
        // The store is closing: nothing more will come.
        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_a_second_to_five_minutes() {
        let waits: Vec<u64> = (1..=12).map(|n| retry_wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(retry_wait(u32::MAX), LONGEST_WAIT);
    }
}
