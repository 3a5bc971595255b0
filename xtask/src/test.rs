//! `cargo xtask test`: formatting, lints, and every test.

use crate::{cargo, packages, step};

pub fn run(_args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    ensure_components()?;
    // The app embeds ui/dist, so the front end is built before anything compiles it.
    crate::ui::build()?;
    let mut tally = Tally::default();
    tally.run(
        "vitest (front end)",
        std::process::Command::new("npx").current_dir(crate::ui::dir()).args(["vitest", "run"]),
    )?;
    step("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("cargo clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    tally.run(
        "cargo test (Rust: unit, property and integration tests)",
        cargo().args(["test", "--workspace", "--locked"]),
    )?;
    crate::e2e::run(&mut tally)?;
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
pub struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Tally {
    pub fn run(&mut self, name: &str, command: &mut std::process::Command) -> Result<(), String> {
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

    /// `test result: ok. 18 passed; 0 failed; 1 ignored; ...` (cargo test), and
    /// `Tests  5 passed (5)` or `Tests  1 failed | 4 passed (5)` (vitest).
    fn read(&mut self, line: &str) {
        let line = strip_ansi(line);
        if let Some(rest) = line.trim().strip_prefix("Tests ") {
            for part in rest.split('|') {
                let mut words = part.split_whitespace();
                if let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) {
                    match what {
                        "passed" => self.passed += n,
                        "failed" => self.failed += n,
                        "skipped" | "todo" => self.skipped += n,
                        _ => {}
                    }
                }
            }
            return;
        }
        // node --test: `# pass 2` (TAP) or `ℹ pass 2` (spec).
        let summary = line.trim().trim_start_matches('#').trim_start_matches('ℹ').trim();
        if let Some((what, n)) = summary.split_once(' ') {
            if let Ok(n) = n.trim().parse::<u64>() {
                match what {
                    "pass" => self.passed += n,
                    "fail" => self.failed += n,
                    "skipped" | "todo" => self.skipped += n,
                    _ => {}
                }
                return;
            }
        }
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

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
