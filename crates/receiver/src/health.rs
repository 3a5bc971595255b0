//! What a load balancer or systemd asks the receiver: `/livez` (the process answers),
//! `/readyz` (a delivery would be committed now, and the receiver is not stopping), and
//! what a Prometheus server scrapes: `/metrics`. None of them needs the key; none tells
//! anything about calls.
//!
//! `/readyz` answers in one word: `ok`, `draining` (a stop has begun: take this receiver
//! out) or `store` (the store cannot commit: disk full, database down). The store's check
//! is a real write, so its result is shared for a second by every caller.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use calleague_metrics::ServiceMetrics;
use calleague_store::DeliverySink;
use tokio::sync::Mutex;

/// How long one check of the store answers for.
const CHECK_FOR: Duration = Duration::from_secs(1);
/// A check that takes longer than this is a store that cannot take a delivery now.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the receiver is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unready {
    /// Stopping: deliveries still in flight are finishing; no new ones should come.
    Draining,
    /// The store cannot commit.
    Store,
}

impl Unready {
    pub fn word(self) -> &'static str {
        match self {
            Self::Draining => "draining",
            Self::Store => "store",
        }
    }
}

/// The receiver's readiness: the drain flag and the last check of the store.
pub(crate) struct Readiness {
    pub store: Arc<dyn DeliverySink>,
    draining: AtomicBool,
    last: Mutex<Option<(Instant, bool)>>,
}

impl Readiness {
    pub fn new(store: Arc<dyn DeliverySink>) -> Self {
        Self { store, draining: AtomicBool::new(false), last: Mutex::new(None) }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub async fn check(&self) -> Result<(), Unready> {
        if self.draining.load(Ordering::SeqCst) {
            return Err(Unready::Draining);
        }
        // Callers that come while a check runs wait for it and share its answer.
        let mut last = self.last.lock().await;
        let commits = match *last {
            Some((at, commits)) if at.elapsed() < CHECK_FOR => commits,
            _ => {
                let was = last.map(|(_, commits)| commits).unwrap_or(true);
                let commits = match tokio::time::timeout(CHECK_TIMEOUT, self.store.check_ready()).await {
                    Ok(Ok(())) => true,
                    // Said once as it happens, not at every check while it lasts.
                    Ok(Err(e)) if was => {
                        tracing::warn!(error = %e, "not ready: the store cannot commit");
                        false
                    }
                    Err(_) if was => {
                        tracing::warn!("not ready: the store's check took over {CHECK_TIMEOUT:?}");
                        false
                    }
                    _ => false,
                };
                if commits && !was {
                    tracing::warn!("ready again: the store commits");
                }
                *last = Some((Instant::now(), commits));
                commits
            }
        };
        drop(last);
        if self.draining.load(Ordering::SeqCst) {
            return Err(Unready::Draining);
        }
        if commits {
            Ok(())
        } else {
            Err(Unready::Store)
        }
    }
}

/// What the health and metrics handlers share.
pub(crate) struct Health {
    pub readiness: Readiness,
    pub metrics: Option<Arc<ServiceMetrics>>,
}

fn text(status: StatusCode, word: &'static str) -> Response {
    let mut response = (status, word).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/livez`: the process answers.
pub(crate) async fn live() -> Response {
    text(StatusCode::OK, "ok")
}

/// `/readyz`: 200 `ok`, or 503 with the reason in one word.
pub(crate) async fn ready(State(health): State<Arc<Health>>) -> Response {
    let result = health.readiness.check().await;
    if let Some(metrics) = &health.metrics {
        metrics.set_ready(result.is_ok());
    }
    match result {
        Ok(()) => text(StatusCode::OK, "ok"),
        Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, why.word()),
    }
}

/// `/metrics`: the text exposition, with readiness and the backlog read first so that their
/// gauges are now's.
pub(crate) async fn metrics(State(health): State<Arc<Health>>) -> Response {
    let Some(metrics) = &health.metrics else {
        return text(StatusCode::NOT_FOUND, "metrics are off");
    };
    metrics.set_ready(health.readiness.check().await.is_ok());
    metrics.set_backlog(health.readiness.store.backlog());
    let body = metrics.encode();
    ([(header::CONTENT_TYPE, HeaderValue::from_static(calleague_metrics::CONTENT_TYPE))], body).into_response()
}
