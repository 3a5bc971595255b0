//! Made-up deliveries: an event with chosen fields, its other values from the newest real
//! delivery of that event (or a plain example when none is stored), for trying a handler
//! or this app's own receiver.

use calleague_events::EventKind;
use calleague_store::{ForwardDelivery, Store};
use serde_json::{json, Map, Value};

use crate::{now_ms, ForwardError};

/// The top-level fields a `field=value` may set; any other name is a field of `data`.
const TOP_LEVEL: [&str; 2] = ["deliveryId", "occurredAt"];

/// A delivery of `event` with `sets` applied (`agentId=ag_9`, `durationSec=12`,
/// `metadata.campaign=spring`; a value that reads as JSON is taken as JSON, else as text).
/// Without a store, or with none of that event in it, the event's plain example.
/// It has a fresh `deliveryId` and call id, and `occurredAt` now, unless set.
pub fn made_up(store: Option<&Store>, event: &str, sets: &[(String, String)]) -> Result<ForwardDelivery, ForwardError> {
    let kind = known_event(event)?;
    let stored = match store {
        Some(store) => store.latest_delivery_of(kind.as_str())?,
        None => None,
    };
    made_up_from(stored.as_ref(), event, sets)
}

/// [`made_up`] from a delivery read elsewhere (a team's database): `stored` is the newest
/// real delivery of the event, if any.
pub fn made_up_from(
    stored: Option<&ForwardDelivery>,
    event: &str,
    sets: &[(String, String)],
) -> Result<ForwardDelivery, ForwardError> {
    let kind = known_event(event)?;
    let mut body = stored
        .and_then(|d| serde_json::from_slice::<Value>(&d.body).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| example(&kind));
    let stamp = now_ms();
    let now = calleague_events::Timestamp::from_unix_millis(stamp).map(|t| t.to_string()).unwrap_or_default();
    body["event"] = json!(kind.as_str());
    body["deliveryId"] = json!(format!("dl_trigger_{stamp:x}"));
    body["occurredAt"] = json!(now);
    if !body["data"].is_object() {
        body["data"] = json!({});
    }
    body["data"]["callId"] = json!(format!("cl_trigger_{stamp:x}"));
    for (field, value) in sets {
        set(&mut body, field.trim(), value)?;
    }
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    Ok(ForwardDelivery { id: 0, received_ms: stamp, headers, body: serde_json::to_vec(&body).unwrap_or_default() })
}

fn known_event(event: &str) -> Result<EventKind, ForwardError> {
    let kind = EventKind::parse(event);
    if !kind.is_known() {
        return Err(ForwardError::Invalid {
            field: "event",
            message: format!("{event:?} is not an event Calleague sends (call.started, call.connected, call.completed, call.failed, recording.ready, transcript.ready)."),
        });
    }
    Ok(kind)
}

/// Reads `field=value`.
pub fn parse_set(text: &str) -> Result<(String, String), ForwardError> {
    match text.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() => Ok((field.trim().to_owned(), value.to_owned())),
        _ => Err(ForwardError::Invalid {
            field: "set",
            message: format!("{text:?} is not field=value, e.g. endedReason=no-answer or metadata.campaign=spring."),
        }),
    }
}

fn set(body: &mut Value, field: &str, value: &str) -> Result<(), ForwardError> {
    let value = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    let path: Vec<&str> = field.strip_prefix("data.").unwrap_or(field).split('.').collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(ForwardError::Invalid { field: "set", message: format!("{field:?} is not a field name.") });
    }
    let mut at =
        if TOP_LEVEL.contains(&path[0]) && !field.starts_with("data.") { &mut *body } else { &mut body["data"] };
    for (i, name) in path.iter().enumerate() {
        if i + 1 == path.len() {
            at[*name] = value;
            break;
        }
        if !at[*name].is_object() {
            at[*name] = Value::Object(Map::new());
        }
        at = &mut at[*name];
    }
    Ok(())
}

/// A plain delivery of `kind`, for when none is stored.
fn example(kind: &EventKind) -> Value {
    let mut data = json!({"agentId": "ag_example", "direction": "outbound", "metadata": {}});
    match kind {
        EventKind::CallCompleted => {
            data["durationSec"] = json!(84);
            data["endedReason"] = json!("customer-ended-call");
        }
        EventKind::CallFailed => data["endedReason"] = json!("no-answer"),
        EventKind::RecordingReady => data["recordingId"] = json!("rec_example"),
        EventKind::TranscriptReady => data["transcriptId"] = json!("tr_example"),
        _ => {}
    }
    json!({"event": kind.as_str(), "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_reaches_into_data_and_reads_json_values() {
        let mut body = json!({"event": "call.failed", "data": {"callId": "c1"}});
        set(&mut body, "endedReason", "busy").unwrap();
        set(&mut body, "durationSec", "12").unwrap();
        set(&mut body, "metadata.campaign", "spring").unwrap();
        set(&mut body, "deliveryId", "dl_mine").unwrap();
        set(&mut body, "data.deliveryId", "\"inside\"").unwrap();
        assert_eq!(
            body,
            json!({"event": "call.failed", "deliveryId": "dl_mine", "data": {
                "callId": "c1", "endedReason": "busy", "durationSec": 12,
                "metadata": {"campaign": "spring"}, "deliveryId": "inside"}})
        );
        assert!(parse_set("novalue").is_err());
        assert_eq!(parse_set("a=b=c").unwrap(), ("a".to_owned(), "b=c".to_owned()));
    }
}
