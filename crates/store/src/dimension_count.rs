//! The writer's half of the user's dimensions: choosing the fields, and counting a field
//! chosen later in the background.
//!
//! In idle moments the writer takes [`BUILD_STEP`] calls at a time in `call_id` order and
//! moves the field's `counted_to` past them in the same transaction. Until the last step
//! the projection and pruning count the field only for calls at or before `counted_to`
//! (`Tracked`), so each call is counted exactly once, by whichever reaches it first; a call
//! changed after the count is a difference like any other. Reads of a field still being
//! counted are refused ([`StoreError::DimensionNotCounted`]): its numbers would be partial.

use std::borrow::Cow;

use rusqlite::{params, Connection, OptionalExtension};

use crate::rollup::{Contribution, Rollup};
use crate::rows::{call_row, CALL_COLUMNS};
use crate::tracked::{metadata_value, Tracked, METADATA_PREFIX};
use crate::{Result, StoreError};

/// Calls counted per step in the background: a delivery arriving meanwhile waits at most one
/// step (`cargo xtask bench scale` measures the receiver's p99 during a count).
pub(crate) const BUILD_STEP: usize = 2_000;

/// Whether a background count has steps left.
pub(crate) fn is_counting(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM tracked_dimensions WHERE counted_to IS NOT NULL LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The writer's half of [`Store::set_dimensions`]: a field no longer chosen loses its rows at
/// once; a new one starts its count from the first call.
pub(crate) fn write_set(conn: &Connection, fields: &[String], now_ms: i64) -> Result<()> {
    for old in Tracked::load(conn)?.fields() {
        if !fields.iter().any(|f| f == old) {
            let dimension = format!("{METADATA_PREFIX}{old}");
            conn.execute("DELETE FROM overview_dimensions WHERE dimension = ?1", [&dimension])?;
            conn.execute("DELETE FROM agent_dimensions WHERE dimension = ?1", [&dimension])?;
            conn.execute("DELETE FROM tracked_dimensions WHERE field = ?1", [old])?;
        }
    }
    for (position, field) in fields.iter().enumerate() {
        conn.execute(
            "INSERT INTO tracked_dimensions (field, position, counted_to, added_ms) VALUES (?1, ?2, '', ?3)
             ON CONFLICT (field) DO UPDATE SET position = excluded.position",
            params![field, position as i64, now_ms],
        )?;
    }
    Ok(())
}

/// One step of a background count: the next `limit` calls of the first field still being
/// counted, in one transaction with its position. Returns whether steps are left.
pub(crate) fn count_step(conn: &mut Connection, limit: usize) -> Result<bool> {
    let tx = conn.transaction()?;
    let next: Option<(String, String)> = tx
        .query_row(
            "SELECT field, counted_to FROM tracked_dimensions WHERE counted_to IS NOT NULL ORDER BY position LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((field, from)) = next else {
        return Ok(false);
    };
    let dimension: Cow<'static, str> = Cow::Owned(format!("{METADATA_PREFIX}{field}"));
    let mut rollup = Rollup::default();
    let mut last = None;
    let mut counted = 0;
    {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE call_id > ?1 ORDER BY call_id LIMIT ?2"
        ))?;
        for row in stmt.query_map(params![from, limit as i64], call_row)? {
            let row = row?;
            let value = metadata_value(row.record.metadata.as_ref(), &field);
            let call = Contribution::of(&row.record, row.sort_ms, &Tracked::default());
            rollup.add_dimension(&call, dimension.clone(), value, 1);
            counted += 1;
            last = Some(row.record.call_id);
        }
    }
    rollup.apply(&tx)?;
    // Fewer than asked: no call is left (none can be added during this transaction).
    let counted_to = if counted < limit { None } else { last };
    tx.execute(
        "UPDATE tracked_dimensions SET counted_to = ?2, counted_calls = counted_calls + ?3 WHERE field = ?1",
        params![field, counted_to, counted as i64],
    )?;
    let more = is_counting(&tx)?;
    tx.commit()?;
    if counted_to.is_none() {
        tracing::info!(field, "calls counted by a new dimension");
    }
    Ok(more)
}

/// Refuses a read of a dimension whose counts would be partial.
pub(crate) fn check_counted(conn: &Connection, dimension: &str) -> Result<()> {
    let Some(field) = dimension.strip_prefix(METADATA_PREFIX) else {
        return Ok(());
    };
    let state: Option<(Option<String>, i64)> = conn
        .prepare_cached("SELECT counted_to, counted_calls FROM tracked_dimensions WHERE field = ?1")?
        .query_row([field], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match state {
        Some((None, _)) => Ok(()),
        Some((Some(_), counted)) => Err(StoreError::DimensionNotCounted(format!(
            "calls by {field} are still being counted ({counted} so far); the numbers follow once all are"
        ))),
        None => Err(StoreError::DimensionNotCounted(format!(
            "{field} is not one of the dimensions calls are counted by: choose it in Settings → Data"
        ))),
    }
}
