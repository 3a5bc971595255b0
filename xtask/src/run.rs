//! `cargo xtask run`: builds and opens the desktop app; on a machine without a display it
//! says so and starts the headless receiver instead.

use std::path::PathBuf;
use std::process::Command;

use crate::{cargo, packages, step, workspace_root};

const KEY_ENV: &str = "CALLEAGUE_API_KEY";

pub fn run(args: &[String]) -> Result<(), String> {
    packages::ensure(packages::BUILD)?;
    step(
        "cargo build --release -p calleague-receiver",
        cargo().args(["build", "--release", "-p", "calleague-receiver"]),
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

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

fn random_hex(bytes: usize) -> Result<String, String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
