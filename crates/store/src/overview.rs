//! The overview of a time range, read from the rollups (see rollup.rs): whole hours from the
//! hour rows, the partial hours at either end from the minute rows, so that a range of a
//! week costs a few thousand rows however many calls it holds.

use std::collections::BTreeMap;
use std::time::Duration;

use calleague_events::Timestamp;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use calleague_events::CallPhase;

use crate::concurrency::{read_in_progress_edges, InProgressSpan, PeakCounter};
use crate::model::{phase_text, CallRow};
use crate::ranges::{pieces, HOUR_MS, MINUTE_MS};
use crate::rollup::{Contribution, Measure};
use crate::{Result, Store, StoreError};

/// Ranges up to this long are charted per minute, longer ones per hour.
const MINUTE_BARS_UP_TO_MS: i64 = 6 * HOUR_MS;
/// A pause between two runs of the receiver shorter than this is a restart, not a gap.
pub const GAP_MIN_MS: i64 = 15_000;

/// Calls by outcome: `in_progress` is started or connected (or nothing known yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Outcomes {
    pub calls: i64,
    pub completed: i64,
    pub failed: i64,
    pub in_progress: i64,
}

impl Outcomes {
    pub(crate) fn add(&mut self, phase: &str, calls: i64) {
        self.calls += calls;
        match phase {
            "completed" => self.completed += calls,
            "failed" => self.failed += calls,
            _ => self.in_progress += calls,
        }
    }

    /// Failed among the calls that ended; none when no call ended.
    pub fn failure_rate(&self) -> Option<f64> {
        let ended = self.completed + self.failed;
        (ended > 0).then(|| self.failed as f64 / ended as f64)
    }
}

/// One bar of the chart: the calls whose place on the timeline is in `[at, at + span)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct OverviewBar {
    pub at: Timestamp,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    /// The most calls in progress at once during the bar, minute by minute (a call counts in
    /// every minute it was in progress; stale ones do not: concurrency.rs); none for a bar
    /// still to come.
    pub peak_in_progress: Option<i64>,
}

/// Calls that share an endedReason or an agent. `key` is none for calls without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub key: Option<String>,
    pub calls: i64,
    pub failed: i64,
}

/// One step of a histogram, `[from_ms, to_ms)`; the last has no end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct SpreadStep {
    pub from_ms: i64,
    pub to_ms: Option<i64>,
    pub calls: i64,
}

/// A histogram with its percentiles, each given as the step that holds it (nearest rank).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct Spread {
    pub steps: Vec<SpreadStep>,
    pub count: i64,
    pub p50: Option<SpreadStep>,
    pub p90: Option<SpreadStep>,
    pub p99: Option<SpreadStep>,
}

/// A time the receiver was not running, and whether catch-up read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct DowntimeGap {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The calls catch-up merged for this gap; none when it was not caught up.
    pub caught_up_calls: Option<i64>,
}

/// How deliveries went: received in the range (webhook and catch-up), repeats of them,
/// late ones, requests refused, bodies quarantined, and the receiver's downtime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct WebhookHealth {
    pub webhooks: i64,
    pub duplicates: i64,
    pub late: i64,
    pub caught_up: i64,
    /// Steps the REST source read while running (REST-only polling, reconciliation): what
    /// webhooks did not bring.
    pub from_rest: i64,
    pub rejected: i64,
    pub quarantined: i64,
    pub gaps: Vec<DowntimeGap>,
}

/// Everything the Overview page shows for `[from, to)`, both in whole minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct Overview {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The bars' width: 60,000 (a minute) or 3,600,000 (an hour).
    pub bar_ms: i64,
    pub bars: Vec<OverviewBar>,
    pub totals: Outcomes,
    pub failure_rate: Option<f64>,
    /// The period of the same length just before.
    pub previous: Outcomes,
    pub previous_failure_rate: Option<f64>,
    /// By endedReason, most calls first; ended calls without a reason under `key: null`.
    pub reasons: Vec<Tally>,
    /// Agents with failed calls, most failures first.
    pub failures_by_agent: Vec<Tally>,
    pub duration: Spread,
    /// From call.started to call.connected.
    pub wait: Spread,
    pub health: WebhookHealth,
}

/// `[from, to)` in whole minutes, both rounded down; refused when empty (`what` names the
/// range in the message). The Overview, the Agents page and a breakdown read ranges so.
pub(crate) fn minute_range(from: Timestamp, to: Timestamp, what: &str) -> Result<(i64, i64)> {
    let (from, to) = (floor_minute(from), floor_minute(to));
    if to <= from {
        return Err(StoreError::InvalidRange(format!("{what} must end after it starts")));
    }
    Ok((from, to))
}

/// The bars' width for `[from, to)`: a minute up to six hours, an hour beyond.
pub(crate) fn bar_ms_for(from: i64, to: i64) -> i64 {
    if to - from <= MINUTE_BARS_UP_TO_MS {
        MINUTE_MS
    } else {
        HOUR_MS
    }
}

fn floor_minute(t: Timestamp) -> i64 {
    t.unix_millis().div_euclid(MINUTE_MS) * MINUTE_MS
}

pub(crate) fn timestamp(ms: i64) -> Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// The overview of `[from, to)`, both rounded down to whole minutes; a call not ended
    /// after `longest_call` is stale.
    pub fn overview(&self, from: Timestamp, to: Timestamp, longest_call: Duration) -> Result<Overview> {
        let counter = OverviewCounter::new(from, to, longest_call)?;
        self.with_reader(|conn| read_overview(conn, counter))
    }
}

/// The overview's numbers as they are counted, then [`OverviewCounter::finish`]ed into an
/// [`Overview`]: SQLite counts them from its rollups, PostgreSQL from the calls and
/// deliveries themselves. One way to add them up, so both show the same page.
#[derive(Debug)]
pub struct OverviewCounter {
    from: i64,
    to: i64,
    bar_ms: i64,
    bars: BTreeMap<i64, Outcomes>,
    totals: Outcomes,
    previous: Outcomes,
    reasons: BTreeMap<Option<String>, Tally>,
    agents: BTreeMap<Option<String>, Tally>,
    /// Calls per histogram step, as in `Measure::edges`.
    duration: Vec<i64>,
    wait: Vec<i64>,
    /// Calls in progress, for the bars' peaks.
    in_progress: PeakCounter,
    /// Filled in by the store: deliveries in the range, refusals, quarantine, downtime.
    pub health: WebhookHealth,
}

impl OverviewCounter {
    /// For `[from, to)`, both rounded down to whole minutes; an empty range is refused. A
    /// call not ended after `longest_call` is stale, not in progress.
    pub fn new(from: Timestamp, to: Timestamp, longest_call: Duration) -> Result<Self> {
        let (from, to) = minute_range(from, to, "the overview's range")?;
        let bar_ms = bar_ms_for(from, to);
        Ok(Self {
            from,
            to,
            bar_ms,
            in_progress: PeakCounter::new(from, to, bar_ms, longest_call.as_millis() as i64),
            bars: BTreeMap::new(),
            totals: Outcomes::default(),
            previous: Outcomes::default(),
            reasons: BTreeMap::new(),
            agents: BTreeMap::new(),
            duration: vec![0; Measure::Duration.edges().len()],
            wait: vec![0; Measure::Wait.edges().len()],
            health: WebhookHealth::default(),
        })
    }

    /// The range in Unix milliseconds, whole minutes: `[from, to)`.
    pub fn range_ms(&self) -> (i64, i64) {
        (self.from, self.to)
    }

    /// The period of the same length just before, compared against.
    pub fn previous_range_ms(&self) -> (i64, i64) {
        (self.from - (self.to - self.from), self.from)
    }

    /// From when calls can have been in progress in the range: ended calls that ended in it
    /// or after it, and calls not ended that started since this (older ones are stale).
    pub fn in_progress_from_ms(&self) -> i64 {
        self.in_progress.kept_from()
    }

    /// A call that may have been in progress in the range (see [`Self::in_progress_from_ms`]).
    pub fn add_in_progress(&mut self, span: &InProgressSpan) {
        self.in_progress.add_call(span);
    }

    /// A call whose place on the timeline is in the range.
    pub fn add_call(&mut self, call: &CallRow) {
        let c = Contribution::of(&call.record, call.sort_ms, &Default::default());
        self.count_calls(c.minute_ms, c.phase, &c.ended_reason, &c.agent_id, 1);
        for (measure, value) in [(Measure::Duration, c.duration_ms), (Measure::Wait, c.wait_ms)] {
            if let Some(value) = value {
                self.count_spread(measure, measure.step(value), 1);
            }
        }
    }

    /// `calls` calls of the period before, by their phase.
    pub fn add_previous_calls(&mut self, phase: Option<CallPhase>, calls: i64) {
        self.previous.add(phase_text(phase).unwrap_or(""), calls);
    }

    /// `calls` calls at `at_ms` (a minute, or an hour for hour bars) with these keys
    /// (empty for none).
    fn count_calls(&mut self, at_ms: i64, phase: &str, reason: &str, agent: &str, calls: i64) {
        self.totals.add(phase, calls);
        self.bars.entry(at_ms.div_euclid(self.bar_ms) * self.bar_ms).or_default().add(phase, calls);
        tally_reason(&mut self.reasons, phase, reason, calls);
        let failed = if phase == "failed" { calls } else { 0 };
        if failed > 0 {
            let key = (!agent.is_empty()).then(|| agent.to_owned());
            let tally = self.agents.entry(key.clone()).or_insert(Tally { key, calls: 0, failed: 0 });
            tally.calls += calls;
            tally.failed += failed;
        }
    }

    fn count_spread(&mut self, measure: Measure, step: i64, calls: i64) {
        let counts = match measure {
            Measure::Duration => &mut self.duration,
            Measure::Wait => &mut self.wait,
        };
        if let Some(count) = counts.get_mut(step as usize) {
            *count += calls;
        }
    }

    pub fn finish(mut self) -> Result<Overview> {
        let mut bars = Vec::new();
        let mut at = self.from.div_euclid(self.bar_ms) * self.bar_ms;
        let mut peaks = self.in_progress.finish(Timestamp::now().unix_millis()).into_iter();
        while at < self.to {
            bars.push(OverviewBar {
                at: timestamp(at)?,
                outcomes: self.bars.remove(&at).unwrap_or_default(),
                peak_in_progress: peaks.next().flatten(),
            });
            at += self.bar_ms;
        }
        let reasons = by_calls(self.reasons);
        let mut failures_by_agent: Vec<Tally> = self.agents.into_values().collect();
        failures_by_agent.sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.key.cmp(&b.key)));
        Ok(Overview {
            from: timestamp(self.from)?,
            to: timestamp(self.to)?,
            bar_ms: self.bar_ms,
            bars,
            failure_rate: self.totals.failure_rate(),
            totals: self.totals,
            previous_failure_rate: self.previous.failure_rate(),
            previous: self.previous,
            reasons,
            failures_by_agent,
            duration: spread(Measure::Duration, &self.duration),
            wait: spread(Measure::Wait, &self.wait),
            health: self.health,
        })
    }
}

/// Counts `calls` calls of `phase` under their endedReason: every call with one, and ended
/// calls without one under `None`.
pub(crate) fn tally_reason(reasons: &mut BTreeMap<Option<String>, Tally>, phase: &str, reason: &str, calls: i64) {
    let ended = phase == "completed" || phase == "failed";
    if reason.is_empty() && !ended {
        return;
    }
    let key = (!reason.is_empty()).then(|| reason.to_owned());
    let tally = reasons.entry(key.clone()).or_insert(Tally { key, calls: 0, failed: 0 });
    tally.calls += calls;
    tally.failed += if phase == "failed" { calls } else { 0 };
}

/// Tallies most calls first, then by key.
pub(crate) fn by_calls(reasons: BTreeMap<Option<String>, Tally>) -> Vec<Tally> {
    let mut reasons: Vec<Tally> = reasons.into_values().collect();
    reasons.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
    reasons
}

fn read_overview(conn: &Connection, mut counter: OverviewCounter) -> Result<Overview> {
    let (from, to) = counter.range_ms();
    // Minute bars need minute rows throughout; hour bars take hours where they can.
    let read = if counter.bar_ms == MINUTE_MS { vec![(MINUTE_MS, from, to)] } else { pieces(from, to) };
    for (span, start, end) in read {
        let mut stmt = conn.prepare_cached(
            "SELECT at_ms, phase, ended_reason, agent_id, calls FROM overview_calls
             WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
        )?;
        let rows = stmt.query_map(params![span, start, end], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get(4)?))
        })?;
        for row in rows {
            let (at, phase, reason, agent, calls): (i64, String, String, String, i64) = row?;
            counter.count_calls(at, &phase, &reason, &agent, calls);
        }
    }
    let (before, _) = counter.previous_range_ms();
    for (span, start, end) in pieces(before, from) {
        let mut stmt = conn.prepare_cached(
            "SELECT phase, sum(calls) FROM overview_calls WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY phase",
        )?;
        let rows = stmt.query_map(params![span, start, end], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (phase, calls) = row?;
            counter.previous.add(&phase, calls);
        }
    }
    for measure in [Measure::Duration, Measure::Wait] {
        for (span, start, end) in pieces(from, to) {
            let mut stmt = conn.prepare_cached(
                "SELECT step, sum(calls) FROM overview_spread
                 WHERE span = ?1 AND measure = ?2 AND at_ms >= ?3 AND at_ms < ?4 GROUP BY step",
            )?;
            let rows =
                stmt.query_map(params![span, measure as i64, start, end], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?;
            for row in rows {
                let (step, calls): (i64, i64) = row?;
                counter.count_spread(measure, step, calls);
            }
        }
    }
    read_in_progress_edges(conn, &mut counter.in_progress)?;
    counter.health = read_health(conn, from, to)?;
    counter.finish()
}

/// A histogram from its steps' counts, with its percentiles.
pub(crate) fn spread(measure: Measure, counts: &[i64]) -> Spread {
    let edges = measure.edges();
    let steps: Vec<SpreadStep> = edges
        .iter()
        .enumerate()
        .map(|(i, from_ms)| SpreadStep { from_ms: *from_ms, to_ms: edges.get(i + 1).copied(), calls: counts[i] })
        .collect();
    let count = counts.iter().sum();
    let percentile = |p: f64| -> Option<SpreadStep> {
        if count == 0 {
            return None;
        }
        // Nearest rank: the smallest value with at least p of the calls at or below it.
        let rank = ((p * count as f64).ceil() as i64).max(1);
        let mut seen = 0;
        steps
            .iter()
            .find(|step| {
                seen += step.calls;
                seen >= rank
            })
            .copied()
    };
    Spread { p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), steps, count }
}

fn read_health(conn: &Connection, from: i64, to: i64) -> Result<WebhookHealth> {
    let mut health = WebhookHealth::default();
    for (span, start, end) in pieces(from, to) {
        let (webhooks, duplicates, late, caught_up, from_rest): (i64, i64, i64, i64, i64) = conn
            .prepare_cached(
                "SELECT coalesce(sum(webhooks), 0), coalesce(sum(duplicates), 0), coalesce(sum(late), 0),
                        coalesce(sum(caught_up), 0), coalesce(sum(from_rest), 0)
                 FROM overview_deliveries WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
            )?
            .query_row(params![span, start, end], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        health.webhooks += webhooks;
        health.duplicates += duplicates;
        health.late += late;
        health.caught_up += caught_up;
        health.from_rest += from_rest;
    }
    // The security log keeps one row per source, reason and minute, and only the newest.
    health.rejected = conn
        .prepare_cached("SELECT coalesce(sum(count), 0) FROM security_log WHERE minute >= ?1 AND minute < ?2")?
        .query_row(params![from / MINUTE_MS, to / MINUTE_MS], |r| r.get(0))?;
    health.quarantined = conn
        .prepare_cached("SELECT count(*) FROM quarantine WHERE received_at >= ?1 AND received_at < ?2")?
        .query_row(params![timestamp(from)?.to_string(), timestamp(to)?.to_string()], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT prev.last_beat_ms, next.started_ms,
                (SELECT sum(c.calls_merged) FROM catchup_windows c
                  WHERE c.from_ms <= prev.last_beat_ms AND c.to_ms >= next.started_ms)
         FROM uptime next
         JOIN uptime prev ON prev.id = (SELECT max(id) FROM uptime WHERE id < next.id)
         WHERE next.started_ms - prev.last_beat_ms > ?1 AND next.started_ms > ?2 AND prev.last_beat_ms < ?3
         ORDER BY next.id",
    )?;
    let rows = stmt.query_map(params![GAP_MIN_MS, from, to], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?))
    })?;
    for row in rows {
        let (gap_from, gap_to, caught_up_calls) = row?;
        health.gaps.push(DowntimeGap { from: timestamp(gap_from)?, to: timestamp(gap_to)?, caught_up_calls });
    }
    Ok(health)
}
