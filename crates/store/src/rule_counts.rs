//! What alert rules count, read from the overview's rollups (never a scan of calls): the
//! calls of a window by phase, of one endedReason, a histogram of durations or waits,
//! webhook deliveries received and requests refused. `rule_counts` sums a window (whole
//! hours from the hour rows, as the overview does); `rule_minutes` gives the same per
//! minute, for trying a rule against the stored history.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, ToSql};
use serde::{Deserialize, Serialize};

use crate::ranges::pieces;
use crate::ranges::MINUTE_MS;
use crate::rollup::Measure;
use crate::{Result, Store};

/// The histograms the rollups keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpreadKind {
    Duration,
    Wait,
}

impl SpreadKind {
    fn measure(self) -> Measure {
        match self {
            Self::Duration => Measure::Duration,
            Self::Wait => Measure::Wait,
        }
    }

    /// The steps' lower edges in milliseconds (`DURATION_EDGES_MS` or `WAIT_EDGES_MS`).
    pub fn edges(self) -> &'static [i64] {
        self.measure().edges()
    }
}

/// Which calls a query counts: all, one agent's, or those with one value of a dimension
/// (`direction`, `language`: the rollups' `DIMENSIONS`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum CallsScope {
    #[default]
    All,
    Agent(String),
    Dimension {
        dimension: String,
        value: String,
    },
}

/// What rules need counted; each part only when asked (a part not asked costs no read).
/// One query can serve several rules of the same window (`CountsQuery::merge`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CountsQuery {
    /// Calls by phase (the rollups' largest table: read only when needed).
    pub calls: bool,
    /// Which calls (histograms, deliveries and refusals are kept for all calls only).
    pub scope: CallsScope,
    /// Also count the calls that ended with each of these endedReasons (with `calls`).
    pub reasons: BTreeSet<String>,
    /// Histograms of durations or waits.
    pub spreads: BTreeSet<SpreadKind>,
    /// Webhook deliveries received (by the time they arrived).
    pub deliveries: bool,
    /// Requests refused (the security log's tallies).
    pub rejected: bool,
}

impl CountsQuery {
    /// Whether nothing is asked.
    pub fn is_empty(&self) -> bool {
        !self.calls && self.spreads.is_empty() && !self.deliveries && !self.rejected
    }

    /// Asks also what `other` asks (both of the same scope, or `other` asks no calls).
    pub fn merge(&mut self, other: &CountsQuery) {
        debug_assert!(self.scope == other.scope || !other.calls);
        self.calls |= other.calls;
        self.reasons.extend(other.reasons.iter().cloned());
        self.spreads.extend(other.spreads.iter().copied());
        self.deliveries |= other.deliveries;
        self.rejected |= other.rejected;
    }
}

/// Counts over a window. Calls are placed as the timeline places them (`sort_ms`, their
/// earliest `occurredAt`) and counted by their phase now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts {
    pub completed: i64,
    pub failed: i64,
    /// Started or connected, or nothing known yet.
    pub in_progress: i64,
    /// Calls of each of the query's endedReasons (those with none are left out).
    pub reasons: BTreeMap<String, i64>,
    /// Calls per histogram step, of each histogram asked.
    pub spreads: BTreeMap<SpreadKind, Vec<i64>>,
    pub deliveries: i64,
    pub rejected: i64,
}

impl RuleCounts {
    pub fn calls(&self) -> i64 {
        self.completed + self.failed + self.in_progress
    }

    /// Calls that ended with `reason` (0 unless it was asked).
    pub fn reason(&self, reason: &str) -> i64 {
        self.reasons.get(reason).copied().unwrap_or(0)
    }

    /// Calls per step of a histogram (empty unless it was asked and has calls).
    pub fn spread(&self, kind: SpreadKind) -> &[i64] {
        self.spreads.get(&kind).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn add(&mut self, other: &RuleCounts) {
        self.combine(other, 1);
    }

    pub fn subtract(&mut self, other: &RuleCounts) {
        self.combine(other, -1);
    }

    fn combine(&mut self, other: &RuleCounts, sign: i64) {
        self.completed += sign * other.completed;
        self.failed += sign * other.failed;
        self.in_progress += sign * other.in_progress;
        self.deliveries += sign * other.deliveries;
        self.rejected += sign * other.rejected;
        for (reason, calls) in &other.reasons {
            *self.reasons.entry(reason.clone()).or_default() += sign * calls;
        }
        for (kind, steps) in &other.spreads {
            let mine = self.spreads.entry(*kind).or_default();
            if mine.len() < steps.len() {
                mine.resize(steps.len(), 0);
            }
            for (mine, theirs) in mine.iter_mut().zip(steps) {
                *mine += sign * theirs;
            }
        }
    }

    /// One more call that ended with `reason`, when the query asks for it.
    pub(crate) fn add_reason(&mut self, query: &CountsQuery, reason: &str, calls: i64) {
        if query.reasons.contains(reason) {
            *self.reasons.entry(reason.to_owned()).or_default() += calls;
        }
    }

    /// Calls in step `step` of a histogram.
    pub(crate) fn add_step(&mut self, kind: SpreadKind, step: usize, calls: i64) {
        let steps = self.spreads.entry(kind).or_insert_with(|| vec![0; kind.edges().len()]);
        if let Some(slot) = steps.get_mut(step) {
            *slot += calls;
        }
    }

    pub(crate) fn add_phase(&mut self, phase: &str, calls: i64) {
        match phase {
            "completed" => self.completed += calls,
            "failed" => self.failed += calls,
            _ => self.in_progress += calls,
        }
    }
}

impl Store {
    /// Counts over `[from_ms, to_ms)`, both whole minutes.
    pub fn rule_counts(&self, from_ms: i64, to_ms: i64, query: &CountsQuery) -> Result<RuleCounts> {
        self.with_reader(|conn| {
            let mut counts = RuleCounts::default();
            for (span, start, end) in pieces(from_ms, to_ms) {
                for (_, part) in read_counts(conn, span, start, end, query, false)? {
                    counts.add(&part);
                }
            }
            Ok(counts)
        })
    }

    /// Counts of each minute of `[from_ms, to_ms)` that has any, oldest first.
    pub fn rule_minutes(&self, from_ms: i64, to_ms: i64, query: &CountsQuery) -> Result<Vec<(i64, RuleCounts)>> {
        self.with_reader(|conn| Ok(read_counts(conn, MINUTE_MS, from_ms, to_ms, query, true)?.into_iter().collect()))
    }
}

/// Counts of `[start, end)` at one level of the rollups: per bucket when `per_bucket`,
/// else all under key 0. Sums are taken by SQLite, so a day of minute rows comes back as
/// at most 1,440 rows per kind.
fn read_counts(
    conn: &Connection,
    span: i64,
    start: i64,
    end: i64,
    query: &CountsQuery,
    per_bucket: bool,
) -> Result<BTreeMap<i64, RuleCounts>> {
    let mut counts: BTreeMap<i64, RuleCounts> = BTreeMap::new();
    let bucket = if per_bucket { "at_ms" } else { "0" };
    if query.calls {
        // The reasons asked are told apart, every other reason counts as ''.
        let reasons: Vec<&String> = query.reasons.iter().collect();
        let reason_key = if reasons.is_empty() {
            "''".to_owned()
        } else {
            let marks: Vec<String> = (0..reasons.len()).map(|i| format!("?{}", i + 4)).collect();
            format!("CASE WHEN ended_reason IN ({}) THEN ended_reason ELSE '' END", marks.join(", "))
        };
        // One agent's calls from the calls rollup, one dimension value's from its own.
        let next = reasons.len() + 4;
        let (table, scope_clause) = match &query.scope {
            CallsScope::All => ("overview_calls", String::new()),
            CallsScope::Agent(_) => ("overview_calls", format!("AND agent_id = ?{next}")),
            CallsScope::Dimension { dimension, .. } => {
                crate::dimension_count::check_counted(conn, dimension)?;
                ("overview_dimensions", format!("AND dimension = ?{next} AND value = ?{}", next + 1))
            }
        };
        let sql = format!(
            "SELECT {bucket}, phase, {reason_key}, sum(calls)
             FROM {table} WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 {scope_clause}
             GROUP BY 1, 2, 3"
        );
        let mut args: Vec<&dyn ToSql> = vec![&span, &start, &end];
        args.extend(reasons.iter().map(|r| *r as &dyn ToSql));
        match &query.scope {
            CallsScope::All => {}
            CallsScope::Agent(agent) => args.push(agent),
            CallsScope::Dimension { dimension, value } => {
                args.push(dimension);
                args.push(value);
            }
        }
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (at, phase, reason, calls) = row?;
            let entry = counts.entry(at).or_default();
            entry.add_phase(&phase, calls);
            if !reason.is_empty() {
                entry.add_reason(query, &reason, calls);
            }
        }
    }
    for kind in &query.spreads {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {bucket}, step, sum(calls) FROM overview_spread
             WHERE span = ?1 AND measure = ?2 AND at_ms >= ?3 AND at_ms < ?4 GROUP BY 1, 2"
        ))?;
        let rows = stmt.query_map(params![span, kind.measure() as i64, start, end], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (at, step, calls) = row?;
            counts.entry(at).or_default().add_step(*kind, step as usize, calls);
        }
    }
    if query.deliveries {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {bucket}, sum(webhooks) FROM overview_deliveries
             WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY 1"
        ))?;
        let rows = stmt.query_map(params![span, start, end], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (at, webhooks) = row?;
            counts.entry(at).or_default().deliveries += webhooks;
        }
    }
    if query.rejected {
        // The security log keeps a tally per source, reason and minute.
        let minute_bucket = if per_bucket { "minute * 60000" } else { "0" };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {minute_bucket}, sum(count) FROM security_log WHERE minute >= ?1 AND minute < ?2 GROUP BY 1"
        ))?;
        let rows = stmt.query_map(params![start / MINUTE_MS, end / MINUTE_MS], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (at, refused) = row?;
            counts.entry(at).or_default().rejected += refused;
        }
    }
    Ok(counts)
}
