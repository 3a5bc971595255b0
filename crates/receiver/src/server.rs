//! The listener: plain TCP or TLS, HTTP/1.1 through hyper, graceful drain on shutdown.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::Request;
use axum::routing::post;
use axum::Router;
use calleague_error_code::ErrorCode;
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
}

impl ReceiverError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AddrInUse { .. } => ErrorCode::PortInUse,
            Self::Bind { .. } => ErrorCode::BindFailed,
            Self::Tls(_) => ErrorCode::Tls,
            Self::InvalidPath(_) => ErrorCode::InvalidPath,
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
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Receiver {
    pub async fn start(config: ReceiverConfig, store: Arc<dyn DeliverySink>) -> Result<Self, ReceiverError> {
        if !config.path.starts_with('/') || config.path.contains(char::is_whitespace) {
            return Err(ReceiverError::InvalidPath(config.path));
        }
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?.map(TlsAcceptor::from);
        let listener = TcpListener::bind(config.bind).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => ReceiverError::AddrInUse { addr: config.bind },
            _ => ReceiverError::Bind { addr: config.bind, reason: e.to_string() },
        })?;
        let local_addr =
            listener.local_addr().map_err(|e| ReceiverError::Bind { addr: config.bind, reason: e.to_string() })?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{local_addr}{}", config.path);

        let endpoint = Arc::new(Endpoint {
            store,
            keys: RwLock::new(config.keys),
            subscriptions: RwLock::new(config.subscriptions),
            body_limit: config.body_limit,
            read_timeout: config.read_timeout,
            probes: Arc::default(),
        });
        let router = Router::new()
            .route(&config.path, post(handler::receive).get(handler::probe))
            .fallback(handler::not_found)
            .with_state(endpoint.clone());
        let (stop, stopped) = watch::channel(false);
        let limits = Limits {
            read_timeout: config.read_timeout,
            drain_timeout: config.drain_timeout,
            max_connections: config.max_connections.max(1),
        };
        let task = tokio::spawn(accept_loop(listener, router, tls, limits, stopped));
        tracing::info!(%url, "receiver listening");
        Ok(Self { local_addr, url, endpoint, stop, task: Some(task) })
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

    /// Stops accepting, lets in-flight deliveries finish (up to the drain timeout), returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
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
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => break,
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
        // Each connection holds a permit until it ends; beyond the cap, a 503 and close.
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "too many connections: refused one");
            SharedStream(Arc::new(stream)).reply_and_close(BUSY_REPLY);
            continue;
        };
        let service = router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            request
        });
        let watcher = graceful.watcher();
        match &tls {
            None => serve_plain(stream, service, limits, watcher, permit),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(limits.read_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            if let Err(e) = serve(stream, service, limits, watcher).await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::debug!("all connections drained"),
        _ = tokio::time::sleep(limits.drain_timeout) => tracing::warn!("some connections were still open at shutdown"),
    }
}

fn serve_plain<S>(stream: TcpStream, service: S, limits: Limits, watcher: Watcher, permit: OwnedSemaphorePermit)
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
        if let Err(e) = serve(stream, service, limits, watcher).await {
            if e.is_timeout() {
                spare.reply_and_close(REQUEST_TIMEOUT_REPLY);
            } else {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
    });
}

async fn serve<I, S>(io: I, service: S, limits: Limits, watcher: Watcher) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: tower::Service<Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    watcher.watch(connection).await
}
