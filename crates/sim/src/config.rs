use std::path::PathBuf;
use std::time::Duration;

/// How the simulator behaves. Rates are shares in [0, 1].
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// API keys it accepts; deliveries carry the first.
    pub keys: Vec<String>,
    pub seed: u64,
    pub time_scale: f64,
    /// How long (simulated) a delivery is retried before it is given up.
    pub retry_window: Duration,
    /// How long (real) one delivery attempt may take before it counts as failed.
    pub reply_timeout: Duration,
    pub dup_rate: f64,
    pub reorder_rate: f64,
    pub drop_rate: f64,
    /// Share of deliveries never sent and never retried: lost silently, as behind a tunnel
    /// that died (unlike `drop_rate`, whose first attempt is lost and then retried).
    pub lose_rate: f64,
    /// Start with deliveries stopped (`POST /sim/delivery` resumes them).
    pub start_delivery_stopped: bool,
    /// Share of deliveries that use the older spellings `call.ended` and `assistantId`.
    pub legacy_rate: f64,
    /// Allow `http://127.0.0.1` and `http://localhost` webhook URLs (for local receivers).
    pub allow_loopback_http: bool,
    /// Requests per second allowed on `/api`; beyond that, 429 with `Retry-After`.
    pub rate_limit: Option<u32>,
    /// Keep registered webhooks in this JSON file across restarts.
    pub state_file: Option<PathBuf>,
    /// How long a signed recording URL stays valid (real time).
    pub recording_url_ttl: Duration,
}

impl SimConfig {
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            keys: vec![key.into()],
            seed: 1,
            time_scale: 1.0,
            retry_window: Duration::from_secs(3600),
            reply_timeout: Duration::from_secs(10),
            dup_rate: 0.0,
            reorder_rate: 0.0,
            drop_rate: 0.0,
            lose_rate: 0.0,
            start_delivery_stopped: false,
            legacy_rate: 0.0,
            allow_loopback_http: false,
            rate_limit: None,
            state_file: None,
            recording_url_ttl: Duration::from_secs(300),
        }
    }
}
