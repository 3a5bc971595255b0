//! What alert rules need of a store, as one interface: the counts of a window (SQLite from
//! its rollups, PostgreSQL from the calls themselves), the top agents and reasons behind a
//! firing, and the firings and chat notices kept. SQLite ([`Store`]) and PostgreSQL
//! (`calleague-store-pg`, team mode) both stand behind it, so one evaluator runs over either.

use std::time::Duration;

use calleague_events::CallRecord;

use crate::alert_model::{FiringRecorded, FiringRow, NewFiring, NoticeAttempt, OwedNotice};
use crate::model::CallRow;
use crate::overview::Tally;
use crate::ranges::MINUTE_MS;
use crate::rollup::{Contribution, Measure};
use crate::rule_counts::{CallsScope, CountsQuery, RuleCounts};
use crate::sink::StoreFuture;
use crate::tracked::{dimension_value, Tracked};
use crate::Store;

pub trait AlertLog: Send + Sync {
    /// Counts over `[from_ms, to_ms)`, both whole minutes.
    fn rule_counts(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, RuleCounts>;
    /// Counts of each minute of `[from_ms, to_ms)` that has any, oldest first.
    fn rule_minutes(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, Vec<(i64, RuleCounts)>>;
    /// Agents by failed calls and endedReasons by calls, most first (the overview's tallies).
    fn top_tallies(&self, from_ms: i64, to_ms: i64) -> StoreFuture<'_, (Vec<Tally>, Vec<Tally>)>;
    /// The agents by name, for the texts of a firing.
    fn agents(&self) -> StoreFuture<'_, Vec<crate::AgentName>>;
    /// A rule began to fire, with its chat notice, in one transaction; at most one open
    /// firing per rule.
    fn record_firing(&self, firing: NewFiring) -> StoreFuture<'_, FiringRecorded>;
    /// The worst value a firing has reached (its value when it fired stays).
    fn record_firing_peak(&self, firing: i64, peak: f64) -> StoreFuture<'_, ()>;
    /// Ends a firing, with its chat notice; false when it had ended already.
    fn record_resolved(&self, firing: i64, at_ms: i64, chat: Option<String>) -> StoreFuture<'_, bool>;
    fn open_firings(&self) -> StoreFuture<'_, Vec<FiringRow>>;
    fn last_notified_firing(&self, rule_id: String) -> StoreFuture<'_, Option<i64>>;
    /// Notices the chat webhook is owed, oldest first, with when each is due.
    fn owed_notices(&self, limit: u32) -> StoreFuture<'_, Vec<(OwedNotice, i64)>>;
    fn record_notice_attempt(&self, notice: i64, at_ms: i64, attempt: NoticeAttempt) -> StoreFuture<'_, ()>;
}

impl RuleCounts {
    /// One call, as the rollups would count it for `query`: the way a store without rollups
    /// counts the same numbers (PostgreSQL), so both agree by construction.
    pub fn add_call(&mut self, call: &CallRow, query: &CountsQuery) {
        if !query.scope.includes(&call.record) {
            return;
        }
        let c = Contribution::of(&call.record, call.sort_ms, &Tracked::default());
        if query.calls {
            self.add_phase(c.phase, 1);
            self.add_reason(query, &c.ended_reason, 1);
        }
        for kind in &query.spreads {
            let (measure, value) = match kind {
                crate::SpreadKind::Duration => (Measure::Duration, c.duration_ms),
                crate::SpreadKind::Wait => (Measure::Wait, c.wait_ms),
            };
            // As the rollups read: a histogram with no call in it is not there.
            if let Some(value) = value {
                self.add_step(*kind, measure.step(value) as usize, 1);
            }
        }
    }

    /// The minute a call counts in.
    pub fn minute_of(call: &CallRow) -> i64 {
        call.sort_ms.div_euclid(MINUTE_MS) * MINUTE_MS
    }
}

impl CallsScope {
    /// Whether a call is one of the scope's.
    pub fn includes(&self, record: &CallRecord) -> bool {
        match self {
            CallsScope::All => true,
            CallsScope::Agent(agent) => record.agent_id.as_deref().unwrap_or_default() == agent,
            CallsScope::Dimension { dimension, value } => dimension_value(record, dimension) == *value,
        }
    }
}

impl AlertLog for Store {
    fn rule_counts(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, RuleCounts> {
        Box::pin(async move { Store::rule_counts(self, from_ms, to_ms, &query) })
    }

    fn rule_minutes(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, Vec<(i64, RuleCounts)>> {
        Box::pin(async move { Store::rule_minutes(self, from_ms, to_ms, &query) })
    }

    fn top_tallies(&self, from_ms: i64, to_ms: i64) -> StoreFuture<'_, (Vec<Tally>, Vec<Tally>)> {
        Box::pin(async move {
            let stamp = |ms: i64| {
                calleague_events::Timestamp::from_unix_millis(ms)
                    .map_err(|e| crate::StoreError::InvalidRange(e.to_string()))
            };
            // Only the tallies are used: no call is taken as in progress for the chart's peaks.
            let overview = Store::overview(self, stamp(from_ms)?, stamp(to_ms)?, Duration::ZERO)?;
            Ok((overview.failures_by_agent, overview.reasons))
        })
    }

    fn agents(&self) -> StoreFuture<'_, Vec<crate::AgentName>> {
        Box::pin(async move { Store::agents(self) })
    }

    fn record_firing(&self, firing: NewFiring) -> StoreFuture<'_, FiringRecorded> {
        Box::pin(Store::record_firing(self, firing))
    }

    fn record_firing_peak(&self, firing: i64, peak: f64) -> StoreFuture<'_, ()> {
        Box::pin(Store::record_firing_peak(self, firing, peak))
    }

    fn record_resolved(&self, firing: i64, at_ms: i64, chat: Option<String>) -> StoreFuture<'_, bool> {
        Box::pin(Store::record_resolved(self, firing, at_ms, chat))
    }

    fn open_firings(&self) -> StoreFuture<'_, Vec<FiringRow>> {
        Box::pin(async move { Store::open_firings(self) })
    }

    fn last_notified_firing(&self, rule_id: String) -> StoreFuture<'_, Option<i64>> {
        Box::pin(async move { Store::last_notified_firing(self, &rule_id) })
    }

    fn owed_notices(&self, limit: u32) -> StoreFuture<'_, Vec<(OwedNotice, i64)>> {
        Box::pin(async move { Store::owed_notices(self, limit) })
    }

    fn record_notice_attempt(&self, notice: i64, at_ms: i64, attempt: NoticeAttempt) -> StoreFuture<'_, ()> {
        Box::pin(Store::record_notice_attempt(self, notice, at_ms, attempt))
    }
}
