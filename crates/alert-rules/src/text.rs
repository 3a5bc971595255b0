//! What an alert says: values with their units, windows in words, and the text of a desktop
//! notification and of a chat message (Slack's and Mattermost's `{"text": ...}`).

use crate::rule::{AlertRule, Comparison, Metric};

/// "15 min", "2 h", "1 h 30 min".
pub fn minutes(total: u32) -> String {
    match (total / 60, total % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A value in the metric's unit: "31.2%", "9.5 s", "14".
pub fn value(metric: &Metric, value: f64) -> String {
    if metric.is_percent() {
        format!("{}%", trim(value))
    } else if metric.is_seconds() {
        format!("{} s", trim(value))
    } else {
        trim(value)
    }
}

/// One decimal at most, and never "-0".
fn trim(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// The local time of day of `at_ms`, "14:05", in the computer's zone.
pub fn clock(at_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::system()).strftime("%H:%M").to_string())
        .unwrap_or_default()
}

/// "Failure rate above 20% over 15 min (agent ag_1)".
pub fn summary(rule: &AlertRule) -> String {
    let window = minutes(rule.window_minutes);
    if rule.metric == Metric::Silence {
        return format!("No delivery for {window}");
    }
    let op = match rule.condition.op {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    let scope = rule.scope.describe().map(|s| format!(" ({s})")).unwrap_or_default();
    format!(
        "{} {op} {} over {window}{scope}",
        capitalized(&rule.metric.describe()),
        value(&rule.metric, rule.condition.threshold)
    )
}

/// A firing's facts, for its texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts<'a> {
    pub rule: &'a AlertRule,
    pub value: f64,
    pub window_from_ms: i64,
    pub window_to_ms: i64,
    /// "ag_1 (9)" lines: the top agents by failures and the top reasons in the window.
    pub top_agents: Vec<(String, i64)>,
    /// The rule's agent as shown ("Sales desk (ag_1)"), when the store has its name.
    pub agent: Option<String>,
    pub top_reasons: Vec<(String, i64)>,
}

/// "Failure rate 31.2% (above 20%) over the last 15 min"; `agent` names the rule's agent.
pub fn measured(rule: &AlertRule, value_now: f64, agent: Option<&str>) -> String {
    let window = minutes(rule.window_minutes);
    if rule.metric == Metric::Silence {
        return format!("No webhook delivery in the last {window}");
    }
    let op = match rule.condition.op {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    let what = capitalized(&rule.metric.describe());
    let scope = rule.scope.describe_named(agent).map(|s| format!(" for {s}")).unwrap_or_default();
    format!(
        "{what} {} ({op} {}) over the last {window}{scope}",
        value(&rule.metric, value_now),
        value(&rule.metric, rule.condition.threshold)
    )
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn tops(label: &str, list: &[(String, i64)]) -> Option<String> {
    (!list.is_empty()).then(|| {
        let items: Vec<String> = list.iter().map(|(key, n)| format!("{key} ({n})")).collect();
        format!("{label}: {}", items.join(", "))
    })
}

/// The chat message of a firing.
pub fn chat_firing(facts: &Facts<'_>) -> String {
    let rule = facts.rule;
    let mut lines = vec![
        format!(":rotating_light: *{}* {} is firing", rule.severity.as_str().to_uppercase(), rule.name),
        format!(
            "{}, {}–{}",
            measured(rule, facts.value, facts.agent.as_deref()),
            clock(facts.window_from_ms),
            clock(facts.window_to_ms)
        ),
    ];
    lines.extend(tops("Top agents by failures", &facts.top_agents));
    lines.extend(tops("Top reasons", &facts.top_reasons));
    lines.join("\n")
}

/// The chat message of a firing that ended.
pub fn chat_resolved(rule: &AlertRule, value_now: Option<f64>, started_ms: i64, at_ms: i64, peak: f64) -> String {
    let lasted = minutes(((at_ms - started_ms).max(0) / 60_000) as u32);
    let now = value_now.map(|v| format!(", now {}", value(&rule.metric, v))).unwrap_or_default();
    let peak =
        if rule.metric == Metric::Silence { String::new() } else { format!(", peak {}", value(&rule.metric, peak)) };
    format!(":white_check_mark: *Resolved* {}{now} (fired for {lasted}{peak})", rule.name)
}

/// A desktop notification's title and body for a firing.
pub fn desktop_firing(facts: &Facts<'_>) -> (String, String) {
    let mut body = vec![measured(facts.rule, facts.value, facts.agent.as_deref())];
    body.extend(tops("Agents", &facts.top_agents));
    body.extend(tops("Reasons", &facts.top_reasons));
    (format!("Alert: {}", facts.rule.name), body.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::starter_rules;

    #[test]
    fn values_read_in_their_units_without_a_negative_zero() {
        assert_eq!(value(&Metric::FailureRate, 31.25), "31.3%");
        assert_eq!(value(&Metric::FailureRate, -0.01), "0%");
        assert_eq!(value(&Metric::WaitP90, 9.5), "9.5 s");
        assert_eq!(value(&Metric::FailedCalls, 14.0), "14");
        assert_eq!(minutes(90), "1 h 30 min");
        assert_eq!(minutes(1440), "24 h");
    }

    #[test]
    fn a_summary_reads_as_a_sentence() {
        assert_eq!(summary(&starter_rules()[0]), "Failure rate above 20% over 15 min");
        assert_eq!(summary(&starter_rules()[1]), "No delivery for 30 min");
    }

    #[test]
    fn a_chat_message_names_the_rule_the_value_and_the_top_agents() {
        let rule = starter_rules().remove(0);
        let text = chat_firing(&Facts {
            rule: &rule,
            value: 31.25,
            window_from_ms: 0,
            window_to_ms: 900_000,
            top_agents: vec![("ag_1".into(), 9), ("ag_2".into(), 4)],
            top_reasons: vec![("no-answer".into(), 7)],
            agent: None,
        });
        assert!(text.starts_with(":rotating_light: *CRITICAL* Failure rate over 20% is firing\n"), "{text}");
        assert!(text.contains("Failure rate 31.3% (above 20%) over the last 15 min"), "{text}");
        assert!(text.contains("Top agents by failures: ag_1 (9), ag_2 (4)"), "{text}");
        assert!(text.contains("Top reasons: no-answer (7)"), "{text}");
        // A rule narrowed to an agent the store has a name for names it.
        let mut narrowed = rule.clone();
        narrowed.scope.agent_id = Some("ag_1".into());
        let (_, body) = desktop_firing(&Facts {
            rule: &narrowed,
            value: 31.25,
            window_from_ms: 0,
            window_to_ms: 900_000,
            top_agents: Vec::new(),
            top_reasons: Vec::new(),
            agent: Some("Sales desk (ag_1)".into()),
        });
        assert_eq!(body, "Failure rate 31.3% (above 20%) over the last 15 min for agent Sales desk (ag_1)");
        let resolved = chat_resolved(&rule, Some(5.0), 0, 25 * 60_000, 31.25);
        assert_eq!(
            resolved,
            ":white_check_mark: *Resolved* Failure rate over 20%, now 5% (fired for 25 min, peak 31.3%)"
        );
    }
}
