//! What the window sees of forwarding and sends for it (`forwarding.rs` does the work):
//! attempts, targets' health, the status bar's failing targets, replays and made-up
//! deliveries, each in the shape the UI's generated types take.

use calleague_forward::ForwardTarget;
use calleague_store::{CallFilter, ForwardAttemptRow};
use serde::{Deserialize, Serialize};

/// A target that keeps failing, for the status bar's one line.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FailingTarget {
    pub url: String,
    /// host:port.
    pub name: String,
    /// Not answering at all (connection refused, timed out).
    pub down: bool,
    pub last_failure: Option<String>,
    pub since_ms: Option<i64>,
}

/// One attempt, as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub id: i64,
    pub target: String,
    /// host:port.
    pub target_name: String,
    /// The delivery's log id.
    pub delivery: i64,
    pub attempt: u32,
    pub replay: bool,
    pub at_ms: i64,
    pub latency_ms: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub response_headers: Vec<(String, String)>,
    /// The start of the response's body, as text (lossy); empty in lists.
    pub response_body: String,
    pub call_id: Option<String>,
    pub event: Option<String>,
}

impl AttemptView {
    pub(crate) fn of(row: ForwardAttemptRow, call_id: Option<String>, event: Option<String>) -> Self {
        Self {
            target_name: short_name(&row.target),
            id: row.id,
            target: row.target,
            delivery: row.delivery,
            attempt: row.attempt,
            replay: row.replay,
            at_ms: row.at_ms,
            latency_ms: row.latency_ms,
            status: row.status,
            error: row.error,
            response_headers: row.response_headers,
            response_body: String::from_utf8_lossy(&row.response_body).into_owned(),
            call_id,
            event,
        }
    }
}

/// `host:port` of a target's address (the address itself when it is not one).
pub(crate) fn short_name(url: &str) -> String {
    ForwardTarget::new(url, Vec::<String>::new()).map(|t| t.short_name()).unwrap_or_else(|_| url.to_owned())
}

/// A target on the Forwarding page.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TargetOverview {
    pub url: String,
    pub name: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Not answering at all now.
    pub down: bool,
    pub last: Option<AttemptView>,
    pub attempts_last_hour: u64,
    pub failures_last_hour: u64,
    pub p50_ms: Option<i64>,
    pub p99_ms: Option<i64>,
    /// Deliveries it owes a retry, and those given up.
    pub owed: u64,
    pub given_up: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ForwardingOverview {
    pub targets: Vec<TargetOverview>,
    /// Why nothing is forwarded now (team mode, no receiver), if so.
    pub unavailable: Option<String>,
}

/// Which attempts the Forwarding page lists.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptQuery {
    pub target: Option<String>,
    /// true: only failures; false: only 2xx.
    pub failed: Option<bool>,
    /// The last attempt id of the page before.
    pub before: Option<i64>,
}

/// A replay of many, as the window asks for it.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ReplayRequest {
    /// Deliveries received in a range, of some events (empty: all).
    #[serde(rename_all = "camelCase")]
    Received { to: String, from_ms: i64, to_ms: i64, events: Vec<String> },
    /// Deliveries `to` was sent since a time and never answered 2xx.
    #[serde(rename_all = "camelCase")]
    Failures { to: String, since_ms: i64 },
    /// The deliveries of the calls the timeline's filter shows.
    #[serde(rename_all = "camelCase")]
    Calls { to: String, filter: CallFilter },
}

/// How a replay of many is going, streamed to the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplayProgressView {
    pub total: u64,
    pub sent: u64,
    pub answered: u64,
    pub failed: u64,
    pub cancelled: bool,
    pub done: bool,
}

/// A made-up delivery, as the window asks for it.
#[derive(Debug, Clone, PartialEq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TriggerRequest {
    pub event: String,
    /// A target's address, or None for this app's own receiver.
    pub to: Option<String>,
    /// Fields of the delivery's data: `agentId`, `endedReason`, `durationSec`,
    /// `metadata.campaign`… (values read as JSON when they are JSON).
    pub fields: Vec<(String, String)>,
}

/// What a made-up delivery was and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TriggerResult {
    /// The body sent.
    pub body: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub response_body: String,
}
