//! One error type for the UI: it crosses IPC as `{code, message}` with a stable code.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct AppError {
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<calleague_store::StoreError> for AppError {
    fn from(e: calleague_store::StoreError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<calleague_client::ClientError> for AppError {
    fn from(e: calleague_client::ClientError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<calleague_receiver::ReceiverError> for AppError {
    fn from(e: calleague_receiver::ReceiverError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<crate::keychain::KeychainError> for AppError {
    fn from(e: crate::keychain::KeychainError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
