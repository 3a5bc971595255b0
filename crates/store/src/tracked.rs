//! The metadata fields calls are counted by (the user's dimensions, `dimensions.rs`), as the
//! rollups, the timeline's filter and every transaction read them: a field's value, which
//! fields a call is counted by so far (`Tracked`), a field's name checked.

use std::borrow::Cow;

use calleague_events::CallRecord;
use rusqlite::Connection;
use serde_json::Value;

use crate::Result;

/// Each field adds a row per minute, value and outcome to the rollups: a few, not dozens.
pub const MAX_DIMENSIONS: usize = 5;
/// How a metadata field's rows are named in `overview_dimensions`.
pub const METADATA_PREFIX: &str = "metadata.";
/// A value is cut to this many characters: dimensions group calls, long texts would only
/// make every call a group of its own.
const MAX_VALUE_CHARS: usize = 200;
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
    /// The fields every call is counted by (their background count is over), in order.
    pub(crate) fn counted_fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().filter(|f| f.counted_to.is_none()).map(|f| f.field.as_str())
    }

    /// The fields' names, in order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.field.as_str())
    }

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
