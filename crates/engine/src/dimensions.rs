//! Settings → Data's dimensions: the metadata fields calls are counted by (at most five),
//! the fields seen in stored calls to choose from, and how far a new field's count has got.
//! An alert rule narrowed by a metadata field needs its field counted: saving such a rule
//! chooses the field (`alert_rules.rs`), and a field a rule uses cannot be dropped.
//! In team mode the team's fields are shown, read from its database: they are chosen there
//! for the fleet by a receiver's operator (`calleague-receiver dimensions`), and PostgreSQL
//! reads a field from the calls themselves, so each is ready at once.

use calleague_alert_rules::{metadata_fields_of, AlertRule};
use calleague_error_code::ErrorCode;
use calleague_store::{check_dimension_field, DimensionStatus, SeenField, StoreError, MAX_DIMENSIONS};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::settings::Mode;
use crate::Engine;

/// How many of the newest calls are looked at for the fields seen.
const SEEN_SAMPLE: u32 = 5_000;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DimensionsView {
    /// The fields chosen, in order, each with its count's progress.
    pub chosen: Vec<DimensionStatus>,
    /// Top-level metadata fields of the newest calls, most common first.
    pub seen: Vec<SeenField>,
    pub most: u32,
    /// Team mode: the team's fields, chosen for the fleet by a receiver's operator; not
    /// chosen here.
    pub team: bool,
}

fn refused(field: impl Into<String>, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::SettingInvalid, message).on_field(field)
}

/// The fields a person typed, trimmed and checked: `fields.2` names a refused one.
fn checked(fields: Vec<String>) -> AppResult<Vec<String>> {
    if fields.len() > MAX_DIMENSIONS {
        return Err(refused(
            "fields",
            format!("At most {MAX_DIMENSIONS} fields: each one adds to what every call costs."),
        ));
    }
    let fields: Vec<String> = fields.into_iter().map(|f| f.trim().to_owned()).collect();
    for (i, field) in fields.iter().enumerate() {
        check_dimension_field(field).map_err(|message| refused(format!("fields.{i}"), message))?;
        if fields[..i].contains(field) {
            return Err(refused(format!("fields.{i}"), format!("{field} is chosen already.")));
        }
    }
    Ok(fields)
}

impl Engine {
    /// Settings → Data's dimensions.
    pub async fn dimensions_view(&self) -> AppResult<DimensionsView> {
        let reader = self.reader();
        Ok(DimensionsView {
            chosen: reader.dimensions().await?,
            seen: reader.metadata_fields_seen(SEEN_SAMPLE).await?,
            most: MAX_DIMENSIONS as u32,
            team: self.settings.lock().await.mode == Some(Mode::Team),
        })
    }

    /// Chooses the fields calls are counted by; a new one is counted in the background. A
    /// field an alert rule is narrowed by stays.
    pub async fn set_dimensions(&self, fields: Vec<String>) -> AppResult<DimensionsView> {
        self.not_in_team_mode().await?;
        let fields = checked(fields)?;
        let rules = self.settings.lock().await.alert_rules.rules.clone();
        if let Some((i, field)) = metadata_fields_of(&rules).into_iter().find(|(_, f)| !fields.iter().any(|c| c == f)) {
            return Err(refused(
                "fields",
                format!(
                    "The alert rule “{}” is narrowed by {field}: change that rule before you drop it.",
                    rules[i].name
                ),
            ));
        }
        self.store().set_dimensions(fields).await?;
        self.dimensions_view().await
    }

    /// Adds the fields `rules` are narrowed by to the chosen ones (saving a rule chooses its
    /// field); refused by the rule's field when there is no room.
    pub(crate) async fn choose_fields_of(&self, rules: &[AlertRule]) -> AppResult<()> {
        if self.settings.lock().await.mode == Some(Mode::Team) {
            return Ok(());
        }
        let needed = metadata_fields_of(rules);
        let fields: Vec<String> = needed.iter().map(|(_, field)| (*field).to_owned()).collect();
        match self.store().add_dimensions(&fields).await {
            Ok(_) => Ok(()),
            // Said beside the first rule whose field is not counted yet.
            Err(StoreError::InvalidDimensions(message)) => {
                let chosen: Vec<String> = self.store().dimensions()?.into_iter().map(|d| d.field).collect();
                let first = needed.iter().find(|(_, field)| !chosen.iter().any(|c| c == field)).map_or(0, |(i, _)| *i);
                Err(refused(format!("rules.{first}.scope.metadataField"), message))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn not_in_team_mode(&self) -> AppResult<()> {
        if self.settings.lock().await.mode == Some(Mode::Team) {
            return Err(AppError::new(
                ErrorCode::SettingInvalid,
                "In team mode the team's dimensions are chosen for every window by a receiver's operator: calleague-receiver dimensions --database … FIELD…",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_trimmed_and_refused_by_their_place() {
        assert_eq!(checked(vec![" campaign ".into(), "tier".into()]).unwrap(), ["campaign", "tier"]);
        assert_eq!(checked(vec!["a".into(), "".into()]).unwrap_err().field.as_deref(), Some("fields.1"));
        assert_eq!(checked(vec!["a".into(), "a ".into()]).unwrap_err().field.as_deref(), Some("fields.1"));
        let six = (0..6).map(|n| format!("f{n}")).collect();
        assert_eq!(checked(six).unwrap_err().field.as_deref(), Some("fields"));
    }
}
