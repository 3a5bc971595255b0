//! One attempt: the request a target gets (the delivery as Calleague sent it) and what is
//! kept of the answer.

use std::time::{Duration, Instant};

use calleague_store::{AfterAttempt, ForwardAttempt, ForwardDelivery};
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

use crate::{ApiKey, ForwardTarget};

/// The header that numbers attempts (1 for the first); a replay says so beside it.
pub const ATTEMPT_HEADER: &str = "calleague-monitor-attempt";
/// Set on a replay: `1`.
pub const REPLAY_HEADER: &str = "calleague-monitor-replay";
/// The most of a response's body that is kept.
pub const RESPONSE_BODY_LIMIT: usize = 64 * 1024;

/// Headers of the stored request that are not sent on: the client sets them for the
/// body it sends.
const NOT_SENT: [&str; 2] = ["content-length", "host"];

/// What came back from one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub latency: Duration,
    pub status: Option<u16>,
    /// Why no status came: "connection refused", "timed out after 10 s", a TLS error…
    pub error: Option<String>,
    pub headers: Vec<(String, String)>,
    /// At most [`RESPONSE_BODY_LIMIT`] bytes.
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// No answer at all: the target is down (or unreachable), not merely refusing one.
    pub fn is_unreachable(&self) -> bool {
        self.status.is_none()
    }

    /// The store's record of this answer: attempt `attempt` at log entry `delivery`, begun
    /// at `at_ms`, leaving `then` owed.
    pub fn into_attempt(
        self,
        delivery: i64,
        attempt: u32,
        replay: bool,
        at_ms: i64,
        then: AfterAttempt,
    ) -> ForwardAttempt {
        ForwardAttempt {
            delivery,
            attempt,
            replay,
            at_ms,
            latency_ms: self.latency.as_millis() as i64,
            status: self.status,
            error: self.error,
            response_headers: self.headers,
            response_body: self.body,
            then,
        }
    }
}

/// What every attempt shares: the HTTP client, the key, the time an attempt may take.
#[derive(Debug, Clone)]
pub struct Sender {
    http: reqwest::Client,
    key: Option<ApiKey>,
    timeout: Duration,
}

impl Sender {
    pub fn new(key: Option<ApiKey>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            // A handler's redirect is an answer to record, not a place to send the key.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("calleague-monitor/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { http, key, timeout }
    }

    /// Sends `body` with the delivery's own headers to `target`: its original
    /// `Content-Type` and Calleague's headers, `Authorization: Bearer <key>` as Calleague
    /// sends it, the target's own `Host`, and the attempt's number.
    pub async fn send(
        &self,
        target: &ForwardTarget,
        delivery: &ForwardDelivery,
        body: &[u8],
        attempt: u32,
        replay: bool,
    ) -> Answer {
        send(&self.http, target, delivery, body, attempt, replay, self.key.as_ref(), self.timeout).await
    }
}

#[allow(clippy::too_many_arguments)]
async fn send(
    http: &reqwest::Client,
    target: &ForwardTarget,
    delivery: &ForwardDelivery,
    body: &[u8],
    attempt: u32,
    replay: bool,
    key: Option<&ApiKey>,
    timeout: Duration,
) -> Answer {
    let mut request = http.post(target.url.clone()).timeout(timeout).body(body.to_vec());
    for (name, value) in &delivery.headers {
        if NOT_SENT.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            request = request.header(name, value);
        }
    }
    if let Some(key) = key {
        if let Ok(mut value) = HeaderValue::try_from(format!("Bearer {}", key.expose())) {
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
    }
    request = request.header(ATTEMPT_HEADER, attempt.to_string());
    if replay {
        request = request.header(REPLAY_HEADER, "1");
    }
    let started = Instant::now();
    let mut answer =
        Answer { latency: Duration::ZERO, status: None, error: None, headers: Vec::new(), body: Vec::new() };
    match request.send().await {
        Ok(mut response) => {
            answer.status = Some(response.status().as_u16());
            answer.headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            // The start of the body only: a handler's error page, not a download.
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = RESPONSE_BODY_LIMIT - answer.body.len();
                        answer.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if answer.body.len() >= RESPONSE_BODY_LIMIT {
                            break;
                        }
                    }
                    Ok(None) => break,
                    // The status came; a body cut short is still an answer.
                    Err(_) => break,
                }
            }
        }
        Err(e) => answer.error = Some(describe(&e, timeout)),
    }
    answer.latency = started.elapsed();
    answer
}

/// Why a request got no answer, in a person's words.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", timeout.as_secs_f64());
    }
    // The innermost cause says what happened ("Connection refused (os error 111)", a
    // certificate not trusted); reqwest's own outer text names only the URL.
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let text = cause.to_string();
    if text.contains("Connection refused") {
        "connection refused".to_owned()
    } else if e.is_connect() {
        format!("could not connect: {text}")
    } else {
        text
    }
}
