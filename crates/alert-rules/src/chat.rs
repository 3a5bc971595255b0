//! The chat webhook: a Slack or Mattermost incoming-webhook URL that gets `{"text": ...}`
//! for each firing and resolution. The URL is a secret (whoever has it can post): it is
//! never logged or shown whole, only its host. Notices wait in the store (`alert_notices`,
//! written with their firing), are sent in order and retried with a growing wait until
//! sent or a day old, so a restart neither loses nor repeats one.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use calleague_store::{AlertLog, NoticeAttempt};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use url::Url;

use crate::AlertRulesError;

/// A notice not sent within a day of its firing is given up on.
const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;
const FIRST_RETRY_MS: i64 = 1_000;
const LONGEST_RETRY_MS: i64 = 300_000;
const TIMEOUT: Duration = Duration::from_secs(10);

/// A checked chat webhook address.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatWebhook {
    url: Url,
}

impl fmt::Debug for ChatWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChatWebhook({})", self.host())
    }
}

impl ChatWebhook {
    /// https only; plain http only to this computer (a test's server). No user name or
    /// password in it.
    pub fn parse(text: &str) -> Result<Self, AlertRulesError> {
        let text = text.trim();
        let url = Url::parse(text).map_err(|_| {
            AlertRulesError::ChatUrl(
                "The chat webhook is not a web address (https://hooks.slack.com/services/…).".into(),
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AlertRulesError::ChatUrl(
                "The chat webhook's address holds a user name or password: leave them out.".into(),
            ));
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(Self { url }),
            "http" if loopback => Ok(Self { url }),
            _ => Err(AlertRulesError::ChatUrl(
                "The chat webhook must be https:// (plain http only to this computer): its address is a secret.".into(),
            )),
        }
    }

    /// What may be shown of it: the host alone.
    pub fn host(&self) -> String {
        match self.url.port() {
            Some(port) => format!("{}:{port}", self.url.host_str().unwrap_or("")),
            None => self.url.host_str().unwrap_or("").to_owned(),
        }
    }
}

/// Sends the notices the store holds for the chat webhook.
pub struct ChatSender {
    wake: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ChatSender {
    pub fn start(store: Arc<dyn AlertLog>, webhook: ChatWebhook) -> Self {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(send_owed(store, webhook, wake.clone(), stopped));
        Self { wake, stop: Some(stop), task }
    }

    /// Something new is owed: look now rather than at the next due time.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

async fn send_owed(
    store: Arc<dyn AlertLog>,
    webhook: ChatWebhook,
    wake: Arc<Notify>,
    mut stopped: oneshot::Receiver<()>,
) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot make the chat webhook's HTTP client");
            return;
        }
    };
    loop {
        let wait = match send_due(store.as_ref(), &client, &webhook).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = %e, "the chat webhook's notices could not be read");
                Some(5_000)
            }
        };
        let wait = Duration::from_millis(wait.unwrap_or(30_000).clamp(10, 30_000) as u64);
        tokio::select! {
            _ = &mut stopped => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Sends what is due, oldest first, stopping at the first that fails (order is kept).
/// Returns how long until the next is due.
async fn send_due(
    store: &dyn AlertLog,
    client: &reqwest::Client,
    webhook: &ChatWebhook,
) -> Result<Option<i64>, AlertRulesError> {
    loop {
        let owed = store.owed_notices(16).await?;
        if owed.is_empty() {
            return Ok(None);
        }
        for (notice, next_ms) in owed {
            let now = now_ms();
            if next_ms > now {
                return Ok(Some(next_ms - now));
            }
            let attempt = match post(client, webhook, &notice.text).await {
                Ok(()) => NoticeAttempt::Sent,
                Err(error) if now - notice.created_ms >= GIVE_UP_AFTER_MS => {
                    tracing::warn!(host = %webhook.host(), %error, "gave up on an alert's chat notice after a day");
                    NoticeAttempt::GaveUp { error }
                }
                Err(error) => {
                    let wait = (FIRST_RETRY_MS << notice.attempts.min(20)).min(LONGEST_RETRY_MS);
                    tracing::info!(host = %webhook.host(), %error, retry_in_ms = wait, "the chat webhook did not take an alert");
                    NoticeAttempt::RetryAt { next_ms: now + wait, error }
                }
            };
            let sent = attempt == NoticeAttempt::Sent;
            store.record_notice_attempt(notice.id, now_ms(), attempt).await?;
            if !sent {
                break;
            }
        }
    }
}

/// One POST; a 2xx is taken, anything else is an error to retry.
async fn post(client: &reqwest::Client, webhook: &ChatWebhook, text: &str) -> Result<(), String> {
    let body = serde_json::json!({ "text": text });
    match client.post(webhook.url.clone()).json(&body).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("answered {}", response.status().as_u16())),
        // Without the URL: reqwest's errors name it, and it is a secret.
        Err(e) if e.is_timeout() => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
        Err(e) if e.is_connect() => Err("could not connect".into()),
        Err(_) => Err("the request failed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_this_computer_and_no_credentials() {
        assert!(ChatWebhook::parse("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(ChatWebhook::parse("http://127.0.0.1:9/hook").is_ok());
        assert!(ChatWebhook::parse("http://chat.example.com/hook").is_err());
        assert!(ChatWebhook::parse("https://user:pw@chat.example.com/hook").is_err());
        assert!(ChatWebhook::parse("not a url").is_err());
    }

    #[test]
    fn only_the_host_is_shown() {
        let hook = ChatWebhook::parse("https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_eq!(format!("{hook:?}"), "ChatWebhook(hooks.slack.com)");
        assert_eq!(hook.host(), "hooks.slack.com");
    }
}
