use rusqlite::Connection;

use crate::{Result, StoreError};

/// Migrations in order; the database's `user_version` is how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_uptime.sql"),
    include_str!("../migrations/0003_search.sql"),
    include_str!("../migrations/0004_phase.sql"),
    include_str!("../migrations/0005_security_counts.sql"),
    include_str!("../migrations/0006_confirmed_steps.sql"),
    include_str!("../migrations/0007_alerted_calls.sql"),
    include_str!("../migrations/0008_retention.sql"),
    include_str!("../migrations/0009_projection.sql"),
    include_str!("../migrations/0010_overview.sql"),
    include_str!("../migrations/0011_inbox.sql"),
    include_str!("../migrations/0012_from_rest.sql"),
    include_str!("../migrations/0013_readiness.sql"),
    include_str!("../migrations/0014_forwarding.sql"),
    include_str!("../migrations/0015_alert_rules.sql"),
    include_str!("../migrations/0016_dimension_rollups.sql"),
    include_str!("../migrations/0017_tracked_dimensions.sql"),
    include_str!("../migrations/0018_agents.sql"),
    include_str!("../migrations/0019_agent_rollups.sql"),
    include_str!("../migrations/0020_agent_dimensions_and_edges.sql"),
];

/// Pragmas for every connection. `synchronous=FULL` because a delivery we acknowledged
/// must survive a power loss, not only a crash.
pub(crate) fn configure(conn: &Connection, busy_timeout_ms: u64) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(busy_timeout_ms))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A larger page cache keeps the hot index pages of a busy writer in memory.
    conn.pragma_update(None, "cache_size", -32_768)?;
    Ok(())
}

/// Runs `step` with its commits unsynced (`synchronous=NORMAL`), then back to `FULL`
/// whatever it returned. For the writer's catch-up steps (taking the inbox into the log,
/// the projection): what they write can be done again from what was synced before them,
/// so a sync of their own would only delay the next acknowledgement. In WAL mode a NORMAL
/// commit survives a crash of the process; only a power loss can take it back.
pub(crate) fn unsynced<T>(conn: &mut Connection, step: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = step(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    result
}

/// How durable the writer's commits are, as SQLite reports it for one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durability {
    /// `wal` for the writer.
    pub journal_mode: String,
    /// 0 off, 1 normal, 2 full, 3 extra: 2 or more for the writer.
    pub synchronous: i64,
}

pub(crate) fn durability(conn: &Connection) -> Result<Durability> {
    Ok(Durability {
        journal_mode: conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?,
        synchronous: conn.pragma_query_value(None, "synchronous", |row| row.get(0))?,
    })
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite did not switch to WAL");
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew { found: version, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "database migrated");
    }
    crate::rollup::build_if_needed(conn)
}
