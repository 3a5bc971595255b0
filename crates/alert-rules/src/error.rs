use calleague_error_code::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum AlertRulesError {
    /// A field refused, with the sentence to show beside it (`windowMinutes`, `rules.2.id`).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The chat webhook's address refused.
    #[error("{0}")]
    ChatUrl(String),
    /// A metric the stored history cannot give (the store keeps each call's phase now).
    #[error("{0}")]
    NotForHistory(String),
    #[error(transparent)]
    Store(#[from] calleague_store::StoreError),
    /// A window's counts could not be read: every rule of that window says so.
    #[error("{message}")]
    Counts { code: ErrorCode, message: String },
}

impl AlertRulesError {
    pub(crate) fn invalid(field: impl Into<String>, message: String) -> Self {
        Self::Invalid { field: field.into(), message }
    }

    /// The refused field, when a field was refused.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The same refusal with its field under `prefix` (`active` + `days` → `active.days`).
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Self::Invalid { field, message } => Self::Invalid { field: format!("{prefix}.{field}"), message },
            other => other,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } | Self::ChatUrl(_) | Self::NotForHistory(_) => ErrorCode::Validation,
            Self::Store(e) => e.code(),
            Self::Counts { code, .. } => *code,
        }
    }
}
