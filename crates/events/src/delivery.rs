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

/// An object's members as raw JSON, and the lenient readings of a field.
mod raw {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::value::RawValue;
    use serde_json::{Number, Value};

    use super::{not_json, CallData, ParseError};
    use crate::Timestamp;

    /// A body's top level: an object's members, or anything else.
    pub enum TopLevel<'a> {
        Object(Members<'a>),
        Other,
    }

    /// An object's members in the order they came, each key once: a key given again keeps
    /// its first place and takes the later value (as `serde_json::Map` does).
    pub struct Members<'a> {
        list: Vec<(Cow<'a, str>, &'a RawValue)>,
        /// The values of keys given again, read only to check that they are JSON.
        replaced: Vec<&'a RawValue>,
    }

    impl<'a> Members<'a> {
        fn from_list(list: Vec<(Cow<'a, str>, &'a RawValue)>) -> Self {
            if list.len() < 2 {
                return Self { list, replaced: Vec::new() };
            }
            // Sorted by key then position: each run is one key, its first entry the place,
            // its last the value. n log n, so a body of many repeated keys stays cheap.
            let mut order: Vec<usize> = (0..list.len()).collect();
            order.sort_by(|a, b| list[*a].0.cmp(&list[*b].0).then(a.cmp(b)));
            let mut keep: Vec<Option<&'a RawValue>> = vec![None; list.len()];
            let mut replaced = Vec::new();
            for run in order.chunk_by(|a, b| list[*a].0 == list[*b].0) {
                keep[run[0]] = Some(list[run[run.len() - 1]].1);
                replaced.extend(run[..run.len() - 1].iter().map(|at| list[*at].1));
            }
            let list = list.into_iter().zip(keep).filter_map(|((key, _), value)| Some((key, value?))).collect();
            Self { list, replaced }
        }

        pub fn remove(&mut self, key: &str) -> Option<&'a RawValue> {
            let at = self.list.iter().position(|(k, _)| k == key)?;
            Some(self.list.remove(at).1)
        }
    }

    impl<'de> Deserialize<'de> for TopLevel<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(TopLevelVisitor)
        }
    }

    struct TopLevelVisitor;

    impl<'de> Visitor<'de> for TopLevelVisitor {
        type Value = TopLevel<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut list = Vec::new();
            while let Some(Key(key)) = map.next_key()? {
                list.push((key, map.next_value::<&'de RawValue>()?));
            }
            Ok(TopLevel::Object(Members::from_list(list)))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(TopLevel::Other)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(TopLevel::Other)
        }
    }

    /// A key, borrowed from the body unless it holds escapes.
    struct Key<'a>(Cow<'a, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a key")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Key(Cow::Owned(v.to_owned())))
                }
            }
            deserializer.deserialize_str(KeyVisitor)
        }
    }

    /// A field's value as far as the lenient readings need it.
    pub enum Scalar<'a> {
        Str(Cow<'a, str>),
        Number(Number),
        Null,
        /// true, false, an array or an object.
        Other,
    }

    /// Reads a member's value; an array or object is read through (so that a body is JSON
    /// throughout, or not at all, as when read into a `Value`).
    pub fn scalar(raw: &RawValue) -> Result<Scalar<'_>, ParseError> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'"') => match serde_json::from_str::<&str>(text) {
                Ok(borrowed) => Scalar::Str(Cow::Borrowed(borrowed)),
                Err(_) => Scalar::Str(Cow::Owned(serde_json::from_str::<String>(text).map_err(not_json)?)),
            },
            Some(b'n') => Scalar::Null,
            Some(b't' | b'f') => Scalar::Other,
            Some(b'[' | b'{') => {
                value(raw)?;
                Scalar::Other
            }
            _ => Scalar::Number(serde_json::from_str(text).map_err(not_json)?),
        })
    }

    pub fn value(raw: &RawValue) -> Result<Value, ParseError> {
        serde_json::from_str(raw.get()).map_err(not_json)
    }

    /// Ids may arrive as strings or numbers; both are read as text.
    pub fn id_string(value: Scalar) -> Option<String> {
        match value {
            Scalar::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Scalar::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn text(value: Scalar) -> Option<String> {
        match value {
            Scalar::Str(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        }
    }

    fn number(value: Scalar) -> Option<f64> {
        match value {
            Scalar::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            Scalar::Str(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => None,
        }
    }

    fn timestamp(value: Scalar) -> Option<Timestamp> {
        match value {
            Scalar::Str(s) => Timestamp::parse(&s).ok(),
            _ => None,
        }
    }

    /// The call's fields of an object (`data`, or a flat body's top level); the rest kept.
    pub fn call_data(mut members: Members) -> Result<CallData, ParseError> {
        let mut field = |name: &str| members.remove(name).map(scalar).transpose();
        let mut data = CallData {
            call_id: field("callId")?.and_then(id_string),
            agent_id: field("agentId")?.and_then(id_string),
            direction: field("direction")?.and_then(text),
            phase: field("status")?.and_then(text),
            duration_sec: field("durationSec")?.and_then(number),
            ended_reason: field("endedReason")?.and_then(text),
            language: field("language")?.and_then(text),
            metadata: None,
            recording_id: field("recordingId")?.and_then(id_string),
            transcript_id: field("transcriptId")?.and_then(id_string),
            connected_at: field("connectedAt")?.and_then(timestamp),
            started_at: field("startedAt")?.and_then(timestamp),
            ended_at: field("endedAt")?.and_then(timestamp),
            extra: serde_json::Map::new(),
        };
        if let Some(assistant) = members.remove("assistantId").map(scalar).transpose()?.and_then(id_string) {
            data.agent_id.get_or_insert(assistant);
        }
        data.metadata = members.remove("metadata").map(value).transpose()?.filter(|v| !v.is_null());
        for (key, raw) in members.list {
            data.extra.insert(key.into_owned(), value(raw)?);
        }
        for raw in members.replaced {
            value(raw)?;
        }
        Ok(data)
    }
}

#[cfg(test)]
mod reference {
    //! The reading before the raw one, kept to test that both make the same of any body.
    use serde_json::{Map, Value};

    use super::*;

    /// The reading this module had before: the whole body into a `Value` first. Anything that is a JSON object with an `event` string is a
    /// delivery; everything else is an error for the quarantine (retrying would not help).
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
        Ok(Delivery {
            event: EventKind::parse(&event_name),
            event_name,
            delivery_id,
            occurred_at,
            occurred_at_text,
            data,
        })
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
