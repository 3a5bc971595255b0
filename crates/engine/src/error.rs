//! One error type for everything the UI sees: `{code, message}`, the code from the one
//! list of [`ErrorCode`]s that every crate's errors map to.

use calleague_error_code::ErrorCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    /// In words a person can act on; never holds the API key.
    pub message: String,
    /// The form field the error concerns, when it concerns one (`url`, `events`, `port`…),
    /// so that a form shows it next to that field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// The same error, attached to a form field.
    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Each crate's error knows its code; its text is the message.
macro_rules! from_coded {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                Self::new(e.code(), e.to_string())
            }
        })*
    };
}

from_coded!(
    calleague_store::StoreError,
    calleague_receiver::ReceiverError,
    calleague_catchup::CatchUpError,
    crate::keychain::KeychainError,
);

/// A client error keeps the field it concerns: the client's own checks name it, and the
/// API's 422 messages start with it ("url must be https").
impl From<calleague_client::ClientError> for AppError {
    fn from(e: calleague_client::ClientError) -> Self {
        use calleague_client::ClientError;
        let field = match &e {
            ClientError::Validation { field, .. } => Some(field.to_string()),
            ClientError::Invalid { message } => ["url", "events"]
                .into_iter()
                .find(|f| message.strip_prefix(f).is_some_and(|rest| rest.starts_with([' ', ':'])))
                .map(str::to_owned),
            _ => None,
        };
        // The field goes beside the message (the form shows it by that field): not in it.
        let message = match &e {
            ClientError::Validation { message, .. } => sentence(message),
            other => other.to_string(),
        };
        Self { code: e.code(), message, field }
    }
}

/// "the address must start with https://" as a sentence: capitalized, with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_ipc_as_code_and_message() {
        let e: AppError = calleague_client::ClientError::NotFound { message: "no call cl_1".into() }.into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "not_found", "message": "not found: no call cl_1"})
        );
    }

    #[test]
    fn names_the_field_a_client_error_concerns() {
        use calleague_client::ClientError;
        let refused: AppError = ClientError::Invalid { message: "url host does not resolve".into() }.into();
        assert_eq!(refused.field.as_deref(), Some("url"));
        assert_eq!(serde_json::to_value(&refused).unwrap()["field"], "url");
        let checked: AppError = ClientError::Validation { field: "events", message: "choose one".into() }.into();
        assert_eq!(checked.field.as_deref(), Some("events"));
        assert_eq!(checked.message, "Choose one.", "the field beside the message, not in it");
        let other: AppError = ClientError::Invalid { message: "urls are fine".into() }.into();
        assert_eq!(other.field, None);
    }
}
