//! Which calls a rule counts: all of them, or those of one agent, one direction, one
//! language or one value of a metadata field; and what the store is asked for them.

use calleague_store::{check_dimension_field, CallsScope, METADATA_PREFIX};
use serde::{Deserialize, Serialize};

use crate::AlertRulesError;

/// Which calls a rule counts: all of them, or those of one agent, one direction
/// (`inbound`, `outbound`), one language (`en-US`) or one value of a metadata field
/// (`campaign` = `spring`; a dimension the user chose, counted in the rollups): one of
/// them at most.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct Scope {
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub metadata_field: Option<String>,
    #[serde(default)]
    pub metadata_value: Option<String>,
}

impl Scope {
    /// The narrowings set, each with its field's name.
    fn narrowings(&self) -> Vec<(&'static str, &str)> {
        // A metadata field is one narrowing, named by its value (a field without one is
        // refused by `check`).
        let metadata = self.metadata_field.as_ref().map(|_| self.metadata_value.as_deref().unwrap_or_default());
        [("agentId", &self.agent_id), ("direction", &self.direction), ("language", &self.language)]
            .into_iter()
            .filter_map(|(field, value)| value.as_deref().map(|v| (field, v)))
            .chain(metadata.map(|v| ("metadataValue", v)))
            .collect()
    }

    /// What the store counts for it.
    pub fn calls(&self) -> CallsScope {
        let dimension = |dimension: &str, value: &String| CallsScope::Dimension {
            dimension: dimension.to_owned(),
            value: value.clone(),
        };
        match (&self.agent_id, &self.direction, &self.language, &self.metadata_field) {
            (Some(agent), _, _, _) => CallsScope::Agent(agent.clone()),
            (None, Some(direction), _, _) => dimension("direction", direction),
            (None, None, Some(language), _) => dimension("language", language),
            (None, None, None, Some(field)) => CallsScope::Dimension {
                dimension: format!("{METADATA_PREFIX}{field}"),
                value: self.metadata_value.clone().unwrap_or_default(),
            },
            (None, None, None, None) => CallsScope::All,
        }
    }

    /// At most one narrowing, with a value, and none for a metric kept over all calls only;
    /// a refusal names its field (`agentId`, `direction`, `language`, `metadataField`,
    /// `metadataValue`).
    /// `all_calls_only`: the rule's metric (named `metric`) is kept over all calls only.
    pub(crate) fn check(&self, all_calls_only: bool, metric: &str) -> Result<(), AlertRulesError> {
        let invalid = |field: &str, message: String| Err(AlertRulesError::invalid(field, message));
        match (&self.metadata_field, &self.metadata_value) {
            (None, Some(_)) => return invalid("metadataField", "Which metadata field the value is of.".into()),
            (Some(field), _) => {
                if let Err(message) = check_dimension_field(field) {
                    return invalid("metadataField", message);
                }
            }
            (None, None) => {}
        }
        let narrowings = self.narrowings();
        if let Some((field, _)) = narrowings.first().filter(|_| all_calls_only) {
            return invalid(field, format!("The {metric} is counted over all calls only, not for some of them."));
        }
        if let Some((field, _)) = narrowings.get(1) {
            return invalid(
                field,
                "Narrow a rule by one of agent, direction, language or a metadata field, not several.".into(),
            );
        }
        match narrowings.first() {
            Some((field, value)) if value.trim().is_empty() || value.len() > 200 => {
                invalid(field, "A value of 1 to 200 characters; leave it out for all calls.".into())
            }
            _ => Ok(()),
        }
    }

    /// "agent ag_1", "direction inbound", "campaign = spring", or None for all calls.
    pub fn describe(&self) -> Option<String> {
        self.describe_named(None)
    }

    /// [`Scope::describe`] with the agent shown as `agent` ("Sales desk (ag_1)") when given.
    pub fn describe_named(&self, agent: Option<&str>) -> Option<String> {
        self.narrowings().first().map(|(field, value)| match *field {
            "agentId" => format!("agent {}", agent.unwrap_or(value)),
            "metadataValue" => format!("{} = {value}", self.metadata_field.as_deref().unwrap_or_default()),
            _ => format!("{field} {value}"),
        })
    }

    /// The metadata field the rule is narrowed by, if any: a dimension that must be counted.
    pub fn metadata_field(&self) -> Option<&str> {
        self.metadata_field.as_deref()
    }
}
