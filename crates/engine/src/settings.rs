//! Settings the user can change, in a JSON file in the app's config folder. Never a secret.

use std::path::{Path, PathBuf};
use std::time::Duration;

use calleague_alert_rules::AlertRule;
use calleague_alerts::AlertSettings;

use crate::retention::Retention;
use serde::{Deserialize, Serialize};

/// Light or dark, or as the desktop says (the default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// How the user came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// An account's API key is in the keychain; deliveries come from Calleague.
    Account,
    /// The built-in simulator plays calls; nothing leaves the machine.
    Demo,
    /// A team's PostgreSQL database, written by receivers on servers, watched read-only.
    Team,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub port: u16,
    pub api_base_url: String,
    /// The tunnel's https address that Calleague delivers to.
    pub public_url: Option<String>,
    /// None before onboarding.
    pub mode: Option<Mode>,
    /// The longest a call may last, in hours: catch-up looks this far back for calls that
    /// ended while the app was closed.
    pub longest_call_hours: f64,
    /// Desktop notifications for failed calls.
    pub notifications: AlertSettings,
    /// Start the app (in the background) when the user logs in. Off by default.
    pub start_at_login: bool,
    /// The window's colours (Settings → Appearance).
    pub theme: Theme,
    /// The "still receiving in the background" note was shown once, the first time the
    /// window was closed.
    pub background_notice_shown: bool,
    /// The path deliveries are accepted on.
    pub receiver_path: String,
    /// The largest delivery body accepted, in KiB.
    pub body_limit_kb: u32,
    pub tls: TlsChoice,
    /// How long a replaced API key is still accepted, in minutes.
    pub key_grace_minutes: u32,
    /// How much history the database keeps.
    pub retention: Retention,
    /// Team mode: when this desktop last watched the team's database (Unix ms), so that
    /// the failures after it are summarized once when it watches again.
    pub team_watched_until_ms: Option<i64>,
    /// Team mode: the user ticked "Connect without encryption" for a database on another
    /// computer (sslmode=disable).
    pub team_allow_plaintext: bool,
    /// The REST API as a second source (docs/sources.md).
    pub sources: SourceSettings,
    /// Where deliveries are forwarded to (docs/forwarding.md).
    pub forwarding: crate::forwarding_settings::ForwardingSettings,
    /// Alert rules and the chat webhook's host (docs/alerts.md).
    pub alert_rules: AlertRulesSettings,
    /// The user's own endedReason entries, over the shipped table (docs/reasons.md).
    pub reasons: Vec<calleague_reasons::ReasonEntry>,
}

/// How the calls list is read beside webhooks, or instead of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct SourceSettings {
    /// REST only (no subscription points here): seconds between reads, at least 5; 0
    /// never reads without webhooks (a tunnel the app does not know of delivers anyway).
    pub poll_every_secs: u32,
    /// Beside webhooks: minutes between reconciliations; 0 turns them off.
    pub reconcile_every_minutes: u32,
    /// At most this many REST requests in any minute, for catch-up and the source
    /// together; at least 1.
    pub requests_per_minute: u32,
}

impl Default for SourceSettings {
    fn default() -> Self {
        Self { poll_every_secs: 15, reconcile_every_minutes: 5, requests_per_minute: 12 }
    }
}

impl SourceSettings {
    pub fn poll_every(&self) -> Duration {
        Duration::from_secs(u64::from(self.poll_every_secs.max(5)))
    }

    pub fn reconcile_every(&self) -> Duration {
        Duration::from_secs(u64::from(self.reconcile_every_minutes) * 60)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            port: 8787,
            api_base_url: calleague_client::DEFAULT_BASE_URL.into(),
            public_url: None,
            mode: None,
            longest_call_hours: calleague_catchup::DEFAULT_LONGEST_CALL.as_secs_f64() / 3600.0,
            notifications: AlertSettings::default(),
            start_at_login: false,
            theme: Theme::System,
            background_notice_shown: false,
            receiver_path: calleague_receiver::DEFAULT_PATH.into(),
            body_limit_kb: (calleague_receiver::DEFAULT_BODY_LIMIT / 1024) as u32,
            tls: TlsChoice::Off,
            key_grace_minutes: 60,
            retention: Retention::default(),
            team_watched_until_ms: None,
            team_allow_plaintext: false,
            sources: SourceSettings::default(),
            forwarding: Default::default(),
            alert_rules: Default::default(),
            reasons: Vec::new(),
        }
    }
}

/// The rules as kept with the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertRulesSettings {
    pub rules: Vec<AlertRule>,
    /// The chat webhook's host, for the page (its address is in the keychain).
    pub chat_host: Option<String>,
}

impl Default for AlertRulesSettings {
    fn default() -> Self {
        Self { rules: calleague_alert_rules::starter_rules(), chat_host: None }
    }
}

impl Settings {
    /// `longest_call_hours` as a duration, within a week; the default when it is not a number.
    pub fn longest_call(&self) -> Duration {
        Duration::try_from_secs_f64(self.longest_call_hours.clamp(0.0, 7.0 * 24.0) * 3600.0)
            .unwrap_or(calleague_catchup::DEFAULT_LONGEST_CALL)
    }
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("settings.json")
}

/// The saved settings; the defaults when there are none or the file cannot be read.
pub fn load(config_dir: &Path) -> Settings {
    let bytes = match std::fs::read(path(config_dir)) {
        Ok(bytes) => bytes,
        Err(_) => return Settings::default(),
    };
    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the settings file cannot be read; using the defaults");
        Settings::default()
    })
}

/// Written beside the file and renamed into place: whole or not at all. The folder, when
/// this creates it, and the file are the owner's only.
pub fn save(config_dir: &Path, settings: &Settings) -> std::io::Result<()> {
    use std::io::Write;
    let mut dir = std::fs::DirBuilder::new();
    dir.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(config_dir)?;
    let tmp = config_dir.join("settings.json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(settings)?)?;
    file.sync_all()?;
    std::fs::rename(tmp, path(config_dir))
}

/// Makes the app's own folder (its data or config folder) the owner's only, creating it if
/// needed. Only for folders the app owns: never one the user named for something else.
pub fn own_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// How the receiver speaks to its clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TlsChoice {
    /// Plain http on loopback: a tunnel terminates TLS. The default.
    #[default]
    Off,
    /// A certificate generated at each start; its PEM is written beside the settings so a
    /// client can be told to trust it.
    SelfSigned,
    /// A certificate chain and its private key, in PEM files.
    Pem { cert: String, key: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_read_back_and_keep_the_mode_names_of_earlier_versions() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Settings::default());
        let settings = Settings { port: 9000, mode: Some(Mode::Demo), ..Settings::default() };
        save(dir.path(), &settings).unwrap();
        assert_eq!(load(dir.path()), settings);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let nested = dir.path().join("a/b");
            save(&nested, &settings).unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&nested), 0o700);
            assert_eq!(mode(&path(&nested)), 0o600);
        }
        assert_eq!(
            Settings { longest_call_hours: 2.0, ..Settings::default() }.longest_call(),
            Duration::from_secs(7200)
        );
        assert_eq!(
            Settings { longest_call_hours: f64::NAN, ..Settings::default() }.longest_call(),
            calleague_catchup::DEFAULT_LONGEST_CALL
        );
        // Earlier versions wrote the mode as a plain string.
        std::fs::write(path(dir.path()), r#"{"port": 8788, "mode": "account"}"#).unwrap();
        assert_eq!(load(dir.path()).mode, Some(Mode::Account));
    }
}
