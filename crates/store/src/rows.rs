//! Reading rows back into the model.

use calleague_events::{CallPhase, CallRecord, Timestamp};
use rusqlite::types::Type;
use rusqlite::Row;

use crate::model::{CallRow, EventRow, Source};

pub(crate) const CALL_COLUMNS: &str = "call_id, phase, agent_id, direction, ended_reason, language, \
     duration_sec, started_at, connected_at, ended_at, metadata, recording_id, transcript_id, \
     sort_ms, last_ms, last_received_at, event_count, late_count, caught_up";

pub(crate) const EVENT_COLUMNS: &str = "e.id, d.delivery_id, e.event, e.event_name, e.known, e.call_id, \
     e.occurred_ms, e.occurred_from_receipt, d.received_ms, d.last_seen_at, d.attempts, e.late, \
     e.hidden, d.source, e.confirmed_by IS NOT NULL";

fn conversion_error(index: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, message.into())
}

fn millis(row: &Row, index: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = row.get(index)?;
    Timestamp::from_unix_millis(ms).map_err(|e| conversion_error(index, e.to_string()))
}

fn text_time(row: &Row, index: usize) -> rusqlite::Result<Option<Timestamp>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| Timestamp::parse(&t).map_err(|e| conversion_error(index, e.to_string()))).transpose()
}

pub(crate) fn call_row(row: &Row) -> rusqlite::Result<CallRow> {
    let phase: Option<String> = row.get(1)?;
    let metadata: Option<String> = row.get(10)?;
    let metadata =
        metadata.map(|m| serde_json::from_str(&m).map_err(|e| conversion_error(10, e.to_string()))).transpose()?;
    Ok(CallRow {
        record: CallRecord {
            call_id: row.get(0)?,
            phase: phase.as_deref().and_then(CallPhase::parse),
            agent_id: row.get(2)?,
            direction: row.get(3)?,
            ended_reason: row.get(4)?,
            language: row.get(5)?,
            duration_sec: row.get(6)?,
            started_at: text_time(row, 7)?,
            connected_at: text_time(row, 8)?,
            ended_at: text_time(row, 9)?,
            metadata,
            recording_id: row.get(11)?,
            transcript_id: row.get(12)?,
        },
        first_occurred_at: millis(row, 13)?,
        sort_ms: row.get(13)?,
        last_occurred_at: millis(row, 14)?,
        last_received_at: text_time(row, 15)?.ok_or_else(|| conversion_error(15, "missing".into()))?,
        event_count: row.get(16)?,
        late_count: row.get(17)?,
        caught_up: row.get(18)?,
    })
}

pub(crate) fn event_row(row: &Row) -> rusqlite::Result<EventRow> {
    let source: String = row.get(13)?;
    Ok(EventRow {
        id: row.get(0)?,
        delivery_id: row.get(1)?,
        event: row.get(2)?,
        event_name: row.get(3)?,
        known: row.get(4)?,
        call_id: row.get(5)?,
        occurred_at: millis(row, 6)?,
        occurred_from_receipt: row.get(7)?,
        received_at: millis(row, 8)?,
        last_seen_at: text_time(row, 9)?.ok_or_else(|| conversion_error(9, "missing".into()))?,
        attempts: row.get(10)?,
        late: row.get(11)?,
        hidden: row.get(12)?,
        source: Source::parse(&source),
        confirmed_by_webhook: row.get(14)?,
    })
}

pub fn headers_from_json(text: &str) -> Vec<(String, String)> {
    serde_json::from_str(text).unwrap_or_default()
}
