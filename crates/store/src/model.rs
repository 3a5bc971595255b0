//! What goes into the store and what comes out of it.

use calleague_events::{CallPhase, CallRecord, Delivery, Timestamp};
use serde::{Deserialize, Serialize};

/// Where an event came from: a webhook delivery, the REST catch-up after downtime, or
/// the REST source while running (REST-only polling, or a reconciliation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Webhook,
    Catchup,
    Rest,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Catchup => "catchup",
            Self::Rest => "rest",
        }
    }

    /// As stored; anything unknown reads as a webhook (the rows from before these words).
    pub fn parse(text: &str) -> Self {
        match text {
            "catchup" => Self::Catchup,
            "rest" => Self::Rest,
            _ => Self::Webhook,
        }
    }

    /// Read from the REST API: implied by a call's record, with no delivery id, so it is
    /// deduplicated by its step and a webhook arriving later confirms it.
    pub fn is_from_api(self) -> bool {
        self != Self::Webhook
    }
}

/// A verified delivery that parsed as an event.
#[derive(Debug, Clone)]
pub struct IncomingDelivery {
    pub received_at: Timestamp,
    pub peer: Option<String>,
    /// Headers to keep. The caller leaves out Authorization and other credentials.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub parsed: Delivery,
    /// Not in the user's subscriptions: kept, hidden by default, not folded into the call.
    pub hidden: bool,
    pub source: Source,
}

impl IncomingDelivery {
    /// `body` as a webhook brings it, received now, with no peer or headers (what tools
    /// and tests hand a store directly); an error when it does not parse as an event.
    pub fn webhook(body: Vec<u8>) -> std::result::Result<Self, calleague_events::ParseError> {
        Ok(Self {
            received_at: Timestamp::now(),
            peer: None,
            headers: Vec::new(),
            parsed: calleague_events::parse_delivery(&body)?,
            body,
            hidden: false,
            source: Source::Webhook,
        })
    }
}

/// A verified body that is not an event (not JSON, or no `event`).
#[derive(Debug, Clone)]
pub struct QuarantineItem {
    pub received_at: Timestamp,
    pub peer: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub reason: String,
}

/// A rejected request. Holds no body and no token by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEntry {
    pub at: Timestamp,
    pub peer: Option<String>,
    pub reason: String,
}

/// Rejections gathered in memory before they are written (a flood of wrong tokens must not
/// cost a write each): `count` of them for one address, reason and minute, the first as
/// `entry`, the last at `last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionTally {
    pub entry: SecurityEntry,
    pub count: u32,
    pub last: Timestamp,
}

impl From<SecurityEntry> for RejectionTally {
    fn from(entry: SecurityEntry) -> Self {
        Self { last: entry.at, entry, count: 1 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    /// A new event, committed.
    Stored(Box<EventRow>),
    /// Stored in a burst's inbox (committed and synced): deduplicated and projected moments
    /// later (`inbox.rs`).
    Accepted,
    /// Seen before: its attempt count is now `attempts`.
    Duplicate {
        id: i64,
        attempts: i64,
    },
    Quarantined {
        id: i64,
    },
    Logged {
        id: i64,
    },
    /// A caught-up event the store already had from a webhook: nothing was added.
    AlreadyKnown,
    /// The calls whose failure alert was claimed now (not before).
    Claimed {
        calls: Vec<String>,
    },
    /// What one prune step removed.
    Pruned(Pruned),
    /// Everything logged before is projected.
    Settled,
    /// An alert rule's firing recorded, or found open already.
    Firing(crate::alert_model::FiringRecorded),
}

/// One event on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct EventRow {
    pub id: i64,
    pub delivery_id: Option<String>,
    /// Canonical name (`call.ended` reads as `call.completed`).
    pub event: String,
    /// The name as sent.
    pub event_name: String,
    pub known: bool,
    pub call_id: Option<String>,
    pub occurred_at: Timestamp,
    /// True when `occurredAt` was missing or unreadable and the receipt time stands in.
    pub occurred_from_receipt: bool,
    pub received_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub attempts: i64,
    /// It arrived after a later event of the same call.
    pub late: bool,
    pub hidden: bool,
    /// Where the step came from first.
    pub source: Source,
    /// Catch-up brought the step, and its webhook arrived later too: one step, both sources.
    pub confirmed_by_webhook: bool,
}

/// One call on the timeline: the folded record plus what the timeline needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CallRow {
    #[serde(flatten)]
    pub record: CallRecord,
    /// The earliest `occurredAt` of its events: its place on the timeline.
    pub first_occurred_at: Timestamp,
    /// `first_occurred_at` in Unix milliseconds: the timeline's sort key, ties broken by
    /// `call_id` (byte order). The live feed places calls by it exactly as the store does.
    pub sort_ms: i64,
    pub last_occurred_at: Timestamp,
    pub last_received_at: Timestamp,
    pub event_count: i64,
    pub late_count: i64,
    pub caught_up: bool,
}

/// An event with its raw delivery, for a call's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: EventRow,
    pub peer: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The raw body as text (lossy for invalid UTF-8, which never parses as an event anyway).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CallDetail {
    pub call: CallRow,
    pub events: Vec<EventDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineRow {
    pub id: i64,
    pub received_at: Timestamp,
    pub peer: Option<String>,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SecurityRow {
    pub id: i64,
    #[serde(flatten)]
    pub entry: SecurityEntry,
    /// How many requests this row stands for: the same address and reason in one minute.
    pub count: i64,
    /// The last of them.
    pub last_at: Timestamp,
}

/// Counts for a status bar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusCounts {
    pub deliveries_total: i64,
    pub deliveries_since: i64,
    pub repeats: i64,
    pub calls: i64,
    pub calls_started: i64,
    pub calls_connected: i64,
    pub calls_completed: i64,
    pub calls_failed: i64,
    pub rejected: i64,
    pub quarantined: i64,
    pub last_delivery_at: Option<Timestamp>,
}

/// Calls in progress now (started, not ended): the status bar's and the overview's gauge.
/// A call started before the longest a call can last is `stale` (its end never came, or
/// was lost), set apart rather than counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct InProgress {
    pub calls: i64,
    /// When the oldest of them (not stale) started.
    pub oldest_started_at: Option<Timestamp>,
    pub stale: i64,
    /// Calls started before this are stale.
    pub stale_before: Timestamp,
}

/// The distinct values the call filters can offer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    pub agents: Vec<String>,
    pub directions: Vec<String>,
    pub ended_reasons: Vec<String>,
    pub languages: Vec<String>,
    /// The values of each metadata field chosen as a dimension (and counted), with their
    /// calls, most first; none in team mode.
    #[serde(default)]
    pub dimensions: Vec<DimensionFacet>,
}

/// A dimension's values for the timeline's filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DimensionFacet {
    pub field: String,
    pub values: Vec<ValueCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueCount {
    pub value: String,
    pub calls: i64,
}

/// What the live feed carries, sent after each commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FeedItem {
    Event { event: Box<EventRow>, call: Option<Box<CallRow>> },
    Repeat { id: i64, attempts: i64 },
    Quarantined { id: i64 },
    Rejected { entry: SecurityEntry },
}

pub(crate) fn phase_text(phase: Option<CallPhase>) -> Option<&'static str> {
    phase.map(CallPhase::as_str)
}

/// How a claimed failure was dealt with; kept for the record (and for support questions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertHow {
    /// Handed to the notifications (singly, or in a burst's summary).
    Notified,
    /// Merged by catch-up after downtime; counted in the "while closed" summary.
    CatchUp,
    /// Notifications were paused.
    Paused,
    /// Notifications were switched off.
    Off,
}

impl AlertHow {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notified => "notified",
            Self::CatchUp => "catchup",
            Self::Paused => "paused",
            Self::Off => "off",
        }
    }
}

/// What one prune step (or a whole prune) removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub calls: u64,
    pub events: u64,
}

/// A delivery of the log as a forward target gets it: its log id, when it came, the
/// headers kept from Calleague's request and the body byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardDelivery {
    pub id: i64,
    pub received_ms: i64,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One read of the log for forwarding: the deliveries a target may get, and how far the
/// read went (skipped entries, hidden or from the REST API, included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwardedBatch {
    pub deliveries: Vec<ForwardDelivery>,
    pub read_to: i64,
}

/// A retry a target owes: how many attempts it has had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryState {
    pub attempts: u32,
}

/// What an attempt leaves owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// Answered 2xx: nothing owed.
    Settled,
    /// Not answered 2xx: tried again at this time (Unix milliseconds).
    RetryAt(i64),
    /// Not answered 2xx, and the retry window is over.
    GaveUp,
}

/// One attempt to send a delivery to a target.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardAttempt {
    /// The delivery's log id.
    pub delivery: i64,
    /// 1 for the first.
    pub attempt: u32,
    /// Sent by a person (a replay), outside the retries.
    pub replay: bool,
    pub at_ms: i64,
    pub latency_ms: i64,
    /// The HTTP status; None when no response came.
    pub status: Option<u16>,
    /// Why no response came: connection refused, timed out, TLS…
    pub error: Option<String>,
    pub response_headers: Vec<(String, String)>,
    /// The start of the response's body (the forward crate bounds it).
    pub response_body: Vec<u8>,
    pub then: AfterAttempt,
}

/// What one round of forwarding to a target did, recorded in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardStep {
    pub target: String,
    pub attempts: Vec<ForwardAttempt>,
    /// How far along the log the target's first attempts have now gone, when they moved.
    pub forwarded_to: Option<i64>,
}

/// A recorded attempt, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardAttemptRow {
    pub id: i64,
    pub target: String,
    pub delivery: i64,
    pub attempt: u32,
    pub replay: bool,
    pub at_ms: i64,
    pub latency_ms: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Vec<u8>,
}

/// Which attempts a list shows: newest first, before the attempt id `before`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptFilter {
    pub target: Option<String>,
    /// Some(true): only those not answered 2xx; Some(false): only those answered 2xx.
    pub failed: Option<bool>,
    pub before: Option<i64>,
    pub limit: u32,
}

/// An attempt in a list, with the call and event of its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedAttempt {
    pub attempt: ForwardAttemptRow,
    pub call_id: Option<String>,
    pub event: Option<String>,
}

/// A target's attempts over a span of time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwardTargetStats {
    pub attempts: u64,
    /// Not answered 2xx.
    pub failures: u64,
    /// Newest first.
    pub latencies_ms: Vec<i64>,
    pub last: Option<ForwardAttemptRow>,
}

/// What a replay of many deliveries sends.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplaySelection {
    /// Webhook deliveries received in `[from_ms, to_ms)`, of these events (canonical
    /// names; empty: all), hidden ones left out.
    Received { from_ms: i64, to_ms: i64, events: Vec<String> },
    /// Deliveries `target` was sent since `since_ms` and never answered 2xx.
    NotAnswered { target: String, since_ms: i64 },
}
