//! The engine's side of desktop notifications: starting the watcher with the saved
//! settings, changing them (validated, saved, then applied), pausing, and the notes of the
//! app's own life (still receiving after the window closed).

use std::sync::Arc;

use calleague_alerts::{AlertSettings, Alerts, Note, Notifier, Pause};
use calleague_error_code::ErrorCode;
use calleague_events::Timestamp;

use crate::error::{AppError, AppResult};
use crate::Engine;

/// The longest a metadata key may be; longer is a paste gone wrong.
const MAX_FIELD_LEN: usize = 100;
/// The longest pause one can ask for: a week. Longer is "until resumed".
const MAX_PAUSE_MINUTES: u32 = 7 * 24 * 60;

impl Engine {
    /// Starts the notifications' watcher with the saved settings. Once; later calls do
    /// nothing. Inside the runtime.
    pub async fn start_notifications(&self, notifier: Arc<dyn Notifier>) {
        let settings = self.settings.lock().await.notifications.clone();
        let store = self.store().clone();
        let alerts = self.alerts.get_or_init(|| Alerts::start(store, notifier, settings));
        // Team mode connected first: the notifications follow the team's feed.
        if let Some(team) = self.team_store() {
            alerts.follow(team.subscribe(), team);
        }
    }

    /// The watcher, for the tray's unseen count.
    pub fn alerts(&self) -> Option<&Alerts> {
        self.alerts.get()
    }

    /// Checks, saves, then applies: a setting that cannot be saved changes nothing.
    pub async fn set_notifications(&self, settings: AlertSettings) -> AppResult<()> {
        let settings = validated(settings)?;
        self.update_settings(|s| {
            // The pause has its own command; a form saved while paused keeps it.
            let pause = s.notifications.pause.take();
            s.notifications = AlertSettings { pause, ..settings };
        })
        .await?;
        self.apply_notifications().await;
        Ok(())
    }

    /// Pauses notifications for `minutes`, or until resumed (None); `Some(0)` resumes.
    pub async fn pause_notifications(&self, minutes: Option<u32>) -> AppResult<()> {
        let pause = match minutes {
            Some(0) => None,
            Some(m) if m <= MAX_PAUSE_MINUTES => {
                let until = Timestamp::now().unix_millis() + i64::from(m) * 60_000;
                let until = Timestamp::from_unix_millis(until)
                    .map_err(|e| AppError::new(ErrorCode::InvalidTime, e.to_string()))?;
                Some(Pause::Until { until })
            }
            Some(_) => {
                return Err(AppError::new(
                    ErrorCode::NotificationSettingInvalid,
                    "Pause for at most a week, or until resumed.",
                ))
            }
            None => Some(Pause::UntilResumed),
        };
        self.update_settings(|s| s.notifications.pause = pause).await?;
        self.apply_notifications().await;
        Ok(())
    }

    /// The window was looked at: the tray no longer counts failures as unseen.
    pub fn mark_failures_seen(&self) {
        if let Some(alerts) = self.alerts.get() {
            alerts.mark_seen();
        }
    }

    pub async fn set_start_at_login(&self, on: bool) -> AppResult<()> {
        self.update_settings(|s| s.start_at_login = on).await
    }

    /// Keeps the window's theme (the window applies it).
    pub async fn set_theme(&self, theme: crate::settings::Theme) -> AppResult<()> {
        self.update_settings(|s| s.theme = theme).await
    }

    pub async fn theme(&self) -> crate::settings::Theme {
        self.settings.lock().await.theme
    }

    /// The first time the window is closed while receiving goes on, says so in a note.
    /// Once per install: the flag is saved.
    pub async fn note_running_in_background(&self) {
        if self.settings.lock().await.background_notice_shown {
            return;
        }
        if self.update_settings(|s| s.background_notice_shown = true).await.is_err() {
            return;
        }
        let team = self.team_store().is_some();
        if let Some(alerts) = self.alerts.get() {
            alerts.show(Note {
                summary: if team { "Calleague Monitor is still watching" } else { "Calleague Monitor is still receiving" }.into(),
                body: if team {
                    "The team's failed calls are notified while the window is closed. Quit from the tray icon's menu."
                } else {
                    "Calls are received and failures notified while the window is closed. Quit from the tray icon's menu."
                }
                .into(),
                open: calleague_alerts::Open::Timeline,
            });
        }
    }

    async fn apply_notifications(&self) {
        if let Some(alerts) = self.alerts.get() {
            alerts.set_settings(self.settings.lock().await.notifications.clone());
        }
    }
}

/// The settings as they are saved, or why they cannot be.
fn validated(settings: AlertSettings) -> AppResult<AlertSettings> {
    let settings = settings.normalized();
    let invalid = |message: String| Err(AppError::new(ErrorCode::NotificationSettingInvalid, message));
    for event in &settings.events {
        let well_formed = event.split('.').count() == 2
            && event.split('.').all(|part| !part.is_empty())
            && event.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
        if !well_formed {
            return invalid(format!("\"{event}\" is not an event name: names look like call.failed."));
        }
    }
    if settings.enabled && settings.events.is_empty() && settings.ended_reasons.is_empty() {
        return invalid(
            "Choose at least one event or ended reason to be notified of, or switch notifications off.".into(),
        );
    }
    if settings.ended_reasons.iter().any(|r| r.len() > MAX_FIELD_LEN) {
        return invalid(format!("An ended reason is at most {MAX_FIELD_LEN} characters."));
    }
    if settings.metadata_field.as_ref().is_some_and(|f| f.len() > MAX_FIELD_LEN) {
        return invalid(format!("The metadata field's name is at most {MAX_FIELD_LEN} characters."));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_must_look_like_event_names() {
        for bad in ["failed", "call.", ".failed", "Call.Failed", "call.failed.now", "call failed"] {
            let settings = AlertSettings { events: vec![bad.into()], ..AlertSettings::default() };
            let e = validated(settings).unwrap_err();
            assert_eq!(e.code, ErrorCode::NotificationSettingInvalid, "{bad}");
            assert!(e.message.contains(bad), "{}", e.message);
        }
        let good = AlertSettings {
            events: vec![" call.failed".into(), "agent.escalated_2".into()],
            ..AlertSettings::default()
        };
        assert_eq!(validated(good).unwrap().events, vec!["call.failed".to_string(), "agent.escalated_2".to_string()]);
    }

    #[test]
    fn switched_on_with_nothing_to_notify_of_is_refused_and_off_is_fine() {
        let nothing = AlertSettings { events: Vec::new(), ended_reasons: Vec::new(), ..AlertSettings::default() };
        assert!(validated(nothing.clone()).is_err());
        assert!(validated(AlertSettings { enabled: false, ..nothing }).is_ok());
        let by_reason =
            AlertSettings { events: Vec::new(), ended_reasons: vec!["voicemail".into()], ..AlertSettings::default() };
        assert!(validated(by_reason).is_ok());
        let long = AlertSettings { metadata_field: Some("x".repeat(101)), ..AlertSettings::default() };
        assert!(validated(long).unwrap_err().message.contains("100"));
    }
}
