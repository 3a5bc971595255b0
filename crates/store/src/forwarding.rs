//! The SQL of forwarding (docs/forwarding.md), its reads (the writer's side is in
//! `forward_writes.rs`): which deliveries of the log a target has
//! still to get, the retries it owes, and every attempt with its response. What is sent,
//! when, and how often is the forward crate's; this module only reads and writes.

use rusqlite::{params, OptionalExtension};

use crate::model::{
    AttemptFilter, ForwardAttemptRow, ForwardDelivery, ForwardStep, ForwardTargetStats, ForwardedBatch, ListedAttempt,
    ReplaySelection, RetryState,
};
use crate::rows::headers_from_json;
use crate::writer::Write;
use crate::{IngestOutcome, Result, Store, StoreError};

/// The columns a forwarded delivery is read with, `d` being `deliveries`.
const DELIVERY_COLUMNS: &str = "d.id, d.received_ms, d.headers, d.body";

fn delivery_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ForwardDelivery> {
    Ok(ForwardDelivery {
        id: row.get(0)?,
        received_ms: row.get(1)?,
        headers: headers_from_json(&row.get::<_, String>(2)?),
        body: row.get(3)?,
    })
}

impl Store {
    /// How far along the log `target`'s first attempts have gone; None for a target never
    /// seen (it starts at [`Store::log_end`]: history is for replay, not for a new target).
    pub fn forward_position(&self, target: &str) -> Result<Option<i64>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT forwarded_to FROM forward_targets WHERE target = ?1")?
                .query_row([target], |r| r.get(0))
                .optional()?)
        })
    }

    /// The last id in the log (0 when empty).
    pub fn log_end(&self) -> Result<i64> {
        self.with_reader(|conn| Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM deliveries", [], |r| r.get(0))?))
    }

    /// Up to `limit` log entries after `after`: the webhook deliveries that are not hidden
    /// (the ones a target may get) and the id the read went up to, skipped ones included.
    pub fn forward_candidates(&self, after: i64, limit: u32) -> Result<ForwardedBatch> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS}, d.hidden = 0 AND d.source = 'webhook'
                 FROM deliveries d WHERE d.id > ?1 ORDER BY d.id LIMIT ?2"
            ))?;
            let mut batch = ForwardedBatch { deliveries: Vec::new(), read_to: after };
            let mut rows = stmt.query(params![after, limit])?;
            while let Some(row) = rows.next()? {
                let delivery = delivery_row(row)?;
                batch.read_to = delivery.id;
                if row.get::<_, bool>(4)? {
                    batch.deliveries.push(delivery);
                }
            }
            Ok(batch)
        })
    }

    /// Deliveries `target` owes a retry that is due at `now_ms`, oldest delivery first.
    pub fn forward_due(&self, target: &str, now_ms: i64, limit: u32) -> Result<Vec<(ForwardDelivery, RetryState)>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS}, r.attempts
                 FROM forward_retries r JOIN deliveries d ON d.id = r.delivery
                 WHERE r.target = ?1 AND r.gave_up = 0 AND r.next_ms <= ?2
                 ORDER BY r.delivery LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![target, now_ms, limit], |row| {
                Ok((delivery_row(row)?, RetryState { attempts: row.get(4)? }))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// When `target`'s next retry is due, if one is waiting.
    pub fn forward_next_due(&self, target: &str) -> Result<Option<i64>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT min(next_ms) FROM forward_retries WHERE target = ?1 AND gave_up = 0")?
                .query_row([target], |r| r.get(0))?)
        })
    }

    /// How many deliveries `target` owes a retry, and how many it gave up on.
    pub fn forward_owed(&self, target: &str) -> Result<(u64, u64)> {
        self.with_reader(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FILTER (WHERE gave_up = 0), count(*) FILTER (WHERE gave_up = 1)
                 FROM forward_retries WHERE target = ?1",
                [target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
    }

    /// Every attempt to forward one delivery (its log id), oldest first.
    pub fn forward_attempts(&self, delivery: i64) -> Result<Vec<ForwardAttemptRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM forward_attempts a WHERE a.delivery = ?1 ORDER BY a.id"
            ))?;
            let rows = stmt.query_map([delivery], |row| attempt_row(row, true))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Records what one round of forwarding did, in one transaction through the writer:
    /// its attempts, the retries they leave owed or settle, and how far the target's first
    /// attempts have gone.
    pub async fn record_forwarding(&self, step: ForwardStep) -> Result<()> {
        match self.submit(Write::Forwarded(Box::new(step))).await? {
            IngestOutcome::Logged { .. } => Ok(()),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }

    /// Makes every delivery `target` gave up on due again now (a person's "retry").
    /// Returns how many.
    pub async fn forward_retry_given_up(&self, target: &str, now_ms: i64) -> Result<u64> {
        match self.submit(Write::ForwardRetryGivenUp { target: target.to_owned(), now_ms }).await? {
            IngestOutcome::Logged { id } => Ok(id as u64),
            other => Err(StoreError::Corrupt(format!("unexpected outcome {other:?}"))),
        }
    }
}

impl Store {
    /// One delivery of the log, as a target would get it (for a replay).
    pub fn forward_delivery(&self, id: i64) -> Result<Option<ForwardDelivery>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&format!("SELECT {DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = ?1"))?
                .query_row([id], delivery_row)
                .optional()?)
        })
    }

    /// The log id of the delivery Calleague sent with `deliveryId`.
    pub fn delivery_with_id(&self, delivery_id: &str) -> Result<Option<i64>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT id FROM deliveries WHERE dedupe_key = 'd:' || ?1")?
                .query_row([delivery_id], |r| r.get(0))
                .optional()?)
        })
    }

    /// The newest webhook delivery of `event` (canonical name), for a made-up delivery's
    /// defaults.
    pub fn latest_delivery_of(&self, event: &str) -> Result<Option<ForwardDelivery>> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM events e JOIN deliveries d ON d.id = e.id
                     WHERE e.event = ?1 AND d.source = 'webhook' ORDER BY e.id DESC LIMIT 1"
                ))?
                .query_row([event], delivery_row)
                .optional()?)
        })
    }

    /// How many attempts `target` has had at a delivery.
    pub fn forward_attempt_count(&self, target: &str, delivery: i64) -> Result<u32> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached("SELECT count(*) FROM forward_attempts WHERE target = ?1 AND delivery = ?2")?
                .query_row(params![target, delivery], |r| r.get(0))?)
        })
    }

    /// Every attempt at the deliveries of one call, oldest first.
    pub fn forward_attempts_of_call(&self, call_id: &str) -> Result<Vec<ForwardAttemptRow>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM events e JOIN forward_attempts a ON a.delivery = e.id
                 WHERE e.call_id = ?1 ORDER BY a.id"
            ))?;
            let rows = stmt.query_map([call_id], |row| attempt_row(row, true))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Attempts newest first, by target and outcome, before the attempt id `before` (a
    /// page's cursor); each with its call and event, without the response's body.
    pub fn forward_attempt_list(&self, filter: &AttemptFilter) -> Result<Vec<ListedAttempt>> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS}, e.call_id, e.event
                 FROM forward_attempts a LEFT JOIN events e ON e.id = a.delivery
                 WHERE a.id < ?1 AND (?2 IS NULL OR a.target = ?2)
                   AND (?3 IS NULL OR (?3 = 1) = (a.status IS NULL OR a.status NOT BETWEEN 200 AND 299))
                 ORDER BY a.id DESC LIMIT ?4"
            ))?;
            let rows = stmt.query_map(
                params![filter.before.unwrap_or(i64::MAX), filter.target, filter.failed, filter.limit],
                |row| {
                    Ok(ListedAttempt {
                        attempt: attempt_row(row, false)?,
                        call_id: row.get(ATTEMPT_FIELDS)?,
                        event: row.get(ATTEMPT_FIELDS + 1)?,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// A target's attempts since `since_ms`: how many, how many failed, their latencies,
    /// and the last one (without its body).
    pub fn forward_target_stats(&self, target: &str, since_ms: i64) -> Result<ForwardTargetStats> {
        self.with_reader(|conn| {
            let mut stats = ForwardTargetStats::default();
            let mut stmt = conn.prepare_cached(
                "SELECT latency_ms, status FROM forward_attempts WHERE target = ?1 AND at_ms >= ?2 ORDER BY id DESC LIMIT 100000",
            )?;
            let mut rows = stmt.query(params![target, since_ms])?;
            while let Some(row) = rows.next()? {
                let status: Option<u16> = row.get(1)?;
                stats.attempts += 1;
                if !status.is_some_and(|s| (200..300).contains(&s)) {
                    stats.failures += 1;
                }
                stats.latencies_ms.push(row.get(0)?);
            }
            stats.last = conn
                .prepare_cached(&format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM forward_attempts a WHERE a.target = ?1 ORDER BY a.id DESC LIMIT 1"
                ))?
                .query_row([target], |row| attempt_row(row, false))
                .optional()?;
            Ok(stats)
        })
    }

    /// The webhook deliveries of these calls that are not hidden, oldest first (a replay of
    /// the timeline's calls).
    pub fn webhook_deliveries_of_calls(&self, call_ids: &[String]) -> Result<Vec<i64>> {
        let ids = serde_json::to_string(call_ids).unwrap_or_else(|_| "[]".into());
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT d.id FROM events e JOIN deliveries d ON d.id = e.id
                 WHERE e.call_id IN (SELECT value FROM json_each(?1)) AND d.hidden = 0 AND d.source = 'webhook'
                 ORDER BY d.id",
            )?;
            let rows = stmt.query_map([ids], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        })
    }

    /// The log ids a replay of `selection` sends, oldest first, at most `limit`.
    pub fn forward_selection(&self, selection: &ReplaySelection, limit: u32) -> Result<Vec<i64>> {
        self.with_reader(|conn| {
            let ids = match selection {
                ReplaySelection::Received { from_ms, to_ms, events } => {
                    let events = serde_json::to_string(events).unwrap_or_else(|_| "[]".into());
                    let mut stmt = conn.prepare_cached(
                        "SELECT d.id FROM deliveries d JOIN events e ON e.id = d.id
                         WHERE d.received_ms >= ?1 AND d.received_ms < ?2 AND d.hidden = 0 AND d.source = 'webhook'
                           AND (json_array_length(?3) = 0 OR e.event IN (SELECT value FROM json_each(?3)))
                         ORDER BY d.id LIMIT ?4",
                    )?;
                    let rows = stmt.query_map(params![from_ms, to_ms, events, limit], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<Vec<i64>>>()?
                }
                ReplaySelection::NotAnswered { target, since_ms } => {
                    let mut stmt = conn.prepare_cached(
                        "SELECT DISTINCT a.delivery FROM forward_attempts a
                         WHERE a.target = ?1 AND a.at_ms >= ?2
                           AND NOT EXISTS (SELECT 1 FROM forward_attempts b
                                           WHERE b.delivery = a.delivery AND b.target = a.target
                                             AND b.status BETWEEN 200 AND 299)
                         ORDER BY a.delivery LIMIT ?3",
                    )?;
                    let rows = stmt.query_map(params![target, since_ms, limit], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<Vec<i64>>>()?
                }
            };
            Ok(ids)
        })
    }
}

/// The columns an attempt is read with, `a` being `forward_attempts`.
const ATTEMPT_COLUMNS: &str =
    "a.id, a.target, a.delivery, a.attempt, a.replay, a.at_ms, a.latency_ms, a.status, a.error,
     a.response_headers, a.response_body";
const ATTEMPT_FIELDS: usize = 11;

fn attempt_row(row: &rusqlite::Row<'_>, with_body: bool) -> rusqlite::Result<ForwardAttemptRow> {
    Ok(ForwardAttemptRow {
        id: row.get(0)?,
        target: row.get(1)?,
        delivery: row.get(2)?,
        attempt: row.get(3)?,
        replay: row.get(4)?,
        at_ms: row.get(5)?,
        latency_ms: row.get(6)?,
        status: row.get(7)?,
        error: row.get(8)?,
        response_headers: headers_from_json(&row.get::<_, String>(9)?),
        response_body: if with_body { row.get(10)? } else { Vec::new() },
    })
}
