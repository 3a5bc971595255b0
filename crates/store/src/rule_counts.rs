//! What alert rules count, read from the overview's rollups (never a scan of calls): the
//! calls of a window by phase, of one endedReason, a histogram of durations or waits,
//! webhook deliveries received and requests refused. `rule_counts` sums a window (whole
//! hours from the hour rows, as the overview does); `rule_minutes` gives the same per
//! minute, for trying a rule against the stored history.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, ToSql};
use serde::{Deserialize, Serialize};

use crate::overview::pieces;
use crate::rollup::{Measure, MINUTE_MS};
use crate::{Result, Store};

/// The histograms the rollups keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// What a rule needs counted; each part only when asked (a part not asked costs no read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CountsQuery {
    /// Calls by phase (the rollups' largest table: read only when needed).
    pub calls: bool,
    /// Only this agent's calls (histograms, deliveries and refusals are not kept by agent).
    pub agent: Option<String>,
    /// Also count the calls that ended with this endedReason (with `calls`).
    pub reason: Option<String>,
    pub spread: Option<SpreadKind>,
    /// Webhook deliveries received (by the time they arrived).
    pub deliveries: bool,
    /// Requests refused (the security log's tallies).
    pub rejected: bool,
}

/// Counts over a window. Calls are placed as the timeline places them (`sort_ms`, their
/// earliest `occurredAt`) and counted by their phase now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts {
    pub completed: i64,
    pub failed: i64,
    /// Started or connected, or nothing known yet.
    pub in_progress: i64,
    /// Calls with the query's endedReason.
    pub reason: i64,
    /// Calls per histogram step (empty unless asked).
    pub spread: Vec<i64>,
    pub deliveries: i64,
    pub rejected: i64,
}

impl RuleCounts {
    pub fn calls(&self) -> i64 {
        self.completed + self.failed + self.in_progress
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
        self.reason += sign * other.reason;
        self.deliveries += sign * other.deliveries;
        self.rejected += sign * other.rejected;
        if self.spread.len() < other.spread.len() {
            self.spread.resize(other.spread.len(), 0);
        }
        for (mine, theirs) in self.spread.iter_mut().zip(&other.spread) {
            *mine += sign * theirs;
        }
    }

    fn add_phase(&mut self, phase: &str, calls: i64) {
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
    let reason = query.reason.clone().unwrap_or_default();
    let agent_clause = if query.agent.is_some() { "AND agent_id = ?5" } else { "" };
    let sql = format!(
        "SELECT {bucket}, phase, sum(calls), sum(CASE WHEN ended_reason = ?4 THEN calls ELSE 0 END)
         FROM overview_calls WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 {agent_clause}
         GROUP BY 1, 2"
    );
    let agent = query.agent.clone().unwrap_or_default();
    let mut args: Vec<&dyn ToSql> = vec![&span, &start, &end, &reason];
    if query.agent.is_some() {
        args.push(&agent);
    }
    if query.calls {
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args.as_slice(), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (at, phase, calls, with_reason) = row?;
            let entry = counts.entry(at).or_default();
            entry.add_phase(&phase, calls);
            if query.reason.is_some() {
                entry.reason += with_reason;
            }
        }
    }
    if let Some(kind) = query.spread {
        let steps = kind.edges().len();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {bucket}, step, sum(calls) FROM overview_spread
             WHERE span = ?1 AND measure = ?2 AND at_ms >= ?3 AND at_ms < ?4 GROUP BY 1, 2"
        ))?;
        let rows = stmt.query_map(params![span, kind.measure() as i64, start, end], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (at, step, calls) = row?;
            let entry = counts.entry(at).or_default();
            entry.spread.resize(steps, 0);
            if let Some(slot) = entry.spread.get_mut(step as usize) {
                *slot += calls;
            }
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
