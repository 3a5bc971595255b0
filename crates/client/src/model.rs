//! The API's objects, read leniently: aliases accepted, every optional field optional.

use calleague_events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    #[serde(alias = "id")]
    pub webhook_id: String,
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_time")]
    pub created_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_time")]
    pub updated_at: Option<Timestamp>,
}

/// What a create or update sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDraft {
    pub url: String,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    #[serde(alias = "id")]
    pub call_id: String,
    #[serde(default, alias = "assistantId")]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    /// started | connected | completed | failed; Calleague's REST API calls it `status`.
    #[serde(default, rename = "status")]
    pub phase: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub started_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub connected_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub duration_sec: Option<f64>,
    #[serde(default)]
    pub ended_reason: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub recording_id: Option<String>,
    #[serde(default)]
    pub transcript_id: Option<String>,
}

/// An agent (assistant): only its id is sure to be there. Its id is read from `agentId`,
/// `assistantId` or `id`, whichever comes first (a reply may carry more than one); a name
/// that is not text is no name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawAgent")]
pub struct Agent {
    pub agent_id: String,
    pub name: Option<String>,
    pub language: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAgent {
    #[serde(default)]
    agent_id: Option<Value>,
    #[serde(default)]
    assistant_id: Option<Value>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    language: Option<Value>,
}

impl TryFrom<RawAgent> for Agent {
    type Error = String;
    fn try_from(raw: RawAgent) -> Result<Self, String> {
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let agent_id = text(raw.agent_id)
            .or_else(|| text(raw.assistant_id))
            .or_else(|| text(raw.id))
            .ok_or("an agent without agentId, assistantId or id")?;
        let name = match raw.name {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            _ => None,
        };
        let language = match raw.language {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
            _ => None,
        };
        Ok(Self { agent_id, name, language })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    #[serde(alias = "id")]
    pub recording_id: String,
    #[serde(default)]
    pub call_id: Option<String>,
    pub url: String,
    #[serde(default)]
    pub duration_sec: Option<f64>,
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    #[serde(alias = "id")]
    pub transcript_id: String,
    #[serde(default)]
    pub call_id: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    #[serde(default)]
    pub speaker: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub start_sec: f64,
    #[serde(default)]
    pub end_sec: f64,
}

/// An unreadable time reads as absent rather than failing the whole object.
fn lenient_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::String(s)) => Timestamp::parse(&s).ok(),
        _ => None,
    })
}
