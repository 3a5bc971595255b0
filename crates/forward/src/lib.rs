//! Forwarding: every delivery the store holds, sent on to the user's own webhook handlers
//! (see docs/forwarding.md).
//!
//! The log is the outbox. Each target keeps a position in it (`forward_targets`): a
//! delivery is read after its commit, never on the acknowledgement's path, and sent in log
//! order with a few requests in flight; each round's attempts and the new position are
//! written in one transaction, so after a restart or a kill -9 whatever was in flight is
//! sent again (at least once, never lost). A delivery not answered 2xx is owed a retry
//! (`forward_retries`), tried again after 1 s, doubling to 5 min, until the retry window
//! after its receipt is over; then it is given up, kept for a person to retry. A target
//! that does not answer at all is down: no new delivery is tried until one retry gets
//! through, so a handler stopped for a minute costs a few probes, not a storm.

mod attempt;
mod error;
mod forwarder;
mod replay;
mod target;
mod trigger;

pub use attempt::{Answer, Sender, ATTEMPT_HEADER, REPLAY_HEADER, RESPONSE_BODY_LIMIT};
pub use error::ForwardError;
pub use forwarder::{retry_wait, ForwardOptions, Forwarder, TargetHealth};
pub use replay::{check_json, replay, replay_all, ReplayProgress};
pub use target::{check_url, ForwardTarget};
pub use trigger::{made_up, made_up_from, parse_set};

use std::sync::Arc;

/// The account's key, sent as the Bearer token exactly as Calleague sends it. Its `Debug`
/// says nothing: it is never logged.
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Self(key.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
