//! One delivery, one transaction: logged, deduplicated, folded into its call, announced.

use calleague_events::{CallFold, CallRecord, FoldInput, Stamp, Timestamp};
use calleague_store::StoreError;
use calleague_store::{dedupe_key, headers_json, new_event_row, CallRow, FeedItem, IncomingDelivery, IngestOutcome};
use calleague_store::{InProgressSpan, QuarantineItem, RejectionTally, Source};
use deadpool_postgres::Object;

use crate::config::db_error;
use crate::read::{event_row, EVENT_COLUMNS};

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
///
/// Three round trips to the server for a new delivery: statements that do not wait for
/// each other's answers are sent together (tokio-postgres pipelines requests made at
/// once on one connection). Each round trip costs both sides a wake-up; perf on the
/// server showed those, more than the SQL, as the cost (`docs/team-mode.md`).
pub(crate) async fn delivery(
    client: &mut Object,
    item: &IncomingDelivery,
) -> Result<(IngestOutcome, Option<FeedItem>), Failure> {
    let result = in_transaction(client, item).await;
    if result.is_err() {
        // Whatever failed, the connection goes back to the pool outside any transaction
        // (if it is broken, this fails too, and the pool drops it).
        let _ = client.batch_execute("ROLLBACK").await;
    }
    result
}

async fn in_transaction(
    client: &Object,
    item: &IncomingDelivery,
) -> Result<(IngestOutcome, Option<FeedItem>), Failure> {
    let logged = client
        .prepare_cached(
            "INSERT INTO deliveries (dedupe_key, delivery_id, source, received_at, received_ms, last_seen_at,
                                     peer, headers, body, hidden)
             VALUES ($1, $2, $3, $4, $5, $4, $6, $7, $8, $9)
             ON CONFLICT (dedupe_key) DO UPDATE
                SET attempts = deliveries.attempts + 1, last_seen_at = excluded.last_seen_at
             RETURNING id, attempts",
        )
        .await?;
    // A caught-up step the store already has (from a webhook, or an earlier catch-up) adds
    // nothing, as in the SQLite store; checked again under the call's lock below.
    if item.source.is_from_api() && has_step(client, item).await? {
        return Ok((IngestOutcome::AlreadyKnown, None));
    }
    let key = dedupe_key(item);
    let received = item.received_at.to_string();
    let headers = headers_json(&item.headers);
    let millis = item.received_at.unix_millis();
    let source = item.source.as_str();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] =
        [&key, &item.parsed.delivery_id, &source, &received, &millis, &item.peer, &headers, &item.body, &item.hidden];
    // BEGIN and the insert in one round trip. A second receiver inserting the same key
    // waits here for the first one's commit, then counts an attempt: one row, every
    // attempt counted.
    let (begun, row) = tokio::join!(client.batch_execute("BEGIN"), client.query_one(&logged, &params));
    begun?;
    let row = row?;
    let (id, attempts): (i64, i64) = (row.get(0), row.get(1));
    if attempts > 1 {
        client.batch_execute("COMMIT").await?;
        return Ok((IngestOutcome::Duplicate { id, attempts }, Some(FeedItem::Repeat { id, attempts })));
    }

    let parsed = &item.parsed;
    let occurred = parsed.occurred_at.unwrap_or(item.received_at);
    let tie = parsed.delivery_id.clone().unwrap_or(key);
    let stamp = Stamp { occurred_ms: occurred.unix_millis(), key: tie.clone() };
    let insert_event = client
        .prepare_cached(
            "INSERT INTO events (id, event, event_name, known, call_id, occurred_ms, occurred_at,
                                 occurred_from_receipt, tie, late, hidden)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await?;
    let event_params = |late: bool| EventParams {
        id,
        event: parsed.event.as_str(),
        known: parsed.event.is_known(),
        occurred_ms: occurred.unix_millis(),
        occurred_at: occurred.to_string(),
        from_receipt: parsed.occurred_at.is_none(),
        tie: tie.clone(),
        late,
    };

    let (late, call) = match (&parsed.data.call_id, item.hidden) {
        (Some(call_id), false) => {
            let fold = lock_call(client, call_id, item, &stamp).await?;
            if item.source.is_from_api() && has_step(client, item).await? {
                // A webhook brought the step while this waited for the call.
                client.batch_execute("ROLLBACK").await?;
                return Ok((IngestOutcome::AlreadyKnown, None));
            }
            // Catch-up brought this step already: the webhook confirms it instead of adding
            // a second one (the delivery stays in the log).
            let confirms = if fold.was_caught_up && item.source == Source::Webhook && parsed.event.is_known() {
                caught_up_step(client, call_id, parsed.event.as_str()).await?
            } else {
                None
            };
            if let Some(step) = confirms {
                let (call_params, step_params): (_, [&(dyn tokio_postgres::types::ToSql + Sync); 2]) =
                    (fold.params(), [&id, &step]);
                let (updated, confirmed, committed) = tokio::join!(
                    client.query_one(&fold.update, &call_params),
                    client.execute("UPDATE events SET confirmed_by = $1 WHERE id = $2", &step_params),
                    client.batch_execute("COMMIT"),
                );
                let (updated, _, _) = (updated?, confirmed?, committed?);
                let call = Box::new(fold.row(&updated, item));
                let event = client
                    .query_one(
                        &format!(
                            "SELECT {EVENT_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id WHERE e.id = $1"
                        ),
                        &[&step],
                    )
                    .await?;
                let event = Box::new(event_row(&event).map_err(|e| Failure::Corrupt(e.to_string()))?);
                return Ok((IngestOutcome::Stored(event.clone()), Some(FeedItem::Event { event, call: Some(call) })));
            }
            let late = fold.late;
            let values = event_params(late);
            // The call's update, the event and COMMIT in one round trip. Should either
            // statement fail, the server rolls the transaction back at that COMMIT.
            let (call_params, event_params) = (fold.params(), values.params(item));
            let (updated, inserted, committed) = tokio::join!(
                client.query_one(&fold.update, &call_params),
                client.execute(&insert_event, &event_params),
                client.batch_execute("COMMIT"),
            );
            let (updated, _, _) = (updated?, inserted?, committed?);
            (late, Some(Box::new(fold.row(&updated, item))))
        }
        (call_id, _) => {
            // Not folded (no call, or hidden), but late all the same when its call has a
            // later event, as the SQLite store marks it.
            let late = match call_id {
                Some(call_id) => client
                    .query_opt("SELECT last_ms FROM calls WHERE call_id = $1", &[call_id])
                    .await?
                    .is_some_and(|row| row.get::<_, i64>(0) > stamp.occurred_ms),
                None => false,
            };
            let values = event_params(late);
            let event_params = values.params(item);
            let (inserted, committed) =
                tokio::join!(client.execute(&insert_event, &event_params), client.batch_execute("COMMIT"));
            inserted?;
            committed?;
            (late, None)
        }
    };

    let event = Box::new(calleague_store::EventRow { late, ..new_event_row(id, item) });
    Ok((IngestOutcome::Stored(event.clone()), Some(FeedItem::Event { event, call })))
}

/// Whether the delivery's call has an event of the same name already.
async fn has_step(client: &Object, item: &IncomingDelivery) -> Result<bool, Failure> {
    let Some(call_id) = &item.parsed.data.call_id else { return Ok(false) };
    let query = client.prepare_cached("SELECT 1 FROM events WHERE call_id = $1 AND event = $2 LIMIT 1").await?;
    Ok(client.query_opt(&query, &[call_id, &item.parsed.event.as_str()]).await?.is_some())
}

/// The caught-up event of `call_id` named `event` that no webhook has confirmed yet.
async fn caught_up_step(client: &Object, call_id: &str, event: &str) -> Result<Option<i64>, Failure> {
    let query = client
        .prepare_cached(
            "SELECT e.id FROM events e JOIN deliveries d ON d.id = e.id
             WHERE e.call_id = $1 AND e.event = $2 AND d.source <> 'webhook' AND e.confirmed_by IS NULL
             ORDER BY e.id LIMIT 1",
        )
        .await?;
    Ok(client.query_opt(&query, &[&call_id, &event]).await?.map(|row| row.get(0)))
}

/// An event row's values that are computed rather than read from the delivery.
struct EventParams<'a> {
    id: i64,
    event: &'a str,
    known: bool,
    occurred_ms: i64,
    occurred_at: String,
    from_receipt: bool,
    tie: String,
    late: bool,
}

impl<'e> EventParams<'e> {
    fn params<'a>(&'a self, item: &'a IncomingDelivery) -> [&'a (dyn tokio_postgres::types::ToSql + Sync); 11] {
        [
            &self.id,
            &self.event,
            &item.parsed.event_name,
            &self.known,
            &item.parsed.data.call_id,
            &self.occurred_ms,
            &self.occurred_at,
            &self.from_receipt,
            &self.tie,
            &self.late,
            &item.hidden,
        ]
    }
}

/// A call locked for the rest of the transaction, with the event folded in: what to
/// write back, and whether the event arrived after a later one of the call.
struct LockedCall {
    update: tokio_postgres::Statement,
    call_id: String,
    record: CallRecord,
    fold: String,
    metadata: Option<String>,
    started_at: Option<String>,
    connected_at: Option<String>,
    ended_at: Option<String>,
    phase: Option<&'static str>,
    first_ms: i64,
    last_ms: i64,
    /// When it ended, once it has (the overview's calls in progress).
    end_ms: Option<i64>,
    received: String,
    late: bool,
    late_count: i64,
    caught_up: bool,
    /// Catch-up had brought some of the call before this event.
    was_caught_up: bool,
}

/// Locks the call's row (made first when new, so that two receivers bringing a new
/// call's first events at once both wait on one row instead of both inserting) and folds
/// the event into what it holds.
async fn lock_call(
    client: &Object,
    call_id: &str,
    item: &IncomingDelivery,
    stamp: &Stamp,
) -> Result<LockedCall, Failure> {
    // An upsert that changes nothing locks the row like FOR UPDATE and returns it, in one
    // round trip whether the call is new or not. (A PL/pgSQL function that selects FOR
    // UPDATE and inserts only when missing writes no row version, but measured slower:
    // about 1,500 deliveries/s against 2,000-2,400 in `cargo xtask bench team`.)
    let lock = client
        .prepare_cached(
            "INSERT INTO calls (call_id, sort_ms, last_ms, last_received_at, event_count, fold)
             VALUES ($1, 0, 0, '', 0, '')
             ON CONFLICT (call_id) DO UPDATE SET call_id = excluded.call_id
             RETURNING fold, last_ms, event_count, caught_up",
        )
        .await?;
    let update = client
        .prepare_cached(
            "UPDATE calls SET phase = $2, agent_id = $3, direction = $4, ended_reason = $5, language = $6,
                    duration_sec = $7, started_at = $8, connected_at = $9, ended_at = $10, metadata = $11,
                    recording_id = $12, transcript_id = $13, sort_ms = $14, last_ms = $15,
                    last_received_at = $16, event_count = event_count + 1,
                    late_count = late_count + $17, caught_up = caught_up OR $18, fold = $19, end_ms = $20
             WHERE call_id = $1
             RETURNING event_count, late_count, caught_up",
        )
        .await?;
    let current = client.query_one(&lock, &[&call_id]).await?;
    let (fold, last_ms, event_count, was_caught_up): (String, i64, i64, bool) =
        (current.get(0), current.get(1), current.get(2), current.get(3));
    let existing = event_count > 0;
    let late = existing && last_ms > stamp.occurred_ms;
    let mut state: CallFold =
        if existing { serde_json::from_str(&fold).map_err(|e| corrupt(call_id, e))? } else { CallFold::default() };
    state.apply(FoldInput { kind: &item.parsed.event, stamp, data: &item.parsed.data });

    let record = state.record(call_id);
    let text = |t: Option<Timestamp>| t.map(|t| t.to_string());
    Ok(LockedCall {
        update,
        call_id: call_id.to_owned(),
        fold: serde_json::to_string(&state).map_err(|e| corrupt(call_id, e))?,
        metadata: record.metadata.as_ref().map(|m| m.to_string()),
        started_at: text(record.started_at),
        connected_at: text(record.connected_at),
        ended_at: text(record.ended_at),
        phase: record.phase.map(|p| p.as_str()),
        end_ms: InProgressSpan::of(&record, state.first_occurred_ms().unwrap_or_default()).and_then(|s| s.end_ms),
        first_ms: state.first_occurred_ms().unwrap_or_default(),
        last_ms: state.last_occurred_ms().unwrap_or_default(),
        received: item.received_at.to_string(),
        late,
        late_count: i64::from(late),
        caught_up: item.source.is_from_api(),
        was_caught_up,
        record,
    })
}

impl LockedCall {
    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 20] {
        let r = &self.record;
        [
            &self.call_id,
            &self.phase,
            &r.agent_id,
            &r.direction,
            &r.ended_reason,
            &r.language,
            &r.duration_sec,
            &self.started_at,
            &self.connected_at,
            &self.ended_at,
            &self.metadata,
            &r.recording_id,
            &r.transcript_id,
            &self.first_ms,
            &self.last_ms,
            &self.received,
            &self.late_count,
            &self.caught_up,
            &self.fold,
            &self.end_ms,
        ]
    }

    /// The call as the update left it.
    fn row(self, updated: &tokio_postgres::Row, item: &IncomingDelivery) -> CallRow {
        let millis = |ms: i64| Timestamp::from_unix_millis(ms).unwrap_or(item.received_at);
        CallRow {
            first_occurred_at: millis(self.first_ms),
            sort_ms: self.first_ms,
            last_occurred_at: millis(self.last_ms),
            last_received_at: item.received_at,
            event_count: updated.get(0),
            late_count: updated.get(1),
            caught_up: updated.get(2),
            record: self.record,
        }
    }
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
pub(crate) async fn security(client: &Object, tally: &RejectionTally) -> Result<(i64, bool), tokio_postgres::Error> {
    let entry = &tally.entry;
    let (count, last_ms) = (i64::from(tally.count), tally.last.unix_millis());
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
            "INSERT INTO security_log (at, at_ms, peer, reason, source, minute, last_ms, count)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (minute, source, reason) DO UPDATE
                SET count = security_log.count + excluded.count,
                    last_ms = greatest(security_log.last_ms, excluded.last_ms)
             RETURNING id, xmax = 0", // xmax is 0 only on a row this statement inserted
            &[&entry.at.to_string(), &at_ms, &entry.peer, &entry.reason, &source, &minute, &last_ms, &count],
        )
        .await?;
    let (id, new): (i64, bool) = (row.get(0), row.get(1));
    if new {
        client.execute("DELETE FROM security_log WHERE id <= $1", &[&(id - SECURITY_LOG_ROWS)]).await?;
    }
    Ok((id, new))
}
