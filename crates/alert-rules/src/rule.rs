//! A rule: a metric over a window of calls, a scope, a condition, a severity, a cooldown and
//! optional active hours; checked field by field, and the file format the Alerts page
//! exports and `calleague-receiver serve --alerts` reads.

use serde::{Deserialize, Serialize};

use crate::active::ActiveHours;
use crate::scope::Scope;
use crate::AlertRulesError;

/// The shortest and longest window a rule may look at, in minutes.
pub const MIN_WINDOW_MINUTES: u32 = 5;
pub const MAX_WINDOW_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct AlertRule {
    /// Stable across edits: what a firing is kept under. Letters, digits, `-` and `_`.
    pub id: String,
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub metric: Metric,
    #[serde(default)]
    pub scope: Scope,
    pub window_minutes: u32,
    /// Ignored by `silence`, which fires when no delivery came in the window.
    #[serde(default)]
    pub condition: Condition,
    /// A rate or share needs at least this many calls in the window before it can fire (no
    /// 100% from one call); counts ignore it.
    #[serde(default)]
    pub min_calls: u32,
    #[serde(default)]
    pub severity: Severity,
    /// A rule that fired and was notified is not notified again for this long (a flapping
    /// rule's firings are still kept).
    #[serde(default = "default_cooldown")]
    pub cooldown_minutes: u32,
    /// When set, the rule is only evaluated within these hours; outside them it is not firing.
    #[serde(default)]
    pub active: Option<ActiveHours>,
}

fn enabled() -> bool {
    true
}

fn default_cooldown() -> u32 {
    30
}

/// What a rule measures over its window. Rates and shares are in percent, times in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Metric {
    /// Failed ÷ ended calls, in percent.
    FailureRate,
    FailedCalls,
    /// Calls that started in the window (above: a spike; below: a drop).
    CallsStarted,
    /// Calls that ended with this endedReason.
    ReasonCount {
        reason: String,
    },
    /// Calls that ended with this endedReason among the calls that ended, in percent.
    ReasonShare {
        reason: String,
    },
    /// Call duration's 90th percentile, in seconds.
    DurationP90,
    /// Wait from call.started to call.connected, 90th percentile, in seconds.
    WaitP90,
    /// Calls that started in the window and have not ended.
    InProgress,
    /// Requests the receiver refused (a wrong or missing key: leaked or rotated).
    RejectedDeliveries,
    /// No webhook delivery at all for the window.
    Silence,
}

impl Metric {
    /// A rate or share, in percent.
    pub fn is_percent(&self) -> bool {
        matches!(self, Self::FailureRate | Self::ReasonShare { .. })
    }

    /// Counted only over all calls: the rollups keep these without the agent.
    pub(crate) fn all_calls_only(&self) -> bool {
        matches!(self, Self::DurationP90 | Self::WaitP90 | Self::RejectedDeliveries | Self::Silence)
    }

    /// Measured in seconds.
    pub fn is_seconds(&self) -> bool {
        matches!(self, Self::DurationP90 | Self::WaitP90)
    }

    /// What it is called in a sentence: "failure rate", "calls ended with no-answer".
    pub fn describe(&self) -> String {
        match self {
            Self::FailureRate => "failure rate".into(),
            Self::FailedCalls => "failed calls".into(),
            Self::CallsStarted => "calls started".into(),
            Self::ReasonCount { reason } => format!("calls ended with {reason}"),
            Self::ReasonShare { reason } => format!("share of calls ended with {reason}"),
            Self::DurationP90 => "call duration p90".into(),
            Self::WaitP90 => "wait to connect p90".into(),
            Self::InProgress => "calls in progress".into(),
            Self::RejectedDeliveries => "rejected deliveries".into(),
            Self::Silence => "deliveries".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub op: Comparison,
    pub threshold: f64,
}

impl Default for Condition {
    fn default() -> Self {
        Self { op: Comparison::Above, threshold: 0.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Comparison {
    Above,
    Below,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// The rules file: what the Alerts page exports and `serve --alerts` reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RulesFile {
    pub rules: Vec<AlertRule>,
}

/// The metadata fields `rules` are narrowed by, each once, with the first rule that uses it.
pub fn metadata_fields_of(rules: &[AlertRule]) -> Vec<(usize, &str)> {
    let mut fields: Vec<(usize, &str)> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Some(field) = rule.scope.metadata_field() {
            if !fields.iter().any(|(_, f)| *f == field) {
                fields.push((i, field));
            }
        }
    }
    fields
}

impl RulesFile {
    /// The metadata fields the rules are narrowed by, each once, in the rules' order: a store
    /// with rollups must count calls by them (`Store::add_dimensions`).
    pub fn metadata_fields(&self) -> Vec<String> {
        metadata_fields_of(&self.rules).into_iter().map(|(_, field)| field.to_owned()).collect()
    }

    /// Reads a rules file: `{"rules": [...]}` or a bare list; every rule checked, ids unique.
    pub fn parse(text: &str) -> Result<Self, AlertRulesError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AlertRulesError::invalid("rules", format!("The rules are not valid JSON: {e}.")))?;
        let list = match value {
            serde_json::Value::Array(_) => value,
            serde_json::Value::Object(mut map) => map
                .remove("rules")
                .ok_or_else(|| AlertRulesError::invalid("rules", "The rules file has no \"rules\" list.".to_owned()))?,
            _ => {
                return Err(AlertRulesError::invalid(
                    "rules",
                    "The rules file holds neither a list nor {\"rules\": [...]}.".into(),
                ))
            }
        };
        let serde_json::Value::Array(items) = list else {
            return Err(AlertRulesError::invalid("rules", "\"rules\" is not a list.".into()));
        };
        let mut rules = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let rule: AlertRule = serde_json::from_value(item)
                .map_err(|e| AlertRulesError::invalid(format!("rules.{index}"), format!("Rule {}: {e}.", index + 1)))?;
            rules.push(rule);
        }
        let file = Self { rules };
        file.check()?;
        Ok(file)
    }

    /// Every rule checked, and no two with one id.
    pub fn check(&self) -> Result<(), AlertRulesError> {
        for (index, rule) in self.rules.iter().enumerate() {
            rule.check().map_err(|e| e.within(&format!("rules.{index}")))?;
            if self.rules[..index].iter().any(|other| other.id == rule.id) {
                return Err(AlertRulesError::invalid(
                    format!("rules.{index}.id"),
                    format!("Two rules have the id \"{}\"; each needs its own.", rule.id),
                ));
            }
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("rules serialize")
    }
}

impl AlertRule {
    /// Whether the rule is evaluated at `at_ms`: always, or within its active hours.
    pub fn active_at(&self, at_ms: i64) -> bool {
        self.active.as_ref().is_none_or(|hours| hours.contains(at_ms))
    }

    /// Checks every field; the first refusal names its field (`windowMinutes`, …).
    pub fn check(&self) -> Result<(), AlertRulesError> {
        let invalid = |field: &str, message: String| Err(AlertRulesError::invalid(field, message));
        if self.id.is_empty()
            || self.id.len() > 64
            || !self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid("id", "An id is 1 to 64 letters, digits, '-' or '_'.".into());
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return invalid("name", "A rule needs a name of at most 120 characters.".into());
        }
        if !(MIN_WINDOW_MINUTES..=MAX_WINDOW_MINUTES).contains(&self.window_minutes) {
            return invalid(
                "windowMinutes",
                format!("The window is {MIN_WINDOW_MINUTES} minutes to 24 hours ({MAX_WINDOW_MINUTES} minutes)."),
            );
        }
        if let Metric::ReasonCount { reason } | Metric::ReasonShare { reason } = &self.metric {
            if reason.trim().is_empty() {
                return invalid("metric.reason", "Name the endedReason to count.".into());
            }
        }
        self.scope.check(self.metric.all_calls_only(), &self.metric.describe()).map_err(|e| e.within("scope"))?;
        let threshold = self.condition.threshold;
        if self.metric != Metric::Silence {
            if !threshold.is_finite() || threshold < 0.0 {
                return invalid("condition.threshold", "The threshold is a number, 0 or more.".into());
            }
            if self.metric.is_percent() && threshold > 100.0 {
                return invalid("condition.threshold", "A rate's threshold is a percentage, 0 to 100.".into());
            }
            if self.condition.op == Comparison::Below && threshold == 0.0 {
                return invalid("condition.threshold", "Nothing is below 0: the rule could never fire.".into());
            }
        }
        if self.min_calls > 1_000_000 {
            return invalid("minCalls", "At most 1,000,000 calls.".into());
        }
        if self.cooldown_minutes > 7 * 24 * 60 {
            return invalid("cooldownMinutes", "A cooldown is at most 7 days (10,080 minutes).".into());
        }
        if let Some(active) = &self.active {
            active.check().map_err(|e| e.within("active"))?;
        }
        Ok(())
    }
}

/// The rules offered on first run, off until enabled.
pub fn starter_rules() -> Vec<AlertRule> {
    use crate::active::Weekday;
    vec![
        AlertRule {
            id: "failure-rate".into(),
            name: "Failure rate over 20%".into(),
            enabled: false,
            metric: Metric::FailureRate,
            scope: Scope::default(),
            window_minutes: 15,
            condition: Condition { op: Comparison::Above, threshold: 20.0 },
            min_calls: 10,
            severity: Severity::Critical,
            cooldown_minutes: 30,
            active: None,
        },
        AlertRule {
            id: "silence-working-hours".into(),
            name: "No deliveries during working hours".into(),
            enabled: false,
            metric: Metric::Silence,
            scope: Scope::default(),
            window_minutes: 30,
            condition: Condition::default(),
            min_calls: 0,
            severity: Severity::Warning,
            cooldown_minutes: 60,
            active: Some(ActiveHours {
                days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
                from: "09:00".into(),
                to: "18:00".into(),
                time_zone: None,
            }),
        },
        AlertRule {
            id: "rejected-deliveries".into(),
            name: "Rejected deliveries: a leaked or rotated key?".into(),
            enabled: false,
            metric: Metric::RejectedDeliveries,
            scope: Scope::default(),
            window_minutes: 5,
            condition: Condition { op: Comparison::Above, threshold: 20.0 },
            min_calls: 0,
            severity: Severity::Warning,
            cooldown_minutes: 30,
            active: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> AlertRule {
        starter_rules().remove(0)
    }

    #[test]
    fn the_starter_rules_pass_their_own_checks() {
        RulesFile { rules: starter_rules() }.check().unwrap();
    }

    #[test]
    fn each_field_is_refused_by_name() {
        let refused = |change: fn(&mut AlertRule)| {
            let mut r = rule();
            change(&mut r);
            r.check().unwrap_err().field().unwrap().to_owned()
        };
        assert_eq!(refused(|r| r.id = "has space".into()), "id");
        assert_eq!(refused(|r| r.name = "  ".into()), "name");
        assert_eq!(refused(|r| r.window_minutes = 4), "windowMinutes");
        assert_eq!(refused(|r| r.window_minutes = 1441), "windowMinutes");
        assert_eq!(refused(|r| r.condition.threshold = 101.0), "condition.threshold");
        assert_eq!(refused(|r| r.condition.threshold = f64::NAN), "condition.threshold");
        assert_eq!(refused(|r| r.metric = Metric::ReasonCount { reason: " ".into() }), "metric.reason");
        assert_eq!(
            refused(|r| {
                r.metric = Metric::WaitP90;
                r.scope.agent_id = Some("ag_1".into());
            }),
            "scope.agentId"
        );
        assert_eq!(
            refused(|r| {
                r.metric = Metric::Silence;
                r.scope.language = Some("en-US".into());
            }),
            "scope.language"
        );
        assert_eq!(
            refused(|r| {
                r.scope.agent_id = Some("ag_1".into());
                r.scope.direction = Some("inbound".into());
            }),
            "scope.direction"
        );
        assert_eq!(refused(|r| r.scope.direction = Some(" ".into())), "scope.direction");
        assert_eq!(refused(|r| r.scope.metadata_value = Some("spring".into())), "scope.metadataField");
        assert_eq!(refused(|r| r.scope.metadata_field = Some("campaign".into())), "scope.metadataValue");
        assert_eq!(
            refused(|r| {
                r.scope.metadata_field = Some(" campaign".into());
                r.scope.metadata_value = Some("spring".into());
            }),
            "scope.metadataField"
        );
        assert_eq!(
            refused(|r| {
                r.scope.language = Some("en-US".into());
                r.scope.metadata_field = Some("campaign".into());
                r.scope.metadata_value = Some("spring".into());
            }),
            "scope.metadataValue"
        );
        assert_eq!(refused(|r| r.cooldown_minutes = 20_000), "cooldownMinutes");
        assert_eq!(
            refused(|r| r.active =
                Some(ActiveHours { days: vec![], from: "09:00".into(), to: "17:00".into(), time_zone: None })),
            "active.days"
        );
    }

    #[test]
    fn a_file_is_a_list_or_an_object_and_its_ids_are_unique() {
        let one = serde_json::to_string(&rule()).unwrap();
        assert_eq!(RulesFile::parse(&format!("[{one}]")).unwrap().rules.len(), 1);
        assert_eq!(RulesFile::parse(&format!("{{\"rules\": [{one}]}}")).unwrap().rules.len(), 1);
        let twice = RulesFile::parse(&format!("[{one}, {one}]")).unwrap_err();
        assert_eq!(twice.field(), Some("rules.1.id"));
        let bad = RulesFile::parse(r#"[{"id": "x", "name": "x", "metric": {"kind": "nope"}, "windowMinutes": 5}]"#);
        assert_eq!(bad.unwrap_err().field(), Some("rules.0"));
        let out_of_range = one.replace("\"windowMinutes\":15", "\"windowMinutes\":2");
        assert_eq!(RulesFile::parse(&format!("[{out_of_range}]")).unwrap_err().field(), Some("rules.0.windowMinutes"));
    }

    #[test]
    fn an_exported_file_reads_back_the_same() {
        let file = RulesFile { rules: starter_rules() };
        assert_eq!(RulesFile::parse(&file.to_json()).unwrap(), file);
    }
}
