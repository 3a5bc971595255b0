//! The account's agents by name for the fleet (migration 0006): the same [`AgentBook`] as
//! SQLite's, a round claimed in one statement so that one receiver takes it.

use calleague_store::{AgentBook, AgentName, AgentRound, Result, StoreFuture};

use crate::{unavailable, PgStore};

impl PgStore {
    pub async fn agents(&self) -> Result<Vec<AgentName>> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT agent_id, name, language, known FROM agents ORDER BY agent_id COLLATE \"C\"", &[])
            .await
            .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| AgentName { agent_id: r.get(0), name: r.get(1), language: r.get(2), known: r.get(3) })
            .collect())
    }

    pub async fn put_agents(&self, agents: Vec<AgentName>, at_ms: i64) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        let upsert = tx
            .prepare(
                "INSERT INTO agents (agent_id, name, language, known, fetched_ms) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (agent_id) DO UPDATE SET name = excluded.name, language = excluded.language,
                     known = excluded.known, fetched_ms = excluded.fetched_ms",
            )
            .await
            .map_err(unavailable)?;
        for agent in &agents {
            let agent_id = without_nul(&agent.agent_id);
            let name = agent.name.as_deref().map(without_nul);
            let language = agent.language.as_deref().map(without_nul);
            tx.execute(&upsert, &[&agent_id, &name, &language, &agent.known, &at_ms]).await.map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    /// Ids of stored calls with no entry, one index seek per distinct id.
    pub async fn unnamed_agent_ids(&self, limit: usize) -> Result<Vec<String>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "WITH RECURSIVE seen(agent_id) AS (
                     SELECT min(agent_id) FROM calls WHERE agent_id > ''
                     UNION ALL
                     SELECT (SELECT min(c.agent_id) FROM calls c WHERE c.agent_id > seen.agent_id) FROM seen
                      WHERE seen.agent_id IS NOT NULL
                 )
                 SELECT agent_id FROM seen
                  WHERE agent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.agent_id = seen.agent_id)
                  LIMIT $1",
                &[&(limit as i64)],
            )
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// One statement, so that of receivers claiming together exactly one gets the round.
    pub async fn claim_agent_round(&self, round: AgentRound, now_ms: i64, every_ms: i64) -> Result<bool> {
        let client = self.client().await?;
        let claimed = client
            .execute(
                "INSERT INTO agent_rounds (kind, at_ms) VALUES ($1, $2)
                 ON CONFLICT (kind) DO UPDATE SET at_ms = excluded.at_ms
                 WHERE agent_rounds.at_ms <= excluded.at_ms - $3",
                &[&round.key(), &now_ms, &every_ms],
            )
            .await
            .map_err(unavailable)?;
        Ok(claimed == 1)
    }
}

/// PostgreSQL's text cannot hold U+0000 (see `nul.rs`); what the API sent is kept readable.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

impl AgentBook for PgStore {
    fn put_agents(&self, agents: Vec<AgentName>, at_ms: i64) -> StoreFuture<'_, ()> {
        Box::pin(PgStore::put_agents(self, agents, at_ms))
    }

    fn unnamed_agent_ids(&self, limit: usize) -> StoreFuture<'_, Vec<String>> {
        Box::pin(PgStore::unnamed_agent_ids(self, limit))
    }

    fn claim_agent_round(&self, round: AgentRound, now_ms: i64, every_ms: i64) -> StoreFuture<'_, bool> {
        Box::pin(PgStore::claim_agent_round(self, round, now_ms, every_ms))
    }
}
