//! The user's own dimensions: metadata fields (at most [`MAX_DIMENSIONS`]) that calls are
//! counted by in `overview_dimensions`, as `metadata.<field>`, beside direction and language
//! (migration 0017).
//!
//! A field chosen while calls are stored already is counted in the background: in idle
//! moments the writer takes [`BUILD_STEP`] calls at a time in `call_id` order and moves the
//! field's `counted_to` past them in the same transaction. Until the last step the
//! projection and pruning count the field only for calls at or before `counted_to`, so each
//! call is counted exactly once, by whichever reaches it first; a call changed after the
//! count is a difference like any other. Reads of a field still being counted are refused
//! ([`StoreError::DimensionNotCounted`]): its numbers would be partial.

use std::borrow::Cow;

use calleague_events::CallRecord;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use crate::rollup::{Contribution, Rollup};
use crate::rows::{call_row, CALL_COLUMNS};
use crate::{Result, Store, StoreError};

/// Each field adds a row per minute, value and outcome to the rollups: a few, not dozens.
pub const MAX_DIMENSIONS: usize = 5;
/// How a metadata field's rows are named in `overview_dimensions`.
pub const METADATA_PREFIX: &str = "metadata.";
/// A value is cut to this many characters: dimensions group calls, long texts would only
/// make every call a group of its own.
const MAX_VALUE_CHARS: usize = 200;
/// Calls counted per step in the background: a delivery arriving meanwhile waits at most one
/// step (`cargo xtask bench scale` measures the receiver's p99 during a count).
pub(crate) const BUILD_STEP: usize = 2_000;

/// A metadata field's value as dimensions count it: a string as it is, a number or a boolean
/// as JSON writes it, and '' for none (absent, null, an object or a list).
pub fn metadata_value(metadata: Option<&Value>, field: &str) -> String {
    let text = match metadata.and_then(|m| m.get(field)) {
        Some(Value::String(s)) => s.clone(),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
        _ => return String::new(),
    };
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text,
    }
}

/// A call's value of a dimension (`direction`, `language` or `metadata.<field>`), '' for none.
pub fn dimension_value(record: &CallRecord, dimension: &str) -> String {
    match dimension {
        "direction" => record.direction.clone().unwrap_or_default(),
        "language" => record.language.clone().unwrap_or_default(),
        other => match other.strip_prefix(METADATA_PREFIX) {
            Some(field) => metadata_value(record.metadata.as_ref(), field),
            None => String::new(),
        },
    }
}

/// A chosen metadata field and how far its count has got, for Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DimensionStatus {
    pub field: String,
    /// Every stored call is counted: the field can be read.
    pub ready: bool,
    pub counted_calls: i64,
    /// Calls stored now (what the count goes up to).
    pub calls: i64,
}

/// A metadata field seen in stored calls, with how many of the calls looked at had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SeenField {
    pub field: String,
    pub calls: i64,
}

/// The chosen fields as a transaction must count them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracked {
    fields: Vec<TrackedField>,
}

#[derive(Debug, Clone)]
struct TrackedField {
    /// `metadata.<field>`, as its rows are named.
    dimension: String,
    field: String,
    /// The last call counted while the background count runs; None once all are.
    counted_to: Option<String>,
}

impl Tracked {
    pub(crate) fn load(conn: &Connection) -> Result<Self> {
        let mut stmt = conn.prepare_cached("SELECT field, counted_to FROM tracked_dimensions ORDER BY position")?;
        let fields = stmt
            .query_map([], |r| {
                let field: String = r.get(0)?;
                Ok(TrackedField { dimension: format!("{METADATA_PREFIX}{field}"), field, counted_to: r.get(1)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Self { fields })
    }

    /// As after a count of every call (a full recount of the rollups).
    pub(crate) fn all_counted(mut self) -> Self {
        for field in &mut self.fields {
            field.counted_to = None;
        }
        self
    }

    /// The (dimension, value) pairs of the fields counted for this call so far.
    pub(crate) fn values<'a>(
        &'a self,
        record: &'a CallRecord,
    ) -> impl Iterator<Item = (Cow<'static, str>, String)> + 'a {
        self.fields
            .iter()
            .filter(|f| f.counted_to.as_deref().is_none_or(|to| record.call_id.as_str() <= to))
            .map(|f| (Cow::Owned(f.dimension.clone()), metadata_value(record.metadata.as_ref(), &f.field)))
    }
}

/// `metadata_value(metadata_json, field)` for a reader's SQL: the timeline's filter by a
/// field's value, read exactly as the rollups read it.
pub(crate) fn add_functions(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "metadata_value",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let metadata: Option<String> = ctx.get(0)?;
            let field: String = ctx.get(1)?;
            let parsed = metadata.and_then(|m| serde_json::from_str::<Value>(&m).ok());
            Ok(metadata_value(parsed.as_ref(), &field))
        },
    )?;
    Ok(())
}

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
    for old in Tracked::load(conn)?.fields {
        if !fields.contains(&old.field) {
            conn.execute("DELETE FROM overview_dimensions WHERE dimension = ?1", [&old.dimension])?;
            conn.execute("DELETE FROM tracked_dimensions WHERE field = ?1", [&old.field])?;
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

/// Whether `field` can be a dimension: a top-level key of 1 to 64 characters, no control
/// characters (the message says why not).
pub fn check_field(field: &str) -> std::result::Result<(), String> {
    if field.trim().is_empty() || field.chars().count() > 64 || field != field.trim() {
        return Err("A metadata field's name of 1 to 64 characters, without spaces at either end.".into());
    }
    if field.chars().any(char::is_control) {
        return Err("A metadata field's name cannot hold control characters.".into());
    }
    Ok(())
}

impl Store {
    /// Chooses the metadata fields calls are counted by (in order; at most five). A field
    /// added is counted in the background ([`Store::dimensions`] says how far); a field
    /// removed loses its counts.
    pub async fn set_dimensions(&self, fields: Vec<String>) -> Result<()> {
        if fields.len() > MAX_DIMENSIONS {
            return Err(StoreError::InvalidDimensions(format!("At most {MAX_DIMENSIONS} dimensions.")));
        }
        for (i, field) in fields.iter().enumerate() {
            check_field(field).map_err(StoreError::InvalidDimensions)?;
            if fields[..i].contains(field) {
                return Err(StoreError::InvalidDimensions(format!("{field} is chosen twice.")));
            }
        }
        self.submit(crate::writer::Write::SetDimensions(fields)).await.map(|_| ())
    }

    /// The chosen fields, in order, with how far each one's count has got.
    pub fn dimensions(&self) -> Result<Vec<DimensionStatus>> {
        self.with_reader(|conn| {
            let calls: i64 = conn.query_row("SELECT count(*) FROM calls", [], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(
                "SELECT field, counted_to IS NULL, counted_calls FROM tracked_dimensions ORDER BY position",
            )?;
            let rows = stmt.query_map([], |r| {
                let ready: bool = r.get(1)?;
                let counted: i64 = r.get(2)?;
                Ok(DimensionStatus {
                    field: r.get(0)?,
                    ready,
                    counted_calls: if ready { calls } else { counted.min(calls) },
                    calls,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Top-level metadata fields of the newest `sample` calls, most common first: what
    /// Settings offers as dimensions.
    pub fn metadata_fields_seen(&self, sample: u32) -> Result<Vec<SeenField>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT j.key, count(*) FROM
                   (SELECT metadata FROM calls WHERE metadata IS NOT NULL ORDER BY sort_ms DESC LIMIT ?1) c,
                   json_each(c.metadata) j
                 WHERE json_valid(c.metadata) AND json_type(c.metadata) = 'object'
                 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50",
            )?;
            let rows = stmt.query_map([sample], |r| Ok(SeenField { field: r.get(0)?, calls: r.get(1)? }))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_is_text_numbers_and_booleans_as_json_writes_them_and_nothing_else() {
        let m = json!({"campaign": "spring", "tier": 2, "vip": true, "nested": {"a": 1}, "none": null});
        assert_eq!(metadata_value(Some(&m), "campaign"), "spring");
        assert_eq!(metadata_value(Some(&m), "tier"), "2");
        assert_eq!(metadata_value(Some(&m), "vip"), "true");
        assert_eq!(metadata_value(Some(&m), "nested"), "");
        assert_eq!(metadata_value(Some(&m), "none"), "");
        assert_eq!(metadata_value(Some(&m), "missing"), "");
        assert_eq!(metadata_value(None, "campaign"), "");
        let long = json!({"note": "é".repeat(300)});
        assert_eq!(metadata_value(Some(&long), "note").chars().count(), MAX_VALUE_CHARS);
    }

    #[test]
    fn a_field_name_is_checked() {
        assert!(check_field("orderId").is_ok());
        assert!(check_field("").is_err());
        assert!(check_field(" region").is_err());
        assert!(check_field(&"x".repeat(65)).is_err());
        assert!(check_field("a\nb").is_err());
    }
}
