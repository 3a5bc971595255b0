//! The receiver: its listener and routes (the webhook path, health, metrics), its keys and
//! event filter as the app changes them, and its stop (draining first). `accept.rs` serves
//! the connections.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use calleague_error_code::ErrorCode;
use calleague_store::{DeliverySink, FeedItem};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::accept::{accept_loop, Limits, Liveness};
use crate::handler::{self, Endpoint};
use crate::health::{self, Health, Readiness};
use crate::probe::ProbeLog;
use crate::{tls, KeySet, ReceiverConfig};

#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    #[error("{addr} is already in use (another program, or another receiver, listens there): choose another port")]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("invalid webhook path \"{0}\": it must start with / and hold no spaces")]
    InvalidPath(String),
    #[error("\"{path}\" is both the {first} path and the {then} path: give them different paths")]
    PathTaken { path: String, first: &'static str, then: &'static str },
}

impl ReceiverError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AddrInUse { .. } => ErrorCode::PortInUse,
            Self::Bind { .. } => ErrorCode::BindFailed,
            Self::Tls(_) => ErrorCode::Tls,
            Self::InvalidPath(_) | Self::PathTaken { .. } => ErrorCode::InvalidPath,
        }
    }
}

/// A running receiver. Dropping it without `shutdown` stops accepting abruptly.
pub struct Receiver {
    local_addr: SocketAddr,
    url: String,
    endpoint: Arc<Endpoint>,
    health: Arc<Health>,
    shutdown_delay: Duration,
    /// When the accept loop last went round (it ticks every second when idle): the
    /// watchdog's proof that the serving loop is alive.
    alive: Liveness,
    metrics_url: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    metrics_task: Option<JoinHandle<()>>,
    /// Writes the security log gathered in memory; stopped after the last connection.
    rejections_task: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Receiver {
    pub async fn start(config: ReceiverConfig, store: Arc<dyn DeliverySink>) -> Result<Self, ReceiverError> {
        check_paths(&config)?;
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?.map(TlsAcceptor::from);
        let (listener, local_addr) = bind(config.bind).await?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{local_addr}{}", config.path);

        let endpoint = Arc::new(Endpoint {
            store,
            keys: RwLock::new(config.keys),
            subscriptions: RwLock::new(config.subscriptions),
            body_limit: config.body_limit,
            read_timeout: config.read_timeout,
            probes: Arc::default(),
            metrics: config.metrics.clone(),
            rejections: Arc::default(),
        });
        let (rejections_stop, rejections_stopped) = watch::channel(false);
        let rejections_writer = endpoint.rejections.spawn_writer(endpoint.store.clone(), rejections_stopped);
        let health =
            Arc::new(Health { readiness: Readiness::new(endpoint.store.clone()), metrics: config.metrics.clone() });
        let mut health_routes =
            Router::new().route(&config.live_path, get(health::live)).route(&config.ready_path, get(health::ready));
        let (stop, stopped) = watch::channel(false);
        // /metrics on its own listener when asked, else beside the webhook path.
        let mut metrics_url = None;
        let mut metrics_task = None;
        if config.metrics.is_some() {
            let metrics_routes = Router::new().route(&config.metrics_path, get(health::metrics));
            match config.metrics_bind {
                Some(addr) => {
                    let (listener, local) = bind(addr).await?;
                    metrics_url = Some(format!("http://{local}{}", config.metrics_path));
                    let router = metrics_routes.fallback(handler::not_found).with_state(health.clone());
                    let mut stopped = stopped.clone();
                    metrics_task = Some(tokio::spawn(async move {
                        let served = axum::serve(listener, router).with_graceful_shutdown(async move {
                            let _ = stopped.changed().await;
                        });
                        if let Err(e) = served.await {
                            tracing::warn!(error = %e, "the metrics listener stopped");
                        }
                    }));
                }
                None => {
                    metrics_url = Some(format!("{scheme}://{local_addr}{}", config.metrics_path));
                    health_routes = health_routes.merge(metrics_routes);
                }
            }
        }
        let router = Router::new()
            .route(&config.path, post(handler::receive).get(handler::probe))
            .with_state(endpoint.clone())
            .merge(health_routes.with_state(health.clone()))
            .fallback(handler::not_found);
        let limits = Limits {
            read_timeout: config.read_timeout,
            drain_timeout: config.drain_timeout,
            max_connections: config.max_connections.max(1),
        };
        let alive = Liveness::new();
        let task =
            tokio::spawn(accept_loop(listener, router, tls, limits, stopped, config.metrics.clone(), alive.clone()));
        tracing::info!(%url, "receiver listening");
        Ok(Self {
            local_addr,
            url,
            endpoint,
            health,
            shutdown_delay: config.shutdown_delay,
            alive,
            metrics_url,
            stop,
            task: Some(task),
            metrics_task,
            rejections_task: Some((rejections_stop, rejections_writer)),
        })
    }

    /// Writes the rejections counted so far to the security log now, instead of within the
    /// second.
    pub async fn flush_security_log(&self) {
        self.endpoint.rejections.flush(self.endpoint.store.as_ref()).await;
    }

    /// Where `/metrics` is served, when metrics are on.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    /// Whether the accept loop keeps going round: what a watchdog feeds on.
    pub fn liveness(&self) -> Liveness {
        self.alive.clone()
    }

    /// `/readyz` answers 503 `draining` from now on (a stop is coming).
    pub fn start_draining(&self) {
        self.health.readiness.start_draining();
        if let Some(metrics) = &self.health.metrics {
            metrics.set_ready(false);
        }
    }

    /// Where deliveries go, e.g. `http://127.0.0.1:8787/hooks/calleague`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Replaces the accepted keys (e.g. after the user replaced the API key).
    pub fn set_keys(&self, keys: KeySet) {
        if let Ok(mut current) = self.endpoint.keys.write() {
            *current = keys;
        }
    }

    /// Replaces the subscribed event names; `None` shows every event.
    pub fn set_subscriptions(&self, subscriptions: Option<BTreeSet<String>>) {
        if let Ok(mut current) = self.endpoint.subscriptions.write() {
            *current = subscriptions;
        }
    }

    /// The probes of the public address that reached this receiver.
    pub fn probes(&self) -> Arc<ProbeLog> {
        self.endpoint.probes.clone()
    }

    /// The live feed of committed deliveries.
    pub fn subscribe(&self) -> broadcast::Receiver<FeedItem> {
        self.endpoint.store.subscribe()
    }

    /// Stops: `/readyz` answers 503 `draining` at once, deliveries are still taken for the
    /// shutdown delay (a load balancer's time to notice), then the listener closes and the
    /// deliveries in flight finish (up to the drain timeout).
    pub async fn shutdown(mut self) {
        self.start_draining();
        if !self.shutdown_delay.is_zero() {
            tracing::info!(delay = ?self.shutdown_delay, "draining: /readyz answers 503 before the listener closes");
            tokio::time::sleep(self.shutdown_delay).await;
        }
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.metrics_task.take() {
            let _ = task.await;
        }
        // Every connection has ended: what they rejected is written once more, then it stops.
        if let Some((stop, task)) = self.rejections_task.take() {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
}

/// Every path must be one of its own: a health or metrics path that is also the webhook
/// path would answer Calleague's deliveries, and two routes on one path make axum panic.
fn check_paths(config: &ReceiverConfig) -> Result<(), ReceiverError> {
    let mut paths = vec![(&config.path, "webhook"), (&config.live_path, "liveness"), (&config.ready_path, "readiness")];
    if config.metrics.is_some() && config.metrics_bind.is_none() {
        paths.push((&config.metrics_path, "metrics"));
    }
    for (i, (path, what)) in paths.iter().enumerate() {
        if !path.starts_with('/') || path.contains(char::is_whitespace) {
            return Err(ReceiverError::InvalidPath((*path).clone()));
        }
        if let Some((_, first)) = paths[..i].iter().find(|(earlier, _)| earlier == path) {
            return Err(ReceiverError::PathTaken { path: (*path).clone(), first, then: what });
        }
    }
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ReceiverError> {
    let listener = TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => ReceiverError::AddrInUse { addr },
        _ => ReceiverError::Bind { addr, reason: e.to_string() },
    })?;
    let local = listener.local_addr().map_err(|e| ReceiverError::Bind { addr, reason: e.to_string() })?;
    Ok((listener, local))
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(task) = self.metrics_task.take() {
            task.abort();
        }
        if let Some((_, task)) = self.rejections_task.take() {
            task.abort();
        }
    }
}
