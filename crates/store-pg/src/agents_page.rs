//! The Agents page of a time range, counted from the calls themselves and added up by the
//! SQLite store's own [`AgentsCounter`], so both show the same page (as the overview is).

use calleague_events::{CallPhase, Timestamp};
use calleague_store::{AgentsCounter, AgentsPage, Result};

use crate::{unavailable, PgStore};

impl PgStore {
    /// The Agents page for `[from, to)`, both rounded down to whole minutes, each agent's
    /// calls grouped `by` a dimension too when given (any metadata field: the team's calls
    /// are read whole).
    pub async fn agents_page(&self, from: Timestamp, to: Timestamp, by: Option<&str>) -> Result<AgentsPage> {
        let mut counter = AgentsCounter::new(from, to, by)?;
        let (from, to) = counter.range_ms();
        let (before, _) = counter.previous_range_ms();
        self.each_call_in(from, to, |call| counter.add_call(call)).await?;
        let client = self.client().await?;
        let previous = client
            .query(
                "SELECT agent_id, phase, count(*) FROM calls
                 WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2 GROUP BY agent_id, phase",
                &[&before, &from],
            )
            .await
            .map_err(unavailable)?;
        for row in previous {
            let agent: Option<String> = row.get(0);
            let phase: Option<String> = row.get(1);
            counter.add_previous_calls(agent.as_deref(), phase.as_deref().and_then(CallPhase::parse), row.get(2));
        }
        counter.finish()
    }
}
