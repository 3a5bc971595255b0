use calleague_error_code::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// A target's field refused, with the sentence to show beside it.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("There is no delivery {0} in the store (pruned, or never received).")]
    NoDelivery(i64),
    #[error(transparent)]
    Store(#[from] calleague_store::StoreError),
}

impl ForwardError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::Validation,
            Self::NoDelivery(_) => ErrorCode::NotFound,
            Self::Store(e) => e.code(),
        }
    }
}
