//! When webhooks stop arriving, the likely causes, each checked: the key, the subscription,
//! and whether the public address still reaches this receiver.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use calleague_client::{pointing_at, Client, ClientError};
use serde::Serialize;

/// Where Calleague posts (the tunnel's address with the receiver's path), and how to ask
/// this receiver whether a probe reached it.
#[derive(Clone)]
pub struct PublicAddress {
    pub url: String,
    /// True when a probe with this nonce reached this receiver (`calleague_receiver::ProbeLog`).
    pub reached_here: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

impl std::fmt::Debug for PublicAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicAddress").field("url", &self.url).finish_non_exhaustive()
    }
}

/// The receivers' probe header (`calleague_receiver::PROBE_HEADER`).
const PROBE_HEADER: &str = "x-calleague-monitor-probe";

/// One likely cause, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CauseCheck {
    pub what: String,
    /// True when this is not the cause; None when it could not be checked.
    pub fine: Option<bool>,
    pub detail: String,
}

/// Checks what can stop deliveries to the public address (where Calleague posts).
pub async fn check_causes(client: &Client, public: Option<&PublicAddress>) -> Vec<CauseCheck> {
    let public_url = public.map(|p| p.url.as_str());
    let key = match client.check_key().await {
        Ok(()) => CauseCheck { what: "The API key".into(), fine: Some(true), detail: "Calleague accepts it".into() },
        Err(e @ ClientError::KeyRejected { .. }) => CauseCheck {
            what: "The API key".into(),
            fine: Some(false),
            detail: format!("{e}: it may have been rotated or revoked on the platform"),
        },
        Err(e) => CauseCheck { what: "The API key".into(), fine: None, detail: format!("not checked: {e}") },
    };
    let subscription = match (public_url, client.list_webhooks().await) {
        (None, _) => CauseCheck {
            what: "The subscription".into(),
            fine: None,
            detail: "no public address is set, so no subscription can point here".into(),
        },
        (Some(url), Ok(hooks)) => match pointing_at(&hooks, url).first() {
            Some(hook) if !hook.events.is_empty() => CauseCheck {
                what: "The subscription".into(),
                fine: Some(true),
                detail: format!("{} sends {} to {url}", hook.webhook_id, hook.events.join(", ")),
            },
            Some(hook) => CauseCheck {
                what: "The subscription".into(),
                fine: Some(false),
                detail: format!("{} points to {url} but lists no events", hook.webhook_id),
            },
            None => CauseCheck {
                what: "The subscription".into(),
                fine: Some(false),
                detail: format!("no webhook of the account sends to {url} any more: it was edited or removed"),
            },
        },
        (Some(_), Err(e)) => {
            CauseCheck { what: "The subscription".into(), fine: None, detail: format!("not checked: {e}") }
        }
    };
    let mut checks = vec![key, subscription];
    if let Some(public) = public {
        checks.push(probe(public).await);
    }
    checks
}

/// Sends a nonce to the public address and asks the receiver whether it came in.
async fn probe(public: &PublicAddress) -> CauseCheck {
    static SENT: AtomicU64 = AtomicU64::new(0);
    let what = "The public address".to_owned();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let nonce = format!("probe-{nanos:x}-{}", SENT.fetch_add(1, Ordering::Relaxed));
    let http = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(http) => http,
        Err(e) => return CauseCheck { what, fine: None, detail: format!("not checked: {e}") },
    };
    match http.get(&public.url).header(PROBE_HEADER, &nonce).send().await {
        Err(e) => CauseCheck {
            what,
            fine: Some(false),
            detail: format!("{} does not answer ({e}): is the tunnel running?", public.url),
        },
        Ok(_) if (public.reached_here)(&nonce) => {
            CauseCheck { what, fine: Some(true), detail: format!("{} reaches this receiver", public.url) }
        }
        Ok(reply) => CauseCheck {
            what,
            fine: Some(false),
            detail: format!(
                "{} answered ({}) but not from this receiver: the tunnel points somewhere else",
                public.url,
                reply.status()
            ),
        },
    }
}
