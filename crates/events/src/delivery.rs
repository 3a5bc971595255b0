use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{EventKind, Timestamp};

/// One webhook delivery, read leniently: aliases resolved, unknown fields kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub event: EventKind,
    /// The name as it arrived (`call.ended` stays visible here).
    pub event_name: String,
    pub delivery_id: Option<String>,
    /// `None` when absent or unreadable; see `occurred_at_text` for what was sent.
    pub occurred_at: Option<Timestamp>,
    pub occurred_at_text: Option<String>,
    pub data: CallData,
}

/// The `data` object of a delivery. Every documented field is optional: Calleague says a
/// field may be missing for some events, and new ones may appear.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallData {
    pub call_id: Option<String>,
    /// Also read from the older spelling `assistantId`.
    pub agent_id: Option<String>,
    pub direction: Option<String>,
    /// The call's phase as Calleague reports it (its field is named `status`).
    #[serde(rename = "status")]
    pub phase: Option<String>,
    pub duration_sec: Option<f64>,
    pub ended_reason: Option<String>,
    pub language: Option<String>,
    pub metadata: Option<Value>,
    pub recording_id: Option<String>,
    pub transcript_id: Option<String>,
    pub connected_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Fields we do not model, kept so nothing is lost.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    #[error("body is JSON but not an object")]
    NotAnObject,
    #[error("body has no \"event\" field")]
    MissingEvent,
    #[error("\"event\" is not a non-empty string")]
    EventNotAString,
}

impl ParseError {
    /// A short stable code, stored with quarantined bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson(_) => "not_json",
            Self::NotAnObject => "not_an_object",
            Self::MissingEvent => "missing_event",
            Self::EventNotAString => "event_not_a_string",
        }
    }
}

/// Parses a delivery body. Anything that is a JSON object with an `event` string is a
/// delivery; everything else is an error for the quarantine (retrying would not help).
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Value::Object(mut top) = value else {
        return Err(ParseError::NotAnObject);
    };
    let event_name = match top.remove("event") {
        None | Some(Value::Null) => return Err(ParseError::MissingEvent),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(_) => return Err(ParseError::EventNotAString),
    };
    let delivery_id = top.remove("deliveryId").and_then(id_string);
    let occurred_at_text = top.remove("occurredAt").and_then(|v| match v {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    });
    let occurred_at = occurred_at_text.as_deref().and_then(|t| Timestamp::parse(t).ok());
    // Some senders flatten the call fields to the top level; read those when `data` lacks them.
    let data_obj = match top.remove("data") {
        Some(Value::Object(map)) => map,
        Some(other) => {
            let mut map = Map::new();
            map.insert("data".to_owned(), other);
            map
        }
        None => Map::new(),
    };
    let mut data = read_call_data(data_obj);
    fill_from_top_level(&mut data, top);
    Ok(Delivery { event: EventKind::parse(&event_name), event_name, delivery_id, occurred_at, occurred_at_text, data })
}

fn read_call_data(mut map: Map<String, Value>) -> CallData {
    let mut data = CallData {
        call_id: map.remove("callId").and_then(id_string),
        agent_id: map.remove("agentId").and_then(id_string),
        direction: map.remove("direction").and_then(text),
        phase: map.remove("status").and_then(text),
        duration_sec: map.remove("durationSec").and_then(number),
        ended_reason: map.remove("endedReason").and_then(text),
        language: map.remove("language").and_then(text),
        metadata: map.remove("metadata").filter(|v| !v.is_null()),
        recording_id: map.remove("recordingId").and_then(id_string),
        transcript_id: map.remove("transcriptId").and_then(id_string),
        connected_at: map.remove("connectedAt").and_then(timestamp),
        started_at: map.remove("startedAt").and_then(timestamp),
        ended_at: map.remove("endedAt").and_then(timestamp),
        extra: Map::new(),
    };
    if let Some(assistant) = map.remove("assistantId").and_then(id_string) {
        data.agent_id.get_or_insert(assistant);
    }
    data.extra = map;
    data
}

fn fill_from_top_level(data: &mut CallData, top: Map<String, Value>) {
    if top.is_empty() {
        return;
    }
    let flat = read_call_data(top);
    macro_rules! fill {
        ($($field:ident),*) => { $( if data.$field.is_none() { data.$field = flat.$field; } )* };
    }
    fill!(
        call_id,
        agent_id,
        direction,
        phase,
        duration_sec,
        ended_reason,
        language,
        metadata,
        recording_id,
        transcript_id,
        connected_at,
        started_at,
        ended_at
    );
    for (key, value) in flat.extra {
        data.extra.entry(key).or_insert(value);
    }
}

/// Ids may arrive as strings or numbers; both are read as text.
fn id_string(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn number(value: Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn timestamp(value: Value) -> Option<Timestamp> {
    match value {
        Value::String(s) => Timestamp::parse(&s).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXAMPLE: &str = r#"{
      "event": "call.completed",
      "deliveryId": "dl_4c19",
      "occurredAt": "2026-01-01T12:01:24.000Z",
      "data": {
        "callId": "cl_8f2a", "agentId": "ag_123", "direction": "inbound",
        "durationSec": 84, "endedReason": "completed", "language": "tr",
        "metadata": { "orderId": "A-1042" }
      }
    }"#;

    #[test]
    fn parses_the_documented_example() {
        let d = parse_delivery(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(d.event, EventKind::CallCompleted);
        assert_eq!(d.delivery_id.as_deref(), Some("dl_4c19"));
        assert_eq!(d.occurred_at.unwrap().to_string(), "2026-01-01T12:01:24.000Z");
        assert_eq!(d.data.call_id.as_deref(), Some("cl_8f2a"));
        assert_eq!(d.data.agent_id.as_deref(), Some("ag_123"));
        assert_eq!(d.data.duration_sec, Some(84.0));
        assert_eq!(d.data.metadata, Some(json!({"orderId": "A-1042"})));
        assert!(d.data.extra.is_empty());
    }

    #[test]
    fn older_spellings_are_aliases() {
        let body = json!({"event": "call.ended", "data": {"callId": "c1", "assistantId": "as_9"}});
        let d = parse_delivery(body.to_string().as_bytes()).unwrap();
        assert_eq!(d.event, EventKind::CallCompleted);
        assert_eq!(d.event_name, "call.ended");
        assert_eq!(d.data.agent_id.as_deref(), Some("as_9"));
    }

    #[test]
    fn unknown_fields_and_events_are_kept() {
        let body = json!({"event": "call.transferred", "data": {"callId": "c1", "transferTo": "+4930"}});
        let d = parse_delivery(body.to_string().as_bytes()).unwrap();
        assert_eq!(d.event, EventKind::Other("call.transferred".into()));
        assert_eq!(d.data.extra.get("transferTo"), Some(&json!("+4930")));
    }

    #[test]
    fn tolerates_bom_numeric_ids_and_string_numbers() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(
            json!({"event": "call.completed", "deliveryId": 17, "data": {"callId": 42, "durationSec": "12.5"}})
                .to_string()
                .as_bytes(),
        );
        let d = parse_delivery(&body).unwrap();
        assert_eq!(d.delivery_id.as_deref(), Some("17"));
        assert_eq!(d.data.call_id.as_deref(), Some("42"));
        assert_eq!(d.data.duration_sec, Some(12.5));
    }

    #[test]
    fn unreadable_occurred_at_is_kept_as_text() {
        let body = json!({"event": "call.started", "occurredAt": "last tuesday", "data": {"callId": "c"}});
        let d = parse_delivery(body.to_string().as_bytes()).unwrap();
        assert_eq!(d.occurred_at, None);
        assert_eq!(d.occurred_at_text.as_deref(), Some("last tuesday"));
    }

    #[test]
    fn flat_payloads_are_read_too() {
        let body = json!({"event": "call.started", "callId": "c7", "agentId": "a"});
        let d = parse_delivery(body.to_string().as_bytes()).unwrap();
        assert_eq!(d.data.call_id.as_deref(), Some("c7"));
        assert_eq!(d.data.agent_id.as_deref(), Some("a"));
    }

    #[test]
    fn errors_for_the_quarantine() {
        assert_eq!(parse_delivery(b"not json").unwrap_err().code(), "not_json");
        assert_eq!(parse_delivery(b"[1,2]").unwrap_err(), ParseError::NotAnObject);
        assert_eq!(parse_delivery(b"{\"data\":{}}").unwrap_err(), ParseError::MissingEvent);
        assert_eq!(parse_delivery(b"{\"event\":5}").unwrap_err(), ParseError::EventNotAString);
        assert_eq!(parse_delivery(b"{\"event\":\"  \"}").unwrap_err(), ParseError::EventNotAString);
        assert_eq!(parse_delivery(b"\xff\xfe").unwrap_err().code(), "not_json");
        let deep = "[".repeat(10_000);
        assert_eq!(parse_delivery(deep.as_bytes()).unwrap_err().code(), "not_json");
    }
}
