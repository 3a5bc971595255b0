//! Fuzzes the delivery parser and the call fold: no input may panic, and folding the
//! parsed events in any order must give the same state. The checks themselves are
//! `calleague_events::invariants`, which the ordinary tests also run on `fuzz/seeds`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    calleague_events::invariants::check_parse_and_fold(data);
});
