use calleague_error_code::ErrorCode;

/// Errors of the store. `Unavailable` is what the receiver turns into a 503: the delivery
/// was not committed and Calleague should retry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the database is newer than this program (schema version {found}, this program knows up to {known})")]
    TooNew { found: i64, known: i64 },
    #[error("the store could not commit: {0}")]
    Unavailable(String),
    #[error("the store's writer has stopped")]
    WriterStopped,
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("export failed: {0}")]
    Export(String),
    #[error("the export was cancelled")]
    Cancelled,
    #[error("{0}")]
    InvalidRange(String),
    #[error("{0}")]
    InvalidDimensions(String),
    #[error("{0}")]
    DimensionNotCounted(String),
}

impl StoreError {
    /// A stable code for logs and the UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Open { .. } => ErrorCode::StoreOpen,
            Self::TooNew { .. } => ErrorCode::StoreTooNew,
            Self::Unavailable(_) => ErrorCode::StoreUnavailable,
            Self::WriterStopped => ErrorCode::StoreStopped,
            Self::Sqlite(_) => ErrorCode::StoreSqlite,
            Self::Corrupt(_) => ErrorCode::StoreCorrupt,
            Self::Export(_) => ErrorCode::StoreExport,
            Self::Cancelled => ErrorCode::Cancelled,
            Self::InvalidRange(_) => ErrorCode::InvalidTime,
            Self::InvalidDimensions(_) => ErrorCode::SettingInvalid,
            Self::DimensionNotCounted(_) => ErrorCode::DimensionNotCounted,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
