//! Bearer-token verification.

use std::fmt;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The account's API key. Its `Debug` never shows it, so it cannot leak into a log line.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

impl ApiKey {
    /// Returns `None` for an empty key.
    pub fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        // Only the digest is kept: comparing digests is constant-time whatever the lengths,
        // and the key itself does not sit in this process's memory longer than needed.
        Some(Self { digest: Sha256::digest(key.as_bytes()).into() })
    }

    fn matches(&self, token: &[u8]) -> bool {
        let presented: [u8; 32] = Sha256::digest(token).into();
        self.digest.ct_eq(&presented).into()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The keys a delivery may carry: the current one, and during a rotation the previous one
/// until its grace period ends.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<(ApiKey, Option<SystemTime>)>,
}

impl KeySet {
    pub fn single(key: ApiKey) -> Self {
        Self { keys: vec![(key, None)] }
    }

    /// Also accept `previous` until `until`.
    pub fn with_previous(mut self, previous: ApiKey, until: SystemTime) -> Self {
        self.keys.push((previous, Some(until)));
        self
    }

    /// Compares against every key, without stopping at the first match, so timing tells
    /// nothing about which key (if any) matched.
    pub fn accepts(&self, token: &[u8], now: SystemTime) -> bool {
        let mut ok = false;
        for (key, until) in &self.keys {
            let live = until.is_none_or(|until| now < until);
            ok |= key.matches(token) & live;
        }
        ok
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    Missing,
    Malformed,
    Bearer(&'a [u8]),
}

/// Reads `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 9110) and
/// surrounding spaces are tolerated; anything else is malformed.
pub(crate) fn bearer(header: Option<&[u8]>) -> Credentials<'_> {
    let Some(value) = header else { return Credentials::Missing };
    let value = value.trim_ascii();
    if value.len() < 7 || !value[..6].eq_ignore_ascii_case(b"bearer") || value[6] != b' ' {
        return Credentials::Malformed;
    }
    let token = value[7..].trim_ascii();
    if token.is_empty() || token.iter().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Credentials::Malformed;
    }
    Credentials::Bearer(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reads_bearer_tokens() {
        assert_eq!(bearer(None), Credentials::Missing);
        assert_eq!(bearer(Some(b"Bearer abc")), Credentials::Bearer(b"abc"));
        assert_eq!(bearer(Some(b"bearer abc")), Credentials::Bearer(b"abc"));
        assert_eq!(bearer(Some(b"BEARER   abc  ")), Credentials::Bearer(b"abc"));
        assert_eq!(bearer(Some(b"Basic abc")), Credentials::Malformed);
        assert_eq!(bearer(Some(b"Bearer")), Credentials::Malformed);
        assert_eq!(bearer(Some(b"Bearer ")), Credentials::Malformed);
        assert_eq!(bearer(Some(b"Bearerabc")), Credentials::Malformed);
        assert_eq!(bearer(Some(b"Bearer a b")), Credentials::Malformed);
    }

    #[test]
    fn accepts_current_and_unexpired_previous_keys() {
        let now = SystemTime::now();
        let keys = KeySet::single(ApiKey::new("new").unwrap())
            .with_previous(ApiKey::new("old").unwrap(), now + Duration::from_secs(60));
        assert!(keys.accepts(b"new", now));
        assert!(keys.accepts(b"old", now));
        assert!(!keys.accepts(b"other", now));
        assert!(!keys.accepts(b"old", now + Duration::from_secs(61)));
        assert!(keys.accepts(b"new", now + Duration::from_secs(61)));
    }

    #[test]
    fn never_shows_the_key() {
        let key = ApiKey::new("sk_live_secret").unwrap();
        assert!(!format!("{key:?} {:?}", KeySet::single(key.clone())).contains("secret"));
        assert!(ApiKey::new("   ").is_none());
    }
}
