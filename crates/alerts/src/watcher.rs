//! The watcher: one task that reads the store's live feed, picks out failures by the
//! settings, claims each call once in the store, paces what is left into notes, and shows
//! them. It runs beside the receiver and never in its way: the receiver only publishes to
//! the feed, and a slow or missing notification server slows nothing but this task.

use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{AlertHow, FeedItem, Store, TimelineReader};
use serde::Serialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

use crate::names::AgentNames;
use crate::note::Note;
use crate::notifier::Notifier;
use crate::pacing::{Outgoing, Pacing};
use crate::rules::{failure_of, AlertSettings, Failure};

/// What the window and the tray show about notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// Failed calls since the window was last looked at.
    pub unseen: u32,
    /// Why the last note could not be shown; None once one was.
    pub unavailable: Option<String>,
}

enum Command {
    Settings(AlertSettings),
    Follow(broadcast::Receiver<FeedItem>, Arc<dyn TimelineReader>),
    WhileClosed(Vec<FeedItem>),
    CatchUpFinished,
    Seen,
    Show(Note),
    /// An alert rule fired or resolved: shown unless notifications are off or paused.
    Alert(Note),
}

/// A handle to the watcher. Cheap to clone; the watcher stops when the store closes.
#[derive(Clone)]
pub struct Alerts {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<AlertStatus>,
}

/// How long one note may take to show before the watcher gives up on it.
const SHOW_TIMEOUT: Duration = Duration::from_secs(5);
/// How many feed items are claimed in one write.
const CLAIM_BATCH: usize = 512;
/// How far back a watcher that fell behind looks again.
const REPLAY_LOOKBACK_MS: i64 = 10 * 60 * 1000;
/// After a claim could not be written (the database busy or full), how long until the
/// unclaimed failures are read back from the store and tried again.
const CLAIM_RETRY: Duration = Duration::from_secs(2);

impl Alerts {
    /// Starts watching the store's feed. Must run inside a tokio runtime.
    pub fn start(store: Arc<Store>, notifier: Arc<dyn Notifier>, settings: AlertSettings) -> Self {
        let (commands, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(AlertStatus::default());
        let watcher = Watcher {
            feed: store.subscribe(),
            names: AgentNames::new(Arc::new(store.clone())),
            store,
            notifier,
            settings,
            pacing: Pacing::default(),
            caught_up: Vec::new(),
            retry_claims_at: None,
            status: status_tx,
        };
        tokio::spawn(watcher.run(rx));
        Self { commands, status }
    }

    pub fn set_settings(&self, settings: AlertSettings) {
        let _ = self.commands.send(Command::Settings(settings));
    }

    /// Watches another feed from now on (a team's database instead of this computer's
    /// store, or back). Claims stay in this computer's store: a call notified on this
    /// desktop is never notified on it again, whichever feed brought it.
    /// `names` is where the agents' names are read from (the same database as the feed).
    pub fn follow(&self, feed: broadcast::Receiver<FeedItem>, names: Arc<dyn TimelineReader>) {
        let _ = self.commands.send(Command::Follow(feed, names));
    }

    /// What happened while this desktop was not watching (a team's database read back on
    /// start): its failures not claimed yet become one "while closed" summary.
    pub fn while_closed(&self, items: Vec<FeedItem>) {
        let _ = self.commands.send(Command::WhileClosed(items));
    }

    /// Catch-up has merged what it found: the failures among it become one summary.
    pub fn catch_up_finished(&self) {
        let _ = self.commands.send(Command::CatchUpFinished);
    }

    /// The window was looked at: no failures are unseen.
    pub fn mark_seen(&self) {
        let _ = self.commands.send(Command::Seen);
    }

    /// An alert rule's note (fired, resolved): shown like a failure's, unless notifications
    /// are switched off or paused.
    pub fn alert(&self, note: Note) {
        let _ = self.commands.send(Command::Alert(note));
    }

    /// Shows a note of the app's own (not about a call), e.g. "still running".
    pub fn show(&self, note: Note) {
        let _ = self.commands.send(Command::Show(note));
    }

    pub fn status(&self) -> AlertStatus {
        self.status.borrow().clone()
    }

    /// Changes of the status, for the tray.
    pub fn watch_status(&self) -> watch::Receiver<AlertStatus> {
        self.status.clone()
    }
}

struct Watcher {
    store: Arc<Store>,
    feed: broadcast::Receiver<FeedItem>,
    /// Agents by name, from the database the feed comes from.
    names: AgentNames,
    notifier: Arc<dyn Notifier>,
    settings: AlertSettings,
    pacing: Pacing,
    /// Failures merged by catch-up, held for its summary.
    caught_up: Vec<Failure>,
    /// Set when a claim failed: the store is read back for unclaimed failures then.
    retry_claims_at: Option<Instant>,
    status: watch::Sender<AlertStatus>,
}

impl Watcher {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let deadline = self.pacing.next_deadline();
            tokio::select! {
                // Commands first: a settings change sent before a delivery applies to it.
                biased;
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Settings(settings)) => self.settings = settings,
                    Some(Command::Follow(feed, names)) => {
                        self.feed = feed;
                        self.names.follow(names);
                    }
                    Some(Command::WhileClosed(items)) => {
                        self.take_as(items, true).await;
                        self.summarize_catch_up().await;
                    }
                    Some(Command::CatchUpFinished) => {
                        // What catch-up merged was published before it said it was done.
                        if !self.drain_feed().await {
                            break;
                        }
                        self.summarize_catch_up().await;
                    }
                    Some(Command::Seen) => self.status.send_modify(|s| s.unseen = 0),
                    Some(Command::Show(note)) => self.show(note).await,
                    Some(Command::Alert(note)) => {
                        if self.settings.enabled && !self.settings.paused_at(Timestamp::now()) {
                            self.show(note).await;
                        }
                    }
                },
                item = self.feed.recv() => match item {
                    Ok(item) => {
                        let mut items = vec![item];
                        let open = self.take_queued(&mut items);
                        self.take(items).await;
                        if !open {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => self.replay(missed).await,
                    Err(RecvError::Closed) => break,
                },
                _ = tokio::time::sleep_until(self.retry_claims_at.unwrap_or_else(Instant::now)), if self.retry_claims_at.is_some() => {
                    self.retry_claims_at = None;
                    self.read_back("claims that failed").await;
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    for out in self.pacing.due(Instant::now()) {
                        let note = match &out {
                            Outgoing::Single(failure) => Note::single(failure),
                            Outgoing::Summary(failures) => Note::burst(failures),
                        };
                        self.show(note).await;
                    }
                }
            }
        }
        tracing::debug!("the alerts watcher stopped");
    }

    /// Moves what is already queued on the feed into `items`; false once the feed closed.
    fn take_queued(&mut self, items: &mut Vec<FeedItem>) -> bool {
        while items.len() < CLAIM_BATCH {
            match self.feed.try_recv() {
                Ok(item) => items.push(item),
                Err(TryRecvError::Empty | TryRecvError::Lagged(_)) => break,
                Err(TryRecvError::Closed) => return false,
            }
        }
        true
    }

    async fn drain_feed(&mut self) -> bool {
        loop {
            let mut items = Vec::new();
            let open = self.take_queued(&mut items);
            let done = items.len() < CLAIM_BATCH;
            self.take(items).await;
            if !open {
                return false;
            }
            if done {
                return true;
            }
        }
    }

    /// The failures among `items`, each call claimed once, handed to pacing or held for
    /// the catch-up summary; passed over while paused or switched off.
    async fn take(&mut self, items: Vec<FeedItem>) {
        self.take_as(items, false).await;
    }

    /// [`Watcher::take`], every failure counted as caught up when `missed` (read back, not
    /// live).
    async fn take_as(&mut self, items: Vec<FeedItem>, missed: bool) {
        let mut failures: Vec<Failure> = items
            .iter()
            .filter_map(|item| failure_of(item, &self.settings))
            .map(|f| Failure { caught_up: f.caught_up || missed, ..f })
            .collect();
        if failures.is_empty() {
            return;
        }
        self.names.name(&mut failures).await;
        let now = Timestamp::now();
        let (caught_up, live): (Vec<Failure>, Vec<Failure>) = failures.into_iter().partition(|f| f.caught_up);
        for (failures, usual) in [(live, AlertHow::Notified), (caught_up, AlertHow::CatchUp)] {
            let how = if !self.settings.enabled {
                AlertHow::Off
            } else if self.settings.paused_at(now) {
                AlertHow::Paused
            } else {
                usual
            };
            let claimed = match self.store.claim_alerts(failures.iter().map(|f| f.call_id.clone()).collect(), how).await
            {
                Ok(claimed) => claimed,
                Err(e) => {
                    // Unclaimed, so not shown: a call is never notified without its claim.
                    // Nor lost: the store still has them unclaimed, read back in a moment.
                    tracing::warn!(code = %e.code(), error = %e, "failures could not be claimed; trying again shortly");
                    self.retry_claims_at.get_or_insert(Instant::now() + CLAIM_RETRY);
                    continue;
                }
            };
            let count = claimed.len() as u32;
            self.status.send_modify(|s| s.unseen = s.unseen.saturating_add(count));
            let mut claimed = claimed.into_iter().peekable();
            for failure in failures {
                // `claimed` is in the order given, each call once.
                if claimed.next_if(|id| *id == failure.call_id).is_none() {
                    continue;
                }
                match how {
                    AlertHow::Notified => self.pacing.push(failure, Instant::now()),
                    AlertHow::CatchUp => self.caught_up.push(failure),
                    AlertHow::Paused | AlertHow::Off => {}
                }
            }
        }
    }

    async fn summarize_catch_up(&mut self) {
        let failures = std::mem::take(&mut self.caught_up);
        if !failures.is_empty() {
            self.show(Note::while_closed(&failures)).await;
        }
    }

    /// The feed dropped items: read the recent ones of unclaimed calls back from the store.
    async fn replay(&mut self, missed: u64) {
        tracing::warn!(missed, "the alerts watcher fell behind the feed; reading back from the store");
        self.read_back("what the feed dropped").await;
    }

    /// Takes the recent events of calls not claimed yet from the store, as if live.
    async fn read_back(&mut self, what: &str) {
        let since = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - REPLAY_LOOKBACK_MS)
            .unwrap_or_else(|_| Timestamp::now());
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.unclaimed_since(since, 10_000)).await {
            Ok(Ok(items)) => self.take(items).await,
            Ok(Err(e)) => {
                tracing::warn!(code = %e.code(), error = %e, what, "cannot read back from the store; trying again shortly");
                self.retry_claims_at.get_or_insert(Instant::now() + CLAIM_RETRY);
            }
            Err(e) => tracing::warn!(error = %e, what, "cannot read back from the store"),
        }
    }

    async fn show(&mut self, note: Note) {
        let notifier = self.notifier.clone();
        let shown = tokio::time::timeout(SHOW_TIMEOUT, tokio::task::spawn_blocking(move || notifier.show(&note))).await;
        let unavailable = match shown {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(e.0),
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("the notification server did not answer".to_owned()),
        };
        if unavailable.is_some() && self.status.borrow().unavailable.is_none() {
            tracing::warn!(reason = unavailable.as_deref(), "desktop notifications are unavailable");
        }
        self.status.send_modify(|s| s.unavailable = unavailable);
    }
}
