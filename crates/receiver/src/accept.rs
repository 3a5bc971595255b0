//! The accept loop: each connection under the cap, HTTP/1.1 on a task of its own (over TLS
//! when set), the liveness stamp a watchdog reads, and at a stop the graceful drain: a
//! request in progress is answered, a connection accepted but not yet heard from is served
//! its first request, and the connections still waiting in the listen backlog are served
//! rather than reset.

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
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::handler::Peer;
use crate::shared_stream::SharedStream;
use crate::shedding::{OpenConnections, Registered, Slot};

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
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let tasks = TaskTracker::new();
    let connections = Connections { router, tls, limits, permits, metrics, open: Arc::default(), tasks: tasks.clone() };
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
        connections.take(stream, peer, Lifetime::UntilShutdown(stopped.clone()));
    }
    // Connections the kernel completed before the close would be reset with the listener:
    // each is served its one request instead (a delivery sent in that instant is answered).
    // At most a cap's worth, so that a flood at the close cannot hold the stop up.
    for (stream, peer) in take_backlog(listener, limits.max_connections) {
        connections.take(stream, peer, Lifetime::OneRequest);
    }
    tasks.close();
    tokio::select! {
        _ = tasks.wait() => tracing::debug!("all connections drained"),
        _ = tokio::time::sleep(limits.drain_timeout) => tracing::warn!("some connections were still open at shutdown"),
    }
}

/// Empties the listen backlog (at most `at_most` connections), then closes the listener.
///
/// Asks the kernel itself, one `accept` after another until it has none: tokio's own
/// `accept` answers from the readiness it last heard from the reactor, so connections
/// completed since then went unseen and were reset by the close (two of four steady
/// senders' deliveries in one run). What can still be reset is a connection completed
/// in the microseconds between the last empty answer and the close.
fn take_backlog(listener: TcpListener, at_most: usize) -> Vec<(TcpStream, SocketAddr)> {
    let listener = match listener.into_std() {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the listen backlog at the close");
            return Vec::new();
        }
    };
    let mut taken = Vec::new();
    while taken.len() < at_most {
        // The std listener stays non-blocking: WouldBlock means the backlog is empty.
        let Ok((stream, peer)) = listener.accept() else { break };
        let stream = stream.set_nonblocking(true).and_then(|()| TcpStream::from_std(stream));
        match stream {
            Ok(stream) => taken.push((stream, peer)),
            Err(e) => tracing::warn!(%peer, error = %e, "could not serve a connection from the backlog"),
        }
    }
    taken
}

/// At a stop, how long a connection not yet heard from is given for its first request.
const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(1);

/// How long a connection is served.
enum Lifetime {
    /// Until the stop (this receiver turns true), after its request in progress; one not
    /// yet heard from is served its first request before it closes.
    UntilShutdown(watch::Receiver<bool>),
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
    /// Every connection's task, waited for at the stop.
    tasks: TaskTracker,
}

impl Connections {
    /// Serves `stream` on a task of its own, or refuses it (over the cap).
    fn take(&self, stream: TcpStream, peer: SocketAddr, lifetime: Lifetime) {
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
                    return;
                }
            },
        };
        self.serve_with(stream, peer, lifetime, permit);
    }

    fn refuse(&self, stream: TcpStream, peer: SocketAddr) {
        tracing::debug!(%peer, "too many connections, each in the middle of a request: refused one");
        SharedStream(Arc::new(stream)).reply_and_close(BUSY_REPLY);
        if let Some(metrics) = &self.metrics {
            metrics.rejected(RejectReason::too_many_connections);
        }
    }

    fn serve_with(&self, stream: TcpStream, peer: SocketAddr, lifetime: Lifetime, permit: OwnedSemaphorePermit) {
        // The registry holds the permit: released when the connection ends, handed on if shed.
        let registered = self.open.register(permit);
        let (slot, started, answered) = (registered.slot(), registered.slot(), registered.slot());
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
            None => serve_plain(stream, service, limits, lifetime, registered, &self.tasks, self.metrics.clone()),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                self.tasks.spawn(async move {
                    let handshake_and_serve = async {
                        match tokio::time::timeout(limits.read_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                if let Err(e) = serve(stream, service, limits, lifetime, &slot).await {
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
                });
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
    tasks: &TaskTracker,
    metrics: Option<Arc<ServiceMetrics>>,
) where
    S: tower::Service<Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let stream = SharedStream(Arc::new(stream));
    let spare = stream.clone();
    let slot = registered.slot();
    tasks.spawn(async move {
        let served = tokio::select! {
            served = serve(stream, service, limits, lifetime, &slot) => served,
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
    });
}

async fn serve<I, S>(io: I, service: S, limits: Limits, lifetime: Lifetime, slot: &Slot) -> Result<(), hyper::Error>
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
        Lifetime::UntilShutdown(mut stopping) => {
            let connection =
                builder.keep_alive(true).serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
            tokio::pin!(connection);
            let until_it_may_close = async {
                let _ = stopping.wait_for(|stopped| *stopped).await;
                // hyper closes a connection with no request in progress at once. One
                // accepted just before the stop has its delivery on the way: wait a moment
                // for its request to begin (a silent one holds the stop up that long only).
                let grace = FIRST_REQUEST_GRACE.min(limits.read_timeout);
                let _ = tokio::time::timeout(grace, slot.until_first_request()).await;
            };
            tokio::select! {
                served = connection.as_mut() => return served,
                _ = until_it_may_close => {}
            }
            // Closes between requests: the one in progress is answered first.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
        Lifetime::OneRequest => {
            builder.keep_alive(false).serve_connection(TokioIo::new(io), TowerToHyperService::new(service)).await
        }
    }
}
