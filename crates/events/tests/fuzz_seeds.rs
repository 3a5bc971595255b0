//! The fuzzer's checked-in seeds, replayed in every test run: among them the inputs that
//! once found bugs (`regression-*`), which must never break again.

use std::path::PathBuf;

#[test]
fn every_fuzz_seed_keeps_the_parser_and_the_fold_sound() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/delivery");
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 5, "the seeds were not found: {seeds:?}");
    assert!(seeds.iter().any(|s| s.file_name().unwrap().to_string_lossy().starts_with("regression-")));
    for seed in &seeds {
        let data = std::fs::read(seed).unwrap();
        let outcome = std::panic::catch_unwind(|| calleague_events::invariants::check_parse_and_fold(&data));
        assert!(outcome.is_ok(), "the seed {} broke an invariant", seed.display());
    }
}
