//! `cargo xtask fuzz [SECONDS]`: fuzzes the delivery parser and the call fold with
//! cargo-fuzz (libFuzzer). cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP allows them
//! on the stable toolchain this machine has. It starts from the checked-in seeds in
//! `fuzz/seeds`, which the ordinary tests replay too (`crates/events/tests/fuzz_seeds.rs`).

use crate::{cargo, step, workspace_root};

pub fn run(args: &[String]) -> Result<(), String> {
    std::fs::create_dir_all(workspace_root().join("fuzz/corpus/delivery")).map_err(|e| e.to_string())?;
    let seconds: u64 = args
        .first()
        .map(|s| s.parse().map_err(|_| format!("not a number of seconds: {s}")))
        .transpose()?
        .unwrap_or(600);
    let have = cargo().args(["fuzz", "--version"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !have {
        step("cargo install cargo-fuzz", cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    step(
        &format!("cargo fuzz run delivery for {seconds} s"),
        cargo().current_dir(workspace_root().join("fuzz")).env("RUSTC_BOOTSTRAP", "1").args([
            "fuzz",
            "run",
            "delivery",
            // The first corpus is where new finds go; the checked-in seeds start it off.
            "corpus/delivery",
            "seeds/delivery",
            "--",
            &format!("-max_total_time={seconds}"),
            "-rss_limit_mb=2048",
        ]),
    )
}
