//! `cargo xtask test`: formatting, lints, and every test.

use crate::{cargo, packages, step};

pub fn run(_args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    ensure_components()?;
    step("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("cargo clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    let mut tally = Tally::default();
    tally.run(
        "cargo test (Rust: unit, property and integration tests)",
        cargo().args(["test", "--workspace", "--locked"]),
    )?;
    eprintln!("\n==> all checks and tests passed");
    // One plain closing line over every runner, for people and for CI.
    println!("tests: {} passed, {} failed, {} skipped", tally.passed, tally.failed, tally.skipped);
    Ok(())
}

/// rustfmt and clippy come with rustup's default profile, but not with every install.
fn ensure_components() -> Result<(), String> {
    for (component, probe) in [("rustfmt", ["fmt", "--version"]), ("clippy", ["clippy", "--version"])] {
        let ok = cargo().args(probe).output().map(|o| o.status.success()).unwrap_or(false);
        if !ok {
            step(
                &format!("rustup component add {component}"),
                std::process::Command::new("rustup").args(["component", "add", component]),
            )?;
        }
    }
    Ok(())
}

/// Adds up the results that test runners print, while showing their output as it comes.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Tally {
    fn run(&mut self, name: &str, command: &mut std::process::Command) -> Result<(), String> {
        use std::io::{BufRead, BufReader};
        eprintln!("\n==> {name}");
        let mut child =
            command.stdout(std::process::Stdio::piped()).spawn().map_err(|e| format!("{name}: cannot start: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            println!("{line}");
            self.read(&line);
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{name} failed ({status})"))
        }
    }

    /// `test result: ok. 18 passed; 0 failed; 1 ignored; ...` (cargo test).
    fn read(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else { return };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else { continue };
            let Ok(n) = n.parse::<u64>() else { continue };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.skipped += n,
                _ => {}
            }
        }
    }
}
