use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub const DEFAULT_BASE_URL: &str = "https://app.calleague.ai";

/// The largest recording downloaded (over four hours of 16-bit mono WAV at 8 kHz). A link
/// that serves more is refused, and its stream cut there, instead of filling memory.
pub const DEFAULT_MAX_RECORDING_BYTES: u64 = 256 * 1024 * 1024;

/// Where each resource lives, relative to the base URL. Defaults follow docs/calleague-api.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiPaths {
    pub webhooks: String,
    pub calls: String,
    pub recordings: String,
    pub transcripts: String,
    /// The account's agents (assistants), listed and read one by one.
    pub agents: String,
}

impl Default for ApiPaths {
    fn default() -> Self {
        Self {
            webhooks: "/api/core/webhook".into(),
            calls: "/api/core/voice/agent/call".into(),
            recordings: "/api/core/recording".into(),
            transcripts: "/api/core/transcript".into(),
            agents: "/api/core/voice/agent".into(),
        }
    }
}

/// How GETs are retried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientConfig {
    pub base_url: String,
    pub paths: ApiPaths,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Page size when walking lists.
    pub page_size: u32,
    /// Recordings larger than this are refused (Content-Length first, then while streaming).
    pub max_recording_bytes: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.into(),
            paths: ApiPaths::default(),
            timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            page_size: 100,
            max_recording_bytes: DEFAULT_MAX_RECORDING_BYTES,
        }
    }
}

impl ClientConfig {
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), ..Self::default() }
    }
}

/// The API key. `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_owned();
        (!key.is_empty()).then_some(Self(key))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}
