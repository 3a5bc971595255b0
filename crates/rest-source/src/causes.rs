//! When webhooks stop arriving, the likely causes, each checked: the key, the subscription.

use calleague_client::{pointing_at, Client, ClientError};
use serde::Serialize;

/// One likely cause, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CauseCheck {
    pub what: String,
    /// True when this is not the cause; None when it could not be checked.
    pub fine: Option<bool>,
    pub detail: String,
}

/// Checks what can stop deliveries to `public_url` (the address Calleague posts to).
pub async fn check_causes(client: &Client, public_url: Option<&str>) -> Vec<CauseCheck> {
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
    vec![key, subscription]
}
