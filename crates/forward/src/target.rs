//! A forward target: where deliveries go on to, which events it takes, and the rules its
//! address must meet (plain HTTP only to this computer: deliveries carry the account's key).

use std::collections::BTreeSet;
use std::net::IpAddr;

use calleague_events::EventKind;
use reqwest::Url;

use crate::ForwardError;

/// One of the user's own handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget {
    /// Also the target's identity in the store: a new address starts at the log's end.
    pub url: Url,
    /// Canonical event names (`call.ended` reads as `call.completed`); empty takes every event.
    pub events: BTreeSet<String>,
    pub enabled: bool,
}

impl ForwardTarget {
    /// A target for `url` taking `events` (every event when empty), checked.
    pub fn new(url: &str, events: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self, ForwardError> {
        let url = check_url(url)?;
        let mut names = BTreeSet::new();
        for name in events {
            let name = name.as_ref().trim();
            if name.is_empty() {
                continue;
            }
            let kind = EventKind::parse(name);
            if !kind.is_known() {
                return Err(ForwardError::Invalid {
                    field: "events",
                    message: format!("{name:?} is not an event Calleague sends (call.started, call.connected, call.completed, call.failed, recording.ready, transcript.ready)"),
                });
            }
            names.insert(kind.as_str().to_owned());
        }
        Ok(Self { url, events: names, enabled: true })
    }

    /// Reads `URL` or `EVENT,EVENT=URL`, the headless receiver's `--forward-to`.
    pub fn parse_spec(spec: &str) -> Result<Self, ForwardError> {
        let spec = spec.trim();
        // An address holds `=` only after its `?`; events never hold `:` or `/`.
        match spec.split_once('=') {
            Some((events, url)) if !events.contains(':') && !events.contains('/') => Self::new(url, events.split(',')),
            _ => Self::new(spec, std::iter::empty::<&str>()),
        }
    }

    /// Whether a delivery of `event` (as sent) goes to this target.
    pub fn takes(&self, event: &str) -> bool {
        self.enabled && (self.events.is_empty() || self.events.contains(EventKind::parse(event).as_str()))
    }

    /// The target's key in the store.
    pub fn key(&self) -> &str {
        self.url.as_str()
    }

    /// `host:port`, for what a person reads ("→ localhost:3000 200 in 12 ms").
    pub fn short_name(&self) -> String {
        match (self.url.host_str(), self.url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            _ => self.url.to_string(),
        }
    }
}

/// An address a delivery may be sent to: http(s), no credentials in it, and plain HTTP
/// only to a loopback address (the request carries the account's key as its Bearer token).
pub fn check_url(text: &str) -> Result<Url, ForwardError> {
    let invalid = |message: String| ForwardError::Invalid { field: "url", message };
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("Enter the address of your handler, e.g. http://localhost:3000/webhooks.".into()));
    }
    let url = Url::parse(text).map_err(|e| invalid(format!("{text:?} is not an address ({e}).")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "The address holds a user name or password; these would be stored and shown. Leave them out.".into(),
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid(format!(
            "Plain http is only for this computer (localhost, 127.0.0.1, ::1): every forwarded delivery carries the account's key. Use https://{}.",
            url.host_str().unwrap_or("…")
        ))),
        other => Err(invalid(format!("{other}: is not a web address; use http://localhost… or https://…."))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_reaches_only_this_computer() {
        for ok in
            ["http://localhost:3000/hooks", "http://127.0.0.1:9/x", "http://[::1]:8080/", "https://example.com/hook"]
        {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://example.com/hook",
            "http://10.0.0.5/hook",
            "http://localhost.example.com/",
            "ftp://localhost/",
            "https://user:pw@example.com/",
            "",
            "localhost:3000",
        ] {
            let e = check_url(refused).unwrap_err();
            assert!(matches!(e, ForwardError::Invalid { field: "url", .. }), "{refused}: {e}");
        }
    }

    #[test]
    fn a_spec_names_events_before_its_address() {
        let t = ForwardTarget::parse_spec("call.failed,call.ended=http://localhost:3000/hooks?a=b").unwrap();
        assert_eq!(t.url.as_str(), "http://localhost:3000/hooks?a=b");
        assert_eq!(t.events.iter().map(String::as_str).collect::<Vec<_>>(), ["call.completed", "call.failed"]);
        assert!(t.takes("call.ended") && t.takes("call.failed") && !t.takes("call.started"));
        let all = ForwardTarget::parse_spec("http://localhost:3000/hooks?a=b").unwrap();
        assert!(all.events.is_empty() && all.takes("call.started") && all.takes("something.new"));
        assert_eq!(all.short_name(), "localhost:3000");
        let e = ForwardTarget::parse_spec("call.faild=http://localhost:3000/").unwrap_err();
        assert!(e.to_string().contains("call.faild"), "{e}");
    }
}
