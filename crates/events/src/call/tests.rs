//! The fold's tests: examples, the bugs the fuzzer found, and properties against a plain
//! reference and against itself shuffled.

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
