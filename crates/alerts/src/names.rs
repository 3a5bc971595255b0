//! Agents by name in notifications: the names the store keeps (`calleague-agents` fills
//! them), read again when a failure names an id not seen yet (at most every few seconds)
//! and every minute for renames. An id with no name stays an id.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use calleague_store::TimelineReader;
use tokio::time::Instant;

use crate::rules::Failure;

/// An id not in the names is looked for again after this.
const UNKNOWN_AGAIN: Duration = Duration::from_secs(3);
/// Renames are picked up after this.
const REREAD: Duration = Duration::from_secs(60);

pub(crate) struct AgentNames {
    source: Arc<dyn TimelineReader>,
    /// Each id the store has an entry for, with its name when the API gave one.
    names: HashMap<String, Option<String>>,
    read_at: Option<Instant>,
}

impl AgentNames {
    pub fn new(source: Arc<dyn TimelineReader>) -> Self {
        Self { source, names: HashMap::new(), read_at: None }
    }

    /// Names come from `source` from now on (a team's database, or this computer's).
    pub fn follow(&mut self, source: Arc<dyn TimelineReader>) {
        *self = Self::new(source);
    }

    /// Puts each failure's agent name in place of its id, where the store has one.
    pub async fn name(&mut self, failures: &mut [Failure]) {
        let since = self.read_at.map(|at| at.elapsed());
        let unseen = failures.iter().any(|f| f.agent.as_ref().is_some_and(|id| !self.names.contains_key(id)));
        let stale = since.is_none_or(|s| s >= REREAD || (unseen && s >= UNKNOWN_AGAIN));
        if stale && failures.iter().any(|f| f.agent.is_some()) {
            self.read_at = Some(Instant::now());
            match self.source.agents().await {
                Ok(agents) => self.names = agents.into_iter().map(|a| (a.agent_id, a.name)).collect(),
                Err(e) => tracing::debug!(error = %e, "the agents' names could not be read; ids are shown"),
            }
        }
        for failure in failures {
            if let Some(Some(name)) = failure.agent.as_ref().and_then(|id| self.names.get(id)) {
                failure.agent = Some(name.clone());
            }
        }
    }
}
