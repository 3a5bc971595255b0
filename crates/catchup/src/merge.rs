//! A call from the REST API as the lifecycle events it implies.

use calleague_client::Call;
use calleague_events::{CallData, Delivery, EventKind, Timestamp};
use calleague_store::{DeliverySink, IncomingDelivery, IngestOutcome, Source, StoreError};

/// Why a call was read from the REST API; each event it implies keeps this in its
/// `x-calleague-monitor-source` header, so a person can tell how it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// After a downtime of the receiver's own.
    CatchUp,
    /// The REST-only source, every few seconds.
    Poll,
    /// The continuous check of what webhooks brought.
    Reconciliation,
}

impl ReadBy {
    /// Catch-up's events are held for its one summary; the REST source's are live.
    pub fn source(self) -> Source {
        match self {
            Self::CatchUp => Source::Catchup,
            Self::Poll | Self::Reconciliation => Source::Rest,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CatchUp => "rest-catch-up",
            Self::Poll => "rest-poll",
            Self::Reconciliation => "rest-reconciliation",
        }
    }
}

/// What merging a list of calls added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub calls_read: usize,
    /// Calls that gained at least one event, by id.
    pub merged: Vec<String>,
    pub events_added: usize,
}

/// Merges each call's implied events through the store's fold (idempotent: an event the
/// store has, from a webhook or an earlier read, is not added again). `each` sees the
/// running count after every call.
pub async fn merge_calls(
    store: &(impl DeliverySink + ?Sized),
    calls: &[Call],
    read_by: ReadBy,
    mut each: impl FnMut(&Merged),
) -> Result<Merged, StoreError> {
    let received_at = Timestamp::now();
    let mut merged = Merged::default();
    for call in calls {
        let mut added = 0;
        for event in call_events(call, received_at, read_by) {
            if let IngestOutcome::Stored(_) = store.ingest(event).await? {
                added += 1;
            }
        }
        merged.calls_read += 1;
        merged.events_added += added;
        if added > 0 {
            merged.merged.push(call.call_id.clone());
        }
        each(&merged);
    }
    Ok(merged)
}

/// True when the call started, connected or ended inside `from..to`.
pub fn active_within(call: &Call, from: Timestamp, to: Timestamp) -> bool {
    let inside = |t: Option<Timestamp>| t.is_some_and(|t| from <= t && t < to);
    inside(call.started_at) || inside(call.connected_at) || inside(call.ended_at)
}

/// The events a call's REST record implies, each with every field the record has, so that
/// the call fold gives the same state it would from the webhooks. Events without a time
/// of their own (recording and transcript) take the call's end.
pub fn call_events(call: &Call, received_at: Timestamp, read_by: ReadBy) -> Vec<IncomingDelivery> {
    let data = CallData {
        call_id: Some(call.call_id.clone()),
        agent_id: call.agent_id.clone(),
        direction: call.direction.clone(),
        phase: call.phase.clone(),
        duration_sec: call.duration_sec,
        ended_reason: call.ended_reason.clone(),
        language: call.language.clone(),
        metadata: call.metadata.clone(),
        recording_id: call.recording_id.clone(),
        transcript_id: call.transcript_id.clone(),
        connected_at: call.connected_at,
        started_at: call.started_at,
        ended_at: call.ended_at,
        extra: Default::default(),
    };
    let phase = call.phase.as_deref().unwrap_or_default();
    let terminal = match phase {
        "failed" => Some(EventKind::CallFailed),
        "completed" | "ended" => Some(EventKind::CallCompleted),
        _ if call.ended_at.is_some() => Some(EventKind::CallCompleted),
        _ => None,
    };
    let latest = call.ended_at.or(call.connected_at).or(call.started_at);
    let mut steps: Vec<(EventKind, Option<Timestamp>)> = vec![(EventKind::CallStarted, call.started_at)];
    if call.connected_at.is_some() || phase == "connected" {
        steps.push((EventKind::CallConnected, call.connected_at));
    }
    if let Some(kind) = terminal {
        steps.push((kind, call.ended_at));
    }
    if call.recording_id.is_some() {
        steps.push((EventKind::RecordingReady, latest));
    }
    if call.transcript_id.is_some() {
        steps.push((EventKind::TranscriptReady, latest));
    }
    let body = serde_json::to_vec(call).unwrap_or_default();
    steps
        .into_iter()
        .filter_map(|(kind, at)| {
            // Without a time the event cannot be placed on the timeline; the call's own
            // webhooks will bring it.
            let at = at?;
            Some(IncomingDelivery {
                received_at,
                peer: None,
                headers: vec![("x-calleague-monitor-source".into(), read_by.as_str().into())],
                body: body.clone(),
                parsed: Delivery {
                    event_name: kind.as_str().to_owned(),
                    event: kind,
                    delivery_id: None,
                    occurred_at: Some(at),
                    occurred_at_text: Some(at.to_string()),
                    data: data.clone(),
                },
                hidden: false,
                source: read_by.source(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<Timestamp> {
        Some(Timestamp::parse(s).unwrap())
    }

    fn call(phase: &str) -> Call {
        Call {
            call_id: "c1".into(),
            agent_id: Some("a".into()),
            direction: Some("inbound".into()),
            phase: Some(phase.into()),
            started_at: ts("2026-01-01T12:00:00Z"),
            connected_at: ts("2026-01-01T12:00:05Z"),
            ended_at: ts("2026-01-01T12:01:00Z"),
            duration_sec: Some(55.0),
            ended_reason: Some("completed".into()),
            language: Some("en".into()),
            metadata: None,
            recording_id: Some("r".into()),
            transcript_id: None,
        }
    }

    #[test]
    fn a_completed_call_implies_its_lifecycle() {
        let events = call_events(&call("completed"), Timestamp::now(), ReadBy::CatchUp);
        let names: Vec<&str> = events.iter().map(|e| e.parsed.event.as_str()).collect();
        assert_eq!(names, ["call.started", "call.connected", "call.completed", "recording.ready"]);
        assert!(events.iter().all(|e| e.source == Source::Catchup && e.parsed.delivery_id.is_none()));
        assert_eq!(events[2].parsed.occurred_at, ts("2026-01-01T12:01:00Z"));
    }

    #[test]
    fn a_failed_call_and_one_in_progress() {
        let mut failed = call("failed");
        failed.connected_at = None;
        let polled = call_events(&failed, Timestamp::now(), ReadBy::Poll);
        assert!(polled.iter().all(|e| e.source == Source::Rest), "read while running: live, not caught up");
        let names: Vec<String> = polled.iter().map(|e| e.parsed.event.as_str().to_owned()).collect();
        assert_eq!(names, ["call.started", "call.failed", "recording.ready"]);
        let mut live = call("started");
        live.connected_at = None;
        live.ended_at = None;
        live.recording_id = None;
        assert_eq!(call_events(&live, Timestamp::now(), ReadBy::Reconciliation).len(), 1);
    }
}
