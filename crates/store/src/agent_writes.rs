//! The writer's half of the agents' names: entries replaced, and a round claimed.

use rusqlite::{params, Connection, OptionalExtension};

use crate::agent_model::{AgentName, AgentRound};
use crate::Result;

pub(crate) fn write_agents(conn: &Connection, agents: &[AgentName], at_ms: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO agents (agent_id, name, language, known, fetched_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (agent_id) DO UPDATE SET name = excluded.name, language = excluded.language,
             known = excluded.known, fetched_ms = excluded.fetched_ms",
    )?;
    for agent in agents {
        stmt.execute(params![agent.agent_id, agent.name, agent.language, agent.known, at_ms])?;
    }
    Ok(())
}

/// 1 when the round is claimed, 0 when it is not due.
pub(crate) fn write_claim(conn: &Connection, round: AgentRound, now_ms: i64, every_ms: i64) -> Result<i64> {
    let last: Option<i64> =
        conn.query_row("SELECT at_ms FROM agent_rounds WHERE kind = ?1", [round.key()], |r| r.get(0)).optional()?;
    if last.is_some_and(|at| now_ms - at < every_ms) {
        return Ok(0);
    }
    conn.execute(
        "INSERT INTO agent_rounds (kind, at_ms) VALUES (?1, ?2) ON CONFLICT (kind) DO UPDATE SET at_ms = excluded.at_ms",
        params![round.key(), now_ms],
    )?;
    Ok(1)
}
