//! The end-to-end tests: the real app binary under Xvfb, driven over WebDriver through
//! tauri-driver, fed by the real simulator.

use std::path::Path;
use std::process::Command;

use crate::tally::Tally;
use crate::{cargo, packages, step, target_dir, workspace_root};

pub fn run(tally: &mut Tally) -> Result<(), String> {
    packages::ensure(packages::E2E)?;
    ensure_tauri_driver()?;
    step(
        "cargo build (app, simulator and receiver for the end-to-end tests)",
        cargo().args([
            "build",
            "--locked",
            "-p",
            "calleague-monitor",
            "-p",
            "calleague-sim",
            "-p",
            "calleague-headless",
        ]),
    )?;
    let shots = target_dir().join("e2e-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let mut command = headless("debug", &shots, 2000);
    command.env("NODE_TEST_REPORTER", "spec");
    let result = tally.run("end-to-end tests (the app under Xvfb over WebDriver)", &mut command);
    eprintln!("\n==> screenshots of the screens the end-to-end tests checked: {}", shots.display());
    result
}

/// `tests/e2e/run.sh` in a virtual display and a private D-Bus session (its own configuration:
/// no service activation), with the app and
/// the simulator of a build `profile` ("debug" or "release"), stopped after `seconds`.
pub fn headless(profile: &str, shots: &Path, seconds: u32) -> Command {
    let target = target_dir();
    let mut command = Command::new("timeout");
    command
        .arg(seconds.to_string())
        .args(["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", "dbus-run-session"])
        // A session of the tests' own: nothing installed can be started by activation.
        .arg(format!("--config-file={}", workspace_root().join("tests/e2e/session-bus.conf").display()))
        .args(["--", "bash"])
        .arg(workspace_root().join("tests/e2e/run.sh"))
        .env("CALLEAGUE_APP", target.join(profile).join("calleague-monitor"))
        .env("CALLEAGUE_SIM", target.join(profile).join("calleague-sim"))
        .env("CALLEAGUE_RECEIVER", target.join(profile).join("calleague-receiver"))
        .env("SCREENSHOT_DIR", shots);
    command
}

pub fn ensure_tauri_driver() -> Result<(), String> {
    let have = Command::new("tauri-driver").arg("--help").output().map(|o| o.status.success()).unwrap_or(false);
    if have {
        return Ok(());
    }
    step("cargo install tauri-driver", cargo().args(["install", "tauri-driver", "--locked", "--version", "^2"]))
}
