//! The accept loop: each connection under the cap, HTTP/1.1 on a task of its own (over TLS
//! when set), the liveness stamp a watchdog reads, and at a stop the graceful drain, with
//! the connections still waiting in the listen backlog served rather than reset.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use calleague_metrics::{RejectReason, ServiceMetrics};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::handler::Peer;
use crate::shared_stream::SharedStream;
use crate::shedding::{OpenConnections, Registered};

/// The reply to a client that took too long to send its headers. hyper closes such a
/// connection silently, so we answer on the socket's second handle (plain TCP only).
const REQUEST_TIMEOUT_REPLY: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 72\r\n\r\n{\"code\":\"read_timeout\",\"message\":\"the request headers arrived too slowly\"}";

/// When the accept loop last went round, shared with a watchdog.
#[derive(Clone)]
pub struct Liveness(Arc<AtomicU64>);

impl Liveness {
    pub(crate) fn new() -> Self {
        Self(Arc::new(AtomicU64::new(now_ms())))
    }

    fn stamp(&self) {
        self.0.store(now_ms(), Ordering::Relaxed);
    }

    /// True when the accept loop went round within `within` (it does at least every second
    /// while it runs; not at all once it has stopped).
    pub fn serving_within(&self, within: Duration) -> bool {
        now_ms().saturating_sub(self.0.load(Ordering::Relaxed)) <= within.as_millis() as u64
    }
}

/// How often the accept loop stamps that it is alive when no connection comes.
const ALIVE_TICK: Duration = Duration::from_secs(1);

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub read_timeout: Duration,
    pub drain_timeout: Duration,
    pub max_connections: usize,
}

/// The reply to a connection beyond the cap: try again shortly (Calleague retries).
const BUSY_REPLY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 69\r\n\r\n{\"code\":\"too_many_connections\",\"message\":\"too many open connections\"}";

pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    metrics: Option<Arc<ServiceMetrics>>,
    alive: Liveness,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let connections = Connections { router, tls, limits, permits, metrics, open: Arc::default() };
    let mut tick = tokio::time::interval(ALIVE_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        alive.stamp();
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
    // At most a cap's worth, so that a flood at the close cannot hold the stop up.
    let mut last = Vec::new();
    for _ in 0..limits.max_connections {
        let Ok(Ok((stream, peer))) = tokio::time::timeout(Duration::ZERO, listener.accept()).await else { break };
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
    /// The open connections, oldest first, for making room at the cap (`shedding.rs`).
    open: Arc<OpenConnections>,
}

impl Connections {
    /// Serves `stream` on a task of its own; None when it was refused (over the cap).
    fn take(&self, stream: TcpStream, peer: SocketAddr, lifetime: Lifetime) -> Option<JoinHandle<()>> {
        // Each connection holds a permit until it ends. At the cap, the oldest connection
        // that has not finished sending a request is closed to make room; when every one
        // is in the middle of a request, a 503 and close.
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => match self.open.shed_oldest_idle() {
                Some(permit) => {
                    tracing::debug!(%peer, "at the connection cap: closed the oldest idle connection for a new one");
                    permit
                }
                None => {
                    self.refuse(stream, peer);
                    return None;
                }
            },
        };
        Some(self.serve_with(stream, peer, lifetime, permit))
    }

    fn refuse(&self, stream: TcpStream, peer: SocketAddr) {
        tracing::debug!(%peer, "too many connections, each in the middle of a request: refused one");
        SharedStream(Arc::new(stream)).reply_and_close(BUSY_REPLY);
        if let Some(metrics) = &self.metrics {
            metrics.rejected(RejectReason::too_many_connections);
        }
    }

    fn serve_with(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        lifetime: Lifetime,
        permit: OwnedSemaphorePermit,
    ) -> JoinHandle<()> {
        // The registry holds the permit: released when the connection ends, handed on if shed.
        let registered = self.open.register(permit);
        let (started, answered) = (registered.slot(), registered.slot());
        let service = self
            .router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                started.request_started();
                request.extensions_mut().insert(Peer(peer));
                request
            })
            .map_response(move |response| {
                answered.request_answered();
                response
            });
        let limits = self.limits;
        match &self.tls {
            None => serve_plain(stream, service, limits, lifetime, registered, self.metrics.clone()),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake_and_serve = async {
                        match tokio::time::timeout(limits.read_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                if let Err(e) = serve(stream, service, limits, lifetime).await {
                                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                                }
                            }
                            Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        }
                    };
                    tokio::select! {
                        _ = handshake_and_serve => {}
                        _ = registered.until_shed() => tracing::debug!(%peer, "closed to make room at the cap"),
                    }
                })
            }
        }
    }
}

fn serve_plain<S>(
    stream: TcpStream,
    service: S,
    limits: Limits,
    lifetime: Lifetime,
    registered: Registered,
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
        let served = tokio::select! {
            served = serve(stream, service, limits, lifetime) => served,
            _ = registered.until_shed() => {
                tracing::debug!("closed to make room at the cap");
                return;
            }
        };
        if let Err(e) = served {
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
