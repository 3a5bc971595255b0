//! The Agents page: one row per agent for a range — calls by outcome, the failure rate and
//! the one of the period before, duration and wait percentiles, endedReasons, and calls per
//! bar. Read from the rollups (whole days from the day rows, the hours and minutes at
//! either end from theirs; the bars from `agent_calls`, a row per agent and bucket), so a
//! week of 200 agents costs a few thousand rows however many calls it holds; PostgreSQL
//! counts the same page from the calls through the same [`AgentsCounter`].

use std::collections::BTreeMap;

use calleague_events::{CallPhase, Timestamp};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::breakdown::{by_value, check_dimension, ValueOutcomes};
use crate::model::{phase_text, CallRow};
use crate::overview::{
    bar_ms_for, by_calls, minute_range, spread, tally_reason, timestamp, Outcomes, SpreadStep, Tally,
};
use crate::ranges::{pieces, pieces_of, MINUTE_MS, SPANS_WITH_DAYS};
use crate::rollup::{Contribution, Measure};
use crate::tracked::dimension_value;
use crate::{Result, Store};

/// A histogram's middle and its 90th percentile, each the step that holds it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct Percentiles {
    /// The calls measured.
    pub count: i64,
    pub p50: Option<SpreadStep>,
    pub p90: Option<SpreadStep>,
}

/// One agent's calls in the range. `agent_id` is none for calls without an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct AgentSummary {
    pub agent_id: Option<String>,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    pub failure_rate: Option<f64>,
    /// The agent's calls in the period of the same length just before.
    pub previous: Outcomes,
    pub previous_failure_rate: Option<f64>,
    pub duration: Percentiles,
    /// From call.started to call.connected.
    pub wait: Percentiles,
    /// By endedReason, most calls first; ended calls without a reason under `key: null`.
    pub reasons: Vec<Tally>,
    /// Calls per bar of the page (`AgentsPage::bar_ms` wide, the first at `from`'s).
    pub bars: Vec<i64>,
    /// The agent's calls by the values of the page's dimension (`AgentsPage::by`), most
    /// calls first; empty when the page is not grouped.
    pub values: Vec<ValueOutcomes>,
}

/// Every agent with calls in `[from, to)` (whole minutes), most calls first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AgentsPage {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The bars' width: 60,000 (a minute) or 3,600,000 (an hour).
    pub bar_ms: i64,
    /// The dimension each agent's calls are grouped by, if any.
    pub by: Option<String>,
    pub agents: Vec<AgentSummary>,
}

#[derive(Debug)]
struct AgentCounts {
    outcomes: Outcomes,
    previous: Outcomes,
    reasons: BTreeMap<Option<String>, Tally>,
    duration: Vec<i64>,
    wait: Vec<i64>,
    bars: Vec<i64>,
    /// By the value of the page's dimension ('' for none).
    values: BTreeMap<String, Outcomes>,
}

/// The page's numbers as they are counted, then [`AgentsCounter::finish`]ed: SQLite counts
/// them from its rollups, PostgreSQL from the calls themselves.
#[derive(Debug)]
pub struct AgentsCounter {
    from: i64,
    to: i64,
    bar_ms: i64,
    first_bar: i64,
    bar_count: usize,
    by: Option<String>,
    /// By agent id, '' for calls without one.
    agents: BTreeMap<String, AgentCounts>,
}

impl AgentsCounter {
    /// For `[from, to)`, both rounded down to whole minutes; an empty range is refused. With
    /// `by`, each agent's calls are grouped by that dimension's values too.
    pub fn new(from: Timestamp, to: Timestamp, by: Option<&str>) -> Result<Self> {
        let (from, to) = minute_range(from, to, "the Agents page's range")?;
        if let Some(by) = by {
            check_dimension(by)?;
        }
        let bar_ms = bar_ms_for(from, to);
        let first_bar = from.div_euclid(bar_ms) * bar_ms;
        let bar_count = ((to - first_bar + bar_ms - 1) / bar_ms) as usize;
        Ok(Self { from, to, bar_ms, first_bar, bar_count, by: by.map(str::to_owned), agents: BTreeMap::new() })
    }

    /// The range in Unix milliseconds, whole minutes: `[from, to)`.
    pub fn range_ms(&self) -> (i64, i64) {
        (self.from, self.to)
    }

    /// The period of the same length just before, compared against.
    pub fn previous_range_ms(&self) -> (i64, i64) {
        (self.from - (self.to - self.from), self.from)
    }

    fn agent(&mut self, agent: &str) -> &mut AgentCounts {
        let bars = self.bar_count;
        self.agents.entry(agent.to_owned()).or_insert_with(|| AgentCounts {
            outcomes: Outcomes::default(),
            previous: Outcomes::default(),
            reasons: BTreeMap::new(),
            duration: vec![0; Measure::Duration.edges().len()],
            wait: vec![0; Measure::Wait.edges().len()],
            bars: vec![0; bars],
            values: BTreeMap::new(),
        })
    }

    /// A call whose place on the timeline is in the range.
    pub fn add_call(&mut self, call: &CallRow) {
        let c = Contribution::of(&call.record, call.sort_ms, &Default::default());
        self.count_calls(&c.agent_id, c.phase, &c.ended_reason, 1);
        self.count_bar(&c.agent_id, c.minute_ms, 1);
        for (measure, value) in [(Measure::Duration, c.duration_ms), (Measure::Wait, c.wait_ms)] {
            if let Some(value) = value {
                self.count_spread(&c.agent_id, measure, measure.step(value), 1);
            }
        }
        if let Some(by) = &self.by {
            let value = dimension_value(&call.record, by);
            self.count_value(&c.agent_id, value, c.phase, 1);
        }
    }

    /// `calls` calls of the period before of an agent (none for no agent), by their phase.
    pub fn add_previous_calls(&mut self, agent: Option<&str>, phase: Option<CallPhase>, calls: i64) {
        self.count_previous(agent.unwrap_or(""), phase_text(phase).unwrap_or(""), calls);
    }

    fn count_calls(&mut self, agent: &str, phase: &str, reason: &str, calls: i64) {
        let counts = self.agent(agent);
        counts.outcomes.add(phase, calls);
        tally_reason(&mut counts.reasons, phase, reason, calls);
    }

    /// Calls placed at `at_ms`, a minute or an hour inside the range.
    fn count_bar(&mut self, agent: &str, at_ms: i64, calls: i64) {
        let index = ((at_ms - self.first_bar).div_euclid(self.bar_ms)) as usize;
        if let Some(bar) = self.agent(agent).bars.get_mut(index) {
            *bar += calls;
        }
    }

    fn count_spread(&mut self, agent: &str, measure: Measure, step: i64, calls: i64) {
        let counts = self.agent(agent);
        let steps = match measure {
            Measure::Duration => &mut counts.duration,
            Measure::Wait => &mut counts.wait,
        };
        if let Some(count) = steps.get_mut(step as usize) {
            *count += calls;
        }
    }

    fn count_value(&mut self, agent: &str, value: String, phase: &str, calls: i64) {
        self.agent(agent).values.entry(value).or_default().add(phase, calls);
    }

    fn count_previous(&mut self, agent: &str, phase: &str, calls: i64) {
        self.agent(agent).previous.add(phase, calls);
    }

    /// The page: agents with calls in the range, most calls first, then by id.
    pub fn finish(self) -> Result<AgentsPage> {
        let mut agents: Vec<AgentSummary> = self
            .agents
            .into_iter()
            .filter(|(_, counts)| counts.outcomes.calls > 0)
            .map(|(agent, counts)| {
                let percentiles = |measure, steps: &[i64]| {
                    let spread = spread(measure, steps);
                    Percentiles { count: spread.count, p50: spread.p50, p90: spread.p90 }
                };
                AgentSummary {
                    agent_id: (!agent.is_empty()).then_some(agent),
                    failure_rate: counts.outcomes.failure_rate(),
                    outcomes: counts.outcomes,
                    previous_failure_rate: counts.previous.failure_rate(),
                    previous: counts.previous,
                    duration: percentiles(Measure::Duration, &counts.duration),
                    wait: percentiles(Measure::Wait, &counts.wait),
                    reasons: by_calls(counts.reasons),
                    bars: counts.bars,
                    values: by_value(counts.values),
                }
            })
            .collect();
        agents.sort_by(|a, b| b.outcomes.calls.cmp(&a.outcomes.calls).then_with(|| a.agent_id.cmp(&b.agent_id)));
        Ok(AgentsPage {
            from: timestamp(self.from)?,
            to: timestamp(self.to)?,
            bar_ms: self.bar_ms,
            by: self.by,
            agents,
        })
    }
}

impl Store {
    /// The Agents page for `[from, to)`, both rounded down to whole minutes, grouped `by` a
    /// dimension too when given (a metadata field must be counted through).
    pub fn agents_page(&self, from: Timestamp, to: Timestamp, by: Option<&str>) -> Result<AgentsPage> {
        let counter = AgentsCounter::new(from, to, by)?;
        self.with_reader(|conn| read_agents_page(conn, counter))
    }
}

fn read_agents_page(conn: &Connection, mut counter: AgentsCounter) -> Result<AgentsPage> {
    if let Some(by) = &counter.by {
        crate::dimension_count::check_counted(conn, by)?;
    }
    let (from, to) = counter.range_ms();
    for (span, start, end) in pieces_of(from, to, SPANS_WITH_DAYS) {
        let mut stmt = conn.prepare_cached(
            "SELECT agent_id, phase, ended_reason, sum(calls) FROM overview_calls
             WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY agent_id, phase, ended_reason",
        )?;
        let mut rows = stmt.query(params![span, start, end])?;
        while let Some(r) = rows.next()? {
            counter.count_calls(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, &r.get::<_, String>(2)?, r.get(3)?);
        }
        let mut stmt = conn.prepare_cached(
            "SELECT agent_id, measure, step, sum(calls) FROM agent_spread
             WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY agent_id, measure, step",
        )?;
        let mut rows = stmt.query(params![span, start, end])?;
        while let Some(r) = rows.next()? {
            let measure = if r.get::<_, i64>(1)? == Measure::Wait as i64 { Measure::Wait } else { Measure::Duration };
            counter.count_spread(&r.get::<_, String>(0)?, measure, r.get(2)?, r.get(3)?);
        }
        if let Some(by) = counter.by.clone() {
            let mut stmt = conn.prepare_cached(
                "SELECT agent_id, value, phase, sum(calls) FROM agent_dimensions
                 WHERE span = ?1 AND dimension = ?2 AND at_ms >= ?3 AND at_ms < ?4 GROUP BY agent_id, value, phase",
            )?;
            let mut rows = stmt.query(params![span, by, start, end])?;
            while let Some(r) = rows.next()? {
                counter.count_value(&r.get::<_, String>(0)?, r.get(1)?, &r.get::<_, String>(2)?, r.get(3)?);
            }
        }
    }
    // The bars: minute bars from minute rows throughout, hour bars from hours where they can.
    let bars = if counter.bar_ms == MINUTE_MS { vec![(MINUTE_MS, from, to)] } else { pieces(from, to) };
    for (span, start, end) in bars {
        // One row per agent and bucket: nothing to group.
        let mut stmt = conn.prepare_cached(
            "SELECT agent_id, at_ms, calls FROM agent_calls WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
        )?;
        let mut rows = stmt.query(params![span, start, end])?;
        while let Some(r) = rows.next()? {
            counter.count_bar(&r.get::<_, String>(0)?, r.get(1)?, r.get(2)?);
        }
    }
    let (before, _) = counter.previous_range_ms();
    for (span, start, end) in pieces_of(before, from, SPANS_WITH_DAYS) {
        let mut stmt = conn.prepare_cached(
            "SELECT agent_id, phase, sum(calls) FROM overview_calls
             WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3 GROUP BY agent_id, phase",
        )?;
        let mut rows = stmt.query(params![span, start, end])?;
        while let Some(r) = rows.next()? {
            counter.count_previous(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, r.get(2)?);
        }
    }
    counter.finish()
}
