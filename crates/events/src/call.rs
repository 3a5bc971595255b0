//! The call state as a fold over a call's events.
//!
//! Each field is a register that keeps the value with the greatest [`Stamp`]
//! (`occurredAt`, then the delivery's key), and the lifecycle phase keeps the greatest
//! `(rank, stamp)`. Taking a maximum is commutative, associative and idempotent, so the
//! result is the same for every arrival order and any number of repeats, and a terminal
//! phase can never be undone by a late `call.started`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CallData, EventKind, Timestamp};

/// Orders events of one call: by `occurredAt`, ties broken by the delivery's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub occurred_ms: i64,
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum CallPhase {
    Started,
    Connected,
    Completed,
    Failed,
}

impl CallPhase {
    fn rank(self) -> u8 {
        match self {
            Self::Started => 1,
            Self::Connected => 2,
            Self::Completed | Self::Failed => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Connected => "connected",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "started" => Some(Self::Started),
            "connected" => Some(Self::Connected),
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    pub fn is_terminal(self) -> bool {
        self.rank() == 3
    }

    fn of(kind: &EventKind) -> Option<Self> {
        match kind {
            EventKind::CallStarted => Some(Self::Started),
            EventKind::CallConnected => Some(Self::Connected),
            EventKind::CallCompleted => Some(Self::Completed),
            EventKind::CallFailed => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A value with the stamp of the event that set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Register<T> {
    value: T,
    stamp: Stamp,
}

/// A total order on values, used only when two events carry the same stamp (the same
/// `occurredAt` and key) but different values, so that even then the result does not
/// depend on arrival order.
trait TieBreak {
    fn tie_greater(&self, other: &Self) -> bool;
}

impl TieBreak for String {
    fn tie_greater(&self, other: &Self) -> bool {
        self > other
    }
}

impl TieBreak for f64 {
    fn tie_greater(&self, other: &Self) -> bool {
        self.total_cmp(other).is_gt()
    }
}

impl TieBreak for Timestamp {
    fn tie_greater(&self, other: &Self) -> bool {
        self > other
    }
}

impl TieBreak for Value {
    fn tie_greater(&self, other: &Self) -> bool {
        // JSON values have no order of their own; their text does.
        let (ours, theirs) = (self.to_string(), other.to_string());
        ours > theirs
    }
}

impl TieBreak for CallPhase {
    fn tie_greater(&self, other: &Self) -> bool {
        (self.rank(), self.as_str()) > (other.rank(), other.as_str())
    }
}

fn keep_latest<T: Clone + TieBreak>(slot: &mut Option<Register<T>>, value: Option<&T>, stamp: &Stamp) {
    let Some(value) = value else { return };
    let newer = match slot {
        Some(current) => *stamp > current.stamp || (*stamp == current.stamp && value.tie_greater(&current.value)),
        None => true,
    };
    if newer {
        *slot = Some(Register { value: value.clone(), stamp: stamp.clone() });
    }
}

fn keep_earliest(slot: &mut Option<Timestamp>, value: Option<Timestamp>) {
    if let Some(value) = value {
        if slot.is_none_or(|current| value < current) {
            *slot = Some(value);
        }
    }
}

/// One event as the fold sees it.
#[derive(Debug, Clone, Copy)]
pub struct FoldInput<'a> {
    pub kind: &'a EventKind,
    pub stamp: &'a Stamp,
    pub data: &'a CallData,
}

/// The folded state of one call. Serializable, so a store can keep it and apply the next
/// event without reading the call's history again.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallFold {
    phase: Option<Register<CallPhase>>,
    agent_id: Option<Register<String>>,
    direction: Option<Register<String>>,
    duration_sec: Option<Register<f64>>,
    ended_reason: Option<Register<String>>,
    language: Option<Register<String>>,
    metadata: Option<Register<Value>>,
    recording_id: Option<Register<String>>,
    transcript_id: Option<Register<String>>,
    started_at: Option<Timestamp>,
    connected_at: Option<Timestamp>,
    ended_at: Option<Register<Timestamp>>,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl CallFold {
    pub fn apply(&mut self, input: FoldInput<'_>) {
        let FoldInput { kind, stamp, data } = input;
        let occurred = Timestamp::from_unix_millis(stamp.occurred_ms).ok();
        self.first_ms = Some(self.first_ms.map_or(stamp.occurred_ms, |m| m.min(stamp.occurred_ms)));
        self.last_ms = Some(self.last_ms.map_or(stamp.occurred_ms, |m| m.max(stamp.occurred_ms)));

        if let Some(phase) = CallPhase::of(kind) {
            let newer = match &self.phase {
                Some(current) => {
                    let ours = (phase.rank(), stamp);
                    let theirs = (current.value.rank(), &current.stamp);
                    ours > theirs || (ours == theirs && phase.tie_greater(&current.value))
                }
                None => true,
            };
            if newer {
                self.phase = Some(Register { value: phase, stamp: stamp.clone() });
            }
        }
        match kind {
            EventKind::CallStarted => keep_earliest(&mut self.started_at, data.started_at.or(occurred)),
            EventKind::CallConnected => keep_earliest(&mut self.connected_at, data.connected_at.or(occurred)),
            EventKind::CallCompleted | EventKind::CallFailed => {
                keep_latest(&mut self.ended_at, data.ended_at.or(occurred).as_ref(), stamp)
            }
            _ => {}
        }
        // Fields that any event may carry (REST catch-up sends them all at once).
        keep_earliest(&mut self.started_at, data.started_at);
        keep_earliest(&mut self.connected_at, data.connected_at);
        if !kind.is_terminal() {
            if let Some(ended) = data.ended_at {
                keep_latest(&mut self.ended_at, Some(&ended), stamp);
            }
        }
        keep_latest(&mut self.agent_id, data.agent_id.as_ref(), stamp);
        keep_latest(&mut self.direction, data.direction.as_ref(), stamp);
        keep_latest(&mut self.duration_sec, data.duration_sec.as_ref(), stamp);
        keep_latest(&mut self.ended_reason, data.ended_reason.as_ref(), stamp);
        keep_latest(&mut self.language, data.language.as_ref(), stamp);
        keep_latest(&mut self.metadata, data.metadata.as_ref(), stamp);
        keep_latest(&mut self.recording_id, data.recording_id.as_ref(), stamp);
        keep_latest(&mut self.transcript_id, data.transcript_id.as_ref(), stamp);
    }

    pub fn phase(&self) -> Option<CallPhase> {
        self.phase.as_ref().map(|r| r.value)
    }

    /// The earliest `occurredAt` seen for this call: where it sits on the timeline.
    pub fn first_occurred_ms(&self) -> Option<i64> {
        self.first_ms
    }

    pub fn last_occurred_ms(&self) -> Option<i64> {
        self.last_ms
    }

    /// The plain view of the call, as exported and shown.
    pub fn record(&self, call_id: &str) -> CallRecord {
        fn val<T: Clone>(r: &Option<Register<T>>) -> Option<T> {
            r.as_ref().map(|r| r.value.clone())
        }
        CallRecord {
            call_id: call_id.to_owned(),
            agent_id: val(&self.agent_id),
            direction: val(&self.direction),
            phase: self.phase(),
            started_at: self.started_at,
            connected_at: self.connected_at,
            ended_at: val(&self.ended_at),
            duration_sec: val(&self.duration_sec),
            ended_reason: val(&self.ended_reason),
            language: val(&self.language),
            metadata: val(&self.metadata),
            recording_id: val(&self.recording_id),
            transcript_id: val(&self.transcript_id),
        }
    }
}

/// A call as the export and the UI see it. Absent fields are left out of JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields)]
pub struct CallRecord {
    pub call_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<CallPhase>,
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
    #[ts(type = "unknown")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript_id: Option<String>,
}

#[cfg(test)]
mod tests;
