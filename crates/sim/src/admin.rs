//! `/sim`: start scenarios and read the ground truth.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::http::{error, require_key};
use crate::scenario::{self, ScenarioSpec};
use crate::state::Platform;

pub(crate) fn router(inner: Arc<Platform>) -> Router {
    Router::new()
        .route("/sim/calls", get(calls).post(start_scenario))
        .route("/sim/deliveries", get(deliveries))
        .route("/sim/status", get(get_status))
        .route("/sim/delivery", get(delivery_state).post(set_delivery))
        .route("/sim/requests", get(api_requests))
        .route("/sim/agents", axum::routing::post(put_agent))
        .route_layer(middleware::from_fn_with_state(inner.clone(), require_key))
        .with_state(inner)
}

/// An empty body plays the default scenario; a body that is not a valid spec is a 422 that
/// names what is wrong (serde names an unknown field and the fields it expected).
async fn start_scenario(State(inner): State<Arc<Platform>>, body: axum::body::Bytes) -> Response {
    let spec = if body.iter().all(u8::is_ascii_whitespace) {
        ScenarioSpec::default()
    } else {
        match serde_json::from_slice::<ScenarioSpec>(&body) {
            Ok(spec) => spec,
            Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", format!("the scenario: {e}")),
        }
    };
    if let Err(message) = spec.validate() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message);
    }
    let ids = scenario::play(&inner, spec);
    (StatusCode::ACCEPTED, Json(json!({"callIds": ids}))).into_response()
}

async fn calls(State(inner): State<Arc<Platform>>) -> Response {
    let calls = inner.ground_truth();
    Json(json!({"total": calls.len(), "list": calls})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryQuery {
    delivery_id: Option<String>,
    call_id: Option<String>,
}

async fn deliveries(State(inner): State<Arc<Platform>>, Query(q): Query<DeliveryQuery>) -> Response {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverySwitch {
    /// True stops every delivery (each recorded as lost); false resumes them.
    stopped: bool,
}

async fn set_delivery(State(inner): State<Arc<Platform>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<DeliverySwitch>(&body) {
        Ok(switch) => {
            inner.delivery_stopped.store(switch.stopped, Ordering::SeqCst);
            delivery_state(State(inner)).await
        }
        Err(e) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("expected {{\"stopped\": true|false}}: {e}"),
        ),
    }
}

async fn delivery_state(State(inner): State<Arc<Platform>>) -> Response {
    Json(json!({"stopped": inner.delivery_stopped.load(Ordering::SeqCst)})).into_response()
}

async fn api_requests(State(inner): State<Arc<Platform>>) -> Response {
    let list = inner.api_requests.lock().map(|r| r.clone()).unwrap_or_default();
    Json(json!({"total": list.len(), "list": list})).into_response()
}

async fn get_status(State(inner): State<Arc<Platform>>) -> Response {
    Json(inner.status()).into_response()
}

/// Adds an agent to the account, or renames one: `{"agentId", "name", "language"?}`.
async fn put_agent(State(inner): State<Arc<Platform>>, body: axum::body::Bytes) -> Response {
    let agent = match serde_json::from_slice::<crate::model::Agent>(&body) {
        Ok(agent) if !agent.agent_id.trim().is_empty() => agent,
        Ok(_) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "agentId must not be empty"),
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", format!("the agent: {e}")),
    };
    if let Ok(mut agents) = inner.agents.lock() {
        agents.insert(agent.agent_id.clone(), agent.clone());
    }
    Json(agent).into_response()
}
