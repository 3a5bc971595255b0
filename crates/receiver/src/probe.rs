//! Whether the public address reaches this receiver: the app sends a nonce to its public
//! address (through the user's tunnel), and asks the receiver whether the nonce came in.
//! A tunnel that points at another port, another machine or an old app answers too, so an
//! answer alone proves nothing; the nonce seen here does.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::HeaderMap;

/// The header a probe carries its nonce in.
pub const PROBE_HEADER: &str = "x-calleague-monitor-probe";

/// The probes lately seen (a few: one is sent at a time).
const KEPT: usize = 16;

#[derive(Debug, Default)]
pub struct ProbeLog(Mutex<VecDeque<String>>);

impl ProbeLog {
    /// True when a probe with `nonce` reached this receiver.
    pub fn saw(&self, nonce: &str) -> bool {
        self.0.lock().map(|seen| seen.iter().any(|n| n == nonce)).unwrap_or(false)
    }

    pub(crate) fn record(&self, nonce: &str) {
        if let Ok(mut seen) = self.0.lock() {
            if seen.len() == KEPT {
                seen.pop_front();
            }
            seen.push_back(nonce.to_owned());
        }
    }
}

/// A probe's nonce: at most 64 letters, digits, `-` or `_`; anything else is no probe.
pub(crate) fn nonce(headers: &HeaderMap) -> Option<&str> {
    headers.get(PROBE_HEADER).and_then(|v| v.to_str().ok()).filter(|n| {
        (1..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_few() {
        let log = ProbeLog::default();
        for i in 0..20 {
            log.record(&format!("n{i}"));
        }
        assert!(!log.saw("n3") && log.saw("n4") && log.saw("n19"));
    }
}
