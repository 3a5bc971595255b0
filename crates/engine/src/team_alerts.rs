//! Alert rules on a desktop that watches a team's database: the counts come from the team's
//! database (read-only), what this desktop's rules did (firings, so that each is notified
//! once here, also across restarts) stays in this computer's own store. The chat webhook is
//! the receivers' (`serve --alerts`): nothing is owed to it from here.

use std::sync::Arc;

use calleague_store::{
    AlertLog, CountsQuery, FiringRecorded, FiringRow, NewFiring, NoticeAttempt, OwedNotice, RuleCounts, Store,
    StoreFuture, Tally,
};
use calleague_store_pg::PgStore;

pub(crate) struct TeamAlertLog {
    pub(crate) team: Arc<PgStore>,
    pub(crate) local: Arc<Store>,
}

impl AlertLog for TeamAlertLog {
    fn rule_counts(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, RuleCounts> {
        AlertLog::rule_counts(self.team.as_ref(), from_ms, to_ms, query)
    }

    fn rule_minutes(&self, from_ms: i64, to_ms: i64, query: CountsQuery) -> StoreFuture<'_, Vec<(i64, RuleCounts)>> {
        AlertLog::rule_minutes(self.team.as_ref(), from_ms, to_ms, query)
    }

    fn top_tallies(&self, from_ms: i64, to_ms: i64) -> StoreFuture<'_, (Vec<Tally>, Vec<Tally>)> {
        AlertLog::top_tallies(self.team.as_ref(), from_ms, to_ms)
    }

    fn agents(&self) -> StoreFuture<'_, Vec<calleague_store::AgentName>> {
        AlertLog::agents(self.team.as_ref())
    }

    fn record_firing(&self, mut firing: NewFiring) -> StoreFuture<'_, FiringRecorded> {
        firing.chat = None;
        AlertLog::record_firing(self.local.as_ref(), firing)
    }

    fn record_firing_peak(&self, firing: i64, peak: f64) -> StoreFuture<'_, ()> {
        AlertLog::record_firing_peak(self.local.as_ref(), firing, peak)
    }

    fn record_resolved(&self, firing: i64, at_ms: i64, _chat: Option<String>) -> StoreFuture<'_, bool> {
        AlertLog::record_resolved(self.local.as_ref(), firing, at_ms, None)
    }

    fn open_firings(&self) -> StoreFuture<'_, Vec<FiringRow>> {
        AlertLog::open_firings(self.local.as_ref())
    }

    fn last_notified_firing(&self, rule_id: String) -> StoreFuture<'_, Option<i64>> {
        AlertLog::last_notified_firing(self.local.as_ref(), rule_id)
    }

    fn owed_notices(&self, _limit: u32) -> StoreFuture<'_, Vec<(OwedNotice, i64)>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn record_notice_attempt(&self, notice: i64, at_ms: i64, attempt: NoticeAttempt) -> StoreFuture<'_, ()> {
        AlertLog::record_notice_attempt(self.local.as_ref(), notice, at_ms, attempt)
    }
}
