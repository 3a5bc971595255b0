//! The simulator's shared state and its HTTP server.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::model::{Call, DeliveryAttempt, Segment, Transcript, Webhook};
use crate::{Clock, ScenarioSpec, SimConfig};

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{addr} is already in use: choose another port")]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("cannot read the state file {path}: {reason}")]
    StateFile { path: String, reason: String },
    #[error("at least one API key is needed")]
    NoKey,
}

/// A recording's audio, made on demand from these.
#[derive(Debug, Clone)]
pub(crate) struct RecordingAsset {
    pub call_id: String,
    pub duration_sec: f64,
    pub segments: Vec<Segment>,
}

pub(crate) struct Inner {
    pub config: SimConfig,
    pub clock: Clock,
    pub base_url: String,
    pub http: reqwest::Client,
    pub webhooks: Mutex<Vec<Webhook>>,
    pub calls: Mutex<BTreeMap<String, Call>>,
    pub recordings: Mutex<HashMap<String, RecordingAsset>>,
    pub transcripts: Mutex<HashMap<String, Transcript>>,
    pub attempts: Mutex<Vec<DeliveryAttempt>>,
    /// Deliveries not yet acknowledged or given up.
    pub pending: AtomicUsize,
    /// Calls whose lifecycle is still playing.
    pub live_calls: AtomicUsize,
    pub planned_calls: AtomicUsize,
    pub sequence: AtomicU64,
    pub rate_window: Mutex<(Instant, u32)>,
    pub url_secret: String,
}

impl Inner {
    pub fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed)
    }

    pub fn save_webhooks(&self, webhooks: &[Webhook]) {
        if let Some(path) = &self.config.state_file {
            match serde_json::to_vec_pretty(webhooks) {
                Ok(bytes) => {
                    if let Err(e) = std::fs::write(path, bytes) {
                        tracing::error!(path = %path.display(), error = %e, "cannot save the state file");
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot encode webhooks"),
            }
        }
    }
}

/// Starts scenarios on a running simulator (see [`Simulator::player`]).
#[derive(Clone)]
pub struct SimPlayer(Arc<Inner>);

impl SimPlayer {
    pub fn play(&self, spec: ScenarioSpec) -> Vec<String> {
        crate::scenario::play(&self.0, spec)
    }
}

/// A running simulator.
pub struct Simulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    pub async fn start(config: SimConfig, bind: SocketAddr) -> Result<Self, SimError> {
        if config.keys.iter().all(|k| k.trim().is_empty()) {
            return Err(SimError::NoKey);
        }
        let webhooks = match &config.state_file {
            Some(path) if path.exists() => {
                let text = std::fs::read(path)
                    .map_err(|e| SimError::StateFile { path: path.display().to_string(), reason: e.to_string() })?;
                serde_json::from_slice(&text)
                    .map_err(|e| SimError::StateFile { path: path.display().to_string(), reason: e.to_string() })?
            }
            _ => Vec::new(),
        };
        let listener = TcpListener::bind(bind).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => SimError::AddrInUse { addr: bind },
            _ => SimError::Bind { addr: bind, reason: e.to_string() },
        })?;
        let addr = listener.local_addr().map_err(|e| SimError::Bind { addr: bind, reason: e.to_string() })?;
        let http = reqwest::Client::builder()
            .timeout(config.reply_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Calleague-Webhooks/1.0 (calleague-sim)")
            .build()
            .map_err(|e| SimError::Bind { addr, reason: e.to_string() })?;
        let url_secret = format!("{:016x}", crate::rng::SimRng::derive(config.seed, "url-secret").next_u64());
        let inner = Arc::new(Inner {
            clock: Clock::new(config.time_scale),
            base_url: format!("http://{addr}"),
            http,
            webhooks: Mutex::new(webhooks),
            calls: Mutex::default(),
            recordings: Mutex::default(),
            transcripts: Mutex::default(),
            attempts: Mutex::default(),
            pending: AtomicUsize::new(0),
            live_calls: AtomicUsize::new(0),
            planned_calls: AtomicUsize::new(0),
            sequence: AtomicU64::new(0),
            rate_window: Mutex::new((Instant::now(), 0)),
            url_secret,
            config,
        });
        let router = crate::rest::router(inner.clone()).merge(crate::admin::router(inner.clone()));
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the simulator's server stopped");
            }
        });
        Ok(Self { inner, addr, stop, task: Some(task) })
    }

    pub fn url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts a scenario from inside the process (the app's demo mode); returns its call ids.
    pub fn play(&self, spec: ScenarioSpec) -> Vec<String> {
        crate::scenario::play(&self.inner, spec)
    }

    /// A handle that starts scenarios from another task, for as long as the simulator runs.
    pub fn player(&self) -> SimPlayer {
        SimPlayer(self.inner.clone())
    }

    /// Registers a webhook directly, skipping URL checks (the app's demo mode).
    pub fn register_webhook(&self, url: &str, events: Vec<String>) -> Webhook {
        crate::rest::insert_webhook(&self.inner, url.to_owned(), events)
    }

    /// Makes `url` the only webhook (the app's demo mode, when its receiver moves).
    pub fn deliver_only_to(&self, url: &str, events: Vec<String>) -> Webhook {
        if let Ok(mut hooks) = self.inner.webhooks.lock() {
            hooks.clear();
        }
        self.register_webhook(url, events)
    }

    pub fn calls(&self) -> Vec<Call> {
        crate::admin::ground_truth(&self.inner)
    }

    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.inner.attempts.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// True when no call is playing and no delivery is waiting.
    pub fn is_idle(&self) -> bool {
        crate::admin::status(&self.inner).idle
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
