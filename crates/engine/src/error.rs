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
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
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
    calleague_client::ClientError,
    calleague_receiver::ReceiverError,
    calleague_catchup::CatchUpError,
    crate::keychain::KeychainError,
);

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
}
