//! Where the app's calls come from: webhooks, the REST API read instead of them, or both
//! (docs/sources.md). The engine chooses the mode from what it knows of this computer's
//! subscription, follows it when the subscriptions change, and tells the person when
//! webhooks stop arriving.

use std::sync::Arc;

use calleague_alerts::{Alerts, Note};
use calleague_client::{Client, RequestBudget};
use calleague_rest_source::{RestSourceOptions, SourceMode, SourceNotice};

use calleague_error_code::ErrorCode;

use crate::settings::{Mode, Settings, SourceSettings};
use crate::subscriptions::SubscriptionProblem;
use crate::Engine;
use crate::{AppError, AppResult};

/// REST only while no subscription can send here (no public address, or none pointing at
/// it); both when one does. A setting of 0 turns either off.
pub(crate) fn source_mode(settings: &Settings, problem: Option<&SubscriptionProblem>) -> SourceMode {
    let reachable = settings.public_url.is_some()
        && !matches!(problem, Some(SubscriptionProblem::NoPublicUrl | SubscriptionProblem::NoneHere { .. }));
    let sources = &settings.sources;
    match reachable {
        false if sources.poll_every_secs > 0 => SourceMode::RestOnly,
        true if sources.reconcile_every_minutes > 0 => SourceMode::Both,
        _ => SourceMode::Webhooks,
    }
}

fn options(settings: &Settings) -> RestSourceOptions {
    RestSourceOptions {
        poll_every: settings.sources.poll_every(),
        reconcile_every: settings.sources.reconcile_every(),
        longest_call: settings.longest_call(),
        ..RestSourceOptions::default()
    }
}

/// The desktop notification for a notice; None for its end (the status bar clears).
pub(crate) fn note_for(notice: &SourceNotice) -> Option<Note> {
    let SourceNotice::NotArriving(n) = notice else { return None };
    let mut body = format!(
        "Calleague listed {} calls in the last {} minutes and none was delivered here.",
        n.calls_listed, n.quiet_minutes
    );
    for cause in n.causes.iter().filter(|c| c.fine == Some(false)) {
        body.push_str(&format!("\n{}: {}", cause.what, cause.detail));
    }
    Some(Note { summary: "Webhooks are not arriving".into(), body, open: calleague_alerts::Open::Timeline })
}

/// Each field within its bounds, or an error on the first that is not.
fn checked(sources: SourceSettings) -> AppResult<SourceSettings> {
    let bad = |field: &str, message: &str| Err(AppError::new(ErrorCode::SettingInvalid, message).on_field(field));
    if sources.poll_every_secs != 0 && !(5..=3600).contains(&sources.poll_every_secs) {
        return bad("pollEverySecs", "Read every 5 seconds to an hour, or 0 for never.");
    }
    if sources.reconcile_every_minutes > 1440 {
        return bad("reconcileEveryMinutes", "Reconcile every 1 to 1,440 minutes (a day), or 0 for never.");
    }
    if !(1..=600).contains(&sources.requests_per_minute) {
        return bad("requestsPerMinute", "Allow 1 to 600 requests a minute.");
    }
    Ok(sources)
}

impl Engine {
    /// Checks and saves how the REST API is read; the source starts over with them (the
    /// receiver keeps running).
    pub async fn set_source_settings(&self, sources: SourceSettings) -> AppResult<()> {
        let sources = checked(sources)?;
        self.update_settings(|s| s.sources = sources).await?;
        // A new budget at the new rate, from the next reader on.
        *self.rest_budget.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.start_rest_source().await;
        Ok(())
    }

    /// A REST client for reading calls in the background (catch-up and the source), under
    /// the request budget of this run.
    pub(crate) async fn reading_client(&self) -> crate::AppResult<Client> {
        let per_minute = self.settings.lock().await.sources.requests_per_minute;
        let budget = {
            let mut budget = self.rest_budget.lock().unwrap_or_else(|p| p.into_inner());
            budget.get_or_insert_with(|| Arc::new(RequestBudget::per_minute(per_minute))).clone()
        };
        Ok(self.client().await?.with_budget(budget))
    }

    /// In account mode, starts the REST source on the running receiver service, in the
    /// mode the subscriptions call for.
    pub(crate) async fn start_rest_source(&self) {
        let settings = self.settings.lock().await.clone();
        if settings.mode != Some(Mode::Account) {
            return;
        }
        let client = match self.reading_client().await {
            Ok(client) => client,
            Err(e) => return tracing::warn!(code = %e.code, error = %e.message, "the REST source did not start"),
        };
        let here = self.this_computer().await;
        let alerts: Option<Alerts> = self.alerts.get().cloned();
        let mut running = self.running.lock().await;
        let mode = source_mode(&settings, running.subscription_problem.as_ref());
        let Some(service) = running.service.as_mut() else { return };
        let notice = move |notice: SourceNotice| {
            if let (Some(note), Some(alerts)) = (note_for(&notice), &alerts) {
                alerts.show(note);
            }
        };
        service.start_rest_source(client, options(&settings), mode, here, notice).await;
    }

    /// The subscriptions changed: the source follows (switching needs no restart).
    pub(crate) async fn follow_source_mode(&self) {
        let settings = self.settings.lock().await.clone();
        let running = self.running.lock().await;
        let mode = source_mode(&settings, running.subscription_problem.as_ref());
        if let Some(source) = running.service.as_ref().and_then(|s| s.rest_source()) {
            source.set_mode(mode);
        }
    }

    /// Catches up at once after each wake (see wake.rs): on the system bus, or on the bus
    /// at `address` (tests). An error means no such bus: nothing listens, nothing else
    /// changes.
    pub async fn follow_wakes(self: &Arc<Self>, address: Option<&str>) -> zbus::Result<()> {
        let engine = Arc::downgrade(self);
        // Detached: it ends with the bus connection, at exit.
        let _listening = crate::wake::watch_wakes(address, move |_| {
            if let Some(engine) = engine.upgrade() {
                tokio::spawn(async move { engine.woke().await });
            }
        })
        .await?;
        Ok(())
    }

    /// The computer woke from sleep or its network came back: catch up the gap now rather
    /// than at the next round.
    pub async fn woke(&self) {
        // Only an account misses deliveries while asleep: the demo plays on, a team's
        // receivers run elsewhere.
        if self.settings.lock().await.mode != Some(Mode::Account) {
            return;
        }
        tracing::info!("awake again: catching up");
        self.spawn_catch_up().await;
        if let Some(source) = self.running.lock().await.service.as_ref().and_then(|s| s.rest_source()) {
            source.read_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calleague_events::Timestamp;
    use calleague_rest_source::{CauseCheck, NotArriving};

    #[test]
    fn rest_only_until_a_subscription_can_point_here() {
        let mut settings = Settings::default();
        assert_eq!(source_mode(&settings, None), SourceMode::RestOnly, "no public address");
        settings.public_url = Some("https://tunnel.example".into());
        let none_here = SubscriptionProblem::NoneHere { url: "https://tunnel.example/hooks".into(), events: vec![] };
        assert_eq!(source_mode(&settings, Some(&none_here)), SourceMode::RestOnly);
        let missing =
            SubscriptionProblem::MissingEvents { webhook_id: "wh".into(), missing: vec!["call.failed".into()] };
        assert_eq!(source_mode(&settings, Some(&missing)), SourceMode::Both);
        assert_eq!(source_mode(&settings, None), SourceMode::Both);
        settings.sources.reconcile_every_minutes = 0;
        assert_eq!(source_mode(&settings, None), SourceMode::Webhooks);
        settings.public_url = None;
        assert_eq!(source_mode(&settings, None), SourceMode::RestOnly, "a poll setting of its own");
        settings.sources.poll_every_secs = 0;
        assert_eq!(source_mode(&settings, None), SourceMode::Webhooks, "never read without webhooks");
    }

    #[test]
    fn source_settings_are_checked_field_by_field() {
        let fine = SourceSettings { poll_every_secs: 5, reconcile_every_minutes: 0, requests_per_minute: 600 };
        assert_eq!(checked(fine.clone()).unwrap(), fine);
        let field = |s: SourceSettings| checked(s).unwrap_err().field;
        assert_eq!(field(SourceSettings { poll_every_secs: 4, ..fine.clone() }).as_deref(), Some("pollEverySecs"));
        assert!(checked(SourceSettings { poll_every_secs: 0, ..fine.clone() }).is_ok(), "0: never");
        assert_eq!(
            field(SourceSettings { reconcile_every_minutes: 1441, ..fine.clone() }).as_deref(),
            Some("reconcileEveryMinutes")
        );
        assert_eq!(field(SourceSettings { requests_per_minute: 0, ..fine }).as_deref(), Some("requestsPerMinute"));
    }

    #[test]
    fn the_note_says_how_many_calls_and_what_is_wrong() {
        let cause = |what: &str, fine| CauseCheck { what: what.into(), fine, detail: format!("{what} detail") };
        let notice = SourceNotice::NotArriving(NotArriving {
            since: Timestamp::now(),
            raised_at: Timestamp::now(),
            calls_listed: 12,
            quiet_minutes: 10,
            causes: vec![cause("The API key", Some(true)), cause("The subscription", Some(false))],
        });
        let note = note_for(&notice).unwrap();
        assert_eq!(note.summary, "Webhooks are not arriving");
        assert_eq!(
            note.body,
            "Calleague listed 12 calls in the last 10 minutes and none was delivered here.\nThe subscription: The subscription detail"
        );
        assert_eq!(note_for(&SourceNotice::Cleared { at: Timestamp::now() }), None);
    }
}
