//! One delivery, one transaction: logged, deduplicated, folded into its call, announced.

use calleague_events::{CallFold, FoldInput, Stamp, Timestamp};
use calleague_store::StoreError;
use calleague_store::{dedupe_key, headers_json, new_event_row, CallRow, FeedItem, IncomingDelivery, IngestOutcome};
use calleague_store::{QuarantineItem, SecurityEntry, Source};
use deadpool_postgres::Object;

use crate::config::db_error;
use crate::FEED_CHANNEL;

/// Why a write did not commit.
pub(crate) enum Failure {
    /// The server refused or the connection broke: nothing committed, retry later (503).
    Db(tokio_postgres::Error),
    /// A call's stored fold does not read back: not acknowledged, so the delivery stays
    /// retryable rather than folded into nothing.
    Corrupt(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e)
    }
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Db(e) => StoreError::Unavailable(db_error(&e)),
            Failure::Corrupt(reason) => StoreError::Corrupt(reason),
        }
    }
}

/// Rejections kept at most (older rows go), as in SQLite.
const SECURITY_LOG_ROWS: i64 = 10_000;

/// Logs `item` (or counts a repeat), then folds it into its call, in one transaction.
/// Returns what to acknowledge and what to tell this process's live feed.
pub(crate) async fn delivery(
    client: &mut Object,
    item: &IncomingDelivery,
) -> Result<(IngestOutcome, Option<FeedItem>), Failure> {
    let tx = client.transaction().await?;
    let received = item.received_at.to_string();
    // A second receiver inserting the same key waits here for the first one's commit,
    // then counts an attempt: one row, every attempt counted.
    let logged = tx
        .prepare_cached(
            "INSERT INTO deliveries (dedupe_key, delivery_id, source, received_at, received_ms, last_seen_at,
                                     peer, headers, body, hidden)
             VALUES ($1, $2, $3, $4, $5, $4, $6, $7, $8, $9)
             ON CONFLICT (dedupe_key) DO UPDATE
                SET attempts = deliveries.attempts + 1, last_seen_at = excluded.last_seen_at
             RETURNING id, attempts",
        )
        .await?;
    let row = tx
        .query_one(
            &logged,
            &[
                &dedupe_key(item),
                &item.parsed.delivery_id,
                &item.source.as_str(),
                &received,
                &item.received_at.unix_millis(),
                &item.peer,
                &headers_json(&item.headers),
                &item.body,
                &item.hidden,
            ],
        )
        .await?;
    let (id, attempts): (i64, i64) = (row.get(0), row.get(1));
    if attempts > 1 {
        tx.commit().await?;
        return Ok((IngestOutcome::Duplicate { id, attempts }, Some(FeedItem::Repeat { id, attempts })));
    }

    let parsed = &item.parsed;
    let occurred = parsed.occurred_at.unwrap_or(item.received_at);
    let tie = parsed.delivery_id.clone().unwrap_or_else(|| dedupe_key(item));
    let stamp = Stamp { occurred_ms: occurred.unix_millis(), key: tie.clone() };
    let mut late = false;
    let mut call = None;
    if let (Some(call_id), false) = (&parsed.data.call_id, item.hidden) {
        let (row, was_late) = fold_into_call(&tx, call_id, item, &stamp).await?;
        late = was_late;
        call = Some(Box::new(row));
    } else if let Some(call_id) = &parsed.data.call_id {
        // A hidden event is not folded, but it is late all the same when its call has
        // a later event (as the SQLite store marks it).
        let last: Option<i64> =
            tx.query_opt("SELECT last_ms FROM calls WHERE call_id = $1", &[call_id]).await?.map(|row| row.get(0));
        late = last.is_some_and(|last| last > stamp.occurred_ms);
    }

    let insert_event = tx
        .prepare_cached(
            "INSERT INTO events (id, event, event_name, known, call_id, occurred_ms, occurred_at,
                                 occurred_from_receipt, tie, late, hidden)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await?;
    tx.execute(
        &insert_event,
        &[
            &id,
            &parsed.event.as_str(),
            &parsed.event_name,
            &parsed.event.is_known(),
            &parsed.data.call_id,
            &occurred.unix_millis(),
            &occurred.to_string(),
            &parsed.occurred_at.is_none(),
            &tie,
            &late,
            &item.hidden,
        ],
    )
    .await?;
    // Delivered to listeners at COMMIT, and only if it commits.
    tx.execute("SELECT pg_notify($1, $2)", &[&FEED_CHANNEL, &id.to_string()]).await?;
    tx.commit().await?;

    let event = Box::new(calleague_store::EventRow { late, ..new_event_row(id, item) });
    Ok((IngestOutcome::Stored(event.clone()), Some(FeedItem::Event { event, call })))
}

/// Folds one visible event into its call's row, locked for the rest of the transaction.
/// Returns the call as it now is, and whether the event arrived after a later one.
async fn fold_into_call(
    tx: &deadpool_postgres::Transaction<'_>,
    call_id: &str,
    item: &IncomingDelivery,
    stamp: &Stamp,
) -> Result<(CallRow, bool), Failure> {
    // The row exists before it is locked, so that two receivers bringing a new call's first
    // events at once both wait on one row instead of both inserting.
    tx.execute(
        "INSERT INTO calls (call_id, sort_ms, last_ms, last_received_at, event_count, fold)
         VALUES ($1, 0, 0, '', 0, '') ON CONFLICT (call_id) DO NOTHING",
        &[&call_id],
    )
    .await?;
    let current =
        tx.query_one("SELECT fold, last_ms, event_count FROM calls WHERE call_id = $1 FOR UPDATE", &[&call_id]).await?;
    let (fold, last_ms, event_count): (String, i64, i64) = (current.get(0), current.get(1), current.get(2));
    let existing = event_count > 0;
    let late = existing && last_ms > stamp.occurred_ms;
    let mut state: CallFold =
        if existing { serde_json::from_str(&fold).map_err(|e| corrupt(call_id, e))? } else { CallFold::default() };
    state.apply(FoldInput { kind: &item.parsed.event, stamp, data: &item.parsed.data });

    let record = state.record(call_id);
    let fold = serde_json::to_string(&state).map_err(|e| corrupt(call_id, e))?;
    let metadata = record.metadata.as_ref().map(|m| m.to_string());
    let first_ms = state.first_occurred_ms().unwrap_or_default();
    let last_ms = state.last_occurred_ms().unwrap_or_default();
    let text = |t: Option<Timestamp>| t.map(|t| t.to_string());
    let received = item.received_at.to_string();
    let updated = tx
        .prepare_cached(
            "UPDATE calls SET phase = $2, agent_id = $3, direction = $4, ended_reason = $5, language = $6,
                    duration_sec = $7, started_at = $8, connected_at = $9, ended_at = $10, metadata = $11,
                    recording_id = $12, transcript_id = $13, sort_ms = $14, last_ms = $15,
                    last_received_at = $16, event_count = event_count + 1,
                    late_count = late_count + $17, caught_up = caught_up OR $18, fold = $19
             WHERE call_id = $1
             RETURNING event_count, late_count, caught_up",
        )
        .await?;
    let row = tx
        .query_one(
            &updated,
            &[
                &call_id,
                &record.phase.map(|p| p.as_str()),
                &record.agent_id,
                &record.direction,
                &record.ended_reason,
                &record.language,
                &record.duration_sec,
                &text(record.started_at),
                &text(record.connected_at),
                &text(record.ended_at),
                &metadata,
                &record.recording_id,
                &record.transcript_id,
                &first_ms,
                &last_ms,
                &received,
                &i64::from(late),
                &(item.source == Source::Catchup),
                &fold,
            ],
        )
        .await?;
    let millis = |ms: i64| Timestamp::from_unix_millis(ms).unwrap_or(item.received_at);
    let call = CallRow {
        record,
        first_occurred_at: millis(first_ms),
        sort_ms: first_ms,
        last_occurred_at: millis(last_ms),
        last_received_at: item.received_at,
        event_count: row.get(0),
        late_count: row.get(1),
        caught_up: row.get(2),
    };
    Ok((call, late))
}

fn corrupt(call_id: &str, e: serde_json::Error) -> Failure {
    tracing::error!(call_id, error = %e, "a call's stored fold cannot be read");
    Failure::Corrupt(format!("call {call_id}: {e}"))
}

pub(crate) async fn quarantine(client: &Object, item: &QuarantineItem) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "INSERT INTO quarantine (received_at, peer, reason, headers, body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&item.received_at.to_string(), &item.peer, &item.reason, &headers_json(&item.headers), &item.body],
        )
        .await?;
    Ok(row.get(0))
}

/// One row per address, reason and minute, counting its requests; `true` when new.
pub(crate) async fn security(client: &Object, entry: &SecurityEntry) -> Result<(i64, bool), tokio_postgres::Error> {
    let at_ms = entry.at.unix_millis();
    let minute = at_ms.div_euclid(60_000);
    // The address without its port: each connection has a port of its own.
    let source = entry
        .peer
        .as_deref()
        .map(|p| p.parse::<std::net::SocketAddr>().map_or(p.to_owned(), |a| a.ip().to_string()))
        .unwrap_or_default();
    let row = client
        .query_one(
            "INSERT INTO security_log (at, at_ms, peer, reason, source, minute, last_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $2)
             ON CONFLICT (minute, source, reason) DO UPDATE
                SET count = security_log.count + 1, last_ms = greatest(security_log.last_ms, excluded.last_ms)
             RETURNING id, count = 1",
            &[&entry.at.to_string(), &at_ms, &entry.peer, &entry.reason, &source, &minute],
        )
        .await?;
    let (id, new): (i64, bool) = (row.get(0), row.get(1));
    if new {
        client.execute("DELETE FROM security_log WHERE id <= $1", &[&(id - SECURITY_LOG_ROWS)]).await?;
    }
    Ok((id, new))
}
