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
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[derive(Debug)]
    struct Ev {
        kind: EventKind,
        stamp: Stamp,
        data: CallData,
    }

    fn ev(kind: EventKind, ms: i64, key: &str, data: CallData) -> Ev {
        Ev { kind, stamp: Stamp { occurred_ms: ms, key: key.into() }, data }
    }

    fn fold<'a>(events: impl IntoIterator<Item = &'a Ev>) -> CallFold {
        let mut state = CallFold::default();
        for e in events {
            state.apply(FoldInput { kind: &e.kind, stamp: &e.stamp, data: &e.data });
        }
        state
    }

    fn lifecycle() -> Vec<Ev> {
        vec![
            ev(
                EventKind::CallStarted,
                1_000,
                "d1",
                CallData {
                    agent_id: Some("ag_1".into()),
                    direction: Some("inbound".into()),
                    metadata: Some(json!({"orderId": "A-1"})),
                    ..Default::default()
                },
            ),
            ev(EventKind::CallConnected, 2_000, "d2", CallData::default()),
            ev(
                EventKind::CallCompleted,
                86_000,
                "d3",
                CallData { duration_sec: Some(84.0), ended_reason: Some("completed".into()), ..Default::default() },
            ),
            ev(
                EventKind::RecordingReady,
                90_000,
                "d4",
                CallData { recording_id: Some("rec_1".into()), ..Default::default() },
            ),
            ev(
                EventKind::TranscriptReady,
                95_000,
                "d5",
                CallData {
                    transcript_id: Some("tr_1".into()),
                    metadata: Some(json!({"orderId": "A-1", "note": "later wins"})),
                    ..Default::default()
                },
            ),
        ]
    }

    #[test]
    fn folds_a_lifecycle() {
        let record = fold(&lifecycle()).record("c1");
        assert_eq!(record.phase, Some(CallPhase::Completed));
        assert_eq!(record.agent_id.as_deref(), Some("ag_1"));
        assert_eq!(record.started_at.unwrap().unix_millis(), 1_000);
        assert_eq!(record.connected_at.unwrap().unix_millis(), 2_000);
        assert_eq!(record.ended_at.unwrap().unix_millis(), 86_000);
        assert_eq!(record.duration_sec, Some(84.0));
        assert_eq!(record.recording_id.as_deref(), Some("rec_1"));
        assert_eq!(record.metadata, Some(json!({"orderId": "A-1", "note": "later wins"})));
    }

    #[test]
    fn a_late_start_does_not_undo_a_terminal_state() {
        let events = lifecycle();
        let reversed: Vec<&Ev> = events.iter().rev().collect();
        let state = fold(reversed);
        assert_eq!(state.phase(), Some(CallPhase::Completed));
        assert_eq!(state, fold(&events));
    }

    #[test]
    fn failure_is_terminal_even_if_connected_arrives_later() {
        let events = [
            ev(EventKind::CallFailed, 5_000, "f", CallData::default()),
            ev(EventKind::CallConnected, 3_000, "c", CallData::default()),
            ev(EventKind::CallStarted, 1_000, "s", CallData::default()),
        ];
        assert_eq!(fold(&events).phase(), Some(CallPhase::Failed));
    }

    fn arb_kind() -> impl Strategy<Value = EventKind> {
        prop_oneof![
            Just(EventKind::CallStarted),
            Just(EventKind::CallConnected),
            Just(EventKind::CallCompleted),
            Just(EventKind::CallFailed),
            Just(EventKind::RecordingReady),
            Just(EventKind::TranscriptReady),
            Just(EventKind::Other("call.transferred".into())),
        ]
    }

    /// Every field the fold reads, each present or not, from small sets so that equal
    /// values and ties are common.
    fn arb_data() -> impl Strategy<Value = CallData> {
        let time = || proptest::option::of((0i64..12).prop_map(|s| Timestamp::from_unix_millis(s * 1_000).unwrap()));
        let word = |re: &'static str| proptest::option::of(re);
        (
            (
                word("[a-c]"),
                proptest::option::of(prop_oneof![Just("inbound"), Just("outbound")]),
                proptest::option::of(prop_oneof![
                    (0u32..500).prop_map(f64::from),
                    any::<f64>().prop_filter("finite", |f| f.is_finite())
                ]),
                word("[a-z]{1,4}"),
                word("(en|de|tr)"),
                proptest::option::of(0u8..3),
            ),
            (word("rec_[a-b]"), word("tr_[a-b]"), time(), time(), time()),
        )
            .prop_map(
                |(
                    (agent, direction, duration, reason, language, meta),
                    (recording, transcript, started, connected, ended),
                )| CallData {
                    agent_id: agent,
                    direction: direction.map(str::to_owned),
                    duration_sec: duration,
                    ended_reason: reason,
                    language,
                    metadata: meta.map(|m| json!({ "k": m })),
                    recording_id: recording,
                    transcript_id: transcript,
                    started_at: started,
                    connected_at: connected,
                    ended_at: ended,
                    ..Default::default()
                },
            )
    }

    /// The fold restated plainly, with no state: each field is the value of the latest
    /// event that carries it (by occurredAt, then key, then value), the start and connect
    /// times are the earliest given, the phase is the furthest reached (latest among equals).
    fn reference(events: &[Ev], call_id: &str) -> CallRecord {
        fn latest<T: Clone + TieBreak>(items: impl Iterator<Item = (Stamp, T)>) -> Option<T> {
            items.reduce(|a, b| if b.0 > a.0 || (b.0 == a.0 && b.1.tie_greater(&a.1)) { b } else { a }).map(|(_, v)| v)
        }
        let occurred = |e: &Ev| Timestamp::from_unix_millis(e.stamp.occurred_ms).unwrap();
        let field = |get: fn(&CallData) -> Option<String>| {
            latest(events.iter().filter_map(|e| get(&e.data).map(|v| (e.stamp.clone(), v))))
        };
        let phase = events
            .iter()
            .filter_map(|e| CallPhase::of(&e.kind).map(|p| (e.stamp.clone(), p)))
            .reduce(|a, b| {
                let (ra, rb) = ((a.1.rank(), &a.0), (b.1.rank(), &b.0));
                if rb > ra || (rb == ra && b.1.tie_greater(&a.1)) {
                    b
                } else {
                    a
                }
            })
            .map(|(_, p)| p);
        CallRecord {
            call_id: call_id.to_owned(),
            agent_id: field(|d| d.agent_id.clone()),
            direction: field(|d| d.direction.clone()),
            phase,
            started_at: events
                .iter()
                .filter_map(|e| e.data.started_at.or((e.kind == EventKind::CallStarted).then(|| occurred(e))))
                .min(),
            connected_at: events
                .iter()
                .filter_map(|e| e.data.connected_at.or((e.kind == EventKind::CallConnected).then(|| occurred(e))))
                .min(),
            ended_at: latest(events.iter().filter_map(|e| {
                let ended =
                    if e.kind.is_terminal() { Some(e.data.ended_at.unwrap_or(occurred(e))) } else { e.data.ended_at };
                ended.map(|t| (e.stamp.clone(), t))
            })),
            duration_sec: latest(events.iter().filter_map(|e| e.data.duration_sec.map(|v| (e.stamp.clone(), v)))),
            ended_reason: field(|d| d.ended_reason.clone()),
            language: field(|d| d.language.clone()),
            metadata: latest(events.iter().filter_map(|e| e.data.metadata.clone().map(|v| (e.stamp.clone(), v)))),
            recording_id: field(|d| d.recording_id.clone()),
            transcript_id: field(|d| d.transcript_id.clone()),
        }
    }

    #[test]
    fn equal_stamps_with_different_values_do_not_depend_on_order() {
        // Found by the fuzzer: two different deliveries sharing a deliveryId and occurredAt.
        let a = ev(EventKind::CallCompleted, 5, "b", CallData { duration_sec: Some(12.0), ..Default::default() });
        let b = ev(EventKind::CallCompleted, 5, "b", CallData { duration_sec: Some(5.0), ..Default::default() });
        let c = ev(EventKind::CallFailed, 5, "b", CallData::default());
        assert_eq!(fold([&a, &b, &c]), fold([&c, &b, &a]));
        assert_eq!(fold([&a, &b]).record("x").duration_sec, Some(12.0));
    }

    #[test]
    fn floats_survive_the_stored_state_exactly() {
        // Found by the fuzzer: without serde_json's float_roundtrip a state read back from
        // the store could differ in the last bit.
        let e = ev(
            EventKind::CallStarted,
            0,
            "a",
            CallData { duration_sec: Some(1.2838942790630797e19), ..Default::default() },
        );
        let state = fold([&e]);
        let back: CallFold = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }

    fn arb_events() -> impl Strategy<Value = Vec<Ev>> {
        // Few distinct timestamps, so ties on occurredAt are common.
        proptest::collection::vec((arb_kind(), 0i64..8, arb_data()), 1..12).prop_map(|items| {
            items
                .into_iter()
                .enumerate()
                // Keys repeat now and then, with other data: conflicting deliveries.
                .map(|(i, (kind, t, data))| ev(kind, t * 1_000, &format!("d{}", i % 9), data))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn any_order_and_any_repeats_give_the_same_state(
            events in arb_events(),
            order_seed in any::<u64>(),
            repeats in proptest::collection::vec(0usize..64, 0..10),
        ) {
            let expected = fold(&events);
            // A shuffled copy with some events delivered more than once.
            let mut arrival: Vec<&Ev> = events.iter().collect();
            for r in &repeats {
                arrival.push(&events[r % events.len()]);
            }
            let mut rng = order_seed;
            for i in (1..arrival.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = (rng >> 33) as usize % (i + 1);
                arrival.swap(i, j);
            }
            let got = fold(arrival);
            prop_assert_eq!(&got, &expected);
            // Terminal events win over any later lifecycle event.
            if events.iter().any(|e| e.kind.is_terminal()) {
                prop_assert!(got.phase().is_some_and(CallPhase::is_terminal));
            }
        }

        #[test]
        fn the_fold_equals_the_plain_reference(events in arb_events()) {
            let got = fold(&events);
            prop_assert_eq!(got.record("c"), reference(&events, "c"));
            let first = events.iter().map(|e| e.stamp.occurred_ms).min();
            let last = events.iter().map(|e| e.stamp.occurred_ms).max();
            prop_assert_eq!((got.first_occurred_ms(), got.last_occurred_ms()), (first, last));
        }

        #[test]
        fn state_survives_serialization(events in arb_events()) {
            let state = fold(&events);
            let json = serde_json::to_string(&state).unwrap();
            let back: CallFold = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, state);
        }
    }
}
