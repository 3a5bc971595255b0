use calleague_error_code::ErrorCode;
use std::time::Duration;

/// Everything that can go wrong talking to Calleague, in words a person can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error("Calleague rejected the API key ({status}): {message}")]
    KeyRejected { status: u16, message: String },
    #[error("not found: {message}")]
    NotFound { message: String },
    #[error("Calleague refused the request: {message}")]
    Invalid { message: String },
    #[error("rate limited by Calleague{}", retry_after.map(|d| format!("; retry in {} s", d.as_secs().max(1))).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration>, message: String },
    #[error("Calleague had a server error ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("cannot reach Calleague at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("Calleague did not answer in time ({url})")]
    TimedOut { url: String },
    #[error("unexpected reply from Calleague: {what}")]
    Unexpected { what: String },
    #[error("{field}: {message}")]
    Validation { field: &'static str, message: String },
}

impl ClientError {
    /// A stable code for the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::KeyRejected { .. } => ErrorCode::KeyRejected,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Invalid { .. } => ErrorCode::InvalidRequest,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Server { .. } => ErrorCode::ServerError,
            Self::Unreachable { .. } => ErrorCode::Unreachable,
            Self::TimedOut { .. } => ErrorCode::TimedOut,
            Self::Unexpected { .. } => ErrorCode::UnexpectedReply,
            Self::Validation { .. } => ErrorCode::Validation,
        }
    }

    /// Worth another try of an idempotent request.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Unreachable { .. } | Self::TimedOut { .. }
        )
    }
}
