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
///
/// The body's members are read without building a `Value` for the whole (keys borrowed,
/// values kept as raw JSON until a field asks for them): on the receiver's hot path that was
/// an eighth of its CPU (perf under wrk). What it accepts and makes of a body is what
/// reading it into a `Value` first would give (tested against that reading, kept in the
/// tests).
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, ParseError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let top: raw::TopLevel = serde_json::from_slice(body).map_err(not_json)?;
    let raw::TopLevel::Object(mut top) = top else {
        // Not an object: read whole, so that what is not JSON throughout says so.
        serde_json::from_slice::<Value>(body).map_err(not_json)?;
        return Err(ParseError::NotAnObject);
    };
    // Every member is read before the event is judged: a body that is not JSON throughout
    // (a number out of range, nesting too deep) is "not JSON" whatever else it lacks.
    let event_name = match top.remove("event").map(raw::scalar).transpose()? {
        None | Some(raw::Scalar::Null) => Err(ParseError::MissingEvent),
        Some(raw::Scalar::Str(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(_) => Err(ParseError::EventNotAString),
    };
    let delivery_id = top.remove("deliveryId").map(raw::scalar).transpose()?.and_then(raw::id_string);
    let occurred_at_text = match top.remove("occurredAt") {
        None => None,
        Some(value) => match raw::scalar(value)? {
            raw::Scalar::Str(s) => Some(s.into_owned()),
            raw::Scalar::Null => None,
            _ => Some(raw::value(value)?.to_string()),
        },
    };
    let occurred_at = occurred_at_text.as_deref().and_then(|t| Timestamp::parse(t).ok());
    // Some senders flatten the call fields to the top level; read those when `data` lacks them.
    let mut data = match top.remove("data") {
        Some(value) if value.get().starts_with('{') => {
            let raw::TopLevel::Object(members) = serde_json::from_str(value.get()).map_err(not_json)? else {
                unreachable!("an object reads as one")
            };
            raw::call_data(members)?
        }
        Some(value) => {
            let mut data = CallData::default();
            data.extra.insert("data".to_owned(), raw::value(value)?);
            data
        }
        None => CallData::default(),
    };
    let flat = raw::call_data(top)?;
    fill_from_flat(&mut data, flat);
    let event_name = event_name?;
    Ok(Delivery { event: EventKind::parse(&event_name), event_name, delivery_id, occurred_at, occurred_at_text, data })
}

fn not_json(e: serde_json::Error) -> ParseError {
    ParseError::NotJson(e.to_string())
}

fn fill_from_flat(data: &mut CallData, flat: CallData) {
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

mod raw;

#[cfg(test)]
mod reference;

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

    mod same_as_reading_a_value {
        use proptest::prelude::*;

        use super::super::parse_delivery;
        use super::super::reference::parse_delivery_via_value;

        const KEYS: [&str; 22] = [
            "event",
            "deliveryId",
            "occurredAt",
            "data",
            "callId",
            "agentId",
            "assistantId",
            "direction",
            "status",
            "durationSec",
            "endedReason",
            "language",
            "metadata",
            "recordingId",
            "transcriptId",
            "connectedAt",
            "startedAt",
            "endedAt",
            "x",
            "caf\\u00e9",
            "",
            "event",
        ];

        fn scalar() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("null".to_owned()),
                Just("true".to_owned()),
                Just("\"call.completed\"".to_owned()),
                Just("\"  \"".to_owned()),
                Just("\"2026-01-01T12:00:00Z\"".to_owned()),
                Just("\"a\\\"b\\u00e9\"".to_owned()),
                Just("\" 12.5 \"".to_owned()),
                Just("1e400".to_owned()),
                (-1_000_000i64..1_000_000).prop_map(|n| n.to_string()),
                (-1e6f64..1e6).prop_map(|f| f.to_string()),
                "[a-z .]{0,8}".prop_map(|t| format!("\"{t}\"")),
            ]
        }

        /// JSON text, objects built by hand so that a key may come twice.
        fn json() -> impl Strategy<Value = String> {
            scalar().prop_recursive(3, 40, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..8).prop_map(|members| {
                        let members: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                        format!("{{{}}}", members.join(", "))
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3_000))]
            #[test]
            fn any_body_reads_the_same(body in json(), bom in any::<bool>(), cut in 0usize..3) {
                let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
                bytes.extend_from_slice(body.as_bytes());
                // Now and then a body cut short: broken JSON must be broken for both.
                if cut == 0 && bytes.len() > 2 {
                    bytes.truncate(bytes.len() - 1);
                }
                match (parse_delivery(&bytes), parse_delivery_via_value(&bytes)) {
                    (Ok(fast), Ok(reference)) => prop_assert_eq!(fast, reference),
                    (Err(fast), Err(reference)) => prop_assert_eq!(fast.code(), reference.code()),
                    (fast, reference) => prop_assert!(false, "{body}: {fast:?} against {reference:?}"),
                }
            }
        }

        #[test]
        fn a_realistic_body_reads_the_same() {
            let body = br#"{"event":"call.completed","deliveryId":"wrk_1_17","occurredAt":"2026-11-26T12:00:17.000Z","data":{"callId":"wrk_1_call_3","agentId":"ag_3","direction":"inbound","durationSec":33,"endedReason":"completed","language":"en","metadata":{"orderId":"A-3","customerTier":"gold","note":"callback requested after 5pm"}}}"#;
            let fast = parse_delivery(body).unwrap();
            assert_eq!(fast, parse_delivery_via_value(body).unwrap());
            assert_eq!(fast.data.call_id.as_deref(), Some("wrk_1_call_3"));
        }
    }
}
