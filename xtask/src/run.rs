//! `cargo xtask run`: builds and opens the desktop app; on a machine without a display it
//! says so and starts the headless receiver instead.

use std::path::PathBuf;
use std::process::Command;

use crate::{cargo, packages, step, target_dir};

const KEY_ENV: &str = "CALLEAGUE_API_KEY";

pub fn run(args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    let (mode, rest) = choose(args, display());
    match mode {
        Mode::Desktop => desktop(),
        Mode::NoDisplay => {
            eprintln!(
                "\nNo display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app cannot open.\n\
                 Starting the headless receiver instead; on a desktop session `cargo xtask run` opens the app."
            );
            receiver(&rest)
        }
        Mode::Headless => receiver(&rest),
    }
}

#[derive(Debug, PartialEq)]
enum Mode {
    Desktop,
    /// Asked for the app, but there is no display to open it on.
    NoDisplay,
    Headless,
}

/// What to start, and the arguments left for the receiver (its bind address).
fn choose(args: &[String], display: Option<String>) -> (Mode, Vec<String>) {
    let headless = args.iter().any(|a| a == "--headless");
    let rest = args.iter().filter(|a| *a != "--headless").cloned().collect();
    let mode = match (headless, display) {
        (true, _) => Mode::Headless,
        (false, Some(_)) => Mode::Desktop,
        (false, None) => Mode::NoDisplay,
    };
    (mode, rest)
}

/// The display the app would open on, if any.
fn display() -> Option<String> {
    ["WAYLAND_DISPLAY", "DISPLAY"].iter().find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// Builds the front end and the app (release), then runs it until its window closes.
fn desktop() -> Result<(), String> {
    crate::ui::build()?;
    step(
        "cargo build --release -p calleague-monitor",
        cargo().args(["build", "--release", "-p", "calleague-monitor"]),
    )?;
    let app = target_dir().join("release").join("calleague-monitor");
    eprintln!("\n==> opening Calleague Monitor ({})", app.display());
    let status = Command::new(&app).status().map_err(|e| format!("cannot start {}: {e}", app.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("Calleague Monitor exited with {status}"))
    }
}

/// The headless receiver, with a database in the user's data folder.
fn receiver(args: &[String]) -> Result<(), String> {
    step(
        "cargo build --release -p calleague-headless",
        cargo().args(["build", "--release", "-p", "calleague-headless"]),
    )?;
    let data = data_dir()?;
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let db = data.join("monitor.db");
    let bind = args.first().cloned().unwrap_or_else(|| "127.0.0.1:8787".into());

    let mut receiver = Command::new(target_dir().join("release").join("calleague-receiver"));
    receiver.args(["serve", "--db"]).arg(&db).args(["--bind", &bind]);
    let key_hint = if std::env::var(KEY_ENV).is_ok_and(|k| !k.trim().is_empty()) {
        "$CALLEAGUE_API_KEY".to_owned()
    } else {
        // No account key given: a one-off local key, so that the receiver can be tried at once.
        let key = format!("local-{}", random_hex(16)?);
        receiver.env(KEY_ENV, &key);
        eprintln!("\nNo {KEY_ENV} set: this run accepts the one-off local test key {key}");
        key
    };
    let url_guess = format!("http://{bind}/hooks/calleague");
    eprintln!("\nDatabase: {}", db.display());
    eprintln!("Send a test delivery:\n");
    eprintln!(
        "  curl -i -X POST {url_guess} -H \"Authorization: Bearer {key_hint}\" -H 'Content-Type: application/json' \\\n    -d '{{\"event\":\"call.started\",\"deliveryId\":\"dl_try_1\",\"occurredAt\":\"2026-01-01T12:00:00.000Z\",\"data\":{{\"callId\":\"cl_try\",\"agentId\":\"ag_1\",\"direction\":\"inbound\"}}}}'\n"
    );
    eprintln!(
        "Export what arrived:  {} export --db {} --what calls",
        receiver.get_program().to_string_lossy(),
        db.display()
    );
    eprintln!("Stop with Ctrl-C.\n");
    let status = receiver.status().map_err(|e| format!("cannot start the receiver: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the receiver stopped ({status})"))
    }
}

fn data_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("calleague-monitor"));
    }
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    Ok(PathBuf::from(home).join(".local/share/calleague-monitor"))
}

fn random_hex(bytes: usize) -> Result<String, String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn opens_the_app_on_a_display_and_the_receiver_without_one() {
        assert_eq!(choose(&[], Some(":0".into())), (Mode::Desktop, vec![]));
        assert_eq!(choose(&[], None), (Mode::NoDisplay, vec![]));
        assert_eq!(
            choose(&strings(&["--headless", "0.0.0.0:9000"]), Some(":0".into())),
            (Mode::Headless, strings(&["0.0.0.0:9000"]))
        );
    }
}
