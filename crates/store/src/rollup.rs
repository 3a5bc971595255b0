//! The overview's rollups (migration 0010): each call counted once in the minute and the
//! hour of its place on the timeline, by phase, endedReason and agent, with histograms of
//! durations and waits; each delivery in the minute and hour it was received. And by
//! dimension (migration 0016): each call once per dimension, by the value it has; by agent
//! (0019, and by agent and dimension in 0020); and its start and end (`in_progress_edges`,
//! 0020: concurrency.rs).
//!
//! The projection computes what a call contributed before and after each event, and the
//! difference goes into a [`Rollup`] applied at the end of its transaction: a burst of
//! deliveries into the same minute costs a few upserts, not a few per delivery. Pruning
//! subtracts what it removes; a database from before the rollups is counted on open.

use std::borrow::Cow;
use std::collections::HashMap;

use calleague_events::CallRecord;
use rusqlite::{params, Connection, ToSql};

use crate::concurrency::{Edges, InProgressSpan};
use crate::model::phase_text;
use crate::ranges::{HOUR_MS, MINUTE_MS, SPANS_WITH_DAYS};
use crate::rows::{call_row, CALL_COLUMNS};
use crate::tracked::Tracked;
use crate::Result;

/// Both levels are kept: a range reads whole hours from the hour rows and its partial
/// hours at either end from the minute rows.
const SPANS: &[i64] = &[MINUTE_MS, HOUR_MS];

/// The histograms' bucket edges, in milliseconds. A value `v` is in step `i` when
/// `edges[i] <= v < edges[i + 1]`; the last step is open-ended, negative values go to 0.
pub const DURATION_EDGES_MS: &[i64] = &[
    0, 5_000, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000, 90_000, 120_000, 180_000, 240_000, 300_000, 450_000,
    600_000, 900_000, 1_200_000, 1_800_000, 2_700_000, 3_600_000,
];
pub const WAIT_EDGES_MS: &[i64] = &[
    0, 250, 500, 750, 1_000, 1_500, 2_000, 3_000, 4_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000,
    120_000,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Measure {
    Duration = 0,
    Wait = 1,
}

impl Measure {
    pub(crate) fn edges(self) -> &'static [i64] {
        match self {
            Self::Duration => DURATION_EDGES_MS,
            Self::Wait => WAIT_EDGES_MS,
        }
    }

    /// The histogram step `value_ms` falls in.
    pub(crate) fn step(self, value_ms: i64) -> i64 {
        let edges = self.edges();
        (edges.partition_point(|edge| *edge <= value_ms).max(1) - 1) as i64
    }
}

/// What one call adds to the rollups.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contribution {
    pub(crate) minute_ms: i64,
    pub(crate) phase: &'static str,
    pub(crate) ended_reason: String,
    pub(crate) agent_id: String,
    /// Its value of each of [`DIMENSIONS`] ('' for none), then of each metadata field the
    /// user chose that is counted for it (`dimensions.rs`).
    pub(crate) dimensions: Vec<(Cow<'static, str>, String)>,
    pub(crate) duration_ms: Option<i64>,
    pub(crate) wait_ms: Option<i64>,
    /// When it was in progress (the overview chart's peaks).
    pub(crate) span: Option<InProgressSpan>,
}

impl Contribution {
    /// `sort_ms` is the call's place on the timeline, its earliest `occurredAt`; `tracked`
    /// the metadata fields counted (none for a store without rollups).
    pub(crate) fn of(record: &CallRecord, sort_ms: i64, tracked: &Tracked) -> Self {
        Self {
            minute_ms: sort_ms.div_euclid(MINUTE_MS) * MINUTE_MS,
            phase: phase_text(record.phase).unwrap_or(""),
            ended_reason: record.ended_reason.clone().unwrap_or_default(),
            agent_id: record.agent_id.clone().unwrap_or_default(),
            dimensions: [
                (Cow::Borrowed(DIMENSIONS[0]), record.direction.clone().unwrap_or_default()),
                (Cow::Borrowed(DIMENSIONS[1]), record.language.clone().unwrap_or_default()),
            ]
            .into_iter()
            .chain(tracked.values(record))
            .collect(),
            duration_ms: record.duration_sec.filter(|d| d.is_finite()).map(|d| (d * 1000.0).round() as i64),
            wait_ms: match (record.started_at, record.connected_at) {
                (Some(started), Some(connected)) => Some(connected.unix_millis() - started.unix_millis()),
                _ => None,
            },
            span: InProgressSpan::of(record, sort_ms),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DeliveryCounts {
    pub webhooks: i64,
    pub duplicates: i64,
    pub late: i64,
    pub caught_up: i64,
    /// Read by the REST source while running.
    pub from_rest: i64,
}

impl DeliveryCounts {
    /// One delivery's counts by where it came from.
    pub fn of_source(source: crate::Source) -> Self {
        Self {
            webhooks: i64::from(source == crate::Source::Webhook),
            caught_up: i64::from(source == crate::Source::Catchup),
            from_rest: i64::from(source == crate::Source::Rest),
            ..Self::default()
        }
    }

    fn add(&mut self, other: DeliveryCounts, sign: i64) {
        self.webhooks += sign * other.webhooks;
        self.duplicates += sign * other.duplicates;
        self.late += sign * other.late;
        self.caught_up += sign * other.caught_up;
        self.from_rest += sign * other.from_rest;
    }

    fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// The dimensions calls are counted by, besides the agent (`overview_dimensions`).
pub const DIMENSIONS: [&str; 2] = ["direction", "language"];

type CallKey = (i64, &'static str, String, String);
/// Minute, dimension, value, phase, endedReason.
type DimensionKey = (i64, Cow<'static, str>, String, &'static str, String);
/// Minute, dimension, agent, value, phase.
type AgentDimensionKey = (i64, Cow<'static, str>, String, String, &'static str);

/// Changes to the rollups, collected over a transaction and written by [`Rollup::apply`].
#[derive(Debug, Default)]
pub(crate) struct Rollup {
    calls: HashMap<CallKey, i64>,
    dimensions: HashMap<DimensionKey, i64>,
    spread: HashMap<(i64, Measure, i64), i64>,
    /// Minute, agent, measure, step: each agent's histograms (the Agents page).
    agent_spread: HashMap<(i64, String, Measure, i64), i64>,
    /// Minute, agent: each agent's calls (the Agents page's chart).
    agent_calls: HashMap<(i64, String), i64>,
    /// Each agent's calls by a dimension's value (the Agents page grouped by it).
    agent_dimensions: HashMap<AgentDimensionKey, i64>,
    /// Calls starting and ending, by minute (the calls in progress over time).
    edges: HashMap<i64, Edges>,
    deliveries: HashMap<i64, DeliveryCounts>,
}

impl Rollup {
    /// A call that contributed `before` (nothing if new) now contributes `after`.
    pub(crate) fn call_changed(&mut self, before: Option<&Contribution>, after: &Contribution) {
        if before == Some(after) {
            return;
        }
        if let Some(before) = before {
            self.add_call(before, -1);
        }
        self.add_call(after, 1);
    }

    pub(crate) fn add_call(&mut self, call: &Contribution, sign: i64) {
        let key = (call.minute_ms, call.phase, call.ended_reason.clone(), call.agent_id.clone());
        *self.calls.entry(key).or_default() += sign;
        *self.agent_calls.entry((call.minute_ms, call.agent_id.clone())).or_default() += sign;
        for (dimension, value) in &call.dimensions {
            self.add_dimension(call, dimension.clone(), value.clone(), sign);
        }
        for (measure, value) in [(Measure::Duration, call.duration_ms), (Measure::Wait, call.wait_ms)] {
            if let Some(value) = value {
                let step = measure.step(value);
                *self.spread.entry((call.minute_ms, measure, step)).or_default() += sign;
                *self.agent_spread.entry((call.minute_ms, call.agent_id.clone(), measure, step)).or_default() += sign;
            }
        }
        if let Some(span) = &call.span {
            for (minute, edges) in Edges::of(span) {
                self.edges.entry(minute).or_default().add(edges, sign);
            }
        }
    }

    /// The call counted by one dimension's value only (a background count, `dimensions.rs`).
    pub(crate) fn add_dimension(
        &mut self,
        call: &Contribution,
        dimension: Cow<'static, str>,
        value: String,
        sign: i64,
    ) {
        let key = (call.minute_ms, dimension.clone(), call.agent_id.clone(), value.clone(), call.phase);
        *self.agent_dimensions.entry(key).or_default() += sign;
        let key = (call.minute_ms, dimension, value, call.phase, call.ended_reason.clone());
        *self.dimensions.entry(key).or_default() += sign;
    }

    /// Deliveries received at `received_ms`.
    pub(crate) fn add_deliveries(&mut self, received_ms: i64, counts: DeliveryCounts, sign: i64) {
        let minute = received_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        self.deliveries.entry(minute).or_default().add(counts, sign);
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.calls.is_empty()
            && self.dimensions.is_empty()
            && self.spread.is_empty()
            && self.agent_spread.is_empty()
            && self.agent_calls.is_empty()
            && self.agent_dimensions.is_empty()
            && self.edges.is_empty()
            && self.deliveries.is_empty()
    }

    /// Writes the changes, at both levels, and drops rows that count nothing any more.
    pub(crate) fn apply(&mut self, conn: &Connection) -> Result<()> {
        for ((minute, phase, reason, agent), delta) in self.calls.drain() {
            add_to_row(conn, &CALLS_ROW, minute, &[&phase, &reason, &agent], delta)?;
        }
        for ((minute, dimension, value, phase, reason), delta) in self.dimensions.drain() {
            add_to_row(conn, &DIMENSIONS_ROW, minute, &[&dimension, &value, &phase, &reason], delta)?;
        }
        for ((minute, measure, step), delta) in self.spread.drain() {
            add_to_row(conn, &SPREAD_ROW, minute, &[&(measure as i64), &step], delta)?;
        }
        for ((minute, agent), delta) in self.agent_calls.drain() {
            add_to_row(conn, &AGENT_CALLS_ROW, minute, &[&agent], delta)?;
        }
        for ((minute, agent, measure, step), delta) in self.agent_spread.drain() {
            add_to_row(conn, &AGENT_SPREAD_ROW, minute, &[&agent, &(measure as i64), &step], delta)?;
        }
        for ((minute, dimension, agent, value, phase), delta) in self.agent_dimensions.drain() {
            add_to_row(conn, &AGENT_DIMENSIONS_ROW, minute, &[&dimension, &agent, &value, &phase], delta)?;
        }
        for (minute, edges) in self.edges.drain() {
            if edges.is_zero() {
                continue;
            }
            for span in SPANS_WITH_DAYS {
                let at = minute.div_euclid(*span) * span;
                let args = params![span, at, edges.started, edges.ended, edges.open];
                conn.prepare_cached(
                    "INSERT INTO in_progress_edges (span, at_ms, started, ended, open) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO UPDATE SET started = started + excluded.started, ended = ended + excluded.ended,
                        open = open + excluded.open",
                )?
                .execute(args)?;
                if edges.started >= 0 && edges.ended >= 0 && edges.open >= 0 {
                    continue;
                }
                conn.prepare_cached(
                    "DELETE FROM in_progress_edges WHERE span = ?1 AND at_ms = ?2
                       AND started = 0 AND ended = 0 AND open = 0",
                )?
                .execute(params![span, at])?;
            }
        }
        for (minute, counts) in self.deliveries.drain() {
            if counts.is_zero() {
                continue;
            }
            for span in SPANS {
                let at = minute.div_euclid(*span) * span;
                conn.prepare_cached(
                    "INSERT INTO overview_deliveries (span, at_ms, webhooks, duplicates, late, caught_up, from_rest)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT DO UPDATE SET webhooks = webhooks + excluded.webhooks,
                        duplicates = duplicates + excluded.duplicates, late = late + excluded.late,
                        caught_up = caught_up + excluded.caught_up, from_rest = from_rest + excluded.from_rest",
                )?
                .execute(params![
                    span,
                    at,
                    counts.webhooks,
                    counts.duplicates,
                    counts.late,
                    counts.caught_up,
                    counts.from_rest
                ])?;
            }
        }
        Ok(())
    }
}

/// How a counting table of calls is written: `?1` the span, `?2` the bucket, then the key,
/// and last (in `add` only) the calls to add.
struct CountingRow {
    /// The levels kept.
    spans: &'static [i64],
    add: &'static str,
    /// Drops the key's row once it counts no call.
    drop_empty: &'static str,
}

const CALLS_ROW: CountingRow = CountingRow {
    spans: SPANS_WITH_DAYS,
    add:
        "INSERT INTO overview_calls (span, at_ms, phase, ended_reason, agent_id, calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM overview_calls WHERE span = ?1 AND at_ms = ?2 AND phase = ?3 AND ended_reason = ?4
                   AND agent_id = ?5 AND calls = 0",
};

const DIMENSIONS_ROW: CountingRow = CountingRow {
    spans: SPANS,
    add: "INSERT INTO overview_dimensions (span, at_ms, dimension, value, phase, ended_reason, calls)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM overview_dimensions WHERE span = ?1 AND at_ms = ?2 AND dimension = ?3 AND value = ?4
                   AND phase = ?5 AND ended_reason = ?6 AND calls = 0",
};

const SPREAD_ROW: CountingRow = CountingRow {
    spans: SPANS,
    add: "INSERT INTO overview_spread (span, at_ms, measure, step, calls) VALUES (?1, ?2, ?3, ?4, ?5)
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM overview_spread WHERE span = ?1 AND at_ms = ?2 AND measure = ?3 AND step = ?4
                   AND calls = 0",
};

const AGENT_SPREAD_ROW: CountingRow = CountingRow {
    spans: SPANS_WITH_DAYS,
    add: "INSERT INTO agent_spread (span, at_ms, agent_id, measure, step, calls) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM agent_spread WHERE span = ?1 AND at_ms = ?2 AND agent_id = ?3 AND measure = ?4
                   AND step = ?5 AND calls = 0",
};

const AGENT_CALLS_ROW: CountingRow = CountingRow {
    spans: SPANS,
    add: "INSERT INTO agent_calls (span, at_ms, agent_id, calls) VALUES (?1, ?2, ?3, ?4)
          ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM agent_calls WHERE span = ?1 AND at_ms = ?2 AND agent_id = ?3 AND calls = 0",
};

const AGENT_DIMENSIONS_ROW: CountingRow = CountingRow {
    spans: SPANS_WITH_DAYS,
    add: "INSERT INTO agent_dimensions (span, at_ms, dimension, agent_id, value, phase, calls)
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
    drop_empty: "DELETE FROM agent_dimensions WHERE span = ?1 AND at_ms = ?2 AND dimension = ?3 AND agent_id = ?4
                   AND value = ?5 AND phase = ?6 AND calls = 0",
};

/// Adds `delta` calls to a key's row at each of its levels (the minute's and the hour's).
fn add_to_row(conn: &Connection, row: &CountingRow, minute: i64, key: &[&dyn ToSql], delta: i64) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    for span in row.spans {
        let at = minute.div_euclid(*span) * span;
        let mut args: Vec<&dyn ToSql> = vec![span, &at];
        args.extend_from_slice(key);
        args.push(&delta);
        conn.prepare_cached(row.add)?.execute(args.as_slice())?;
        if delta < 0 {
            conn.prepare_cached(row.drop_empty)?.execute(&args[..args.len() - 1])?;
        }
    }
    Ok(())
}

/// Subtracts, before pruning deletes them, the calls in `prune_calls` and the deliveries in
/// `prune_deliveries` (pruning's temporary tables).
pub(crate) fn subtract_pruned(conn: &Connection) -> Result<()> {
    let mut rollup = Rollup::default();
    let tracked = Tracked::load(conn)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE call_id IN (SELECT call_id FROM prune_calls)"
    ))?;
    for row in stmt.query_map([], call_row)? {
        let row = row?;
        rollup.add_call(&Contribution::of(&row.record, row.sort_ms, &tracked), -1);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT d.received_ms, d.source, d.attempts, coalesce(e.late, 0) FROM deliveries d
         LEFT JOIN events e ON e.id = d.id WHERE d.id IN (SELECT id FROM prune_deliveries)",
    )?;
    for row in stmt.query_map([], delivery_counts)? {
        let (received_ms, counts) = row?;
        rollup.add_deliveries(received_ms, counts, -1);
    }
    rollup.apply(conn)
}

fn delivery_counts(row: &rusqlite::Row) -> rusqlite::Result<(i64, DeliveryCounts)> {
    let source: String = row.get(1)?;
    let attempts: i64 = row.get(2)?;
    let late: bool = row.get(3)?;
    Ok((
        row.get(0)?,
        DeliveryCounts {
            duplicates: attempts - 1,
            late: i64::from(late),
            ..DeliveryCounts::of_source(crate::Source::parse(&source))
        },
    ))
}

/// Counts a database from before the rollups, once: every call and every projected
/// delivery. Run on open, in steps, in its own transactions.
pub(crate) fn build_if_needed(conn: &mut Connection) -> Result<()> {
    let built: i64 = conn.query_row("SELECT built FROM overview_built WHERE id = 1", [], |r| r.get(0))?;
    if built != 0 {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let started = std::time::Instant::now();
    // Every rollup counted from nothing (a migration may have counted some of what it found,
    // a field's background count some of its calls).
    tx.execute_batch(
        "DELETE FROM overview_calls; DELETE FROM overview_spread; DELETE FROM overview_deliveries;
         DELETE FROM overview_dimensions; DELETE FROM agent_spread; DELETE FROM agent_calls;
         DELETE FROM agent_dimensions; DELETE FROM in_progress_edges;",
    )?;
    // The user's fields too: every call is counted here.
    let tracked = Tracked::load(&tx)?.all_counted();
    let mut rollup = Rollup::default();
    let mut calls = 0;
    {
        let mut stmt = tx.prepare(&format!("SELECT {CALL_COLUMNS} FROM calls"))?;
        for row in stmt.query_map([], call_row)? {
            let row = row?;
            rollup.add_call(&Contribution::of(&row.record, row.sort_ms, &tracked), 1);
            calls += 1;
        }
        // Repeats of every delivery; the rest only for projected deliveries: the projection
        // counts the others as it reaches them.
        let projected_to: i64 = tx.query_row("SELECT projected_to FROM projection", [], |r| r.get(0))?;
        let mut stmt = tx.prepare(
            "SELECT d.received_ms, d.source, d.attempts, coalesce(e.late, 0), d.id FROM deliveries d
             LEFT JOIN events e ON e.id = d.id",
        )?;
        let rows = stmt.query_map([], |row| Ok((delivery_counts(row)?, row.get::<_, i64>(4)?)))?;
        for row in rows {
            let ((received_ms, counts), id) = row?;
            let counts = if id <= projected_to {
                counts
            } else {
                DeliveryCounts { duplicates: counts.duplicates, ..DeliveryCounts::default() }
            };
            rollup.add_deliveries(received_ms, counts, 1);
        }
    }
    rollup.apply(&tx)?;
    tx.execute("UPDATE tracked_dimensions SET counted_to = NULL, counted_calls = ?1", [calls])?;
    tx.execute("UPDATE overview_built SET built = 1 WHERE id = 1", [])?;
    tx.commit()?;
    tracing::info!(took_ms = started.elapsed().as_millis() as u64, "overview counted from the stored calls");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_edges() {
        assert_eq!(Measure::Duration.step(-5), 0);
        assert_eq!(Measure::Duration.step(0), 0);
        assert_eq!(Measure::Duration.step(4_999), 0);
        assert_eq!(Measure::Duration.step(5_000), 1);
        assert_eq!(Measure::Duration.step(3_600_000), DURATION_EDGES_MS.len() as i64 - 1);
        assert_eq!(Measure::Duration.step(99_999_999), DURATION_EDGES_MS.len() as i64 - 1);
        assert_eq!(Measure::Wait.step(1_000), 4);
    }

    #[test]
    fn an_unchanged_call_changes_nothing() {
        let record = calleague_events::CallFold::default().record("c");
        let c = Contribution::of(&record, 61_000, &Tracked::default());
        let mut rollup = Rollup::default();
        rollup.call_changed(Some(&c), &c);
        assert!(rollup.is_empty());
        rollup.call_changed(None, &c);
        assert!(!rollup.is_empty());
    }
}
