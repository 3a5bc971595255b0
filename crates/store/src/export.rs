//! Export of calls and events as NDJSON or CSV, streamed row by row.

use std::collections::HashMap;
use std::io::Write;
use std::str::FromStr;

use calleague_events::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{CallRow, EventRow};
use crate::query::TimeRange;
use crate::rows::{call_row, event_row, CALL_COLUMNS, EVENT_COLUMNS};
use crate::tracked::{dimension_value, Tracked, METADATA_PREFIX};
use crate::{AgentName, Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportWhat {
    Calls,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

impl FromStr for ExportWhat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "calls" => Ok(Self::Calls),
            "events" => Ok(Self::Events),
            other => Err(format!("unknown export \"{other}\" (expected calls or events)")),
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ndjson" => Ok(Self::Ndjson),
            "csv" => Ok(Self::Csv),
            other => Err(format!("unknown format \"{other}\" (expected ndjson or csv)")),
        }
    }
}

const CALL_FIELDS: [&str; 14] = [
    "callId",
    "agentId",
    "agentName",
    "direction",
    "phase",
    "startedAt",
    "connectedAt",
    "endedAt",
    "durationSec",
    "endedReason",
    "language",
    "metadata",
    "recordingId",
    "transcriptId",
];

const EVENT_FIELDS: [&str; 7] = ["deliveryId", "event", "callId", "occurredAt", "receivedAt", "attempts", "late"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventExport<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_id: Option<&'a str>,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_id: Option<&'a str>,
    occurred_at: Timestamp,
    received_at: Timestamp,
    attempts: i64,
    late: bool,
}

fn io_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Export(e.to_string())
}

/// Writes one row as NDJSON or CSV. `object` holds the row's present fields.
struct RowWriter<'w, W: Write> {
    format: ExportFormat,
    fields: Vec<String>,
    csv: Option<csv::Writer<&'w mut W>>,
    raw: Option<&'w mut W>,
}

impl<'w, W: Write> RowWriter<'w, W> {
    fn new(out: &'w mut W, format: ExportFormat, fields: Vec<String>) -> Result<Self> {
        Ok(match format {
            ExportFormat::Ndjson => Self { format, fields, csv: None, raw: Some(out) },
            ExportFormat::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(&fields).map_err(io_error)?;
                Self { format, fields, csv: Some(csv), raw: None }
            }
        })
    }

    fn write(&mut self, object: &Map<String, Value>) -> Result<()> {
        match (self.format, &mut self.csv, &mut self.raw) {
            (ExportFormat::Ndjson, _, Some(out)) => {
                serde_json::to_writer(&mut **out, object).map_err(io_error)?;
                out.write_all(b"\n").map_err(io_error)
            }
            (ExportFormat::Csv, Some(csv), _) => {
                let record = self.fields.iter().map(|f| match object.get(f.as_str()) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => inert_cell(s),
                    Some(other) => other.to_string(),
                });
                csv.write_record(record).map_err(io_error)
            }
            _ => Err(StoreError::Export("export writer misconfigured".into())),
        }
    }

    fn finish(self) -> Result<()> {
        if let Some(mut csv) = self.csv {
            csv.flush().map_err(io_error)?;
        }
        if let Some(out) = self.raw {
            out.flush().map_err(io_error)?;
        }
        Ok(())
    }
}

/// Text from a payload as a CSV cell a spreadsheet shows rather than runs: a cell that
/// starts like a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` (OWASP's advice).
fn inert_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn to_object<T: Serialize>(value: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(value).map_err(io_error)? {
        Value::Object(map) => Ok(map),
        _ => Err(StoreError::Export("row is not an object".into())),
    }
}

/// Calls or events written as an export, row by row: the one format of every backend
/// (NDJSON objects, or CSV with a header and formula-looking text made inert). A call's
/// agent is named (`agentName`) where the store has a name; in CSV, each of the user's
/// dimensions is a column of its own (`metadata.<field>`), read as the rollups read it.
pub struct ExportWriter<'w, W: Write> {
    rows: RowWriter<'w, W>,
    agent_names: HashMap<String, String>,
    dimensions: Vec<String>,
}

impl<'w, W: Write> ExportWriter<'w, W> {
    pub fn new(out: &'w mut W, what: ExportWhat, format: ExportFormat) -> Result<Self> {
        Self::with_names(out, what, format, &[], &[])
    }

    /// An export that names agents from `agents` and, for CSV, has a column for each of
    /// `dimensions` (metadata fields).
    pub fn with_names(
        out: &'w mut W,
        what: ExportWhat,
        format: ExportFormat,
        agents: &[AgentName],
        dimensions: &[String],
    ) -> Result<Self> {
        let mut fields: Vec<String> = match what {
            ExportWhat::Calls => CALL_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            ExportWhat::Events => EVENT_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        };
        let dimensions: Vec<String> = match (what, format) {
            (ExportWhat::Calls, ExportFormat::Csv) => {
                dimensions.iter().map(|field| format!("{METADATA_PREFIX}{field}")).collect()
            }
            _ => Vec::new(),
        };
        fields.extend(dimensions.iter().cloned());
        let agent_names =
            agents.iter().filter_map(|a| Some((a.agent_id.clone(), a.name.clone()?))).collect::<HashMap<_, _>>();
        Ok(Self { rows: RowWriter::new(out, format, fields)?, agent_names, dimensions })
    }

    pub fn call(&mut self, call: &CallRow) -> Result<()> {
        let mut object = to_object(&call.record)?;
        if let Some(name) = call.record.agent_id.as_ref().and_then(|id| self.agent_names.get(id)) {
            object.insert("agentName".into(), Value::String(name.clone()));
        }
        for dimension in &self.dimensions {
            object.insert(dimension.clone(), Value::String(dimension_value(&call.record, dimension)));
        }
        self.rows.write(&object)
    }

    pub fn event(&mut self, e: &EventRow) -> Result<()> {
        let export = EventExport {
            delivery_id: e.delivery_id.as_deref(),
            event: &e.event,
            call_id: e.call_id.as_deref(),
            occurred_at: e.occurred_at,
            received_at: e.received_at,
            attempts: e.attempts,
            late: e.late,
        };
        self.rows.write(&to_object(&export)?)
    }

    pub fn finish(self) -> Result<()> {
        self.rows.finish()
    }
}

impl Store {
    /// Writes calls or events in `range` (on `occurredAt`) to `out`, ordered by
    /// `occurredAt`. Returns how many rows were written.
    pub fn export(
        &self,
        what: ExportWhat,
        format: ExportFormat,
        range: TimeRange,
        out: &mut impl Write,
    ) -> Result<u64> {
        self.export_with(what, format, range, out, |_| true)
    }

    /// How many rows [`Store::export`] would write for `range`: the total for a progress bar.
    pub fn export_count(&self, what: ExportWhat, range: TimeRange) -> Result<u64> {
        let from = range.from.map_or(i64::MIN, Timestamp::unix_millis);
        let to = range.to.map_or(i64::MAX, Timestamp::unix_millis);
        let sql = match what {
            ExportWhat::Calls => "SELECT count(*) FROM calls WHERE sort_ms >= ?1 AND sort_ms < ?2",
            ExportWhat::Events => "SELECT count(*) FROM events WHERE occurred_ms >= ?1 AND occurred_ms < ?2",
        };
        self.with_reader(|conn| Ok(conn.query_row(sql, [from, to], |r| r.get::<_, i64>(0))? as u64))
    }

    /// [`Store::export`], telling `on_row` how many rows are written so far after each one;
    /// when it answers false the export stops with [`StoreError::Cancelled`].
    pub fn export_with(
        &self,
        what: ExportWhat,
        format: ExportFormat,
        range: TimeRange,
        out: &mut impl Write,
        mut on_row: impl FnMut(u64) -> bool,
    ) -> Result<u64> {
        let from = range.from.map_or(i64::MIN, Timestamp::unix_millis);
        let to = range.to.map_or(i64::MAX, Timestamp::unix_millis);
        self.with_reader(|conn| {
            let mut count = 0;
            match what {
                ExportWhat::Calls => {
                    let agents = crate::agents::read_agents(conn)?;
                    let dimensions: Vec<String> = Tracked::load(conn)?.fields().map(str::to_owned).collect();
                    let mut writer = ExportWriter::with_names(out, what, format, &agents, &dimensions)?;
                    let mut stmt = conn.prepare(&format!(
                        "SELECT {CALL_COLUMNS} FROM calls WHERE sort_ms >= ?1 AND sort_ms < ?2
                         ORDER BY sort_ms, call_id"
                    ))?;
                    let mut rows = stmt.query([from, to])?;
                    while let Some(row) = rows.next()? {
                        writer.call(&call_row(row)?)?;
                        count += 1;
                        if !on_row(count) {
                            return Err(StoreError::Cancelled);
                        }
                    }
                    writer.finish()?;
                }
                ExportWhat::Events => {
                    let mut writer = ExportWriter::new(out, what, format)?;
                    let mut stmt = conn.prepare(&format!(
                        "SELECT {EVENT_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id
                         WHERE e.occurred_ms >= ?1 AND e.occurred_ms < ?2
                         ORDER BY e.occurred_ms, e.tie, e.id"
                    ))?;
                    let mut rows = stmt.query([from, to])?;
                    while let Some(row) = rows.next()? {
                        writer.event(&event_row(row)?)?;
                        count += 1;
                        if !on_row(count) {
                            return Err(StoreError::Cancelled);
                        }
                    }
                    writer.finish()?;
                }
            }
            Ok(count)
        })
    }
}
