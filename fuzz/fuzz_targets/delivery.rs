//! Fuzzes the delivery parser and the call fold: no input may panic, and folding the
//! parsed events in any order must give the same state.
#![no_main]

use calleague_events::{parse_delivery, CallFold, FoldInput, Stamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Several deliveries per input, one per line, as a call's events.
    let parsed: Vec<_> = data.split(|b| *b == b'\n').filter_map(|line| parse_delivery(line).ok()).collect();
    let stamped: Vec<_> = parsed
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let ms = d.occurred_at.map_or(i as i64, |t| t.unix_millis());
            (d, Stamp { occurred_ms: ms, key: d.delivery_id.clone().unwrap_or_else(|| format!("k{i}")) })
        })
        .collect();
    let fold = |order: &mut dyn Iterator<Item = &(&calleague_events::Delivery, Stamp)>| {
        let mut state = CallFold::default();
        for (d, stamp) in order {
            state.apply(FoldInput { kind: &d.event, stamp, data: &d.data });
        }
        state
    };
    let forward = fold(&mut stamped.iter());
    let backward = fold(&mut stamped.iter().rev());
    let twice = fold(&mut stamped.iter().chain(stamped.iter()));
    assert_eq!(forward, backward, "the fold depends on arrival order");
    assert_eq!(forward, twice, "the fold is not idempotent");
    let record = forward.record("fuzz");
    let _ = serde_json::to_string(&record).expect("a record serializes");
    let json = serde_json::to_string(&forward).expect("a state serializes");
    let back: CallFold = serde_json::from_str(&json).expect("a state deserializes");
    assert_eq!(back, forward);
});
