//! Whether the public address reaches this receiver: the app sends a nonce to its public
//! address (through the user's tunnel), and asks the receiver whether the nonce came in.
//! A tunnel that points at another port, another machine or an old app answers too, so an
//! answer alone proves nothing; the nonce seen here does.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::handler::Endpoint;

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

    fn record(&self, nonce: &str) {
        if let Ok(mut seen) = self.0.lock() {
            if seen.len() == KEPT {
                seen.pop_front();
            }
            seen.push_back(nonce.to_owned());
        }
    }
}

/// `GET` on the webhook path: with a probe's nonce (at most 64 letters, digits, `-` or
/// `_`), 204 and the nonce noted; anything else keeps the 405 a GET always had. It needs
/// no key and tells nothing.
pub(crate) async fn answer(State(endpoint): State<Arc<Endpoint>>, headers: HeaderMap) -> Response {
    let nonce = headers.get(PROBE_HEADER).and_then(|v| v.to_str().ok()).filter(|n| {
        (1..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    match nonce {
        Some(nonce) => {
            endpoint.probes.record(nonce);
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
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
