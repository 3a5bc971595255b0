//! `cargo xtask bench [ingest|scale [CALLS]|team|forward [DOWN_SECONDS]|alerts [CALLS]|ui]`: release-mode benchmarks, printed as tables.
//! Not part of `cargo xtask test`: they take minutes and judge targets by ratios.

use crate::{cargo, packages, step};

pub fn run(args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    packages::ensure(packages::BENCH)?;
    // `team` starts a throwaway PostgreSQL server.
    packages::ensure(packages::TEST)?;
    if args.first().map(String::as_str) == Some("ui") {
        return ui();
    }
    step(
        "cargo build --release (bench and receiver)",
        cargo().args(["build", "--release", "-p", "calleague-bench", "-p", "calleague-headless"]),
    )?;
    let bench = crate::target_dir().join("release").join("calleague-bench");
    let which: Vec<Vec<String>> = match args.first().map(String::as_str) {
        None => vec![vec!["ingest".into()], vec!["scale".into()]],
        Some(_) => vec![args.to_vec()],
    };
    for run in which {
        step(&format!("calleague-bench {}", run.join(" ")), std::process::Command::new(&bench).args(&run))?;
    }
    Ok(())
}

/// The UI benchmark: the release app under Xvfb on 1,000 and on 100,000 calls
/// (tests/e2e/ui.bench.mjs).
fn ui() -> Result<(), String> {
    packages::ensure(packages::E2E)?;
    crate::e2e::ensure_tauri_driver()?;
    crate::ui::build()?;
    step(
        "cargo build --release (app, simulator, seeder)",
        cargo().args(["build", "--release", "-p", "calleague-monitor", "-p", "calleague-sim", "-p", "calleague-bench"]),
    )?;
    let release = crate::target_dir().join("release");
    let shots = crate::target_dir().join("bench-screenshots");
    step(
        "UI benchmark (the app under Xvfb over WebDriver)",
        crate::e2e::headless("release", &shots, 4000)
            .env("E2E_BENCH", "./ui.bench.mjs")
            .env("CALLEAGUE_BENCH", release.join("calleague-bench")),
    )
}
