//! `/sim`: start scenarios and read the ground truth.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::Call;
use crate::state::Inner;
use crate::ScenarioSpec;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/sim/calls", get(calls).post(start_scenario))
        .route("/sim/deliveries", get(deliveries))
        .route("/sim/status", get(get_status))
        .route_layer(middleware::from_fn_with_state(inner.clone(), crate::rest::require_key))
        .with_state(inner)
}

/// Every call the simulator made, ordered by start.
pub(crate) fn ground_truth(inner: &Inner) -> Vec<Call> {
    let mut calls: Vec<Call> = inner.calls.lock().map(|c| c.values().cloned().collect()).unwrap_or_default();
    calls.sort_by(|a, b| a.started_at.cmp(&b.started_at).then_with(|| a.call_id.cmp(&b.call_id)));
    calls
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub calls_planned: usize,
    pub calls_made: usize,
    pub calls_live: usize,
    pub deliveries_pending: usize,
    pub attempts: usize,
    pub succeeded: usize,
    pub duplicates: usize,
    pub reordered: usize,
    pub gave_up: usize,
    /// No call is playing and no delivery is waiting.
    pub idle: bool,
}

pub(crate) fn status(inner: &Inner) -> Status {
    let attempts = inner.attempts.lock().map(|a| a.clone()).unwrap_or_default();
    let calls_live = inner.live_calls.load(Ordering::SeqCst);
    let deliveries_pending = inner.pending.load(Ordering::SeqCst);
    Status {
        calls_planned: inner.planned_calls.load(Ordering::SeqCst),
        calls_made: inner.calls.lock().map(|c| c.len()).unwrap_or(0),
        calls_live,
        deliveries_pending,
        attempts: attempts.len(),
        succeeded: attempts.iter().filter(|a| a.succeeded() && !a.duplicate).count(),
        duplicates: attempts.iter().filter(|a| a.duplicate).count(),
        reordered: attempts.iter().filter(|a| a.reordered && a.attempt == 1).count(),
        gave_up: attempts.iter().filter(|a| a.gave_up).count(),
        idle: calls_live == 0 && deliveries_pending == 0,
    }
}

async fn start_scenario(State(inner): State<Arc<Inner>>, body: Option<Json<ScenarioSpec>>) -> Response {
    let spec = body.map(|Json(s)| s).unwrap_or_default();
    if let Err(message) = spec.validate() {
        return crate::rest::error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message);
    }
    let ids = crate::scenario::play(&inner, spec);
    (StatusCode::ACCEPTED, Json(json!({"callIds": ids}))).into_response()
}

async fn calls(State(inner): State<Arc<Inner>>) -> Response {
    let calls = ground_truth(&inner);
    Json(json!({"total": calls.len(), "list": calls})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryQuery {
    delivery_id: Option<String>,
    call_id: Option<String>,
}

async fn deliveries(State(inner): State<Arc<Inner>>, Query(q): Query<DeliveryQuery>) -> Response {
    let list: Vec<_> = inner
        .attempts
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|a| q.delivery_id.as_ref().is_none_or(|d| &a.delivery_id == d))
        .filter(|a| q.call_id.as_ref().is_none_or(|c| &a.call_id == c))
        .collect();
    Json(json!({"total": list.len(), "list": list})).into_response()
}

async fn get_status(State(inner): State<Arc<Inner>>) -> Response {
    Json(status(&inner)).into_response()
}
