//! `ui/src/bindings.ts` must be what the Rust types generate today. With
//! `UPDATE_BINDINGS=1` (what `cargo xtask types` sets) the test rewrites it instead.

use std::path::PathBuf;

#[test]
fn ui_bindings_match_the_rust_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(calleague_monitor_lib::bindings::PATH);
    let fresh = calleague_monitor_lib::bindings::typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).expect("write the bindings");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    if on_disk != fresh {
        let line = on_disk.lines().zip(fresh.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!(
            "{} is stale (first difference near line {line}): run `cargo xtask types` and commit the result",
            calleague_monitor_lib::bindings::PATH
        );
    }
}
