//! Helpers for the tests and benchmarks that start the project's servers as processes:
//! finding (or building) a workspace binary, reading its `listening on URL` line, and the
//! simulator as a process; a throwaway PostgreSQL server for team mode; a webhook handler
//! that records what it gets.

mod deliveries;
mod handler;
mod postgres;
mod sqlite_lock;
mod watched;

use std::io::{BufRead, BufReader, Error, ErrorKind, Result};

pub use deliveries::{lifecycle_bodies, rfc3339_millis, Rng};
pub use handler::Handler;
pub use postgres::TestPostgres;
pub use sqlite_lock::{lock_sqlite, SqliteLock};
use std::process::Child;
pub use watched::WatchedProcess;

/// Waits for a server's first line on stdout, `listening on URL`, and returns the URL.
/// The servers print it once they accept connections, so the caller may connect at once.
pub fn listening_url(child: &mut Child) -> Result<String> {
    let stdout = child.stdout.take().ok_or_else(|| Error::other("start the server with Stdio::piped() stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    line.trim()
        .strip_prefix("listening on ")
        .map(str::to_owned)
        .ok_or_else(|| Error::new(ErrorKind::InvalidData, format!("expected `listening on URL` first, got {line:?}")))
}

/// A binary of this workspace beside the running test (`target/debug/NAME`), built with
/// `cargo build -p PACKAGE` first when a partial `cargo test -p` did not build it.
pub fn workspace_bin(name: &str, package: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/debug/deps/test-binary -> target/debug
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("a test binary lives in target/PROFILE/deps");
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo).args(["build", "-p", package, "--bin", name]).status();
        assert!(status.is_ok_and(|s| s.success()), "cannot build {name} (cargo build -p {package})");
    }
    path
}

/// A `calleague-sim serve` process on a free loopback port; killed when dropped.
pub struct SimProcess {
    pub child: Child,
    /// The simulator's REST API, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real simulator binary with `key`, loopback webhooks allowed, and `extra`
/// arguments; returns once it listens.
pub fn spawn_sim(key: &str, extra: &[&str]) -> Result<SimProcess> {
    let mut child = std::process::Command::new(workspace_bin("calleague-sim", "calleague-sim"))
        .args(["serve", "--bind", "127.0.0.1:0", "--key", key, "--allow-loopback-http"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    match listening_url(&mut child) {
        Ok(url) => Ok(SimProcess { child, url }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}
