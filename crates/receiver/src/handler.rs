//! The delivery handler. Every reply that is not "stored" is a [`Rejection`], one variant
//! per row of the response rules in `docs/architecture.md`, and its `IntoResponse` is the
//! one place that says which status and body each row gets.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{DeliverySink, IncomingDelivery, IngestOutcome, QuarantineItem, Source, StoreError};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

use calleague_metrics::{Outcome, RejectReason, ServiceMetrics};

use crate::auth::{bearer, Credentials};
use crate::KeySet;

/// The connection's peer, set by the server on every request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

/// The webhook endpoint: where deliveries are stored, which keys and events it accepts
/// (the app may change both while it runs), and its limits.
pub(crate) struct Endpoint {
    pub store: Arc<dyn DeliverySink>,
    pub keys: RwLock<KeySet>,
    pub subscriptions: RwLock<Option<BTreeSet<String>>>,
    pub body_limit: usize,
    pub read_timeout: Duration,
    /// The public address's probes that reached this receiver (probe.rs).
    pub probes: Arc<crate::probe::ProbeLog>,
    /// Where outcomes and latencies are counted, when metrics are on.
    pub metrics: Option<Arc<ServiceMetrics>>,
    /// Rejected requests, counted until the security log is written.
    pub rejections: Arc<crate::rejections::RejectionLog>,
}

/// The headers kept with a delivery: what describes it, and Calleague's own. Everything
/// else (credentials, cookies, proxies' and clouds' tokens, whatever a sender adds) is
/// dropped: a list of what to keep cannot miss a new kind of secret, a list of what to drop can.
const KEPT_HEADERS: [&str; 4] = ["content-type", "content-length", "content-encoding", "user-agent"];
const KEPT_PREFIXES: [&str; 2] = ["x-calleague-", "calleague-"];
const MAX_KEPT_HEADERS: usize = 32;

/// Every reply other than "stored", by rule.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// No or malformed `Authorization`: 401.
    Unauthenticated(&'static str),
    /// A token, but not ours: 200 so the sender stops retrying, body discarded (Calleague's
    /// own advice), and nothing trusted.
    WrongToken,
    /// Over the body limit: 413, connection closed (the rest of the body is not read).
    TooLarge { limit: usize },
    /// The body arrived too slowly: 408, connection closed.
    BodyTimedOut,
    /// The client cut the body off: 400.
    BodyAborted(String),
    /// The store cannot commit: 503 with Retry-After, so Calleague retries.
    StoreUnavailable(StoreError),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, code, message, close) = match self {
            Self::Unauthenticated(reason) => (StatusCode::UNAUTHORIZED, "unauthorized", reason.to_owned(), false),
            Self::WrongToken => return (StatusCode::OK, Json(json!({ "received": true }))).into_response(),
            Self::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("body over the size limit of {limit} bytes"),
                true,
            ),
            Self::BodyTimedOut => {
                (StatusCode::REQUEST_TIMEOUT, "read_timeout", "the request body arrived too slowly".into(), true)
            }
            Self::BodyAborted(reason) => {
                (StatusCode::BAD_REQUEST, "body_aborted", format!("the request body was cut off: {reason}"), false)
            }
            Self::StoreUnavailable(e) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("the delivery could not be stored, retry later ({})", e.code()),
                false,
            ),
        };
        let mut response = (status, Json(json!({ "code": code, "message": message }))).into_response();
        if close {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// What a 200 says became of a delivery.
#[derive(Debug, Clone, Copy)]
enum Kept {
    /// In the log (and, unless in a burst, on the timeline).
    Stored,
    /// In a burst's inbox: stored; whether it repeats an earlier delivery is known a moment later.
    Accepted,
    StoredHidden,
    Quarantined,
}

/// A 200 with `{"received":true,"status":…}`. The body is written out, not built as a
/// `Value` and serialized: on the hot path that was a tenth of the handler's own work.
fn accepted(kept: Kept) -> Response {
    let body = match kept {
        Kept::Stored => r#"{"received":true,"status":"stored"}"#,
        Kept::Accepted => r#"{"received":true,"status":"accepted"}"#,
        Kept::StoredHidden => r#"{"received":true,"status":"stored_hidden"}"#,
        Kept::Quarantined => r#"{"received":true,"status":"quarantined"}"#,
    };
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

impl Rejection {
    /// The `reason` label this rejection is counted under.
    fn reason(&self) -> RejectReason {
        match self {
            Self::Unauthenticated(_) => RejectReason::unauthenticated,
            Self::WrongToken => RejectReason::wrong_token,
            Self::TooLarge { .. } => RejectReason::too_large,
            Self::BodyTimedOut => RejectReason::timed_out,
            Self::BodyAborted(_) => RejectReason::aborted,
            Self::StoreUnavailable(_) => RejectReason::store_unavailable,
        }
    }
}

/// POST on the webhook path: verify, read within limits, then store or quarantine; each
/// outcome counted when metrics are on.
pub(crate) async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request,
) -> Result<Response, Rejection> {
    let Some(metrics) = endpoint.metrics.clone() else {
        return store_delivery(&endpoint, peer, request).await.map(|(response, _)| response);
    };
    let arrived = std::time::Instant::now();
    match store_delivery(&endpoint, peer, request).await {
        Ok((response, outcome)) => {
            metrics.delivery(outcome, arrived.elapsed());
            Ok(response)
        }
        Err(rejection) => {
            metrics.rejected(rejection.reason());
            Err(rejection)
        }
    }
}

async fn store_delivery(
    endpoint: &Endpoint,
    peer: SocketAddr,
    request: Request,
) -> Result<(Response, Outcome), Rejection> {
    let received_at = Timestamp::now();
    let (parts, body) = request.into_parts();
    verify(endpoint, peer, &parts.headers).await?;
    let body = read_body(endpoint, peer, &parts.headers, body).await?;
    let headers = kept_headers(&parts.headers);
    let peer_text = Some(peer.to_string());
    let parsed = match parse_delivery(&body) {
        Ok(parsed) => parsed,
        Err(parse_error) => {
            // Verified but unreadable: kept raw for a person to look at; a retry would not help.
            let item = QuarantineItem {
                received_at,
                peer: peer_text,
                headers,
                body: body.to_vec(),
                reason: parse_error.to_string(),
            };
            let committing = std::time::Instant::now();
            endpoint.store.quarantine(item).await.map_err(Rejection::StoreUnavailable)?;
            endpoint.committed(committing);
            return Ok((accepted(Kept::Quarantined), Outcome::quarantined));
        }
    };
    let hidden = endpoint
        .subscriptions
        .read()
        .map(|subs| {
            subs.as_ref().is_some_and(|s| !s.contains(parsed.event.as_str()) && !s.contains(&parsed.event_name))
        })
        .unwrap_or(false);
    let item = IncomingDelivery {
        received_at,
        peer: peer_text,
        headers,
        body: body.to_vec(),
        parsed,
        hidden,
        source: Source::Webhook,
    };
    let committing = std::time::Instant::now();
    let outcome = endpoint.store.ingest(item).await.map_err(Rejection::StoreUnavailable)?;
    endpoint.committed(committing);
    match outcome {
        IngestOutcome::Duplicate { attempts, .. } => Ok((
            (StatusCode::OK, Json(json!({ "received": true, "status": "duplicate", "attempts": attempts })))
                .into_response(),
            Outcome::duplicate,
        )),
        _ if hidden => Ok((accepted(Kept::StoredHidden), Outcome::stored)),
        IngestOutcome::Accepted => Ok((accepted(Kept::Accepted), Outcome::stored)),
        _ => Ok((accepted(Kept::Stored), Outcome::stored)),
    }
}

impl Endpoint {
    /// A commit that began at `began` has returned.
    fn committed(&self, began: std::time::Instant) {
        if let Some(metrics) = &self.metrics {
            metrics.committed(began.elapsed());
        }
    }
}

/// Any other path: 404.
/// `GET` on the webhook path: a probe of the public address (probe.rs) gets 204 and its
/// nonce noted; anything else keeps the 405 a GET always had. It needs no key and tells
/// nothing.
pub(crate) async fn probe(State(endpoint): State<Arc<Endpoint>>, headers: HeaderMap) -> Response {
    match crate::probe::nonce(&headers) {
        Some(nonce) => {
            endpoint.probes.record(nonce);
            StatusCode::NO_CONTENT.into_response()
        }
        None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

pub(crate) async fn not_found() -> Response {
    let body = json!({ "code": "not_found", "message": "no such path: deliveries go to the configured webhook path" });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// The Bearer token against the accepted keys, compared in constant time.
async fn verify(endpoint: &Endpoint, peer: SocketAddr, headers: &HeaderMap) -> Result<(), Rejection> {
    let rejection = match bearer(headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes)) {
        Credentials::Missing => Rejection::Unauthenticated("missing Authorization header"),
        Credentials::Malformed => Rejection::Unauthenticated("malformed Authorization header"),
        Credentials::Bearer(token) => {
            if endpoint.keys.read().map(|keys| keys.accepts(token, SystemTime::now())).unwrap_or(false) {
                return Ok(());
            }
            Rejection::WrongToken
        }
    };
    let reason = match &rejection {
        Rejection::Unauthenticated(reason) => reason,
        _ => "wrong token",
    };
    log_rejection(endpoint, peer, reason);
    Err(rejection)
}

/// The body, within the size limit (checked on Content-Length first) and the time limit.
async fn read_body(endpoint: &Endpoint, peer: SocketAddr, headers: &HeaderMap, body: Body) -> Result<Bytes, Rejection> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_large = declared.is_some_and(|len| len > endpoint.body_limit as u64);
    let read = if too_large {
        Err(Rejection::TooLarge { limit: endpoint.body_limit })
    } else {
        match tokio::time::timeout(endpoint.read_timeout, Limited::new(body, endpoint.body_limit).collect()).await {
            Err(_) => Err(Rejection::BodyTimedOut),
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<LengthLimitError>() => Err(Rejection::TooLarge { limit: endpoint.body_limit }),
            Ok(Err(e)) => Err(Rejection::BodyAborted(e.to_string())),
        }
    };
    if let Err(Rejection::TooLarge { limit }) = &read {
        log_rejection(endpoint, peer, &format!("body over the size limit of {limit} bytes"));
    }
    read
}

fn kept_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str(); // lower case, as http stores it
            KEPT_HEADERS.contains(&name) || KEPT_PREFIXES.iter().any(|p| name.starts_with(p))
        })
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect()
}

/// Records a rejection: time, peer, reason. Never the body, never the token.
/// Counted in memory, written within a second (`rejections.rs`): never a write per request.
fn log_rejection(endpoint: &Endpoint, peer: SocketAddr, reason: &str) {
    endpoint.rejections.note(peer, reason);
}
