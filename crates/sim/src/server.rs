//! The simulator as a running server: where the REST API and the admin routes are put
//! together, started and stopped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::model::{Agent, Call, DeliveryAttempt, Webhook};
use crate::state::{ApiRequest, Platform, RateWindow};
use crate::{admin, rest, scenario, Clock, ScenarioSpec, SimConfig};

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

/// Starts scenarios on a running simulator (see [`Simulator::player`]).
#[derive(Clone)]
pub struct SimPlayer(Arc<Platform>);

impl SimPlayer {
    pub fn play(&self, spec: ScenarioSpec) -> Vec<String> {
        scenario::play(&self.0, spec)
    }
}

/// A running simulator.
pub struct Simulator {
    platform: Arc<Platform>,
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
        let platform = Arc::new(Platform {
            clock: Clock::new(config.time_scale),
            base_url: format!("http://{addr}"),
            http,
            webhooks: Mutex::new(webhooks),
            calls: Mutex::default(),
            agents: Mutex::new(Agent::defaults().into_iter().map(|a| (a.agent_id.clone(), a)).collect()),
            recordings: Mutex::default(),
            transcripts: Mutex::default(),
            attempts: Mutex::default(),
            pending: AtomicUsize::new(0),
            live_calls: AtomicUsize::new(0),
            planned_calls: AtomicUsize::new(0),
            sequence: AtomicU64::new(0),
            rate_window: Mutex::new(RateWindow { started: Instant::now(), requests: 0 }),
            api_requests: Mutex::default(),
            delivery_stopped: AtomicBool::new(config.start_delivery_stopped),
            url_secret,
            config,
        });
        // The one place the routes come together: the REST API and the /sim admin routes.
        let router = rest::router(platform.clone()).merge(admin::router(platform.clone()));
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.changed().await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the simulator's server stopped");
            }
        });
        Ok(Self { platform, addr, stop, task: Some(task) })
    }

    pub fn url(&self) -> String {
        self.platform.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts a scenario from inside the process (the app's demo mode); returns its call ids.
    pub fn play(&self, spec: ScenarioSpec) -> Vec<String> {
        scenario::play(&self.platform, spec)
    }

    /// A handle that starts scenarios from another task, for as long as the simulator runs.
    pub fn player(&self) -> SimPlayer {
        SimPlayer(self.platform.clone())
    }

    /// Registers a webhook directly, skipping URL checks (the app's demo mode).
    pub fn register_webhook(&self, url: &str, events: Vec<String>) -> Webhook {
        self.platform.insert_webhook(url.to_owned(), events)
    }

    /// Makes `url` the only webhook (the app's demo mode, when its receiver moves).
    pub fn deliver_only_to(&self, url: &str, events: Vec<String>) -> Webhook {
        if let Ok(mut hooks) = self.platform.webhooks.lock() {
            hooks.clear();
        }
        self.register_webhook(url, events)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.platform.ground_truth()
    }

    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.platform.attempts.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Every request the REST API served or refused, in order.
    pub fn api_requests(&self) -> Vec<ApiRequest> {
        self.platform.api_requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Stops (or resumes) every delivery, as a dead tunnel would; calls go on.
    /// Adds an agent to the account, or renames one.
    pub fn put_agent(&self, agent: Agent) {
        if let Ok(mut agents) = self.platform.agents.lock() {
            agents.insert(agent.agent_id.clone(), agent);
        }
    }

    pub fn set_delivery_stopped(&self, stopped: bool) {
        self.platform.delivery_stopped.store(stopped, Ordering::SeqCst);
    }

    /// True when no call is playing and no delivery is waiting.
    pub fn is_idle(&self) -> bool {
        self.platform.status().idle
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
