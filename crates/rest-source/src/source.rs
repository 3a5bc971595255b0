//! The running source: one task that reads the calls list on the mode's schedule, merges
//! what it reads, keeps the feed watch, and publishes its status.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use calleague_catchup::{merge_calls, CatchUpError, ReadBy, DEFAULT_LONGEST_CALL};
use calleague_client::{Call, Client, ClientError};
use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;
use calleague_store::DeliverySink;
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cursor::{ReadCursor, Span};
use crate::watch::{FeedWatch, LastWebhook, RoundFacts, WatchChange};
use crate::{check_causes, CauseCheck, PublicAddress};

/// Where calls come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum SourceMode {
    /// Webhooks only: the REST API is not read (no key, or reconciliation turned off).
    Webhooks,
    /// No webhook reaches this computer: the calls list is read every `poll_every`.
    RestOnly,
    /// Webhooks live, the calls list read every `reconcile_every` as a check.
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestSourceOptions {
    /// How often REST-only mode reads the calls list.
    pub poll_every: Duration,
    /// How often a reconciliation runs beside webhooks; zero turns it off.
    pub reconcile_every: Duration,
    /// How long the API may list calls that no webhook brought before "webhooks are not
    /// arriving" is said.
    pub quiet_after: Duration,
    /// How long a call's deliveries may take to arrive after its moment: calls more recent
    /// than this do not count against webhooks yet.
    pub settle: Duration,
    /// How far back the first read looks (catch-up covers the time the app was closed).
    pub first_window: Duration,
    /// How much each read overlaps the last, for clocks that differ.
    pub margin: Duration,
    /// An unfinished call is read again until it ends, at most this long after its start.
    pub longest_call: Duration,
    /// The longest wait between tries after errors (the wait doubles from the mode's own).
    pub max_backoff: Duration,
}

impl Default for RestSourceOptions {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_secs(15),
            reconcile_every: Duration::from_secs(300),
            quiet_after: Duration::from_secs(600),
            settle: Duration::from_secs(60),
            first_window: Duration::from_secs(900),
            margin: Duration::from_secs(60),
            longest_call: DEFAULT_LONGEST_CALL,
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// One read of the calls list.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RoundSummary {
    pub read_by: String,
    pub at: Timestamp,
    /// Calls that started in `[from, to)` were listed.
    pub from: Timestamp,
    pub to: Timestamp,
    pub calls_listed: usize,
    /// Calls that gained a step no webhook (or earlier read) had brought.
    pub calls_found: usize,
    pub events_added: usize,
}

/// "Webhooks are not arriving", while it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct NotArriving {
    /// When the last delivery came (or the start of the quiet window).
    pub since: Timestamp,
    pub raised_at: Timestamp,
    /// Calls the API listed in the quiet window, none of them delivered here.
    pub calls_listed: usize,
    pub quiet_minutes: u64,
    pub causes: Vec<CauseCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    pub mode: SourceMode,
    pub rounds: u64,
    pub last_round: Option<RoundSummary>,
    /// Calls found by reconciliation since the source started, and their steps.
    pub calls_found: u64,
    pub events_found: u64,
    /// The last read's failure, until a read succeeds.
    pub error: Option<ReadFailure>,
    /// When the next read is due after a failure.
    pub retry_at: Option<Timestamp>,
    pub not_arriving: Option<NotArriving>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReadFailure {
    pub code: ErrorCode,
    pub message: String,
}

/// What the source says as it happens: the two changes a person is told about.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceNotice {
    NotArriving(NotArriving),
    Cleared { at: Timestamp },
}

pub struct RestSource {
    mode: watch::Sender<SourceMode>,
    status: watch::Receiver<SourceStatus>,
    read_now: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Follows the store's feed for the last webhook's time.
    listening: JoinHandle<()>,
}

/// What a round needs; owned by the task.
struct Worker {
    store: Arc<dyn DeliverySink>,
    client: Client,
    options: RestSourceOptions,
    public: Option<PublicAddress>,
    poll: ReadCursor,
    reconcile: ReadCursor,
    watch: FeedWatch,
    last_webhook: LastWebhook,
    /// Calls the API listed lately, with their latest moment, for the feed watch.
    recent: HashMap<String, Timestamp>,
    watching_since: Timestamp,
    status: watch::Sender<SourceStatus>,
    notice: Box<dyn Fn(SourceNotice) + Send + Sync>,
}

impl RestSource {
    /// Starts reading in `mode`. `public` is where the subscription should send, checked
    /// with the other causes when webhooks stop; `notice` hears "not arriving" and its end.
    pub fn start(
        store: Arc<dyn DeliverySink>,
        client: Client,
        options: RestSourceOptions,
        mode: SourceMode,
        public: Option<PublicAddress>,
        notice: impl Fn(SourceNotice) + Send + Sync + 'static,
    ) -> Self {
        let (mode_tx, mode_rx) = watch::channel(mode);
        let (status_tx, status_rx) = watch::channel(SourceStatus::new(mode));
        let (stop, stop_rx) = watch::channel(false);
        let read_now = Arc::new(Notify::new());
        let last_webhook = LastWebhook::default();
        let listening = tokio::spawn(last_webhook.clone().follow(store.subscribe()));
        let worker = Worker {
            store,
            client,
            options,
            public,
            poll: ReadCursor::default(),
            reconcile: ReadCursor::default(),
            watch: FeedWatch::new(options.quiet_after),
            last_webhook,
            recent: HashMap::new(),
            watching_since: Timestamp::now(),
            status: status_tx,
            notice: Box::new(notice),
        };
        let task = tokio::spawn(worker.run(mode_rx, stop_rx, read_now.clone()));
        Self { mode: mode_tx, status: status_rx, read_now, stop, task, listening }
    }

    /// Switches the mode; the new mode reads at once.
    pub fn set_mode(&self, mode: SourceMode) {
        self.mode.send_if_modified(|current| std::mem::replace(current, mode) != mode);
    }

    pub fn mode(&self) -> SourceMode {
        *self.mode.borrow()
    }

    /// Changes of the status, as the task makes them.
    pub fn status(&self) -> watch::Receiver<SourceStatus> {
        self.status.clone()
    }

    /// The status now, in the mode last set (the task takes a switch a moment later).
    pub fn current(&self) -> SourceStatus {
        SourceStatus { mode: self.mode(), ..self.status.borrow().clone() }
    }

    /// Reads now rather than at the next round (after a resume from sleep, or when the
    /// network comes back).
    pub fn read_now(&self) {
        self.read_now.notify_one();
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.listening.abort();
    }
}

impl SourceStatus {
    fn new(mode: SourceMode) -> Self {
        Self {
            mode,
            rounds: 0,
            last_round: None,
            calls_found: 0,
            events_found: 0,
            error: None,
            retry_at: None,
            not_arriving: None,
        }
    }
}

impl Worker {
    async fn run(mut self, mut mode: watch::Receiver<SourceMode>, mut stop: watch::Receiver<bool>, now: Arc<Notify>) {
        let mut due = self.first_round(*mode.borrow());
        let mut failures = 0u32;
        loop {
            let current = *mode.borrow_and_update();
            let every = match current {
                SourceMode::RestOnly => Some(self.options.poll_every),
                SourceMode::Both if !self.options.reconcile_every.is_zero() => Some(self.options.reconcile_every),
                _ => None,
            };
            tokio::select! {
                _ = stop.changed() => return,
                changed = mode.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    self.switched(*mode.borrow());
                    due = self.first_round(*mode.borrow());
                    failures = 0;
                    continue;
                }
                _ = now.notified() => {}
                _ = tokio::time::sleep_until(due), if every.is_some() => {}
            }
            let Some(every) = every else { continue };
            // A round waits for the request budget: stopping must not wait for it.
            let result = tokio::select! {
                _ = stop.changed() => return,
                result = self.round(current) => result,
            };
            match result {
                Ok(()) => {
                    failures = 0;
                    due = Instant::now() + every;
                    self.status.send_modify(|s| (s.error, s.retry_at) = (None, None));
                }
                Err(e) => {
                    failures += 1;
                    let wait = backoff(every, failures, self.options.max_backoff, &e);
                    tracing::warn!(code = %e.code(), error = %e, ?wait, "reading the calls list failed");
                    due = Instant::now() + wait;
                    let retry_at = Timestamp::now().saturating_add_millis(wait.as_millis() as i64);
                    self.status.send_modify(|s| {
                        s.error = Some(ReadFailure { code: e.code(), message: e.to_string() });
                        s.retry_at = Some(retry_at);
                    });
                }
            }
        }
    }

    /// REST only reads at once, so calls show from the first minute; a reconciliation
    /// waits one interval (catch-up reads the time before the start).
    fn first_round(&self, mode: SourceMode) -> Instant {
        match mode {
            SourceMode::Both => Instant::now() + self.options.reconcile_every,
            _ => Instant::now(),
        }
    }

    fn switched(&mut self, mode: SourceMode) {
        self.status.send_modify(|s| (s.mode, s.error, s.retry_at) = (mode, None, None));
        if mode == SourceMode::Both {
            // Webhooks were not expected before: give them the whole quiet window.
            self.watching_since = Timestamp::now();
        } else {
            self.observe(0);
        }
    }

    async fn round(&mut self, mode: SourceMode) -> Result<(), CatchUpError> {
        let span = Span {
            first_window: self.options.first_window,
            margin: self.options.margin,
            longest_call: self.options.longest_call,
        };
        let (cursor, read_by) = match mode {
            SourceMode::RestOnly => (&mut self.poll, ReadBy::Poll),
            _ => (&mut self.reconcile, ReadBy::Reconciliation),
        };
        let (from, to) = cursor.range(Timestamp::now(), &span);
        let calls = self.client.list_calls(from, to, |_| {}).await?;
        let merged = merge_calls(&*self.store, &calls, read_by, |_| {}).await?;
        cursor.advance(to, &calls, &span);
        let round = RoundSummary {
            read_by: read_by.as_str().to_owned(),
            at: Timestamp::now(),
            from,
            to,
            calls_listed: calls.len(),
            calls_found: merged.merged.len(),
            events_added: merged.events_added,
        };
        if read_by == ReadBy::Reconciliation && round.calls_found > 0 {
            tracing::info!(found = round.calls_found, events = round.events_added, %from, %to, "reconciliation found calls no webhook brought");
        }
        self.status.send_modify(|s| {
            s.rounds += 1;
            if read_by == ReadBy::Reconciliation {
                s.calls_found += round.calls_found as u64;
                s.events_found += round.events_added as u64;
            }
            s.last_round = Some(round);
        });
        if mode == SourceMode::Both {
            let listed = self.remember(&calls);
            if let Some(WatchChange::NotArriving { .. }) = self.observe(listed) {
                self.check_causes().await;
            }
        }
        Ok(())
    }

    /// Notes the calls just listed; returns how many calls the API listed lately whose
    /// latest moment lies in the quiet window, less the settling time.
    fn remember(&mut self, calls: &[Call]) -> usize {
        let now = Timestamp::now();
        let from = now.saturating_add_millis(-(self.options.quiet_after.as_millis() as i64));
        let to = now.saturating_add_millis(-(self.options.settle.as_millis() as i64));
        for call in calls {
            if let Some(latest) = [call.started_at, call.connected_at, call.ended_at].into_iter().flatten().max() {
                self.recent.insert(call.call_id.clone(), latest);
            }
        }
        self.recent.retain(|_, latest| *latest >= from);
        self.recent.values().filter(|latest| **latest < to).count()
    }

    fn observe(&mut self, calls_listed: usize) -> Option<WatchChange> {
        let now = Timestamp::now();
        let mode = self.status.borrow().mode;
        let facts = RoundFacts {
            now,
            calls_listed,
            last_webhook: self.last_webhook.get(),
            watching_since: self.watching_since,
            expects_webhooks: mode == SourceMode::Both,
        };
        let change = self.watch.observe(facts)?;
        match &change {
            WatchChange::NotArriving { since, calls_listed, quiet_minutes } => {
                let notice = NotArriving {
                    since: *since,
                    raised_at: now,
                    calls_listed: *calls_listed,
                    quiet_minutes: *quiet_minutes,
                    causes: Vec::new(),
                };
                tracing::info!(calls_listed, quiet_minutes, "webhooks are not arriving");
                self.status.send_modify(|s| s.not_arriving = Some(notice));
            }
            WatchChange::Cleared { at } => {
                tracing::info!("webhooks are arriving again");
                self.status.send_modify(|s| s.not_arriving = None);
                (self.notice)(SourceNotice::Cleared { at: *at });
            }
        }
        Some(change)
    }

    /// Fills in the causes of a notice just raised, then tells it.
    async fn check_causes(&mut self) {
        let causes = check_causes(&self.client, self.public.as_ref()).await;
        let mut raised = None;
        self.status.send_modify(|s| {
            if let Some(notice) = &mut s.not_arriving {
                notice.causes = causes;
                raised = Some(notice.clone());
            }
        });
        if let Some(notice) = raised {
            (self.notice)(SourceNotice::NotArriving(notice));
        }
    }
}

/// The wait after `failures` failed reads in a row: the server's `Retry-After` when it gave
/// one, else the mode's interval doubled per failure, at most `max`.
fn backoff(every: Duration, failures: u32, max: Duration, error: &CatchUpError) -> Duration {
    if let CatchUpError::Client(ClientError::RateLimited { retry_after: Some(after), .. }) = error {
        return (*after).max(every);
    }
    every.saturating_mul(1 << failures.min(10)).min(max.max(every))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_back_off_doubling_up_to_the_cap_and_a_retry_after_is_honoured() {
        let server = CatchUpError::Client(ClientError::Server { status: 503, message: "x".into() });
        let every = Duration::from_secs(15);
        let max = Duration::from_secs(600);
        let waits: Vec<u64> = (1..=7).map(|n| backoff(every, n, max, &server).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600]);
        let limited = CatchUpError::Client(ClientError::RateLimited {
            retry_after: Some(Duration::from_secs(90)),
            message: "slow down".into(),
        });
        assert_eq!(backoff(every, 1, max, &limited), Duration::from_secs(90));
    }
}
