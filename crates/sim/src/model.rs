//! The platform's objects, in the JSON shapes of `docs/calleague-api.md`.

use calleague_events::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub webhook_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A call as the REST API returns it; also the simulator's ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub call_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// started | connected | completed | failed: the latest lifecycle event emitted.
    /// Calleague's REST API calls it `status`.
    #[serde(rename = "status")]
    pub phase: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_sec: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript_id: Option<String>,
}

/// One delivery attempt, as `GET /sim/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub delivery_id: String,
    pub event: String,
    pub call_id: String,
    pub url: String,
    pub attempt: u32,
    pub at: Timestamp,
    /// The reply status, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why the attempt failed without a status (timeout, refused, dropped by chaos).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: u64,
    /// A deliberate second send of a delivery that had already succeeded.
    pub duplicate: bool,
    /// Sent after a later event of the same call.
    pub reordered: bool,
    /// The last attempt before the retry window ended, with no success.
    pub gave_up: bool,
    /// Never sent and never retried (`lose_rate`, or deliveries stopped): only the REST
    /// API can tell the receiver about it.
    #[serde(default)]
    pub lost: bool,
}

impl DeliveryAttempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    pub recording_id: String,
    pub call_id: String,
    /// A short-lived signed link to the audio.
    pub url: String,
    pub duration_sec: f64,
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    pub transcript_id: String,
    pub call_id: String,
    pub language: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    pub speaker: String,
    pub text: String,
    pub start_sec: f64,
    pub end_sec: f64,
}

/// An agent (assistant) of the simulated account, as `GET /api/core/voice/agent` serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub agent_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl Agent {
    /// The agents every simulated account starts with: the default scenario's three.
    pub fn defaults() -> Vec<Agent> {
        [
            ("ag_support", "Support line", "en"),
            ("ag_sales", "Sales desk", "en"),
            ("ag_booking", "Booking assistant", "de"),
        ]
        .into_iter()
        .map(|(id, name, language)| Agent { agent_id: id.into(), name: name.into(), language: Some(language.into()) })
        .collect()
    }
}
