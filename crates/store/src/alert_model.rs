//! The types of what alert rules did (migration 0015), shared by the reads
//! (`alert_firings.rs`) and the writer (`alert_writes.rs`).

use serde::{Deserialize, Serialize};

/// A rule began to fire.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFiring {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub at_ms: i64,
    pub value: f64,
    pub threshold: f64,
    pub window_from_ms: i64,
    pub window_to_ms: i64,
    /// False when the rule's cooldown holds its notice back.
    pub notified: bool,
    /// The chat webhook's text, when there is a chat webhook and the firing is notified.
    pub chat: Option<String>,
}

/// The outcome of recording a firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FiringRecorded {
    /// A new firing with this id.
    New(i64),
    /// The rule was already firing (another receiver, or before a restart): nothing added.
    AlreadyOpen(i64),
}

/// One firing as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct FiringRow {
    pub id: i64,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    pub value: f64,
    pub peak: f64,
    pub threshold: f64,
    pub window_from_ms: i64,
    pub window_to_ms: i64,
    pub notified: bool,
}

/// A notice the chat webhook is owed.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedNotice {
    pub id: i64,
    pub firing: i64,
    pub kind: String,
    pub text: String,
    pub created_ms: i64,
    pub attempts: i64,
}

/// What became of one attempt to send a notice.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeAttempt {
    Sent,
    RetryAt { next_ms: i64, error: String },
    GaveUp { error: String },
}
