//! The API key in the OS keychain (Secret Service on Linux) and nowhere else.
//!
//! keyring's calls block (D-Bus round trips), so they run on the blocking pool. When no
//! usable keychain exists the app says so; it never falls back to a file.

const SERVICE: &str = "calleague-monitor";
const ACCOUNT: &str = "api-key";

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
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "keychain_unavailable",
            Self::Locked(_) => "keychain_locked",
        }
    }
}

fn classify(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(inner) => KeychainError::Locked(inner.to_string()),
        keyring::Error::PlatformFailure(inner) => KeychainError::Unavailable(inner.to_string()),
        other => KeychainError::Unavailable(other.to_string()),
    }
}

fn entry() -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(SERVICE, ACCOUNT).map_err(classify)
}

/// The stored key, if any. A locked keychain can read as "no entry", so callers say so.
pub async fn load() -> Result<Option<String>, KeychainError> {
    run(|| match entry()?.get_password() {
        Ok(key) => Ok(Some(key)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(classify(e)),
    })
    .await
}

pub async fn save(key: String) -> Result<(), KeychainError> {
    run(move || {
        entry()?.set_password(&key).map_err(classify)?;
        // Read it back: a keychain that silently dropped it is not usable.
        match entry()?.get_password() {
            Ok(back) if back == key => Ok(()),
            Ok(_) => Err(KeychainError::Unavailable("the key read back differs from the key stored".into())),
            Err(e) => Err(classify(e)),
        }
    })
    .await
}

pub async fn remove() -> Result<(), KeychainError> {
    run(|| match entry()?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(classify(e)),
    })
    .await
}

async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, KeychainError> + Send + 'static,
) -> Result<T, KeychainError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| KeychainError::Unavailable(e.to_string()))?
}

/// `sk_live_…ab12`: enough to tell keys apart, never enough to use one.
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
