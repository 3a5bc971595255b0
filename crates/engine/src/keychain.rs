//! The API key in the OS keychain (Secret Service on Linux) and nowhere else.
//!
//! [`Keychain`] is the small interface the engine needs; [`OsKeychain`] is the real one
//! (the `keyring` crate). Its calls block (D-Bus round trips), so the engine runs them on
//! the blocking pool. When no usable keychain exists the app says so; it never falls back
//! to a file. [`MemoryKeychain`] stands in only in fast tests.

use calleague_error_code::ErrorCode;

const SERVICE: &str = "calleague-monitor";

/// What the keychain holds: the key, and the address it may be sent to. The address lives
/// beside the key, not in the settings file, so that editing that file cannot send the key
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    ApiKey,
    ApiBase,
    /// Team mode: the database's address (never with its password) ...
    TeamDatabase,
    /// ... and the read-only role's password, beside it for the same reason as the key's address.
    TeamPassword,
    /// Team mode: the account's API key for recordings and transcripts, and its address,
    /// apart from an account mode's key (leaving team mode removes these, not that).
    TeamApiKey,
    TeamApiBase,
    /// The chat webhook alert rules post to: whoever has its address can post.
    AlertChatWebhook,
}

impl Entry {
    fn name(self) -> &'static str {
        match self {
            Self::ApiKey => "api-key",
            Self::ApiBase => "api-base",
            Self::TeamDatabase => "team-database",
            Self::TeamPassword => "team-password",
            Self::TeamApiKey => "team-api-key",
            Self::TeamApiBase => "team-api-base",
            Self::AlertChatWebhook => "alert-chat-webhook",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    #[error("No usable keychain: {0}. Calleague Monitor keeps the API key only in the system keychain (on Linux: a Secret Service such as GNOME Keyring or KWallet). Install or start one, then try again.")]
    Unavailable(String),
    #[error(
        "The keychain is locked or refused access: {0}. Unlock it (log in to your desktop session) and try again."
    )]
    Locked(String),
}

impl KeychainError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable(_) => ErrorCode::KeychainUnavailable,
            Self::Locked(_) => ErrorCode::KeychainLocked,
        }
    }
}

/// Where the API key (and its address) rest between runs. Blocking calls.
pub trait Keychain: Send + Sync + 'static {
    /// The stored value, if any. A locked keychain can read as "no entry", so callers say so.
    fn load(&self, entry: Entry) -> Result<Option<String>, KeychainError>;
    /// Stores the value and reads it back: a keychain that silently dropped it is not usable.
    fn save(&self, entry: Entry, value: &str) -> Result<(), KeychainError>;
    /// Removes the value; removing one that is not there is not an error.
    fn remove(&self, entry: Entry) -> Result<(), KeychainError>;
}

/// The system keychain, through `keyring`.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeychain;

impl OsKeychain {
    fn entry(entry: Entry) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(SERVICE, entry.name()).map_err(classify)
    }
}

fn classify(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(inner) => KeychainError::Locked(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        other => KeychainError::Unavailable(other.to_string()),
    }
}

impl Keychain for OsKeychain {
    fn load(&self, entry: Entry) -> Result<Option<String>, KeychainError> {
        match Self::entry(entry)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn save(&self, entry: Entry, value: &str) -> Result<(), KeychainError> {
        Self::entry(entry)?.set_password(value).map_err(classify)?;
        match Self::entry(entry)?.get_password() {
            Ok(back) if back == value => Ok(()),
            Ok(_) => Err(KeychainError::Unavailable("the value read back differs from the one stored".into())),
            Err(e) => Err(classify(e)),
        }
    }

    fn remove(&self, entry: Entry) -> Result<(), KeychainError> {
        match Self::entry(entry)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

/// A keychain in memory, for fast tests only: the app never uses it, and it must never
/// hold a real key (that would be the plaintext fallback the app refuses to have).
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    values: std::sync::Mutex<std::collections::HashMap<Entry, String>>,
    /// When set, every call fails with this error (a locked or missing keychain).
    pub failure: std::sync::Mutex<Option<KeychainError>>,
}

impl MemoryKeychain {
    fn check(&self) -> Result<(), KeychainError> {
        match self.failure.lock().ok().and_then(|f| f.clone()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Keychain for MemoryKeychain {
    fn load(&self, entry: Entry) -> Result<Option<String>, KeychainError> {
        self.check()?;
        Ok(self.values.lock().ok().and_then(|v| v.get(&entry).cloned()))
    }

    fn save(&self, entry: Entry, value: &str) -> Result<(), KeychainError> {
        self.check()?;
        if let Ok(mut v) = self.values.lock() {
            v.insert(entry, value.to_owned());
        }
        Ok(())
    }

    fn remove(&self, entry: Entry) -> Result<(), KeychainError> {
        self.check()?;
        if let Ok(mut v) = self.values.lock() {
            v.remove(&entry);
        }
        Ok(())
    }
}

/// `••••••…ab12`: enough to tell keys apart, never enough to use one.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "•".repeat(chars.len().max(4));
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}…{tail}", "•".repeat(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_only_the_last_four() {
        assert_eq!(mask("sk_live_1234567890abcd"), "••••••…abcd");
        assert_eq!(mask("short"), "•••••");
        assert!(!mask("sk_live_1234567890abcd").contains("live"));
    }
}
