//! The SQL of one write, run inside the writer's transaction.

use calleague_events::{CallFold, FoldInput, Stamp, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::model::{phase_text, AlertHow, CallRow, EventRow, IncomingDelivery, QuarantineItem, RejectionTally};
use crate::rollup::{Contribution, DeliveryCounts, Rollup};
use crate::rows::{call_row, event_row, CALL_COLUMNS, EVENT_COLUMNS};
use crate::tracked::Tracked;
use crate::{Result, StoreError};

/// The key a delivery is deduplicated on: `deliveryId`, else `callId` + event (Calleague's
/// advice), else the body itself.
pub(crate) fn dedupe_key(item: &IncomingDelivery) -> String {
    let parsed = &item.parsed;
    match (&parsed.delivery_id, &parsed.data.call_id) {
        (Some(id), _) => format!("d:{id}"),
        (None, Some(call)) => format!("c:{call}|{}", parsed.event.as_str()),
        (None, None) => {
            let digest = Sha256::digest(&item.body);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("b:{hex}")
        }
    }
}

pub(crate) fn headers_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) enum DeliveryWrite {
    New(Box<EventRow>, Option<Box<CallRow>>),
    Repeat { id: i64, attempts: i64 },
    Known,
}

/// What the first stage made of a delivery.
pub(crate) enum Logged {
    /// New: in the log as `id`, to be projected.
    New(i64),
    Repeat {
        id: i64,
        attempts: i64,
    },
}

/// A delivery whole, as catch-up writes it: logged and projected in one transaction.
pub(crate) fn write_delivery(conn: &Connection, item: &IncomingDelivery) -> Result<DeliveryWrite> {
    if item.source.is_from_api() && already_has_event(conn, item)? {
        return Ok(DeliveryWrite::Known);
    }
    match log_delivery(conn, item)? {
        Logged::Repeat { id, attempts } => Ok(DeliveryWrite::Repeat { id, attempts }),
        Logged::New(id) => {
            let mut pending = Pending::new(conn)?;
            let (event, call) = project_delivery(conn, id, item, &mut pending)?;
            pending.apply(conn)?;
            Ok(DeliveryWrite::New(event, call))
        }
    }
}

/// The first stage, the one acknowledged: the delivery appended to the log (the
/// `deliveries` table) or, when its dedupe key is known, its attempt counted.
pub(crate) fn log_delivery(conn: &Connection, item: &IncomingDelivery) -> Result<Logged> {
    let key = dedupe_key(item);
    let received = item.received_at.to_string();
    let (id, attempts, first_received_ms): (i64, i64, i64) = conn
        .prepare_cached(
            // The id is given, never SQLite's max + 1: once pruning has removed the newest
            // rows that would reuse ids at or below `projected_to`, and a delivery logged
            // there would be passed over by the projection's read-back after a crash.
            "INSERT INTO deliveries (id, dedupe_key, delivery_id, source, received_at, received_ms,
                                     last_seen_at, attempts, peer, headers, body, hidden)
             VALUES (max(coalesce((SELECT max(id) FROM deliveries), 0), (SELECT projected_to FROM projection)) + 1,
                     ?1, ?2, ?3, ?4, ?5, ?4, 1, ?6, ?7, ?8, ?9)
             ON CONFLICT (dedupe_key) DO UPDATE
                SET attempts = attempts + 1, last_seen_at = excluded.last_seen_at
             RETURNING id, attempts, received_ms",
        )?
        .query_row(
            params![
                key,
                item.parsed.delivery_id,
                item.source.as_str(),
                received,
                item.received_at.unix_millis(),
                item.peer,
                headers_json(&item.headers),
                item.body,
                item.hidden,
            ],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
    if attempts > 1 {
        // The overview counts a repeat with the delivery it repeats (received_ms is the
        // first arrival's): rare, so written at once rather than batched.
        let mut rollup = Rollup::default();
        rollup.add_deliveries(first_received_ms, DeliveryCounts { duplicates: 1, ..DeliveryCounts::default() }, 1);
        rollup.apply(conn)?;
    }
    Ok(if attempts > 1 { Logged::Repeat { id, attempts } } else { Logged::New(id) })
}

/// The second stage: a logged delivery's event, its call's row, the search index. Run in
/// log order; the same for a delivery just logged and one read back from the log.
/// The search index's and the overview's changes are collected in `pending` and applied by
/// the caller with [`Pending::apply`] after the rest of its transaction's statements.
pub(crate) fn project_delivery(
    conn: &Connection,
    id: i64,
    item: &IncomingDelivery,
    pending: &mut Pending,
) -> Result<(Box<EventRow>, Option<Box<CallRow>>)> {
    let key = dedupe_key(item);
    let parsed = &item.parsed;
    let occurred_from_receipt = parsed.occurred_at.is_none();
    let occurred = parsed.occurred_at.unwrap_or(item.received_at);
    let tie = parsed.delivery_id.clone().unwrap_or_else(|| key.clone());
    let stamp = Stamp { occurred_ms: occurred.unix_millis(), key: tie.clone() };

    let mut late = false;
    let mut call = None;
    let mut confirms = None;
    if let Some(call_id) = &parsed.data.call_id {
        let existing: Option<(String, i64, bool)> = conn
            .prepare_cached("SELECT fold, last_ms, caught_up FROM calls WHERE call_id = ?1")?
            .query_row([call_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?;
        late = existing.as_ref().is_some_and(|(_, last_ms, _)| *last_ms > stamp.occurred_ms);
        // Catch-up may have brought this step already (only a call it touched can have one):
        // then the webhook confirms that step instead of adding a second.
        let caught_up = existing.as_ref().is_some_and(|(_, _, caught_up)| *caught_up);
        if caught_up && item.source == crate::Source::Webhook && parsed.event.is_known() && !item.hidden {
            confirms = caught_up_step(conn, call_id, parsed.event.as_str())?;
        }
        if !item.hidden {
            let mut state: CallFold = match &existing {
                Some((fold, _, _)) => {
                    serde_json::from_str(fold).map_err(|e| StoreError::Corrupt(format!("call {call_id}: {e}")))?
                }
                None => CallFold::default(),
            };
            // What the search index and the overview hold for this call now (nothing for a
            // new call).
            let (indexed, counted) = match &existing {
                Some(_) => {
                    let record = state.record(call_id);
                    let counted =
                        Contribution::of(&record, state.first_occurred_ms().unwrap_or_default(), &pending.tracked);
                    (Some(record.metadata.map(|m| m.to_string()).unwrap_or_default()), Some(counted))
                }
                None => (None, None),
            };
            state.apply(FoldInput { kind: &parsed.event, stamp: &stamp, data: &parsed.data });
            let row = upsert_call(conn, call_id, &state, item, late)?;
            pending
                .rollup
                .call_changed(counted.as_ref(), &Contribution::of(&row.record, row.sort_ms, &pending.tracked));
            let new_metadata = row.record.metadata.as_ref().map(|m| m.to_string()).unwrap_or_default();
            if indexed.as_deref() != Some(new_metadata.as_str()) {
                pending.search.push(SearchUpdate {
                    call_id: call_id.clone(),
                    metadata: new_metadata,
                    indexed_before: indexed.is_some(),
                });
            }
            call = Some(Box::new(row));
        }
    }

    let counts = DeliveryCounts {
        // Late as the timeline marks it: on the event this delivery adds.
        late: i64::from(late && confirms.is_none()),
        ..DeliveryCounts::of_source(item.source)
    };
    pending.rollup.add_deliveries(item.received_at.unix_millis(), counts, 1);

    if let Some(step) = confirms {
        conn.prepare_cached("UPDATE events SET confirmed_by = ?1 WHERE id = ?2")?.execute([id, step])?;
        let event = conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id WHERE e.id = ?1"
            ))?
            .query_row([step], event_row)?;
        return Ok((Box::new(event), call));
    }

    conn.prepare_cached(
        "INSERT INTO events (id, event, event_name, known, call_id, occurred_ms, occurred_at,
                             occurred_from_receipt, tie, late, hidden)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        parsed.event.as_str(),
        parsed.event_name,
        parsed.event.is_known(),
        parsed.data.call_id,
        occurred.unix_millis(),
        occurred.to_string(),
        occurred_from_receipt,
        tie,
        late,
        item.hidden,
    ])?;

    Ok((Box::new(EventRow { late, ..logged_event(id, item) }), call))
}

/// A new delivery's event as the log alone tells it (not `late`: only the projection,
/// which sees the call's other events, knows that).
pub(crate) fn logged_event(id: i64, item: &IncomingDelivery) -> EventRow {
    let parsed = &item.parsed;
    EventRow {
        id,
        delivery_id: parsed.delivery_id.clone(),
        event: parsed.event.as_str().to_owned(),
        event_name: parsed.event_name.clone(),
        known: parsed.event.is_known(),
        call_id: parsed.data.call_id.clone(),
        occurred_at: parsed.occurred_at.unwrap_or(item.received_at),
        occurred_from_receipt: parsed.occurred_at.is_none(),
        received_at: item.received_at,
        last_seen_at: item.received_at,
        attempts: 1,
        late: false,
        hidden: item.hidden,
        source: item.source,
        confirmed_by_webhook: false,
    }
}

/// The caught-up event of `call_id` named `event` that no webhook has confirmed yet.
fn caught_up_step(conn: &Connection, call_id: &str, event: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            // By the call's own events: left to itself, SQLite walks every event of this
            // name (events_by_name), which costs more as the store grows.
            "SELECT e.id FROM events e INDEXED BY events_by_call JOIN deliveries d ON d.id = e.id
             WHERE e.call_id = ?1 AND e.event = ?2 AND d.source <> 'webhook' AND e.confirmed_by IS NULL
             LIMIT 1",
        )?
        .query_row(params![call_id, event], |row| row.get(0))
        .optional()?)
}

/// What a projection transaction writes last: the overview's rollups and the search index.
pub(crate) struct Pending {
    pub search: Vec<SearchUpdate>,
    pub rollup: Rollup,
    /// The metadata fields counted, as they stand in this transaction (`dimensions.rs`).
    pub tracked: Tracked,
}

impl Pending {
    pub(crate) fn new(conn: &Connection) -> Result<Self> {
        Ok(Self { search: Vec::new(), rollup: Rollup::default(), tracked: Tracked::load(conn)? })
    }

    pub(crate) fn apply(&mut self, conn: &Connection) -> Result<()> {
        self.rollup.apply(conn)?;
        apply_search(conn, &self.search)?;
        self.search.clear();
        Ok(())
    }
}

/// A call whose metadata the search index must take.
pub(crate) struct SearchUpdate {
    call_id: String,
    metadata: String,
    /// The index holds an older version of the call's metadata.
    indexed_before: bool,
}

/// Brings the trigram search index in step with calls' metadata, in the order given.
///
/// Last in the transaction, in one-row statements: FTS5 flushes its pending index data to
/// disk whenever a statement savepoint opens after it was written (an upsert opens one), so
/// interleaved with the projection's other statements it flushed once per delivery, which
/// perf showed as the projection's largest cost.
fn apply_search(conn: &Connection, updates: &[SearchUpdate]) -> Result<()> {
    for update in updates {
        let rowid: i64 = conn
            .prepare_cached("SELECT rowid FROM calls WHERE call_id = ?1")?
            .query_row([&update.call_id], |r| r.get(0))?;
        if update.indexed_before {
            conn.prepare_cached("DELETE FROM calls_search WHERE rowid = ?1")?.execute([rowid])?;
        }
        conn.prepare_cached("INSERT INTO calls_search (rowid, call_id, metadata) VALUES (?1, ?2, ?3)")?
            .execute(params![rowid, update.call_id, update.metadata])?;
    }
    Ok(())
}

/// A caught-up event adds nothing when a webhook already brought the same step of the call.
fn already_has_event(conn: &Connection, item: &IncomingDelivery) -> Result<bool> {
    let Some(call_id) = &item.parsed.data.call_id else { return Ok(false) };
    Ok(conn
        // By the call's own events (see the same index in write_delivery).
        .prepare_cached("SELECT 1 FROM events INDEXED BY events_by_call WHERE call_id = ?1 AND event = ?2 LIMIT 1")?
        .query_row(params![call_id, item.parsed.event.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

fn upsert_call(
    conn: &Connection,
    call_id: &str,
    state: &CallFold,
    item: &IncomingDelivery,
    late: bool,
) -> Result<CallRow> {
    let record = state.record(call_id);
    let fold = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let metadata = record.metadata.as_ref().map(|m| m.to_string());
    let first_ms = state.first_occurred_ms().unwrap_or_default();
    let last_ms = state.last_occurred_ms().unwrap_or_default();
    let sql = format!(
        "INSERT INTO calls (call_id, phase, agent_id, direction, ended_reason, language, duration_sec,
                            started_at, connected_at, ended_at, metadata, recording_id, transcript_id,
                            sort_ms, last_ms, last_received_at, event_count, late_count, caught_up, fold)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 1, ?17, ?18, ?19)
         ON CONFLICT (call_id) DO UPDATE SET
            phase = excluded.phase, agent_id = excluded.agent_id, direction = excluded.direction,
            ended_reason = excluded.ended_reason, language = excluded.language,
            duration_sec = excluded.duration_sec, started_at = excluded.started_at,
            connected_at = excluded.connected_at, ended_at = excluded.ended_at,
            metadata = excluded.metadata, recording_id = excluded.recording_id,
            transcript_id = excluded.transcript_id, sort_ms = excluded.sort_ms,
            last_ms = excluded.last_ms, last_received_at = excluded.last_received_at,
            event_count = event_count + 1, late_count = late_count + excluded.late_count,
            caught_up = max(caught_up, excluded.caught_up), fold = excluded.fold
         RETURNING {CALL_COLUMNS}"
    );
    let ts = |t: Option<Timestamp>| t.map(|t| t.to_string());
    let row = conn.prepare_cached(&sql)?.query_row(
        params![
            call_id,
            phase_text(record.phase),
            record.agent_id,
            record.direction,
            record.ended_reason,
            record.language,
            record.duration_sec,
            ts(record.started_at),
            ts(record.connected_at),
            ts(record.ended_at),
            metadata,
            record.recording_id,
            record.transcript_id,
            first_ms,
            last_ms,
            item.received_at.to_string(),
            i64::from(late),
            item.source.is_from_api(),
            fold,
        ],
        call_row,
    )?;
    Ok(row)
}

pub(crate) fn write_quarantine(conn: &Connection, item: &QuarantineItem) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO quarantine (received_at, peer, reason, headers, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        item.received_at.to_string(),
        item.peer,
        item.reason,
        headers_json(&item.headers),
        item.body
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The most rows the security log keeps; the oldest go first.
pub(crate) const SECURITY_LOG_ROWS: i64 = 10_000;

/// Logs rejections. Repeats from the same address for the same reason in the same minute
/// count on one row; returns the row and whether it is new.
pub(crate) fn write_security(conn: &Connection, tally: &RejectionTally) -> Result<(i64, bool)> {
    let entry = &tally.entry;
    let (count, last_ms) = (i64::from(tally.count), tally.last.unix_millis());
    let at_ms = entry.at.unix_millis();
    let minute = at_ms.div_euclid(60_000);
    // The address without its port: each connection has a port of its own.
    let source =
        entry.peer.as_deref().map(|p| p.parse::<std::net::SocketAddr>().map_or(p.to_owned(), |a| a.ip().to_string()));
    let repeat: Option<i64> = conn
        .prepare_cached(
            "UPDATE security_log SET count = count + ?5, last_ms = max(last_ms, ?1)
             WHERE minute = ?2 AND source IS ?3 AND reason = ?4 RETURNING id",
        )?
        .query_row(params![last_ms, minute, source, entry.reason, count], |r| r.get(0))
        .optional()?;
    if let Some(id) = repeat {
        return Ok((id, false));
    }
    conn.prepare_cached(
        "INSERT INTO security_log (at, at_ms, peer, reason, count, last_ms, source, minute)
         VALUES (?1, ?2, ?3, ?4, ?7, ?8, ?5, ?6)",
    )?
    .execute(params![entry.at.to_string(), at_ms, entry.peer, entry.reason, source, minute, count, last_ms])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM security_log WHERE id <= ?1")?.execute([id - SECURITY_LOG_ROWS])?;
    Ok((id, true))
}

/// The readiness check's one row (`readiness.rs`): a commit synced like a delivery's.
pub(crate) fn write_check(conn: &Connection, at_ms: i64) -> Result<i64> {
    conn.execute(
        "INSERT INTO readiness (id, checked_ms) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET checked_ms = excluded.checked_ms",
        params![at_ms],
    )?;
    Ok(1)
}

pub(crate) fn write_heartbeat(conn: &Connection, session: Option<i64>, at: Timestamp) -> Result<i64> {
    let ms = at.unix_millis();
    match session {
        None => {
            conn.prepare_cached("INSERT INTO uptime (started_ms, last_beat_ms) VALUES (?1, ?1)")?.execute([ms])?;
            Ok(conn.last_insert_rowid())
        }
        Some(id) => {
            conn.prepare_cached("UPDATE uptime SET last_beat_ms = max(last_beat_ms, ?2) WHERE id = ?1")?
                .execute(params![id, ms])?;
            Ok(id)
        }
    }
}

pub(crate) fn write_catchup(conn: &Connection, from: Timestamp, to: Timestamp, calls_merged: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO catchup_windows (from_ms, to_ms, finished_ms, calls_merged) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![from.unix_millis(), to.unix_millis(), Timestamp::now().unix_millis(), calls_merged])?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn write_claims(conn: &Connection, calls: &[String], how: AlertHow, at: Timestamp) -> Result<Vec<String>> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO alerted_calls (call_id, at_ms, how) VALUES (?1, ?2, ?3) ON CONFLICT (call_id) DO NOTHING",
    )?;
    let mut claimed = Vec::new();
    for call in calls {
        if insert.execute(params![call, at.unix_millis(), how.as_str()])? == 1 {
            claimed.push(call.clone());
        }
    }
    Ok(claimed)
}
