use std::time::Duration;

use calleague_events::Timestamp;
use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use std::sync::Arc;

use crate::{
    Agent, Call, ClientConfig, ClientError, Recording, RequestBudget, SecretKey, Transcript, Webhook, WebhookDraft,
};

/// Progress while walking a paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageProgress {
    pub page: u32,
    /// Known once the first page told the total.
    pub pages: Option<u32>,
    pub items: usize,
    pub total: Option<u64>,
}

pub struct Client {
    /// For the API: carries the key, follows redirects only within its origin.
    http: reqwest::Client,
    /// For recording links: never the key.
    media: reqwest::Client,
    config: ClientConfig,
    key: SecretKey,
    /// Shared with the other clients that read for the same purpose (the REST source).
    budget: Option<Arc<RequestBudget>>,
}

/// The most pages one list walk reads, against a server that never says "last page".
const MAX_PAGES: u32 = 100_000;

impl Client {
    pub fn new(config: ClientConfig, key: SecretKey) -> Result<Self, ClientError> {
        let base = reqwest::Url::parse(&config.base_url)
            .map_err(|e| ClientError::Validation { field: "baseUrl", message: format!("not a valid address ({e})") })?;
        // The key goes with every request: over plain http only to this machine (the simulator).
        let plain_ok = base.scheme() == "http" && crate::validate::is_loopback(&base);
        if base.scheme() != "https" && !plain_ok {
            return Err(ClientError::Validation {
                field: "baseUrl",
                message: "must start with https:// (http:// only to this computer, for the simulator)".into(),
            });
        }
        let builder = || {
            reqwest::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                .user_agent(concat!("calleague-monitor/", env!("CARGO_PKG_VERSION")))
        };
        let unexpected = |e: reqwest::Error| ClientError::Unexpected { what: e.to_string() };
        // Requests that carry the key follow a redirect only to the same origin: never to
        // another host, and never from https down to http.
        let origin = (base.scheme().to_owned(), base.host_str().map(str::to_owned), base.port_or_known_default());
        let same_origin = reqwest::redirect::Policy::custom(move |attempt| {
            let to = attempt.url();
            let same = (to.scheme(), to.host_str(), to.port_or_known_default())
                == (origin.0.as_str(), origin.1.as_deref(), origin.2);
            let target = to.origin().ascii_serialization();
            if !same {
                attempt.error(format!("refused a redirect to another origin ({target})"))
            } else if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let http = builder().redirect(same_origin).build().map_err(unexpected)?;
        // Recording links carry no key and may redirect to a storage host.
        let media = builder().build().map_err(unexpected)?;
        Ok(Self { http, media, config, key, budget: None })
    }

    /// Every request of this client first waits for `budget`, and a 429 holds the budget.
    pub fn with_budget(mut self, budget: Arc<RequestBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    /// Checks the key by reading one page of webhooks.
    pub async fn check_key(&self) -> Result<(), ClientError> {
        let url = self.url(&self.config.paths.webhooks);
        self.get_value(&url, &[("page", "1".into()), ("pageSize", "1".into())]).await.map(|_| ())
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, ClientError> {
        let url = self.url(&self.config.paths.webhooks);
        self.walk(&url, Vec::new(), |_| {}).await
    }

    pub async fn create_webhook(&self, draft: &WebhookDraft) -> Result<Webhook, ClientError> {
        let url = self.url(&self.config.paths.webhooks);
        let value = self.send(Method::POST, &url, Some(serde_json::to_value(draft).unwrap_or(Value::Null))).await?;
        decode(value, "webhook record")
    }

    pub async fn update_webhook(&self, id: &str, draft: &WebhookDraft) -> Result<Webhook, ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.webhooks), path_id("webhookId", id)?);
        let value = self.send(Method::PUT, &url, Some(serde_json::to_value(draft).unwrap_or(Value::Null))).await?;
        decode(value, "webhook record")
    }

    pub async fn delete_webhook(&self, id: &str) -> Result<(), ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.webhooks), path_id("webhookId", id)?);
        self.send(Method::DELETE, &url, None).await.map(|_| ())
    }

    /// Calls that started in `[from, to)`, every page, reporting progress after each.
    pub async fn list_calls(
        &self,
        from: Timestamp,
        to: Timestamp,
        progress: impl FnMut(PageProgress),
    ) -> Result<Vec<Call>, ClientError> {
        let url = self.url(&self.config.paths.calls);
        self.walk(&url, vec![("from", from.to_string()), ("to", to.to_string())], progress).await
    }

    pub async fn call(&self, id: &str) -> Result<Call, ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.calls), path_id("callId", id)?);
        decode(self.get_value(&url, &[]).await?, "call")
    }

    /// Every agent (assistant) of the account.
    pub async fn list_agents(&self) -> Result<Vec<Agent>, ClientError> {
        let url = self.url(&self.config.paths.agents);
        self.walk(&url, Vec::new(), |_| {}).await
    }

    /// One agent; `None` when the API does not know the id (404).
    pub async fn agent(&self, id: &str) -> Result<Option<Agent>, ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.agents), path_id("agentId", id)?);
        match self.get_value(&url, &[]).await {
            Ok(value) => decode(value, "agent").map(Some),
            Err(ClientError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn recording(&self, id: &str) -> Result<Recording, ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.recordings), path_id("recordingId", id)?);
        decode(self.get_value(&url, &[]).await?, "recording")
    }

    pub async fn transcript(&self, id: &str) -> Result<Transcript, ClientError> {
        let url = format!("{}/{}", self.url(&self.config.paths.transcripts), path_id("transcriptId", id)?);
        decode(self.get_value(&url, &[]).await?, "transcript")
    }

    /// Streams a recording's audio into `sink`, chunk by chunk. Its link is short-lived: when
    /// it has expired, a fresh one is fetched once. The API key is never sent to the link,
    /// which may point at another host. Returns the recording and the bytes written.
    pub async fn download_recording(
        &self,
        id: &str,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(Recording, u64), ClientError> {
        let mut recording = self.recording(id).await?;
        let mut refreshed = false;
        loop {
            let response = self.media.get(&recording.url).send().await.map_err(|e| network(&recording.url, e))?;
            let status = response.status();
            if matches!(status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED | StatusCode::GONE) && !refreshed {
                tracing::debug!(recording = id, "the recording link expired; fetching a fresh one");
                recording = self.recording(id).await?;
                refreshed = true;
                continue;
            }
            if !status.is_success() {
                let retry_after = retry_after(response.headers());
                let text = response.text().await.unwrap_or_default();
                return Err(classify(status, &text, retry_after));
            }
            let cap = self.config.max_recording_bytes;
            let too_large = |size: u64| ClientError::Unexpected {
                what: format!(
                    "the recording is larger than the {} MB this app downloads ({size} bytes or more)",
                    cap / 1_000_000
                ),
            };
            if let Some(declared) = response.content_length().filter(|&n| n > cap) {
                return Err(too_large(declared));
            }
            let mut response = response;
            let mut written = 0u64;
            while let Some(chunk) = response.chunk().await.map_err(|e| network(&recording.url, e))? {
                if written + chunk.len() as u64 > cap {
                    return Err(too_large(written + chunk.len() as u64));
                }
                sink(&chunk).map_err(|e| ClientError::Unexpected { what: format!("cannot write the audio: {e}") })?;
                written += chunk.len() as u64;
            }
            return Ok((recording, written));
        }
    }

    /// Walks `{total, list}` (or a bare array) page by page to the end.
    async fn walk<T: DeserializeOwned>(
        &self,
        url: &str,
        query: Vec<(&'static str, String)>,
        mut progress: impl FnMut(PageProgress),
    ) -> Result<Vec<T>, ClientError> {
        let size = self.config.page_size.max(1);
        let mut items: Vec<T> = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut q = query.clone();
            q.push(("page", page.to_string()));
            q.push(("pageSize", size.to_string()));
            let value = self.get_value(url, &q).await?;
            let (total, list) = envelope(value)?;
            let got = list.len();
            for item in list {
                items.push(decode(item, "list item")?);
            }
            let pages = total.map(|t| t.div_ceil(u64::from(size)).max(1) as u32);
            progress(PageProgress { page, pages, items: items.len(), total });
            let done = got == 0
                || total.is_some_and(|t| items.len() as u64 >= t)
                || (total.is_none() && got < size as usize)
                || pages.is_some_and(|p| page >= p);
            if done {
                return Ok(items);
            }
        }
        Err(ClientError::Unexpected { what: format!("more than {MAX_PAGES} pages") })
    }

    /// A GET, retried on 429, 5xx and network errors with a bounded backoff.
    async fn get_value(&self, url: &str, query: &[(&str, String)]) -> Result<Value, ClientError> {
        let policy = self.config.retry;
        let mut delay = policy.first_delay;
        let mut attempt = 1;
        loop {
            match self.once(Method::GET, url, query, None).await {
                Err(e) if e.is_transient() && attempt < policy.max_attempts => {
                    let wait = match &e {
                        ClientError::RateLimited { retry_after: Some(after), .. } => *after,
                        _ => delay,
                    }
                    .min(policy.max_delay);
                    tracing::debug!(url, attempt, error = %e, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    delay = (delay * 2).min(policy.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Creates, updates and deletes: sent once, never repeated blindly.
    async fn send(&self, method: Method, url: &str, body: Option<Value>) -> Result<Value, ClientError> {
        self.once(method, url, &[], body).await
    }

    async fn once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        if let Some(budget) = &self.budget {
            budget.acquire().await;
        }
        let mut request = self.http.request(method, url).bearer_auth(self.key.expose()).query(query);
        if let Some(body) = body {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body.to_string());
        }
        let response = request.send().await.map_err(|e| network(url, e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        if let (Some(budget), StatusCode::TOO_MANY_REQUESTS) = (&self.budget, status) {
            budget.hold_for(retry_after.unwrap_or(self.config.retry.first_delay));
        }
        let text = response.text().await.map_err(|e| network(url, e))?;
        if !status.is_success() {
            return Err(classify(status, &text, retry_after));
        }
        if text.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_str(&text)
            .map_err(|e| ClientError::Unexpected { what: format!("the reply is not JSON ({e}): {}", snippet(&text)) })
    }
}

/// An id from a payload, as one path segment: refused when it would name another path
/// (`.`, `..`, a slash or a backslash, control characters) before any request is sent.
fn path_id(field: &'static str, id: &str) -> Result<String, ClientError> {
    let unsafe_id =
        id.is_empty() || id == "." || id == ".." || id.chars().any(|c| matches!(c, '/' | '\\') || c.is_control());
    if unsafe_id {
        return Err(ClientError::Validation { field, message: format!("{id:?} is not an id this app requests") });
    }
    Ok(encode(id))
}

fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn snippet(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        format!("{t}…")
    } else {
        t
    }
}

fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn network(url: &str, e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::TimedOut { url: url.to_owned() }
    } else if e.is_decode() || e.is_body() {
        ClientError::Unexpected { what: format!("the reply could not be read: {e}") }
    } else if e.is_redirect() {
        // Not worth a retry: the server asked us to take the key somewhere else.
        let why = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.to_string());
        ClientError::Unexpected { what: format!("{url}: {why}") }
    } else {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        ClientError::Unreachable { url: url.to_owned(), message }
    }
}

fn classify(status: StatusCode, text: &str, retry_after: Option<Duration>) -> ClientError {
    let message = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            if text.trim().is_empty() {
                status.canonical_reason().unwrap_or("no message").to_owned()
            } else {
                snippet(text.trim())
            }
        });
    match status.as_u16() {
        401 | 403 => ClientError::KeyRejected { status: status.as_u16(), message },
        404 => ClientError::NotFound { message },
        400 | 409 | 422 => ClientError::Invalid { message },
        429 => ClientError::RateLimited { retry_after, message },
        500..=599 => ClientError::Server { status: status.as_u16(), message },
        other => ClientError::Unexpected { what: format!("status {other}: {message}") },
    }
}

/// `{total, list}` or a bare array.
fn envelope(value: Value) -> Result<(Option<u64>, Vec<Value>), ClientError> {
    match value {
        Value::Array(list) => Ok((None, list)),
        Value::Object(mut map) => {
            let total = map.get("total").and_then(Value::as_u64);
            match map.remove("list") {
                Some(Value::Array(list)) => Ok((total, list)),
                _ => Err(ClientError::Unexpected { what: "a list reply has no \"list\" array".into() }),
            }
        }
        other => Err(ClientError::Unexpected {
            what: format!("a list reply is not a list: {}", snippet(&other.to_string())),
        }),
    }
}

fn decode<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, ClientError> {
    let text = snippet(&value.to_string());
    serde_json::from_value(value)
        .map_err(|e| ClientError::Unexpected { what: format!("the {what} could not be read ({e}): {text}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        let c = |s: u16, body: &str| classify(StatusCode::from_u16(s).unwrap(), body, None);
        assert_eq!(c(401, r#"{"code":"x","message":"bad key"}"#).code(), calleague_error_code::ErrorCode::KeyRejected);
        assert!(c(401, r#"{"code":"x","message":"bad key"}"#).to_string().contains("bad key"));
        assert_eq!(c(403, "").code(), calleague_error_code::ErrorCode::KeyRejected);
        assert_eq!(c(404, "").code(), calleague_error_code::ErrorCode::NotFound);
        assert_eq!(
            c(422, r#"{"message":"url must be https"}"#).to_string(),
            "Calleague refused the request: url must be https"
        );
        assert_eq!(c(429, "").code(), calleague_error_code::ErrorCode::RateLimited);
        assert_eq!(c(503, "<html>oops</html>").to_string(), "Calleague had a server error (503): <html>oops</html>");
        assert_eq!(c(302, "").code(), calleague_error_code::ErrorCode::UnexpectedReply);
    }

    #[test]
    fn reads_both_envelopes() {
        let (total, list) = envelope(serde_json::json!({"total": 3, "list": [1, 2]})).unwrap();
        assert_eq!((total, list.len()), (Some(3), 2));
        let (total, list) = envelope(serde_json::json!([1])).unwrap();
        assert_eq!((total, list.len()), (None, 1));
        assert!(envelope(serde_json::json!({"items": []})).is_err());
    }

    #[test]
    fn accepts_id_as_an_alias_and_missing_optional_fields() {
        let hook: Webhook = decode(serde_json::json!({"id": "w1", "url": "https://x"}), "webhook").unwrap();
        assert_eq!(hook.webhook_id, "w1");
        assert!(hook.events.is_empty() && hook.created_at.is_none());
        let call: Call =
            decode(serde_json::json!({"callId": "c", "assistantId": "a", "startedAt": "bad"}), "call").unwrap();
        assert_eq!(call.agent_id.as_deref(), Some("a"));
        assert_eq!(call.started_at, None);
        let agent: Agent =
            decode(serde_json::json!({"id": 7, "assistantId": "as_1", "name": ["x"], "language": "en"}), "agent")
                .unwrap();
        assert_eq!((agent.agent_id.as_str(), agent.name, agent.language.as_deref()), ("as_1", None, Some("en")));
        let agent: Agent = decode(serde_json::json!({"id": 7, "name": "Sales"}), "agent").unwrap();
        assert_eq!((agent.agent_id.as_str(), agent.name.as_deref()), ("7", Some("Sales")));
        assert!(decode::<Agent>(serde_json::json!({"name": "no id"}), "agent").is_err());
    }

    #[test]
    fn encodes_ids_in_paths() {
        assert_eq!(encode("wh_1"), "wh_1");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }
}
