//! Which deliveries announce a failure worth a notification, by the user's settings.

use calleague_events::Timestamp;
use calleague_store::{FeedItem, Source};
use serde::{Deserialize, Serialize};

/// The events that end a call and carry its `endedReason`.
const ENDING_EVENTS: [&str; 2] = ["call.completed", "call.failed"];

/// The notification settings, kept with the app's other settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertSettings {
    pub enabled: bool,
    /// Events that notify (canonical names): `call.failed` by default.
    pub events: Vec<String>,
    /// Ended calls whose `endedReason` is one of these notify too, whatever their event
    /// (say `voicemail` or `customer-did-not-answer` on a completed call).
    pub ended_reasons: Vec<String>,
    /// A metadata key whose value the notification shows (an order id, a customer tier).
    pub metadata_field: Option<String>,
    pub pause: Option<Pause>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            events: vec!["call.failed".into()],
            ended_reasons: Vec::new(),
            metadata_field: None,
            pause: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Pause {
    Until { until: Timestamp },
    UntilResumed,
}

impl AlertSettings {
    /// Whether notifications are held at `now` (paused, and the pause has not run out).
    pub fn paused_at(&self, now: Timestamp) -> bool {
        match &self.pause {
            None => false,
            Some(Pause::UntilResumed) => true,
            Some(Pause::Until { until }) => *until > now,
        }
    }

    /// The settings with every list trimmed of blanks and repeats: what is saved.
    pub fn normalized(mut self) -> Self {
        let clean = |list: &mut Vec<String>| {
            let mut seen = std::collections::HashSet::new();
            list.retain_mut(|s| {
                *s = s.trim().to_owned();
                !s.is_empty() && seen.insert(s.clone())
            });
        };
        clean(&mut self.events);
        clean(&mut self.ended_reasons);
        self.metadata_field = self.metadata_field.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty());
        self
    }
}

/// A call that failed, as a notification tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub call_id: String,
    pub agent: Option<String>,
    pub ended_reason: Option<String>,
    pub occurred_at: Timestamp,
    /// The chosen metadata field and its value, when the call has it.
    pub detail: Option<(String, String)>,
    /// Merged by catch-up after downtime, not delivered live.
    pub caught_up: bool,
}

/// The failure a feed item announces, if any, by `settings`. Hidden events (outside the
/// subscriptions) and a webhook confirming a step catch-up already brought announce none.
pub fn failure_of(item: &FeedItem, settings: &AlertSettings) -> Option<Failure> {
    let FeedItem::Event { event, call: Some(call) } = item else { return None };
    if event.hidden || event.confirmed_by_webhook {
        return None;
    }
    let record = &call.record;
    let by_event = settings.events.contains(&event.event);
    let by_reason = ENDING_EVENTS.contains(&event.event.as_str())
        && record.ended_reason.as_ref().is_some_and(|r| settings.ended_reasons.contains(r));
    if !(by_event || by_reason) {
        return None;
    }
    let detail = settings.metadata_field.as_ref().and_then(|field| {
        let value = record.metadata.as_ref()?.get(field)?;
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => return None,
            other => other.to_string(),
        };
        Some((field.clone(), text))
    });
    Some(Failure {
        call_id: record.call_id.clone(),
        agent: record.agent_id.clone(),
        ended_reason: record.ended_reason.clone(),
        occurred_at: event.occurred_at,
        detail,
        caught_up: event.source == Source::Catchup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use calleague_events::{CallRecord, Timestamp};
    use calleague_store::{CallRow, EventRow};
    use serde_json::json;

    fn item(event: &str, reason: Option<&str>, source: Source) -> FeedItem {
        let at = Timestamp::from_unix_millis(1_767_268_800_000).unwrap();
        let record = CallRecord {
            call_id: "c1".into(),
            agent_id: Some("agent_7".into()),
            direction: None,
            phase: None,
            started_at: None,
            connected_at: None,
            ended_at: None,
            duration_sec: None,
            ended_reason: reason.map(Into::into),
            language: None,
            metadata: Some(json!({"orderId": "A-17", "tier": 2, "none": null})),
            recording_id: None,
            transcript_id: None,
        };
        let call = CallRow {
            record,
            first_occurred_at: at,
            sort_ms: at.unix_millis(),
            last_occurred_at: at,
            last_received_at: at,
            event_count: 1,
            late_count: 0,
            caught_up: false,
        };
        let event = EventRow {
            id: 1,
            delivery_id: None,
            event: event.into(),
            event_name: event.into(),
            known: true,
            call_id: Some("c1".into()),
            occurred_at: at,
            occurred_from_receipt: false,
            received_at: at,
            last_seen_at: at,
            attempts: 1,
            late: false,
            hidden: false,
            source,
            confirmed_by_webhook: false,
        };
        FeedItem::Event { event: Box::new(event), call: Some(Box::new(call)) }
    }

    #[test]
    fn call_failed_notifies_by_default_and_other_events_do_not() {
        let settings = AlertSettings::default();
        let failure = failure_of(&item("call.failed", Some("busy"), Source::Webhook), &settings).unwrap();
        assert_eq!(failure.call_id, "c1");
        assert_eq!(failure.agent.as_deref(), Some("agent_7"));
        assert_eq!(failure.ended_reason.as_deref(), Some("busy"));
        assert!(!failure.caught_up);
        for event in ["call.started", "call.connected", "call.completed", "recording.ready"] {
            assert_eq!(failure_of(&item(event, Some("busy"), Source::Webhook), &settings), None, "{event}");
        }
    }

    #[test]
    fn a_chosen_ended_reason_notifies_on_the_event_that_ends_the_call_only() {
        let settings = AlertSettings { ended_reasons: vec!["voicemail".into()], ..AlertSettings::default() };
        assert!(failure_of(&item("call.completed", Some("voicemail"), Source::Webhook), &settings).is_some());
        assert!(failure_of(&item("call.completed", Some("hangup"), Source::Webhook), &settings).is_none());
        // A recording arriving for that call later is not a second failure.
        assert!(failure_of(&item("recording.ready", Some("voicemail"), Source::Webhook), &settings).is_none());
    }

    #[test]
    fn hidden_confirming_and_caught_up_events_are_told_apart() {
        let settings = AlertSettings::default();
        let mut hidden = item("call.failed", None, Source::Webhook);
        let FeedItem::Event { event, .. } = &mut hidden else { unreachable!() };
        event.hidden = true;
        assert!(failure_of(&hidden, &settings).is_none());
        let mut confirming = item("call.failed", None, Source::Catchup);
        let FeedItem::Event { event, .. } = &mut confirming else { unreachable!() };
        event.confirmed_by_webhook = true;
        assert!(failure_of(&confirming, &settings).is_none());
        assert!(failure_of(&item("call.failed", None, Source::Catchup), &settings).unwrap().caught_up);
        // Read by the REST source while running: as live as a webhook.
        assert!(!failure_of(&item("call.failed", None, Source::Rest), &settings).unwrap().caught_up);
        assert!(failure_of(&FeedItem::Repeat { id: 1, attempts: 2 }, &settings).is_none());
    }

    #[test]
    fn the_chosen_metadata_value_is_shown_as_text() {
        let with = |field: &str| AlertSettings { metadata_field: Some(field.into()), ..AlertSettings::default() };
        let detail = |field| failure_of(&item("call.failed", None, Source::Webhook), &with(field)).unwrap().detail;
        assert_eq!(detail("orderId"), Some(("orderId".into(), "A-17".into())));
        assert_eq!(detail("tier"), Some(("tier".into(), "2".into())));
        assert_eq!(detail("none"), None);
        assert_eq!(detail("missing"), None);
    }

    #[test]
    fn a_pause_holds_until_it_runs_out_or_is_lifted() {
        let now = Timestamp::from_unix_millis(1_767_268_800_000).unwrap();
        let later = Timestamp::from_unix_millis(1_767_268_800_000 + 3_600_000).unwrap();
        let mut settings = AlertSettings::default();
        assert!(!settings.paused_at(now));
        settings.pause = Some(Pause::Until { until: later });
        assert!(settings.paused_at(now));
        assert!(!settings.paused_at(later));
        settings.pause = Some(Pause::UntilResumed);
        assert!(settings.paused_at(later));
    }

    #[test]
    fn normalizing_drops_blanks_and_repeats() {
        let settings = AlertSettings {
            events: vec![" call.failed ".into(), "call.failed".into(), "".into()],
            ended_reasons: vec!["busy".into(), " ".into()],
            metadata_field: Some("  ".into()),
            ..AlertSettings::default()
        }
        .normalized();
        assert_eq!(settings.events, vec!["call.failed".to_string()]);
        assert_eq!(settings.ended_reasons, vec!["busy".to_string()]);
        assert_eq!(settings.metadata_field, None);
    }
}
