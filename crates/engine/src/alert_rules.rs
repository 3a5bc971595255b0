//! Alert rules in the app (docs/alerts.md): the rules kept with the settings (the
//! starter rules until the user changes them), the chat webhook's address in the keychain,
//! the runner beside the receiver in account and demo modes, its firings shown as desktop
//! notifications (paused and switched off with the failures'), and what the Alerts page
//! reads: each rule's value now and over the last day, the firings, and a preview of a rule
//! being edited against the stored history.

use std::sync::Arc;

use calleague_alert_rules::{
    preview, AlertNotice, AlertNotifier, AlertRule, ChatSender, ChatWebhook, Preview, RuleRunner, RuleStatus,
    RulesFile, RunnerOptions,
};
use calleague_alerts::{Alerts, Note, Open};
use calleague_error_code::ErrorCode;
use calleague_store::FiringRow;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::keychain::Entry;
use crate::settings::Mode;
use crate::Engine;

/// The most points a chart of a rule's value gets: a preview of 30 days is 43,200 minutes.
const MOST_POINTS: usize = 720;
const MOST_RULES: usize = 50;

/// The runner and the chat sender beside the receiver.
#[derive(Default)]
pub(crate) struct AlertRulesState {
    runner: Option<RuleRunner>,
    chat: Option<ChatSender>,
}

/// A rule as the Alerts page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct RuleView {
    pub rule: AlertRule,
    /// "Failure rate above 20% over 15 min".
    pub summary: String,
    /// As last evaluated (none while turned off, or before the first round).
    pub status: Option<RuleStatus>,
    /// Its value over the last day, for the row's chart (none for calls in progress).
    pub day: Option<ChartView>,
}

/// A value over time, at most [`MOST_POINTS`] points (each the worst of its minutes), and
/// the firings in it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct ChartView {
    pub from_ms: i64,
    pub to_ms: i64,
    pub step_ms: i64,
    pub values: Vec<Option<f64>>,
    pub firings: Vec<calleague_alert_rules::PreviewFiring>,
    /// Firings that would have been notified (the cooldown holds the others back).
    pub notified: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct AlertsView {
    pub rules: Vec<RuleView>,
    pub chat_host: Option<String>,
    /// Why the chat webhook is not posted to from here (team mode: the receivers post).
    pub chat_note: Option<String>,
    /// Why rules are not evaluated here now (team mode, no mode yet).
    pub unavailable: Option<String>,
}

/// A rule firing now, for the status bar.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FiringAlert {
    pub firing: i64,
    pub rule_id: String,
    pub name: String,
    pub severity: String,
    pub since_ms: i64,
}

/// Tells the desktop through the notifications' watcher (switched off and paused with the
/// failures' notes); a click opens the calls behind the firing.
struct DesktopAlerts(Alerts);

impl AlertNotifier for DesktopAlerts {
    fn alert(&self, notice: &AlertNotice) {
        // Fired or resolved, a click opens the calls behind the firing.
        let open = Open::AlertFiring(notice.firing);
        self.0.alert(Note { summary: notice.title.clone(), body: notice.body.clone(), open });
    }
}

fn invalid(e: calleague_alert_rules::AlertRulesError) -> AppError {
    let code = e.code();
    let field = e.field().map(str::to_owned);
    let error =
        AppError::new(if code == ErrorCode::Validation { ErrorCode::SettingInvalid } else { code }, e.to_string());
    match field {
        Some(field) => error.on_field(field),
        None => error,
    }
}

fn now_ms() -> i64 {
    calleague_events::Timestamp::now().unix_millis()
}

/// `preview`'s points folded into at most [`MOST_POINTS`]: each the worst value of its
/// minutes (the highest for "above", the lowest for "below"), so no spike is lost.
fn chart(rule: &AlertRule, preview: Preview) -> ChartView {
    let minutes = preview.points.len().max(1);
    let per_point = minutes.div_ceil(MOST_POINTS);
    let values = preview
        .points
        .chunks(per_point)
        .map(|chunk| chunk.iter().filter_map(|(_, v)| *v).reduce(|a, b| calleague_alert_rules::worst(rule, a, b)))
        .collect();
    ChartView {
        from_ms: preview.from_ms,
        to_ms: preview.to_ms,
        step_ms: per_point as i64 * 60_000,
        values,
        notified: preview.notified(),
        firings: preview.firings,
    }
}

/// A preview over this computer's store: SQLite reads block, and a month of minute rows
/// must not hold up the runtime's threads (the receiver acknowledges on them).
async fn off_the_runtime(
    store: Arc<calleague_store::Store>,
    rule: AlertRule,
    from: i64,
    to: i64,
) -> AppResult<Preview> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(preview(store.as_ref(), &rule, from, to)))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?
        .map_err(invalid)
}

impl Engine {
    /// The Alerts page: every rule with its value now and over the last day.
    pub async fn alerts_view(&self) -> AppResult<AlertsView> {
        let settings = self.settings.lock().await.clone();
        let team = settings.mode == Some(Mode::Team);
        let unavailable = match settings.mode {
            Some(Mode::Team) if self.team_store().is_none() => {
                Some("Connecting to the team's database: rules are evaluated over it once connected.")
            }
            None => Some("Connect an account or start the demo: rules are evaluated over what this app receives."),
            _ => None,
        }
        .map(str::to_owned);
        let chat_note = team.then(|| "In team mode the receivers post to the chat webhook (calleague-receiver serve --alerts FILE --alert-webhook-file FILE; Export… gives them these rules). This desktop notifies itself.".to_owned());
        let statuses = self.alert_rules.lock().await.runner.as_ref().map(RuleRunner::status).unwrap_or_default();
        let to = (now_ms() / 60_000 + 1) * 60_000;
        let mut rules = Vec::with_capacity(settings.alert_rules.rules.len());
        for rule in settings.alert_rules.rules {
            let day = self.preview_over(&rule, to - 24 * 3_600_000, to).await.ok().map(|p| chart(&rule, p));
            rules.push(RuleView {
                summary: calleague_alert_rules::summary(&rule),
                status: statuses.iter().find(|s| s.rule_id == rule.id).cloned(),
                day,
                rule,
            });
        }
        Ok(AlertsView { rules, chat_host: settings.alert_rules.chat_host, chat_note, unavailable })
    }

    /// Checks every rule (the first refusal named by its field, `rules.2.windowMinutes`),
    /// saves them and hands them to the runner. Nothing changes when one is refused.
    pub async fn save_alert_rules(&self, rules: Vec<AlertRule>) -> AppResult<Vec<AlertRule>> {
        if rules.len() > MOST_RULES {
            return Err(
                AppError::new(ErrorCode::SettingInvalid, format!("At most {MOST_RULES} rules.")).on_field("rules")
            );
        }
        let mut rules = rules;
        for rule in &mut rules {
            rule.name = rule.name.trim().to_owned();
        }
        RulesFile { rules: rules.clone() }.check().map_err(invalid)?;
        // A rule narrowed by a metadata field needs the field counted (in the background).
        self.choose_fields_of(&rules).await?;
        let saved = rules.clone();
        self.update_settings(|s| s.alert_rules.rules = saved).await?;
        if let Some(runner) = &self.alert_rules.lock().await.runner {
            runner.set_rules(rules.clone());
        }
        Ok(rules)
    }

    /// One rule tried against the last `days` days of stored history.
    pub async fn preview_alert_rule(&self, rule: AlertRule, days: u32) -> AppResult<ChartView> {
        if !(1..=30).contains(&days) {
            return Err(AppError::new(ErrorCode::SettingInvalid, "A preview looks back 1 to 30 days.").on_field("days"));
        }
        let to = (now_ms() / 60_000 + 1) * 60_000;
        let preview = self.preview_over(&rule, to - i64::from(days) * 86_400_000, to).await?;
        Ok(chart(&rule, preview))
    }

    /// The rule over the history this desktop watches: the team's database in team mode.
    async fn preview_over(&self, rule: &AlertRule, from: i64, to: i64) -> AppResult<Preview> {
        match self.team_store() {
            Some(team) => preview(team.as_ref(), rule, from, to).await.map_err(invalid),
            None => off_the_runtime(self.store().clone(), rule.clone(), from, to).await,
        }
    }

    /// Firings, newest first: of one rule, or of all.
    pub fn alert_firings(&self, rule_id: Option<String>, limit: u32) -> AppResult<Vec<FiringRow>> {
        Ok(self.store().firings(rule_id.as_deref(), 0, i64::MAX, limit.clamp(1, 500))?)
    }

    /// One firing (what a notification's click opens).
    pub fn alert_firing(&self, id: i64) -> AppResult<FiringRow> {
        self.store()
            .firing(id)?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("There is no firing {id} (pruned?).")))
    }

    /// A rules file's rules, checked (an import, before the person saves it).
    pub fn parse_alert_rules(&self, text: &str) -> AppResult<Vec<AlertRule>> {
        RulesFile::parse(text).map(|file| file.rules).map_err(invalid)
    }

    /// The rules as a rules file, for `calleague-receiver serve --alerts`.
    pub async fn alert_rules_file(&self) -> String {
        RulesFile { rules: self.settings.lock().await.alert_rules.rules.clone() }.to_json()
    }

    /// Sets (or, with none, removes) the chat webhook: its address into the keychain, its
    /// host into the settings. Returns the host.
    pub async fn set_alert_chat(&self, url: Option<String>) -> AppResult<Option<String>> {
        let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        let host = match &url {
            Some(url) => {
                let hook = ChatWebhook::parse(url).map_err(|e| invalid(e).on_field("chatUrl"))?;
                let url = url.clone();
                self.keychain(move |k| k.save(Entry::AlertChatWebhook, &url)).await?;
                Some(hook.host())
            }
            None => {
                self.keychain(|k| k.remove(Entry::AlertChatWebhook)).await?;
                None
            }
        };
        let saved = host.clone();
        self.update_settings(|s| s.alert_rules.chat_host = saved).await?;
        self.restart_alert_rules().await;
        Ok(host)
    }

    /// Starts the rules: over this computer's store (with the chat sender) in account and
    /// demo modes; over the team's database, for this desktop's own notifications, in team
    /// mode once connected.
    pub(crate) async fn restart_alert_rules(&self) {
        self.stop_alert_rules().await;
        let settings = self.settings.lock().await.clone();
        let (log, feed): (Arc<dyn calleague_store::AlertLog>, _) = match (settings.mode, self.team_store()) {
            (Some(Mode::Account | Mode::Demo), _) => (self.store().clone(), self.store().subscribe()),
            (Some(Mode::Team), Some(team)) => {
                let feed = team.subscribe();
                (Arc::new(crate::team_alerts::TeamAlertLog { team, local: self.store().clone() }), feed)
            }
            _ => return,
        };
        let chat = if settings.alert_rules.chat_host.is_some() && settings.mode != Some(Mode::Team) {
            match self.keychain(|k| k.load(Entry::AlertChatWebhook)).await {
                Ok(Some(url)) => {
                    ChatWebhook::parse(&url).ok().map(|hook| ChatSender::start(self.store().clone(), hook))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "the chat webhook's address could not be read from the keychain");
                    None
                }
            }
        } else {
            None
        };
        let notifier =
            self.alerts.get().map(|alerts| Arc::new(DesktopAlerts(alerts.clone())) as Arc<dyn AlertNotifier>);
        let options =
            RunnerOptions { chat: chat.as_ref().map(ChatSender::waker), notifier, ..RunnerOptions::default() };
        match RuleRunner::start(log, feed, settings.alert_rules.rules, options).await {
            Ok(runner) => {
                let mut state = self.alert_rules.lock().await;
                state.runner = Some(runner);
                state.chat = chat;
            }
            Err(e) => {
                tracing::warn!(error = %e, "alert rules could not start");
                if let Some(chat) = chat {
                    chat.stop().await;
                }
            }
        }
    }

    pub(crate) async fn stop_alert_rules(&self) {
        let (runner, chat) = {
            let mut state = self.alert_rules.lock().await;
            (state.runner.take(), state.chat.take())
        };
        if let Some(runner) = runner {
            runner.stop().await;
        }
        if let Some(chat) = chat {
            chat.stop().await;
        }
    }

    /// The rules firing now (the status bar's line).
    pub(crate) fn firing_alerts(&self, rules: &[AlertRule]) -> Vec<FiringAlert> {
        let Ok(state) = self.alert_rules.try_lock() else { return Vec::new() };
        let Some(runner) = &state.runner else { return Vec::new() };
        runner
            .status()
            .into_iter()
            .filter_map(|s| {
                let rule = rules.iter().find(|r| r.id == s.rule_id)?;
                Some(FiringAlert {
                    firing: s.firing?,
                    rule_id: s.rule_id,
                    name: rule.name.clone(),
                    severity: rule.severity.as_str().to_owned(),
                    since_ms: s.firing_since_ms?,
                })
            })
            .collect()
    }
}
