//! The account's agents by name (migration 0018): what the REST API said of each id, kept
//! so that every screen, notification and export can name an agent. Filled by
//! `calleague-agents`; [`AgentBook`] is what it needs of a store, SQLite's or PostgreSQL's.

use rusqlite::Connection;

use crate::agent_model::{AgentName, AgentRound};
use crate::sink::StoreFuture;
use crate::writer::Write;
use crate::{IngestOutcome, Result, Store};

/// What the agents' refresher needs of a store.
pub trait AgentBook: Send + Sync {
    /// Keeps what the API said of these agents (an entry replaced, never removed).
    fn put_agents(&self, agents: Vec<AgentName>, at_ms: i64) -> StoreFuture<'_, ()>;
    /// Agent ids of stored calls with no entry yet, at most `limit`.
    fn unnamed_agent_ids(&self, limit: usize) -> StoreFuture<'_, Vec<String>>;
    /// Claims a round when the last one of its kind, by any process sharing the store, is
    /// at least `every_ms` old; false when it is not due.
    fn claim_agent_round(&self, round: AgentRound, now_ms: i64, every_ms: i64) -> StoreFuture<'_, bool>;
}

/// Every id of stored calls, one index seek per distinct id (not a scan of the calls),
/// that has no entry in `agents`.
const UNNAMED: &str = "WITH RECURSIVE seen(agent_id) AS (
         SELECT min(agent_id) FROM calls WHERE agent_id > ''
         UNION ALL
         SELECT (SELECT min(agent_id) FROM calls WHERE agent_id > seen.agent_id) FROM seen
          WHERE seen.agent_id IS NOT NULL
     )
     SELECT agent_id FROM seen
      WHERE agent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.agent_id = seen.agent_id)
      LIMIT ?1";

pub(crate) fn read_agents(conn: &Connection) -> Result<Vec<AgentName>> {
    let mut stmt = conn.prepare_cached("SELECT agent_id, name, language, known FROM agents ORDER BY agent_id")?;
    let rows = stmt.query_map([], |r| {
        Ok(AgentName { agent_id: r.get(0)?, name: r.get(1)?, language: r.get(2)?, known: r.get::<_, i64>(3)? != 0 })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Every agent the API has described (or said it does not know), by id.
    pub fn agents(&self) -> Result<Vec<AgentName>> {
        self.with_reader(read_agents)
    }

    pub async fn put_agents(&self, agents: Vec<AgentName>, at_ms: i64) -> Result<()> {
        self.submit(Write::PutAgents { agents, at_ms }).await.map(|_| ())
    }

    pub fn unnamed_agent_ids(&self, limit: usize) -> Result<Vec<String>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(UNNAMED)?;
            let ids = stmt.query_map([limit as i64], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub async fn claim_agent_round(&self, round: AgentRound, now_ms: i64, every_ms: i64) -> Result<bool> {
        match self.submit(Write::ClaimAgentRound { round, now_ms, every_ms }).await? {
            IngestOutcome::Logged { id } => Ok(id == 1),
            _ => Ok(false),
        }
    }
}

impl AgentBook for Store {
    fn put_agents(&self, agents: Vec<AgentName>, at_ms: i64) -> StoreFuture<'_, ()> {
        Box::pin(Store::put_agents(self, agents, at_ms))
    }

    fn unnamed_agent_ids(&self, limit: usize) -> StoreFuture<'_, Vec<String>> {
        // A few index seeks: quick enough to run on the async worker.
        Box::pin(async move { Store::unnamed_agent_ids(self, limit) })
    }

    fn claim_agent_round(&self, round: AgentRound, now_ms: i64, every_ms: i64) -> StoreFuture<'_, bool> {
        Box::pin(Store::claim_agent_round(self, round, now_ms, every_ms))
    }
}
