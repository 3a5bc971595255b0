//! The invariants the fuzzer checks, as one function: the fuzz target runs it on every input
//! it makes, and `tests/fuzz_seeds.rs` on the checked-in seeds in every test run, so a
//! regression the fuzzer once found cannot come back unnoticed.

use crate::{parse_delivery, CallFold, Delivery, FoldInput, Stamp};

/// Parses `data` as one delivery per line (a call's events) and panics if any invariant
/// breaks: no input panics the parser; folding the events forwards, backwards or twice
/// gives the same state; the record and the state serialize, and the state reads back equal.
pub fn check_parse_and_fold(data: &[u8]) {
    let parsed: Vec<Delivery> = data.split(|b| *b == b'\n').filter_map(|line| parse_delivery(line).ok()).collect();
    let stamped: Vec<(&Delivery, Stamp)> = parsed
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let ms = d.occurred_at.map_or(i as i64, |t| t.unix_millis());
            (d, Stamp { occurred_ms: ms, key: d.delivery_id.clone().unwrap_or_else(|| format!("k{i}")) })
        })
        .collect();
    let fold = |order: &mut dyn Iterator<Item = &(&Delivery, Stamp)>| {
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
    assert_eq!(back, forward, "the state reads back as it was written");
}
