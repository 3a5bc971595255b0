//! The SQL of pruning, run by the writer: whole calls (their events, the deliveries they
//! came in, their search entry and alert claim), events that belong to no call, and events
//! of calls that have no row (only hidden events).

use rusqlite::{params, Connection};

use crate::model::Pruned;
use crate::Result;

/// Removes up to `limit` of the oldest calls whose last event happened before `before_ms`,
/// and up to `limit` call-less events from before it. A call goes whole or not at all.
pub(crate) fn write_prune(conn: &Connection, before_ms: i64, limit: usize) -> Result<Pruned> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS prune_calls (call_id TEXT PRIMARY KEY);
         CREATE TEMP TABLE IF NOT EXISTS prune_events (id INTEGER PRIMARY KEY);
         CREATE TEMP TABLE IF NOT EXISTS prune_deliveries (id INTEGER PRIMARY KEY);
         DELETE FROM prune_calls; DELETE FROM prune_events; DELETE FROM prune_deliveries;",
    )?;
    let limit = limit as i64;
    // last_ms >= sort_ms, so the timeline index can stop at the cut-off.
    let calls = conn.execute(
        "INSERT INTO prune_calls (call_id)
         SELECT call_id FROM calls WHERE sort_ms < ?1 AND last_ms < ?1 ORDER BY sort_ms LIMIT ?2",
        params![before_ms, limit],
    )?;
    conn.execute(
        "INSERT INTO prune_events (id)
         SELECT e.id FROM prune_calls p JOIN events e ON e.call_id = p.call_id",
        [],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO prune_events (id)
         SELECT id FROM events WHERE call_id IS NULL AND occurred_ms < ?1 ORDER BY occurred_ms LIMIT ?2",
        params![before_ms, limit],
    )?;
    // Events of a call that has no row: a call that only ever got hidden events (not
    // subscribed to, so never folded). Pruned by their own time. By size (no cut-off), only
    // those older than the oldest call that stays, so that the walk reads old events only.
    let orphans_before = if before_ms == i64::MAX {
        conn.query_row(
            "SELECT coalesce(min(sort_ms), ?1) FROM calls WHERE call_id NOT IN (SELECT call_id FROM prune_calls)",
            [before_ms],
            |r| r.get(0),
        )?
    } else {
        before_ms
    };
    conn.execute(
        "INSERT OR IGNORE INTO prune_events (id)
         SELECT e.id FROM events e
         WHERE e.occurred_ms < ?1 AND e.call_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.call_id = e.call_id)
         ORDER BY e.occurred_ms LIMIT ?2",
        params![orphans_before, limit],
    )?;
    // A webhook that confirmed a caught-up step is a delivery without an event of its own,
    // named by the step's `confirmed_by`: it goes with the step. Children before parents.
    conn.execute(
        "INSERT OR IGNORE INTO prune_deliveries (id)
         SELECT id FROM prune_events
         UNION SELECT e.confirmed_by FROM events e JOIN prune_events p ON p.id = e.id
               WHERE e.confirmed_by IS NOT NULL",
        [],
    )?;
    crate::rollup::subtract_pruned(conn)?;
    let events = conn.execute("DELETE FROM events WHERE id IN (SELECT id FROM prune_events)", [])?;
    conn.execute("DELETE FROM deliveries WHERE id IN (SELECT id FROM prune_deliveries)", [])?;
    crate::forward_writes::prune_forwarding(conn)?;
    conn.execute(
        "DELETE FROM calls_search WHERE rowid IN
           (SELECT c.rowid FROM calls c JOIN prune_calls p ON p.call_id = c.call_id)",
        [],
    )?;
    conn.execute("DELETE FROM alerted_calls WHERE call_id IN (SELECT call_id FROM prune_calls)", [])?;
    conn.execute("DELETE FROM calls WHERE call_id IN (SELECT call_id FROM prune_calls)", [])?;
    Ok(Pruned { calls: calls as u64, events: events as u64 })
}
