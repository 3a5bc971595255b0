//! One round of alert rules: the windows the enabled rules look at read from the store (the
//! rollups in SQLite), once per window for all its rules (`window_counts.rs`); each rule's
//! tracker stepped, and what changed kept in the store (a firing and its chat notice in one
//! transaction) before anyone is told. A rule fires once per firing, also across restarts:
//! the open firings are read back when an evaluator resumes, and the store holds at most one
//! per rule. The runner (`runner.rs`) drives it; tests drive it by hand.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_store::{AlertLog, FiringRecorded, NewFiring};
use serde::Serialize;
use tokio::sync::Notify;

use crate::metric;
use crate::preview::peak;
use crate::rule::AlertRule;
use crate::text::{self, Facts};
use crate::tracker::{Change, Tracker};
use crate::window_counts::WindowCounts;
use crate::AlertRulesError;

/// Someone to tell when a rule fires or resolves (the desktop's notifications).
pub trait AlertNotifier: Send + Sync + 'static {
    fn alert(&self, notice: &AlertNotice);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    Firing,
    Resolved,
}

/// What a notifier is told.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct AlertNotice {
    pub kind: NoticeKind,
    pub firing: i64,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    /// The window behind the value (the calls a click opens), and the rule's agent.
    pub window_from_ms: i64,
    pub window_to_ms: i64,
    pub agent_id: Option<String>,
}

/// A rule as last evaluated, for the Alerts page and the status bar.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct RuleStatus {
    pub rule_id: String,
    pub evaluated_ms: i64,
    pub value: Option<f64>,
    /// Outside its active hours: not evaluated.
    pub inactive: bool,
    pub window_from_ms: i64,
    pub window_to_ms: i64,
    pub firing: Option<i64>,
    pub firing_since_ms: Option<i64>,
    pub error: Option<String>,
    /// Waits for its metadata field's calls to be counted (the error says how far).
    pub counting: bool,
}

pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| Timestamp::now().unix_millis())
}

#[derive(Clone)]
pub struct RunnerOptions {
    /// Evaluate at least this often (windows move with the clock).
    pub every: Duration,
    /// After deliveries, at most this often.
    pub at_most_every: Duration,
    /// Write chat notices (there is a chat webhook), and wake its sender.
    pub chat: Option<Arc<Notify>>,
    pub notifier: Option<Arc<dyn AlertNotifier>>,
    pub clock: Clock,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(30),
            at_most_every: Duration::from_secs(1),
            chat: None,
            notifier: None,
            clock: system_clock(),
        }
    }
}

/// One rule's state between rounds.
#[derive(Debug, Default)]
struct Tracked {
    tracker: Tracker,
    firing: Option<i64>,
    peak: f64,
}

/// Evaluates rules round by round; the runner drives it, and tests drive it by hand.
pub struct Evaluator {
    store: Arc<dyn AlertLog>,
    options: RunnerOptions,
    tracked: HashMap<String, Tracked>,
}

impl Evaluator {
    /// Resumes every rule's state from the store: open firings stay open, cooldowns run on.
    pub async fn resume(store: Arc<dyn AlertLog>, options: RunnerOptions) -> Result<Self, AlertRulesError> {
        let mut tracked: HashMap<String, Tracked> = HashMap::new();
        for open in store.open_firings().await? {
            let last = store.last_notified_firing(open.rule_id.clone()).await?;
            tracked.insert(
                open.rule_id.clone(),
                Tracked {
                    tracker: Tracker::resume(Some((open.started_ms, open.notified)), last),
                    firing: Some(open.id),
                    peak: open.peak,
                },
            );
        }
        Ok(Self { store, options, tracked })
    }

    async fn tracked(&mut self, rule_id: &str) -> Result<&mut Tracked, AlertRulesError> {
        if !self.tracked.contains_key(rule_id) {
            let last = self.store.last_notified_firing(rule_id.to_owned()).await?;
            self.tracked
                .insert(rule_id.to_owned(), Tracked { tracker: Tracker::resume(None, last), ..Tracked::default() });
        }
        Ok(self.tracked.get_mut(rule_id).expect("inserted"))
    }

    /// One round over `rules` at the clock's time.
    pub async fn round(&mut self, rules: &[AlertRule]) -> Vec<RuleStatus> {
        let now = (self.options.clock)();
        self.round_at(rules, now).await
    }

    /// One round at `now_ms`.
    pub async fn round_at(&mut self, rules: &[AlertRule], now_ms: i64) -> Vec<RuleStatus> {
        let active = |r: &&AlertRule| r.enabled && r.active_at(now_ms);
        let counted = WindowCounts::read(self.store.as_ref(), rules.iter().filter(active), now_ms).await;
        let mut statuses = Vec::with_capacity(rules.len());
        for rule in rules.iter().filter(|r| r.enabled) {
            let status = match self.evaluate(rule, now_ms, &counted).await {
                Ok(status) => status,
                Err(e) => {
                    // A dimension being counted is expected to wait a while: said on the rule, not logged each round.
                    if e.code() == calleague_error_code::ErrorCode::DimensionNotCounted {
                        tracing::debug!(rule = %rule.id, error = %e, "an alert rule waits for its dimension's count");
                    } else {
                        tracing::warn!(rule = %rule.id, error = %e, "an alert rule could not be evaluated");
                    }
                    let (from, to) = metric::window_at(rule, now_ms);
                    RuleStatus {
                        rule_id: rule.id.clone(),
                        evaluated_ms: now_ms,
                        value: None,
                        inactive: false,
                        window_from_ms: from,
                        window_to_ms: to,
                        firing: self.tracked.get(&rule.id).and_then(|t| t.firing),
                        firing_since_ms: self.tracked.get(&rule.id).and_then(|t| t.tracker.firing_since()),
                        counting: e.code() == calleague_error_code::ErrorCode::DimensionNotCounted,
                        error: Some(e.to_string()),
                    }
                }
            };
            statuses.push(status);
        }
        // A rule disabled or removed while firing: its firing ends, without a notice.
        let gone: Vec<String> = self
            .tracked
            .iter()
            .filter(|(id, t)| t.firing.is_some() && !rules.iter().any(|r| r.enabled && &r.id == *id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            if let Some(mut tracked) = self.tracked.remove(&id) {
                if let Some(firing) = tracked.firing.take() {
                    if let Err(e) = self.store.record_resolved(firing, now_ms, None).await {
                        tracing::warn!(rule = %id, error = %e, "the firing of a rule turned off could not be ended");
                    }
                }
            }
        }
        statuses
    }

    async fn evaluate(
        &mut self,
        rule: &AlertRule,
        now_ms: i64,
        counted: &WindowCounts,
    ) -> Result<RuleStatus, AlertRulesError> {
        let (from, to) = metric::window_at(rule, now_ms);
        let active = rule.active_at(now_ms);
        let value = if active { metric::value(rule, &counted.of(rule, now_ms)?) } else { None };
        let breaking = active && metric::breaks(rule, value);
        let chat = self.options.chat.clone();
        let notifier = self.options.notifier.clone();
        let store = self.store.clone();
        let change = self.tracked(&rule.id).await?.tracker.step(rule, now_ms, breaking);
        match change {
            Change::Ok => {}
            Change::Fired { notify } => {
                let value = value.unwrap_or(0.0);
                let told = notify && (chat.is_some() || notifier.is_some());
                let facts = if told { Some(top_lines(store.as_ref(), rule, from, to).await?) } else { None };
                let facts = facts.map(|(top_agents, top_reasons, agent)| Facts {
                    rule,
                    value,
                    window_from_ms: from,
                    window_to_ms: to,
                    top_agents,
                    top_reasons,
                    agent,
                });
                let recorded = store
                    .record_firing(NewFiring {
                        rule_id: rule.id.clone(),
                        rule_name: rule.name.clone(),
                        severity: rule.severity.as_str().to_owned(),
                        at_ms: now_ms,
                        value,
                        threshold: rule.condition.threshold,
                        window_from_ms: from,
                        window_to_ms: to,
                        notified: notify,
                        chat: facts.as_ref().filter(|_| chat.is_some()).map(text::chat_firing),
                    })
                    .await?;
                let tracked = self.tracked(&rule.id).await?;
                tracked.peak = value;
                match recorded {
                    FiringRecorded::New(id) => {
                        tracked.firing = Some(id);
                        if let Some(chat) = &chat {
                            chat.notify_one();
                        }
                        if let (Some(notifier), Some(facts)) = (&notifier, &facts) {
                            let (title, body) = text::desktop_firing(facts);
                            notifier.alert(&notice(NoticeKind::Firing, id, rule, title, body, from, to));
                        }
                    }
                    // Already open (another receiver of a team): it told, not we.
                    FiringRecorded::AlreadyOpen(id) => tracked.firing = Some(id),
                }
            }
            Change::StillFiring => {
                let tracked = self.tracked(&rule.id).await?;
                if let (Some(firing), Some(value)) = (tracked.firing, value) {
                    // Written only when it gets worse: the value now is in the status, and a
                    // synced write per firing rule per round would cost more than the round.
                    let worst = peak(rule, tracked.peak, value);
                    if worst != tracked.peak {
                        tracked.peak = worst;
                        store.record_firing_peak(firing, worst).await?;
                    }
                }
            }
            Change::Resolved { notify, started_ms } => {
                let tracked = self.tracked(&rule.id).await?;
                let worst = tracked.peak;
                if let Some(firing) = tracked.firing.take() {
                    let message =
                        (notify && chat.is_some()).then(|| text::chat_resolved(rule, value, started_ms, now_ms, worst));
                    let ended = store.record_resolved(firing, now_ms, message).await?;
                    if ended && notify {
                        if let Some(chat) = &chat {
                            chat.notify_one();
                        }
                        if let Some(notifier) = &notifier {
                            let title = format!("Resolved: {}", rule.name);
                            let body = text::chat_resolved(rule, value, started_ms, now_ms, worst)
                                .trim_start_matches(":white_check_mark: *Resolved* ")
                                .to_owned();
                            notifier.alert(&notice(NoticeKind::Resolved, firing, rule, title, body, from, to));
                        }
                    }
                }
            }
        }
        let tracked = self.tracked(&rule.id).await?;
        Ok(RuleStatus {
            rule_id: rule.id.clone(),
            evaluated_ms: now_ms,
            value,
            inactive: !active,
            window_from_ms: from,
            window_to_ms: to,
            firing: tracked.firing,
            firing_since_ms: tracked.tracker.firing_since(),
            error: None,
            counting: false,
        })
    }
}

fn notice(
    kind: NoticeKind,
    firing: i64,
    rule: &AlertRule,
    title: String,
    body: String,
    from: i64,
    to: i64,
) -> AlertNotice {
    AlertNotice {
        kind,
        firing,
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity: rule.severity.as_str().to_owned(),
        title,
        body,
        window_from_ms: from,
        window_to_ms: to,
        agent_id: rule.scope.agent_id.clone(),
    }
}

/// The top three agents by failures and reasons in the window (the overview's tallies),
/// and the rule's own agent as shown: agents by name where the store has one.
#[allow(clippy::type_complexity)]
async fn top_lines(
    store: &dyn AlertLog,
    rule: &AlertRule,
    from: i64,
    to: i64,
) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>, Option<String>), AlertRulesError> {
    let (failures_by_agent, reasons) = store.top_tallies(from, to).await?;
    // Names are a nicety: a store that cannot read them leaves the ids.
    let names: HashMap<String, String> = match store.agents().await {
        Ok(agents) => agents.into_iter().filter_map(|a| Some((a.agent_id, a.name?))).collect(),
        Err(e) => {
            tracing::debug!(error = %e, "the agents' names could not be read; ids are shown");
            HashMap::new()
        }
    };
    let shown = |id: &str| names.get(id).map(|name| format!("{name} ({id})"));
    let agents = if rule.scope.describe().is_some() {
        Vec::new()
    } else {
        failures_by_agent
            .iter()
            .filter(|t| t.failed > 0)
            .take(3)
            .map(|t| match &t.key {
                Some(id) => (names.get(id).unwrap_or(id).clone(), t.failed),
                None => ("(no agent)".into(), t.failed),
            })
            .collect()
    };
    let reasons = reasons.iter().filter_map(|t| t.key.clone().map(|key| (key, t.calls))).take(3).collect();
    Ok((agents, reasons, rule.scope.agent_id.as_deref().and_then(shown)))
}
