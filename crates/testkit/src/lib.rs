//! Helpers for the tests and benchmarks that start the project's servers as processes.

use std::io::{BufRead, BufReader, Error, ErrorKind, Result};
use std::process::Child;

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
