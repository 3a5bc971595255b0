//! `cargo xtask run` and `cargo xtask test`: the README's two commands (and a few more).
//!
//! Both first make sure the system packages they need are installed (with apt-get, through
//! sudo when not root), so that a fresh Debian or Ubuntu machine with Rust is enough.

mod bench;
mod e2e;
mod fuzz;
mod package;
mod packages;
mod run;
mod systemd;
mod tally;
mod test;
mod ui;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("bundle") => package::bundle().map(drop),
        Some("package-test") => package::test(),
        // The package test's service check alone, on what is installed (root).
        Some("service-check") => systemd::check_installed_service(),
        Some("icons") => {
            step("render every icon from icons/icon.svg", cargo().args(["run", "--quiet", "-p", "calleague-icons"]))
        }
        Some("types") => step(
            "regenerate ui/src/bindings.ts from the Rust types",
            cargo().args(["test", "-p", "calleague-monitor", "--test", "bindings"]).env("UPDATE_BINDINGS", "1"),
        ),
        _ => {
            eprintln!("usage: cargo xtask run [--headless [ADDR]]   open the app (or the headless receiver)");
            eprintln!("       cargo xtask test   run every check and test");
            eprintln!(
                "       cargo xtask bench [ingest | scale [CALLS] | team | forward | alerts [CALLS] | ui]   benchmarks (release build)"
            );
            eprintln!("       cargo xtask fuzz [SECONDS]                   fuzz the parser and the call fold");
            eprintln!("       cargo xtask types                            regenerate the UI's types from Rust");
            eprintln!("       cargo xtask icons                            render every icon from icons/icon.svg");
            eprintln!("       cargo xtask bundle                           the release .deb package");
            eprintln!(
                "       cargo xtask package-test                     install the .deb, open it, remove it (root)"
            );
            eprintln!(
                "       cargo xtask service-check                    the installed unit under a real systemd (root)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(|p| p.to_path_buf()).unwrap_or(manifest)
}

/// Where Cargo builds: CARGO_TARGET_DIR (CI keeps it outside the clone), else `target/`.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Runs a step, printing it first, and fails with its name if it fails.
pub fn step(name: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("\n==> {name}");
    let status = command.status().map_err(|e| format!("{name}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}
