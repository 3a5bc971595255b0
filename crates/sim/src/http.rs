//! What the REST API and the admin routes share: Bearer authentication against the
//! simulator's keys, and Calleague's `{code, message}` error replies.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::Platform;

pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({"code": code, "message": message.into()}))).into_response()
}

/// Bearer authentication against the keys the simulator was started with.
pub(crate) async fn require_key(State(inner): State<Arc<Platform>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match presented {
        Some(key) if inner.config.keys.iter().any(|k| k == key) => next.run(request).await,
        Some(_) => error(StatusCode::UNAUTHORIZED, "unauthorized", "the API key was rejected"),
        None => error(StatusCode::UNAUTHORIZED, "unauthorized", "missing Authorization: Bearer <API key>"),
    }
}
