//! The receiver's settings as the Settings page edits them: checked field by field, then
//! applied all or nothing. A change that needs a restart restarts the receiver; when it
//! cannot start with the new settings (the port is taken, the certificate does not load)
//! the previous settings come back, the receiver runs as before, and the error names the
//! field to change.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use calleague_error_code::ErrorCode;
use calleague_receiver::{ApiKey, KeySet, ReceiverConfig, TlsSettings};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::settings::{Mode, Settings, TlsChoice};
use crate::Engine;

/// The receiver's own settings, as the form shows and sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSettings {
    pub port: u16,
    /// The one path deliveries are accepted on, e.g. `/hooks/calleague`.
    pub path: String,
    /// The tunnel's https address that Calleague delivers to; None when there is none.
    pub public_url: Option<String>,
    /// The largest delivery body accepted, in KiB.
    pub body_limit_kb: u32,
    pub tls: TlsChoice,
    /// After the API key is replaced, how long deliveries signed with the previous key are
    /// still accepted (Calleague may have some in flight), in minutes.
    pub key_grace_minutes: u32,
}

const MIN_BODY_KB: u32 = 16;
const MAX_BODY_KB: u32 = 64 * 1024;
const MAX_GRACE_MINUTES: u32 = 7 * 24 * 60;

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::SettingInvalid, message).on_field(field)
}

/// A port the receiver may take: not one of the system's (below 1024). Also for the status
/// bar's port change.
pub(crate) fn check_port(port: u16) -> AppResult<()> {
    if port < 1024 {
        return Err(AppError::new(ErrorCode::PortInvalid, "Choose a port from 1024 to 65535.").on_field("port"));
    }
    Ok(())
}

/// The public address trimmed (empty: none), or why it is not one: https with a host. Also
/// for the status bar's "Set public URL…".
pub(crate) fn checked_public_url(url: Option<String>) -> AppResult<Option<String>> {
    let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &url {
        let host = url.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if host.is_none_or(str::is_empty) || url.contains(char::is_whitespace) {
            return Err(AppError::new(
                ErrorCode::PublicUrlInvalid,
                "The public address must start with https:// and name a host.",
            )
            .on_field("publicUrl"));
        }
    }
    Ok(url)
}

/// The settings cleaned up (trimmed, empty address as none), or the first field that is wrong.
pub fn validated(mut s: ReceiverSettings) -> AppResult<ReceiverSettings> {
    check_port(s.port)?;
    s.path = s.path.trim().to_owned();
    if !s.path.starts_with('/')
        || s.path.len() > 200
        || s.path.chars().any(|c| c.is_whitespace() || matches!(c, '?' | '#' | '%'))
    {
        return Err(invalid("path", "The path starts with / and holds no spaces, ?, # or %, e.g. /hooks/calleague."));
    }
    s.public_url = checked_public_url(s.public_url)?;
    if !(MIN_BODY_KB..=MAX_BODY_KB).contains(&s.body_limit_kb) {
        return Err(invalid("bodyLimitKb", format!("Choose from {MIN_BODY_KB} KiB to {} MiB.", MAX_BODY_KB / 1024)));
    }
    if let TlsChoice::Pem { cert, key } = &mut s.tls {
        *cert = cert.trim().to_owned();
        *key = key.trim().to_owned();
        for (field, path, what) in [("tlsCert", &*cert, "certificate"), ("tlsKey", &*key, "private key")] {
            if path.is_empty() {
                return Err(invalid(field, format!("Choose the {what}'s PEM file.")));
            }
            if !std::path::Path::new(path).is_file() {
                return Err(invalid(field, format!("There is no file at {path}.")));
            }
        }
    }
    if s.key_grace_minutes > MAX_GRACE_MINUTES {
        return Err(invalid("keyGraceMinutes", "At most a week (10080 minutes)."));
    }
    Ok(s)
}

impl ReceiverSettings {
    pub(crate) fn of(settings: &Settings) -> Self {
        Self {
            port: settings.port,
            path: settings.receiver_path.clone(),
            public_url: settings.public_url.clone(),
            body_limit_kb: settings.body_limit_kb,
            tls: settings.tls.clone(),
            key_grace_minutes: settings.key_grace_minutes,
        }
    }

    fn write_into(self, settings: &mut Settings) {
        settings.port = self.port;
        settings.receiver_path = self.path;
        settings.public_url = self.public_url;
        settings.body_limit_kb = self.body_limit_kb;
        settings.tls = self.tls;
        settings.key_grace_minutes = self.key_grace_minutes;
    }

    /// Whether going from `self` to `next` needs the receiver restarted.
    fn needs_restart(&self, next: &Self) -> bool {
        (self.port, &self.path, self.body_limit_kb, &self.tls) != (next.port, &next.path, next.body_limit_kb, &next.tls)
    }
}

/// Which field a receiver that would not start points at.
fn field_of(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::PortInUse | ErrorCode::BindFailed => Some("port"),
        ErrorCode::Tls => Some("tls"),
        ErrorCode::InvalidPath => Some("path"),
        _ => None,
    }
}

/// The previous API key, accepted until `until` after a replacement.
#[derive(Clone)]
pub(crate) struct PreviousKey {
    pub key: String,
    pub until: SystemTime,
}

impl Engine {
    pub async fn receiver_settings(&self) -> ReceiverSettings {
        ReceiverSettings::of(&*self.settings.lock().await)
    }

    /// Checks every field, saves them together, restarts the receiver when needed, and
    /// keeps the previous settings when it cannot start with these.
    pub async fn apply_receiver_settings(&self, next: ReceiverSettings) -> AppResult<()> {
        let next = validated(next)?;
        if next.tls != TlsChoice::Off && self.settings.lock().await.mode == Some(Mode::Demo) {
            return Err(invalid("tls", "The demo's simulator delivers over plain http: TLS is for an account."));
        }
        let before = self.receiver_settings().await;
        let restart = before.needs_restart(&next);
        self.update_settings(|s| next.clone().write_into(s)).await?;
        if !restart || self.running.lock().await.key.is_none() {
            return Ok(());
        }
        self.restart_receiver().await;
        let failed = self.running.lock().await.receiver_error.clone();
        if let Some(error) = failed {
            // All or nothing: the settings that worked, running again.
            self.update_settings(|s| before.write_into(s)).await?;
            self.restart_receiver().await;
            let field = field_of(error.code).unwrap_or("port");
            let stop = if error.message.ends_with(['.', '!', '?']) { "" } else { "." };
            let message = format!("{}{stop} The previous settings are kept.", error.message);
            return Err(AppError { message, ..error }.on_field(field));
        }
        Ok(())
    }

    /// The receiver's configuration from the settings, the current key and, within its
    /// grace period, the previous one.
    pub(crate) fn receiver_config(
        &self,
        settings: &Settings,
        key: ApiKey,
        previous: Option<&PreviousKey>,
    ) -> ReceiverConfig {
        let mut keys = KeySet::single(key);
        if let Some(previous) = previous.filter(|p| p.until > SystemTime::now()) {
            if let Some(old) = ApiKey::new(&previous.key) {
                keys = keys.with_previous(old, previous.until);
            }
        }
        let mut config = ReceiverConfig::new(keys);
        config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], settings.port));
        config.path = settings.receiver_path.clone();
        config.body_limit = settings.body_limit_kb as usize * 1024;
        config.tls = match &settings.tls {
            TlsChoice::Off => None,
            TlsChoice::SelfSigned => Some(TlsSettings::SelfSigned {
                hostnames: vec!["localhost".into(), "127.0.0.1".into()],
                cert_out: Some(self.self_signed_cert_path()),
            }),
            TlsChoice::Pem { cert, key } => Some(TlsSettings::Pem { cert: cert.into(), key: key.into() }),
        };
        config
    }

    /// Where the self-signed certificate (never its key) is written for clients to trust.
    pub fn self_signed_cert_path(&self) -> PathBuf {
        self.config_dir.join("receiver-cert.pem")
    }

    /// How long a replaced key is still accepted.
    pub(crate) async fn key_grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.settings.lock().await.key_grace_minutes) * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> ReceiverSettings {
        ReceiverSettings {
            port: 8787,
            path: "/hooks/calleague".into(),
            public_url: Some(" https://t.example ".into()),
            body_limit_kb: 1024,
            tls: TlsChoice::Off,
            key_grace_minutes: 60,
        }
    }

    #[test]
    fn each_wrong_field_is_named() {
        assert_eq!(validated(good()).unwrap().public_url.as_deref(), Some("https://t.example"));
        let field = |s: ReceiverSettings| validated(s).unwrap_err().field.unwrap();
        assert_eq!(field(ReceiverSettings { port: 80, ..good() }), "port");
        assert_eq!(field(ReceiverSettings { path: "hooks".into(), ..good() }), "path");
        assert_eq!(field(ReceiverSettings { path: "/a b".into(), ..good() }), "path");
        assert_eq!(field(ReceiverSettings { public_url: Some("http://t.example".into()), ..good() }), "publicUrl");
        assert_eq!(field(ReceiverSettings { public_url: Some("https://".into()), ..good() }), "publicUrl");
        assert_eq!(field(ReceiverSettings { body_limit_kb: 1, ..good() }), "bodyLimitKb");
        assert_eq!(field(ReceiverSettings { key_grace_minutes: 20_000, ..good() }), "keyGraceMinutes");
        let pem = |cert: &str, key: &str| ReceiverSettings {
            tls: TlsChoice::Pem { cert: cert.into(), key: key.into() },
            ..good()
        };
        assert_eq!(field(pem("", "/etc/hostname")), "tlsCert");
        assert_eq!(field(pem("/etc/hostname", "/nonexistent/key.pem")), "tlsKey");
        assert_eq!(validated(ReceiverSettings { public_url: Some("  ".into()), ..good() }).unwrap().public_url, None);
    }
}
