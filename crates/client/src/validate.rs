//! Checks a webhook before it is sent, and tells whether any webhook reaches this receiver.

use calleague_events::EventKind;
use reqwest::Url;

use crate::{ClientError, Webhook, WebhookDraft};

/// Which webhook URLs are acceptable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow `http://` to loopback addresses: only against the simulator.
    pub allow_loopback_http: bool,
    /// The user confirmed a private, link-local or loopback host (see [`private_host`]):
    /// every delivery carries the account's key to it.
    pub allow_private_host: bool,
}

/// The field of a refusal that asks for [`UrlPolicy::allow_private_host`].
pub const CONFIRM_PRIVATE_FIELD: &str = "confirmPrivate";

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

/// Why `url`'s host is one that needs the user's confirmation: an address of this computer
/// or of a private network (RFC 1918, unique-local, carrier-grade NAT), a link-local one
/// (cloud metadata services live at 169.254.169.254), or a name only a local network
/// resolves (`localhost`, `.local`, `.internal`, `.lan`, `.home.arpa`). Calleague's servers
/// either cannot reach it or, worse, reach something of their own with the key attached.
/// A public name that resolves to a private address is not caught here: that needs a lookup.
pub fn private_host(url: &Url) -> Option<&'static str> {
    use std::net::IpAddr;
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let ip = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        Ok(ip) => ip,
        Err(_) => {
            let host = host.trim_end_matches('.');
            if host == "localhost" || host.ends_with(".localhost") {
                return Some("an address of this computer");
            }
            let local = [".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp"];
            return local.iter().any(|end| host.ends_with(end)).then_some("a name only a local network knows");
        }
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Some("an address of this computer"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("a link-local address"),
        IpAddr::V4(v4) if v4.is_private() || (v4.octets()[0] == 100 && v4.octets()[1] & 0xC0 == 64) => {
            Some("a private network's address")
        }
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Some("an address of this computer"),
        IpAddr::V6(v6) if v6.segments()[0] & 0xFFC0 == 0xFE80 => Some("a link-local address"),
        IpAddr::V6(v6) if v6.segments()[0] & 0xFE00 == 0xFC00 => Some("a private network's address"),
        _ => None,
    }
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
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "url",
            "take the user name and password out of the address: Calleague would send them, with your account's key, on every delivery",
        ));
    }
    let simulator = loopback && policy.allow_loopback_http;
    if let Some(kind) = private_host(&parsed).filter(|_| !policy.allow_private_host && !simulator) {
        return Err(invalid(
            CONFIRM_PRIVATE_FIELD,
            format!(
                "{host} is {kind}: Calleague's servers cannot deliver there from the internet, and every delivery would carry your account's key to whatever answers there. Confirm to subscribe it anyway."
            ),
        ));
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
            UrlPolicy { allow_loopback_http: true, ..UrlPolicy::default() },
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
    fn refuses_credentials_in_the_address() {
        for url in ["https://user:pass@x.example/h", "https://user@x.example/h", "https://:secret@x.example/h"] {
            let err = validate_draft(&draft(url, &["call.started"]), UrlPolicy::default(), &[], None).unwrap_err();
            assert!(matches!(&err, ClientError::Validation { field: "url", .. }), "{url}: {err}");
            assert!(err.to_string().contains("user name and password"), "{err}");
        }
    }

    #[test]
    fn private_hosts_need_a_confirmation() {
        let private = [
            "https://10.1.2.3/h",
            "https://172.20.0.1/h",
            "https://192.168.1.10:8443/h",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/h",
            "https://127.0.0.1/h",
            "https://0.0.0.0/h",
            "https://[::1]/h",
            "https://[fd12:3456::1]/h",
            "https://[fe80::1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://localhost/h",
            "https://printer.local/h",
            "https://db.internal/h",
            "https://nas.home.arpa/h",
        ];
        for url in private {
            let err = validate_draft(&draft(url, &["call.started"]), UrlPolicy::default(), &[], None).unwrap_err();
            assert!(
                matches!(&err, ClientError::Validation { field, .. } if *field == CONFIRM_PRIVATE_FIELD),
                "{url}: {err}"
            );
            assert!(err.to_string().contains("account's key"), "{err}");
            let confirmed = UrlPolicy { allow_private_host: true, ..UrlPolicy::default() };
            assert!(validate_draft(&draft(url, &["call.started"]), confirmed, &[], None).is_ok(), "{url} confirmed");
        }
        for url in [
            "https://x.example/h",
            "https://8.8.8.8/h",
            "https://172.32.0.1/h",
            "https://[2001:db8::1]/h",
            "https://100.128.0.1/h",
        ] {
            assert!(validate_draft(&draft(url, &["call.started"]), UrlPolicy::default(), &[], None).is_ok(), "{url}");
        }
        // The simulator on this computer needs none.
        let simulator = UrlPolicy { allow_loopback_http: true, ..UrlPolicy::default() };
        assert!(validate_draft(&draft("http://127.0.0.1:8787/h", &["call.started"]), simulator, &[], None).is_ok());
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
