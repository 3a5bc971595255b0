//! Which calls a rule counts: all of them, or those of one agent, one direction or one
//! language; and what the store is asked for them.

use calleague_store::CallsScope;
use serde::{Deserialize, Serialize};

use crate::rule::Metric;
use crate::AlertRulesError;

/// Which calls a rule counts: all of them, or those of one agent, one direction
/// (`inbound`, `outbound`) or one language (`en-US`): one of the three at most.
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
}

impl Scope {
    /// The narrowings set, each with its field's name.
    fn narrowings(&self) -> Vec<(&'static str, &str)> {
        [("agentId", &self.agent_id), ("direction", &self.direction), ("language", &self.language)]
            .into_iter()
            .filter_map(|(field, value)| value.as_deref().map(|v| (field, v)))
            .collect()
    }

    /// What the store counts for it.
    pub fn calls(&self) -> CallsScope {
        let dimension = |dimension: &str, value: &String| CallsScope::Dimension {
            dimension: dimension.to_owned(),
            value: value.clone(),
        };
        match (&self.agent_id, &self.direction, &self.language) {
            (Some(agent), _, _) => CallsScope::Agent(agent.clone()),
            (None, Some(direction), _) => dimension("direction", direction),
            (None, None, Some(language)) => dimension("language", language),
            (None, None, None) => CallsScope::All,
        }
    }

    /// At most one narrowing, with a value, and none for a metric kept over all calls only;
    /// a refusal names its field (`agentId`, `direction`, `language`).
    pub(crate) fn check(&self, metric: &Metric) -> Result<(), AlertRulesError> {
        let narrowings = self.narrowings();
        let invalid = |field: &str, message: String| Err(AlertRulesError::invalid(field, message));
        if let Some((field, _)) = narrowings.first().filter(|_| metric.all_calls_only()) {
            return invalid(
                field,
                format!("The {} is counted over all calls only, not for some of them.", metric.describe()),
            );
        }
        if let Some((field, _)) = narrowings.get(1) {
            return invalid(field, "Narrow a rule by one of agent, direction or language, not several.".into());
        }
        match narrowings.first() {
            Some((field, value)) if value.trim().is_empty() || value.len() > 200 => {
                invalid(field, "A value of 1 to 200 characters; leave it out for all calls.".into())
            }
            _ => Ok(()),
        }
    }

    /// "agent ag_1", "direction inbound", or None for all calls.
    pub fn describe(&self) -> Option<String> {
        self.narrowings().first().map(|(field, value)| {
            let what = if *field == "agentId" { "agent" } else { field };
            format!("{what} {value}")
        })
    }
}
