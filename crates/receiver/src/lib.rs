//! The webhook receiver.
//!
//! It verifies each delivery's Bearer token, enforces size and time limits, and answers by
//! the response rules of docs/architecture.md: a 2xx only once a delivery is committed to the store
//! (or deliberately discarded), 503 when the store cannot commit so that Calleague retries.

mod accept;
mod auth;
mod config;
mod handler;
mod health;
mod probe;
mod rejections;
mod server;
mod shared_stream;
mod shedding;
mod tls;

pub use accept::Liveness;
pub use auth::{ApiKey, KeySet};
pub use calleague_metrics::ServiceMetrics;
pub use config::{
    ReceiverConfig, TlsSettings, DEFAULT_BIND, DEFAULT_BODY_LIMIT, DEFAULT_LIVE_PATH, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_METRICS_PATH, DEFAULT_PATH, DEFAULT_READY_PATH, DEFAULT_READ_TIMEOUT,
};
pub use probe::{ProbeLog, PROBE_HEADER};
pub use server::{Receiver, ReceiverError};
