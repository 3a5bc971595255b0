//! Rules evaluated live: a task that runs an [`Evaluator`] round after each batch of
//! deliveries (at most once a second) and every 30 s, with rules that can be replaced while
//! it runs.

use std::sync::{Arc, Mutex};

use calleague_store::{AlertLog, FeedItem};
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::evaluator::{Evaluator, RuleStatus, RunnerOptions};
use crate::rule::AlertRule;
use crate::AlertRulesError;

/// A rule waiting for its field's count is tried again this soon, not at the next tick: a
/// count ends by itself, with no delivery to wake the runner.
const WHILE_COUNTING: std::time::Duration = std::time::Duration::from_secs(2);

/// Replaces a running runner's rules (from a file read again, or the settings).
#[derive(Clone)]
pub struct RulesHandle(Arc<watch::Sender<Vec<AlertRule>>>);

impl RulesHandle {
    /// New rules, evaluated at once.
    pub fn set(&self, rules: Vec<AlertRule>) {
        self.0.send_replace(rules);
    }
}

/// The live runner: a task that evaluates the rules it is given.
pub struct RuleRunner {
    rules: Arc<watch::Sender<Vec<AlertRule>>>,
    status: Arc<Mutex<Vec<RuleStatus>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RuleRunner {
    /// Evaluates `rules` over `store` after each of `feed`'s items (at most once per
    /// `at_most_every`) and every `every`.
    pub async fn start(
        store: Arc<dyn AlertLog>,
        feed: broadcast::Receiver<FeedItem>,
        rules: Vec<AlertRule>,
        options: RunnerOptions,
    ) -> Result<Self, AlertRulesError> {
        let evaluator = Evaluator::resume(store, options.clone()).await?;
        let (rules_tx, rules_rx) = watch::channel(rules);
        let status = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(evaluator, rules_rx, feed, status.clone(), options, stopped));
        Ok(Self { rules: Arc::new(rules_tx), status, stop: Some(stop), task })
    }

    /// New rules, evaluated at once.
    pub fn set_rules(&self, rules: Vec<AlertRule>) {
        self.rules.send_replace(rules);
    }

    pub fn rules_handle(&self) -> RulesHandle {
        RulesHandle(self.rules.clone())
    }

    pub fn rules(&self) -> Vec<AlertRule> {
        self.rules.borrow().clone()
    }

    /// Each enabled rule as last evaluated.
    pub fn status(&self) -> Vec<RuleStatus> {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

async fn run(
    mut evaluator: Evaluator,
    mut rules: watch::Receiver<Vec<AlertRule>>,
    mut feed: broadcast::Receiver<FeedItem>,
    status: Arc<Mutex<Vec<RuleStatus>>>,
    options: RunnerOptions,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut feed_open = true;
    let mut next_tick = Instant::now();
    let mut last_round: Option<Instant> = None;
    let mut pending = false;
    loop {
        // A batch of deliveries asks for a round, at most once per `at_most_every`.
        let due = match (pending, last_round) {
            (true, Some(last)) => (last + options.at_most_every).min(next_tick),
            _ => next_tick,
        };
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep_until(due) => {}
            changed = rules.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            item = feed.recv(), if feed_open => {
                match item {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        pending = true;
                        if last_round.is_some_and(|last| last.elapsed() < options.at_most_every) {
                            continue;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        feed_open = false;
                        continue;
                    }
                }
            }
        }
        let current = rules.borrow_and_update().clone();
        let statuses = evaluator.round(&current).await;
        let every = if statuses.iter().any(|s| s.counting) { options.every.min(WHILE_COUNTING) } else { options.every };
        if let Ok(mut shown) = status.lock() {
            *shown = statuses;
        }
        pending = false;
        last_round = Some(Instant::now());
        next_tick = Instant::now() + every;
    }
}
