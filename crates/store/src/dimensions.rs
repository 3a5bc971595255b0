//! The user's own dimensions: metadata fields (at most [`MAX_DIMENSIONS`]) that calls are
//! counted by in `overview_dimensions`, as `metadata.<field>`, beside direction and language
//! (migration 0017): choosing them, how far a new one's count has got, and the fields seen
//! to choose from. How a field is read is `tracked.rs`; how it is counted, `dimension_count.rs`.

use serde::Serialize;

use crate::tracked::{check_field, Tracked, MAX_DIMENSIONS};
use crate::{Result, Store, StoreError};

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

/// Whether `fields` can be the dimensions, in this order: at most five, each a valid name,
/// none twice (the team's as this computer's).
pub fn check_dimension_fields(fields: &[String]) -> Result<()> {
    if fields.len() > MAX_DIMENSIONS {
        return Err(StoreError::InvalidDimensions(format!("At most {MAX_DIMENSIONS} dimensions.")));
    }
    for (i, field) in fields.iter().enumerate() {
        check_field(field).map_err(|e| StoreError::InvalidDimensions(format!("{field:?}: {e}")))?;
        if fields[..i].contains(field) {
            return Err(StoreError::InvalidDimensions(format!("{field} is chosen twice.")));
        }
    }
    Ok(())
}

impl Store {
    /// Adds those of `fields` not chosen yet after the chosen ones (what alert rules narrowed
    /// by them need) and returns them; refused, changing nothing, when that would be more
    /// than five.
    pub async fn add_dimensions(&self, fields: &[String]) -> Result<Vec<String>> {
        let mut chosen: Vec<String> =
            self.with_reader(|conn| Ok(Tracked::load(conn)?.fields().map(str::to_owned).collect()))?;
        let mut added: Vec<String> = Vec::new();
        for field in fields {
            if !chosen.contains(field) && !added.contains(field) {
                added.push(field.clone());
            }
        }
        if added.is_empty() {
            return Ok(added);
        }
        if chosen.len() + added.len() > MAX_DIMENSIONS {
            return Err(StoreError::InvalidDimensions(format!(
                "Calls are counted by {} already ({}); {} more would be over {MAX_DIMENSIONS}: drop one in Settings → Data first.",
                chosen.len(),
                chosen.join(", "),
                added.join(", ")
            )));
        }
        chosen.extend(added.iter().cloned());
        self.set_dimensions(chosen).await?;
        Ok(added)
    }

    /// Chooses the metadata fields calls are counted by (in order; at most five). A field
    /// added is counted in the background ([`Store::dimensions`] says how far); a field
    /// removed loses its counts.
    pub async fn set_dimensions(&self, fields: Vec<String>) -> Result<()> {
        check_dimension_fields(&fields)?;
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
