//! Checks a webhook before it is sent, and tells whether any webhook reaches this receiver.

use calleague_events::EventKind;
use reqwest::Url;

use crate::{ClientError, Webhook, WebhookDraft};

/// Which webhook URLs are acceptable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow `http://` to loopback addresses: only against the simulator.
    pub allow_loopback_http: bool,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ClientError {
    ClientError::Validation { field, message: message.into() }
}

/// The form in which two URLs that reach the same place compare equal.
fn normalized(url: &str) -> Option<String> {
    let parsed = Url::parse(url.trim()).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let port = parsed.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
    let path = parsed.path().trim_end_matches('/');
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("{}://{host}{port}{path}{query}", parsed.scheme()))
}

/// This computer: a loopback address (127.0.0.0/8, ::1) or `localhost`. The only place
/// plain http is allowed, for the key (the client) and for webhook URLs (the simulator).
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Returns the draft cleaned up (trimmed URL, canonical event names, no repeats), or what
/// is wrong with it. `editing` is the id of the webhook being updated, if any.
pub fn validate_draft(
    draft: &WebhookDraft,
    policy: UrlPolicy,
    existing: &[Webhook],
    editing: Option<&str>,
) -> Result<WebhookDraft, ClientError> {
    let url = draft.url.trim();
    if url.is_empty() {
        return Err(invalid("url", "enter the address Calleague should deliver to"));
    }
    let parsed = Url::parse(url).map_err(|e| invalid("url", format!("not a valid address ({e})")))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = is_loopback(&parsed);
    match parsed.scheme() {
        "https" if !host.is_empty() => {}
        "http" if loopback && policy.allow_loopback_http => {}
        "http" if loopback => {
            return Err(invalid("url", "Calleague delivers only over https: use your tunnel's https address"))
        }
        _ => return Err(invalid("url", "the address must start with https://")),
    }

    let mut events: Vec<String> = Vec::new();
    for raw in &draft.events {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(invalid("events", format!("\"{name}\" is not an event name (letters, digits, dots, dashes)")));
        }
        let canonical = EventKind::parse(name).as_str().to_owned();
        if !events.contains(&canonical) {
            events.push(canonical);
        }
    }
    if events.is_empty() {
        return Err(invalid("events", "choose at least one event"));
    }

    let key = normalized(url);
    let mut wanted = events.clone();
    wanted.sort();
    for hook in existing.iter().filter(|h| Some(h.webhook_id.as_str()) != editing) {
        let mut theirs: Vec<String> = hook.events.iter().map(|e| EventKind::parse(e).as_str().to_owned()).collect();
        theirs.sort();
        theirs.dedup();
        if normalized(&hook.url) == key && theirs == wanted {
            return Err(invalid(
                "url",
                format!("webhook {} already sends these events to this address", hook.webhook_id),
            ));
        }
    }
    Ok(WebhookDraft { url: url.to_owned(), events })
}

/// The webhooks that deliver to `public_url`. None is the most common reason deliveries
/// never arrive (the webhook page's own troubleshooting table).
pub fn pointing_at<'a>(webhooks: &'a [Webhook], public_url: &str) -> Vec<&'a Webhook> {
    let Some(target) = normalized(public_url) else { return Vec::new() };
    webhooks.iter().filter(|h| normalized(&h.url).as_deref() == Some(target.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(url: &str, events: &[&str]) -> WebhookDraft {
        WebhookDraft { url: url.into(), events: events.iter().map(|e| e.to_string()).collect() }
    }

    fn hook(id: &str, url: &str, events: &[&str]) -> Webhook {
        Webhook {
            webhook_id: id.into(),
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn cleans_up_a_good_draft() {
        let ok = validate_draft(
            &draft(" https://x.example/hooks ", &["call.ended", " call.started", "call.completed", "call.transferred"]),
            UrlPolicy::default(),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(ok.url, "https://x.example/hooks");
        assert_eq!(ok.events, ["call.completed", "call.started", "call.transferred"]);
    }

    #[test]
    fn refuses_what_calleague_would_refuse() {
        let strict = UrlPolicy::default();
        let code = |d: WebhookDraft, p| validate_draft(&d, p, &[], None).unwrap_err().to_string();
        assert!(code(draft("http://x.example", &["call.started"]), strict).contains("https"));
        assert!(code(draft("http://127.0.0.1:8787/h", &["call.started"]), strict).contains("tunnel"));
        assert!(validate_draft(
            &draft("http://127.0.0.1:8787/h", &["call.started"]),
            UrlPolicy { allow_loopback_http: true },
            &[],
            None
        )
        .is_ok());
        assert!(code(draft("not a url", &["call.started"]), strict).contains("valid address"));
        assert!(code(draft("", &["call.started"]), strict).contains("enter"));
        assert!(code(draft("https://x.example", &[]), strict).contains("at least one"));
        assert!(code(draft("https://x.example", &["  "]), strict).contains("at least one"));
        assert!(code(draft("https://x.example", &["call started"]), strict).contains("not an event name"));
    }

    #[test]
    fn refuses_a_duplicate_subscription_but_not_when_editing_it() {
        let existing = [hook("wh_1", "https://X.example/hooks/", &["call.started", "call.ended"])];
        let same = draft("https://x.example/hooks", &["call.completed", "call.started"]);
        let err = validate_draft(&same, UrlPolicy::default(), &existing, None).unwrap_err();
        assert!(err.to_string().contains("wh_1"));
        assert!(validate_draft(&same, UrlPolicy::default(), &existing, Some("wh_1")).is_ok());
        let other_events = draft("https://x.example/hooks", &["call.failed"]);
        assert!(validate_draft(&other_events, UrlPolicy::default(), &existing, None).is_ok());
    }

    #[test]
    fn finds_webhooks_pointing_at_this_receiver() {
        let hooks = [
            hook("a", "https://Tunnel.example:443/hooks/calleague/", &["call.started"]),
            hook("b", "https://other.example/hooks/calleague", &["call.started"]),
        ];
        let found = pointing_at(&hooks, "https://tunnel.example/hooks/calleague");
        assert_eq!(found.iter().map(|h| h.webhook_id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert!(pointing_at(&hooks, "https://nowhere.example/x").is_empty());
        assert!(pointing_at(&hooks, "garbage").is_empty());
    }
}
