//! Reading calls and events back by id, and the rows' mapping to the store's types (the
//! window's reads, with filters and search, are in query.rs and overview.rs).

use calleague_events::{CallPhase, CallRecord, Timestamp};
use calleague_store::{CallRow, EventRow, Result, Source, StoreError};
use tokio_postgres::Row;

use crate::PgStore;

pub(crate) const CALL_COLUMNS: &str =
    "call_id, phase, agent_id, direction, ended_reason, language, duration_sec, started_at, \
     connected_at, ended_at, metadata, recording_id, transcript_id, sort_ms, last_ms, last_received_at, event_count, \
     late_count, caught_up";

pub(crate) const EVENT_COLUMNS: &str =
    "e.id, d.delivery_id, e.event, e.event_name, e.known, e.call_id, e.occurred_ms, \
     e.occurred_from_receipt, d.received_ms, d.last_seen_at, d.attempts, e.late, e.hidden, d.source, \
     e.confirmed_by IS NOT NULL";

/// What the log holds: distinct deliveries, and every attempt at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTotals {
    pub deliveries: i64,
    pub attempts: i64,
    pub events: i64,
}

impl PgStore {
    /// Every call, in timeline order (earliest `occurredAt` first, ties by call id).
    pub async fn all_calls(&self) -> Result<Vec<CallRow>> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE event_count > 0 ORDER BY sort_ms, call_id"), &[])
            .await
            .map_err(crate::unavailable)?;
        rows.iter().map(call_row).collect()
    }

    /// Each call whose place on the timeline is in `[from_ms, to_ms)`, told to `each`: what
    /// the overview, the Agents page and a breakdown count (PostgreSQL keeps no rollups).
    pub(crate) async fn each_call_in(&self, from_ms: i64, to_ms: i64, mut each: impl FnMut(&CallRow)) -> Result<()> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE event_count > 0 AND sort_ms >= $1 AND sort_ms < $2"),
                &[&from_ms, &to_ms],
            )
            .await
            .map_err(crate::unavailable)?;
        for row in &rows {
            each(&call_row(row)?);
        }
        Ok(())
    }

    /// One call as it now is.
    pub async fn call(&self, call_id: &str) -> Result<Option<CallRow>> {
        let client = self.client().await?;
        let row = client
            .query_opt(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE call_id = $1 AND event_count > 0"), &[&call_id])
            .await
            .map_err(crate::unavailable)?;
        row.as_ref().map(call_row).transpose()
    }

    /// These calls as they now are, by id (those that exist).
    pub(crate) async fn calls_by_id(&self, call_ids: &[&str]) -> Result<std::collections::HashMap<String, CallRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE call_id = ANY($1) AND event_count > 0"),
                &[&call_ids],
            )
            .await
            .map_err(crate::unavailable)?;
        rows.iter().map(|row| call_row(row).map(|call| (call.record.call_id.clone(), call))).collect()
    }

    /// The events of these deliveries (those that are events), oldest id first.
    pub async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRow>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id WHERE e.id = ANY($1) ORDER BY e.id"
                ),
                &[&ids],
            )
            .await
            .map_err(crate::unavailable)?;
        rows.iter().map(event_row).collect()
    }

    /// The ids of events committed after delivery `id` (at most 10,000), oldest first.
    pub(crate) async fn event_ids_after(&self, id: i64) -> Result<Vec<i64>> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT id FROM events WHERE id > $1 ORDER BY id LIMIT 10000", &[&id])
            .await
            .map_err(crate::unavailable)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// The ids of deliveries received from `since_ms` on, oldest first, at most `limit`.
    pub(crate) async fn delivery_ids_since(&self, since_ms: i64, limit: u32) -> Result<Vec<i64>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id FROM deliveries WHERE received_ms >= $1 ORDER BY received_ms, id LIMIT $2",
                &[&since_ms, &i64::from(limit)],
            )
            .await
            .map_err(crate::unavailable)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    pub(crate) async fn newest_event_id(&self) -> Result<i64> {
        let client = self.client().await?;
        let row = client.query_one("SELECT coalesce(max(id), 0) FROM events", &[]).await.map_err(crate::unavailable)?;
        Ok(row.get(0))
    }

    pub async fn totals(&self) -> Result<DeliveryTotals> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT count(*), coalesce(sum(attempts), 0)::bigint, (SELECT count(*) FROM events) FROM deliveries",
                &[],
            )
            .await
            .map_err(crate::unavailable)?;
        Ok(DeliveryTotals { deliveries: row.get(0), attempts: row.get(1), events: row.get(2) })
    }
}

fn time(text: Option<String>, column: &str) -> Result<Option<Timestamp>> {
    text.map(|t| Timestamp::parse(&t).map_err(|e| StoreError::Corrupt(format!("calls.{column}: {e}")))).transpose()
}

pub(crate) fn call_row(row: &Row) -> Result<CallRow> {
    let phase: Option<String> = row.get(1);
    let metadata: Option<String> = row.get(10);
    let metadata = metadata
        .map(|m| serde_json::from_str(&m).map_err(|e| StoreError::Corrupt(format!("calls.metadata: {e}"))))
        .transpose()?;
    let millis = |ms: i64| Timestamp::from_unix_millis(ms).map_err(|e| StoreError::Corrupt(e.to_string()));
    Ok(CallRow {
        record: CallRecord {
            call_id: row.get(0),
            phase: phase.as_deref().and_then(CallPhase::parse),
            agent_id: row.get(2),
            direction: row.get(3),
            ended_reason: row.get(4),
            language: row.get(5),
            duration_sec: row.get(6),
            started_at: time(row.get(7), "started_at")?,
            connected_at: time(row.get(8), "connected_at")?,
            ended_at: time(row.get(9), "ended_at")?,
            metadata,
            recording_id: row.get(11),
            transcript_id: row.get(12),
        },
        first_occurred_at: millis(row.get(13))?,
        sort_ms: row.get(13),
        last_occurred_at: millis(row.get(14))?,
        last_received_at: time(row.get(15), "last_received_at")?
            .ok_or_else(|| StoreError::Corrupt("calls.last_received_at is empty".into()))?,
        event_count: row.get(16),
        late_count: row.get(17),
        caught_up: row.get(18),
    })
}

pub(crate) fn event_row(row: &Row) -> Result<EventRow> {
    let millis = |ms: i64| Timestamp::from_unix_millis(ms).map_err(|e| StoreError::Corrupt(e.to_string()));
    let source: String = row.get(13);
    Ok(EventRow {
        id: row.get(0),
        delivery_id: row.get(1),
        event: row.get(2),
        event_name: row.get(3),
        known: row.get(4),
        call_id: row.get(5),
        occurred_at: millis(row.get(6))?,
        occurred_from_receipt: row.get(7),
        received_at: millis(row.get(8))?,
        last_seen_at: time(row.get(9), "last_seen_at")?
            .ok_or_else(|| StoreError::Corrupt("deliveries.last_seen_at is empty".into()))?,
        attempts: row.get(10),
        late: row.get(11),
        hidden: row.get(12),
        source: Source::parse(&source),
        confirmed_by_webhook: row.get(14),
    })
}
