//! The closing tally over every test runner: each runner's own summary lines, added up
//! as they stream by, for one plain line at the end.

/// Adds up the results that test runners print, while showing their output as it comes.
#[derive(Default)]
pub struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Tally {
    /// `tests: N passed, N failed, N skipped`: the plain line CI and people read.
    pub fn closing_line(&self) -> String {
        format!("tests: {} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped)
    }

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
