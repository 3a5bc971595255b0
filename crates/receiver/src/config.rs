use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use calleague_metrics::ServiceMetrics;

use crate::KeySet;

pub const DEFAULT_BIND: &str = "127.0.0.1:8787";
pub const DEFAULT_PATH: &str = "/hooks/calleague";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_LIVE_PATH: &str = "/livez";
pub const DEFAULT_READY_PATH: &str = "/readyz";
pub const DEFAULT_METRICS_PATH: &str = "/metrics";

#[derive(Debug, Clone)]
pub enum TlsSettings {
    /// A certificate chain and private key in PEM files.
    Pem { cert: PathBuf, key: PathBuf },
    /// A pair generated at start for LAN tests; the certificate (never the key) is written
    /// to `cert_out` so that a client can be told to trust it.
    SelfSigned { hostnames: Vec<String>, cert_out: Option<PathBuf> },
}

/// Well under the usual limit of 1,024 open files, with room for everything else.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// 127.0.0.1 by default; another interface is an explicit choice.
    pub bind: SocketAddr,
    /// The one path deliveries are accepted on.
    pub path: String,
    pub keys: KeySet,
    pub body_limit: usize,
    /// How long a client may take to send its headers, and then its body.
    pub read_timeout: Duration,
    pub tls: Option<TlsSettings>,
    /// Event names the user subscribed to; `None` means all. Others are kept but hidden.
    pub subscriptions: Option<BTreeSet<String>>,
    /// How long shutdown waits for in-flight deliveries.
    pub drain_timeout: Duration,
    /// Connections served at once, so idle or slow clients cannot use up the process's file
    /// descriptors (which the store, the REST client and the keychain need too). At the cap
    /// the oldest connection that has not finished sending a request is closed for a new
    /// one; only when every one is in the middle of a request does a new one get a 503.
    pub max_connections: usize,
    /// Where a load balancer or systemd asks whether the process answers, and whether it
    /// takes deliveries now (`health.rs`). Never behind the key; they tell nothing of calls.
    pub live_path: String,
    pub ready_path: String,
    /// The metrics this receiver records into; `None` records nothing and serves no
    /// `/metrics`.
    pub metrics: Option<Arc<ServiceMetrics>>,
    pub metrics_path: String,
    /// `/metrics` on a listener of its own (e.g. a private interface) instead of this one.
    pub metrics_bind: Option<SocketAddr>,
    /// At shutdown, how long `/readyz` answers 503 `draining` while deliveries are still
    /// taken, before the listener closes: time for a load balancer to take this receiver out.
    pub shutdown_delay: Duration,
}

impl ReceiverConfig {
    pub fn new(keys: KeySet) -> Self {
        Self {
            bind: DEFAULT_BIND.parse().expect("the default bind address parses"),
            path: DEFAULT_PATH.to_owned(),
            keys,
            body_limit: DEFAULT_BODY_LIMIT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            tls: None,
            subscriptions: None,
            drain_timeout: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            live_path: DEFAULT_LIVE_PATH.to_owned(),
            ready_path: DEFAULT_READY_PATH.to_owned(),
            metrics: None,
            metrics_path: DEFAULT_METRICS_PATH.to_owned(),
            metrics_bind: None,
            shutdown_delay: Duration::ZERO,
        }
    }
}
