//! A rule's value from the rollups' counts: what to ask the store for, the value over a
//! window, and whether it breaks the rule's condition.

use calleague_store::{CountsQuery, RuleCounts, SpreadKind};

use crate::rule::{AlertRule, Comparison, Metric};

pub const MINUTE_MS: i64 = 60_000;

/// What the store must count for `rule`.
pub fn query(rule: &AlertRule) -> CountsQuery {
    let mut query = CountsQuery { scope: rule.scope.calls(), ..CountsQuery::default() };
    match &rule.metric {
        Metric::ReasonCount { reason } | Metric::ReasonShare { reason } => {
            query.calls = true;
            query.reasons.insert(reason.clone());
        }
        Metric::DurationP90 => {
            query.spreads.insert(SpreadKind::Duration);
        }
        Metric::WaitP90 => {
            query.spreads.insert(SpreadKind::Wait);
        }
        Metric::RejectedDeliveries => query.rejected = true,
        Metric::Silence => query.deliveries = true,
        Metric::FailureRate | Metric::FailedCalls | Metric::CallsStarted | Metric::InProgress => query.calls = true,
    }
    query
}

/// The window a rule looks at when evaluated at `now_ms`: whole minutes, the current one
/// included, `[end − window, end)`.
pub fn window_at(rule: &AlertRule, now_ms: i64) -> (i64, i64) {
    let end = now_ms.div_euclid(MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    (end - i64::from(rule.window_minutes) * MINUTE_MS, end)
}

/// A rule's value over a window's counts. None when it cannot be told: a rate with fewer
/// calls than the rule's minimum (or none ended), a percentile of no calls.
pub fn value(rule: &AlertRule, counts: &RuleCounts) -> Option<f64> {
    let ended = counts.completed + counts.failed;
    let enough = |calls: i64| calls > 0 && calls >= i64::from(rule.min_calls);
    match &rule.metric {
        Metric::FailureRate => enough(ended).then(|| 100.0 * counts.failed as f64 / ended as f64),
        Metric::FailedCalls => Some(counts.failed as f64),
        Metric::CallsStarted => Some(counts.calls() as f64),
        Metric::ReasonCount { reason } => Some(counts.reason(reason) as f64),
        Metric::ReasonShare { reason } => enough(ended).then(|| 100.0 * counts.reason(reason) as f64 / ended as f64),
        Metric::DurationP90 => {
            percentile(SpreadKind::Duration, counts.spread(SpreadKind::Duration), 0.9, rule.min_calls)
        }
        Metric::WaitP90 => percentile(SpreadKind::Wait, counts.spread(SpreadKind::Wait), 0.9, rule.min_calls),
        Metric::InProgress => Some(counts.in_progress as f64),
        Metric::RejectedDeliveries => Some(counts.rejected as f64),
        Metric::Silence => Some(counts.deliveries as f64),
    }
}

/// Whether `value` breaks the rule. Silence: no delivery at all.
pub fn breaks(rule: &AlertRule, value: Option<f64>) -> bool {
    let Some(value) = value else { return false };
    if rule.metric == Metric::Silence {
        return value == 0.0;
    }
    match rule.condition.op {
        Comparison::Above => value > rule.condition.threshold,
        Comparison::Below => value < rule.condition.threshold,
    }
}

/// The `p` percentile of a histogram, in seconds, interpolated within the step that holds
/// it (the last, open step gives its lower edge). None below `min_calls` or with no calls.
pub fn percentile(kind: SpreadKind, steps: &[i64], p: f64, min_calls: u32) -> Option<f64> {
    let total: i64 = steps.iter().sum();
    if total == 0 || total < i64::from(min_calls) {
        return None;
    }
    let edges = kind.edges();
    let rank = p * total as f64;
    let mut below = 0i64;
    for (i, calls) in steps.iter().enumerate() {
        if *calls > 0 && (below + calls) as f64 >= rank {
            let from = edges[i] as f64;
            let Some(to) = edges.get(i + 1) else { return Some(from / 1000.0) };
            let within = ((rank - below as f64) / *calls as f64).clamp(0.0, 1.0);
            return Some((from + within * (*to as f64 - from)) / 1000.0);
        }
        below += calls;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::starter_rules;

    #[test]
    fn a_rate_needs_its_minimum_of_ended_calls() {
        let rule = starter_rules().remove(0); // failure rate over 20%, at least 10 calls
        let nine = RuleCounts { completed: 5, failed: 4, ..RuleCounts::default() };
        assert_eq!(value(&rule, &nine), None);
        assert!(!breaks(&rule, value(&rule, &nine)));
        let ten = RuleCounts { completed: 7, failed: 3, in_progress: 50, ..RuleCounts::default() };
        assert_eq!(value(&rule, &ten), Some(30.0));
        assert!(breaks(&rule, value(&rule, &ten)));
    }

    #[test]
    fn a_percentile_is_interpolated_within_its_step() {
        // Waits: 10 calls in [0, 250) ms and 10 in [7.5 s, 10 s): p90 is rank 18, the 8th
        // of the second step's 10 → 7.5 + 0.8 × 2.5 = 9.5 s.
        let mut steps = vec![0; SpreadKind::Wait.edges().len()];
        steps[0] = 10;
        let step = SpreadKind::Wait.edges().iter().position(|e| *e == 7_500).unwrap();
        steps[step] = 10;
        assert_eq!(percentile(SpreadKind::Wait, &steps, 0.9, 0), Some(9.5));
        assert_eq!(percentile(SpreadKind::Wait, &steps, 0.9, 21), None);
        // The last step has no end: its lower edge.
        let mut open = vec![0; SpreadKind::Wait.edges().len()];
        *open.last_mut().unwrap() = 3;
        assert_eq!(percentile(SpreadKind::Wait, &open, 0.9, 0), Some(120.0));
    }

    #[test]
    fn the_window_ends_with_the_current_minute() {
        let rule = starter_rules().remove(0);
        assert_eq!(window_at(&rule, 60 * MINUTE_MS + 30_000), (46 * MINUTE_MS, 61 * MINUTE_MS));
        assert_eq!(window_at(&rule, 60 * MINUTE_MS), (46 * MINUTE_MS, 61 * MINUTE_MS));
    }

    #[test]
    fn silence_is_no_delivery_whatever_the_condition() {
        let rule = starter_rules().remove(1);
        assert!(breaks(&rule, Some(0.0)));
        assert!(!breaks(&rule, Some(1.0)));
    }
}
