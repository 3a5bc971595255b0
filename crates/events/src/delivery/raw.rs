//! An object's members as raw JSON, and the lenient readings of a field.

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
