//! The overview's calls by one dimension's value (`direction`, `language`, or a metadata
//! field the user chose: `metadata.<field>`): each value's calls by outcome and its failure
//! rate, read from `overview_dimensions` (never a scan of the calls); PostgreSQL counts the
//! same from the calls through the same [`BreakdownCounter`].

use std::collections::BTreeMap;

use calleague_events::Timestamp;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::model::{phase_text, CallRow};
use crate::overview::{minute_range, timestamp, Outcomes};
use crate::ranges::pieces;
use crate::rollup::DIMENSIONS;
use crate::tracked::{dimension_value, METADATA_PREFIX};
use crate::{Result, Store, StoreError};

/// One value's calls in the range; `value` none for calls without one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct ValueOutcomes {
    pub value: Option<String>,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    pub failure_rate: Option<f64>,
}

/// A range's calls by the values of `dimension`, most calls first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    /// The range, whole minutes: `[from, to)`.
    pub from: Timestamp,
    pub to: Timestamp,
    pub dimension: String,
    pub values: Vec<ValueOutcomes>,
}

/// Whether calls can be grouped by `dimension` at all (the message says why not).
pub fn check_dimension(dimension: &str) -> Result<()> {
    let known = DIMENSIONS.contains(&dimension)
        || dimension.strip_prefix(METADATA_PREFIX).is_some_and(|field| crate::tracked::check_field(field).is_ok());
    if known {
        Ok(())
    } else {
        Err(StoreError::InvalidDimensions(format!(
            "Calls are grouped by direction, language or metadata.<field>, not by {dimension:?}."
        )))
    }
}

/// The breakdown as it is counted: SQLite from its rollups, PostgreSQL from the calls.
#[derive(Debug)]
pub struct BreakdownCounter {
    dimension: String,
    from: i64,
    to: i64,
    /// By value, '' for none.
    values: BTreeMap<String, Outcomes>,
}

impl BreakdownCounter {
    /// For `[from, to)`, both rounded down to whole minutes, by `dimension`.
    pub fn new(from: Timestamp, to: Timestamp, dimension: &str) -> Result<Self> {
        check_dimension(dimension)?;
        let (from, to) = minute_range(from, to, "the range")?;
        Ok(Self { dimension: dimension.to_owned(), from, to, values: BTreeMap::new() })
    }

    /// The range in Unix milliseconds, whole minutes: `[from, to)`.
    pub fn range_ms(&self) -> (i64, i64) {
        (self.from, self.to)
    }

    /// A call whose place on the timeline is in the range.
    pub fn add_call(&mut self, call: &CallRow) {
        let value = dimension_value(&call.record, &self.dimension);
        self.count(value, phase_text(call.record.phase).unwrap_or(""), 1);
    }

    fn count(&mut self, value: String, phase: &str, calls: i64) {
        self.values.entry(value).or_default().add(phase, calls);
    }

    pub fn finish(self) -> Result<Breakdown> {
        let values = by_value(self.values);
        Ok(Breakdown { from: timestamp(self.from)?, to: timestamp(self.to)?, dimension: self.dimension, values })
    }
}

/// Values with calls, most calls first, then by value ('' is none).
pub(crate) fn by_value(values: BTreeMap<String, Outcomes>) -> Vec<ValueOutcomes> {
    let mut values: Vec<ValueOutcomes> = values
        .into_iter()
        .filter(|(_, outcomes)| outcomes.calls > 0)
        .map(|(value, outcomes)| ValueOutcomes {
            value: (!value.is_empty()).then_some(value),
            failure_rate: outcomes.failure_rate(),
            outcomes,
        })
        .collect();
    values.sort_by(|a, b| b.outcomes.calls.cmp(&a.outcomes.calls).then_with(|| a.value.cmp(&b.value)));
    values
}

impl Store {
    /// The calls of `[from, to)` (whole minutes) by the values of `dimension`; a metadata
    /// field must be one the calls are counted by, and counted through.
    pub fn breakdown(&self, from: Timestamp, to: Timestamp, dimension: &str) -> Result<Breakdown> {
        let counter = BreakdownCounter::new(from, to, dimension)?;
        self.with_reader(|conn| read_breakdown(conn, counter))
    }
}

fn read_breakdown(conn: &Connection, mut counter: BreakdownCounter) -> Result<Breakdown> {
    crate::dimension_count::check_counted(conn, &counter.dimension)?;
    let (from, to) = counter.range_ms();
    for (span, start, end) in pieces(from, to) {
        let mut stmt = conn.prepare_cached(
            "SELECT value, phase, sum(calls) FROM overview_dimensions
             WHERE span = ?1 AND dimension = ?2 AND at_ms >= ?3 AND at_ms < ?4 GROUP BY value, phase",
        )?;
        let mut rows = stmt.query(params![span, counter.dimension, start, end])?;
        while let Some(r) = rows.next()? {
            counter.count(r.get(0)?, &r.get::<_, String>(1)?, r.get(2)?);
        }
    }
    counter.finish()
}
