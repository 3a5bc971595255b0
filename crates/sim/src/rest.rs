//! The REST API of `docs/calleague-api.md`, and the signed audio links of recordings.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use calleague_events::{EventKind, Timestamp};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audio::synthesize_wav;
use crate::http::{error, require_key};
use crate::model::Recording;
use crate::scenario::{self, ScenarioSpec};
use crate::state::{ApiRequest, Platform, RateWindow};

pub(crate) fn router(inner: Arc<Platform>) -> Router {
    let api = Router::new()
        .route("/api/core/webhook", get(list_webhooks).post(create_webhook))
        .route("/api/core/webhook/{id}", axum::routing::put(update_webhook).delete(delete_webhook))
        .route("/api/core/voice/agent", get(list_agents))
        .route("/api/core/voice/agent/{id}", get(one_agent))
        .route("/api/core/voice/agent/call", get(list_calls).post(start_call))
        .route("/api/core/voice/agent/call/{id}", get(one_call))
        .route("/api/core/recording/{id}", get(recording))
        .route("/api/core/transcript/{id}", get(transcript))
        .route_layer(middleware::from_fn_with_state(inner.clone(), rate_limit))
        .route_layer(middleware::from_fn_with_state(inner.clone(), require_key))
        .with_state(inner.clone());
    let audio = Router::new().route("/sim/audio/{file}", get(audio)).with_state(inner);
    api.merge(audio)
}

/// An error reply, small enough to pass around in `Result`s.
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.status, self.code, self.message)
    }
}

type ApiResult = Result<Response, ApiError>;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid_request", message: message.into() }
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: format!("no {what} with id {id}") }
}

async fn rate_limit(State(inner): State<Arc<Platform>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let log = |limited: bool| {
        if let Ok(mut requests) = inner.api_requests.lock() {
            requests.push(ApiRequest { at: Timestamp::now(), path: path.clone(), limited });
        }
    };
    if let Some(limit) = inner.config.rate_limit {
        let retry_after = {
            let mut window = inner.rate_window.lock().unwrap_or_else(|p| p.into_inner());
            if window.started.elapsed() >= Duration::from_secs(1) {
                *window = RateWindow { started: Instant::now(), requests: 0 };
            }
            window.requests += 1;
            (window.requests > limit)
                .then(|| 1 + (Duration::from_secs(1).saturating_sub(window.started.elapsed())).as_secs())
        };
        if let Some(seconds) = retry_after {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("more than {limit} requests per second; retry after {seconds} s"),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            log(true);
            return response;
        }
    }
    log(false);
    next.run(request).await
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Paging {
    page: Option<String>,
    page_size: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `page` counts from 1; `pageSize` up to 500.
fn paging(p: &Paging) -> Result<(usize, usize), ApiError> {
    let page = match &p.page {
        None => 1,
        Some(s) => {
            s.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| invalid("page must be a whole number from 1"))?
        }
    };
    let size = match &p.page_size {
        None => 50,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| invalid("pageSize must be 1 to 500"))?,
    };
    Ok((page, size))
}

fn envelope<T: serde::Serialize>(items: Vec<T>, page: usize, size: usize) -> Response {
    let total = items.len();
    let list: Vec<T> = items.into_iter().skip((page - 1) * size).take(size).collect();
    Json(json!({"total": total, "list": list})).into_response()
}

async fn list_agents(State(inner): State<Arc<Platform>>, Query(p): Query<Paging>) -> ApiResult {
    let (page, size) = paging(&p)?;
    let agents: Vec<_> = inner.agents.lock().map(|a| a.values().cloned().collect()).unwrap_or_default();
    Ok(envelope(agents, page, size))
}

async fn one_agent(State(inner): State<Arc<Platform>>, Path(id): Path<String>) -> ApiResult {
    let agent = inner.agents.lock().ok().and_then(|a| a.get(&id).cloned());
    agent.map(|a| Json(a).into_response()).ok_or_else(|| not_found("agent", &id))
}

async fn list_webhooks(State(inner): State<Arc<Platform>>, Query(p): Query<Paging>) -> ApiResult {
    let (page, size) = paging(&p)?;
    let hooks = inner.webhooks.lock().map(|w| w.clone()).unwrap_or_default();
    Ok(envelope(hooks, page, size))
}

#[derive(Deserialize)]
struct WebhookBody {
    url: Option<Value>,
    events: Option<Value>,
}

fn check_url(inner: &Platform, url: &Value) -> Result<String, ApiError> {
    let Value::String(url) = url else { return Err(invalid("url must be a string")) };
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid(format!("url is not a valid address: {url}")))?;
    // Calleague checks that the host exists; the reserved `.invalid` names (RFC 6761)
    // stand in for one that does not, so that a client can see the API refuse a URL.
    if parsed.host_str().is_some_and(|h| h == "invalid" || h.ends_with(".invalid")) {
        return Err(invalid(format!("url host {} does not resolve", parsed.host_str().unwrap_or_default())));
    }
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(url.to_owned()),
        "http" if loopback && inner.config.allow_loopback_http => Ok(url.to_owned()),
        "http" if loopback => {
            Err(invalid("url must be https (start the simulator with --allow-loopback-http for a local receiver)"))
        }
        _ => Err(invalid("url must be https")),
    }
}

fn check_events(events: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = events else { return Err(invalid("events must be a list of event names")) };
    if items.is_empty() {
        return Err(invalid("events must not be empty"));
    }
    let mut names = Vec::new();
    for item in items {
        match item {
            Value::String(s) if !s.trim().is_empty() => {
                let name = EventKind::parse(s).as_str().to_owned();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            _ => return Err(invalid("each event must be a non-empty string")),
        }
    }
    Ok(names)
}

async fn create_webhook(State(inner): State<Arc<Platform>>, body: Option<Json<WebhookBody>>) -> ApiResult {
    let Some(Json(body)) = body else { return Err(invalid("the body must be JSON with url and events")) };
    let url = check_url(&inner, body.url.as_ref().ok_or_else(|| invalid("url is required"))?)?;
    let events = check_events(body.events.as_ref().ok_or_else(|| invalid("events is required"))?)?;
    Ok((StatusCode::CREATED, Json(inner.insert_webhook(url, events))).into_response())
}

async fn update_webhook(
    State(inner): State<Arc<Platform>>,
    Path(id): Path<String>,
    body: Option<Json<WebhookBody>>,
) -> ApiResult {
    let Some(Json(body)) = body else { return Err(invalid("the body must be JSON with url and/or events")) };
    let url = body.url.as_ref().map(|u| check_url(&inner, u)).transpose()?;
    let events = body.events.as_ref().map(check_events).transpose()?;
    let mut hooks = inner.webhooks.lock().unwrap_or_else(|p| p.into_inner());
    let Some(hook) = hooks.iter_mut().find(|h| h.webhook_id == id) else { return Err(not_found("webhook", &id)) };
    if let Some(url) = url {
        hook.url = url;
    }
    if let Some(events) = events {
        hook.events = events;
    }
    hook.updated_at = Timestamp::now();
    let updated = hook.clone();
    inner.save_webhooks(&hooks);
    Ok(Json(updated).into_response())
}

async fn delete_webhook(State(inner): State<Arc<Platform>>, Path(id): Path<String>) -> ApiResult {
    let mut hooks = inner.webhooks.lock().unwrap_or_else(|p| p.into_inner());
    let before = hooks.len();
    hooks.retain(|h| h.webhook_id != id);
    if hooks.len() == before {
        return Err(not_found("webhook", &id));
    }
    inner.save_webhooks(&hooks);
    Ok(Json(json!({})).into_response())
}

fn time_bound(text: &Option<String>, name: &str) -> Result<Option<Timestamp>, ApiError> {
    text.as_deref()
        .map(|t| Timestamp::parse(t).map_err(|_| invalid(format!("{name} must be an ISO-8601 time"))))
        .transpose()
}

async fn list_calls(State(inner): State<Arc<Platform>>, Query(p): Query<Paging>) -> ApiResult {
    let (page, size) = paging(&p)?;
    let from = time_bound(&p.from, "from")?;
    let to = time_bound(&p.to, "to")?;
    let calls: Vec<_> = inner
        .ground_truth()
        .into_iter()
        .filter(|c| {
            let Some(started) = c.started_at else { return false };
            from.is_none_or(|f| started >= f) && to.is_none_or(|t| started < t)
        })
        .collect();
    Ok(envelope(calls, page, size))
}

async fn one_call(State(inner): State<Arc<Platform>>, Path(id): Path<String>) -> ApiResult {
    let call = inner.calls.lock().ok().and_then(|c| c.get(&id).cloned()).ok_or_else(|| not_found("call", &id))?;
    Ok(Json(call).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartCall {
    assistant_id: Option<String>,
    agent_id: Option<String>,
    phone_number: Option<String>,
    language: Option<String>,
    metadata: Option<Value>,
}

async fn start_call(State(inner): State<Arc<Platform>>, body: Option<Json<StartCall>>) -> ApiResult {
    let Some(Json(body)) = body else { return Err(invalid("the body must be JSON with assistantId and phoneNumber")) };
    let Some(agent) = body.assistant_id.or(body.agent_id).filter(|a| !a.trim().is_empty()) else {
        return Err(invalid("assistantId is required"));
    };
    let Some(phone) = body.phone_number.filter(|p| p.trim().starts_with('+') && p.trim().len() > 4) else {
        return Err(invalid("phoneNumber is required, in international format (+4930...)"));
    };
    let language = body.language.unwrap_or_else(|| "en".into());
    let spec = ScenarioSpec {
        calls: 1,
        directions: vec!["outbound".into()],
        agents: vec![agent],
        languages: vec![language.clone()],
        metadata: Some(body.metadata.unwrap_or_else(|| json!({"phoneNumber": phone}))),
        ..Default::default()
    };
    let ids = scenario::play(&inner, spec);
    Ok((StatusCode::CREATED, Json(json!({"callId": ids[0], "status": "queued", "language": language}))).into_response())
}

fn signature(inner: &Platform, recording_id: &str, expires: u64) -> String {
    let digest = Sha256::digest(format!("{}|{recording_id}|{expires}", inner.url_secret));
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

async fn recording(State(inner): State<Arc<Platform>>, Path(id): Path<String>) -> ApiResult {
    let Some(asset) = inner.recordings.lock().ok().and_then(|r| r.get(&id).cloned()) else {
        return Err(not_found("recording", &id));
    };
    let expires = unix_now() + inner.config.recording_url_ttl.as_secs().max(1);
    let url =
        format!("{}/sim/audio/{id}.wav?expires={expires}&sig={}", inner.base_url, signature(&inner, &id, expires));
    let recording = Recording {
        recording_id: id,
        call_id: asset.call_id,
        url,
        duration_sec: asset.duration_sec,
        format: "wav".into(),
    };
    Ok(Json(recording).into_response())
}

async fn transcript(State(inner): State<Arc<Platform>>, Path(id): Path<String>) -> ApiResult {
    let found = inner.transcripts.lock().ok().and_then(|t| t.get(&id).cloned());
    Ok(Json(found.ok_or_else(|| not_found("transcript", &id))?).into_response())
}

/// The audio behind a signed link. No Bearer key: the signature is the permission, and it
/// expires like the platform's short-lived links do.
async fn audio(
    State(inner): State<Arc<Platform>>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = file.strip_suffix(".wav") else { return not_found("recording", &file).into_response() };
    let expires: u64 = q.get("expires").and_then(|e| e.parse().ok()).unwrap_or(0);
    if q.get("sig").map(String::as_str) != Some(signature(&inner, id, expires).as_str()) {
        return error(StatusCode::FORBIDDEN, "bad_signature", "this link is not valid");
    }
    if unix_now() > expires {
        return error(
            StatusCode::FORBIDDEN,
            "link_expired",
            "this link has expired: fetch the recording again for a fresh one",
        );
    }
    let Some(asset) = inner.recordings.lock().ok().and_then(|r| r.get(id).cloned()) else {
        return not_found("recording", id).into_response();
    };
    let wav = synthesize_wav(asset.duration_sec, &asset.segments);
    ([(header::CONTENT_TYPE, "audio/wav")], wav).into_response()
}
