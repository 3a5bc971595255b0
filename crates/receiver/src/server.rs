//! The listener: plain TCP or TLS, HTTP/1.1 through hyper, graceful drain on shutdown.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::Request;
use axum::routing::{get, post};
use axum::Router;
use calleague_error_code::ErrorCode;
use calleague_metrics::{RejectReason, ServiceMetrics};
use calleague_store::{DeliverySink, FeedItem};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch, OwnedSemaphorePermit};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::handler::{self, Endpoint, Peer};
use crate::health::{self, Health, Readiness, Unready};
use crate::probe::ProbeLog;
use crate::shared_stream::SharedStream;
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
    #[error("the webhook path \"{path}\" is also the {what} path: give them different paths")]
    PathTaken { path: String, what: &'static str },
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

/// The reply to a client that took too long to send its headers. hyper closes such a
/// connection silently, so we answer on the socket's second handle (plain TCP only).
const REQUEST_TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 72\r\n\r\n{\"code\":\"read_timeout\",\"message\":\"the request headers arrived too slowly\"}";

/// A running receiver. Dropping it without `shutdown` stops accepting abruptly.
pub struct Receiver {
    local_addr: SocketAddr,
    url: String,
    endpoint: Arc<Endpoint>,
    health: Arc<Health>,
    shutdown_delay: Duration,
    /// When the accept loop last went round (it ticks every second when idle): the
    /// watchdog's proof that the serving loop is alive.
    alive: Arc<AtomicU64>,
    metrics_url: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    metrics_task: Option<JoinHandle<()>>,
}

/// When the accept loop last went round, shared with a watchdog.
#[derive(Clone)]
pub struct Liveness(Arc<AtomicU64>);

impl Liveness {
    /// True when the accept loop went round within `within` (it does at least every second
    /// while it runs; not at all once it has stopped).
    pub fn serving_within(&self, within: Duration) -> bool {
        now_ms().saturating_sub(self.0.load(Ordering::Relaxed)) <= within.as_millis() as u64
    }
}

/// How often the accept loop stamps that it is alive when no connection comes.
const ALIVE_TICK: Duration = Duration::from_secs(1);

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
        });
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
        let alive = Arc::new(AtomicU64::new(now_ms()));
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
        })
    }

    /// Where `/metrics` is served, when metrics are on.
    pub fn metrics_url(&self) -> Option<&str> {
        self.metrics_url.as_deref()
    }

    /// What `/readyz` would answer now.
    pub async fn readiness(&self) -> Result<(), Unready> {
        self.health.readiness.check().await
    }

    /// Whether the accept loop keeps going round: what a watchdog feeds on.
    pub fn liveness(&self) -> Liveness {
        Liveness(self.alive.clone())
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
    }
}

/// Every path must be one of its own: a health or metrics path that is also the webhook
/// path would answer Calleague's deliveries.
fn check_paths(config: &ReceiverConfig) -> Result<(), ReceiverError> {
    let valid = |path: &str| path.starts_with('/') && !path.contains(char::is_whitespace);
    if !valid(&config.path) {
        return Err(ReceiverError::InvalidPath(config.path.clone()));
    }
    let mut others = vec![(&config.live_path, "liveness"), (&config.ready_path, "readiness")];
    if config.metrics.is_some() && config.metrics_bind.is_none() {
        others.push((&config.metrics_path, "metrics"));
    }
    for (path, what) in &others {
        if !valid(path) {
            return Err(ReceiverError::InvalidPath((*path).clone()));
        }
        if **path == config.path {
            return Err(ReceiverError::PathTaken { path: config.path.clone(), what });
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

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(task) = self.metrics_task.take() {
            task.abort();
        }
    }
}

#[derive(Clone, Copy)]
struct Limits {
    read_timeout: Duration,
    drain_timeout: Duration,
    max_connections: usize,
}

/// The reply to a connection beyond the cap: try again shortly (Calleague retries).
const BUSY_REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 69\r\n\r\n{\"code\":\"too_many_connections\",\"message\":\"too many open connections\"}";

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    metrics: Option<Arc<ServiceMetrics>>,
    alive: Arc<AtomicU64>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let connections = Connections { router, tls, limits, permits, metrics };
    let mut tick = tokio::time::interval(ALIVE_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        alive.store(now_ms(), Ordering::Relaxed);
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => break,
            _ = tick.tick() => continue,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        connections.take(stream, peer, Lifetime::UntilShutdown(graceful.watcher()));
    }
    // Connections the kernel completed before the close would be reset with the listener:
    // each is served its one request instead (a delivery sent in that instant is answered).
    let mut last = Vec::new();
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await {
        last.extend(connections.take(stream, peer, Lifetime::OneRequest));
    }
    drop(listener);
    let drained = async {
        graceful.shutdown().await;
        for task in last {
            let _ = task.await;
        }
    };
    tokio::select! {
        _ = drained => tracing::debug!("all connections drained"),
        _ = tokio::time::sleep(limits.drain_timeout) => tracing::warn!("some connections were still open at shutdown"),
    }
}

/// How long a connection is served.
enum Lifetime {
    /// Until the graceful shutdown asks it to close (after its request in progress).
    UntilShutdown(Watcher),
    /// For one request, without keep-alive: a connection taken from the backlog at the close.
    OneRequest,
}

/// What every accepted connection goes through: the cap, then HTTP (over TLS when set).
struct Connections {
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    permits: Arc<tokio::sync::Semaphore>,
    metrics: Option<Arc<ServiceMetrics>>,
}

impl Connections {
    /// Serves `stream` on a task of its own; None when it was refused (over the cap).
    fn take(&self, stream: TcpStream, peer: SocketAddr, lifetime: Lifetime) -> Option<JoinHandle<()>> {
        // Each connection holds a permit until it ends; beyond the cap, a 503 and close.
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "too many connections: refused one");
            SharedStream(Arc::new(stream)).reply_and_close(BUSY_REPLY);
            if let Some(metrics) = &self.metrics {
                metrics.rejected(RejectReason::too_many_connections);
            }
            return None;
        };
        let service = self.router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            request
        });
        let limits = self.limits;
        Some(match &self.tls {
            None => serve_plain(stream, service, limits, lifetime, permit, self.metrics.clone()),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(limits.read_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            if let Err(e) = serve(stream, service, limits, lifetime).await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                })
            }
        })
    }
}

fn serve_plain<S>(
    stream: TcpStream,
    service: S,
    limits: Limits,
    lifetime: Lifetime,
    permit: OwnedSemaphorePermit,
    metrics: Option<Arc<ServiceMetrics>>,
) -> JoinHandle<()>
where
    S: tower::Service<Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let stream = SharedStream(Arc::new(stream));
    let spare = stream.clone();
    tokio::spawn(async move {
        let _permit = permit;
        if let Err(e) = serve(stream, service, limits, lifetime).await {
            if e.is_timeout() {
                spare.reply_and_close(REQUEST_TIMEOUT_REPLY);
                if let Some(metrics) = &metrics {
                    metrics.rejected(RejectReason::timed_out);
                }
            } else {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
    })
}

async fn serve<I, S>(io: I, service: S, limits: Limits, lifetime: Lifetime) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.read_timeout);
    match lifetime {
        Lifetime::UntilShutdown(watcher) => {
            watcher
                .watch(builder.keep_alive(true).serve_connection(TokioIo::new(io), TowerToHyperService::new(service)))
                .await
        }
        Lifetime::OneRequest => {
            builder.keep_alive(false).serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).await
        }
    }
}
