//! A rule tried against the stored history before it is saved: its value at every minute of
//! a span and the firings evaluation would have made, from one read of the rollups' minute
//! rows and a sliding window over them. Each minute is evaluated as the live runner would
//! evaluate it at that minute's start (same window, same active hours, same tracker).

use std::collections::VecDeque;

use calleague_store::{AlertLog, RuleCounts};
use serde::Serialize;

use crate::metric::{self, MINUTE_MS};
use crate::rule::{AlertRule, Metric};
use crate::tracker::{Change, Tracker};
use crate::AlertRulesError;

/// One firing the rule would have made.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct PreviewFiring {
    pub started_ms: i64,
    /// None when still firing at the span's end.
    pub resolved_ms: Option<i64>,
    pub peak: f64,
    /// False when the cooldown would have held its notice back.
    pub notified: bool,
}

/// The rule's value over a span, a point a minute, and its firings.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct Preview {
    pub from_ms: i64,
    pub to_ms: i64,
    /// `(minute, value)`, the value None where it could not be told or outside active hours.
    pub points: Vec<(i64, Option<f64>)>,
    pub firings: Vec<PreviewFiring>,
}

impl Preview {
    /// Firings that would have been notified.
    pub fn notified(&self) -> usize {
        self.firings.iter().filter(|f| f.notified).count()
    }
}

/// The rule over `[from_ms, to_ms)` (whole minutes), as evaluation would have seen it.
pub async fn preview(
    store: &dyn AlertLog,
    rule: &AlertRule,
    from_ms: i64,
    to_ms: i64,
) -> Result<Preview, AlertRulesError> {
    if rule.metric == Metric::InProgress {
        return Err(AlertRulesError::NotForHistory(
            "Calls in progress cannot be tried against the past: the store keeps each call's phase now, not then."
                .into(),
        ));
    }
    rule.check()?;
    let from = from_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
    let to = to_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
    let window = i64::from(rule.window_minutes) * MINUTE_MS;
    // Everything any evaluation in the span looks at: the first window starts before `from`.
    let minutes = store.rule_minutes(from + MINUTE_MS - window, to, metric::query(rule)).await?;
    let mut rows = minutes.into_iter().peekable();
    let mut inside: VecDeque<(i64, RuleCounts)> = VecDeque::new();
    let mut sum = RuleCounts::default();
    let mut tracker = Tracker::default();
    let mut points = Vec::with_capacity(((to - from) / MINUTE_MS).max(0) as usize);
    let mut firings: Vec<PreviewFiring> = Vec::new();
    let mut at = from;
    while at < to {
        let (start, end) = metric::window_at(rule, at);
        while let Some((minute, _)) = rows.peek() {
            if *minute >= end {
                break;
            }
            let (minute, counts) = rows.next().expect("peeked");
            if minute >= start {
                sum.add(&counts);
                inside.push_back((minute, counts));
            }
        }
        while inside.front().is_some_and(|(minute, _)| *minute < start) {
            let (_, counts) = inside.pop_front().expect("checked");
            sum.subtract(&counts);
        }
        let active = rule.active_at(at);
        let value = active.then(|| metric::value(rule, &sum)).flatten();
        let breaking = active && metric::breaks(rule, value);
        match tracker.step(rule, at, breaking) {
            Change::Fired { notify } => firings.push(PreviewFiring {
                started_ms: at,
                resolved_ms: None,
                peak: value.unwrap_or(0.0),
                notified: notify,
            }),
            Change::StillFiring => {
                if let (Some(last), Some(value)) = (firings.last_mut(), value) {
                    last.peak = peak(rule, last.peak, value);
                }
            }
            Change::Resolved { .. } => {
                if let Some(last) = firings.last_mut() {
                    last.resolved_ms = Some(at);
                }
            }
            Change::Ok => {}
        }
        points.push((at, value));
        at += MINUTE_MS;
    }
    Ok(Preview { from_ms: from, to_ms: to, points, firings })
}

/// The worst value of a firing: the highest for "above", the lowest for "below".
pub fn peak(rule: &AlertRule, so_far: f64, now: f64) -> f64 {
    match (rule.metric == Metric::Silence, rule.condition.op) {
        (true, _) => so_far.min(now),
        (false, crate::rule::Comparison::Above) => so_far.max(now),
        (false, crate::rule::Comparison::Below) => so_far.min(now),
    }
}
