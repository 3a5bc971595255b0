//! Forwarding's settings as the Settings page shows and sends them, and their check: each
//! field by itself, the form applied all or nothing (`forwarding.rs` applies them).

use calleague_error_code::ErrorCode;
use calleague_forward::{ForwardError, ForwardTarget};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The most targets; a few handlers under development, not a fan-out service.
const MOST_TARGETS: usize = 10;

/// Forwarding as the Settings page shows and sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ForwardingSettings {
    pub targets: Vec<TargetSettings>,
    /// How long after its receipt a delivery not answered 2xx is retried, in hours.
    pub retry_window_hours: u32,
    /// How long one request may take, in seconds.
    pub timeout_secs: u32,
}

impl Default for ForwardingSettings {
    fn default() -> Self {
        Self { targets: Vec::new(), retry_window_hours: 24, timeout_secs: 10 }
    }
}

/// One of the user's handlers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TargetSettings {
    pub url: String,
    /// Event names; empty: every event.
    pub events: Vec<String>,
    pub enabled: bool,
}

/// The settings cleaned up, or the first field that is wrong (`targets.2.url`…).
pub fn validated(mut s: ForwardingSettings) -> AppResult<(ForwardingSettings, Vec<ForwardTarget>)> {
    let invalid = |field: String, message: String| AppError::new(ErrorCode::SettingInvalid, message).on_field(field);
    if s.targets.len() > MOST_TARGETS {
        return Err(invalid("targets".into(), format!("At most {MOST_TARGETS} targets.")));
    }
    let mut targets = Vec::new();
    for (i, t) in s.targets.iter_mut().enumerate() {
        t.url = t.url.trim().to_owned();
        let mut target = ForwardTarget::new(&t.url, &t.events).map_err(|e| match e {
            ForwardError::Invalid { field, message } => invalid(format!("targets.{i}.{field}"), message),
            other => invalid(format!("targets.{i}.url"), other.to_string()),
        })?;
        if targets.iter().any(|known: &ForwardTarget| known.url == target.url) {
            return Err(invalid(format!("targets.{i}.url"), "This address is already a target.".into()));
        }
        target.enabled = t.enabled;
        t.events = target.events.iter().cloned().collect();
        targets.push(target);
    }
    if !(1..=24 * 7).contains(&s.retry_window_hours) {
        return Err(invalid("retryWindowHours".into(), "From 1 hour to a week (168 hours).".into()));
    }
    if !(1..=120).contains(&s.timeout_secs) {
        return Err(invalid("timeoutSecs".into(), "From 1 to 120 seconds.".into()));
    }
    Ok((s, targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, events: &[&str]) -> TargetSettings {
        TargetSettings { url: url.into(), events: events.iter().map(|e| e.to_string()).collect(), enabled: true }
    }

    #[test]
    fn each_field_is_checked_and_named() {
        let ok = ForwardingSettings {
            targets: vec![
                target(" http://localhost:3000/hooks ", &["call.ended"]),
                target("https://example.com/h", &[]),
            ],
            ..ForwardingSettings::default()
        };
        let (clean, targets) = validated(ok).unwrap();
        assert_eq!(clean.targets[0].url, "http://localhost:3000/hooks");
        assert_eq!(clean.targets[0].events, ["call.completed"]);
        assert_eq!(targets.len(), 2);
        for (settings, field) in [
            (
                ForwardingSettings { targets: vec![target("http://10.1.2.3/h", &[])], ..Default::default() },
                "targets.0.url",
            ),
            (
                ForwardingSettings {
                    targets: vec![target("http://localhost:1/h", &[]), target("http://localhost:1/h", &[])],
                    ..Default::default()
                },
                "targets.1.url",
            ),
            (
                ForwardingSettings {
                    targets: vec![target("http://localhost:1/h", &["call.nope"])],
                    ..Default::default()
                },
                "targets.0.events",
            ),
            (ForwardingSettings { retry_window_hours: 0, ..Default::default() }, "retryWindowHours"),
            (ForwardingSettings { timeout_secs: 500, ..Default::default() }, "timeoutSecs"),
        ] {
            let e = validated(settings).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
            assert_eq!(e.code, ErrorCode::SettingInvalid);
        }
    }
}
