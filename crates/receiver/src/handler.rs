//! The delivery handler: one function per row of DESIGN.md's response rules.

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
use calleague_store::{IncomingDelivery, IngestOutcome, QuarantineItem, SecurityEntry, Source, Store};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

use crate::auth::{bearer, Credentials};
use crate::KeySet;

/// The connection's peer, set by the server on every request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

/// What the handler shares: the store, and settings the app may change while running.
pub(crate) struct App {
    pub store: Arc<Store>,
    pub keys: RwLock<KeySet>,
    pub subscriptions: RwLock<Option<BTreeSet<String>>>,
    pub body_limit: usize,
    pub read_timeout: Duration,
}

/// Headers never stored: credentials.
const SECRET_HEADERS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "x-api-key"];
const MAX_KEPT_HEADERS: usize = 64;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

fn ok(status: &str) -> Response {
    (StatusCode::OK, Json(json!({ "received": true, "status": status }))).into_response()
}

pub(crate) async fn receive(
    State(app): State<Arc<App>>,
    Extension(Peer(peer)): Extension<Peer>,
    request: Request,
) -> Response {
    let received_at = Timestamp::now();
    let (parts, body) = request.into_parts();

    let accepted = match bearer(parts.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes)) {
        Credentials::Missing => {
            return reject(&app, peer, StatusCode::UNAUTHORIZED, "missing Authorization header").await
        }
        Credentials::Malformed => {
            return reject(&app, peer, StatusCode::UNAUTHORIZED, "malformed Authorization header").await
        }
        Credentials::Bearer(token) => {
            app.keys.read().map(|keys| keys.accepts(token, SystemTime::now())).unwrap_or(false)
        }
    };
    if !accepted {
        // Calleague's advice: acknowledge so the sender stops retrying, but trust nothing.
        log_rejection(&app, peer, "wrong token").await;
        return (StatusCode::OK, Json(json!({ "received": true }))).into_response();
    }

    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > app.body_limit as u64) {
        return too_large(&app, peer).await;
    }
    let body = match read_body(body, app.body_limit, app.read_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(&app, peer).await,
        Err(BodyError::TimedOut) => {
            let mut response =
                error(StatusCode::REQUEST_TIMEOUT, "read_timeout", "the request body arrived too slowly");
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Err(BodyError::Aborted(reason)) => {
            return error(StatusCode::BAD_REQUEST, "body_aborted", &format!("the request body was cut off: {reason}"))
        }
    };

    let headers = kept_headers(&parts.headers);
    let peer_text = Some(peer.to_string());
    match parse_delivery(&body) {
        Err(parse_error) => {
            let item = QuarantineItem {
                received_at,
                peer: peer_text,
                headers,
                body: body.to_vec(),
                reason: parse_error.to_string(),
            };
            match app.store.quarantine(item).await {
                Ok(_) => ok("quarantined"),
                Err(e) => unavailable(&e),
            }
        }
        Ok(parsed) => {
            let hidden = app
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
            match app.store.ingest(item).await {
                Ok(IngestOutcome::Duplicate { attempts, .. }) => {
                    (StatusCode::OK, Json(json!({ "received": true, "status": "duplicate", "attempts": attempts })))
                        .into_response()
                }
                Ok(_) if hidden => ok("stored_hidden"),
                Ok(_) => ok("stored"),
                Err(e) => unavailable(&e),
            }
        }
    }
}

pub(crate) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such path: deliveries go to the configured webhook path")
}

enum BodyError {
    TooLarge,
    TimedOut,
    Aborted(String),
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyError::TimedOut),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(e)) => Err(BodyError::Aborted(e.to_string())),
    }
}

fn kept_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !SECRET_HEADERS.contains(&name.as_str()))
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect()
}

async fn too_large(app: &App, peer: SocketAddr) -> Response {
    let reason = format!("body over the size limit of {} bytes", app.body_limit);
    log_rejection(app, peer, &reason).await;
    let mut response = error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", &reason);
    // The rest of the body is not read, so the connection cannot be reused.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn reject(app: &App, peer: SocketAddr, status: StatusCode, reason: &str) -> Response {
    log_rejection(app, peer, reason).await;
    error(status, "unauthorized", reason)
}

/// Records a rejection: time, peer, reason. Never the body, never the token.
async fn log_rejection(app: &App, peer: SocketAddr, reason: &str) {
    tracing::warn!(%peer, reason, "rejected a delivery");
    let entry = SecurityEntry { at: Timestamp::now(), peer: Some(peer.to_string()), reason: reason.to_owned() };
    if let Err(e) = app.store.log_security(entry).await {
        tracing::error!(error = %e, "could not write the security log");
    }
}

fn unavailable(e: &calleague_store::StoreError) -> Response {
    let mut response = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        &format!("the delivery could not be stored, retry later ({})", e.code()),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}
