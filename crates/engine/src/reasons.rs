//! Settings → Reasons: what each endedReason means (the shipped table with the user's own
//! entries over it), and the reasons found in calls that have no entry yet, to categorise.
//! The overview's failures by category and a call's explanation read the same table.

use calleague_error_code::ErrorCode;
use calleague_reasons::{ReasonEntry, ReasonTable};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::Engine;

/// One reason as Settings shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReasonRow {
    #[serde(flatten)]
    pub entry: ReasonEntry,
    /// The user's own entry (replacing a default, or a code of their own).
    pub custom: bool,
    /// A shipped default exists for the code (a custom entry can be reset to it).
    pub has_default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ReasonsView {
    pub entries: Vec<ReasonRow>,
    /// Reasons stored calls ended with that have no entry, in code order.
    pub unknown: Vec<String>,
}

impl Engine {
    /// The table and the reasons seen without an entry (from the database the window watches).
    pub async fn reasons_view(&self) -> AppResult<ReasonsView> {
        let custom = self.settings.lock().await.reasons.clone();
        let table = ReasonTable::with(&custom);
        let seen = self.reader().facets().await?.ended_reasons;
        let unknown = seen.into_iter().filter(|reason| table.get(reason).is_none()).collect();
        let entries = table
            .entries()
            .map(|(entry, custom)| ReasonRow {
                entry: entry.clone(),
                custom,
                has_default: ReasonTable::has_default(&entry.reason),
            })
            .collect();
        Ok(ReasonsView { entries, unknown })
    }

    /// Keeps the user's entry for a reason (replacing theirs or the default); refused by
    /// field (`reason`, `explanation`) with nothing saved.
    pub async fn set_reason(&self, entry: ReasonEntry) -> AppResult<ReasonsView> {
        let entry = entry
            .checked()
            .map_err(|refusal| AppError::new(ErrorCode::SettingInvalid, refusal.message).on_field(refusal.field))?;
        self.update_settings(|s| {
            s.reasons.retain(|mine| mine.reason != entry.reason);
            s.reasons.push(entry);
            s.reasons.sort_by(|a, b| a.reason.cmp(&b.reason));
        })
        .await?;
        self.reasons_view().await
    }

    /// Drops the user's entry for `reason`: its default (if any) applies again.
    pub async fn reset_reason(&self, reason: String) -> AppResult<ReasonsView> {
        let mine = self.settings.lock().await.reasons.iter().any(|e| e.reason == reason);
        if !mine {
            return Err(AppError::new(ErrorCode::SettingInvalid, format!("{reason} has no entry of yours to reset."))
                .on_field("reason"));
        }
        self.update_settings(|s| s.reasons.retain(|e| e.reason != reason)).await?;
        self.reasons_view().await
    }
}
