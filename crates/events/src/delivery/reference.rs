//! The reading before the raw one (the whole body into a `Value` first), kept to test
//! that both make the same of any body.

use serde_json::{Map, Value};

use super::*;

/// Anything that is a JSON object with an `event` string is a delivery; everything else is
/// an error for the quarantine (retrying would not help).
pub(super) fn parse_delivery_via_value(body: &[u8]) -> Result<Delivery, ParseError> {
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
    fill_from_top_level_via_value(&mut data, top);
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

fn fill_from_top_level_via_value(data: &mut CallData, top: Map<String, Value>) {
    if top.is_empty() {
        return;
    }
    super::fill_from_flat(data, read_call_data(top));
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
