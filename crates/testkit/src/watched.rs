//! A server process whose stderr is read line by line, for tests that wait on what it says.

use std::io::{BufRead, BufReader, Error, Read, Result};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::listening_url;

/// A started server: its `listening on` URL, its stderr as lines. Killed when dropped.
pub struct WatchedProcess {
    pub child: Child,
    pub url: String,
    stderr: mpsc::Receiver<String>,
}

impl WatchedProcess {
    /// Starts `command` with stdout and stderr piped, and returns once it listens. When it
    /// exits first, the error holds what it said on stderr.
    pub fn spawn(mut command: Command) -> Result<Self> {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let url = match listening_url(&mut child) {
            Ok(url) => url,
            Err(e) => {
                let mut said = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut said);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::other(format!("{e}; it said: {said}")));
            }
        };
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Ok(Self { child, url, stderr: rx })
    }

    /// The lines said since the last call, up to and with the first that holds `needle`;
    /// panics (with what was said) when none does within `limit`.
    pub fn wait_for_line(&self, needle: &str, limit: Duration) -> Vec<String> {
        let begun = Instant::now();
        let mut seen = Vec::new();
        while begun.elapsed() < limit {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100)) {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return seen;
                }
            }
        }
        panic!("no line with {needle:?} within {limit:?}; saw {seen:?}");
    }
}

impl Drop for WatchedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
