//! Every error the project reports has one of these codes: the store's, the REST client's,
//! the receiver's, the keychain's and the app's own. Each crate's error type maps its
//! variants here (`fn code(&self) -> ErrorCode`), the app sends `{code, message}` to the
//! UI, and the UI switches on the generated TypeScript union instead of string literals.
//!
//! A code names what happened, not where: `NotFound` is the same code whether Calleague or
//! the local store did not know the id. Codes are stable: the UI and logs depend on them,
//! so rename one only together with every reader.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// A stable, machine-readable error code (snake_case on the wire).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire and in logs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)*
                }
            }
        }
    };
}

error_codes! {
    // The store.
    /// The database file cannot be opened or created.
    StoreOpen = "store_open",
    /// The database was written by a newer version of this program.
    StoreTooNew = "store_too_new",
    /// A write could not be committed (disk full, read-only, locked): retry later.
    StoreUnavailable = "store_unavailable",
    /// The store's writer thread has stopped.
    StoreStopped = "store_stopped",
    /// SQLite reported an error on a read.
    StoreSqlite = "store_sqlite",
    /// Stored data could not be decoded.
    StoreCorrupt = "store_corrupt",
    /// An export could not be written.
    StoreExport = "store_export",
    /// Calls by this metadata field are still being counted in the background (or the
    /// field is not one of the chosen dimensions): its counts would be partial.
    DimensionNotCounted = "dimension_not_counted",
    /// The team's database address cannot be used as typed (not a connection string, a
    /// password in it).
    TeamDatabaseInvalid = "team_database_invalid",
    /// The team's database cannot be reached, refused the login, or holds no Calleague
    /// schema yet.
    TeamDatabaseUnavailable = "team_database_unavailable",

    // Calleague's REST API (or the simulator standing in for it).
    /// Calleague refused the API key (401/403).
    KeyRejected = "key_rejected",
    /// No such id, at Calleague or in the local store.
    NotFound = "not_found",
    /// Calleague refused the request as invalid (422).
    InvalidRequest = "invalid_request",
    /// Calleague asked us to slow down (429).
    RateLimited = "rate_limited",
    /// Calleague had a server error (5xx).
    ServerError = "server_error",
    /// Calleague could not be reached.
    Unreachable = "unreachable",
    /// Calleague did not answer in time.
    TimedOut = "timed_out",
    /// Calleague answered with something we cannot read.
    UnexpectedReply = "unexpected_reply",
    /// A value was refused before any request was sent.
    Validation = "validation",

    // The receiver.
    /// The receiver's port is taken by another program.
    PortInUse = "port_in_use",
    /// The receiver cannot listen on its address.
    BindFailed = "bind_failed",
    /// The TLS certificate or key cannot be used.
    Tls = "tls",
    /// The webhook path is not a valid path.
    InvalidPath = "invalid_path",

    // The keychain.
    /// No usable system keychain.
    KeychainUnavailable = "keychain_unavailable",
    /// The keychain is locked or refused access.
    KeychainLocked = "keychain_locked",
    /// The app is in account mode but the keychain holds no key.
    KeyMissing = "key_missing",

    // The app's own checks.
    /// The API key field was empty.
    KeyEmpty = "key_empty",
    /// The port is outside 1024–65535.
    PortInvalid = "port_invalid",
    /// The public address is not an https:// URL.
    PublicUrlInvalid = "public_url_invalid",
    /// A notification setting is not one the app can follow (an event name, a field).
    NotificationSettingInvalid = "notification_setting_invalid",
    /// "Start at login" could not be switched on or off.
    StartAtLoginFailed = "start_at_login_failed",
    /// A time is outside the range the app can represent.
    InvalidTime = "invalid_time",
    /// Neither an account nor the demo is active.
    NotConnected = "not_connected",
    /// The demo's simulator could not start.
    DemoFailed = "demo_failed",
    /// The settings file could not be written.
    SettingsWrite = "settings_write",
    /// A file could not be saved where the person chose.
    SaveFailed = "save_failed",
    /// The person cancelled a long task (an export); nothing was left half done.
    Cancelled = "cancelled",
    /// A setting is not one the app can use; the message and field say which and why.
    SettingInvalid = "setting_invalid",
    /// A bug or an unexpected failure inside the app.
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn the_wire_form_is_the_text_and_every_code_is_distinct() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *code);
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
        assert!(ErrorCode::ALL.len() > 30);
    }
}
