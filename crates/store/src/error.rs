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
}

impl StoreError {
    /// A stable code for logs and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open { .. } => "store_open",
            Self::TooNew { .. } => "store_too_new",
            Self::Unavailable(_) => "store_unavailable",
            Self::WriterStopped => "store_stopped",
            Self::Sqlite(_) => "store_sqlite",
            Self::Corrupt(_) => "store_corrupt",
            Self::Export(_) => "store_export",
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
