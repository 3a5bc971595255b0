//! `cargo xtask bench [ingest|scale [CALLS]]`: release-mode benchmarks, printed as tables.
//! Not part of `cargo xtask test`: they take minutes and judge targets by ratios.

use crate::{cargo, packages, step, workspace_root};

pub fn run(args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    step(
        "cargo build --release (bench and receiver)",
        cargo().args(["build", "--release", "-p", "calleague-bench", "-p", "calleague-receiver"]),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let bench = target.join("release").join("calleague-bench");
    let which: Vec<Vec<String>> = match args.first().map(String::as_str) {
        None => vec![vec!["ingest".into()], vec!["scale".into()]],
        Some(_) => vec![args.to_vec()],
    };
    for run in which {
        step(&format!("calleague-bench {}", run.join(" ")), std::process::Command::new(&bench).args(&run))?;
    }
    Ok(())
}
